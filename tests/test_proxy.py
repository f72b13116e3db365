"""Behind a reverse proxy: throttling by the real client address, Secure cookies and HSTS over HTTPS."""

import pytest
from conftest import PASSWORD, PASSWORD_HASH, app_settings, csrf_token

from dropout import create_app
from dropout.db import database
from dropout.migrations import migrate
from dropout.models import User

PROXY = "10.0.0.2"  # nginx, as the app sees it
ALICE, BOB = "203.0.113.7", "198.51.100.23"  # two clients out on the internet
THROTTLED = "登录失败次数过多"


@pytest.fixture
def make_app(tmp_path, database_url):
    """An app with these settings on a fresh database holding one account, "teacher1"."""

    def make(**settings):
        app = create_app(
            {
                **app_settings(tmp_path, database_url),
                "LOGIN_MAX_FAILURES": 2,  # so one address is slowed after 2 × 4 = 8 failures
                **settings,
            }
        )
        with app.app_context(), database.connection_context():
            migrate()
            User.get_or_create(username="teacher1", defaults={"password_hash": PASSWORD_HASH, "role": "admin"})
        return app

    yield make
    if not database.is_closed():
        database.close()


def post_login(client, username, password, address, forwarded=None):
    """A login as it reaches the app: from `address`, with the proxy's X-Forwarded-For when given."""
    headers = {}
    if forwarded:  # over HTTPS the CSRF check wants a same-site Referer, as a browser sends
        headers = {"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https", "Referer": "https://localhost/login"}
    environ = {"REMOTE_ADDR": address}
    client.get("/login", environ_base=environ, headers=headers)
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=environ,
        headers=headers,
    )


def fail_until_throttled(client, address, forwarded=None):
    """Failed logins under ever new names from one client until its address is slowed down; their count."""
    for attempt in range(1, 20):
        response = post_login(client, f"nobody{attempt}", "wrong password", address, forwarded)
        if THROTTLED in response.get_data(as_text=True):
            return attempt
    raise AssertionError("never throttled")


def test_behind_one_proxy_each_client_is_throttled_on_its_own(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    alice, bob = app.test_client(), app.test_client()
    assert fail_until_throttled(alice, PROXY, forwarded=ALICE) == 9  # 8 failures, then the wait
    assert THROTTLED in post_login(alice, "teacher1", PASSWORD, PROXY, ALICE).get_data(as_text=True)
    # Bob comes through the same proxy: Alice's failures do not slow him down.
    assert post_login(bob, "teacher1", PASSWORD, PROXY, BOB).status_code == 302
    response = post_login(bob, "someone", "wrong password", PROXY, BOB)
    assert response.status_code == 401 and THROTTLED not in response.get_data(as_text=True)


def test_behind_one_proxy_only_the_last_forwarded_address_is_believed(make_app):
    """A client that sends its own X-Forwarded-For: the proxy appends the address it saw, and that one counts."""
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    fail_until_throttled(client, PROXY, forwarded=f"192.0.2.1, {ALICE}")
    response = post_login(client, "teacher1", PASSWORD, PROXY, f"192.0.2.99, {ALICE}")
    assert THROTTLED in response.get_data(as_text=True)


def test_without_trusted_proxies_forwarded_addresses_are_ignored(make_app):
    app = make_app()  # the default: 0
    client = app.test_client()
    assert fail_until_throttled(client, ALICE, forwarded="192.0.2.1") == 9
    # A new X-Forwarded-For does not make the same connection a new client.
    response = post_login(client, "teacher1", PASSWORD, ALICE, forwarded="192.0.2.2")
    assert THROTTLED in response.get_data(as_text=True)
    # Another address still logs in.
    assert post_login(app.test_client(), "teacher1", PASSWORD, BOB).status_code == 302


def test_https_sets_secure_cookies_and_hsts(make_app):
    app = make_app(HTTPS=1)
    client = app.test_client()
    page = client.get("/login")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    response = post_login(client, "teacher1", PASSWORD, BOB)
    assert response.status_code == 302
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookies = response.headers.getlist("Set-Cookie")
    session = next(cookie for cookie in cookies if cookie.startswith("session="))
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_without_https_neither_secure_cookies_nor_hsts(make_app):
    app = make_app()
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/login").headers
    response = post_login(client, "teacher1", PASSWORD, BOB)
    assert response.status_code == 302 and "Strict-Transport-Security" not in response.headers
    session = next(cookie for cookie in response.headers.getlist("Set-Cookie") if cookie.startswith("session="))
    assert "Secure" not in session and "SameSite=Lax" in session
    assert app.config["REMEMBER_COOKIE_SECURE"] is False
