"""Hostile input on 限期复学通知书: issuing (numbers stay gapless), recording service, correcting, recording what
follows, and the notices list, batch print and public verification page."""

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from conftest import born_aged, csrf_token, login
from hostile import HOSTILE, assert_sane, body, count, hostile_date, hostile_number, hostile_text, stored
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dropout import clock
from dropout.db import database
from dropout.models import CaseEvent, Child, DocumentCounter, DropoutCase, Escalation, ReturnNotice, User
from dropout.notices import notices

TODAY = clock.today()
ABSENT = TODAY - timedelta(days=40)
DATES = st.one_of(hostile_date(), st.sampled_from(["", TODAY.isoformat(), (TODAY - timedelta(days=1)).isoformat()]))
FEW = settings(HOSTILE, max_examples=12)  # each issued or corrected notice is printed to PDF: fewer examples


@pytest.fixture
def office(app, client, make_user, make_village, make_school):
    """The county admin logged in; `notice(status)` gives a fresh notice of a confirmed dropout."""
    village = make_village()
    school = make_school(township=village.township, name="城关小学")
    admin = make_user("admin")
    login(client, admin)
    return {"app": app, "village": village, "school": school, "admin": admin, "token": csrf_token(client, "/notices/")}


def dropout_case(make_child, office):
    child = make_child(village=office["village"], school=office["school"], birth_on=born_aged(12))
    with database.connection_context():
        case = DropoutCase.create(child=child, absent_since=ABSENT, opened_on=ABSENT, status="dropped_out")
        CaseEvent.create(case=case, kind="opened", happened_on=ABSENT)
        CaseEvent.create(case=case, kind="confirmed", happened_on=ABSENT, data='{"reason": "work"}')
    return case


def issued(make_child, office, status="issued"):
    case = dropout_case(make_child, office)
    with office["app"].test_request_context(), database.connection_context():
        notice = notices.issue(
            User.get_by_id(office["admin"].id),
            DropoutCase.get_by_id(case.id),
            office["app"].config,
            TODAY - timedelta(days=20),
            "",
            early_reason="监护人拒绝见面",
        )
        if status == "overdue":
            ReturnNotice.update(
                status="overdue", served_on=TODAY - timedelta(days=19), deadline_on=TODAY - timedelta(days=12)
            ).where(ReturnNotice.id == notice.id).execute()
    return notice


def notice_counters():
    with database.connection_context():
        return [row.last for row in DocumentCounter.select()]


def notice_state(notice_id):
    with database.connection_context():
        return (
            ReturnNotice.get_by_id(notice_id).__data__,
            count(ReturnNotice),
            count(Escalation),
            count(CaseEvent),
            [row.__data__ for row in DocumentCounter.select()],
        )


@FEW
@example(return_school="校" * 256)
@given(return_school=st.one_of(hostile_text(), st.just("")))
def test_issuing_keeps_the_school_exactly_and_never_skips_a_number(client, office, make_child, return_school):
    case = dropout_case(make_child, office)
    before = count(ReturnNotice), notice_counters()
    response = client.post(
        f"/cases/{case.id}/notice",
        data={"return_school": return_school, "early_reason": "监护人拒绝见面", "csrf_token": office["token"]},
    )
    assert_sane(response, return_school)
    if response.status_code == 302:
        with database.connection_context():
            notice = ReturnNotice.get(ReturnNotice.case == case.id)
        assert notice.return_school == (stored(return_school) or "城关小学")
        assert notice.seq == sum(before[1]) + 1  # the next number, no gap
        assert_sane(client.get(response.headers["Location"]), return_school)
    else:
        assert response.status_code == 422
        assert (count(ReturnNotice), notice_counters()) == before


SERVICE = {
    "served_on": TODAY.isoformat(),
    "served_time": "10:30",
    "method": "直接送达",
    "recipient": "王某（父亲）",
    "place": "家中",
    "server": "李干事",
    "refusal_reason": "",
    "witness1": "",
    "witness2": "",
}
SERVICE_HOSTILE = {name: hostile_text() for name in SERVICE}
SERVICE_HOSTILE.update(served_on=DATES, method=st.one_of(hostile_text(), st.just("留置送达")))


@HOSTILE
@given(field=st.sampled_from([None, *sorted(SERVICE_HOSTILE)]), data=st.data())
def test_a_proof_of_service_is_kept_exactly_or_changes_nothing(client, office, make_child, field, data):
    notice = issued(make_child, office)
    form = dict(SERVICE)
    value = data.draw(SERVICE_HOSTILE[field], label=field) if field else ""
    if field:
        form[field] = value
    before = notice_state(notice.id)
    response = client.post(f"/notices/{notice.id}/serve", data={**form, "csrf_token": office["token"]})
    assert_sane(response, value)
    if response.status_code == 302:
        with database.connection_context():
            served = ReturnNotice.get_by_id(notice.id)
        kept = json.loads(served.service)
        assert served.status == "served" and served.deadline_on == served.served_on + timedelta(days=7)
        assert {key: kept[key] for key in SERVICE if key != "served_on"} == {
            key: stored(form[key]) for key in SERVICE if key != "served_on"
        }
        assert_sane(client.get(f"/notices/{notice.id}"), value)
    else:
        assert response.status_code == 422
        assert notice_state(notice.id) == before


MEASURE = {
    "kind": "further_order",
    "document_number": "城关镇责改〔2026〕3号",
    "decided_on": TODAY.isoformat(),
    "notes": "再次责令限期复学。",
}
MEASURE_HOSTILE = {
    "kind": st.one_of(hostile_text(), st.just("penalty")),
    "document_number": hostile_text(),
    "decided_on": DATES,
    "notes": hostile_text(),
}


@HOSTILE
@given(field=st.sampled_from([None, *sorted(MEASURE_HOSTILE)]), data=st.data())
def test_a_measure_is_kept_exactly_or_changes_nothing(client, office, make_child, field, data):
    notice = issued(make_child, office, "overdue")
    form = dict(MEASURE)
    value = data.draw(MEASURE_HOSTILE[field], label=field) if field else ""
    if field:
        form[field] = value
    before = notice_state(notice.id)
    response = client.post(f"/notices/{notice.id}/measure", data={**form, "csrf_token": office["token"]})
    assert_sane(response, value)
    if response.status_code == 302:
        with database.connection_context():
            measure = Escalation.select().order_by(Escalation.id.desc()).get()
        assert (measure.kind, measure.document_number, measure.notes) == (
            form["kind"],
            stored(form["document_number"]),
            stored(form["notes"]),
        )
        assert_sane(client.get(f"/notices/{notice.id}"), value)
    else:
        assert response.status_code == 422
        assert notice_state(notice.id) == before


@FEW
@example(return_school="校" * 256)
@given(return_school=hostile_text())
def test_a_correction_keeps_the_school_exactly_or_changes_nothing(client, office, make_child, return_school):
    notice = issued(make_child, office)
    before = notice_state(notice.id)
    response = client.post(
        f"/notices/{notice.id}/correct", data={"return_school": return_school, "csrf_token": office["token"]}
    )
    assert_sane(response, return_school)
    assert response.status_code == 302
    if count(ReturnNotice) == before[1] + 1:
        with database.connection_context():
            new = ReturnNotice.select().order_by(ReturnNotice.id.desc()).get()
        assert (new.number, new.version, new.return_school) == (notice.number, 2, stored(return_school) or "城关小学")
    else:
        assert notice_state(notice.id) == before
        assert "太长了" in body(client.get(response.headers["Location"]))
    assert_sane(client.get(response.headers["Location"]), return_school)


NOTICE_ARGS = st.dictionaries(
    st.sampled_from(["township", "status", "since"]),
    st.one_of(hostile_text(), hostile_number(), hostile_date()),
    min_size=1,
    max_size=3,
)


@HOSTILE
@example(args={"township": "99999999999999999999", "since": "9999-12-31"}, ids=["²", "99999999999999999999"], code="x")
@given(args=NOTICE_ARGS, ids=st.lists(st.one_of(hostile_number(), st.just("1")), max_size=4), code=hostile_text())
def test_the_notices_list_batch_print_and_verification_take_any_input(client, office, args, ids, code):
    response = client.get("/notices/", query_string=args)
    assert response.status_code == 200
    assert_sane(response, *args.values())
    printed = client.post("/notices/batch.pdf", data={"notice": ids, "csrf_token": office["token"]})
    assert printed.status_code in (200, 302)
    printed.close()
    checked = office["app"].test_client().get("/verify/" + quote(code, safe=""))
    assert checked.status_code in (404, 308)  # an unknown code, or a path werkzeug first normalises
    assert_sane(checked, code)


def test_issuing_with_no_school_to_return_to_is_refused_without_using_a_number(client, office, make_child):
    case = dropout_case(make_child, office)
    with database.connection_context():
        Child.update(school=None).where(Child.id == case.child_id).execute()
    response = client.post(
        f"/cases/{case.id}/notice",
        data={"return_school": "  ", "early_reason": "监护人拒绝见面", "csrf_token": office["token"]},
    )
    assert response.status_code == 422 and notice_counters() == [] and count(ReturnNotice) == 0
