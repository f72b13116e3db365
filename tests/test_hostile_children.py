"""Hostile input on the children register: the child and guardian forms, and the list's search and filters."""

import pytest
from conftest import born_aged, csrf_token, login
from hostile import HOSTILE, assert_sane, body, count, hostile_date, hostile_number, hostile_text, stored
from hypothesis import example, given
from hypothesis import strategies as st

from dropout.db import database
from dropout.models import AuditLog, Child, Guardian

TEXT_FIELDS = ("name", "ethnicity", "group", "address", "student_number", "notes")
GUARDIAN_TEXT = ("name", "relation", "phone", "id_number")
CODED = (
    "sex",
    "status",
    "village",
    "school",
    "grade",
    "disability_category",
    "disability_grade",
    "responsible_teacher",
)


@pytest.fixture
def place(app, client, make_village, make_school, make_user):
    """An admin logged in, with a village and a school to register children into."""
    village = make_village()
    school = make_school(township=village.township)
    login(client, make_user("admin"))
    return {"village": str(village.id), "school": str(school.id), "token": csrf_token(client, "/children/new")}


def child_form(place, **changes):
    form = {
        "name": "新同学",
        "sex": "F",
        "birth_on": born_aged(9).isoformat(),
        "village": place["village"],
        "school": place["school"],
        "grade": "3",
        "status": "enrolled",
        "ethnicity": "汉族",
        "guardians-0-name": "母亲甲",
        "guardians-0-relation": "母亲",
        "guardians-0-phone": "13900000000",
        "csrf_token": place["token"],
    }
    form.update(changes)
    return form


def newest_child():
    with database.connection_context():
        child = Child.select().order_by(Child.id.desc()).first()
        return child, list(child.guardians.order_by(Guardian.id))


@HOSTILE
@given(field=st.sampled_from(TEXT_FIELDS), value=hostile_text())
def test_a_new_child_keeps_any_text_exactly_or_nothing(client, place, field, value):
    """Saved: the text comes back exactly (stripped) and is escaped on the child's page. Refused: no row."""
    before = count(Child), count(AuditLog)
    response = client.post("/children/new", data=child_form(place, **{field: value}))
    assert_sane(response, value)
    if response.status_code == 302:
        child, _ = newest_child()
        assert count(Child) == before[0] + 1
        assert (getattr(child, field) or "") == stored(value)
        assert_sane(client.get(response.headers["Location"]), value)
    else:
        assert response.status_code == 422 and "未保存" in body(response)
        assert (count(Child), count(AuditLog)) == before


@HOSTILE
@given(field=st.sampled_from(GUARDIAN_TEXT), value=hostile_text(), row=st.sampled_from("012"))
def test_a_guardian_keeps_any_text_exactly_or_nothing(client, place, field, value, row):
    before = count(Child), count(Guardian)
    response = client.post("/children/new", data=child_form(place, **{f"guardians-{row}-{field}": value}))
    assert_sane(response, value)
    if response.status_code == 302:
        _, guardians = newest_child()
        kept = [getattr(g, field) or "" for g in guardians]
        if stored(value):  # a blank row is no guardian
            assert stored(value) in kept or (field == "id_number" and stored(value).upper() in kept)
        assert count(Guardian) - before[1] == len(guardians)
    else:
        assert response.status_code == 422
        assert (count(Child), count(Guardian)) == before


@HOSTILE
@example(field="village", value="-1")  # once a KeyError: a number refused left no value behind
@example(field="school", value="99999999999999999999")
@given(
    field=st.sampled_from(CODED + ("birth_on", "id_number", "guardians-0-id")),
    value=st.one_of(hostile_number(), hostile_date(), hostile_text()),
)
def test_coded_numbered_and_dated_fields_take_only_valid_values(client, place, field, value):
    """Choices, ids, numbers and dates: anything else is refused with a message, never stored or a 500."""
    before = count(Child)
    response = client.post("/children/new", data=child_form(place, **{field: value}))
    assert_sane(response, value)
    if response.status_code == 302:
        child, _ = newest_child()
        assert child.sex in ("M", "F") and child.status and child.village_id == int(place["village"])
        assert child.grade is None or 1 <= child.grade <= 9
        assert child.disability_grade is None or 1 <= child.disability_grade <= 4
        assert child.birth_on == born_aged(9) or field == "birth_on"
    else:
        assert response.status_code == 422 and count(Child) == before


@HOSTILE
@given(
    field=st.sampled_from(TEXT_FIELDS + ("birth_on", "village", "grade", "guardians-0-phone")),
    value=st.one_of(hostile_text(), hostile_number()),
)
def test_editing_changes_exactly_what_was_sent_or_nothing(client, place, make_child, field, value):
    with database.connection_context():
        child = make_child(birth_on=born_aged(9))
    token = csrf_token(client, f"/children/{child.id}/edit")
    with database.connection_context():
        before = Child.get_by_id(child.id).__data__, count(AuditLog)
        guardian = child.guardians.get()
    same = {
        "name": child.name,
        "sex": child.sex,
        "id_number": child.id_number,
        "village": str(child.village_id),
        "school": "",
        "grade": "",
        "ethnicity": "",
        "guardians-0-name": guardian.name,
        "guardians-0-relation": guardian.relation,
        "guardians-0-phone": guardian.phone,
        "guardians-0-id": str(guardian.id),
    }
    form = child_form(place, csrf_token=token, **{**same, field: value})
    response = client.post(f"/children/{child.id}/edit", data=form)
    assert_sane(response, value)
    with database.connection_context():
        after = Child.get_by_id(child.id)
    if response.status_code == 302:
        if field in TEXT_FIELDS:
            assert (getattr(after, field) or "") == stored(value)
        assert_sane(client.get(f"/children/{child.id}"), value)
    else:
        assert response.status_code == 422
        assert (after.__data__, count(AuditLog)) == before


@HOSTILE
@given(reason=hostile_text())
def test_removing_a_child_records_any_reason_as_text(client, place, make_child, reason):
    child = make_child()
    response = client.post(f"/children/{child.id}/delete", data={"reason": reason, "csrf_token": place["token"]})
    assert response.status_code == 302 and count(Child, Child.id == child.id) == 0
    with database.connection_context():
        entry = AuditLog.get(
            (AuditLog.entity == "child") & (AuditLog.entity_id == child.id) & (AuditLog.action == "delete")
        )
    assert entry.reason == reason[:500]


LIST_ARGS = ("q", "township", "village", "school", "status", "stage", "group", "min_age", "max_age", "page", "full")


@HOSTILE
@given(
    args=st.dictionaries(
        st.sampled_from(LIST_ARGS), st.one_of(hostile_text(), hostile_number(), hostile_date()), min_size=1, max_size=4
    )
)
def test_the_children_list_and_its_exports_take_any_query(client, place, make_child, args):
    """Search and filters never fail, never show another's child, and echo the search escaped."""
    response = client.get("/children/", query_string=args)
    assert_sane(response, *args.values())
    assert response.status_code == 200
    form = client.get("/children/ledger.xlsx", query_string=args)  # what the export will hold, then the task
    assert_sane(form, *args.values())
    assert form.status_code == 200
    ledger = client.post("/children/ledger.xlsx", data={**args, "csrf_token": place["token"]}, follow_redirects=True)
    assert ledger.status_code == 200 and "完成" in body(ledger), body(ledger)[:2000]
    download = client.get(ledger.request.path + "/download")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    download.close()
    cases = client.post("/cases/export.xlsx", data={**args, "csrf_token": place["token"]}, follow_redirects=True)
    assert cases.status_code == 200 and "完成" in body(cases), body(cases)[:2000]
    download = client.get(cases.request.path + "/download")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    download.close()


def test_a_search_for_markup_finds_the_child_named_so_and_shows_it_escaped(client, place, make_child):
    """The stored-XSS round trip: a child named with markup is found by that markup and printed as text."""
    name = "<script>alert(1)</script>小明"
    response = client.post("/children/new", data=child_form(place, name=name))
    assert response.status_code == 302
    page = body(client.get("/children/", query_string={"q": "<script>"}))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;小明" in page and "<script>alert" not in page
