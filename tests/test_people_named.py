"""Wherever a person acted (a case's steps, a child's history and teaching visits, an exemption's approvals), the
page names them as people know them, with their role: 张志强（乡镇干事）, never a login; 系统 when no one did."""

import logging
from datetime import date

import pytest
from conftest import login
from county import build_county

from dropout import clock
from dropout.casework import cases, exemptions, visits
from dropout.casework.settings import CaseSettings
from dropout.core import audit
from dropout.db import database
from dropout.models import Child, User
from dropout.views.filters import person

SETTINGS = CaseSettings()


@pytest.fixture
def county(app):
    county = build_county()
    with database.connection_context():
        User.update(full_name="张志强").where(User.username == "township").execute()
        User.update(full_name="刘芳").where(User.username == "teacher").execute()
        county.users = {u.username: u for u in User.select()}
    return county


def test_a_person_is_their_name_and_role_or_the_system(app, county):
    with app.test_request_context():
        assert person(county.users["teacher"]) == "刘芳（教师）"
        assert person(county.users["village"]) == "village（村干部）"  # no name recorded: the login
        assert person(None) == "系统"


def test_a_cases_steps_name_who_took_them(client, county):
    today = clock.today()
    with database.connection_context():
        case = cases.open_case(county.users["teacher"], county.own, today, SETTINGS, today)
        cases.confirm(county.users["township"], case, "work", "", today, SETTINGS, today)
    login(client, county.users["admin"])
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    history = page[page.index("timeline") :]
    assert "刘芳（教师）" in history and "张志强（乡镇干事）" in history
    assert "· teacher" not in history and "· township" not in history
    assert "刘芳（教师）" in page[: page.index("timeline")]  # opened by


def test_a_childs_history_and_teaching_visits_name_who_acted(client, county):
    today = clock.today()
    with database.connection_context():
        child = Child.get_by_id(county.own.id)
        cases.set_child_status(county.users["township"], child, "home_taught", "送教上门", today)
        audit.record(None, "update", "child", child.id, {"notes": ""}, {"notes": "夜间批量"}, child.id)
        values = {"visited_on": today, "method": "home", "met": "child", "lessons": 2}
        visits.log_teaching_visit(county.users["teacher"], Child.get_by_id(child.id), values, SETTINGS, today)
    login(client, county.users["admin"])
    page = client.get(f"/children/{county.own.id}").get_data(as_text=True)
    teaching = page[page.index("送教记录") : page.index("timeline")]
    assert "刘芳（教师）" in teaching
    history = page[page.index("timeline") :]
    assert "张志强（乡镇干事）" in history and "系统" in history
    assert "· township<" not in history


def test_an_exemptions_steps_name_who_took_them(client, county):
    day = clock.today()
    with database.connection_context():
        values = {"kind": "suspend", "reason": "病", "applied_on": day, "valid_until": date(day.year + 1, 6, 30)}
        application = exemptions.apply(county.users["teacher"], county.own, values, day)
        exemptions.approve(county.users["township"], application, day)
    login(client, county.users["admin"])
    page = client.get(f"/exemptions/{application.id}").get_data(as_text=True)
    assert "刘芳（教师）" in page and "张志强（乡镇干事）" in page


def test_a_childs_history_brings_who_acted_in_its_own_query(db, county, caplog):
    child = Child.get_by_id(county.own.id)
    for status in ("suspected", "enrolled"):
        cases.set_child_status(county.users["township"], child, status, "test", clock.today())
    timeline = audit.child_timeline(child.id)
    assert len(timeline) == 2
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        caplog.clear()
        assert [person(entry.user) for entry, _changes in timeline] == ["张志强（乡镇干事）"] * 2
        assert not [record for record in caplog.records if record.name == "peewee"]
        User.select().count()  # a query the log does show: the check above can see one
        assert [record for record in caplog.records if record.name == "peewee"]
