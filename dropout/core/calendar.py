"""The county calendar: the bureau's school holidays (and, for years chinese-calendar does not know, public
holidays and adjusted working days), and the deadlines and day counts everyone else asks for.

Everyone else calls deadline, add_working_days, school_days, is_working_day (and
days_outside_school_holidays): dates in, a date or a count out. Each reads the bureau's entries afresh; a
caller that asks many times in one go may load them once with `load()` and pass them as `calendar=`.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..db import database
from ..models import CalendarEntry
from ..rules import calendar as rules
from . import audit
from .errors import PermissionDenied, ValidationError

KINDS = {
    "school_holiday": _l("School holiday"),
    "public_holiday": _l("Public holiday"),
    "workday": _l("Adjusted working day"),
}
MAX_NAME = 255
MAX_DAYS = 366  # the longest range one entry may cover, both ends included
EDITORS = ("admin", "bureau")


def can_edit(user):
    return user.role in EDITORS


def load():
    """The bureau's entries as the rules take them."""
    rows = CalendarEntry.select(CalendarEntry.kind, CalendarEntry.starts_on, CalendarEntry.ends_on)
    return rules.CountyDays.from_entries((row.kind, row.starts_on, row.ends_on) for row in rows)


def _or_load(calendar):
    return load() if calendar is None else calendar


def deadline(start, days, calendar=None):
    """The last day of a period of `days` days from `start` (民法典 Art. 201, 203): start + days, moved to
    the next working day when that falls on a holiday or a rest day."""
    return rules.deadline(start, days, _or_load(calendar))


def add_working_days(start, n, calendar=None):
    """The n-th working day after `start`."""
    return rules.add_working_days(start, n, _or_load(calendar))


def school_days(since, until, calendar=None):
    """How many school days (working days outside the school holidays) there are in [since, until]."""
    return rules.school_days(since, until, _or_load(calendar))


def is_working_day(day, calendar=None):
    return rules.is_working_day(day, _or_load(calendar))


def days_outside_school_holidays(since, until, calendar=None):
    """How many days in [since, until] fall outside the school holidays (weekends and public holidays count)."""
    return rules.days_outside_school_holidays(since, until, _or_load(calendar))


def entries():
    """The bureau's entries, latest first."""
    return list(CalendarEntry.select().order_by(CalendarEntry.starts_on.desc(), CalendarEntry.id.desc()))


@dataclass(frozen=True)
class Year:
    year: int
    known: bool  # chinese-calendar has it; otherwise weekends plus the bureau's entries
    holidays: list  # [rules.OfficialDays], empty when not known
    workdays: list


def years(today):
    """This year and next: whether chinese-calendar knows each, and its holidays and 调休 working days."""
    return [Year(year, rules.known_year(year), *rules.official_days(year)) for year in (today.year, today.year + 1)]


def _check(kind, name, starts_on, ends_on):
    errors = {}
    name = (name or "").strip()
    if kind not in KINDS:
        errors["kind"] = _("Choose what kind of days these are.")
    if len(name) > MAX_NAME:
        errors["name"] = _("Too long: at most %(n)d characters.", n=MAX_NAME)
    for field, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not isinstance(value, date):
            errors[field] = _("Enter a date.")
    if "starts_on" not in errors and "ends_on" not in errors:
        if ends_on < starts_on:
            errors["ends_on"] = _("The last day cannot be before the first.")
        elif (ends_on - starts_on).days + 1 > MAX_DAYS:
            errors["ends_on"] = _("One entry covers at most %(n)d days.", n=MAX_DAYS)
        elif kind in ("public_holiday", "workday"):
            known = [year for year in range(starts_on.year, ends_on.year + 1) if rules.known_year(year)]
            if known:
                errors["kind"] = _(
                    "The official calendar already has the holidays and working days of %(year)d; enter public "
                    "holidays and working days only for a year it does not know.",
                    year=known[0],
                )
    if errors:
        raise ValidationError(errors)
    return name


def add_entry(user, kind, name, starts_on, ends_on):
    """Add a school holiday, or a public holiday or working day for a year chinese-calendar does not know;
    the bureau's (or the admin's) job, audited."""
    if not can_edit(user):
        raise PermissionDenied()
    name = _check(kind, name, starts_on, ends_on)
    with database.atomic():
        entry = CalendarEntry.create(kind=kind, name=name, starts_on=starts_on, ends_on=ends_on, created_by=user.id)
        audit.record(user, "create", "calendar_entry", entry.id, after=audit.snapshot(entry))
    return entry


def remove_entry(user, entry_id):
    """Remove one of the bureau's entries, audited; CalendarEntry.DoesNotExist when there is none."""
    if not can_edit(user):
        raise PermissionDenied()
    with database.atomic():
        entry = CalendarEntry.get_by_id(entry_id)
        audit.record(user, "delete", "calendar_entry", entry.id, before=audit.snapshot(entry))
        entry.delete_instance()
    return entry
