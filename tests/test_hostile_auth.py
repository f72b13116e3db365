"""Hostile input at the door: the login form, CSRF on every form, NUL characters, logs, headers, disabled accounts."""

import logging
import re
from urllib.parse import quote

import pytest
from conftest import PASSWORD, csrf_token, login
from flask_babel import gettext
from hostile import HOSTILE, assert_sane, body, count, hostile_text
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from dropout.accounts import users as accounts
from dropout.db import database
from dropout.models import AuditLog, Child, LoginFailure, Township, User


@settings(HOSTILE, max_examples=12)  # every attempt checks a password hash, slow on purpose
@given(username=hostile_text(), password=hostile_text())
def test_any_login_attempt_is_refused_cleanly_and_counted(app, username, password):
    """Whatever is typed, the answer is a refusal in Chinese, the failure is counted, the name is escaped."""
    app.config["LOGIN_MAX_FAILURES"] = 10**6  # every attempt is checked, none throttled
    client = app.test_client()
    before = count(LoginFailure)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)}
    )
    assert_sane(response, username)
    assert response.status_code == 401
    assert "用户名或密码错误" in body(response)
    assert count(LoginFailure) == before + 2  # once for the name, once for the address
    assert client.get("/").status_code == 302  # still logged out


@settings(HOSTILE, max_examples=10)
@given(value=st.one_of(hostile_text(nul=True), st.just("\x00")).map(lambda text: text + "\x00" + text))
def test_a_nul_character_anywhere_is_refused_before_any_query(app, client, make_user, value):
    """PostgreSQL refuses NUL in text: a form value, a query argument or a path holding one gets a 400 in Chinese."""
    login(client, make_user("admin"))
    token = csrf_token(client, "/places/")
    with app.test_request_context():
        message = gettext("The input contains a NUL character, which no field accepts. Remove it and try again.")
    before = count(Township)
    for response in (
        client.post("/places/township/new", data={"name": value, "notice_prefix": "", "csrf_token": token}),
        client.get("/children/", query_string={"q": value}),
        client.get("/verify/" + quote(value[:20] + "\x00", safe="")),
    ):
        assert response.status_code == 400, response.request.path
        assert escape(message) in body(response)
    assert count(Township) == before


def _post_routes(app):
    """Every POST route of the app, with placeholder ids: CSRF is checked before anything else."""
    values = {"action": "confirm", "step": "approve", "kind": "village", "token": "0" * 32}
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            args = {name: values.get(name, 1) for name in rule.arguments}
            yield rule.endpoint, rule.build(args, append_unknown=False)[1]


@pytest.mark.parametrize("variant", ["missing", "garbage", "other session", "other key"])
def test_every_form_refuses_a_missing_or_wrong_csrf_token(app, client, make_user, variant):
    """Each POST route answers 400 without a valid token of this session, and writes nothing."""
    admin = make_user("admin")
    login(client, admin)
    other = app.test_client()
    login(other, make_user("admin"))
    tokens = {
        "missing": None,
        "garbage": "x" * 40,
        "other session": csrf_token(other, "/"),
        "other key": "IjBhYmNkZWYi.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb",
    }
    before = count(AuditLog), count(Child), count(User)
    routes = list(_post_routes(app))
    assert len(routes) >= 20  # the walk found the forms
    for endpoint, url in routes:
        data = {"name": "新", "reason": "test"}
        if tokens[variant] is not None:
            data["csrf_token"] = tokens[variant]
        response = client.post(url, data=data)
        assert response.status_code == 400, endpoint
    assert (count(AuditLog), count(Child), count(User)) == before
    # The same session with its own token gets past the check (and then the form's own answer).
    response = client.post("/places/township/new", data={"name": "新镇", "csrf_token": csrf_token(client, "/places/")})
    assert response.status_code == 302


def test_an_account_disabled_mid_form_cannot_submit_it(app, client, make_user, make_village):
    """Disabled while a form is open: the next POST, with a valid token, is turned away and writes nothing."""
    village = make_village()
    admin_client, victim = app.test_client(), make_user("township", township=village.township)
    login(admin_client, make_user("admin"))
    login(client, victim)
    token = csrf_token(client, "/children/new")
    admin_client.post(f"/accounts/{victim.id}/toggle", data={"csrf_token": csrf_token(admin_client, "/accounts/")})
    with database.connection_context():
        assert User.get_by_id(victim.id).is_active is False
    before = count(Child)
    response = client.post(
        "/children/new",
        data={"csrf_token": token, "name": "新生", "sex": "M", "birth_on": "2016-03-01", "village": str(village.id)},
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert count(Child) == before


SECRET = "Pa$$w0rd-不可泄露-7731"


def test_a_password_is_never_written_to_the_logs(app, client, make_user, make_school, caplog, runner):
    """Logging in (right and wrong), creating accounts (page and command) and changing a password log no password."""
    caplog.set_level(logging.DEBUG)  # peewee logs every query with its parameters at DEBUG
    make_school(name="白马小学")
    admin = make_user("admin", username="root")
    login(client, admin)
    form = {"username": "liu", "full_name": "刘老师", "password": SECRET, "role": "teacher", "school": "白马小学"}
    assert (
        client.post("/accounts/new", data={**form, "csrf_token": csrf_token(client, "/accounts/new")}).status_code
        == 302
    )
    other = app.test_client()
    for password in (SECRET + "x", SECRET):
        other.post("/login", data={"username": "liu", "password": password, "csrf_token": csrf_token(other)})
    assert other.get("/").status_code == 200
    result = runner.invoke(args=["create-user", "wang", "--role", "bureau"], input=SECRET + "2\n")
    assert result.exit_code == 0, result.output
    with app.test_request_context(), database.connection_context():
        accounts.set_password(admin, User.get(User.username == "liu"), SECRET + "3")
        logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
        stored = [repr(row) for row in AuditLog.select().tuples()] + [
            repr(row) for row in LoginFailure.select().tuples()
        ]
    assert "liu" in logged and "wang" in logged  # the queries were captured, with their parameters
    assert SECRET not in logged and SECRET not in result.output
    assert not [row for row in stored if SECRET in row]


PAGES = (
    "/login",
    "/",
    "/children/",
    "/no-such-page",
    "/children/999999",
    "/static/style.css",
    "/imports/template.xlsx",
)


def test_every_kind_of_response_carries_the_security_headers(app, client, make_user):
    """Pages, errors, redirects, files and downloads: CSP without inline script, nosniff, no framing."""
    login(client, make_user("admin"))
    responses = [client.get(url) for url in PAGES]
    responses.append(client.post("/places/township/new", data={"name": "x"}))  # 400: no CSRF token
    responses.append(client.get("/lang/en?next=/"))  # a redirect
    responses.append(app.test_client().get("/children/"))  # anonymous: to the login page
    assert {r.status_code for r in responses} >= {200, 302, 400, 404}
    for response in responses:
        policy = response.headers["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        scripts = directives.get("script-src", directives["default-src"])
        assert scripts == "'self'" and "unsafe" not in policy, policy
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        response.close()


def test_pages_have_no_inline_script_to_allow(app, client, make_user):
    """The policy can stay strict because no page carries inline script or event-handler attributes."""
    login(client, make_user("admin"))
    for url in (
        "/",
        "/children/",
        "/children/new",
        "/cases/",
        "/notices/",
        "/visits/new",
        "/places/",
        "/accounts/new",
        "/imports/",
        "/registers/",
        "/login",
    ):
        page = body(client.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert not re.search(r"\son[a-z]+\s*=", page), url
        assert "javascript:" not in page, url


def test_the_throttle_counts_a_name_longer_than_any_account(app, client, make_user):
    """A 20,000-character name is refused and counted like any other, on both databases."""
    name = "名" * 20000
    for _ in range(2):
        response = client.post(
            "/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf_token(client)}
        )
        assert response.status_code == 401
    with database.connection_context():
        assert LoginFailure.select().where(LoginFailure.key == name[:255]).count() == 2
