"""Hostile input on the county admin's forms: townships, villages and schools, and accounts."""

import pytest
from conftest import csrf_token, login
from hostile import HOSTILE, assert_sane, body, count, hostile_number, hostile_text, stored
from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.security import check_password_hash

from dropout.db import database
from dropout.models import AuditLog, School, Township, User, Village

MODELS = {"township": Township, "village": Village, "school": School}


@pytest.fixture
def admin(app, client, make_user, make_township):
    """The county admin logged in, and a township to put villages and schools in."""
    township = make_township(name="城关镇")
    login(client, make_user("admin", username="root"))
    return {"township": str(township.id), "token": csrf_token(client, "/places/")}


def place_form(admin, **changes):
    form = {
        "name": "某地",
        "notice_prefix": "",
        "township": admin["township"],
        "kind": "primary",
        "csrf_token": admin["token"],
    }
    return {**form, **changes}


@HOSTILE
@given(kind=st.sampled_from(sorted(MODELS)), name=hostile_text(), prefix=hostile_text())
def test_a_new_place_keeps_its_name_exactly_or_is_refused(client, admin, kind, name, prefix):
    """Saved: name (and prefix) exactly as typed, stripped, and escaped in the list. Refused: no row, a message."""
    model = MODELS[kind]
    before = count(model), count(AuditLog)
    response = client.post(f"/places/{kind}/new", data=place_form(admin, name=name, notice_prefix=prefix))
    assert_sane(response, name, prefix)
    if response.status_code == 302:
        with database.connection_context():
            place = model.select().order_by(model.id.desc()).first()
        assert count(model) == before[0] + 1 and place.name == stored(name)
        if kind == "township":
            assert place.notice_prefix == stored(prefix)
        assert_sane(client.get("/places/"), name, prefix)
    else:
        assert response.status_code == 422
        assert (count(model), count(AuditLog)) == before


@HOSTILE
@example(kind="village", township="²", school_kind="primary")  # once a ValueError from int("²")
@example(kind="school", township="99999999999999999999", school_kind="primary")  # once an overflow on SQLite
@given(kind=st.sampled_from(["village", "school"]), township=hostile_number(), school_kind=hostile_text())
def test_a_place_names_a_real_township_and_kind_or_is_refused(client, admin, kind, township, school_kind):
    before = count(MODELS[kind])
    response = client.post(
        f"/places/{kind}/new", data=place_form(admin, name=f"某地{before}", township=township, kind=school_kind)
    )
    assert_sane(response, school_kind)
    if response.status_code == 302:
        assert township.strip() == admin["township"]
    else:
        assert response.status_code == 422 and count(MODELS[kind]) == before
        assert "请选择" in body(response)


@HOSTILE
@given(name=hostile_text())
def test_renaming_a_place_changes_only_its_name(client, admin, make_village, name):
    village = make_village(name="东村")
    with database.connection_context():
        before = Village.get_by_id(village.id).__data__
    response = client.post(
        f"/places/village/{village.id}/edit", data=place_form(admin, name=name, township=str(village.township_id))
    )
    assert_sane(response, name)
    with database.connection_context():
        after = Village.get_by_id(village.id).__data__
    if response.status_code == 302:
        assert after == {**before, "name": stored(name)}
    else:
        assert response.status_code == 422 and after == before


ACCOUNT = {
    "username": "liu",
    "full_name": "刘老师",
    "password": "a fine password",
    "role": "bureau",
    "township": "",
    "school": "",
    "village": "",
}


@settings(HOSTILE, max_examples=12)  # each account hashes its password on purpose slowly
@given(field=st.sampled_from(sorted(ACCOUNT)), value=hostile_text(), username=st.uuids().map(lambda u: u.hex[:12]))
def test_a_new_account_keeps_what_was_typed_or_is_refused(client, admin, field, value, username):
    """Saved: name and full name exactly as typed, the password works. Refused: no account, no audit entry."""
    form = {**ACCOUNT, "username": username, field: value, "csrf_token": csrf_token(client, "/accounts/new")}
    before = count(User), count(AuditLog)
    response = client.post("/accounts/new", data=form)
    assert_sane(response, value)
    if response.status_code == 302:
        with database.connection_context():
            user = User.select().order_by(User.id.desc()).first()
        assert count(User) == before[0] + 1
        assert (user.username, user.full_name, user.role) == (stored(form["username"]), form["full_name"], form["role"])
        assert check_password_hash(user.password_hash, form["password"])
        assert_sane(client.get("/accounts/"), value)
    else:
        assert response.status_code == 422
        assert (count(User), count(AuditLog)) == before
        if field != "password":
            assert ACCOUNT["password"] not in body(response)  # never echoed back


@HOSTILE
@given(role=st.sampled_from(["teacher", "village"]), place=st.one_of(hostile_text(), hostile_number()))
def test_a_scoped_account_is_bound_to_a_real_place_or_refused(client, admin, role, place):
    kind = {"township": "township", "teacher": "school", "village": "village"}[role]
    form = {
        **ACCOUNT,
        "username": f"u{count(User)}",
        "role": role,
        kind: place,
        "csrf_token": csrf_token(client, "/accounts/new"),
    }
    before = count(User)
    response = client.post("/accounts/new", data=form)
    assert_sane(response, place)
    assert response.status_code == 422 and count(User) == before  # no injected name finds a place
    assert "没有这个" in body(response) or "账号必须指定" in body(response)


def test_an_account_name_longer_than_the_column_is_refused_in_chinese(client, admin):
    """PostgreSQL keeps 255 characters: a longer user or full name is a message, on both databases."""
    for field in ("username", "full_name"):
        form = {**ACCOUNT, field: "长" * 256, "csrf_token": csrf_token(client, "/accounts/new")}
        response = client.post("/accounts/new", data=form)
        assert response.status_code == 422 and "太长了：最多 255 个字符。" in body(response)
    assert count(User) == 1
