"""Verifying a pushed row: its result and note, each change audited; and a case opened from a row in one step."""

from flask_babel import gettext as _

from ..casework import cases
from ..core import audit
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import DropoutCase, utcnow
from .lists import RESULTS, refusal

MAX_NOTE = 500
MAX_SCHOOL = 100
CHOSEN = tuple(code for code in RESULTS if code != "case_opened")  # 辍学已建案 is the case's, linked or opened
OPEN = ("returned", "closed")  # a case in these statuses is no open case


def _check(user, row):
    reason = refusal(user, row)
    if reason:
        raise PermissionDenied(reason)


def _snapshot(row):
    return audit.snapshot(row, exclude=("cells",))


def open_case_of(child_id):
    """The child's case while open, or None."""
    if child_id is None:
        return None
    return DropoutCase.get_or_none((DropoutCase.child == child_id) & DropoutCase.status.not_in(OPEN))


def open_cases(child_ids):
    """{child id: open case} of the children, in one query (a page of rows)."""
    ids = [child for child in set(child_ids) if child is not None]
    if not ids:
        return {}
    query = DropoutCase.select().where(DropoutCase.child.in_(ids) & DropoutCase.status.not_in(OPEN))
    return {case.child_id: case for case in query}


def verify(user, row, result, note, transfer_to):
    """Record the row's verification (again, if it had one): ValidationError for a result not chosen, a transfer
    without the school, 其他 without a note; 辍学已建案 links the child's open case, and needs one."""
    _check(user, row)
    note, transfer_to = (note or "").strip(), (transfer_to or "").strip()
    errors = {}
    if result not in RESULTS:
        errors["result"] = _("Choose the result of the verification.")
    elif result == "transferred" and not transfer_to:
        errors["transfer_to"] = _("Name the school the child transferred to.")
    elif result == "other" and not note:
        errors["note"] = _("Say what was found.")
    if len(note) > MAX_NOTE:
        errors["note"] = _("At most %(n)d characters.", n=MAX_NOTE)
    if len(transfer_to) > MAX_SCHOOL:
        errors["transfer_to"] = _("At most %(n)d characters.", n=MAX_SCHOOL)
    case = open_case_of(row.child_id) if result == "case_opened" else None
    if result == "case_opened" and case is None and not errors:
        errors["result"] = _("The child has no open case: open one from this row, or choose another result.")
    if errors:
        raise ValidationError(errors)
    _record(user, row, result, note, transfer_to if result == "transferred" else "", case)
    return row


def _record(user, row, result, note, transfer_to, case):
    before = _snapshot(row)
    with database.atomic():
        row.result, row.note, row.transfer_to = result, note, transfer_to
        row.case = case.id if case is not None else None
        row.verified_by, row.verified_at, row.carried_from = user.id, utcnow(), None
        row.save()
        audit.record(user, "verified", "pushed_row", row.id, before, _snapshot(row), child_id=row.child_id)


def open_case(user, row, absent_since, settings, today, note=""):
    """Open the matched child's case from the row (casework's rules: who reports, the day, no case already open)
    and record the row as 辍学已建案 with the case linked, in one transaction."""
    _check(user, row)
    if row.child_id is None:
        raise ValidationError({"absent_since": _("This row matched no child of the register: add the child first.")})
    note = (note or "").strip()[:MAX_NOTE]
    with database.atomic():
        case = cases.open_case(user, row.child, absent_since, settings, today, notes=note)
        _record(user, row, "case_opened", note, "", case)
    return case
