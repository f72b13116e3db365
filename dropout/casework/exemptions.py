"""缓学/免学/休学: the guardian applies, the township approves, the bureau files."""

from flask_babel import gettext as _

from ..choices import EXEMPTION_KINDS, EXEMPTION_STATUSES
from ..core import audit, scope, uploads
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import Child, Exemption, Village
from .cases import MAX_TEXT, set_child_status

ORDER = (Exemption.applied_on, Exemption.id)  # the list's order (read newest first)


def listing(user, status="", kind=""):
    """The applications of the children in the user's scope, with the child and its village, in a status and of a
    kind (an unknown one filters nothing)."""
    query = scope.exemptions(user).select_extend(Village).join_from(Child, Village)
    if status in EXEMPTION_STATUSES:
        query = query.where(Exemption.status == status)
    if kind in EXEMPTION_KINDS:
        query = query.where(Exemption.kind == kind)
    return query


def _snapshot(exemption):
    return audit.snapshot(exemption)


def apply(user, child, values, today, scan=None, uploads_dir=None):
    """Record a guardian's written application (an uploaded scan is optional)."""
    if not user.can_edit_children:
        raise PermissionDenied()
    errors = {}
    if values.get("kind") not in EXEMPTION_KINDS:
        errors["kind"] = _("Choose deferral, exemption or suspension.")
    reason = (values.get("reason") or "").strip()
    if not reason:
        errors["reason"] = _("Enter the reason given in the application.")
    elif len(reason) > MAX_TEXT:
        errors["reason"] = _("Too long: at most %(n)d characters.", n=MAX_TEXT)
    applied_on, valid_until = values.get("applied_on"), values.get("valid_until")
    if applied_on is None or applied_on > today:
        errors["applied_on"] = _("Enter the application date (not in the future).")
    if valid_until is None or (applied_on is not None and valid_until <= applied_on):
        errors["valid_until"] = _("Enter the last valid day, after the application date.")
    if errors:
        raise ValidationError(errors)
    scan_path = None
    if scan:
        scan_path = uploads.store(scan, uploads_dir, f"exemptions/{applied_on:%Y}", (*uploads.IMAGES, ".pdf"))
        if scan_path is None:
            raise ValidationError({"scan": _("The scan must be a JPEG, PNG or PDF file of at most 5 MB.")})
    with database.atomic():
        exemption = Exemption.create(
            child=child,
            kind=values["kind"],
            reason=reason,
            applied_on=applied_on,
            valid_until=valid_until,
            status="applied",
            applied_by=user,
            scan_path=scan_path,
        )
        audit.record(user, "create", "exemption", exemption.id, after=_snapshot(exemption), child_id=child.id)
    return exemption


def _advance(user, exemption, status, today, **fields):
    with database.atomic():
        before = _snapshot(exemption)
        exemption.status = status
        for field, value in fields.items():
            setattr(exemption, field, value)
        exemption.save()
        audit.record(user, "update", "exemption", exemption.id, before, _snapshot(exemption), exemption.child_id)
        if status == "approved":
            set_child_status(user, exemption.child, "deferred", "exemption approved", exemption.approved_on)
    return exemption


def approve(user, exemption, today):
    """The township approves (or the admin for it); the child then counts as deferred, not dropped out."""
    if user.role not in ("admin", "township"):
        raise PermissionDenied()
    if exemption.status != "applied":
        raise ValidationError({"status": _("Only an application can be approved.")})
    return _advance(user, exemption, "approved", today, approved_by=user, approved_on=today)


def refuse(user, exemption, today):
    if user.role not in ("admin", "township"):
        raise PermissionDenied()
    if exemption.status != "applied":
        raise ValidationError({"status": _("Only an application can be refused.")})
    return _advance(user, exemption, "refused", today, approved_by=user, approved_on=today)


def file(user, exemption, today):
    """The county bureau files an approved exemption."""
    if user.role not in ("admin", "bureau"):
        raise PermissionDenied()
    if exemption.status != "approved":
        raise ValidationError({"status": _("Only an approved exemption can be filed.")})
    return _advance(user, exemption, "filed", today, filed_by=user, filed_on=today)


def is_valid(exemption, today):
    return exemption.status in ("approved", "filed") and exemption.valid_until >= today
