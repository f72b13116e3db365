"""Home visits (家访/劝返) on a case, and 送教上门 teaching visits, logged in under a minute."""

from datetime import timedelta

from flask_babel import gettext as _
from peewee import Case

from ..choices import VISIT_MET, VISIT_METHODS, VISIT_OUTCOMES
from ..core import uploads
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import DropoutCase, HomeVisit
from ..rules import case_status
from .cases import MAX_TEXT, record_event, refresh


def _check(values, errors, today, not_before, late_days):
    visited_on = values.get("visited_on")
    if visited_on is None:
        errors.setdefault("visited_on", _("Enter the date of the visit."))
    elif visited_on > today:
        errors["visited_on"] = _("The visit date is in the future.")
    elif visited_on < not_before:
        errors["visited_on"] = _("The visit is dated before the case opened (%(date)s).", date=not_before)
    if values.get("method") not in VISIT_METHODS:
        errors["method"] = _("Choose how the visit was made.")
    if values.get("met") not in VISIT_MET:
        errors["met"] = _("Choose whom you met.")
    if values.get("outcome") not in VISIT_OUTCOMES:
        errors["outcome"] = _("Choose the outcome.")
    for field in ("reasons", "notes"):
        values[field] = (values.get(field) or "").strip()
        if len(values[field]) > MAX_TEXT:
            errors[field] = _("Too long: at most %(n)d characters.", n=MAX_TEXT)
    next_on = values.get("next_visit_on")
    if next_on is not None and visited_on is not None and next_on < visited_on:
        errors["next_visit_on"] = _("The next visit cannot be before this one.")
    for field, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        if values.get(field) is not None and not low <= values[field] <= high:
            errors[field] = _("Not a position on Earth.")
    values["is_late"] = visited_on is not None and (today - visited_on).days > late_days


def log_visit(user, case, values, settings, today, photo=None, uploads_dir=None):
    """Record a visit on an open case; a visit after the return counts as a follow-up."""
    if not user.can_edit_children:
        raise PermissionDenied()
    if case.status == "closed":
        raise ValidationError({"case": _("The case is closed.")})
    errors = {}
    _check(values, errors, today, case.opened_on, settings.late_entry_days)
    if errors:
        raise ValidationError(errors)
    if values.get("next_visit_on") is None:  # after the check: a visit dated 9999-12-31 has no day after it
        values["next_visit_on"] = values["visited_on"] + timedelta(days=settings.next_visit_days)
    stored = None
    if photo:
        stored = uploads.store(photo, uploads_dir, f"visits/{values['visited_on']:%Y/%m}", uploads.IMAGES)
        if stored is None:
            raise ValidationError({"photo": _("The photo must be a JPEG or PNG image of at most 5 MB.")})
    try:
        with database.atomic():
            visit = HomeVisit.create(
                case=case,
                child=case.child_id,
                user=user,
                photo_path=stored,
                is_followup=case.status == "returned",
                **_columns(values),
            )
            record_event(user, case, "visit", visit.visited_on, {"followup": visit.is_followup}, visit=visit)
            if case.status in case_status.VISITING_STATUSES or case.status == "suspected":
                case.next_visit_on = visit.next_visit_on
            refresh(case, settings, today, user, on=visit.visited_on)
    except Exception:
        uploads.remove(uploads_dir, stored)  # no orphan photo for a visit not recorded
        raise
    return visit


def log_teaching_visit(user, child, values, settings, today):
    """A 送教上门 visit to a home-taught child: the same log, with the lessons delivered."""
    if not user.can_edit_children:
        raise PermissionDenied()
    if child.status != "home_taught":
        raise ValidationError({"lessons": _("Only a home-taught child gets teaching visits.")})
    values.setdefault("outcome", "other")
    errors = {}
    _check(values, errors, today, child.birth_on, settings.late_entry_days)
    lessons = values.get("lessons")
    if lessons is None or not 1 <= lessons <= 20:
        errors["lessons"] = _("Enter the lessons delivered (1–20).")
    if errors:
        raise ValidationError(errors)
    with database.atomic():
        return HomeVisit.create(child=child, user=user, is_teaching=True, **_columns(values))


_LOGGED = "visited_on method met outcome reasons notes next_visit_on latitude longitude lessons is_late".split()


def _columns(values):
    """{field: value} of what a visit's log records, None where the values give nothing."""
    return {field: values.get(field) for field in _LOGGED}


def open_cases_first(user, cases_query):
    """The user's own open cases first, then the other open ones in scope."""
    own = Case(None, (((DropoutCase.cadre == user.id) | (DropoutCase.teacher == user.id), 0),), 1)
    return cases_query.where(DropoutCase.status != "closed").order_by(
        own, DropoutCase.next_visit_on.asc(nulls="first"), DropoutCase.id
    )
