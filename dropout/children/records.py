"""Registering, editing and removing children and their guardians."""

import re

from flask_babel import gettext as _
from peewee import IntegrityError, fn

from .. import clock
from ..choices import CHILD_STATUSES, DISABILITY_CATEGORIES, SEX
from ..core import audit, scope
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import Child, ChildChange, Guardian, School, User, Village, utcnow
from ..rules import id_number as idn
from ..rules import school_age
from ..rules.dates import parse_date

TEXT_FIELDS = ("name", "ethnicity", "group", "address", "notes", "student_number")
FLAGS = ("is_poor", "is_left_behind", "is_migrant", "is_orphan")
GUARDIAN_FIELDS = ("name", "relation", "phone", "id_number")
_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")
_DIGITS = re.compile(r"[0-9]{1,9}")
MAX_TEXT = 255  # VARCHAR(255) in the schema: PostgreSQL refuses longer text, SQLite would keep it
MAX_NOTES = 2000


def id_number_message(code):
    """The user-facing message for a broken ID number rule."""
    return {
        "length": _("An ID number has 18 characters."),
        "characters": _("An ID number is 17 digits followed by a digit or X."),
        "area": _("The ID number does not start with a valid area code."),
        "date": _("The ID number does not contain a valid birth date."),
        "checksum": _("The ID number's check digit is wrong; check for a typing error."),
    }[code]


def _integer(raw):
    """An id or small number from a form or query value; ValueError for anything else."""
    text = str(raw).strip()
    if not _DIGITS.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _clean(data):
    """Strip text, normalise the ID number, coerce the numbers; collect type errors."""
    values, errors = {}, {}
    for field in TEXT_FIELDS:
        values[field] = (data.get(field) or "").strip()
        limit = MAX_NOTES if field == "notes" else MAX_TEXT
        if len(values[field]) > limit:
            errors[field] = _("Too long: at most %(n)d characters.", n=limit)
    values["student_number"] = values["student_number"] or None
    values["sex"] = (data.get("sex") or "").strip() or None
    values["status"] = data.get("status") or "enrolled"
    values["id_number"] = idn.normalise(data.get("id_number")) or None
    for field in FLAGS:
        values[field] = bool(data.get(field))
    values["disability_category"] = data.get("disability_category") or None
    for field in ("village", "school", "grade", "disability_grade", "responsible_teacher"):
        raw = data.get(field)
        try:
            values[field] = _integer(raw) if raw not in (None, "") else None
        except ValueError:
            values[field] = None  # the checks below still look at every field
            errors[field] = _("Not a number: %(value)s", value=str(raw)[:20])
    try:
        values["birth_on"] = parse_date(data.get("birth_on"))
    except ValueError:
        values["birth_on"] = None
        errors["birth_on"] = _("Not a date; write it like 2015-09-01.")
    return values, errors


def _check_identity(values, errors, today, start_age, birth_changed):
    """ID number, birth date and sex must agree; the child must be of school age."""
    if values["id_number"]:
        try:
            parsed = idn.parse(values["id_number"], today)
        except idn.IdNumberError as exc:
            errors["id_number"] = id_number_message(exc.code)
        else:
            if values["birth_on"] is None:
                values["birth_on"] = parsed.birth_on
            elif values["birth_on"] != parsed.birth_on:
                errors["birth_on"] = _("The birth date does not match the ID number (%(date)s).", date=parsed.birth_on)
            if values["sex"] is None:
                values["sex"] = parsed.sex
            elif values["sex"] != parsed.sex:
                errors["sex"] = _("The sex does not match the ID number.")
    birth_on = values["birth_on"]
    if birth_on is None and "birth_on" not in errors and not values["id_number"]:
        errors["birth_on"] = _("Enter the birth date (required when there is no ID number).")
    elif birth_on is not None and "birth_on" not in errors:
        if birth_on > today:
            errors["birth_on"] = _("The birth date is in the future.")
        elif birth_changed and not school_age.is_school_age(birth_on, today, start_age):
            errors["birth_on"] = _(
                "Not of compulsory-school age: aged %(age)d on 31 August (ages %(low)d–%(high)d).",
                age=school_age.school_age(birth_on, today),
                low=start_age,
                high=school_age.last_school_age(start_age),
            )
    if values["sex"] not in SEX and "sex" not in errors:
        errors["sex"] = _("Choose the sex.")


def _check_fields(values, errors):
    if not values["name"]:
        errors["name"] = _("Enter the name.")
    if values["status"] not in CHILD_STATUSES:
        errors["status"] = _("Unknown status.")
    if values["village"] is None:
        errors.setdefault("village", _("Choose the village."))
    elif Village.get_or_none(Village.id == values["village"]) is None:
        errors["village"] = _("Unknown village.")
    if values["school"] is not None and School.get_or_none(School.id == values["school"]) is None:
        errors["school"] = _("Unknown school.")
    if values["grade"] is not None and not 1 <= values["grade"] <= 9:
        errors["grade"] = _("The grade is between 1 and 9.")
    if values["disability_category"] not in (None, *DISABILITY_CATEGORIES):
        errors["disability_category"] = _("Unknown disability category.")
    if values["disability_grade"] is not None:
        if not 1 <= values["disability_grade"] <= 4:
            errors["disability_grade"] = _("The disability grade is between 1 and 4.")
        elif values["disability_category"] is None:
            errors["disability_grade"] = _("Choose the disability category first.")


def _clean_guardians(rows, errors, today):
    """Non-blank guardian rows, validated; errors keyed guardians-N-field. None: leave as they are."""
    if rows is None:
        return None
    guardians = []
    for index, row in enumerate(rows):
        guardian_id = str(row.get("id") or "")
        row = {field: (row.get(field) or "").strip() for field in GUARDIAN_FIELDS}
        if not any(row.values()):
            continue  # a blanked row removes that guardian
        prefix = f"guardians-{index}-"
        if not row["name"]:
            errors[prefix + "name"] = _("Enter the guardian's name.")
        for field in ("name", "relation"):
            if len(row[field]) > MAX_TEXT:
                errors[prefix + field] = _("Too long: at most %(n)d characters.", n=MAX_TEXT)
        if row["phone"] and not _PHONE.match(row["phone"]):
            errors[prefix + "phone"] = _("Not a phone number.")
        row["id_number"] = idn.normalise(row["id_number"]) or None
        if row["id_number"]:
            try:
                idn.parse(row["id_number"], today)
            except idn.IdNumberError as exc:
                errors[prefix + "id_number"] = id_number_message(exc.code)
        row["id"] = int(guardian_id) if _DIGITS.fullmatch(guardian_id) else None
        guardians.append(row)
    return guardians


def _duplicate_message(user, number, own_id):
    existing = Child.select(Child.id, Child.name).where((Child.id_number == number) & (Child.id != own_id)).first()
    if existing is None:
        return None
    if scope.get_child(user, existing.id) is not None:
        return _("Already registered as %(name)s (No. %(id)d).", name=existing.name, id=existing.id)
    return _("This ID number is already registered.")


def _delete_guardian(user, guardian):
    audit.record(user, "delete", "guardian", guardian.id, before=audit.snapshot(guardian), child_id=guardian.child_id)
    guardian.delete_instance()


def _save_guardians(user, child, rows):
    """Make the child's guardians match `rows` (matched by id), auditing each change."""
    existing = {guardian.id: guardian for guardian in child.guardians}
    for row in rows:
        guardian = existing.pop(row.pop("id"), None)
        if guardian is None:
            guardian = Guardian.create(child=child, **row)
            audit.record(user, "create", "guardian", guardian.id, after=audit.snapshot(guardian), child_id=child.id)
            continue
        before = audit.snapshot(guardian)
        for field, value in row.items():
            setattr(guardian, field, value)
        if before != audit.snapshot(guardian):
            guardian.save()
            audit.record(user, "update", "guardian", guardian.id, before, audit.snapshot(guardian), child.id)
    for guardian in existing.values():
        _delete_guardian(user, guardian)


def _check_teacher(user, values, data, child, errors):
    """Only admin and township staff assign a responsible teacher, and only one they can see."""
    if "responsible_teacher" not in data or not user.can_assign_teacher:
        values["responsible_teacher"] = child.responsible_teacher_id if child is not None else None
        errors.pop("responsible_teacher", None)
        return
    teacher = values["responsible_teacher"]
    if teacher is not None and not scope.teachers(user).where(User.id == teacher).exists():
        errors["responsible_teacher"] = _("Unknown teacher.")


def _effective_date(data, field, errors, today, earliest=None, earliest_message=None):
    """The day a change took effect, as entered (default: today, county time): never in the county's
    future, never before `earliest` (registration, or a change already recorded)."""
    try:
        day = parse_date(data.get(field)) or today
    except ValueError:
        errors[field] = _("Not a date; write it like 2015-09-01.")
        return None
    if day > today:
        errors[field] = future_message(day, today)
    elif earliest is not None and day < earliest:
        errors[field] = earliest_message
    return day


def future_message(day, today):
    """Why a date after the county's today is refused."""
    return _("%(date)s is in the future (today is %(today)s).", date=day, today=today)


def recorded_message(last):
    """Why a change dated before one already recorded (on `last`) is refused."""
    return _(
        "A change of status, school or village is already recorded on %(date)s; this one cannot be dated before it.",
        date=last,
    )


def last_change_on(child):
    """The day of the child's latest recorded change of status, school or village, or None."""
    latest = ChildChange.select(fn.MAX(ChildChange.changed_on)).where(ChildChange.child == child.id).scalar()
    return parse_date(str(latest)[:10]) if latest else None


def _check_dates(data, child, values, errors, today):
    """registered_on for a new child; for an existing one, the day its status, school or village changed."""
    if child is None:
        values["registered_on"] = _effective_date(data, "registered_on", errors, today)
        birth_on = values.get("birth_on")
        registered_on = values["registered_on"]
        if registered_on and birth_on and registered_on < birth_on and "registered_on" not in errors:
            errors["registered_on"] = _("The child cannot be on the roll before it was born.")
        return None
    if (values["status"], values["school"], values["village"]) == (child.status, child.school_id, child.village_id):
        return None  # nothing the figures follow changes: no date needed
    last = last_change_on(child)
    if last is None or last < child.registered_on:
        return _effective_date(
            data,
            "changed_on",
            errors,
            today,
            child.registered_on,
            _("The child is on the roll only from %(date)s.", date=child.registered_on),
        )
    return _effective_date(data, "changed_on", errors, today, last, recorded_message(last))


def save_child(user, data, child=None, today=None, start_age=6):
    """Create (child=None) or update a child from form-like data; raise ValidationError.

    A new child is on the roll from data['registered_on']; a change of status, school or village takes
    effect on data['changed_on']. Both default to `today` (the county's) and are entered by the user."""
    if not user.can_edit_children:
        raise PermissionDenied()
    today = today or clock.today()
    values, errors = _clean(data)
    birth_changed = child is None or values.get("birth_on") != child.birth_on
    _check_identity(values, errors, today, start_age, birth_changed)
    _check_fields(values, errors)
    _check_teacher(user, values, data, child, errors)
    guardians = _clean_guardians(data.get("guardians"), errors, today)
    if values["id_number"] and "id_number" not in errors:
        duplicate = _duplicate_message(user, values["id_number"], child.id if child else None)
        if duplicate:
            errors["id_number"] = duplicate
    changed_on = _check_dates(data, child, values, errors, today)
    if errors:
        raise ValidationError(errors)
    try:
        with database.atomic():
            child, before = _write_child(user, child, values, changed_on)
            if guardians is not None:
                _save_guardians(user, child, guardians)
            if scope.get_child(user, child.id) is None:
                # The result must stay visible to its author: no registering into another's area.
                raise ValidationError({"village": _("This village and school are outside your area.")})
            after = child_snapshot(child)
            if before and changed_on is not None:
                after["changed_on"] = changed_on.isoformat()  # the day it happened; the entry's time is the audit's
            if before != after:
                audit.record(user, "update" if before else "create", "child", child.id, before, after, child.id)
    except IntegrityError:
        raise ValidationError({"id_number": _("This ID number is already registered.")}) from None
    return child


def child_snapshot(child):
    """The audited columns of a child (timestamps left out)."""
    return audit.snapshot(child, exclude=("created_at", "updated_at", "status_since"))


# The fields whose changes the monthly figures follow (the child_change history, migration 0005).
MOVES = ("status", "school_id", "village_id")


def placement_of(child):
    return tuple(getattr(child, field) for field in MOVES)


def date_move(child, before, on):
    """Date a change of status, school or village: the history trigger records it on `on`."""
    if placement_of(child) != before:
        child.status_since = on


def _write_child(user, child, values, changed_on):
    """Write the values; a new child is dated by its registered_on, a move by `changed_on`."""
    before = child_snapshot(child) if child is not None else None
    if child is None:
        child = Child(created_at=utcnow(), status_since=values["registered_on"])
    placed = placement_of(child)
    for field, value in values.items():
        setattr(child, field, value)
    if before is not None:
        date_move(child, placed, changed_on)
    child.updated_at = utcnow()
    child.save()
    return child, before


def delete_child(user, child, reason=""):
    """Remove a child registered by mistake (admin only), keeping the audit trail."""
    if not user.can_delete_children:
        raise PermissionDenied()
    with database.atomic():
        for guardian in list(child.guardians):
            _delete_guardian(user, guardian)
        audit.record(user, "delete", "child", child.id, before=child_snapshot(child), child_id=child.id, reason=reason)
        child.delete_instance(recursive=True)


def reveal_id_numbers(user, child):
    """Record that the user is shown the full ID numbers of a child (in the user's scope) and its guardians."""
    if not scope.may_see_full_ids(user):
        raise PermissionDenied()
    with database.atomic():
        audit.record(user, "reveal_id", "child", child.id, child_id=child.id)
