"""A month's figures do not move after the month: flows count where the child was on each event's day,
stocks as the register stood on the month's last day, so later moves, deaths, new children and edits
leave a regenerated month exactly as it was (a hypothesis property, on SQLite and PostgreSQL)."""

import json
from datetime import date, timedelta

from conftest import child_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_summaries import OCTOBER, PRIMARY_AGE
from test_summaries import county as october_county  # noqa: F401  (a fixture)

from dropout.casework import cases
from dropout.casework.settings import CaseSettings
from dropout.children import records as children
from dropout.db import database
from dropout.models import Child, HomeVisit, MonthlySummary
from dropout.reporting import summaries
from dropout.reporting.figures import Month
from dropout.rules.indicators import total

NOVEMBER = Month(2026, 11)
TODAY = date(2026, 12, 3)


def test_a_childs_events_stay_where_they_happened_after_the_family_moves(
    app, make_township, make_village, make_school, make_child, make_user
):
    """Reported absent on 4 November, confirmed on the 5th, visited on the 6th in 东山村; the family moves to
    西河村 (another township) on 2 December; November, generated on 3 December, counts it all in 东山镇."""
    east, west = make_township("东山镇"), make_township("西河乡")
    east_village, west_village = make_village(east, "东山村"), make_village(west, "西河村")
    school = make_school(east)
    admin, case_settings = make_user("admin"), CaseSettings()
    child = make_child(east_village, school, PRIMARY_AGE, grade=4, registered_on=date(2025, 6, 1))
    with database.connection_context():
        case = cases.open_case(admin, child, date(2026, 11, 4), case_settings, TODAY)
        cases.confirm(admin, case, "work", "", date(2026, 11, 5), case_settings, TODAY)
        HomeVisit.create(
            case=case,
            child=child,
            user=admin,
            visited_on=date(2026, 11, 6),
            method="home",
            met="guardian",
            outcome="refused",
        )
        moved = Child.get_by_id(child.id)
        children.save_child(
            admin,
            child_form(moved, village=str(west_village.id), school="", changed_on="2026-12-02"),
            moved,
            today=TODAY,
        )
        summaries.generate_month(NOVEMBER)
        here, there = (summaries.figures_of(NOVEMBER, "township", t.id) for t in (east, west))
    keys = ("new_suspected", "new_confirmed", "visits", "children_visited", "dropouts", "still_out", "reason_work")
    assert [total(here, key) for key in keys] == [1, 1, 1, 1, 1, 1, 1]
    assert [total(there, key) for key in keys] == [0] * len(keys)


# The later changes hypothesis draws: (kind, which child or place, days after 31 October).
CHANGES = st.lists(
    st.tuples(
        st.sampled_from(("village", "school", "status", "deceased", "new", "name")),
        st.integers(min_value=0, max_value=50),
        st.integers(min_value=1, max_value=(TODAY - OCTOBER.last).days),
    ),
    min_size=1,
    max_size=8,
)
STATUSES = ("enrolled", "dropped_out", "moved_out", "outside_county", "special_school", "home_taught", "deferred")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES)
def test_later_changes_leave_a_regenerated_month_as_it_was(october_county, changes):  # noqa: F811 (fixture)
    with database.connection_context():
        summaries.generate_month(OCTOBER)
        before = _frozen(OCTOBER)
        try:
            with database.atomic():  # each example's changes are rolled back after it
                _apply(october_county, changes)
                summaries.generate_month(OCTOBER)  # what `summaries --month 2026-10 --force` does
                after = _frozen(OCTOBER)
                raise _Undo()
        except _Undo:
            pass
    assert after == before


class _Undo(Exception):
    """Raised to roll an example's changes back."""


def _apply(county, changes):
    """Apply the drawn changes through the services, in date order, each dated on its day."""
    admin = county["admin"]
    villages = [county[k] for k in ("v1", "v2", "w1")]
    schools = [county[k] for k in ("p", "j", "q")]
    kids = [Child.get_by_id(county[k].id) for k in "abcdefghiknm"]
    for kind, pick, days in sorted(changes, key=lambda change: change[2]):
        on = OCTOBER.last + timedelta(days=days)
        child = Child.get_by_id(kids[pick % len(kids)].id)
        data = {"changed_on": on.isoformat()}
        if kind == "village":
            data["village"] = str(
                villages[pick % 3].id if villages[pick % 3].id != child.village_id else villages[(pick + 1) % 3].id
            )
        elif kind == "school":
            data["school"] = str(schools[pick % 3].id)
        elif kind == "status":
            data["status"] = STATUSES[pick % len(STATUSES)]
        elif kind == "deceased":
            data["status"] = "deceased"
        elif kind == "name":
            data["name"] = f"改名{pick}"
        if kind == "new":
            children.save_child(
                admin,
                {
                    "name": f"新生{pick}",
                    "sex": "F",
                    "birth_on": "2017-02-03",
                    "village": str(villages[pick % 3].id),
                    "school": str(schools[pick % 3].id),
                    "grade": "3",
                    "registered_on": on.isoformat(),
                },
                today=TODAY,
            )
            continue
        if child.status == "deceased":
            continue  # nothing happens to a child after its death
        children.save_child(admin, child_form(child, **data), child, today=TODAY)


def _frozen(month):
    return {
        (row.unit_kind, row.unit_id): json.loads(row.figures)
        for row in MonthlySummary.select().where(MonthlySummary.month == str(month))
    }
