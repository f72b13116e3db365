"""Logging in: hashed passwords, throttled failures shared by workers, expiring sessions."""
import logging
import time
from datetime import timedelta

from conftest import PASSWORD, csrf_token, login
from dropout import create_app
from dropout.db import database
from dropout.models import LoginFailure, User, utcnow
from dropout.services import accounts


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


def test_repeated_failures_are_slowed_down_across_worker_processes(app, make_user, tmp_path):
    """Two app instances on one database stand for two gunicorn workers."""
    user = make_user("admin")
    other_worker = create_app({"TESTING": True, "SECRET_KEY": "test secret", "DATABASE_URL": app.config["DATABASE_URL"]})
    first, second = app.test_client(), other_worker.test_client()
    for i in range(5):
        assert attempt(first if i % 2 else second, user.username, "wrong").status_code == 401
    # The right password is now refused too, on either worker, until the wait is over.
    for client in (first, second):
        response = attempt(client, user.username, PASSWORD)
        assert response.status_code == 401
        assert "登录失败次数过多" in response.get_data(as_text=True)


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


def test_sessions_expire(app, make_user):
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


def test_passwords_never_reach_the_log(client, make_user, caplog):
    user = make_user("admin")
    with caplog.at_level(logging.DEBUG):
        attempt(client, user.username, "my-secret-guess")
        login(client, user)
    assert "my-secret-guess" not in caplog.text and PASSWORD not in caplog.text


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self': no inline script
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script" not in response.get_data(as_text=True)
