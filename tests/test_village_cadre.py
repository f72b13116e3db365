"""村干部: the village committee, the first to know, reports its own children out of school (报告失学) and finds its
village's cases on its to-do list: the visits due and the suspected children (the township or school confirms)."""

from datetime import date, timedelta

import pytest
from conftest import csrf_token, login
from county import build_county

from dropout import clock, todo
from dropout.casework import cases
from dropout.casework.settings import CaseSettings
from dropout.core.errors import ValidationError
from dropout.db import database
from dropout.models import Child, DropoutCase, Village

SETTINGS = CaseSettings()
OPENED = date(2026, 3, 2)


@pytest.fixture
def county(app):
    return build_county()


@pytest.fixture
def neighbour(county):
    """A child of another village of the same township, at the same school: not the village cadre's."""
    with database.connection_context():
        village = Village.create(township=county.home_village.township_id, name="西街社区")
        return Child.create(
            name="周小兰", sex="F", birth_on=date(2015, 5, 1), village=village, school=county.home_school, grade=5
        )


def test_a_village_cadre_reports_a_child_of_their_village(db, county):
    village = county.users["village"]
    case = cases.open_case(village, county.own, OPENED, SETTINGS, today=OPENED)
    assert (case.status, case.opened_by_id, case.cadre_id) == ("suspected", village.id, None)
    assert Child.get_by_id(county.own.id).status == "suspected"


def test_a_village_cadre_may_not_report_a_child_of_another_village(db, county, neighbour):
    with pytest.raises(ValidationError) as caught:
        cases.open_case(county.users["village"], neighbour, OPENED, SETTINGS, today=OPENED)
    assert caught.value.errors["absent_since"] == "村干部只能报告本村（社区）的儿童。"
    assert not DropoutCase.select().exists() and Child.get_by_id(neighbour.id).status == "enrolled"
    # A teacher may: the child goes to the teacher's school.
    assert cases.open_case(county.users["teacher"], neighbour, OPENED, SETTINGS, today=OPENED).status == "suspected"


def test_the_village_cadre_reports_from_the_childs_page(client, county, neighbour):
    login(client, county.users["village"])
    page = client.get(f"/children/{county.own.id}").get_data(as_text=True)
    assert f'href="/cases/new?child={county.own.id}">报告失学</a>' in page
    absent_since = (clock.today() - timedelta(days=3)).isoformat()
    token = csrf_token(client, f"/cases/new?child={county.own.id}")
    response = client.post(
        f"/cases/new?child={county.own.id}", data={"absent_since": absent_since, "notes": "", "csrf_token": token}
    )
    assert response.status_code == 302
    with database.connection_context():
        case = DropoutCase.get(DropoutCase.child == county.own.id)
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert client.get(f"/cases/new?child={neighbour.id}").status_code == 404  # outside the village, as if not there


def test_the_bureau_is_not_offered_the_report(client, county):
    login(client, county.users["bureau"])
    assert "报告失学" not in client.get(f"/children/{county.own.id}").get_data(as_text=True)
    assert client.get(f"/cases/new?child={county.own.id}").status_code == 403


def test_the_village_cadres_to_do_list_carries_the_villages_cases(db, county, neighbour):
    village, township = county.users["village"], county.users["township"]
    day = date(2026, 3, 20)
    suspected = DropoutCase.create(child=county.own, absent_since=OPENED, opened_on=OPENED, status="suspected")
    brother = Child.create(name="李小军", sex="M", birth_on=date(2013, 1, 9), village=county.home_village)
    due = DropoutCase.create(
        child=brother, absent_since=OPENED, opened_on=OPENED, status="persuading", cadre=township, next_visit_on=day
    )
    DropoutCase.create(child=neighbour, absent_since=OPENED, opened_on=OPENED, status="suspected")
    plan = todo.todo(village, day, SETTINGS)
    assert [case.id for case in plan.suspected] == [suspected.id]  # not the neighbour's
    assert plan.to_confirm == []  # the township or the school confirms
    assert [(case.id, late) for case, late in plan.visits_due] == [(due.id, 0)]  # named on it or not
    assert plan.count == 2
    assert todo.todo(township, day, SETTINGS).suspected == []  # the township's are to confirm, a group of its own


def test_the_village_cadres_home_page_lists_the_village_children_out_of_school(client, county):
    with database.connection_context():
        DropoutCase.create(child=county.own, absent_since=clock.today(), opened_on=clock.today(), status="suspected")
    login(client, county.users["village"])
    page = client.get("/").get_data(as_text=True)
    assert "今天没有待办事项" not in page
    group = page[page.index("本村疑似失学儿童") :]
    assert "由乡镇或学校确认" in group and "李小红" in group and "东街社区 · 城关镇中心小学" in group
