"""一人一案: opening, confirming, assigning and returning dropout cases (closing them: casework/closures).

Every step is a CaseEvent; the case's status is recomputed from all of them by
rules/case_status, never set by hand. The child's own status follows the case.
"""

import json
from datetime import date

from flask_babel import gettext as _

from ..children.records import child_snapshot, date_move, last_change_on, placement_of, recorded_message
from ..choices import DROPOUT_REASONS, PLACEMENTS
from ..core import audit, scope
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import CaseEvent, Child, DropoutCase, ReturnNotice, School, User, utcnow
from ..rules import case_status
from ..rules.numbers import parse_id

# The child's status after a return, by placement.
STATUS_AFTER_RETURN = {"special_school": "special_school", "home_taught": "home_taught"}
# The child's status after a closure, by kind (aged out leaves it as it is).
STATUS_AFTER_CLOSURE = {
    "moved_away": "moved_out",
    "exempted": "deferred",
    "completed": "completed",
    "deceased": "deceased",
    "stable_return": "enrolled",
    "not_dropout": "enrolled",
}
MAX_TEXT = 2000
# Notices still in force: a return ends them as complied with.
ACTIVE_NOTICES = ("issued", "served", "overdue")


def can_decide(user, case):
    """Who confirms a suspicion, records a return or closes: the township, or the school for its own pupils."""
    if user.role == "admin":
        return True
    if user.role == "township":
        return scope.children(user).where(Child.id == case.child_id).exists()
    return user.role == "teacher" and case.child.school_id == user.school_id


def _require(allowed):
    if not allowed:
        raise PermissionDenied()


def check_day(day, today, field, not_before=None):
    if day is None:
        raise ValidationError({field: _("Enter the date.")})
    if day > today:
        raise ValidationError({field: _("The date is in the future.")})
    if not_before is not None and day < not_before:
        raise ValidationError({field: _("The date is before %(date)s.", date=not_before)})


def clean_text(value, field):
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("Too long: at most %(n)d characters.", n=MAX_TEXT)})
    return value


def record_event(user, case, kind, on, data=None, notes="", visit=None):
    """Append one step to the case's log (inside the caller's transaction)."""
    return CaseEvent.create(
        case=case,
        kind=kind,
        happened_on=on,
        at=utcnow(),
        user=user,
        visit=visit,
        data=json.dumps(data or {}, ensure_ascii=False, default=str),
        notes=notes,
    )


def events_of(case):
    """The case's steps as rule events, in the order they happened."""
    rows = case.events.order_by(CaseEvent.happened_on, CaseEvent.id)
    result = []
    for row in rows:
        data = json.loads(row.data or "{}")
        if "deadline_on" in data:
            data["deadline_on"] = date.fromisoformat(data["deadline_on"])
        result.append(case_status.Event(row.kind, row.happened_on, data))
    return result


def refresh(case, settings, today, user=None, on=None):
    """Recompute the stored status and due dates from the events; the child's status follows a closure,
    dated `on` (the closure's day) or today."""
    state = case_status.derive(events_of(case), today, settings.followup_months)
    became_closed = state.status == "closed" and case.status != "closed"
    case.status, case.repeat_count, case.closed_kind = state.status, state.repeat_count, state.closed_kind
    case.deadline_on = state.deadline_on
    case.next_followup_on = state.followups_due[0] if state.followups_due else None
    if state.status not in case_status.VISITING_STATUSES:
        case.next_visit_on = None
    case.updated_at = utcnow()
    case.save()
    if became_closed and state.closed_kind in STATUS_AFTER_CLOSURE:
        set_child_status(
            user, case.child, STATUS_AFTER_CLOSURE[state.closed_kind], f"case {state.closed_kind}", on or today
        )
    return state


def set_child_status(user, child, status, reason, on, field="on", **changes):
    """Move the child's own status (and school or grade) with the case, from day `on`, audited on the child.

    A move dated before a change already recorded is refused at `field` (the caller's transaction rolls back)."""
    before = child_snapshot(child)
    placed = placement_of(child)
    kept = {name: getattr(child, name) for name in ("status", *changes)}
    child.status = status
    for name, value in changes.items():
        setattr(child, name, value)
    last = last_change_on(child)
    if placement_of(child) != placed and last is not None and on < last:
        for name, value in kept.items():
            setattr(child, name, value)
        raise ValidationError({field: recorded_message(last)})
    date_move(child, placed, on)
    child.updated_at = utcnow()
    child.save()
    after = child_snapshot(child)
    if before != after:
        audit.record(user, "update", "child", child.id, before, after, child.id, reason=reason)


def check_may_report(user, child):
    """Refuse a report of absence by a role that does not report (the bureau), or about a child outside the
    user's area: a village cadre reports the children of their own village, a teacher their school's."""
    _require(user.can_report_absence)
    if not scope.children(user).where(Child.id == child.id).exists():
        if user.role == "village":
            reason = _("A village cadre reports only the children of their own village.")
        else:
            reason = _("This child is outside your area.")
        raise ValidationError({"absent_since": reason})


def open_case(user, child, absent_since, settings, today, notes=""):
    """Report a child absent since a day: a new case, or the same case reopened when the child left again."""
    check_may_report(user, child)
    check_day(absent_since, today, "absent_since", not_before=child.birth_on)
    notes = clean_text(notes, "notes")
    case = DropoutCase.get_or_none(DropoutCase.child == child)
    if case is not None and case.status not in ("returned", "closed"):
        raise ValidationError({"absent_since": _("This child already has an open case.")})
    with database.atomic():
        if case is None:
            case = DropoutCase.create(
                child=child,
                absent_since=absent_since,
                opened_on=today,
                opened_by=user,
                status="suspected",
                cadre=user if user.role == "township" else None,
                teacher=user if user.role == "teacher" else child.responsible_teacher_id,
            )
            record_event(user, case, "opened", absent_since, notes=notes)
        else:
            case.absent_since = absent_since
            record_event(user, case, "left_again", absent_since, notes=notes)
        refresh(case, settings, today, user)
        set_child_status(user, child, "suspected", "reported absent", absent_since, field="absent_since")
    return case


def confirm(user, case, reason, details, on, settings, today):
    """The township (or the school) confirms the suspicion as a dropout, with the reason."""
    _require(can_decide(user, case))
    if case.status != "suspected":
        raise ValidationError({"reason": _("Only a suspected case can be confirmed.")})
    if reason not in DROPOUT_REASONS:
        raise ValidationError({"reason": _("Choose the reason.")})
    details = clean_text(details, "details")
    if reason == "other" and not details:
        raise ValidationError({"details": _("Describe the reason.")})
    check_day(on, today, "on", not_before=case.absent_since)
    with database.atomic():
        case.reason, case.reason_details = reason, details
        record_event(user, case, "confirmed", on, {"reason": reason}, details)
        refresh(case, settings, today, user)
        set_child_status(user, case.child, "dropped_out", "dropout confirmed", on)
    return case


def resolve_not_dropout(user, case, on, notes, settings, today):
    """The suspicion was wrong (the child was back, or absent with leave): the case closes."""
    _require(can_decide(user, case))
    if case.status != "suspected":
        raise ValidationError({"notes": _("Only a suspected case can be resolved this way.")})
    check_day(on, today, "on", not_before=case.absent_since)
    with database.atomic():
        record_event(user, case, "not_dropout", on, notes=clean_text(notes, "notes"))
        refresh(case, settings, today, user)
    return case


def assign(user, case, cadre_id, teacher_id, today):
    """Name the township cadre and the teacher responsible (责任到人); the change is recorded."""
    _require(user.role in ("admin", "township"))
    cadre = _person(cadre_id, "township", "cadre", user)
    teacher = _person(teacher_id, "teacher", "teacher", user)
    before = {"cadre": case.cadre_id, "teacher": case.teacher_id}
    after = {"cadre": cadre.id if cadre else None, "teacher": teacher.id if teacher else None}
    if before == after:
        return case
    with database.atomic():
        case.cadre, case.teacher = cadre, teacher
        case.save()
        record_event(user, case, "assigned", today, {"before": before, "after": after})
        if teacher is not None and case.child.responsible_teacher_id != teacher.id:
            # The responsible teacher must be able to open the child's page.
            set_child_status(
                user, case.child, case.child.status, "teacher assigned", today, responsible_teacher=teacher
            )
    return case


def _person(user_id, role, field, actor):
    if user_id in (None, ""):
        return None
    person = User.get_or_none((User.id == parse_id(user_id)) & (User.role == role) & User.is_active)
    if person is None or (role == "teacher" and not scope.teachers(actor).where(User.id == person.id).exists()):
        raise ValidationError({field: _("Choose a person from the list.")})
    if role == "township" and actor.role == "township" and person.township_id != actor.township_id:
        raise ValidationError({field: _("Choose a person from the list.")})
    return person


def handover(user, from_id, to_id, today):
    """Hand every open case of one person to another at once; return how many moved."""
    _require(user.role in ("admin", "township"))
    source = User.get_or_none(User.id == parse_id(from_id))  # an unreadable id is IS NULL: nobody
    if source is None or source.role not in ("township", "teacher"):
        raise ValidationError({"from_user": _("Choose a person from the list.")})
    target = _person(to_id, source.role, "to_user", user)
    if target is None or target.id == source.id:
        raise ValidationError({"to_user": _("Choose another person of the same role.")})
    field = DropoutCase.cadre if source.role == "township" else DropoutCase.teacher
    moving = list(scope.cases(user).where((field == source.id) & (DropoutCase.status != "closed")))
    # All or nothing: a half-moved caseload would leave children with nobody responsible.
    with database.atomic():
        for case in moving:
            people = (target.id, case.teacher_id) if source.role == "township" else (case.cadre_id, target.id)
            assign(user, case, *people, today)
    return len(moving)


def record_return(user, case, on, placement, school_id, grade, notes, settings, today):
    """The child is back: date, school, grade and placement; follow-up visits fall due."""
    _require(can_decide(user, case))
    if case.status not in case_status.OPEN_STATUSES:
        raise ValidationError({"on": _("The case is not open.")})
    check_day(on, today, "on", not_before=case.absent_since)
    if placement not in PLACEMENTS:
        raise ValidationError({"placement": _("Choose the placement.")})
    school = School.get_or_none(School.id == school_id) if school_id else None
    if school is None and placement in ("original", "other_school", "special_school"):
        raise ValidationError({"school": _("Choose the school.")})
    if grade is not None and not 1 <= grade <= 9:
        raise ValidationError({"grade": _("The grade is between 1 and 9.")})
    with database.atomic():
        record_event(
            user,
            case,
            "returned",
            on,
            {"placement": placement, "school": school_id, "grade": grade},
            clean_text(notes, "notes"),
        )
        refresh(case, settings, today, user)
        changes = {"school": school} if school is not None else {}
        if grade is not None:
            changes["grade"] = grade
        set_child_status(user, case.child, STATUS_AFTER_RETURN.get(placement, "returned"), "returned", on, **changes)
        ReturnNotice.update(status="complied").where(
            (ReturnNotice.case == case.id) & ReturnNotice.status.in_(ACTIVE_NOTICES)
        ).execute()
    return case
