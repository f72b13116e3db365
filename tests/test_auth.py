"""Logging in: hashed passwords, throttled failures shared by workers, expiring sessions."""

import subprocess
import sys
import time
from datetime import timedelta

from conftest import PASSWORD, csrf_token, login

from dropout import create_app
from dropout.accounts import users as accounts
from dropout.db import database
from dropout.models import LoginFailure, User, utcnow


def attempt(client, username, password):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def test_login_page_is_labelled_in_chinese(client):
    page = client.get("/login").get_data(as_text=True)
    assert ">用户名</label>" in page and ">密码</label>" in page


def test_a_right_password_logs_in_and_a_wrong_one_does_not(client, make_user):
    user = make_user("admin")
    response = attempt(client, user.username, "wrong password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    login(client, user)
    assert client.get("/").status_code == 200


def test_passwords_are_stored_hashed(db):
    user = accounts.create_user(None, "hashed", "a long secret", "admin")
    assert "a long secret" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


WORKER = """
import sys
from dropout import create_app
app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "x", "DATABASE_URL": sys.argv[1]})
response = app.test_client().post("/login", data={"username": sys.argv[2], "password": sys.argv[3]})
print(response.status_code, "登录失败次数过多" in response.get_data(as_text=True))
"""


def other_worker(app, username, password):
    """One login attempt from a separate process on the same database, as another gunicorn worker."""
    result = subprocess.run(
        [sys.executable, "-c", WORKER, app.config["DATABASE_URL"], username, password],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    status, throttled = result.stdout.split()
    return int(status), throttled == "True"


def test_repeated_failures_are_slowed_down_across_worker_processes(app, client, make_user):
    user = make_user("admin")
    for _ in range(3):
        assert attempt(client, user.username, "wrong").status_code == 401
    assert other_worker(app, user.username, "wrong") == (401, False)
    assert attempt(client, user.username, "wrong").status_code == 401  # the fifth failure
    # The right password is now refused too, in either process, until the wait is over.
    assert other_worker(app, user.username, PASSWORD) == (401, True)
    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 401 and "登录失败次数过多" in response.get_data(as_text=True)


def test_one_address_trying_many_names_is_slowed_down(client, make_user):
    user = make_user("admin")
    for i in range(20):
        attempt(client, f"guess{i}", "wrong")
    response = attempt(client, user.username, PASSWORD)
    assert response.status_code == 401 and "登录失败次数过多" in response.get_data(as_text=True)


def test_the_wait_doubles_and_ends(db):
    now = utcnow()
    for minutes in (10, 9, 8, 7, 6):
        LoginFailure.create(key="victim", at=now - timedelta(minutes=minutes, seconds=30))
    assert accounts.throttle_wait("victim", now, 5, 60) == 0  # last failure 6.5 minutes ago: 60 s wait is over
    LoginFailure.create(key="victim", at=now - timedelta(seconds=10))
    assert accounts.throttle_wait("victim", now, 5, 60) == 110  # sixth failure: 120 s from the last one
    assert accounts.throttle_wait("VICTIM", now, 5, 60) == 110


def test_a_success_clears_the_failures(client, make_user):
    user = make_user("admin")
    for _ in range(3):
        attempt(client, user.username, "wrong")
    login(client, user)
    with database.connection_context():
        assert LoginFailure.select().where(LoginFailure.key == user.username).count() == 0


def test_sessions_expire_when_idle_past_their_lifetime(app, make_user):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=1)
    client = app.test_client()
    login(client, make_user("admin"))
    assert client.get("/").status_code == 200
    time.sleep(2.1)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_disabled_account_loses_access_at_the_next_request(client, make_user):
    admin, victim = make_user("admin"), make_user("bureau")
    login(client, victim)
    assert client.get("/children/").status_code == 200
    with database.connection_context():
        accounts.set_active(admin, User.get_by_id(victim.id), False)
    assert client.get("/children/").status_code == 302


def test_logout_needs_csrf_and_ends_the_session(client, make_user):
    login(client, make_user("admin"))
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    assert client.get("/").status_code == 302


def test_a_session_cookie_copied_before_logout_no_longer_works(app, client, make_user):
    user = make_user("bureau")
    login(client, user)
    stolen = client.get_cookie("session").value
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/children/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    login(client, user)  # logging in again works, with a new version
    assert client.get("/children/").status_code == 200


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, client, make_user):
    admin, user = make_user("admin"), make_user("teacher")
    login(client, user)
    with database.connection_context():
        accounts.set_password(admin, User.get_by_id(user.id), "another-secret-2026")
    assert client.get("/children/").status_code == 302


def test_login_without_csrf_token_is_refused(client, make_user):
    user = make_user("admin")
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400


def test_next_only_redirects_within_the_site(client, make_user):
    user = make_user("admin")
    token = csrf_token(client)
    response = client.post(
        "/login?next=https://evil.example/", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_session_lifetime_follows_the_setting(make_user, database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url, "SESSION_MINUTES": 30})
    assert app.permanent_session_lifetime == timedelta(minutes=30)


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self': no inline script
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script" not in response.get_data(as_text=True)
