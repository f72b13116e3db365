"""A month's figures for every unit of the county (county, townships, villages, schools) at once.

A few grouped queries over the whole county, then the units are filled in Python:

- the children as they are now, grouped (one scan of the child table);
- the children whose status, school or village changed since the school year began
  (child_change, kept by a trigger), replayed to their state on the month's first and last days;
- the month's case events, visits, notices and measures, grouped.

Townships and villages count children by residence; a school counts its own pupils. Every figure
is split by stage (primary / junior: the grade, or the age for a child out of school) and sex.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
import calendar
import json
import re

from ..db import database
from ..rules import school_age

# On a school's roll: a suspected dropout is still on it, a confirmed one is not.
ON_ROLL = frozenset(("enrolled", "returned", "suspected", "home_taught", "special_school"))
# In school for the enrolment rate (by residence): also studying outside the county, or finished early.
IN_SCHOOL = ON_ROLL | {"outside_county", "completed"}
# No longer a resident of the county.
GONE = frozenset(("moved_out", "deceased"))
THREE_DISABILITIES = ("visual", "hearing", "speech", "intellectual")


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


def _stage_sql(month, start_age):
    """SQL for a child's stage: its grade, or its school age in the month's school year."""
    _e, primary_latest = school_age.birth_range_for_ages(start_age, None, month.first)
    _e, junior_latest = school_age.birth_range_for_ages(start_age + 6, None, month.first)
    return (
        "CASE WHEN c.grade BETWEEN 1 AND 6 THEN 'primary' WHEN c.grade BETWEEN 7 AND 9 THEN 'junior' "
        f"WHEN c.birth_on > '{primary_latest.isoformat()}' THEN NULL "
        f"WHEN c.birth_on > '{junior_latest.isoformat()}' THEN 'primary' ELSE 'junior' END"
    )


def _age_sql(month, start_age):
    """SQL for the age band of a child of compulsory-education age: 'primary' (the ages of grades 1–6),
    'junior' (grades 7–8), 'cohort' (the age of grade 9, a junior age), or NULL outside those ages."""
    earliest, latest = school_age.birth_range_for_ages(start_age, school_age.last_school_age(start_age), month.first)
    cohort_earliest, cohort_latest = school_age.birth_range_for_ages(start_age + 8, start_age + 8, month.first)
    _e, primary_latest = school_age.birth_range_for_ages(start_age + 6, None, month.first)
    return (
        f"CASE WHEN c.birth_on BETWEEN '{cohort_earliest.isoformat()}' AND '{cohort_latest.isoformat()}' THEN 'cohort' "
        f"WHEN c.birth_on BETWEEN '{earliest.isoformat()}' AND '{latest.isoformat()}' THEN "
        f"CASE WHEN c.birth_on > '{primary_latest.isoformat()}' THEN 'primary' ELSE 'junior' END END"
    )


def _age_band(age):
    """The stage whose ages a child's age band falls in ('cohort' is a junior age)."""
    return "junior" if age == "cohort" else age


DISABLED_SQL = "CASE WHEN c.disability_category IN ({}) THEN 1 ELSE 0 END".format(
    ", ".join(f"'{code}'" for code in THREE_DISABILITIES))


class Figures:
    """Counters per unit, stage and sex: {(kind, id): {stage: {sex: Counter}}}."""

    def __init__(self, township_of_village):
        self.township_of = township_of_village
        self.cells = defaultdict(lambda: defaultdict(lambda: defaultdict(Counter)))

    def homes(self, village_id):
        """The residence units of a village: the county, its township, itself."""
        if village_id is None or village_id not in self.township_of:
            return [("county", 0)]
        return [("county", 0), ("township", self.township_of[village_id]), ("village", village_id)]

    def add(self, units, stage, sex, key, n=1):
        if stage is None or not n:
            return
        for unit in units:
            self.cells[unit][stage][sex][key] += n

    def as_json(self):
        """{(kind, id): cells as plain dicts}, zero counts (and cells left empty by them) left out, so the
        same figures always give the same JSON, however they were added up."""
        result = {}
        for unit, stages in self.cells.items():
            result[unit] = {}
            for stage, by_sex in stages.items():
                sexes = {sex: {k: v for k, v in counter.items() if v} for sex, counter in by_sex.items()}
                sexes = {sex: counts for sex, counts in sexes.items() if counts}
                if sexes:
                    result[unit][stage] = sexes
        return result


def _stock(figures, when, state, child, n):
    """What a child in `state` (village, school, status) adds to the stock figures `when` ('start', 'end', 'year')."""
    village, school, status = state
    stage, sex, age, disabled, grade = child
    homes = figures.homes(village)
    at_school = [("school", school)] if school is not None else []
    if status in ON_ROLL:
        key = {"start": "students_start", "end": "students_end", "year": "students_year"}[when]
        figures.add(homes + at_school, stage, sex, key, n)
        if when == "end" and grade in (1, 9):  # grade 1: a later year's retention takes its intake from here
            figures.add(homes + at_school, stage, sex, f"grade{grade}", n)
    if when != "end":
        return
    if status in IN_SCHOOL:
        figures.add(homes, stage, sex, "in_school", n)  # any age: the numerator of the gross rates
    if age is not None and status not in GONE:
        figures.add(homes, _age_band(age), sex, "population", n)  # by age band: their denominators
        figures.add(homes, stage, sex, "school_age", n)
        if status in IN_SCHOOL:
            figures.add(homes, stage, sex, "enrolled", n)
        if disabled:
            figures.add(homes, stage, sex, "disabled", n)
            if status in IN_SCHOOL:
                figures.add(homes, stage, sex, "disabled_enrolled", n)
        if age == "cohort":
            figures.add(homes, stage, sex, "cohort", n)
    if status == "dropped_out":
        figures.add(homes + at_school, stage, sex, "still_out", n)
    elif status == "suspected":
        figures.add(homes + at_school, stage, sex, "suspected_open", n)


EXITS = {"deceased": "deaths", "deferred": "suspended", "dropped_out": "dropouts", "completed": "completed"}


def _flow(figures, change, child, in_month, dropped):
    """A change's part in the flows, for each unit whose roll the child left or joined.

    Changes earlier in the school year count only as the year's dropouts; `dropped` holds the
    (child, unit) pairs already counted there, so a child who drops out twice counts once."""
    stage, sex = child[0], child[1]
    old_units = _roll_units(figures, change["old_village_id"], change["old_school_id"], change["old_status"])
    new_units = _roll_units(figures, change["new_village_id"], change["new_school_id"], change["new_status"])
    for unit in old_units - new_units:
        key = EXITS.get(change["new_status"], "transfers_out")
        if key == "dropouts" and (change["child_id"], unit) not in dropped:
            dropped.add((change["child_id"], unit))
            figures.add([unit], stage, sex, "dropouts_year")
        if in_month:
            figures.add([unit], stage, sex, key)
    if in_month:
        for unit in new_units - old_units:
            key = "resumed" if change["old_status"] in ("deferred", "dropped_out") else "transfers_in"
            figures.add([unit], stage, sex, key)


def _roll_units(figures, village, school, status):
    if status not in ON_ROLL:
        return set()
    return set(figures.homes(village)) | ({("school", school)} if school is not None else set())


def _state_at(current, changes, day):
    """(village, school, status) at the end of `day`, replaying the child's changes by date."""
    before = [c for c in changes if c["changed_on"] <= day]
    if before:
        last = before[-1]
        return last["new_village_id"], last["new_school_id"], last["new_status"]
    if changes:
        first = changes[0]
        return first["old_village_id"], first["old_school_id"], first["old_status"]
    return current


def _rows(sql, params=()):
    cursor = database.execute_sql(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _day(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# The days whose state a month's figures need, and how long a child must have been registered to count:
# on the roll (registered_on, a county day) before the school year began (3), before the month began (2),
# by its end (1).
WHENS = (("year", 3), ("start", 2), ("end", 1))


def _existed_sql(month):
    """SQL for how early the child was registered: 3, 2, 1 as in WHENS, or 0 (after the month)."""
    return (f"CASE WHEN c.registered_on < '{month.year_start.isoformat()}' THEN 3 "
            f"WHEN c.registered_on < '{month.first.isoformat()}' THEN 2 "
            f"WHEN c.registered_on <= '{month.last.isoformat()}' THEN 1 ELSE 0 END")


def _stocks(figures, existed, states, child, n):
    """A child's stock at each day it was registered by (states: {when: state}); one registered during
    the month arrives on the roll as a transfer in, so the month's balance holds."""
    for when, needed in WHENS:
        if existed >= needed:
            _stock(figures, when, states[when], child, n)
    if existed == 1:
        village, school, status = states["arrival"]
        for unit in _roll_units(figures, village, school, status):
            figures.add([unit], child[0], child[1], "transfers_in", n)


def compute(month, start_age=6):
    """{(unit kind, unit id): {stage: {sex: {figure: n}}}} for the month, every unit of the county.

    Children registered after the month are left out of it; call inside read_snapshot() so every
    query sees the same data."""
    township_of = dict(database.execute_sql("SELECT id, township_id FROM village").fetchall())
    figures = Figures(township_of)
    for kind, table in (("township", "township"), ("village", "village"), ("school", "school")):
        for (unit_id,) in database.execute_sql(f"SELECT id FROM {table}").fetchall():
            figures.cells[(kind, unit_id)]  # every unit gets a summary, even an empty one
    figures.cells[("county", 0)]
    stage, age, existed = _stage_sql(month, start_age), _age_sql(month, start_age), _existed_sql(month)
    since = month.year_start - timedelta(days=1)  # the roll the school year started with
    days = {"year": since, "start": month.first - timedelta(days=1), "end": month.last}
    # 1. Everyone as they are now.
    for row in database.execute_sql(
        f"SELECT c.village_id, c.school_id, c.status, {stage}, c.sex, {age}, {DISABLED_SQL}, c.grade, {existed}, "
        "COUNT(*) FROM child c GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
    ).fetchall():
        state = row[0:3]
        _stocks(figures, row[8], dict.fromkeys(("year", "start", "end", "arrival"), state), row[3:8], row[9])
    # 2. Those who changed since: take their present away, put their past in.
    changed = defaultdict(list)
    for change in _rows(f"SELECT * FROM child_change WHERE changed_on > {database.param} ORDER BY changed_on, id",
                        (since.isoformat(),)):
        change["changed_on"] = _day(change["changed_on"])
        changed[change["child_id"]].append(change)
    people = _people(f"c.id IN (SELECT child_id FROM child_change WHERE changed_on > {database.param})",
                     (since.isoformat(),), stage, age, existed)
    dropped = set()
    for child_id, person in people.items():
        history, now = changed[child_id], person["state"]
        _stocks(figures, person["existed"], dict.fromkeys(("year", "start", "end", "arrival"), now), person["child"], -1)
        past = {when: _state_at(now, history, day) for when, day in days.items()}
        past["arrival"] = _state_at(now, history, date.min)
        _stocks(figures, person["existed"], past, person["child"], 1)
        for change in history:
            if person["existed"] and change["changed_on"] <= month.last:
                _flow(figures, change, person["child"], change["changed_on"] >= month.first, dropped)
    # 3. Who is still out at the month's end: their priority groups and reasons.
    out = _people("c.status = 'dropped_out'", (), stage, age, existed)
    out.update(people)
    for child_id, person in out.items():
        village, school, status = _state_at(person["state"], changed.get(child_id, []), month.last)
        if status != "dropped_out" or not person["existed"]:
            continue
        units = figures.homes(village) + ([("school", school)] if school is not None else [])
        st, sex = person["child"][0], person["child"][1]
        for group in person["groups"]:
            figures.add(units, st, sex, f"out_{group}")
        if person["reason"]:
            figures.add(units, st, sex, f"reason_{person['reason']}")
    _events(figures, month, stage, since, changed)
    return figures.as_json()


def _people(where, params, stage, age, existed):
    """{child id: {state, child (stage, sex, age, disabled, grade), existed, groups, reason}} for those matching."""
    people = {}
    for row in _rows(
        f"SELECT c.id, c.village_id, c.school_id, c.status, {stage} AS stage, c.sex, {age} AS age, {existed} AS existed, "
        f"{DISABLED_SQL} AS disabled, c.grade, c.is_poor, c.is_left_behind, c.is_migrant, c.is_orphan, "
        "c.disability_category, d.reason FROM child c LEFT JOIN dropout_case d ON d.child_id = c.id "
        f"WHERE {where}", params
    ):
        groups = [name for name, flag in (("poor", row["is_poor"]), ("left_behind", row["is_left_behind"]),
                                          ("migrant", row["is_migrant"]), ("orphan", row["is_orphan"]),
                                          ("disabled", row["disability_category"])) if flag]
        people[row["id"]] = {
            "state": (row["village_id"], row["school_id"], row["status"]),
            "child": (row["stage"], row["sex"], row["age"], row["disabled"], row["grade"]),
            "existed": row["existed"], "groups": groups, "reason": row["reason"],
        }
    return people


EVENT_FIGURES = {"opened": "new_suspected", "left_again": "new_suspected", "confirmed": "new_confirmed"}


class _Places:
    """Where a child was on an event's day: the child's village and school now, unless the child's
    village, school or status changed since the school year began (`changed`), when its history is
    replayed to the end of that day."""

    def __init__(self, figures, changed):
        self.figures, self.changed = figures, changed

    def units(self, row):
        village, school = row["village_id"], row["school_id"]
        if row["moved_id"] is not None:
            village, school, _status = _state_at((village, school, None), self.changed[row["moved_id"]],
                                                 _day(row["moved_on"]))
        return self.figures.homes(village) + ([("school", school)] if school is not None else [])

    def add(self, row, key, n=1):
        self.figures.add(self.units(row), row["stage"], row["sex"], key, n)


def _events(figures, month, stage, since, changed):
    """The month's case events, visits, notices and measures, each where the child was on its day.

    Children whose place did not change since the school year began are grouped by their place now;
    the others come one row per child and day (moved_id, moved_on), to be placed by their history."""
    p = database.param
    first, last, year_start = month.first.isoformat(), month.last.isoformat(), month.year_start.isoformat()
    places = _Places(figures, changed)
    moved = f"c.id IN (SELECT child_id FROM child_change WHERE changed_on > '{since.isoformat()}')"

    def child_cols(day):
        return (f"c.village_id, c.school_id, {stage} AS stage, c.sex, CASE WHEN {moved} THEN c.id END AS moved_id, "
                f"CASE WHEN {moved} THEN {day} END AS moved_on")

    for row in _rows(
        f"SELECT {child_cols('e.happened_on')}, e.kind, e.happened_on, e.data FROM case_event e "
        "JOIN dropout_case d ON d.id = e.case_id JOIN child c ON c.id = d.child_id "
        f"WHERE e.kind IN ('opened', 'left_again', 'confirmed', 'returned') AND e.happened_on BETWEEN {p} AND {p}",
        (min(first, year_start), last),
    ):
        in_month = str(row["happened_on"])[:10] >= first
        if row["kind"] == "returned":
            if str(row["happened_on"])[:10] >= year_start:
                places.add(row, "returned_year")
            if in_month:
                places.add(row, "returned")
                places.add(row, f"placement_{json.loads(row['data'] or '{}').get('placement') or 'unknown'}")
        elif in_month:
            places.add(row, EVENT_FIGURES[row["kind"]])
    visits = "home_visit v JOIN child c ON c.id = v.child_id"
    cases = "JOIN dropout_case d ON d.id = {}.case_id JOIN child c ON c.id = d.child_id"
    grouped = (
        ("visits", visits, "v.visited_on", "NOT v.is_teaching"),
        ("children_visited", visits, "v.visited_on", "NOT v.is_teaching AND NOT v.is_followup"),
        ("teaching_visits", visits, "v.visited_on", "v.is_teaching"),
        ("notices_issued", "return_notice n " + cases.format("n"), "n.issued_on", "n.version = 1"),
        ("notices_served", "return_notice n " + cases.format("n"), "n.served_on", "n.served_on IS NOT NULL"),
        ("measures", "escalation x " + cases.format("x"), "x.decided_on", "x.decided_on IS NOT NULL"),
    )
    for key, tables, day, where in grouped:
        distinct = key == "children_visited"
        counted = "COUNT(DISTINCT v.child_id)" if distinct else "COUNT(*)"
        rows = _rows(f"SELECT {child_cols(day)}, {counted} AS n FROM {tables} "
                     f"WHERE {where} AND {day} BETWEEN {p} AND {p} GROUP BY 1, 2, 3, 4, 5, 6", (first, last))
        seen = set()  # a child visited on several days counts once in each unit it was visited in
        for row in rows:
            if distinct and row["moved_id"] is not None:
                units = [u for u in places.units(row) if (row["moved_id"], u) not in seen]
                seen.update((row["moved_id"], u) for u in units)
                figures.add(units, row["stage"], row["sex"], key)
            else:
                places.add(row, key, row["n"])
    for row in _rows(
        f"SELECT {child_cols('n.deadline_on')}, COUNT(*) AS n FROM return_notice n " + cases.format("n")
        + f" WHERE n.status = 'overdue' AND n.deadline_on <= {p} GROUP BY 1, 2, 3, 4, 5, 6",
        (last,),
    ):
        places.add(row, "notices_overdue", row["n"])
