"""The county calendar: working days, school days and deadlines (pure: no database, no Flask).

Statutory holidays and adjusted working days (调休) come from the `chinese-calendar` package, which knows the
years up to its release. For a year it does not know, a working day is a weekday, less the public holidays
and plus the adjusted working days the bureau enters; the bureau's public holidays and working days are
ignored for the years the package knows. School holidays (寒假, 暑假 …) are always the bureau's.

Periods (民法典 Art. 201, 203): a period in days starts on the day after its start day; when its last day is
not a working day, it ends on the first working day after.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar

ONE_DAY = timedelta(days=1)
KINDS = ("school_holiday", "public_holiday", "workday")


@dataclass(frozen=True)
class CountyDays:
    """The bureau's entries: school holiday ranges [(first day, last day)], and, for years chinese-calendar
    does not know, extra public holidays and extra (adjusted) working days."""

    school_holidays: tuple = ()
    public_holidays: frozenset = frozenset()
    workdays: frozenset = frozenset()

    @classmethod
    def from_entries(cls, entries):
        """From (kind, starts_on, ends_on) triples, both ends included; unknown kinds are ignored."""
        school, public, work = [], set(), set()
        for kind, starts_on, ends_on in entries:
            if kind == "school_holiday":
                school.append((starts_on, ends_on))
            elif kind in ("public_holiday", "workday"):
                (public if kind == "public_holiday" else work).update(_days(starts_on, ends_on))
        return cls(tuple(sorted(school)), frozenset(public), frozenset(work))


NONE = CountyDays()


def _days(since, until):
    day = since
    while day <= until:
        yield day
        day += ONE_DAY


@cache
def known_year(year):
    """Whether chinese-calendar has the State Council's holidays for this year."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day, entries=NONE):
    """A working day: chinese-calendar's for the years it knows (holidays and 调休 included); otherwise a
    weekday that is not a bureau-entered public holiday, or a bureau-entered working day."""
    if known_year(day.year):
        return chinese_calendar.is_workday(day)
    if day in entries.workdays:
        return True
    return day.weekday() < 5 and day not in entries.public_holidays


def in_school_holiday(day, entries=NONE):
    return any(first <= day <= last for first, last in entries.school_holidays)


def is_school_day(day, entries=NONE):
    """A working day outside the school holidays."""
    return is_working_day(day, entries) and not in_school_holiday(day, entries)


def next_working_day(day, entries=NONE):
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, entries):
        day += ONE_DAY
    return day


def deadline(start, days, entries=NONE):
    """The last day of a period of `days` days from `start` (the period runs from the day after `start`):
    start + days, moved to the next working day when that is a holiday or a rest day."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    return next_working_day(start + timedelta(days=days), entries)


def add_working_days(start, n, entries=NONE):
    """The n-th working day after `start` (`start` itself does not count); `start` for n = 0."""
    if n < 0:
        raise ValueError("a period cannot be negative")
    day = start
    for _ in range(n):
        day = next_working_day(day + ONE_DAY, entries)
    return day


def school_days(since, until, entries=NONE):
    """How many school days there are in [since, until], both included; 0 when until is before since."""
    return sum(1 for day in _days(since, until) if is_school_day(day, entries))


def days_outside_school_holidays(since, until, entries=NONE):
    """How many days in [since, until], both included, fall outside the school holidays (weekends count)."""
    return sum(1 for day in _days(since, until) if not in_school_holiday(day, entries))


@dataclass(frozen=True)
class OfficialDays:
    """A named stretch of the State Council's calendar: a holiday (first to last day) or one adjusted
    working day (first == last)."""

    english: str
    chinese: str
    first: date
    last: date


def official_days(year):
    """chinese-calendar's holidays and adjusted working days (调休) of a year it knows, in date order:
    ([OfficialDays] holidays, [OfficialDays] working days); both empty for a year it does not know."""
    if not known_year(year):
        return [], []
    holidays, workdays = [], []
    for day in _days(date(year, 1, 1), date(year, 12, 31)):
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if name is None:
            continue
        chinese = chinese_calendar.Holiday(name).chinese
        if not on_holiday:
            workdays.append(OfficialDays(name, chinese, day, day))
        elif holidays and holidays[-1].english == name and holidays[-1].last == day - ONE_DAY:
            holidays[-1] = OfficialDays(name, chinese, holidays[-1].first, day)
        else:
            holidays.append(OfficialDays(name, chinese, day, day))
    return holidays, workdays
