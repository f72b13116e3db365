"""Logins are audited (success, failure, slowdown, a disabled account) with the name as typed, the address and
the outcome, never the password; the admin reads them with filters. Passwords follow a rule (length, no name,
not easy to guess); an account whose password breaks it, or whom the admin asks, changes it before going on."""

import html
from datetime import datetime

import pytest
from conftest import PASSWORD, csrf_token, login
from peewee import DatabaseError
from werkzeug.security import check_password_hash, generate_password_hash

from dropout import create_app
from dropout.accounts import users as accounts
from dropout.core.errors import ValidationError
from dropout.db import database
from dropout.migrations import migrate
from dropout.models import AuditLog, User

ADDRESS = "203.0.113.7"
NEW_PASSWORD = "violet tractor harbour"


def attempt(client, username, password, address=ADDRESS):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )


def logins():
    """The login audit rows, oldest first, as (typed name, outcome, address, account id, user id)."""
    with database.connection_context():
        return [
            (e.username, e.action, accounts.login_address(e), e.entity_id, e.user_id)
            for e in AuditLog.select().where(AuditLog.entity == "login").order_by(AuditLog.id)
        ]


def audit_text():
    """Every column of every audit row, as one text."""
    with database.connection_context():
        rows = database.execute_sql("SELECT * FROM audit_log").fetchall()
    return "\n".join(repr(row) for row in rows)


def weak_user(make_user, password="12345678", **fields):
    """An account whose password was set before the rule (short, common)."""
    user = make_user("teacher", **fields)
    with database.connection_context():
        User.update(password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000")).where(
            User.id == user.id
        ).execute()
    return user


def change(client, current, new=NEW_PASSWORD):
    """Post the change-password form."""
    return client.post(
        "/password",
        data={
            "current_password": current,
            "new_password": new,
            "repeat_password": new,
            "csrf_token": csrf_token(client, "/password"),
        },
    )


def fresh(user):
    with database.connection_context():
        return User.get_by_id(user.id)


# --- Logins are audited ---------------------------------------------------------------------------------------


def test_success_failure_slowdown_and_a_disabled_account_are_audited_without_the_password(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES"] = 2
    user = make_user("teacher", username="liu")
    off = make_user("teacher", username="off")
    with database.connection_context():
        User.update(is_active=False).where(User.id == off.id).execute()

    assert attempt(client, "liu", PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert attempt(client, "off", PASSWORD, "198.51.100.9").status_code == 401
    assert attempt(client, "liu", "wrong secret one").status_code == 401
    assert attempt(client, " LIU", "wrong secret two").status_code == 401
    assert attempt(client, "liu", PASSWORD).status_code == 401  # slowed down: refused even with the right password

    assert logins() == [
        ("liu", "success", ADDRESS, user.id, user.id),
        ("off", "disabled", "198.51.100.9", off.id, None),
        ("liu", "failure", ADDRESS, user.id, None),
        (" LIU", "failure", ADDRESS, None, None),  # as typed: no account is named " LIU"
        ("liu", "throttled", ADDRESS, None, None),
    ]
    text = audit_text()
    for secret in (PASSWORD, "wrong secret one", "wrong secret two"):
        assert secret not in text


def test_an_unknown_or_hostile_name_is_kept_as_typed_cut_short(app, client):
    typed = "<script>alert(1)</script>" + "名" * 300
    assert attempt(client, typed, "whatever it is").status_code == 401
    [(name, outcome, address, account, user)] = logins()
    assert (name, outcome, address, account, user) == (typed[: accounts.TYPED_NAME_MAX], "failure", ADDRESS, None, None)


def test_the_audit_outlives_the_failure_counter(db, make_user):
    """Failure counts are forgotten after the hour; the audit rows stay (append-only)."""
    user = make_user("teacher", username="zhou")
    accounts.authenticate("zhou", "wrong guess here", address=ADDRESS, now=datetime(2026, 11, 1, 8))
    accounts.authenticate("zhou", "wrong guess again", address=ADDRESS, now=datetime(2026, 11, 1, 10))
    logged_in, _message = accounts.authenticate("zhou", PASSWORD, address=ADDRESS, now=datetime(2026, 11, 1, 10, 5))
    assert logged_in.id == user.id
    assert [
        (row.action, row.at) for row in AuditLog.select().where(AuditLog.entity == "login").order_by(AuditLog.id)
    ] == [
        ("failure", datetime(2026, 11, 1, 8)),
        ("failure", datetime(2026, 11, 1, 10)),
        ("success", datetime(2026, 11, 1, 10, 5)),
    ]
    with pytest.raises(DatabaseError), database.atomic():  # the triggers refuse it
        AuditLog.delete().where(AuditLog.entity == "login").execute()


# --- The admin's page ------------------------------------------------------------------------------------------


def _seed(make_user):
    """Attempts on three days (UTC times; the county is 8 hours ahead)."""
    make_user("teacher", username="wang")
    make_user("teacher", username="chen")
    with database.connection_context():
        accounts.authenticate("wang", PASSWORD, address="10.0.0.1", now=datetime(2026, 10, 30, 23))  # 31 Oct in county
        accounts.authenticate("wang", "a wrong guess", address="10.0.0.2", now=datetime(2026, 11, 2, 1))
        accounts.authenticate("chen", PASSWORD, address="10.0.0.3", now=datetime(2026, 11, 5, 2))
        accounts.authenticate("<b>eve</b>", "guess guess", address="10.0.0.4", now=datetime(2026, 11, 5, 3))


def test_the_admin_reads_the_logins_with_filters(client, make_user):
    _seed(make_user)
    login(client, make_user("admin", username="boss"))

    def shown(**args):
        page = client.get("/accounts/logins", query_string=args)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        return [address for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4") if address in text], text

    everything, text = shown()
    assert everything == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
    assert "<b>eve</b>" not in text and html.escape("<b>eve</b>") in text  # escaped
    assert "登录成功" in text and "用户名或密码错误" in text
    assert shown(user="wang")[0] == ["10.0.0.1", "10.0.0.2"]
    assert shown(outcome="failure")[0] == ["10.0.0.2", "10.0.0.4"]
    assert shown(outcome="success", user="chen")[0] == ["10.0.0.3"]
    assert shown(since="2026-11-01")[0] == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]
    assert shown(until="2026-10-31")[0] == ["10.0.0.1"]  # 23:00 UTC is the next morning in the county
    assert shown(since="2026-11-02", until="2026-11-04")[0] == ["10.0.0.2"]
    # Nonsense filters are ignored, never an error.
    assert len(shown(outcome="drop table", since="tomorrow", until="0001-01-01", page="-3")[0]) == 4
    assert "accounts/logins" in client.get("/accounts/").get_data(as_text=True)  # linked from the accounts page


def test_the_logins_page_pages_and_is_the_admins_only(app, client, make_user):
    app.config["PAGE_SIZE"] = 2
    _seed(make_user)
    login(client, make_user("admin", username="boss"))  # a fifth attempt, the newest
    first = client.get("/accounts/logins").get_data(as_text=True)
    assert "第 1 页，共 3 页" in first
    third = client.get("/accounts/logins?page=3").get_data(as_text=True)
    assert "10.0.0.1" in third and "10.0.0.4" not in third
    other = app.test_client()
    login(other, make_user("bureau"))
    assert other.get("/accounts/logins").status_code == 403


# --- The password rule -----------------------------------------------------------------------------------------

RULES = [
    ("short-1", "密码至少需要 10 个字符。"),
    ("liu-violet-tractor", "密码不能是用户名，也不能包含用户名。"),
    ("刘芳芳violet-tractor", "密码不能是本人姓名，也不能包含本人姓名。"),
    ("示例县-violet-tractor", "密码不能是县名，也不能包含县名。"),
    ("password1234", "密码太容易被猜到"),
    ("1234567890", "密码太容易被猜到"),
    ("qwertyuiop", "密码太容易被猜到"),
]


@pytest.mark.parametrize("password, message", RULES)
def test_each_rule_refuses_a_new_account_with_its_reason_beside_the_field(client, make_user, password, message):
    login(client, make_user("admin", username="boss"))
    with database.connection_context():
        before = AuditLog.select().count()
    data = {
        "username": "liu",
        "full_name": "刘芳芳",
        "password": password,
        "role": "bureau",
        "csrf_token": csrf_token(client, "/accounts/new"),
    }
    response = client.post("/accounts/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert page.index(message) > page.index('name="password"')  # beside the password field
    assert password not in page
    with database.connection_context():
        assert not User.select().where(User.username == "liu").exists()
        assert AuditLog.select().count() == before


@pytest.mark.parametrize("password, message", RULES)
def test_each_rule_refuses_a_changed_password_and_changes_nothing(client, make_user, password, message):
    user = make_user("teacher", username="liu")
    with database.connection_context():
        User.update(full_name="刘芳芳").where(User.id == user.id).execute()
    login(client, user)
    stored = fresh(user).password_hash
    response = client.post(
        "/password",
        data={
            "current_password": PASSWORD,
            "new_password": password,
            "repeat_password": password,
            "csrf_token": csrf_token(client, "/"),
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert fresh(user).password_hash == stored


def test_a_good_password_passes_and_the_names_count_loosely(app):
    with app.app_context():
        assert accounts.password_problem(NEW_PASSWORD, "liu", "刘芳芳", "示例县") is None
        assert accounts.password_problem("LIU violet tractor", "liu", "", "") is not None  # any case, any place
        assert accounts.password_problem("x" * 5000, "liu", "", "") is not None  # long input is quick and refused


def test_changing_ones_own_password(client, make_user):
    user = make_user("teacher", username="liu")
    login(client, user)
    token = csrf_token(client, "/password")

    def change(current, new, repeat):
        data = {"current_password": current, "new_password": new, "repeat_password": repeat, "csrf_token": token}
        return client.post("/password", data=data)

    wrong = change("not my password", NEW_PASSWORD, NEW_PASSWORD)
    assert wrong.status_code == 422 and "当前密码不正确。" in wrong.get_data(as_text=True)
    differ = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert differ.status_code == 422 and "两次输入的新密码不一致。" in differ.get_data(as_text=True)
    done = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    assert check_password_hash(fresh(user).password_hash, NEW_PASSWORD)
    assert NEW_PASSWORD not in audit_text() and PASSWORD not in audit_text()
    # The wrong current password was audited as a failed attempt on the account.
    assert ("liu", "failure", "127.0.0.1", user.id, None) in logins()


# --- Forced changes --------------------------------------------------------------------------------------------


def test_a_password_that_breaks_the_rule_is_changed_at_the_next_login(client, make_user):
    user = weak_user(make_user, username="liu")
    login(client, user, "12345678")
    assert fresh(user).must_change_password
    for url in ("/", "/children/", "/cases/"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/password"), url
    page = client.get("/password").get_data(as_text=True)
    assert "请设置新密码后继续" in page
    response = change(client, "12345678")
    assert response.status_code == 302
    assert not fresh(user).must_change_password
    assert client.get("/children/").status_code == 200
    [success] = [row for row in logins() if row[1] == "success"]
    with database.connection_context():
        entry = AuditLog.get((AuditLog.entity == "login") & (AuditLog.action == "success"))
    assert entry.reason == "weak password" and "12345678" not in audit_text()
    assert success[0] == "liu"
    # The old password no longer works; the new one does, and asks nothing more.
    other = client.application.test_client()
    assert attempt(other, "liu", "12345678").status_code == 401
    assert attempt(other, "liu", NEW_PASSWORD).status_code == 302
    assert other.get("/").status_code == 200


def test_a_good_password_is_not_asked_to_change(client, make_user):
    user = make_user("teacher", username="liu")
    login(client, user)
    assert not fresh(user).must_change_password
    assert client.get("/").status_code == 200


def test_the_admin_forces_a_change_audited(app, client, make_user):
    user = make_user("teacher", username="liu")
    teacher = app.test_client()
    login(teacher, user)
    assert teacher.get("/").status_code == 200
    admin = make_user("admin", username="boss")
    login(client, admin)
    assert "要求修改密码" in client.get("/accounts/").get_data(as_text=True)
    response = client.post(
        f"/accounts/{user.id}/password-change", data={"csrf_token": csrf_token(client, "/accounts/")}
    )
    assert response.status_code == 302
    assert fresh(user).must_change_password
    assert "须修改密码" in client.get("/accounts/").get_data(as_text=True)
    with database.connection_context():
        entry = AuditLog.get((AuditLog.entity == "user") & (AuditLog.entity_id == user.id))
    assert (entry.user_id, entry.action, entry.reason) == (admin.id, "update", "password change required")
    assert '"must_change_password": true' in entry.after and "password_hash" not in entry.after
    # The open session is sent to the change page at once; so is the next login.
    assert teacher.get("/").headers["Location"].endswith("/password")
    response = change(teacher, PASSWORD)
    assert response.status_code == 302
    assert teacher.get("/").status_code == 200
    assert not fresh(user).must_change_password
    # Only the admin may, and an unknown account answers 404.
    assert (
        teacher.post(f"/accounts/{admin.id}/password-change", data={"csrf_token": csrf_token(teacher, "/")}).status_code
        == 403
    )
    unknown = client.post("/accounts/99999/password-change", data={"csrf_token": csrf_token(client, "/")})
    assert unknown.status_code == 404


def test_the_service_refuses_without_a_change(db, make_user):
    user = make_user("teacher", username="liu")
    with pytest.raises(ValidationError) as refused:
        accounts.change_own_password(user, PASSWORD, "liu-violet-tractor", "liu-violet-tractor", county="示例县")
    assert set(refused.value.errors) == {"new_password"}
    assert fresh(user).password_hash == user.password_hash


def test_the_migration_adds_the_flag_and_keeps_the_accounts(database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url})
    with app.app_context(), database.connection_context():
        migrate(target=9)
        database.execute_sql(
            "INSERT INTO app_user (username, password_hash, full_name, role, is_active, created_at, session_version) "
            "VALUES ('old', 'hash', '老用户', 'admin', TRUE, '2025-01-01 00:00:00', 3)"
        )
        assert "0010_password_change" in migrate()
        user = User.get(User.username == "old")
        assert (user.full_name, user.session_version, user.must_change_password) == ("老用户", 3, False)
    database.close()
