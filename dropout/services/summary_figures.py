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
from typing import NamedTuple
from datetime import date, timedelta
import calendar
import json
import re

from ..choices import THREE_DISABILITY_CATEGORIES
from ..db import database, is_postgres
from ..rules import school_age

# On a school's roll: a suspected dropout is still on it, a confirmed one is not.
ON_ROLL = frozenset(("enrolled", "returned", "suspected", "home_taught", "special_school"))
# In school for the enrolment rate (by residence): also studying outside the county, or finished early.
IN_SCHOOL = ON_ROLL | {"outside_county", "completed"}
# No longer a resident of the county.
GONE = frozenset(("moved_out", "deceased"))


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


class _Ages:
    """A child's stage (its grade, or its school age in the month's school year) and age band, decided
    in Python from its grade and the band of its birth date: the SQL only counts how many of the
    month's birth-date thresholds the child was born after, so a grouped scan carries one small integer."""

    def __init__(self, month, start_age):
        _e, self.primary_latest = school_age.birth_range_for_ages(start_age, None, month.first)
        _e, self.junior_latest = school_age.birth_range_for_ages(start_age + 6, None, month.first)
        self.earliest, self.latest = school_age.birth_range_for_ages(
            start_age, school_age.last_school_age(start_age), month.first)
        self.cohort_earliest, self.cohort_latest = school_age.birth_range_for_ages(
            start_age + 8, start_age + 8, month.first)
        day = timedelta(days=1)
        # Every test below is "born after t" for one of these t, so any day of a band answers for all of it.
        self.thresholds = sorted({self.primary_latest, self.junior_latest, self.cohort_earliest - day,
                                  self.cohort_latest, self.earliest - day, self.latest})
        self.born = [self.thresholds[0]] + [t + day for t in self.thresholds]
        self.count = len(self.born)

    def band_sql(self):
        """SQL for the band of c.birth_on: how many thresholds it is after (0 … count - 1)."""
        tests = " ".join(f"WHEN c.birth_on > '{t.isoformat()}' THEN {i + 1}"
                         for i, t in reversed(list(enumerate(self.thresholds))))
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


def _age_band(age):
    """The stage whose ages a child's age band falls in ('cohort' is a junior age)."""
    return "junior" if age == "cohort" else age


DISABLED_SQL = "CASE WHEN c.disability_category IN ({}) THEN 1 ELSE 0 END".format(
    ", ".join(f"'{code}'" for code in THREE_DISABILITY_CATEGORIES))


class Figures:
    """Counts per unit, stage, sex and figure. A county's summary adds to them a few hundred thousand times,
    so each addition is kept as one count for all its units, spread over them once at the end."""

    def __init__(self, township_of_village):
        self.township_of = township_of_village
        self.units = set()
        self.pending = Counter()  # {(units, stage, sex, figure): n}, spread over the units once, in totals()

    def homes(self, village_id):
        """The residence units of a village: the county, its township, itself."""
        if village_id is None or village_id not in self.township_of:
            return [("county", 0)]
        return [("county", 0), ("township", self.township_of[village_id]), ("village", village_id)]

    def add(self, units, stage, sex, key, n=1):
        if stage is None or not n:
            return
        self.pending[tuple(units), stage, sex, key] += n

    def totals(self):
        """{(unit, stage, sex, figure): n}, every unit an addition named (its sum may be 0)."""
        counts = Counter()
        for (units, stage, sex, key), n in self.pending.items():
            for unit in units:
                counts[unit, stage, sex, key] += n
        return counts

    def as_json(self):
        """{(kind, id): {stage: {sex: {figure: n}}}}, zero counts (and cells left empty by them) left out, so
        the same figures always give the same JSON, however they were added up."""
        result = {unit: {} for unit in self.units}
        for (unit, stage, sex, key), n in self.totals().items():
            cells = result.setdefault(unit, {})
            if n:
                cells.setdefault(stage, {}).setdefault(sex, {})[key] = n
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


class Change(NamedTuple):
    """A recorded change of a child's (village, school, status), from `old` to `new`, on a day."""

    on: date
    old: tuple
    new: tuple


def _flow(figures, child_id, change, child, in_month, dropped):
    """A change's part in the flows, for each unit whose roll the child left or joined.

    Changes earlier in the school year count only as the year's dropouts; `dropped` holds the
    (child, unit) pairs already counted there, so a child who drops out twice counts once."""
    stage, sex = child[0], child[1]
    old_units, new_units = _roll_units(figures, *change.old), _roll_units(figures, *change.new)
    for unit in old_units - new_units:
        key = EXITS.get(change.new[2], "transfers_out")
        if key == "dropouts" and (child_id, unit) not in dropped:
            dropped.add((child_id, unit))
            figures.add([unit], stage, sex, "dropouts_year")
        if in_month:
            figures.add([unit], stage, sex, key)
    if in_month:
        for unit in new_units - old_units:
            key = "resumed" if change.old[2] in ("deferred", "dropped_out") else "transfers_in"
            figures.add([unit], stage, sex, key)


def _roll_units(figures, village, school, status):
    if status not in ON_ROLL:
        return set()
    return set(figures.homes(village)) | ({("school", school)} if school is not None else set())


def _state_at(current, changes, day):
    """(village, school, status) at the end of `day`, replaying the child's changes (in date order)."""
    for change in reversed(changes):
        if change.on <= day:
            return change.new
    return changes[0].old if changes else current


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
NEEDED = dict(WHENS)


def _existed_sql(month):
    """SQL for how early the child was registered: 3, 2, 1 as in WHENS, or 0 (after the month)."""
    return (f"CASE WHEN c.registered_on < '{month.year_start.isoformat()}' THEN 3 "
            f"WHEN c.registered_on < '{month.first.isoformat()}' THEN 2 "
            f"WHEN c.registered_on <= '{month.last.isoformat()}' THEN 1 ELSE 0 END")


STATES = ("year", "start", "end", "arrival")


def _stocks(figures, existed, states, child, n, whens=STATES):
    """A child's stock at each day it was registered by (states: {when: state}, only those in `whens`); one
    registered during the month arrives on the roll as a transfer in, so the month's balance holds."""
    for when, needed in WHENS:
        if existed >= needed and when in whens:
            _stock(figures, when, states[when], child, n)
    if existed == 1 and "arrival" in whens:
        village, school, status = states["arrival"]
        for unit in _roll_units(figures, village, school, status):
            figures.add([unit], child[0], child[1], "transfers_in", n)


def _among(column, ids):
    """SQL and parameters for `column` among `ids`, looked up through the index on either database
    (PostgreSQL plans an IN over a hundredth of the children as a scan of the whole child table)."""
    if not ids:
        return "1 = 0", ()
    if is_postgres():
        return f"{column} = ANY({database.param})", (sorted(ids),)
    return f"{column} IN (SELECT value FROM json_each({database.param}))", (json.dumps(sorted(ids)),)


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
    stocks = _Stocks()
    _grouped_stocks(stocks, ages, existed)
    # 2. Those who changed since: take their present away, put their past in.
    changed = defaultdict(list)
    for child_id, on, old_village, old_school, old_status, new_village, new_school, new_status in database.execute_sql(
            "SELECT child_id, changed_on, old_village_id, old_school_id, old_status, new_village_id, new_school_id, "
            f"new_status FROM child_change WHERE changed_on > {database.param} ORDER BY changed_on, id",
            (since.isoformat(),)):
        changed[child_id].append(Change(_day(on), (old_village, old_school, old_status),
                                        (new_village, new_school, new_status)))
    people = _people(*_among("c.id", changed), ages, existed)
    dropped = set()
    for child_id, person in people.items():
        history, now = changed[child_id], person["state"]
        past = {when: _state_at(now, history, day) for when, day in days.items()}
        past["arrival"] = _state_at(now, history, date.min)
        differs = [when for when in STATES if past[when] != now]  # the others would cancel out
        if differs:
            stocks.add(person["existed"], dict.fromkeys(STATES, now), person["child"], -1, differs)
            stocks.add(person["existed"], past, person["child"], 1, differs)
        for change in history:
            in_month = change.on >= month.first
            # Before the month a change counts only as the year's dropout.
            if person["existed"] and change.on <= month.last and (in_month or change.new[2] == "dropped_out"):
                _flow(figures, child_id, change, person["child"], in_month, dropped)
    stocks.spread(figures)
    # 3. Who is still out at the month's end: their priority groups and reasons.
    out = _people("c.status = 'dropped_out'", (), ages, existed)
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
    known = {child_id: (*person["state"][:2], *person["child"][:2]) for child_id, person in out.items()}
    _events(figures, month, ages, changed, known)
    return figures.as_json()


HOME = ("home",)  # a kind's residence units, in a template


class _Template(Figures):
    """Records what one kind of child adds, with its residence (HOME) and its school (('school', 0)) standing in."""

    def homes(self, village_id):
        return [HOME]


class _Stocks:
    """Stock figures added up by village of residence and by school, spread over the units once at the end.

    What a kind of child (its state's status, a school or none, stage, sex, age band, disability, grade) adds on
    each day is worked out once, as a template; a group or a child then only multiplies it."""

    def __init__(self):
        self.templates, self.homes, self.schools = {}, Counter(), Counter()

    def add(self, existed, states, child, n, whens=STATES):
        """As _stocks(figures, existed, states, child, n, whens)."""
        for when in whens:
            if existed == 1 if when == "arrival" else existed >= NEEDED[when]:
                village, school, status = states[when]
                for (unit, stage, sex, key), k in self._template(when, status, school is None, child):
                    if unit is HOME:
                        self.homes[village, stage, sex, key] += k * n
                    else:
                        self.schools[school, stage, sex, key] += k * n

    def _template(self, when, status, no_school, child):
        kind = (when, status, no_school, child)
        template = self.templates.get(kind)
        if template is None:
            recorder = _Template({})
            state = (None, None if no_school else 0, status)
            _stocks(recorder, 1 if when == "arrival" else 3, {when: state}, child, 1, (when,))
            template = self.templates[kind] = list(recorder.totals().items())
        return template

    def spread(self, figures):
        """Add the sums to the figures of every unit they belong to."""
        for (village, stage, sex, key), n in self.homes.items():
            figures.add(figures.homes(village), stage, sex, key, n)
        for (school, stage, sex, key), n in self.schools.items():
            figures.add([("school", school)], stage, sex, key, n)


# The grade as far as the figures tell grades apart: 1 and 9 (their own figures), 2–6, 7–8, or none of 1–9.
GRADE_SQL = ("CASE WHEN c.grade IN (1, 9) THEN c.grade WHEN c.grade BETWEEN 2 AND 6 THEN 2 "
             "WHEN c.grade BETWEEN 7 AND 8 THEN 7 ELSE 0 END")


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
    for row in _rows(
        f"SELECT c.id, c.village_id, c.school_id, c.status, {ages.band_sql()} AS band, c.sex, {existed} AS existed, "
        f"{DISABLED_SQL} AS disabled, c.grade, c.is_poor, c.is_left_behind, c.is_migrant, c.is_orphan, "
        "c.disability_category, d.reason FROM child c LEFT JOIN dropout_case d ON d.child_id = c.id "
        f"WHERE {where} ORDER BY d.id", params
    ):
        groups = [name for name, flag in (("poor", row["is_poor"]), ("left_behind", row["is_left_behind"]),
                                          ("migrant", row["is_migrant"]), ("orphan", row["is_orphan"]),
                                          ("disabled", row["disability_category"])) if flag]
        people[row["id"]] = {
            "state": (row["village_id"], row["school_id"], row["status"]),
            "child": (ages.stage(row["grade"], row["band"]), row["sex"], ages.age(row["band"]), row["disabled"],
                      row["grade"]),
            "existed": row["existed"], "groups": groups, "reason": row["reason"],
        }
    return people


EVENT_FIGURES = {"opened": "new_suspected", "left_again": "new_suspected", "confirmed": "new_confirmed"}


class _Places:
    """Where a child was on an event's day: the child's village and school now, unless the child's
    village, school or status changed since the school year began (`changed`), when its history is
    replayed to the end of that day. `children`: {id: (village, school, stage, sex)} as they are now.
    The events of children who did not change are summed by place, and spread over the units at the end."""

    def __init__(self, figures, changed, children):
        self.figures, self.changed, self.children = figures, changed, children
        self.sums = Counter()

    def units(self, child_id, day):
        village, school, _stage, _sex = self.children[child_id]
        if child_id in self.changed:
            village, school, _status = _state_at((village, school, None), self.changed[child_id], _day(day))
        return self.figures.homes(village) + ([("school", school)] if school is not None else [])

    def add(self, child_id, day, key, n=1):
        if child_id in self.changed:
            _village, _school, stage, sex = self.children[child_id]
            self.figures.add(self.units(child_id, day), stage, sex, key, n)
        else:
            self.sums[self.children[child_id], key] += n

    def spread(self):
        """Add the sums of the children who did not change to their units' figures."""
        for ((village, school, stage, sex), key), n in self.sums.items():
            units = self.figures.homes(village) + ([("school", school)] if school is not None else [])
            self.figures.add(units, stage, sex, key, n)


def _events(figures, month, ages, changed, known):
    """The month's case events, visits, notices and measures, each where the child was on its day.

    The events are read by child and day without the child table; the children they concern are then
    read by id (those in `known`, {id: (village, school, stage, sex)}, already are)."""
    p = database.param
    first, last, year_start = month.first.isoformat(), month.last.isoformat(), month.year_start.isoformat()
    cases = "JOIN dropout_case d ON d.id = {}.case_id"
    events = _rows(
        "SELECT d.child_id, e.kind, e.happened_on AS day, e.data FROM case_event e " + cases.format("e")
        + f" WHERE e.kind IN ('opened', 'left_again', 'confirmed', 'returned') AND e.happened_on BETWEEN {p} AND {p}",
        (first, last),
    )
    grouped = (
        ("returned_year", "case_event e " + cases.format("e"), "d", "e.happened_on", "e.kind = 'returned'",
         (year_start, (month.first - timedelta(days=1)).isoformat())),  # this month's come with the events
        ("visits", "home_visit v", "v", "v.visited_on", "NOT v.is_teaching", (first, last)),
        ("children_visited", "home_visit v", "v", "v.visited_on", "NOT v.is_teaching AND NOT v.is_followup",
         (first, last)),
        ("teaching_visits", "home_visit v", "v", "v.visited_on", "v.is_teaching", (first, last)),
        ("notices_issued", "return_notice n " + cases.format("n"), "d", "n.issued_on", "n.version = 1", (first, last)),
        ("notices_served", "return_notice n " + cases.format("n"), "d", "n.served_on", "n.served_on IS NOT NULL",
         (first, last)),
        ("measures", "escalation x " + cases.format("x"), "d", "x.decided_on", "x.decided_on IS NOT NULL", (first, last)),
    )
    counted = {key: _rows(f"SELECT {child}.child_id, {day} AS day, COUNT(*) AS n FROM {tables} "
                          f"WHERE {where} AND {day} BETWEEN {p} AND {p} GROUP BY 1, 2", between)
               for key, tables, child, day, where, between in grouped}
    counted["notices_overdue"] = _rows(
        "SELECT d.child_id, n.deadline_on AS day, COUNT(*) AS n FROM return_notice n " + cases.format("n")
        + f" WHERE n.status = 'overdue' AND n.deadline_on <= {p} GROUP BY 1, 2", (last,))
    wanted = {row["child_id"] for rows in (events, *counted.values()) for row in rows} - known.keys()
    children = dict(known)
    where, params = _among("c.id", wanted)
    for row in _rows(f"SELECT c.id, c.village_id, c.school_id, {ages.band_sql()} AS band, c.grade, c.sex "
                     f"FROM child c WHERE {where}", params):
        children[row["id"]] = (row["village_id"], row["school_id"], ages.stage(row["grade"], row["band"]), row["sex"])
    places = _Places(figures, changed, children)
    for row in events:
        child_id, day = row["child_id"], row["day"]
        if row["kind"] == "returned":
            places.add(child_id, day, "returned_year")  # the month is part of its school year
            places.add(child_id, day, "returned")
            places.add(child_id, day, f"placement_{json.loads(row['data'] or '{}').get('placement') or 'unknown'}")
        else:
            places.add(child_id, day, EVENT_FIGURES[row["kind"]])
    visited = defaultdict(set)  # a child visited on several days counts once in each unit it was visited in
    for key, rows in counted.items():
        for row in rows:
            if key == "children_visited":
                visited[row["child_id"]].update(places.units(row["child_id"], row["day"]))
            else:
                places.add(row["child_id"], row["day"], key, row["n"])
    for child_id, units in visited.items():
        _village, _school, stage, sex = children[child_id]
        figures.add(sorted(units), stage, sex, "children_visited")
    places.spread()
