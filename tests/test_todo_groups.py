"""我的待办 grouped by kind: each group's most urgent item first, every item naming the child's village and school
(from the same query), a long group folded away with its count, and the notices issued but not yet served."""

import logging
import re
from datetime import date, timedelta

import pytest
from conftest import login
from county import build_county

from dropout import clock, todo
from dropout.casework import cases, visits
from dropout.casework.settings import CaseSettings
from dropout.db import database
from dropout.models import Child, DropoutCase
from dropout.notices import notices

SETTINGS = CaseSettings()
DAY = date(2026, 3, 20)


@pytest.fixture
def county(app):
    return build_county()


def pupil(county, name, village=None):
    """A child of the home village (or `village`) at the home school."""
    return Child.create(
        name=name, sex="M", birth_on=date(2015, 5, 1), village=village or county.home_village, school=county.home_school
    )


def case_of(child, status, absent_since, **fields):
    return DropoutCase.create(child=child, absent_since=absent_since, opened_on=absent_since, status=status, **fields)


def test_visits_due_come_most_late_first_the_first_visit_before_all(db, county):
    township = county.users["township"]
    due = {
        "五天前": DAY - timedelta(days=5),
        "今天": DAY,
        "两周前": DAY - timedelta(days=14),
        "未家访": None,
        "明天": DAY + timedelta(days=1),  # not due yet
    }
    for name, day in due.items():
        case_of(pupil(county, name), "persuading", date(2026, 3, 1), cadre=township, next_visit_on=day)
    listed = todo.todo(township, DAY, SETTINGS).visits_due
    assert [(case.child.name, late) for case, late in listed] == [
        ("未家访", None),
        ("两周前", 14),
        ("五天前", 5),
        ("今天", 0),
    ]


def test_suspected_cases_come_oldest_absence_first(db, county):
    for name, absent_since in (
        ("三月十日", date(2026, 3, 10)),
        ("三月一日", date(2026, 3, 1)),
        ("三月五日", date(2026, 3, 5)),
    ):
        case_of(pupil(county, name), "suspected", absent_since)
    listed = todo.todo(county.users["township"], DAY, SETTINGS).to_confirm
    assert [case.child.name for case in listed] == ["三月一日", "三月五日", "三月十日"]


def test_each_item_names_village_township_and_school_without_a_query_of_its_own(db, county, caplog):
    case_of(pupil(county, "甲"), "suspected", date(2026, 3, 1))
    case_of(pupil(county, "乙"), "persuading", date(2026, 3, 1), cadre=county.users["township"])
    plan = todo.todo(county.users["township"], DAY, SETTINGS)
    items = plan.to_confirm + [case for case, _late in plan.visits_due]
    assert len(items) == 2
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        caplog.clear()
        names = [(c.child.village.township.name, c.child.village.name, c.child.school.name) for c in items]
        assert not [record for record in caplog.records if record.name == "peewee"]
        assert items[1].cadre.username == "township"  # not joined: a query, which the log shows
        assert [record for record in caplog.records if record.name == "peewee"]
    assert names == [("城关镇", "东街社区", "城关镇中心小学")] * 2


def test_a_long_group_lists_the_most_urgent_and_counts_them_all(db, county):
    rows = [
        {"name": f"孩子{n:03d}", "sex": "F", "birth_on": date(2015, 1, 1), "village": county.home_village.id}
        for n in range(todo.LIMIT + 2)
    ]
    with database.atomic():
        Child.insert_many(rows).execute()
        children = Child.select().where(Child.name.startswith("孩子")).order_by(Child.name)
        DropoutCase.insert_many(
            [
                {"child": c.id, "absent_since": DAY - timedelta(days=n), "opened_on": DAY, "status": "suspected"}
                for n, c in enumerate(children)
            ]
        ).execute()
    plan = todo.todo(county.users["township"], DAY, SETTINGS)
    assert len(plan.to_confirm) == todo.LIMIT
    assert plan.total("to_confirm") == todo.LIMIT + 2 and plan.count == todo.LIMIT + 2
    assert plan.to_confirm[0].child.name == f"孩子{todo.LIMIT + 1:03d}"  # absent the longest


def persuading(county, child):
    """A confirmed dropout with the contacts a notice needs."""
    township = county.users["township"]
    case = cases.open_case(township, child, date(2026, 3, 2), SETTINGS, today=date(2026, 3, 2))
    cases.confirm(township, case, "work", "", date(2026, 3, 3), SETTINGS, date(2026, 3, 3))
    for day in (date(2026, 3, 5), date(2026, 3, 12)):
        visit = {"visited_on": day, "method": "home", "met": "guardian", "outcome": "refused"}
        visits.log_visit(township, DropoutCase.get_by_id(case.id), visit, SETTINGS, day)
    return DropoutCase.get_by_id(case.id)


def test_notices_issued_and_not_yet_served_wait_on_the_townships_list(app, db, county):
    township = county.users["township"]
    later = notices.issue(township, persuading(county, county.own), app.config, DAY)
    earlier = notices.issue(township, persuading(county, pupil(county, "早发")), app.config, DAY - timedelta(days=3))
    plan = todo.todo(township, DAY, SETTINGS)
    assert [n.id for n in plan.notices_unserved] == [earlier.id, later.id]  # the longest waiting first
    assert plan.notices_unserved[0].case.child.village.name == "东街社区"
    assert todo.todo(county.users["admin"], DAY, SETTINGS).notices_unserved
    for role in ("teacher", "village", "bureau"):
        assert todo.todo(county.users[role], DAY, SETTINGS).notices_unserved == []
    service = {
        "served_on": DAY,
        "served_time": "10:30",
        "method": "直接送达",
        "recipient": "监护人",
        "place": "家中",
        "server": "张志强",
    }
    notices.record_service(township, earlier, service, app.config, DAY)
    assert [n.id for n in todo.todo(township, DAY, SETTINGS).notices_unserved] == [later.id]


def test_the_county_counts_for_the_daily_job_stay_as_they_were(db, county):
    case_of(pupil(county, "甲"), "suspected", date(2026, 3, 1))
    case_of(pupil(county, "乙"), "persuading", date(2026, 3, 1), next_visit_on=DAY)
    assert todo.county_counts(DAY, SETTINGS) == {
        "visits_due": 1,
        "to_confirm": 1,
        "followups_due": 0,
        "exemptions_expiring": 0,
    }


# The page ------------------------------------------------------------------------------------------------------


def test_the_home_page_shows_a_short_group_whole_and_folds_a_long_one(app, client, county):
    today = clock.today()
    with database.connection_context():
        for n in range(7):
            case_of(pupil(county, f"疑似{n}"), "suspected", today - timedelta(days=10 - n))
        case_of(pupil(county, "家访甲"), "persuading", today - timedelta(days=30), cadre=county.users["township"])
    login(client, county.users["township"])
    page = client.get("/").get_data(as_text=True)
    suspected = page[page.index("待确认的疑似辍学") :]
    assert re.search(r'待确认的疑似辍学 <span class="count">7</span>', page)
    # The three absent longest are shown; the other four wait behind a summary that counts them.
    shown, folded = suspected.split("<details>", 1)
    assert [name for name in ("疑似0", "疑似1", "疑似2", "疑似3") if name in shown] == ["疑似0", "疑似1", "疑似2"]
    assert "展开其余 4 项" in folded and "疑似6" in folded
    visits_group = page[page.index("应家访") : page.index("待确认的疑似辍学")]
    assert "家访甲" in visits_group and "<details>" not in visits_group and "尚未家访" in visits_group
    assert "东街社区 · 城关镇中心小学" in visits_group
