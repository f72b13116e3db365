"""What a child adds to a month's figures: its stocks on the days they are taken, the flows of its changes,
and the counters that add them up for every unit at once (figures.py reads the register for them)."""

from collections import Counter
from datetime import date
from typing import NamedTuple

# On a school's roll: a suspected dropout is still on it, a confirmed one is not.
ON_ROLL = frozenset(("enrolled", "returned", "suspected", "home_taught", "special_school"))
# In school for the enrolment rate (by residence): also studying outside the county, or finished early.
IN_SCHOOL = ON_ROLL | {"outside_county", "completed"}
# No longer a resident of the county.
GONE = frozenset(("moved_out", "deceased"))


def age_band(age):
    """The stage whose ages a child's age band falls in ('cohort' is a junior age)."""
    return "junior" if age == "cohort" else age


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


def stock(figures, when, state, child, n):
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
        figures.add(homes, age_band(age), sex, "population", n)  # by age band: their denominators
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


def flow(figures, child_id, change, child, in_month, dropped):
    """A change's part in the flows, for each unit whose roll the child left or joined.

    Changes earlier in the school year count only as the year's dropouts; `dropped` holds the
    (child, unit) pairs already counted there, so a child who drops out twice counts once."""
    stage, sex = child[0], child[1]
    old_units, new_units = roll_units(figures, *change.old), roll_units(figures, *change.new)
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


def roll_units(figures, village, school, status):
    if status not in ON_ROLL:
        return set()
    return set(figures.homes(village)) | ({("school", school)} if school is not None else set())


def state_at(current, changes, day):
    """(village, school, status) at the end of `day`, replaying the child's changes (in date order)."""
    for change in reversed(changes):
        if change.on <= day:
            return change.new
    return changes[0].old if changes else current


# The days whose state a month's figures need, and how long a child must have been registered to count:
# on the roll (registered_on, a county day) before the school year began (3), before the month began (2),
# by its end (1).
WHENS = (("year", 3), ("start", 2), ("end", 1))
NEEDED = dict(WHENS)


STATES = ("year", "start", "end", "arrival")


def stocks_of(figures, existed, states, child, n, whens=STATES):
    """A child's stock at each day it was registered by (states: {when: state}, only those in `whens`); one
    registered during the month arrives on the roll as a transfer in, so the month's balance holds."""
    for when, needed in WHENS:
        if existed >= needed and when in whens:
            stock(figures, when, states[when], child, n)
    if existed == 1 and "arrival" in whens:
        village, school, status = states["arrival"]
        for unit in roll_units(figures, village, school, status):
            figures.add([unit], child[0], child[1], "transfers_in", n)


HOME = ("home",)  # a kind's residence units, in a template


class Template(Figures):
    """Records what one kind of child adds, with its residence (HOME) and its school (('school', 0)) standing in."""

    def homes(self, village_id):
        return [HOME]


class Stocks:
    """Stock figures added up by village of residence and by school, spread over the units once at the end.

    What a kind of child (its state's status, a school or none, stage, sex, age band, disability, grade) adds on
    each day is worked out once, as a template; a group or a child then only multiplies it."""

    def __init__(self):
        self.templates, self.homes, self.schools = {}, Counter(), Counter()

    def add(self, existed, states, child, n, whens=STATES):
        """As stocks_of(figures, existed, states, child, n, whens)."""
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
            recorder = Template({})
            state = (None, None if no_school else 0, status)
            stocks_of(recorder, 1 if when == "arrival" else 3, {when: state}, child, 1, (when,))
            template = self.templates[kind] = list(recorder.totals().items())
        return template

    def spread(self, figures):
        """Add the sums to the figures of every unit they belong to."""
        for (village, stage, sex, key), n in self.homes.items():
            figures.add(figures.homes(village), stage, sex, key, n)
        for (school, stage, sex, key), n in self.schools.items():
            figures.add([("school", school)], stage, sex, key, n)
