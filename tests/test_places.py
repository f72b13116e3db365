"""The admin keeps townships, villages and schools; every change is audited."""

import pytest
from conftest import csrf_token, login

from dropout.db import database
from dropout.models import AuditLog, School, Township, Village


@pytest.fixture
def admin_client(client, make_user):
    login(client, make_user("admin"))
    return client


def post(client, url, **data):
    data["csrf_token"] = csrf_token(client, "/places/")
    return client.post(url, data=data)


def test_add_edit_and_list_places(admin_client):
    assert post(admin_client, "/places/township/new", name="城关镇", notice_prefix="城关镇控辍通").status_code == 302
    with database.connection_context():
        township = Township.get(Township.name == "城关镇")
    assert post(admin_client, "/places/village/new", name="东街社区", township=township.id).status_code == 302
    assert (
        post(admin_client, "/places/school/new", name="城关小学", township=township.id, kind="primary").status_code
        == 302
    )
    with database.connection_context():
        school = School.get(School.name == "城关小学")
    assert (
        post(
            admin_client,
            f"/places/school/{school.id}/edit",
            name="城关镇中心小学",
            township=township.id,
            kind="nine_year",
        ).status_code
        == 302
    )
    page = admin_client.get("/places/").get_data(as_text=True)
    for text in ("城关镇控辍通", "东街社区", "城关镇中心小学", "九年一贯制学校"):
        assert text in page
    with database.connection_context():
        rows = AuditLog.select().where(AuditLog.entity != "login").order_by(AuditLog.id)  # the login is audited too
        assert [(e.action, e.entity) for e in rows] == [
            ("create", "township"),
            ("create", "village"),
            ("create", "school"),
            ("update", "school"),
        ]


@pytest.mark.parametrize(
    "kind, data, message",
    [
        ("township", {"name": ""}, "请填写名称"),
        ("village", {"name": "西村", "township": "999"}, "请选择乡镇"),
        ("village", {"name": "西村", "township": "abc"}, "请选择乡镇"),
        ("school", {"name": "某校", "township": "1", "kind": "college"}, "请选择学校类别"),
    ],
)
def test_bad_place_input_is_refused(admin_client, make_township, kind, data, message):
    make_township("城关镇")
    response = post(admin_client, f"/places/{kind}/new", **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with database.connection_context():
        assert Village.select().count() == 0 and School.select().count() == 0 and Township.select().count() == 1


def test_a_duplicate_name_is_refused(admin_client, make_township):
    make_township("城关镇")
    response = post(admin_client, "/places/township/new", name="城关镇")
    assert response.status_code == 422
    assert "名称 城关镇 已被使用" in response.get_data(as_text=True)


def test_a_place_in_use_cannot_be_removed(admin_client, make_child):
    child = make_child()
    response = post(admin_client, f"/places/village/{child.village_id}/delete")
    assert response.status_code == 302
    assert "仍在使用中" in admin_client.get("/places/").get_data(as_text=True)
    with database.connection_context():
        assert Village.get_or_none(Village.id == child.village_id) is not None
        assert not AuditLog.select().where(AuditLog.action == "delete").exists()


def test_an_unused_place_is_removed_and_audited(admin_client, make_village):
    village = make_village()
    post(admin_client, f"/places/village/{village.id}/delete")
    with database.connection_context():
        assert Village.get_or_none(Village.id == village.id) is None
        assert AuditLog.get(AuditLog.action == "delete").entity == "village"


def test_unknown_kind_is_not_found(admin_client):
    assert admin_client.get("/places/planet/new").status_code == 404
