"""督办函 after issue: the unit answers with its rectification (a note and an optional scan), the bureau accepts it or
returns it with a reason (open again), until it is accepted (closed).

Who answers: township staff for their township's letters (a township's own, and its schools'); a school's teachers
for their school's. The bureau (and the admin) accepts or returns. Each step is one conditional update, so two at
once cannot both pass.
"""

import io

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core import audit, uploads
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import Bulletin, SupervisionLetter, User, utcnow
from ..notices.scans import ALLOWED, read_upload
from .filing import unit_names

STATUSES = {
    "open": _l("Open, waiting for the answer"),
    "answered": _l("Answered, waiting for acceptance"),
    "accepted": _l("Accepted"),
}
MAX_TEXT = 2000
DECIDERS = ("admin", "bureau")


def visible(user):
    """The letters this user may read: the bureau all, a township its own and its schools', a school its own."""
    query = SupervisionLetter.select()
    if user.role in DECIDERS:
        return query
    if user.role == "township" and user.township_id:
        return query.where(SupervisionLetter.township == user.township_id)
    if user.role == "teacher" and user.school_id:
        return query.where((SupervisionLetter.unit_kind == "school") & (SupervisionLetter.unit_id == user.school_id))
    return query.where(SupervisionLetter.id.is_null())


def get_visible(user, letter_id):
    return visible(user).where(SupervisionLetter.id == letter_id).first()


def may_answer(user, letter):
    """The unit's own staff: its township's for any of the township's letters, the school's teachers for theirs."""
    if user.role == "township":
        return user.township_id == letter.township_id
    if user.role == "teacher":
        return letter.unit_kind == "school" and user.school_id == letter.unit_id
    return False


def may_decide(user):
    return user.role in DECIDERS


# The tracking list's order: the earliest due first (core/paging reads it a page at a time through this key).
ORDER = (SupervisionLetter.due_on, SupervisionLetter.id)


def tracked(user, status=None, overdue=False, today=None):
    """The letters this user may read, with their 通报, optionally by status or past their due day and not closed;
    the most urgent first (still open, the earliest due)."""
    query = visible(user).select_extend(Bulletin).join(Bulletin)
    if status in STATUSES:
        query = query.where(SupervisionLetter.status == status)
    if overdue and today is not None:
        query = query.where((SupervisionLetter.status != "accepted") & (SupervisionLetter.due_on < today))
    return query.order_by(*ORDER)


def counts(user):
    """{status: letters} this user may read."""
    rows = visible(user).select(SupervisionLetter.status, SupervisionLetter.id)
    found = dict.fromkeys(STATUSES, 0)
    for row in rows:
        found[row.status] += 1
    return found


def _snapshot(letter):
    return {"number": letter.number, "status": letter.status, "answer": letter.answer, "reason": letter.return_reason}


def _text(value, field, missing):
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: missing})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("At most %(n)d characters.", n=MAX_TEXT)})
    return value


def _move(user, letter, expected, **fields):
    """Move the letter from `expected` to fields["status"], or refuse when it is no longer there."""
    before = _snapshot(letter)
    changed = (
        SupervisionLetter.update(**fields)
        .where((SupervisionLetter.id == letter.id) & (SupervisionLetter.status == expected))
        .execute()
    )
    if not changed:
        raise ValidationError({"status": _("This letter is not waiting for that step.")})
    letter = SupervisionLetter.get_by_id(letter.id)
    audit.record(user, "update", "supervision_letter", letter.id, before, _snapshot(letter))
    return letter


def answer(user, letter, text, stream, uploads_dir):
    """The unit answers an open letter with its rectification: a note, and a scan of its written answer if it has
    one (checked by content like every scan; a new scan takes the place of an earlier one)."""
    if not may_answer(user, letter):
        raise PermissionDenied()
    if letter.status != "open":
        raise ValidationError({"status": _("This letter is not waiting for an answer.")})
    text = _text(text, "answer", _("Write what was done to put things right."))
    stored = None
    if stream is not None:
        data = read_upload(stream)
        stored = uploads.store(io.BytesIO(data), uploads_dir, f"supervision/{letter.year}", ALLOWED)
    try:
        with database.atomic():
            letter = _move(
                user,
                letter,
                "open",
                status="answered",
                answer=text,
                answer_scan_path=stored or letter.answer_scan_path,
                answered_by=user,
                answered_at=utcnow(),
            )
    except Exception:
        uploads.remove(uploads_dir, stored)  # no orphan file for an answer not recorded
        raise
    return letter


def accept(user, letter):
    """The bureau accepts the rectification: the letter is closed."""
    if not may_decide(user):
        raise PermissionDenied()
    if letter.status != "answered":
        raise ValidationError({"status": _("Only an answered letter can be accepted.")})
    with database.atomic():
        return _move(user, letter, "answered", status="accepted", decided_by=user, decided_at=utcnow())


def send_back(user, letter, reason):
    """The bureau returns the answer with the reason: the letter is open again, the reason shown to the unit."""
    if not may_decide(user):
        raise PermissionDenied()
    if letter.status != "answered":
        raise ValidationError({"status": _("Only an answered letter can be returned.")})
    reason = _text(reason, "reason", _("Give the reason for returning the answer."))
    with database.atomic():
        return _move(
            user, letter, "answered", status="open", return_reason=reason, decided_by=user, decided_at=utcnow()
        )


def people(letter):
    """(who answered, who decided) of a letter, or None for each."""
    ids = [i for i in (letter.answered_by_id, letter.decided_by_id) if i]
    found = {u.id: u for u in User.select().where(User.id.in_(ids))} if ids else {}
    return found.get(letter.answered_by_id), found.get(letter.decided_by_id)


def _with_names(letters):
    """[(letter, its unit's name)]."""
    names = unit_names()
    return [(letter, names.get((letter.unit_kind, letter.unit_id), "?")) for letter in letters]


def to_answer(user):
    """[(letter, unit name)] of the open letters this user's unit must answer, the earliest due first."""
    if user.role not in ("township", "teacher"):
        return []
    query = visible(user).where(SupervisionLetter.status == "open")
    return _with_names(query.order_by(SupervisionLetter.due_on, SupervisionLetter.id))  # their scope: theirs to answer


def to_accept(user):
    """[(letter, unit name)] of the answered letters waiting for the bureau, the earliest answered first."""
    if not may_decide(user):
        return []
    query = SupervisionLetter.select().where(SupervisionLetter.status == "answered")
    return _with_names(query.order_by(SupervisionLetter.answered_at, SupervisionLetter.id))
