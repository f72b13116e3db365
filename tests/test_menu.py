"""The menu reaches every page a role may use, and nothing it may not: every link opens for the role it is shown to;
on a phone it folds behind one button, without a script."""

import re

import pytest
from conftest import login
from county import ROLES, build_county
from flask import url_for

from dropout.views import menu

# The pages each role finds in the menu (among those this installation has).
EXPECTED = {
    "admin": {
        "home.index",
        "children.index",
        "cases.index",
        "visits.create",
        "notices.index",
        "exemptions.index",
        "reports.index",
        "self_evaluation.index",
        "filing.latest",
        "bulletins.index",
        "ledgers.index",
        "verification.index",
        "imports.upload",
        "registers.index",
        "tasks.index",
        "help.index",
        "places.index",
        "calendar.index",
        "accounts.index",
        "reports.job_runs",
    },
    "bureau": {
        "home.index",
        "children.index",
        "cases.index",
        "notices.index",
        "exemptions.index",
        "reports.index",
        "self_evaluation.index",
        "filing.latest",
        "bulletins.index",
        "ledgers.index",
        "verification.index",
        "imports.upload",
        "registers.index",
        "tasks.index",
        "help.index",
        "places.index",
        "calendar.index",
    },
    "township": {
        "home.index",
        "children.index",
        "cases.index",
        "visits.create",
        "notices.index",
        "exemptions.index",
        "reports.index",
        "filing.latest",
        "bulletins.index",
        "ledgers.index",
        "verification.index",
        "imports.upload",
        "registers.index",
        "tasks.index",
        "help.index",
    },
    "teacher": {
        "home.index",
        "children.index",
        "cases.index",
        "visits.create",
        "notices.index",
        "exemptions.index",
        "reports.index",
        "filing.latest",
        "bulletins.index",
        "ledgers.index",
        "tasks.index",
        "help.index",
    },
}
EXPECTED["village"] = EXPECTED["teacher"] - {"filing.latest", "ledgers.index", "bulletins.index"}  # no 台账, no 通报


@pytest.fixture
def county(app):
    return build_county()


def menu_links(page):
    """The links of the page's menu (the header's nav), in order."""
    nav = re.search(r'<nav aria-label="[^"]+">(.*?)</nav>', page, re.S).group(1)
    return re.findall(r'<a href="([^"]+)"', nav)


@pytest.mark.parametrize("role", ROLES)
def test_every_link_in_the_menu_opens_for_the_role_it_is_shown_to(app, client, county, role):
    login(client, county.users[role])
    links = menu_links(client.get("/").get_data(as_text=True))
    with app.test_request_context():
        expected = {url_for(endpoint) for endpoint in EXPECTED[role] if endpoint in app.view_functions}
    assert set(links) == expected
    for url in links:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (role, url, response.status_code)


def test_the_menu_marks_the_page_shown_and_folds_on_a_phone(client, county):
    login(client, county.users["township"])
    page = client.get("/children/new").get_data(as_text=True)  # no menu entry of its own: its area's
    assert '<a href="/children/" aria-current="page">儿童名册</a>' in page
    assert page.count('aria-current="page"') == 1
    assert '<input type="checkbox" id="menu-open" class="menu-toggle"' in page
    assert '<label for="menu-open" class="menu-button">菜单</label>' in page


def test_a_page_this_installation_lacks_is_left_out(client, county, monkeypatch):
    """A link whose page is not there (yet) is not shown, instead of breaking every page."""
    login(client, county.users["admin"])
    monkeypatch.setattr(menu, "LINKS", (*menu.LINKS, menu.Link("nowhere.index", "无此页", menu.EVERYONE)))
    response = client.get("/")
    assert response.status_code == 200 and "无此页" not in response.get_data(as_text=True)
