"""Dropout cases and visits through the services: the lifecycle, its refusals, the to-do list."""

import io
from datetime import date, timedelta

import pytest
from county import build_county

from dropout import todo
from dropout.casework import cases, closures, exemptions, visits
from dropout.casework.settings import CaseSettings
from dropout.core.errors import PermissionDenied, ValidationError
from dropout.models import CaseEvent, Child, ClosureRequest, DropoutCase, Exemption, HomeVisit

SETTINGS = CaseSettings()
OPENED = date(2026, 3, 2)
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


@pytest.fixture
def county(app):
    return build_county()


def visit_values(day, **overrides):
    values = {"visited_on": day, "method": "home", "met": "guardian", "outcome": "refused", "reasons": "外出打工"}
    values.update(overrides)
    return values


def open_and_confirm(county, user=None):
    user = user or county.users["township"]
    case = cases.open_case(user, county.own, OPENED, SETTINGS, today=OPENED)
    return cases.confirm(
        user, case, "work", "去广东打工", OPENED + timedelta(days=3), SETTINGS, today=OPENED + timedelta(days=3)
    )


def close_with_sign_off(county, case, closure, proof, day):
    """销号: the teacher named with the township's cadre, the township requests (signing as the cadre), the teacher
    signs, the administrator approves; returns the case as stored."""
    township, teacher = county.users["township"], county.users["teacher"]
    cases.assign(township, case, township.id, teacher.id, day)
    request = closures.submit(township, DropoutCase.get_by_id(case.id), closure, day, proof, SETTINGS, day)
    closures.sign(teacher, request, day)
    closures.approve(county.users["admin"], ClosureRequest.get_by_id(request.id), {}, SETTINGS, day)
    return DropoutCase.get_by_id(case.id)


def child_status(child):
    return Child.get_by_id(child.id).status


def test_the_whole_life_of_a_case(db, county, tmp_path):
    township = county.users["township"]
    case = cases.open_case(township, county.own, OPENED, SETTINGS, today=OPENED)
    assert (case.status, child_status(county.own)) == ("suspected", "suspected")
    case = cases.confirm(township, case, "dislike", "", date(2026, 3, 5), SETTINGS, today=date(2026, 3, 5))
    assert (case.status, child_status(county.own)) == ("dropped_out", "dropped_out")
    visits.log_visit(township, case, visit_values(date(2026, 3, 6)), SETTINGS, today=date(2026, 3, 6))
    case = DropoutCase.get_by_id(case.id)
    assert case.status == "persuading"
    assert case.next_visit_on == date(2026, 3, 13)  # 7 days later by default
    cases.record_return(
        township, case, date(2026, 3, 20), "original", county.home_school.id, 5, "", SETTINGS, today=date(2026, 3, 20)
    )
    case = DropoutCase.get_by_id(case.id)
    assert (case.status, case.next_followup_on, child_status(county.own)) == ("returned", date(2026, 4, 20), "returned")
    for day in (date(2026, 4, 21), date(2026, 5, 20), date(2026, 6, 22)):
        visits.log_visit(township, case, visit_values(day, outcome="agreed"), SETTINGS, today=day)
        case = DropoutCase.get_by_id(case.id)
    # The follow-ups are done; the case closes as a stable return by a closure request, signed and approved.
    assert (case.status, case.next_followup_on, child_status(county.own)) == ("returned", None, "returned")
    assert HomeVisit.select().where(HomeVisit.is_followup).count() == 3
    attendance = {"attended_days": "5", "school_days": "5", "attendance_confirmed_by": "班主任"}
    close_with_sign_off(county, case, "stable_return", attendance, date(2026, 6, 22))
    case = DropoutCase.get_by_id(case.id)
    assert (case.status, case.closed_kind, child_status(county.own)) == ("closed", "stable_return", "enrolled")


def test_a_child_who_leaves_again_reopens_the_same_case(db, county):
    case = open_and_confirm(county)
    today = date(2026, 4, 1)
    cases.record_return(
        county.users["township"], case, today, "original", county.home_school.id, None, "", SETTINGS, today
    )
    reopened = cases.open_case(county.users["teacher"], county.own, date(2026, 5, 6), SETTINGS, today=date(2026, 5, 8))
    assert reopened.id == case.id
    assert (reopened.status, reopened.repeat_count) == ("suspected", 1)
    assert CaseEvent.select().where(CaseEvent.case == case.id).count() == 4  # history kept
    assert DropoutCase.select().count() == 1


def test_an_open_case_is_not_opened_twice(db, county):
    open_and_confirm(county)
    with pytest.raises(ValidationError, match="已有"):
        cases.open_case(county.users["township"], county.own, OPENED, SETTINGS, today=date(2026, 4, 1))


@pytest.mark.parametrize(
    "absent_since, message", [(date(2026, 3, 3), "晚于今天"), (None, "请填写日期"), (date(2000, 1, 1), "早于")]
)
def test_opening_with_a_bad_date_changes_nothing(db, county, absent_since, message):
    with pytest.raises(ValidationError) as caught:
        cases.open_case(county.users["township"], county.own, absent_since, SETTINGS, today=OPENED)
    assert message in caught.value.errors["absent_since"]
    assert DropoutCase.select().count() == 0 and child_status(county.own) == "enrolled"


def test_the_bureau_does_not_open_cases(db, county):
    """The bureau reads; the school, the village committee and the township report (tests/test_village_cadre.py)."""
    with pytest.raises(PermissionDenied):
        cases.open_case(county.users["bureau"], county.own, OPENED, SETTINGS, today=OPENED)


def test_a_teacher_confirms_only_their_own_schools_pupils(db, county):
    teacher = county.users["teacher"]
    own = cases.open_case(teacher, county.own, OPENED, SETTINGS, today=OPENED)
    assert cases.confirm(teacher, own, "poverty", "", OPENED, SETTINGS, OPENED).status == "dropped_out"
    assigned = cases.open_case(county.users["admin"], county.assigned, OPENED, SETTINGS, today=OPENED)
    with pytest.raises(PermissionDenied):
        cases.confirm(teacher, assigned, "poverty", "", OPENED, SETTINGS, OPENED)


def test_confirming_needs_a_reason_and_other_needs_details(db, county):
    case = cases.open_case(county.users["township"], county.own, OPENED, SETTINGS, today=OPENED)
    with pytest.raises(ValidationError, match="请选择原因"):
        cases.confirm(county.users["township"], case, "", "", OPENED, SETTINGS, OPENED)
    with pytest.raises(ValidationError) as caught:
        cases.confirm(county.users["township"], case, "other", " ", OPENED, SETTINGS, OPENED)
    assert "details" in caught.value.errors
    assert DropoutCase.get_by_id(case.id).status == "suspected"


def test_not_a_dropout_closes_the_case_and_the_child_is_enrolled(db, county):
    case = cases.open_case(county.users["township"], county.own, OPENED, SETTINGS, today=OPENED)
    case = cases.resolve_not_dropout(county.users["township"], case, OPENED, "病假已补", SETTINGS, OPENED)
    assert (case.status, case.closed_kind, child_status(county.own)) == ("closed", "not_dropout", "enrolled")


@pytest.mark.parametrize(
    "closure, proof, field",
    [
        ("moved_away", {}, "receiving_school"),
        ("completed", {}, "certificate"),
        ("deceased", {}, "death_on"),
        ("aged_out", {}, "closure"),  # the child is eleven
        ("exempted", {}, "closure"),  # no approved exemption
        ("vanished", {}, "closure"),
    ],
)
def test_a_closure_without_its_proof_is_refused(db, county, closure, proof, field):
    case = open_and_confirm(county)
    with pytest.raises(ValidationError) as caught:
        close_with_sign_off(county, case, closure, proof, date(2026, 4, 1))
    assert field in caught.value.errors
    assert DropoutCase.get_by_id(case.id).status == "dropped_out"


def test_a_closure_with_its_proof(db, county):
    case = open_and_confirm(county)
    proof = {"receiving_school": "广州市某小学", "transfer_number": "接收证明2026-18"}
    case = close_with_sign_off(county, case, "moved_away", proof, date(2026, 4, 1))
    assert (case.status, case.closed_kind, child_status(county.own)) == ("closed", "moved_away", "moved_out")


def test_an_exemption_approved_and_valid_lets_the_case_close(db, county):
    case = open_and_confirm(county)
    day = date(2026, 4, 1)
    application = exemptions.apply(
        county.users["village"],
        county.own,
        {"kind": "defer", "reason": "病休", "applied_on": day, "valid_until": date(2026, 8, 31)},
        today=day,
    )
    with pytest.raises(PermissionDenied):
        exemptions.approve(county.users["teacher"], application, day)
    exemptions.approve(county.users["township"], application, day)
    assert child_status(county.own) == "deferred"
    exemptions.file(county.users["bureau"], Exemption.get_by_id(application.id), day)
    case = close_with_sign_off(county, case, "exempted", {}, day)
    assert case.closed_kind == "exempted"


@pytest.mark.parametrize(
    "overrides, today, field",
    [
        ({"visited_on": date(2026, 3, 9)}, date(2026, 3, 8), "visited_on"),  # in the future
        ({"visited_on": date(2026, 3, 1)}, date(2026, 3, 8), "visited_on"),  # before the case opened
        ({"outcome": ""}, date(2026, 3, 8), "outcome"),
        ({"method": "telepathy"}, date(2026, 3, 8), "method"),
        ({"next_visit_on": date(2026, 3, 1)}, date(2026, 3, 8), "next_visit_on"),
        ({"latitude": 123.0}, date(2026, 3, 8), "latitude"),
    ],
)
def test_a_bad_visit_is_refused_and_changes_nothing(db, county, overrides, today, field):
    case = open_and_confirm(county)
    before = (HomeVisit.select().count(), CaseEvent.select().count())
    with pytest.raises(ValidationError) as caught:
        visits.log_visit(county.users["teacher"], case, visit_values(date(2026, 3, 6), **overrides), SETTINGS, today)
    assert field in caught.value.errors
    assert (HomeVisit.select().count(), CaseEvent.select().count()) == before
    assert DropoutCase.get_by_id(case.id).status == "dropped_out"


def test_a_visit_entered_late_is_marked_not_blocked(db, county):
    case = open_and_confirm(county)
    on_time = visits.log_visit(
        county.users["teacher"], case, visit_values(date(2026, 3, 6)), SETTINGS, date(2026, 3, 9)
    )
    late = visits.log_visit(county.users["teacher"], case, visit_values(date(2026, 3, 6)), SETTINGS, date(2026, 3, 10))
    assert (on_time.is_late, late.is_late) == (False, True)


def test_a_visit_photo_is_checked_by_content_and_stored_outside_the_web_root(db, county, tmp_path):
    tmp_path = tmp_path / "uploads"
    case = open_and_confirm(county)
    day = date(2026, 3, 6)
    visit = visits.log_visit(county.users["teacher"], case, visit_values(day), SETTINGS, day, io.BytesIO(PNG), tmp_path)
    assert visit.photo_path.endswith(".png") and (tmp_path / visit.photo_path).read_bytes() == PNG
    for bad in (b"GIF89a" + b"\0" * 10, b"<script>alert(1)</script>", JPEG + b"\0" * (5 * 1024 * 1024)):
        with pytest.raises(ValidationError, match="JPEG"):
            visits.log_visit(county.users["teacher"], case, visit_values(day), SETTINGS, day, io.BytesIO(bad), tmp_path)
    assert HomeVisit.select().count() == 1
    assert len(list(tmp_path.rglob("*.*"))) == 1


def test_teaching_visits_for_home_taught_children(db, county):
    Child.update(status="home_taught").where(Child.id == county.own.id).execute()
    child = Child.get_by_id(county.own.id)
    day = date(2026, 3, 6)
    visit = visits.log_teaching_visit(county.users["teacher"], child, visit_values(day, lessons=2), SETTINGS, day)
    assert (visit.is_teaching, visit.lessons, visit.case) == (True, 2, None)
    with pytest.raises(ValidationError):
        visits.log_teaching_visit(county.users["teacher"], child, visit_values(day, lessons=0), SETTINGS, day)
    with pytest.raises(ValidationError):
        visits.log_teaching_visit(county.users["teacher"], county.other, visit_values(day, lessons=2), SETTINGS, day)


def test_handover_moves_a_whole_caseload_at_once(db, county, make_user):
    township = county.users["township"]
    open_and_confirm(county)
    case = DropoutCase.get()
    substitute = make_user("township", township=county.home_school.township_id)
    moved = cases.handover(township, township.id, substitute.id, date(2026, 4, 1))
    assert moved == 1
    assert DropoutCase.get_by_id(case.id).cadre_id == substitute.id
    assert CaseEvent.select().where(CaseEvent.kind == "assigned").count() == 1


def test_assigning_a_teacher_lets_that_teacher_see_the_child(db, county):
    case = cases.open_case(county.users["admin"], county.other, OPENED, SETTINGS, today=OPENED)
    cases.assign(county.users["admin"], case, None, county.users["teacher"].id, OPENED)
    from dropout.core import scope

    assert scope.get_child(county.users["teacher"], county.other.id) is not None


def test_the_to_do_list_on_chosen_days(db, county):
    township = county.users["township"]
    case = open_and_confirm(county)
    # Suspected cases wait for the township on the day they are reported.
    other = cases.open_case(county.users["admin"], county.assigned, OPENED, SETTINGS, today=OPENED)
    assert other not in list(todo.todo(township, OPENED, SETTINGS).to_confirm)  # not in the township
    visits.log_visit(township, case, visit_values(date(2026, 3, 6)), SETTINGS, date(2026, 3, 6))
    assert todo.todo(township, date(2026, 3, 12), SETTINGS).visits_due == []
    due = todo.todo(township, date(2026, 3, 13), SETTINGS).visits_due
    assert [(c.id, late) for c, late in due] == [(case.id, 0)]
    assert [(c.id, late) for c, late in todo.todo(township, date(2026, 3, 20), SETTINGS).visits_due] == [(case.id, 7)]
    # The village cadre joins the visits to every case of their village, named on it or not.
    village = todo.todo(county.users["village"], date(2026, 3, 20), SETTINGS).visits_due
    assert [(c.id, late) for c, late in village] == [(case.id, 7)]
    cases.record_return(
        township, case, date(2026, 3, 20), "original", county.home_school.id, None, "", SETTINGS, date(2026, 3, 20)
    )
    assert todo.todo(township, date(2026, 4, 19), SETTINGS).followups_due == []
    followups = todo.todo(township, date(2026, 4, 20), SETTINGS).followups_due
    assert [(c.id, late) for c, late in followups] == [(case.id, 0)]


def test_exemptions_expiring_appear_on_the_to_do_list(db, county):
    day = date(2026, 3, 1)
    application = exemptions.apply(
        county.users["township"],
        county.own,
        {"kind": "suspend", "reason": "病", "applied_on": day, "valid_until": date(2026, 6, 30)},
        day,
    )
    assert [e.id for e in todo.todo(county.users["township"], day, SETTINGS).exemptions_to_approve] == [application.id]
    exemptions.approve(county.users["township"], application, day)
    assert [e.id for e in todo.todo(county.users["bureau"], day, SETTINGS).exemptions_to_file] == [application.id]
    assert todo.todo(county.users["township"], date(2026, 5, 30), SETTINGS).exemptions_expiring == []
    assert len(todo.todo(county.users["township"], date(2026, 6, 1), SETTINGS).exemptions_expiring) == 1
    assert todo.todo(county.users["township"], date(2026, 7, 1), SETTINGS).exemptions_expiring == []
