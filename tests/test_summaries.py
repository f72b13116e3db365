"""Monthly figures on a small county with known events across month ends, checked exactly."""

from datetime import date

import pytest
from conftest import THRESHOLDS, move

from dropout.casework import cases, closures
from dropout.casework.settings import CaseSettings
from dropout.db import database
from dropout.models import Child, Escalation, HomeVisit, MonthlySummary, ReturnNotice, SummaryMonth
from dropout.reporting import summaries
from dropout.reporting.figures import Month
from dropout.rules.indicators import balance_gap, official, total

TODAY = date(2026, 11, 22)
OCTOBER = Month(2026, 10)
PRIMARY_AGE, JUNIOR_AGE, GRADE9_AGE = date(2018, 3, 14), date(2013, 3, 14), date(2012, 3, 14)


@pytest.fixture
def county(app, make_township, make_village, make_school, make_child, make_user):
    """Two townships; events in September, October and November 2026 (see the test for the story)."""
    t, u = make_township(), make_township()
    v1, v2, w1 = make_village(t), make_village(t), make_village(u)
    p, j, q = make_school(t), make_school(t, kind="junior"), make_school(u)
    admin = make_user("admin")
    settings = CaseSettings()
    kids = {
        "a": make_child(v1, p, PRIMARY_AGE, "F", grade=3),
        "b": make_child(v1, p, PRIMARY_AGE, "M", grade=4, is_poor=True),
        "c": make_child(v2, j, JUNIOR_AGE, "M", grade=8),
        "d": make_child(v2, j, GRADE9_AGE, "F", grade=9),
        "e": make_child(w1, q, PRIMARY_AGE, "F", grade=2),
        "f": make_child(v1, p, PRIMARY_AGE, "M", grade=5),
        "g": make_child(v1, None, PRIMARY_AGE, "F", status="home_taught", disability_category="visual"),
        "h": make_child(v2, None, JUNIOR_AGE, "M", disability_category="hearing"),
        "i": make_child(w1, q, PRIMARY_AGE, "M", grade=6),
        "n": make_child(v1, p, PRIMARY_AGE, "M", grade=2),
        "k": make_child(v2, j, JUNIOR_AGE, "F", grade=7),
        "m": make_child(v2, j, GRADE9_AGE, "M", grade=9),
    }

    def visit(child, on, **fields):
        """The admin's home visit to the child on that day."""
        return HomeVisit.create(child=child, user=admin, visited_on=on, method="home", **fields)

    with database.connection_context():
        move(kids["h"], date(2026, 6, 1), status="dropped_out")  # before the school year: no flow in it
        case_b = cases.open_case(admin, kids["b"], date(2026, 9, 20), settings, TODAY)
        cases.confirm(admin, case_b, "work", "", date(2026, 10, 5), settings, TODAY)
        visit(kids["b"], date(2026, 10, 7), case=case_b, met="guardian", outcome="refused")
        case_c = cases.open_case(admin, kids["c"], date(2026, 10, 10), settings, TODAY)
        cases.confirm(admin, case_c, "dislike", "", date(2026, 10, 12), settings, TODAY)
        cases.record_return(admin, case_c, date(2026, 10, 25), "original", j.id, 8, "", settings, TODAY)
        move(kids["e"], date(2026, 10, 3), status="moved_out")
        move(kids["i"], date(2026, 10, 8), school=p, village=v1)
        move(kids["f"], date(2026, 11, 2), status="deceased")  # after October: October still counts f
        move(kids["n"], date(2026, 10, 15), status="deceased")
        move(kids["k"], date(2026, 10, 20), status="deferred")  # 休学
        move(kids["m"], date(2026, 10, 30), status="completed")
        visit(kids["g"], date(2026, 10, 9), met="child", outcome="other", is_teaching=True, lessons=2)
        notice = _notice(case_b, t, served_on=date(2026, 10, 9))
        Escalation.create(notice=notice, case=case_b, kind="penalty", decided_on=date(2026, 10, 20), decided_by=admin)
        Child.update(registered_on=date(2025, 6, 1)).execute()  # all registered long before
    return {"t": t, "u": u, "v1": v1, "v2": v2, "w1": w1, "p": p, "j": j, "q": q, "admin": admin, **kids}


def _notice(case, township, served_on):
    """A notice issued on 8 October, served the next day, its deadline passed without a return."""
    return ReturnNotice.create(
        case=case,
        township=township,
        year=2026,
        seq=1,
        number="测〔2026〕1号",
        status="overdue",
        issued_on=date(2026, 10, 8),
        deadline_days=7,
        data="{}",
        verify_code="BENCH-0001",
        served_on=served_on,
        deadline_on=date(2026, 10, 16),
    )


def figures(kind, unit_id, month=OCTOBER):
    return summaries.figures_of(month, kind, unit_id)


def test_county_figures_of_october(county):
    with database.connection_context():
        summaries.generate_month(OCTOBER)
        cells = figures("county", 0)
    expected = {
        "students_start": 11,
        "transfers_in": 0,
        "resumed": 1,
        "transfers_out": 1,
        "completed": 1,
        "suspended": 1,
        "deaths": 1,
        "dropouts": 2,
        "students_end": 6,
        "students_year": 11,
        "dropouts_year": 2,
        "school_age": 10,
        "enrolled": 7,
        "disabled": 2,
        "disabled_enrolled": 1,
        "grade9": 1,
        "cohort": 2,
        "still_out": 2,
        "suspected_open": 0,
        "new_suspected": 1,
        "new_confirmed": 2,
        "returned": 1,
        "returned_year": 1,
        "placement_original": 1,
        "visits": 1,
        "children_visited": 1,
        "teaching_visits": 1,
        "out_poor": 1,
        "out_disabled": 1,
        "out_left_behind": 0,
        "reason_work": 1,
        "reason_dislike": 0,
        "notices_issued": 1,
        "notices_served": 1,
        "notices_overdue": 1,
        "measures": 1,
    }
    assert {key: total(cells, key) for key in expected} == expected
    assert total(cells, "dropouts_year", "primary") == 1 and total(cells, "students_year", "primary") == 7
    assert total(cells, "dropouts_year", "junior") == 1 and total(cells, "students_year", "junior") == 4
    assert total(cells, "students_end", sex="F") == 3  # a, d, g
    assert balance_gap(cells) == 0
    rates = {i.code: (i.numerator, i.denominator, i.met) for i in official(cells, THRESHOLDS)}
    assert rates == {
        "enrolment": (7, 10, False),
        "enrolment_primary": (4, 5, False),  # a, f, g, i of a, b, f, g, i
        "enrolment_junior": (3, 5, False),  # c, d, m (completed) of c, d, h, k, m
        "dropout_primary": (1, 7, False),
        "dropout_primary_net": (1, 7, False),  # b
        "dropout_junior": (1, 4, False),
        "dropout_junior_net": (1, 4, False),  # c dropped out; h is still out
        "disabled": (1, 2, False),
        "retention": (1, 0, None),  # no intake: no rate
        "retention_estimate": (1, 2, None),  # d of d and m, the residents of grade-9 age: shown, never judged
    }
    lenient = {**THRESHOLDS, "dropout_junior": 25.0, "enrolment_junior": 60.0}
    assert {i.code: i.met for i in official(cells, lenient)}.items() >= {
        "dropout_junior": True,
        "enrolment_junior": True,
        "dropout_junior_net": False,
    }.items()


def test_townships_count_by_residence_and_schools_their_pupils(county):
    with database.connection_context():
        summaries.generate_month(OCTOBER)
        t, u = figures("township", county["t"].id), figures("township", county["u"].id)
        p, q, j = (figures("school", county[k].id) for k in "pqj")
        v1 = figures("village", county["v1"].id)
    keys = ("students_start", "transfers_in", "resumed", "transfers_out", "dropouts", "students_end")
    assert [total(t, k) for k in keys] == [9, 1, 1, 0, 2, 6]
    assert [total(u, k) for k in keys] == [2, 0, 0, 2, 0, 0]
    assert [total(p, k) for k in keys] == [4, 1, 0, 0, 1, 3]
    assert [total(q, k) for k in keys] == [2, 0, 0, 2, 0, 0]
    assert [total(j, k) for k in keys] == [4, 0, 1, 0, 1, 2]  # c, d, k, m; k suspended, m completed
    assert [total(v1, k) for k in keys] == [5, 1, 0, 0, 1, 4]  # a, b, f, g, n; i joins; b leaves; n died
    assert (total(p, "deaths"), total(j, "suspended"), total(j, "completed")) == (1, 1, 1)
    for cells in (t, u, p, q, j, v1):
        assert balance_gap(cells) == 0
    assert total(t, "visits") == total(p, "visits") == 1 and total(u, "visits") == 0


def test_september_sees_the_suspicion_but_no_dropout_yet(county):
    with database.connection_context():
        summaries.generate_month(Month(2026, 9))
        cells = figures("county", 0, Month(2026, 9))
    assert total(cells, "new_suspected") == 1 and total(cells, "suspected_open") == 1
    assert total(cells, "dropouts") == 0 and total(cells, "still_out") == 1  # h only
    assert total(cells, "students_end") == 11 and balance_gap(cells) == 0


def test_a_generated_month_is_frozen_against_later_edits(county):
    with database.connection_context():
        summaries.generate_month(OCTOBER)
        before = figures("county", 0)
        move(county["a"], date(2026, 10, 20), status="dropped_out")  # a late, back-dated entry
        assert figures("county", 0) == before
        summaries.generate_month(OCTOBER)  # regenerating picks it up while the month is open
        assert total(figures("county", 0), "still_out") == 3


def test_a_locked_month_does_not_change_and_only_an_admin_unlocks(county, make_user):
    bureau = make_user("bureau")
    with database.connection_context():
        summaries.generate_month(OCTOBER)
        before = figures("county", 0)
        summaries.lock(bureau, OCTOBER)
        move(county["a"], date(2026, 10, 20), status="dropped_out")
        with pytest.raises(summaries.MonthLocked):
            summaries.generate_month(OCTOBER)
        assert figures("county", 0) == before
        with pytest.raises(summaries.PermissionDenied):
            summaries.unlock(bureau, OCTOBER, "wrong figures")
        with pytest.raises(summaries.ValidationError):
            summaries.unlock(county["admin"], OCTOBER, "  ")
        assert SummaryMonth.get_by_id("2026-10").locked_at is not None
        summaries.unlock(county["admin"], OCTOBER, "a school reported late")
        summaries.generate_month(OCTOBER)
        assert total(figures("county", 0), "still_out") == 3


def test_every_unit_gets_one_summary_and_regenerating_replaces_them(county):
    with database.connection_context():
        assert summaries.generate_month(OCTOBER) == "generated"
        assert summaries.generate_month(OCTOBER) == "generated"
        assert summaries.generate_month(OCTOBER, claim="monthly") == "generated"
        assert summaries.generate_month(OCTOBER, claim="monthly") == "done before"
        rows = MonthlySummary.select().where(MonthlySummary.month == "2026-10").count()
    assert rows == 1 + 2 + 3 + 3  # county, townships, villages, schools


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-10", "october", "", "2026-10-01", "２０２６-10"])
def test_a_bad_month_is_refused(app, text):
    with app.test_request_context():
        with pytest.raises(summaries.ValidationError):
            summaries.parse_month(text, TODAY)


def test_a_month_not_ended_is_refused(app):
    with app.test_request_context():
        with pytest.raises(summaries.ValidationError):
            summaries.parse_month("2026-12", TODAY)
        with pytest.raises(summaries.ValidationError) as refused:
            summaries.parse_month("2026-11", TODAY)
        assert refused.value.errors["month"] == "2026-11 月尚未结束，2026-12-01 起才能生成。"
        assert str(summaries.parse_month("2026-11", date(2026, 12, 1))) == "2026-11"


def test_steps_entered_later_count_on_the_day_they_happened(app, make_village, make_school, make_child, make_user):
    """A suspicion and its confirmation on the same day, and a death closed weeks later, land in October."""
    village = make_village()
    school = make_school(village.township)
    admin, settings = make_user("admin"), CaseSettings()
    child, other = make_child(village, school, PRIMARY_AGE, grade=3), make_child(village, school, PRIMARY_AGE, grade=3)
    with database.connection_context():
        Child.update(registered_on=date(2025, 6, 1)).execute()
        case = cases.open_case(admin, Child.get_by_id(child.id), date(2026, 10, 5), settings, TODAY)
        cases.confirm(admin, case, "work", "", date(2026, 10, 5), settings, TODAY)
        case = cases.open_case(admin, Child.get_by_id(other.id), date(2026, 10, 2), settings, TODAY)
        cases.confirm(admin, case, "illness", "", date(2026, 10, 3), settings, TODAY)
        # The closing step of an approved closure request (销号); tests/test_closures.py walks the sign-off.
        death = {"death_on": "2026-10-26"}
        closures.record_closure(admin, case, "deceased", date(2026, 10, 28), death, settings, TODAY)
        summaries.generate_month(OCTOBER)
        cells = figures("county", 0)
    assert (total(cells, "dropouts"), total(cells, "still_out"), total(cells, "students_end")) == (2, 1, 0)
    assert balance_gap(cells) == 0


def test_children_count_only_from_when_they_were_registered(app, make_village, make_school, make_child):
    village = make_village()
    school = make_school(village.township)
    early, during, after = (make_child(village, school, PRIMARY_AGE, grade=2) for _ in range(3))
    with database.connection_context():
        for child, on in ((early, date(2025, 6, 1)), (during, date(2026, 10, 12)), (after, date(2026, 11, 1))):
            Child.update(registered_on=on).where(Child.id == child.id).execute()
        summaries.generate_month(OCTOBER)
        summaries.generate_month(Month(2026, 9))
        october, september = figures("county", 0), figures("county", 0, Month(2026, 9))
    assert [total(october, k) for k in ("students_start", "transfers_in", "students_end", "school_age")] == [1, 1, 2, 2]
    assert [total(september, k) for k in ("students_start", "students_end", "students_year")] == [1, 1, 1]
    assert balance_gap(october) == 0 and balance_gap(september) == 0
