"""销号 with sign-off: a closure is requested, signed by the case's cadre and teacher, approved by the township with
its proof; refused, withdrawn, scoped; the stable return after the follow-ups; the 台账 and the to-do lists."""

import io
import json
from datetime import date, datetime, timedelta

import pytest
from conftest import csrf_token, login
from county import build_county

from dropout import clock, create_app, todo
from dropout.casework import cases, closures, visits
from dropout.casework.settings import CaseSettings
from dropout.core.errors import PermissionDenied, ValidationError
from dropout.db import database
from dropout.migrations import migrate
from dropout.models import AuditLog, CaseEvent, Child, ClosureRequest, DropoutCase, Exemption, Township, User, Village
from dropout.reporting import ledgers
from dropout.rules.case_status import derive

SETTINGS = CaseSettings()
OPENED = date(2026, 3, 2)
DAY = date(2026, 4, 1)
LATER = date(2026, 6, 23)  # after the three follow-ups of a return on 20 March
MOVED = {"receiving_school": "成都市青羊区实验小学", "transfer_number": "XJZJ-2026-0412"}
DIED = {"death_on": "2026-03-30"}
PAGE_PROOF = {"close-receiving_school": "外县小学", "close-transfer_number": "XJZJ-1"}  # the request form's
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def county(app):
    return build_county()


def dropout_case(county, opened=OPENED):
    """A confirmed dropout of the home township, its cadre (the township account) and teacher named."""
    township, teacher = county.users["township"], county.users["teacher"]
    case = cases.open_case(township, county.own, opened, SETTINGS, today=opened)
    case = cases.confirm(township, case, "work", "", opened, SETTINGS, today=opened)
    cases.assign(township, case, township.id, teacher.id, opened)
    return DropoutCase.get_by_id(case.id)


def fresh(record):
    return type(record).get_by_id(record.id)


def child_status(child):
    return Child.get_by_id(child.id).status


def test_a_request_signed_by_both_and_approved_closes_the_case(db, county):
    township, teacher = county.users["township"], county.users["teacher"]
    case = dropout_case(county)
    request = closures.submit(teacher, case, "moved_away", DAY, MOVED, SETTINGS, DAY)
    assert (request.status, request.teacher_signed_by_id, request.cadre_signed_by_id) == ("pending", teacher.id, None)
    assert fresh(case).status == "dropped_out"  # a request closes nothing
    closures.sign(township, fresh(request), DAY)
    closures.approve(township, fresh(request), {}, SETTINGS, DAY)
    request, case = fresh(request), fresh(case)
    assert (request.status, request.decided_by_id) == ("approved", township.id)
    assert (case.status, case.closed_kind, child_status(county.own)) == ("closed", "moved_away", "moved_out")
    closed = CaseEvent.get((CaseEvent.case == case.id) & (CaseEvent.kind == "closed"))
    assert closed.happened_on == DAY
    assert json.loads(closed.data) == {"closure": "moved_away", "request": request.id, **MOVED}
    reasons = [e.reason for e in AuditLog.select().where(AuditLog.entity == "closure_request").order_by(AuditLog.id)]
    assert reasons == ["closure requested", "closure signed by the cadre", "closure approved"]


def test_a_request_without_its_proof_is_refused_and_a_scan_is_proof(db, county, tmp_path):
    township, teacher = county.users["township"], county.users["teacher"]
    case = dropout_case(county)
    with pytest.raises(ValidationError) as refused:
        closures.submit(teacher, case, "moved_away", DAY, {"receiving_school": "外县小学"}, SETTINGS, DAY)
    assert set(refused.value.errors) == {"transfer_number"}
    assert "接收证明" in str(refused.value.errors["transfer_number"])
    with pytest.raises(ValidationError) as no_date:
        closures.submit(teacher, case, "deceased", DAY, {}, SETTINGS, DAY)
    assert set(no_date.value.errors) == {"death_on"}
    assert ClosureRequest.select().count() == 0 and fresh(case).status == "dropped_out"
    # The receiving school's confirmation as a scan instead of its number.
    scan = io.BytesIO(PNG)
    request = closures.submit(
        teacher, case, "moved_away", DAY, {"receiving_school": "外县小学"}, SETTINGS, DAY, scan, str(tmp_path)
    )
    closures.sign(township, fresh(request), DAY)
    closures.approve(county.users["admin"], fresh(request), {}, SETTINGS, DAY)
    assert fresh(case).status == "closed"
    assert (tmp_path / fresh(request).scan_path).read_bytes() == PNG


def test_approval_without_the_proof_is_refused_and_nothing_changes(db, county):
    township, teacher = county.users["township"], county.users["teacher"]
    case = dropout_case(county)
    exemption = Exemption.create(
        child=county.own, kind="defer", reason="病休", applied_on=OPENED, status="approved", valid_until=LATER
    )
    request = closures.submit(teacher, case, "exempted", DAY, {}, SETTINGS, DAY)
    closures.sign(township, fresh(request), DAY)
    Exemption.update(valid_until=DAY - timedelta(days=1)).where(Exemption.id == exemption.id).execute()  # lapsed
    with pytest.raises(ValidationError) as refused:
        closures.approve(township, fresh(request), {}, SETTINGS, DAY)
    assert set(refused.value.errors) == {"closure"} and "缓学" in str(refused.value.errors["closure"])
    assert fresh(request).status == "pending" and fresh(case).status == "dropped_out"
    assert not CaseEvent.select().where((CaseEvent.case == case.id) & (CaseEvent.kind == "closed")).exists()
    assert child_status(county.own) == "dropped_out"


def test_approval_needs_both_signatures_and_not_the_requester(db, county, make_user):
    township, teacher = county.users["township"], county.users["teacher"]
    case = dropout_case(county)
    request = closures.submit(township, case, "moved_away", DAY, MOVED, SETTINGS, DAY)
    assert request.cadre_signed_by_id == township.id  # the cadre who requests signs with the request
    colleague = make_user("township", township=county.home_village.township_id)
    with pytest.raises(ValidationError) as refused:
        closures.approve(colleague, fresh(request), {}, SETTINGS, DAY)
    assert set(refused.value.errors) == {"teacher_signature"}
    closures.sign(teacher, fresh(request), DAY)
    with pytest.raises(ValidationError) as own:
        closures.approve(township, fresh(request), {}, SETTINGS, DAY)
    assert "乡镇另一名工作人员审批" in str(own.value.errors["approve"])
    assert fresh(request).status == "pending"
    closures.approve(colleague, fresh(request), {}, SETTINGS, DAY)
    assert fresh(case).status == "closed"


def test_the_administrator_approves_even_a_request_of_their_own(db, county):
    admin, township, teacher = county.users["admin"], county.users["township"], county.users["teacher"]
    case = dropout_case(county)
    request = closures.submit(admin, case, "deceased", DAY, {"death_on": "2026-03-30"}, SETTINGS, DAY)
    closures.sign(township, fresh(request), DAY)
    closures.sign(teacher, fresh(request), DAY)
    closures.approve(admin, fresh(request), {}, SETTINGS, DAY)
    assert (fresh(case).closed_kind, child_status(county.own)) == ("deceased", "deceased")


def test_a_refusal_sends_it_back_with_its_reason(db, county):
    township, teacher = county.users["township"], county.users["teacher"]
    case = dropout_case(county)
    request = closures.submit(teacher, case, "moved_away", DAY, MOVED, SETTINGS, DAY)
    with pytest.raises(ValidationError) as no_reason:
        closures.refuse(township, fresh(request), "  ", DAY)
    assert set(no_reason.value.errors) == {"refusal"}
    closures.refuse(township, fresh(request), "接收证明无学校盖章", DAY)
    request = fresh(request)
    assert (request.status, request.refusal, request.decided_by_id) == ("refused", "接收证明无学校盖章", township.id)
    assert fresh(case).status == "dropped_out"
    sent_back = todo.todo(teacher, DAY, SETTINGS).closures_refused
    assert [(r.id, r.refusal) for r in sent_back] == [(request.id, "接收证明无学校盖章")]
    with pytest.raises(ValidationError):
        closures.sign(township, request, DAY)  # no longer waiting
    again = closures.submit(teacher, fresh(case), "moved_away", DAY, MOVED, SETTINGS, DAY)
    assert again.status == "pending"
    assert todo.todo(teacher, DAY, SETTINGS).closures_refused == []  # answered by the new request


def test_one_request_waits_at_a_time_and_the_requester_withdraws_it(db, county):
    township, teacher = county.users["township"], county.users["teacher"]
    case = dropout_case(county)
    request = closures.submit(teacher, case, "moved_away", DAY, MOVED, SETTINGS, DAY)
    with pytest.raises(ValidationError) as second:
        closures.submit(township, fresh(case), "deceased", DAY, DIED, SETTINGS, DAY)
    assert "已有一份待处理的销号申请" in str(second.value.errors["closure"])
    with pytest.raises(ValidationError) as not_theirs:
        closures.withdraw(township, fresh(request), DAY)
    assert set(not_theirs.value.errors) == {"withdraw"}
    closures.withdraw(teacher, fresh(request), DAY)
    assert fresh(request).status == "withdrawn"
    assert closures.submit(township, fresh(case), "deceased", DAY, DIED, SETTINGS, DAY).status == "pending"


def test_both_responsible_persons_are_needed_and_only_they_sign(db, county, make_user):
    township, teacher, admin = county.users["township"], county.users["teacher"], county.users["admin"]
    case = cases.open_case(township, county.own, OPENED, SETTINGS, today=OPENED)
    case = DropoutCase.get_by_id(case.id)
    assert case.teacher_id is None
    with pytest.raises(ValidationError) as unassigned:
        closures.submit(township, case, "moved_away", DAY, MOVED, SETTINGS, DAY)
    assert "请先指定乡镇干部和教师" in str(unassigned.value.errors["closure"])
    cases.assign(township, case, township.id, teacher.id, OPENED)
    request = closures.submit(admin, fresh(case), "moved_away", DAY, MOVED, SETTINGS, DAY)
    other_teacher = make_user("teacher", school=county.home_school)
    for stranger in (admin, other_teacher):
        with pytest.raises((ValidationError, PermissionDenied)):
            closures.sign(stranger, fresh(request), DAY)
    closures.sign(teacher, fresh(request), DAY)
    with pytest.raises(ValidationError) as twice:
        closures.sign(teacher, fresh(request), DAY)
    assert "已在该申请上签过字" in str(twice.value.errors["sign"])
    assert fresh(request).cadre_signed_by_id is None


def test_another_township_neither_requests_nor_approves(db, county, make_user):
    teacher, township = county.users["teacher"], county.users["township"]
    case = dropout_case(county)
    request = closures.submit(teacher, case, "moved_away", DAY, MOVED, SETTINGS, DAY)
    closures.sign(township, fresh(request), DAY)
    elsewhere = make_user("township", township=Township.get(Township.name == "白马乡"))
    for step in (
        lambda: closures.approve(elsewhere, fresh(request), {}, SETTINGS, DAY),
        lambda: closures.refuse(elsewhere, fresh(request), "不同意", DAY),
        lambda: closures.submit(elsewhere, fresh(case), "deceased", DAY, DIED, SETTINGS, DAY),
    ):
        with pytest.raises(PermissionDenied):
            step()
    for role in ("bureau", "village"):
        with pytest.raises(PermissionDenied):
            closures.approve(county.users[role], fresh(request), {}, SETTINGS, DAY)
    assert fresh(request).status == "pending"


def returned_case(county):
    """A dropout back at school on 20 March, the three follow-up visits not yet made."""
    township = county.users["township"]
    case = dropout_case(county)
    cases.record_return(township, case, date(2026, 3, 20), "original", county.home_school.id, 5, "", SETTINGS, DAY)
    return fresh(case)


def follow_up(county, case, day):
    values = {"visited_on": day, "method": "school", "met": "child", "outcome": "agreed", "reasons": ""}
    visits.log_visit(county.users["township"], fresh(case), values, SETTINGS, today=day)


def test_the_last_follow_up_no_longer_closes_a_stable_return_an_approved_request_does(db, county):
    township, teacher = county.users["township"], county.users["teacher"]
    case = returned_case(county)
    attendance = {"attended_days": "5", "school_days": "5", "attendance_confirmed_by": "班主任刘芳"}
    with pytest.raises(ValidationError) as early:
        closures.submit(teacher, case, "stable_return", DAY, attendance, SETTINGS, DAY)
    assert "巩固回访尚未完成" in str(early.value.errors["closure"])
    for day in (date(2026, 4, 21), date(2026, 5, 20), date(2026, 6, 22)):
        follow_up(county, case, day)
    case = fresh(case)
    assert (case.status, case.next_followup_on, child_status(county.own)) == ("returned", None, "returned")
    with pytest.raises(ValidationError) as backdated:
        closures.submit(teacher, case, "stable_return", date(2026, 6, 21), attendance, SETTINGS, LATER)
    assert "2026-06-22" in str(backdated.value.errors["on"])
    request = closures.submit(teacher, case, "stable_return", date(2026, 6, 22), attendance, SETTINGS, LATER)
    closures.sign(township, fresh(request), LATER)
    closures.approve(township, fresh(request), {}, SETTINGS, LATER)
    case = fresh(case)
    assert (case.status, case.closed_kind, child_status(county.own)) == ("closed", "stable_return", "enrolled")
    closed = CaseEvent.get((CaseEvent.case == case.id) & (CaseEvent.kind == "closed"))
    assert closed.happened_on == date(2026, 6, 22)
    assert json.loads(closed.data)["attended_days"] == 5


@pytest.mark.parametrize(
    "attendance, field",
    [
        ({"attended_days": "0", "school_days": "5", "attendance_confirmed_by": "班主任"}, "attended_days"),
        ({"attended_days": "6", "school_days": "5", "attendance_confirmed_by": "班主任"}, "attended_days"),
        ({"attended_days": "4", "school_days": "", "attendance_confirmed_by": "班主任"}, "school_days"),
        ({"attended_days": "4", "school_days": "5"}, "attendance_confirmed_by"),
    ],
)
def test_a_stable_return_needs_the_first_weeks_attendance(db, county, attendance, field):
    teacher = county.users["teacher"]
    case = returned_case(county)
    for day in (date(2026, 4, 21), date(2026, 5, 20), date(2026, 6, 22)):
        follow_up(county, case, day)
    with pytest.raises(ValidationError) as refused:
        closures.submit(teacher, fresh(case), "stable_return", date(2026, 6, 22), attendance, SETTINGS, LATER)
    assert set(refused.value.errors) == {field}
    assert fresh(case).status == "returned" and not ClosureRequest.select().exists()


def test_a_stable_return_is_requested_only_once_the_return_is_recorded(db, county):
    case = dropout_case(county)
    with pytest.raises(ValidationError) as refused:
        closures.submit(county.users["teacher"], case, "stable_return", DAY, {}, SETTINGS, DAY)
    assert "已登记返校" in str(refused.value.errors["closure"])


def test_the_ledger_shows_requests_waiting_and_the_to_do_lists_carry_them(db, county, make_user):
    township, teacher, admin = county.users["township"], county.users["teacher"], county.users["admin"]
    case = dropout_case(county)
    today = DAY
    request = closures.submit(admin, case, "moved_away", DAY, MOVED, SETTINGS, DAY)
    rows = ledgers.page_rows(township, "dropouts", ledgers.LedgerFilters(), today)[1]
    waiting = [header for header, _width in ledgers.HEADERS].index("销号申请")
    assert [cells[waiting] for _id, cells in rows] == ["待签字"]
    assert [r.id for r in todo.todo(township, today, SETTINGS).closures_to_sign] == [request.id]
    assert [r.id for r in todo.todo(teacher, today, SETTINGS).closures_to_sign] == [request.id]
    assert todo.todo(township, today, SETTINGS).closures_to_approve == []
    closures.sign(township, fresh(request), DAY)
    closures.sign(teacher, fresh(request), DAY)
    assert todo.todo(teacher, today, SETTINGS).closures_to_sign == []
    assert [r.id for r in todo.todo(township, today, SETTINGS).closures_to_approve] == [request.id]
    assert todo.todo(county.users["bureau"], today, SETTINGS).closures_to_approve == []
    assert ledgers.waiting_counts(township, today) == {"suspected": 0, "dropouts": 1}
    pending = ledgers.page_rows(township, "dropouts", ledgers.LedgerFilters(closure="pending"), today)
    assert pending[0] == 1 and pending[1][0][1][waiting] == "待审批"
    closures.approve(township, fresh(request), {}, SETTINGS, DAY)
    assert ledgers.waiting_counts(township, today) == {"suspected": 0, "dropouts": 0}
    assert todo.todo(township, today, SETTINGS).closures_to_approve == []


# -- the case page ------------------------------------------------------------------------------------------------


def page_case(county):
    """A case dated before the county's today, for the pages (which stand on clock.today())."""
    return dropout_case(county, clock.today() - timedelta(days=30))


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")})


def test_the_page_requests_signs_and_approves(app, client, county):
    township, teacher = county.users["township"], county.users["teacher"]
    case = page_case(county)
    today = clock.today().isoformat()
    login(client, teacher)
    asked = {"close-closure": "moved_away", "close-on": today, "close-receiving_school": "外县小学"}
    refused = post(client, f"/cases/{case.id}/close", asked)
    assert refused.status_code == 422 and "请填写接收学校的确认" in refused.get_data(as_text=True)
    assert not ClosureRequest.select().exists()  # nobody signs a closure without its proof
    response = post(client, f"/cases/{case.id}/close", {**asked, "close-scan": (io.BytesIO(PNG), "证明.png")})
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "销号申请" in page and "乡镇干部尚未签字。" in page and "请填写接收学校的确认" not in page
    assert "作为教师签字" not in page  # signed with the request
    assert 'closure-pending">待签字<' in page
    client.get("/logout")
    login(client, township)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "作为乡镇干部签字" in page and "批准销号" in page
    assert post(client, f"/cases/{case.id}/closure/sign", {}).status_code == 302
    assert 'closure-pending">待审批<' in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert fresh(case).status == "dropped_out"
    done = post(client, f"/cases/{case.id}/closure/approve", {"approve-receiving_school": "外县小学"})
    assert done.status_code == 302
    assert (fresh(case).status, fresh(case).closed_kind) == ("closed", "moved_away")
    request = ClosureRequest.get(ClosureRequest.case == case.id)
    scan = client.get(f"/cases/{case.id}/closure/{request.id}/scan")
    scan.close()
    assert scan.status_code == 200


def test_the_page_refuses_in_chinese_with_the_reason(app, client, county):
    township, teacher = county.users["township"], county.users["teacher"]
    case = page_case(county)
    login(client, teacher)
    post(
        client,
        f"/cases/{case.id}/close",
        {"close-closure": "moved_away", "close-on": clock.today().isoformat(), **PAGE_PROOF},
    )
    again = post(client, f"/cases/{case.id}/close", {"close-closure": "deceased"})
    assert again.status_code == 422  # one waits already; the request form is not even offered
    no_sign = post(client, f"/cases/{case.id}/closure/sign", {})
    assert no_sign.status_code == 422 and "您已在该申请上签过字。" in no_sign.get_data(as_text=True)
    client.get("/logout")
    login(client, township)
    empty = post(client, f"/cases/{case.id}/closure/refuse", {"refuse-refusal": ""})
    assert empty.status_code == 422 and "请填写退回的理由。" in empty.get_data(as_text=True)
    assert post(client, f"/cases/{case.id}/closure/refuse", {"refuse-refusal": "证明不全"}).status_code == 302
    client.get("/logout")
    login(client, teacher)
    home = client.get("/").get_data(as_text=True)
    assert "被退回的销号申请" in home and "证明不全" in home
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "已退回：证明不全" in page


def test_another_townships_staff_cannot_reach_the_request(app, client, county, make_user):
    case = page_case(county)
    closures.submit(county.users["teacher"], case, "moved_away", clock.today(), MOVED, SETTINGS, clock.today())
    elsewhere = make_user("township", township=Township.get(Township.name == "白马乡"))
    login(client, elsewhere)
    assert post(client, f"/cases/{case.id}/closure/approve", {}).status_code == 404
    assert ClosureRequest.get(ClosureRequest.case == case.id).status == "pending"
    assert User.get_by_id(elsewhere.id).role == "township"


def test_migration_0020_gives_an_earlier_stable_return_its_closed_step(database_url):
    """A case the last follow-up closed before the sign-off existed keeps its closure: a 'closed' step on that
    follow-up's day, by its visitor at its time; a case closed otherwise is left as it was."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url})
    with app.app_context(), database.connection_context():
        migrate(target=19)
        town = Township.create(name="老镇", notice_prefix="老")
        village = Village.create(township=town, name="老村")
        user = User.create(username="old", password_hash="x", role="township", township=town)
        steps = [
            ("opened", OPENED, {}),
            ("confirmed", OPENED, {"reason": "work"}),
            ("returned", date(2026, 3, 20), {"placement": "original"}),
            *(("visit", day, {"followup": True}) for day in (date(2026, 4, 21), date(2026, 5, 20), date(2026, 6, 22))),
        ]
        made = {}
        for name, closed_kind, extra in (("稳定", "stable_return", []), ("转出", "moved_away", [MOVED])):
            child = Child.create(name=name, sex="F", birth_on=date(2015, 5, 1), village=village)
            case = DropoutCase.create(
                child=child, absent_since=OPENED, opened_on=OPENED, status="closed", closed_kind=closed_kind
            )
            for kind, day, data in steps[:2] + (steps[2:] if not extra else []):
                at = datetime.combine(day, datetime.min.time()) + timedelta(hours=10)
                CaseEvent.create(case=case, kind=kind, happened_on=day, at=at, user=user, data=json.dumps(data))
            for proof in extra:
                data = json.dumps({"closure": "moved_away", **proof})
                CaseEvent.create(case=case, kind="closed", happened_on=DAY, at=datetime(2026, 4, 1, 9), data=data)
            made[closed_kind] = case
        assert "0020_stable_returns_closed" in migrate()
        closed = CaseEvent.get((CaseEvent.case == made["stable_return"].id) & (CaseEvent.kind == "closed"))
        last_visit = datetime(2026, 6, 22, 10)
        assert (closed.happened_on, closed.at, closed.user_id) == (last_visit.date(), last_visit, user.id)
        assert json.loads(closed.data)["closure"] == "stable_return"
        state = derive(cases.events_of(made["stable_return"]), DAY, SETTINGS.followup_months)
        assert (state.status, state.closed_kind) == ("closed", "stable_return")
        moved = CaseEvent.select().where((CaseEvent.case == made["moved_away"].id) & (CaseEvent.kind == "closed"))
        assert moved.count() == 1


def test_the_requester_is_offered_to_withdraw_not_to_decide(app, client, county):
    township = county.users["township"]
    case = page_case(county)
    login(client, township)
    today = clock.today().isoformat()
    asked = {"close-closure": "moved_away", "close-on": today, **PAGE_PROOF}
    assert post(client, f"/cases/{case.id}/close", asked).status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "撤回申请" in page and "批准销号" not in page and ">退回<" not in page
