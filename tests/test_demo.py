"""The demo county: counts, valid identities, school ages, determinism, history, accounts, case work and notices."""

import dataclasses
import itertools
import json
import re
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from dropout import create_app
from dropout.accounts import users as accounts
from dropout.casework.cases import events_of
from dropout.casework.settings import CaseSettings
from dropout.children import columns
from dropout.choices import (
    DROPOUT_REASONS,
    EXEMPTION_KINDS,
    NOTICE_STATUSES,
    PLACEMENTS,
    SCHOOL_KINDS,
    SERVICE_METHODS,
    VISIT_MET,
    VISIT_METHODS,
    VISIT_OUTCOMES,
)
from dropout.core import calendar as county_calendar
from dropout.db import database
from dropout.demo import county as demo
from dropout.migrations import migrate
from dropout.models import (
    AuditLog,
    CaseEvent,
    Child,
    ClosureRequest,
    DocumentCounter,
    DropoutCase,
    Escalation,
    Exemption,
    Guardian,
    HomeVisit,
    ReturnNotice,
    School,
    Township,
    User,
    Village,
)
from dropout.notices import documents, notices, printing
from dropout.pdf.fonts import FontMissing
from dropout.rules import case_status, id_number, school_age
from dropout.todo import todo

TODAY = date(2026, 11, 22)
N = 2000
DROPOUT_STATES = ("suspected", "dropped_out", "returned")
CASE_N = 3000
SETTINGS = CaseSettings()
# The child's status for each case status, and for each kind of closed case.
CHILD_STATUS = {
    "suspected": "suspected",
    "dropped_out": "dropped_out",
    "persuading": "dropped_out",
    "notice_running": "dropped_out",
    "overdue": "dropped_out",
    "returned": "returned",
    "stable_return": "enrolled",
    "not_dropout": "enrolled",
    "moved_away": "moved_out",
}
# The child's status after each kind of step that changes it.
STATUS_AFTER = {
    "opened": "suspected",
    "confirmed": "dropped_out",
    "returned": "returned",
    "left_again": "suspected",
    "not_dropout": "enrolled",
}
# The child's status after a closure (销号), by kind.
AFTER_CLOSURE = {"moved_away": "moved_out", "stable_return": "enrolled"}
# Steps that leave the case's next visit as the last visit set it.
PASSIVE = ("assigned", "notice_issued", "notice_served", "measure")
SERVICE_KEYS = ["method", "served_time", "recipient", "place", "server", "refusal_reason", "witness1", "witness2"]
# The case's status and the child's, for a notice in each state.
CASE_OF_NOTICE = {
    "issued": ("persuading", "dropped_out"),
    "served": ("notice_running", "dropped_out"),
    "overdue": ("overdue", "dropped_out"),
    "complied": ("returned", "returned"),
}


@pytest.fixture
def county(app):
    """The conftest's freshly migrated database, holding the demo county of 2,000 children (seed 7)."""
    with app.app_context(), database.connection_context():
        yield demo.load(N, seed=7, today=TODAY, config=app.config)


@pytest.fixture
def casework(app):
    """The demo county of 3,000 children (seed 7), with its case work, in an open connection."""
    with app.app_context(), database.connection_context():
        yield demo.load(CASE_N, seed=7, today=TODAY, config=app.config)


def _load_rows(app, seed):
    with app.app_context(), database.connection_context():
        demo.load(N, seed=seed, today=TODAY, config=app.config)
        rows = tuple(
            list(model.select().order_by(model.id).tuples())
            for model in (Child, Guardian, DropoutCase, CaseEvent, HomeVisit, Exemption, ReturnNotice, Escalation)
        )
        return rows + (list(DocumentCounter.select().order_by(DocumentCounter.series, DocumentCounter.year).tuples()),)


def _another_app(tmp_path, name):
    """A second fresh database (create_app rebinds the shared database, so use one app at a time)."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / name}", "SECRET_KEY": "x", "TESTING": True})
    with app.app_context(), database.connection_context():
        migrate()
    return app


def test_counts(county):
    assert list(county) == [
        "townships",
        "villages",
        "schools",
        "children",
        "guardians",
        "accounts",
        "cases",
        "visits",
        "exemptions",
        "notices",
        "measures",
    ]
    assert county == {
        "townships": 12,
        "villages": 100,
        "schools": 40,
        "children": N,
        "guardians": Guardian.select().count(),
        "accounts": 5,
        "cases": DropoutCase.select().count(),
        "visits": HomeVisit.select().count(),
        "exemptions": Exemption.select().count(),
        "notices": ReturnNotice.select().count(),
        "measures": Escalation.select().count(),
    }
    assert county["notices"] >= 6 and county["measures"] >= 1
    assert N * 0.01 < county["cases"] < N * 0.05 and county["visits"] > county["cases"]
    assert (Township.select().count(), Village.select().count(), School.select().count()) == (12, 100, 40)
    assert Child.select().count() == N
    assert N <= county["guardians"] <= 2 * N


def test_every_register_column_is_filled_somewhere(county):
    """The demo writes every column of the register (children/columns.py), each with other values than a blank."""
    for table, model in ((columns.CHILD, Child), (columns.GUARDIAN, Guardian)):
        for column in columns.of(table):
            field = getattr(model, column.field)
            other = field.is_null(False) if column.blank is None else field != column.blank
            assert model.select().where(other).exists(), column.key


def test_places(county):
    first = Township.select().order_by(Township.id).first()
    assert first.name == "城关镇" and first.notice_prefix == "城关镇控辍通"
    assert all(t.notice_prefix.startswith(t.name) for t in Township.select())
    kinds = {school.kind for school in School.select()}
    assert kinds == set(SCHOOL_KINDS)
    special = School.get(School.kind == "special")
    assert special.name == "示例县特殊教育学校" and special.township_id == first.id
    for township in Township.select():
        names = [school.name for school in township.schools]
        assert f"{township.name}中心小学" in names
        assert any(s.kind in ("junior", "nine_year") for s in township.schools)
    for village in Village.select().where(Village.township == first.id):
        assert village.name.endswith("社区")
    for village in Village.select().where(Village.township != first.id):
        assert village.name.endswith("村")


def test_identity_numbers_agree_with_birth_and_sex(county):
    numbers = []
    for child in Child.select():
        if child.id_number is None:
            assert child.student_number is None or child.student_number.startswith("L")
            continue
        parsed = id_number.parse(child.id_number, TODAY)
        assert (parsed.birth_on, parsed.sex) == (child.birth_on, child.sex)
        assert child.student_number in (None, "G" + child.id_number)
        numbers.append(child.id_number)
    assert len(numbers) == len(set(numbers))
    assert 0 < N - len(numbers) < N * 0.03  # about 1% without an ID number
    guardian_numbers = [g.id_number for g in Guardian.select()]
    for number in guardian_numbers:
        assert id_number.parse(number, TODAY)
    assert len(set(guardian_numbers + numbers)) == len(guardian_numbers) + len(numbers)


def test_guardians_are_plausible(county):
    children = {child.id: child for child in Child.select()}
    for guardian in Guardian.select():
        child = children[guardian.child_id]
        parsed = id_number.parse(guardian.id_number, TODAY)
        years = school_age.age_on(parsed.birth_on, child.birth_on)
        assert 25 <= years <= 68
        if guardian.relation in ("父亲", "母亲"):
            assert years <= 45
            assert parsed.sex == ("M" if guardian.relation == "父亲" else "F")
        if guardian.relation == "父亲" and child.ethnicity != "藏族":
            assert guardian.name[0] == child.name[0]
        assert guardian.phone.isdigit() and len(guardian.phone) == 11 and guardian.phone[0] == "1"
    per_child = Guardian.select(Guardian.child).distinct().count()
    assert per_child == N


def test_children_are_of_school_age_in_fitting_schools(county):
    fits = {
        "primary": range(1, 7),
        "junior": range(7, 10),
        "nine_year": range(1, 10),
        "teaching_point": range(1, 4),
        "special": range(1, 10),
    }
    schools = {school.id: school for school in School.select()}
    villages = {village.id: village for village in Village.select()}
    for child in Child.select():
        assert school_age.is_school_age(child.birth_on, TODAY, 6)
        assert len(child.name) >= 2 and child.sex in ("M", "F")
        if child.school_id is None:
            assert child.status == "home_taught" and child.grade is None
            continue
        school = schools[child.school_id]
        assert child.grade in fits[school.kind]
        expected = min(max(school_age.expected_grade(child.birth_on, TODAY, 6), 1), 9)
        assert child.grade in (expected, expected - 1)
        if school.kind != "special":
            assert school.township_id == villages[child.village_id].township_id
        assert child.address.startswith(villages[child.village_id].township.name)


def test_ids_are_unique_and_sequences_continue(county):
    child_ids = [c.id for c in Child.select(Child.id)]
    assert len(child_ids) == len(set(child_ids)) == N
    guardian_ids = [g.id for g in Guardian.select(Guardian.id)]
    assert len(guardian_ids) == len(set(guardian_ids))
    added = Guardian.create(child=child_ids[0], name="王芳", relation="母亲")
    assert added.id == max(guardian_ids) + 1


def test_statuses_flags_and_history(county):
    by_status = {
        status: Child.select().where(Child.status == status).count() for status in ("enrolled", *DROPOUT_STATES)
    }
    assert all(by_status.values()), by_status
    assert by_status["enrolled"] > N * 0.93
    assert Child.select().where(Child.is_poor).count() > N * 0.04
    assert Child.select().where(Child.disability_category.is_null(False)).count() > 0
    since = datetime.combine(TODAY - timedelta(days=366), datetime.min.time())
    for child in Child.select().where(Child.status.in_(DROPOUT_STATES)):
        rows = list(AuditLog.select().where(AuditLog.child_id == child.id).order_by(AuditLog.at))
        assert rows, child.id
        assert all(
            row.entity == "child"
            and row.entity_id == child.id
            and since < row.at < datetime.combine(TODAY, datetime.min.time())
            for row in rows
        )
        assert json.loads(rows[0].before) == {"status": "enrolled"}
        assert json.loads(rows[-1].after) == {"status": child.status}
        assert child.school_id is not None
        if child.status == "returned":
            assert [json.loads(row.after)["status"] for row in rows] == ["suspected", "dropped_out", "returned"]
    summary = AuditLog.get(AuditLog.entity == "county")
    assert summary.action == "create" and json.loads(summary.after) == county


def test_accounts_one_per_role(county):
    home = Township.get(Township.name == "城关镇")
    users = {user.role: user for user in User.select()}
    assert set(users) == {"admin", "bureau", "township", "teacher", "village"}
    assert all(user.username == role for role, user in users.items())
    assert users["township"].township_id == home.id
    teacher = users["teacher"]
    assert teacher.school.name == "城关镇中心小学" and teacher.school.kind == "primary"
    assert users["village"].village.township_id == home.id
    for user in users.values():
        logged_in, message = accounts.authenticate(user.username, demo.DEMO_PASSWORD)
        assert logged_in is not None, message
    assigned = list(Child.select().where(Child.responsible_teacher == teacher.id))
    assert 20 <= len(assigned) <= 30
    assert all(c.school_id != teacher.school_id and c.school.township_id != home.id for c in assigned)


def test_logins_text(county):
    text = demo.logins_text()
    lines = text.splitlines()
    assert lines[0] == "Demo logins:" and len(lines) == 6
    assert all(f"password {demo.DEMO_PASSWORD}" in line for line in lines[1:])
    assert "城关镇中心小学" in text
    accounts.set_password(None, User.get(User.username == "admin"), "changed-password")
    assert "admin " not in demo.logins_text()


def test_second_load_is_refused(county):
    assert demo.has_data()
    with pytest.raises(RuntimeError):
        demo.load(10, seed=1, today=TODAY)
    assert Child.select().count() == N and User.select().count() == 5


def test_empty_database(app):
    with app.app_context(), database.connection_context():
        assert not demo.has_data()
        assert demo.logins_text() == ""


def test_same_seed_same_county(app, tmp_path):
    first = _load_rows(app, 7)
    assert len(first[0]) == N and all(first)
    assert _load_rows(_another_app(tmp_path, "b.db"), 7) == first
    assert _load_rows(_another_app(tmp_path, "c.db"), 8)[0] != first[0]


def _users():
    return {user.username: user for user in User.select()}


def test_case_statuses_cover_the_cycle(casework):
    cases = list(DropoutCase.select())
    assert casework["cases"] == len(cases) and CASE_N * 0.01 < len(cases) < CASE_N * 0.05
    assert {case.status for case in cases} == set(case_status.STATUSES)
    closed = {case.closed_kind for case in cases if case.status == "closed"}
    assert closed == {"moved_away", "not_dropout", "stable_return"}
    assert {case.repeat_count for case in cases} == {0, 1}
    assert {case.status for case in cases if case.repeat_count} <= {"suspected", "dropped_out", "persuading"}
    # A deadline while a served notice runs or has run out; a return ends it.
    assert all((case.deadline_on is not None) == (case.status in ("notice_running", "overdue")) for case in cases)


def test_stored_case_columns_are_what_the_rule_derives(casework):
    for case in DropoutCase.select():
        events = events_of(case)
        state = case_status.derive(events, TODAY, SETTINGS.followup_months)
        assert (case.status, case.repeat_count, case.closed_kind) == (
            state.status,
            state.repeat_count,
            state.closed_kind,
        )
        assert case.next_followup_on == (state.followups_due[0] if state.followups_due else None)
        assert case.deadline_on == state.deadline_on
        # As log_visit and refresh keep it: the last visit's next visit while out of school, else nothing.
        rows = list(case.events.where(CaseEvent.kind.not_in(PASSIVE)).order_by(CaseEvent.happened_on, CaseEvent.id))
        if state.status in case_status.VISITING_STATUSES and rows[-1].kind == "visit":
            visit = rows[-1].visit
            assert case.next_visit_on == visit.next_visit_on == visit.visited_on + timedelta(days=7)
        else:
            assert case.next_visit_on is None


def test_case_timelines_are_consistent(casework):
    since = TODAY - timedelta(days=365)
    for case in DropoutCase.select():
        rows = list(case.events.order_by(CaseEvent.happened_on, CaseEvent.id))
        assert [row.id for row in rows] == sorted(row.id for row in rows)  # recorded in the order they happened
        assert rows[0].kind == "opened" and [row.kind for row in rows].count("opened") == 1
        assert 0 <= (case.opened_on - rows[0].happened_on).days <= 5
        assert case.absent_since == max(row.happened_on for row in rows if row.kind in ("opened", "left_again"))
        assert all(since <= row.happened_on <= TODAY for row in rows)
        assert all(row.happened_on < TODAY for row in rows if row.kind in (*STATUS_AFTER, "closed"))
        confirmed = [row for row in rows if row.kind == "confirmed"]
        assert all(row.happened_on >= case.opened_on for row in confirmed)
        if confirmed:
            assert case.reason in DROPOUT_REASONS and json.loads(confirmed[-1].data) == {"reason": case.reason}
            assert case.reason != "other" or case.reason_details
        else:
            assert case.reason is None
        for row in rows:
            data = json.loads(row.data)
            if row.kind == "returned":
                assert data["placement"] in PLACEMENTS and data["school"] == case.child.school_id
            if row.kind == "closed":  # approved with its request, which names the proof
                request = ClosureRequest.get_by_id(data.pop("request"))
                assert data == {"closure": request.closure, **json.loads(request.proof)}
                assert (request.status, request.closes_on, request.decided_at) == ("approved", row.happened_on, row.at)
            if row.kind == "visit":
                assert data == {"followup": row.visit.is_followup}
        confirmed_on = returned_on = None
        for row in rows:  # persuading visits only after a confirmation, follow-ups only after a return
            if row.kind == "confirmed":
                confirmed_on = row.happened_on
            elif row.kind == "returned":
                returned_on = row.happened_on
            elif row.kind == "left_again":
                confirmed_on = returned_on = None
            elif row.kind == "visit":
                assert row.visit.is_followup == (returned_on is not None)
                assert row.happened_on > (returned_on or confirmed_on)


def test_visits_fall_within_their_cases(casework):
    visits = list(HomeVisit.select(HomeVisit, DropoutCase).join(DropoutCase))
    assert len(visits) == casework["visits"] == HomeVisit.select().count()
    events = {row.visit_id: row for row in CaseEvent.select().where(CaseEvent.visit.is_null(False))}
    assert len(events) == len(visits)
    for visit in visits:
        assert visit.case.opened_on <= visit.visited_on <= TODAY
        assert visit.child_id == visit.case.child_id and visit.photo_path is None and not visit.is_teaching
        assert visit.method in VISIT_METHODS and visit.met in VISIT_MET and visit.outcome in VISIT_OUTCOMES
        assert (visit.met == "nobody") <= (visit.outcome == "not_home")
        assert visit.next_visit_on == visit.visited_on + timedelta(days=7)
        event = events[visit.id]
        assert (event.case_id, event.happened_on, event.user_id) == (visit.case_id, visit.visited_on, visit.user_id)
        assert event.at == visit.created_at
        assert visit.is_late == ((visit.created_at.date() - visit.visited_on).days > SETTINGS.late_entry_days)
    assert any(visit.is_late for visit in visits) and any(visit.is_followup for visit in visits)
    assert any(visit.reasons for visit in visits)


def test_children_follow_their_cases(casework):
    for case in DropoutCase.select(DropoutCase, Child).join(Child):
        assert case.child.status == CHILD_STATUS[case.closed_kind or case.status], case.id
        path = [
            json.loads(row.after)["status"]
            for row in AuditLog.select().where(AuditLog.child_id == case.child_id).order_by(AuditLog.at)
        ]
        expected = []
        for row in case.events.order_by(CaseEvent.happened_on, CaseEvent.id):
            after = STATUS_AFTER.get(row.kind)
            if row.kind == "closed":
                after = AFTER_CLOSURE[json.loads(row.data)["closure"]]
            if after and after != (expected or ["enrolled"])[-1]:
                expected.append(after)
        assert path == expected, case.id
    out = Child.select().where(Child.status.in_(DROPOUT_STATES))
    assert out.count() == DropoutCase.select().where(DropoutCase.child.in_(out)).count()


def test_responsibility(casework):
    users = _users()
    home = Township.get(Township.name == "城关镇")
    teacher = users["teacher"]
    cases = list(DropoutCase.select(DropoutCase, Child, Village).join(Child).join(Village))
    for case in cases:
        child = case.child
        at_home = child.village.township_id == home.id
        assert case.cadre_id == (users["township"].id if at_home else None)
        mine = child.school_id == teacher.school_id or child.responsible_teacher_id == teacher.id
        assert case.teacher_id == (teacher.id if mine else None)
        office = users["township"] if at_home else users["admin"]
        # The 'closed' step is the approval's: tests the closure requests' people in test_closure_requests.
        steps = case.events.where(CaseEvent.kind != "closed")
        people = {row.user_id for row in steps} | {visit.user_id for visit in case.visits}
        assert people <= {office.id, teacher.id if mine else office.id}
    assert sum(case.teacher_id is not None for case in cases) >= 4
    assert sum(case.cadre_id is not None for case in cases) >= 8


def test_closure_requests(casework):
    """Every closure (销号) but a ruled-out suspicion is an approved request with its proof, signed by the case's
    cadre and teacher where the demo has their accounts, decided by another than the requester (or the admin);
    a few of 城关镇's returned children have one waiting or sent back."""
    users = _users()
    requests = list(ClosureRequest.select(ClosureRequest, DropoutCase).join(DropoutCase))
    assert {r.status for r in requests} == {"approved", "pending", "refused"}
    closed = DropoutCase.select().where((DropoutCase.status == "closed") & (DropoutCase.closed_kind != "not_dropout"))
    assert {r.case_id for r in requests if r.status == "approved"} == {case.id for case in closed}
    for r in requests:
        case, proof = r.case, json.loads(r.proof)
        assert r.closure in ("moved_away", "stable_return") and r.scan_path is None
        if r.closure == "moved_away":
            assert proof["receiving_school"] and proof["transfer_number"]
        else:
            assert 0 < proof["attended_days"] <= proof["school_days"] <= 5 and proof["attendance_confirmed_by"]
        assert r.closes_on <= r.requested_at.date() < TODAY
        assert (r.cadre_signed_by_id, r.teacher_signed_by_id) == (
            case.cadre_id if r.cadre_signed_at else None,
            case.teacher_id if r.teacher_signed_at else None,
        )
        signed = [at for at in (r.cadre_signed_at, r.teacher_signed_at) if at]
        assert all(r.requested_at <= at for at in signed)
        if r.status == "pending":
            assert (r.decided_by_id, r.decided_at, r.refusal, case.status) == (None, None, "", "returned")
            continue
        assert r.decided_by_id != r.requested_by_id or r.decided_by_id == users["admin"].id
        assert all(at <= r.decided_at for at in signed) and r.decided_at.date() < TODAY
        if r.status == "approved" and case.cadre_id and case.teacher_id:
            assert len(signed) == 2
        if r.status == "refused":
            assert r.refusal and case.status == "returned" and r.decided_by_id == users["township"].id
    pending = [r for r in requests if r.status == "pending"]
    waiting_for = {(r.cadre_signed_at is None, r.teacher_signed_at is None) for r in pending}
    assert waiting_for == {(False, True), (False, False)}  # the teacher's signature; the township's approval


def test_demo_staff_have_work_to_do(casework):
    users = _users()
    township, teacher = todo(users["township"], TODAY, SETTINGS), todo(users["teacher"], TODAY, SETTINGS)
    for plan in (township, teacher):
        assert plan.count and plan.visits_due and plan.to_confirm and plan.followups_due
        assert any(days == 0 for _case, days in plan.visits_due)  # one falls due today
    assert township.exemptions_expiring and township.exemptions_to_approve
    # 销号: a request for the teacher to sign, one for the township to approve, one sent back to the teacher.
    assert teacher.closures_to_sign and township.closures_to_approve and teacher.closures_refused
    # An overdue notice waits for the township to decide what follows; one with a measure does not.
    assert township.notices_overdue and not any(notice.escalations.exists() for notice in township.notices_overdue)
    # Visits due later, too: not every open case is late.
    assert DropoutCase.select().where(DropoutCase.next_visit_on > TODAY).exists()
    assert DropoutCase.select().where(DropoutCase.next_visit_on < TODAY).exists()


def test_exemptions(casework):
    users = _users()
    home = Township.get(Township.name == "城关镇")
    rows = list(Exemption.select(Exemption, Child, Village).join(Child).join(Village))
    assert len(rows) == casework["exemptions"] and 3 <= len(rows) <= CASE_N * 0.01
    assert {row.status for row in rows} == {"applied", "approved", "filed"}
    assert {row.kind for row in rows} <= set(EXEMPTION_KINDS) and all(row.reason for row in rows)
    at_home = [row for row in rows if row.child.village.township_id == home.id]
    assert len(at_home) >= 3
    assert any(row.status == "approved" and TODAY <= row.valid_until <= TODAY + timedelta(days=30) for row in at_home)
    for row in rows:
        office = users["township"] if row in at_home else users["admin"]
        assert row.applied_on < TODAY < row.valid_until and row.applied_by_id == office.id and row.scan_path is None
        if row.status == "applied":
            assert row.approved_on is row.approved_by_id is row.filed_on is None and row.child.status == "enrolled"
            continue
        assert row.child.status == "deferred" and row.approved_by_id == office.id
        assert row.applied_on <= row.approved_on < TODAY
        expected = (users["bureau"].id, False) if row.status == "filed" else (None, True)
        assert (row.filed_by_id, row.filed_on is None) == expected
        assert row.filed_on is None or row.approved_on <= row.filed_on < TODAY
    deferred = Child.select().where(Child.status == "deferred")
    assert deferred.count() == sum(row.status != "applied" for row in rows)


# -- 限期复学通知书 ---------------------------------------------------------------------------------------


def _home():
    return Township.get(Township.name == "城关镇")


def _township_of(case):
    return Village.get_by_id(case.child.village_id).township_id


def test_notices_in_every_state_in_every_township(casework):
    rows = list(ReturnNotice.select())
    assert casework["notices"] == len(rows) and casework["measures"] == Escalation.select().count() >= 1
    assert {notice.status for notice in rows} == set(NOTICE_STATUSES)
    home = _home()
    assert {notice.status for notice in rows if notice.township_id == home.id} == set(NOTICE_STATUSES)
    assert Escalation.select().join(ReturnNotice).where(ReturnNotice.township == home.id).exists()
    # Every township with a case still open or returned has something to print.
    towns = {_township_of(case) for case in DropoutCase.select().where(DropoutCase.status != "closed")}
    assert towns <= {notice.township_id for notice in rows} and len(towns) >= 10
    codes = [notice.verify_code for notice in rows]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(f"[{notices.CODE_ALPHABET}]{{4}}-[{notices.CODE_ALPHABET}]{{4}}", code) for code in codes)
    assert all(notice.pdf_path is None and notice.sha256 is None for notice in rows)  # rendered on first print
    for notice in rows:
        if notice.status == "superseded":
            continue
        case = DropoutCase.get_by_id(notice.case_id)
        assert _township_of(case) == notice.township_id
        if case.closed_kind == "stable_return":  # complied with, and the follow-ups found the child settled
            assert (notice.status, case.child.status) == ("complied", "enrolled")
        else:
            assert (case.status, case.child.status) == CASE_OF_NOTICE[notice.status], notice.id
        assert case.repeat_count == 0
        if notice.status in ("served", "overdue"):
            assert case.deadline_on == notice.deadline_on
            assert (notice.deadline_on < TODAY) == (notice.status == "overdue")


def test_notice_numbers_are_gapless_per_township_and_year(casework, app):
    towns = {town.id: town for town in Township.select()}
    series = defaultdict(list)
    for notice in ReturnNotice.select().order_by(ReturnNotice.id):
        series[(notice.township_id, notice.year)].append(notice)
    counters = {(int(row.series.rsplit(":", 1)[1]), row.year): row.last for row in DocumentCounter.select()}
    assert set(counters) == set(series)
    corrected = 0
    for (township, year), rows in series.items():
        by_seq = defaultdict(list)
        for notice in rows:
            by_seq[notice.seq].append(notice)
            assert notice.number == notices.format_number(towns[township], year, notice.seq, app.config)
        assert sorted(by_seq) == list(range(1, len(by_seq) + 1)) and counters[(township, year)] == len(by_seq)
        firsts = [by_seq[seq][0] for seq in sorted(by_seq)]
        assert all(first.version == 1 and first.issued_on.year == year for first in firsts)
        # Numbered in the order they were issued, as the counter hands the numbers out.
        assert [first.issued_on for first in firsts] == sorted(first.issued_on for first in firsts)
        assert [first.id for first in firsts] == sorted(first.id for first in firsts)
        for versions in by_seq.values():
            assert [notice.version for notice in versions] == list(range(1, len(versions) + 1))
            assert len({notice.number for notice in versions}) == 1
            for old, new in itertools.pairwise(versions):
                corrected += 1
                assert (old.status, new.supersedes_id, new.status) == ("superseded", old.id, "issued")
                assert old.issued_on < new.issued_on and old.case_id == new.case_id
                assert old.return_school != new.return_school == Child.get_by_id(new.case.child_id).school.name
            assert versions[-1].supersedes_id is None or versions[-1].status != "superseded"
    assert corrected == 1


def test_notice_events_and_service(casework, app):
    users = _users()
    home = _home()
    days = app.config["NOTICE_DEADLINE_DAYS"]
    methods = set()
    for notice in ReturnNotice.select():
        case = DropoutCase.get_by_id(notice.case_id)
        office = users["township"] if notice.township_id == home.id else users["admin"]
        assert notice.issued_by_id == office.id and notice.deadline_days == days and notice.return_school
        events = list(case.events.order_by(CaseEvent.happened_on, CaseEvent.id))
        data = [(row, json.loads(row.data)) for row in events]
        issued = [row for row, values in data if row.kind == "notice_issued" and values["notice"] == notice.id]
        assert len(issued) == 1
        expected = {"notice": notice.id, "number": notice.number}
        if notice.version > 1:
            expected["version"] = notice.version
        assert json.loads(issued[0].data) == expected
        assert (issued[0].happened_on, issued[0].user_id, issued[0].at) == (
            notice.issued_on,
            office.id,
            notice.created_at,
        )
        persuading = [visit.visited_on for visit in case.visits if not visit.is_followup]
        assert persuading and max(persuading) < notice.issued_on  # issued after the visits failed
        served = [row for row, values in data if row.kind == "notice_served" and values["notice"] == notice.id]
        if notice.served_on is None:
            assert not served and notice.service == "{}" and notice.deadline_on is None
            assert notice.status in ("issued", "superseded")
            continue
        assert notice.issued_on <= notice.served_on < TODAY
        assert notice.deadline_on == county_calendar.deadline(notice.served_on, days)  # moved off holidays
        assert len(served) == 1 and served[0].happened_on == notice.served_on and served[0].user_id == office.id
        assert json.loads(served[0].data) == {"notice": notice.id, "deadline_on": notice.deadline_on.isoformat()}
        service = json.loads(notice.service)
        assert list(service) == SERVICE_KEYS and service["method"] in SERVICE_METHODS
        assert re.fullmatch(r"\d\d:\d\d", service["served_time"]) and service["place"] and service["server"]
        methods.add(service["method"])
        if service["method"] == "留置送达":
            assert service["refusal_reason"] and service["witness1"] and service["witness2"]
            assert service["witness1"] != service["witness2"]
        else:
            assert service["recipient"]
            assert not (service["refusal_reason"] or service["witness1"] or service["witness2"])
        returned = [row.happened_on for row, _values in data if row.kind == "returned"]
        if notice.status == "complied":
            assert len(returned) == 1 and notice.served_on < returned[0] <= notice.deadline_on
        else:
            assert not returned
    assert {"直接送达", "留置送达"} <= methods


def test_notice_content_is_what_the_service_would_print(casework, app):
    """The stored content is what documents.build_data() gives from the records as they stood on the day of issue."""
    checked = 0
    for notice in ReturnNotice.select():
        case = DropoutCase.get_by_id(notice.case_id)
        if any(visit.visited_on > notice.issued_on for visit in case.visits):
            continue  # follow-up visits after a return, which the notice could not know of
        note = ""
        if notice.supersedes_id:
            old = notice.supersedes
            issued = f"{old.issued_on.year}年{old.issued_on.month}月{old.issued_on.day}日"
            note = f"（更正件，第{old.version + 1}版，代替{issued}印发的版本）"
        expected = documents.build_data(
            case,
            notice.township,
            notice.number,
            notice.issued_on,
            notice.verify_code,
            app.config,
            notice.return_school,
            note,
        )
        assert json.loads(notice.data) == json.loads(json.dumps(dataclasses.asdict(expected), ensure_ascii=False))
        assert documents.data_of(notice) == expected
        checked += 1
    assert checked >= ReturnNotice.select().where(ReturnNotice.status != "complied").count()


def test_measures_follow_missed_deadlines(casework, app):
    users = _users()
    home = _home()
    numbers = []
    for measure in Escalation.select():
        notice = measure.notice
        assert notice.status == "overdue" and measure.case_id == notice.case_id
        assert measure.kind in app.config["MEASURES"] and measure.notes
        assert notice.deadline_on < measure.decided_on < TODAY
        office = users["township"] if notice.township_id == home.id else users["admin"]
        assert measure.decided_by_id == office.id
        match = re.fullmatch(r"(.+?)(控辍责|罚|执申|训诫|移)〔(\d{4})〕(\d+)号", measure.document_number)
        assert match and notice.township.name.startswith(match[1]) and int(match[3]) == measure.decided_on.year
        numbers.append(measure.document_number)
        event = CaseEvent.get((CaseEvent.case == measure.case_id) & (CaseEvent.kind == "measure"))
        assert (event.happened_on, event.user_id, event.notes, event.at) == (
            measure.decided_on,
            office.id,
            measure.notes,
            measure.created_at,
        )
        assert json.loads(event.data) == {"kind": measure.kind, "number": measure.document_number}
    assert len(numbers) == len(set(numbers))
    assert numbers  # a penalty needs its prior notice and a configured provision: the demo decides none


def test_issuing_after_the_load_continues_the_series(casework, app):
    home = _home()
    series = f"notice:township:{home.id}"
    last = DocumentCounter.get((DocumentCounter.series == series) & (DocumentCounter.year == TODAY.year)).last
    assert last == max(
        n.seq
        for n in ReturnNotice.select().where((ReturnNotice.township == home.id) & (ReturnNotice.year == TODAY.year))
    )
    case = (
        DropoutCase.select()
        .join(Child)
        .join(Village)
        .where(
            (Village.township == home.id)
            & (DropoutCase.status == "persuading")
            & DropoutCase.id.not_in(ReturnNotice.select(ReturnNotice.case))
        )
        .order_by(DropoutCase.id)
        .first()
    )
    notice = notices.issue(_users()["township"], case, app.config, TODAY)
    assert (notice.seq, notice.number) == (last + 1, notices.format_number(home, TODAY.year, last + 1, app.config))
    counter = DocumentCounter.get((DocumentCounter.series == series) & (DocumentCounter.year == TODAY.year))
    assert counter.last == last + 1


def test_deadlines_are_already_checked(casework, app):
    assert notices.check_deadlines(app.config, TODAY) == 0
    running = list(ReturnNotice.select().where(ReturnNotice.status == "served"))
    assert running and all(notice.deadline_on >= TODAY for notice in running)
    later = max(notice.deadline_on for notice in running) + timedelta(days=1)
    assert notices.check_deadlines(app.config, later) == len(running)
    assert all(DropoutCase.get_by_id(notice.case_id).status == "overdue" for notice in running)


def test_verification_and_printing(casework, app):
    home = _home()
    chosen = list(
        ReturnNotice.select().where(ReturnNotice.township == home.id).order_by(ReturnNotice.seq, ReturnNotice.version)
    )
    found = notices.verify(chosen[0].verify_code.lower())
    assert found["number"] == chosen[0].number and found["authority"] == "城关镇人民政府"
    try:
        data = printing.print_batch(chosen, app.config["PDF_FONT"], datetime(2026, 12, 1))
    except FontMissing:
        pytest.skip("no CJK font to print with")
    assert data.startswith(b"%PDF")
    # Without a configured penalty provision the demo decides no penalty (行政处罚法 Art. 38).
    assert not Escalation.select().where(Escalation.kind.in_(("penalty", "court"))).exists()
