"""The admin adds, disables and enables accounts; each change is audited without the password."""

from conftest import csrf_token, login

from dropout.db import database
from dropout.models import AuditLog, User


def test_admin_adds_a_teacher_account(client, make_user, make_school):
    make_school(name="白马小学")
    login(client, make_user("admin"))
    data = {
        "username": "liu",
        "full_name": "刘老师",
        "password": "a fine password",
        "role": "teacher",
        "school": "白马小学",
    }
    response = client.post("/accounts/new", data={**data, "csrf_token": csrf_token(client, "/accounts/new")})
    assert response.status_code == 302
    with database.connection_context():
        user = User.get(User.username == "liu")
        entry = AuditLog.get((AuditLog.entity == "user") & (AuditLog.entity_id == user.id))
    assert user.school.name == "白马小学"
    assert "password_hash" not in entry.after and "a fine password" not in entry.after
    assert "刘老师" in client.get("/accounts/").get_data(as_text=True)


def test_a_teacher_account_without_a_school_is_refused(client, make_user):
    login(client, make_user("admin"))
    data = {
        "username": "wu",
        "password": "a fine password",
        "role": "teacher",
        "csrf_token": csrf_token(client, "/accounts/new"),
    }
    response = client.post("/accounts/new", data=data)
    assert response.status_code == 422
    assert "教师账号必须指定学校" in response.get_data(as_text=True)
    with database.connection_context():
        assert not User.select().where(User.username == "wu").exists()


def test_disable_and_enable(client, make_user):
    admin, other = make_user("admin"), make_user("bureau", username="reader")
    login(client, admin)
    token = csrf_token(client, "/accounts/")
    client.post(f"/accounts/{other.id}/toggle", data={"csrf_token": token})
    with database.connection_context():
        assert User.get_by_id(other.id).is_active is False
    client.post(f"/accounts/{other.id}/toggle", data={"csrf_token": token})
    with database.connection_context():
        assert User.get_by_id(other.id).is_active is True
        toggles = AuditLog.select().where((AuditLog.entity == "user") & (AuditLog.entity_id == other.id))
        assert [('"is_active": false' in e.after) for e in toggles.order_by(AuditLog.id)] == [True, False]


def test_admin_cannot_disable_themself(client, make_user):
    admin = make_user("admin")
    login(client, admin)
    client.post(f"/accounts/{admin.id}/toggle", data={"csrf_token": csrf_token(client, "/accounts/")})
    with database.connection_context():
        assert User.get_by_id(admin.id).is_active is True


def test_a_village_account_names_its_township_when_village_names_repeat(db, make_township, make_village):
    from dropout.accounts import users as accounts
    from dropout.core.errors import ValidationError

    make_village(make_township("东镇"), "新村")
    west = make_village(make_township("西镇"), "新村")
    try:
        accounts.create_user(None, "cadre", "a fine password", "village", village="新村")
    except ValidationError as exc:
        assert "乡镇/村" in exc.errors["village"]
    else:
        raise AssertionError("an ambiguous village name was accepted")
    user = accounts.create_user(None, "cadre", "a fine password", "village", village="西镇/新村")
    assert user.village_id == west.id
