"""A month's figures for every unit of the county (county, townships, villages, schools) at once.

A few grouped queries over the whole county, then the units are filled in Python:

- the children as they are now, grouped (one scan of the child table);
- the children whose status, school or village changed since the school year began
  (child_change, kept by a trigger), replayed to their state on the month's first and last days;
- the month's case events, visits, notices and measures, grouped.

Townships and villages count children by residence; a school counts its own pupils. Every figure
is split by stage (primary / junior: the grade, or the age for a child out of school) and sex.
What a child adds is in summary_tally, the month's events in summary_events.
"""

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from ..choices import THREE_DISABILITY_CATEGORIES
from ..db import database, is_postgres
from ..rules import school_age
from .events import place_events
from .reads import among, day_of, read_rows
from .tally import STATES, Change, Figures, Stocks, flow, state_at


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text):
        """'YYYY-MM' → Month; ValueError when it is not one."""
        match = re.fullmatch(r"(\d{4})-(\d{2})", str(text), re.ASCII)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(text)
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day):
        """The month a day falls in."""
        return cls(day.year, day.month)

    def __str__(self):
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first(self):
        return date(self.year, self.month, 1)

    @property
    def last(self):
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def year_start(self):
        """The first day of the school year the month belongs to."""
        return date(school_age.school_year(self.first), 9, 1)

    def previous(self):
        return Month(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)

    def next(self):
        return Month(self.year + (self.month == 12), 1 if self.month == 12 else self.month + 1)


class _Ages:
    """A child's stage (its grade, or its school age in the month's school year) and age band, decided
    in Python from its grade and the band of its birth date: the SQL only counts how many of the
    month's birth-date thresholds the child was born after, so a grouped scan carries one small integer."""

    def __init__(self, month, start_age):
        _e, self.primary_latest = school_age.birth_range_for_ages(start_age, None, month.first)
        _e, self.junior_latest = school_age.birth_range_for_ages(start_age + 6, None, month.first)
        self.earliest, self.latest = school_age.birth_range_for_ages(
            start_age, school_age.last_school_age(start_age), month.first
        )
        self.cohort_earliest, self.cohort_latest = school_age.birth_range_for_ages(
            start_age + 8, start_age + 8, month.first
        )
        day = timedelta(days=1)
        # Every test below is "born after t" for one of these t, so any day of a band answers for all of it.
        self.thresholds = sorted(
            {
                self.primary_latest,
                self.junior_latest,
                self.cohort_earliest - day,
                self.cohort_latest,
                self.earliest - day,
                self.latest,
            }
        )
        self.born = [self.thresholds[0]] + [t + day for t in self.thresholds]
        self.count = len(self.born)

    def band_sql(self):
        """SQL for the band of c.birth_on: how many thresholds it is after (0 … count - 1)."""
        tests = " ".join(
            f"WHEN c.birth_on > '{t.isoformat()}' THEN {i + 1}" for i, t in reversed(list(enumerate(self.thresholds)))
        )
        return f"CASE {tests} ELSE 0 END"

    def stage(self, grade, band):
        """'primary' / 'junior' by grade 1–6 / 7–9, else by school age; None for a child below it."""
        if grade is not None and 1 <= grade <= 6:
            return "primary"
        if grade is not None and 7 <= grade <= 9:
            return "junior"
        born = self.born[band]
        if born > self.primary_latest:
            return None
        return "primary" if born > self.junior_latest else "junior"

    def age(self, band):
        """The age band of a child of compulsory-education age: 'primary' (the ages of grades 1–6),
        'junior' (grades 7–8), 'cohort' (the age of grade 9, a junior age), or None outside those ages."""
        born = self.born[band]
        if self.cohort_earliest <= born <= self.cohort_latest:
            return "cohort"
        if self.earliest <= born <= self.latest:
            return "primary" if born > self.junior_latest else "junior"
        return None


DISABLED_SQL = "CASE WHEN c.disability_category IN ({}) THEN 1 ELSE 0 END".format(
    ", ".join(f"'{code}'" for code in THREE_DISABILITY_CATEGORIES)
)


def _existed_sql(month):
    """SQL for how early the child was registered: 3, 2, 1 as in WHENS, or 0 (after the month)."""
    return (
        f"CASE WHEN c.registered_on < '{month.year_start.isoformat()}' THEN 3 "
        f"WHEN c.registered_on < '{month.first.isoformat()}' THEN 2 "
        f"WHEN c.registered_on <= '{month.last.isoformat()}' THEN 1 ELSE 0 END"
    )


def compute(month, start_age=6):
    """{(unit kind, unit id): {stage: {sex: {figure: n}}}} for the month, every unit of the county.

    Children registered after the month are left out of it; call inside read_snapshot() so every
    query sees the same data."""
    if is_postgres():  # compiling the scans' expressions costs more than it saves at this size
        database.execute_sql("SET LOCAL jit = off")
    township_of = dict(database.execute_sql("SELECT id, township_id FROM village").fetchall())
    figures = Figures(township_of)
    figures.units.add(("county", 0))  # every unit gets a summary, even an empty one
    for kind, table in (("township", "township"), ("village", "village"), ("school", "school")):
        figures.units.update((kind, unit_id) for (unit_id,) in database.execute_sql(f"SELECT id FROM {table}"))
    ages, existed = _Ages(month, start_age), _existed_sql(month)
    since = month.year_start - timedelta(days=1)  # the roll the school year started with
    days = {"year": since, "start": month.first - timedelta(days=1), "end": month.last}
    # 1. Everyone as they are now.
    stocks = Stocks()
    _grouped_stocks(stocks, ages, existed)
    # 2. Those who changed since: take their present away, put their past in.
    changed = defaultdict(list)
    for child_id, on, old_village, old_school, old_status, new_village, new_school, new_status in database.execute_sql(
        "SELECT child_id, changed_on, old_village_id, old_school_id, old_status, new_village_id, new_school_id, "
        f"new_status FROM child_change WHERE changed_on > {database.param} ORDER BY changed_on, id",
        (since.isoformat(),),
    ):
        changed[child_id].append(
            Change(day_of(on), (old_village, old_school, old_status), (new_village, new_school, new_status))
        )
    people = _people(*among("c.id", changed), ages, existed)
    dropped = set()
    for child_id, person in people.items():
        history, now = changed[child_id], person["state"]
        past = {when: state_at(now, history, day) for when, day in days.items()}
        past["arrival"] = state_at(now, history, date.min)
        differs = [when for when in STATES if past[when] != now]  # the others would cancel out
        if differs:
            stocks.add(person["existed"], dict.fromkeys(STATES, now), person["child"], -1, differs)
            stocks.add(person["existed"], past, person["child"], 1, differs)
        for change in history:
            in_month = change.on >= month.first
            # Before the month a change counts only as the year's dropout.
            if person["existed"] and change.on <= month.last and (in_month or change.new[2] == "dropped_out"):
                flow(figures, child_id, change, person["child"], in_month, dropped)
    stocks.spread(figures)
    # 3. Who is still out at the month's end: their priority groups and reasons.
    out = _people("c.status = 'dropped_out'", (), ages, existed)
    out.update(people)
    for child_id, person in out.items():
        village, school, status = state_at(person["state"], changed.get(child_id, []), month.last)
        if status != "dropped_out" or not person["existed"]:
            continue
        units = figures.homes(village) + ([("school", school)] if school is not None else [])
        st, sex = person["child"][0], person["child"][1]
        for group in person["groups"]:
            figures.add(units, st, sex, f"out_{group}")
        if person["reason"]:
            figures.add(units, st, sex, f"reason_{person['reason']}")
    known = {child_id: (*person["state"][:2], *person["child"][:2]) for child_id, person in out.items()}
    place_events(figures, month, ages, changed, known)
    return figures.as_json()


# The grade as far as the figures tell grades apart: 1 and 9 (their own figures), 2–6, 7–8, or none of 1–9.
GRADE_SQL = (
    "CASE WHEN c.grade IN (1, 9) THEN c.grade WHEN c.grade BETWEEN 2 AND 6 THEN 2 "
    "WHEN c.grade BETWEEN 7 AND 8 THEN 7 ELSE 0 END"
)


def _grouped_stocks(stocks, ages, existed):
    """Every child's stocks as it is now, from one grouped scan of the child table.

    The birth band, grade, disability and registration are packed into one integer, the first key, so the
    scan groups on few, cheap keys (SQLite sorts on them; PostgreSQL hashes or sorts them)."""
    packed = f"{ages.band_sql()} + {ages.count} * ({GRADE_SQL} + 10 * ({DISABLED_SQL} + 2 * ({existed})))"
    kinds = {}
    for code, status, sex, village, school, n in database.execute_sql(
        f"SELECT {packed}, c.status, c.sex, c.village_id, c.school_id, COUNT(*) FROM child c GROUP BY 1, 2, 3, 4, 5"
    ):
        kind = kinds.get((code, sex))
        if kind is None:
            band, rest = code % ages.count, code // ages.count
            grade, rest = rest % 10 or None, rest // 10
            disabled, existed_by = rest % 2, rest // 2
            kind = kinds[code, sex] = (existed_by, (ages.stage(grade, band), sex, ages.age(band), disabled, grade))
        stocks.add(kind[0], dict.fromkeys(STATES, (village, school, status)), kind[1], n)


def _people(where, params, ages, existed):
    """{child id: {state, child (stage, sex, age, disabled, grade), existed, groups, reason}} for those matching;
    a child with several cases takes the reason of the latest."""
    people = {}
    for row in read_rows(
        f"SELECT c.id, c.village_id, c.school_id, c.status, {ages.band_sql()} AS band, c.sex, {existed} AS existed, "
        f"{DISABLED_SQL} AS disabled, c.grade, c.is_poor, c.is_left_behind, c.is_migrant, c.is_orphan, "
        "c.disability_category, d.reason FROM child c LEFT JOIN dropout_case d ON d.child_id = c.id "
        f"WHERE {where} ORDER BY d.id",
        params,
    ):
        groups = [
            name
            for name, flag in (
                ("poor", row["is_poor"]),
                ("left_behind", row["is_left_behind"]),
                ("migrant", row["is_migrant"]),
                ("orphan", row["is_orphan"]),
                ("disabled", row["disability_category"]),
            )
            if flag
        ]
        people[row["id"]] = {
            "state": (row["village_id"], row["school_id"], row["status"]),
            "child": (
                ages.stage(row["grade"], row["band"]),
                row["sex"],
                ages.age(row["band"]),
                row["disabled"],
                row["grade"],
            ),
            "existed": row["existed"],
            "groups": groups,
            "reason": row["reason"],
        }
    return people
