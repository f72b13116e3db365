"""The list of 缓学/免学/休学 applications: only the children in the user's scope, by status and kind, ID numbers
masked, a page at a time, and a word when there is nothing to show."""

from datetime import timedelta

import pytest
from conftest import login
from county import build_county

from dropout import clock
from dropout.casework import exemptions
from dropout.db import database

TODAY = clock.today()


@pytest.fixture
def county(app):
    return build_county()


def apply(user, child, kind, days_ago):
    values = {
        "kind": kind,
        "reason": "因病需长期治疗",
        "applied_on": TODAY - timedelta(days=days_ago),
        "valid_until": TODAY + timedelta(days=180),
    }
    return exemptions.apply(user, child, values, TODAY)


@pytest.fixture
def applications(app, county):
    """李小红's deferral (approved) and suspension (applied) in 城关镇, 王小芳's exemption in 白马乡."""
    admin = county.users["admin"]
    with app.test_request_context(), database.connection_context():
        deferral = apply(admin, county.own, "defer", 30)
        exemptions.approve(admin, deferral, TODAY)
        apply(admin, county.own, "suspend", 3)
        apply(admin, county.other, "exempt", 10)


def rows(client, query=""):
    page = client.get("/exemptions/" + query).get_data(as_text=True)
    return page, page.count('<tr>\n    <td data-label="姓名">')


def test_each_role_sees_the_applications_of_its_own_children(client, county, applications):
    login(client, county.users["township"])
    page, count = rows(client)
    assert count == 2 and "李小红" in page and "王小芳" not in page
    assert county.own.id_number not in page and county.own.id_number[-4:] in page  # masked
    login(client, county.users["bureau"])
    page, count = rows(client)
    table = page[page.index("<tbody>") :]
    assert count == 3 and table.index("缓学") > table.index("休学")  # the newest application first


def test_filters_by_status_and_kind(client, county, applications):
    login(client, county.users["admin"])
    page, count = rows(client, "?status=approved")
    assert count == 1 and "乡镇已批准" in page
    assert rows(client, "?kind=exempt")[1] == 1
    page, count = rows(client, "?status=filed")
    assert count == 0 and "没有符合筛选条件的申请。" in page
    assert rows(client, "?status=nonsense&kind=bogus")[1] == 3  # an unknown filter filters nothing


def test_a_page_at_a_time(client, county, applications):
    login(client, county.users["admin"])
    page, count = rows(client, "?size=2")
    assert count == 2 and 'rel="next"' in page and "共 3 件" in page
    after = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    assert rows(client, after.removeprefix("/exemptions/"))[1] == 1


def test_nothing_recorded_yet_says_where_applications_come_from(client, county):
    login(client, county.users["village"])
    page, count = rows(client)
    assert count == 0 and "尚未登记缓学、免学或休学" in page
    # An unknown status or kind filters nothing, so the page does not claim that nothing matches it.
    page, count = rows(client, "?status=bogus&kind=nothing")
    assert count == 0 and "尚未登记缓学、免学或休学" in page and "没有符合" not in page
