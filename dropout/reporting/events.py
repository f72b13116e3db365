"""The month's case events, visits, notices and measures, each counted where the child was on its day."""

import json
from collections import Counter, defaultdict
from datetime import timedelta

from ..db import database
from .reads import among, day_of, read_rows
from .tally import state_at

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
            village, school, _status = state_at((village, school, None), self.changed[child_id], day_of(day))
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


def place_events(figures, month, ages, changed, known):
    """The month's case events, visits, notices and measures, each where the child was on its day.

    The events are read by child and day without the child table; the children they concern are then
    read by id (those in `known`, {id: (village, school, stage, sex)}, already are)."""
    p = database.param
    first, last, year_start = month.first.isoformat(), month.last.isoformat(), month.year_start.isoformat()
    cases = "JOIN dropout_case d ON d.id = {}.case_id"
    events = read_rows(
        "SELECT d.child_id, e.kind, e.happened_on AS day, e.data FROM case_event e "
        + cases.format("e")
        + f" WHERE e.kind IN ('opened', 'left_again', 'confirmed', 'returned') AND e.happened_on BETWEEN {p} AND {p}",
        (first, last),
    )
    grouped = (
        (
            "returned_year",
            "case_event e " + cases.format("e"),
            "d",
            "e.happened_on",
            "e.kind = 'returned'",
            (year_start, (month.first - timedelta(days=1)).isoformat()),
        ),  # this month's come with the events
        ("visits", "home_visit v", "v", "v.visited_on", "NOT v.is_teaching", (first, last)),
        (
            "children_visited",
            "home_visit v",
            "v",
            "v.visited_on",
            "NOT v.is_teaching AND NOT v.is_followup",
            (first, last),
        ),
        ("teaching_visits", "home_visit v", "v", "v.visited_on", "v.is_teaching", (first, last)),
        ("notices_issued", "return_notice n " + cases.format("n"), "d", "n.issued_on", "n.version = 1", (first, last)),
        (
            "notices_served",
            "return_notice n " + cases.format("n"),
            "d",
            "n.served_on",
            "n.served_on IS NOT NULL",
            (first, last),
        ),
        (
            "measures",
            "escalation x " + cases.format("x"),
            "d",
            "x.decided_on",
            "x.decided_on IS NOT NULL",
            (first, last),
        ),
    )
    counted = {
        key: read_rows(
            f"SELECT {child}.child_id, {day} AS day, COUNT(*) AS n FROM {tables} "
            f"WHERE {where} AND {day} BETWEEN {p} AND {p} GROUP BY 1, 2",
            between,
        )
        for key, tables, child, day, where, between in grouped
    }
    counted["notices_overdue"] = read_rows(
        "SELECT d.child_id, n.deadline_on AS day, COUNT(*) AS n FROM return_notice n "
        + cases.format("n")
        + f" WHERE n.status = 'overdue' AND n.deadline_on <= {p} GROUP BY 1, 2",
        (last,),
    )
    wanted = {row["child_id"] for rows in (events, *counted.values()) for row in rows} - known.keys()
    children = dict(known)
    where, params = among("c.id", wanted)
    for row in read_rows(
        f"SELECT c.id, c.village_id, c.school_id, {ages.band_sql()} AS band, c.grade, c.sex FROM child c WHERE {where}",
        params,
    ):
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
