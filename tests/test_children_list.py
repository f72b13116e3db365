"""The children list on a phone: the search box first and the other filters folded under a summary that counts
them, villages narrowed to the chosen township, a page size, and a jump to a page."""

import re

import pytest
from browser import log_in
from conftest import TODAY, login
from county import build_county

from dropout.children import search as child_search
from dropout.db import database
from dropout.models import Village


@pytest.fixture
def county(app, make_village):
    county = build_county()
    make_village(township=county.home_village.township, name="西街社区")
    return county


def select(page, name):
    """The <select name=…> of a page, whole."""
    return re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)


def labels(html):
    return re.findall(r"<option [^>]*>([^<]*)</option>", html)


def test_the_search_box_stays_out_and_the_other_filters_fold_under_their_count(client, county):
    login(client, county.users["admin"])
    page = client.get("/children/").get_data(as_text=True)
    assert page.index('name="q"') < page.index("<details data-open-wide>") < page.index('name="status"')
    assert "<summary>筛选</summary>" in page
    village = county.home_village.id
    page = client.get(f"/children/?q=李&status=enrolled&village={village}&min_age=6&max_age=12").get_data(as_text=True)
    assert "<summary>筛选（已选 3 项）</summary>" in page  # the search is not counted, an age range counts once
    assert "<details data-open-wide>" in page  # opened by the page's script on a wide screen only


def test_the_cases_list_folds_its_filters_under_their_count_too(client, county):
    login(client, county.users["township"])
    page = client.get("/cases/").get_data(as_text=True)
    assert "<summary>筛选</summary>" in page and page.index("<details data-open-wide>") < page.index('name="status"')
    page = client.get(f"/cases/?status=open&village={county.home_village.id}&overdue=1").get_data(as_text=True)
    assert "<summary>筛选（已选 3 项）</summary>" in page


def test_without_a_township_the_villages_are_grouped_by_township(client, county):
    login(client, county.users["admin"])
    villages = select(client.get("/children/").get_data(as_text=True), "village")
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', villages, re.S)
    assert [(township, labels(options)) for township, options in groups] == [
        ("城关镇", ["东街社区", "西街社区"]),
        ("白马乡", ["白马村"]),
    ]


def test_a_chosen_township_narrows_the_villages_and_the_page_keeps_the_others_for_its_script(client, county):
    login(client, county.users["admin"])
    with database.connection_context():
        other_township = Village.get(Village.name == "白马村").township_id
    page = client.get(f"/children/?township={other_township}").get_data(as_text=True)
    assert labels(select(page, "village")) == ["全部村（社区）", "白马村"]
    kept = re.search(r'<template class="villages">(.*?)</template>', page, re.S).group(1)
    groups = re.findall(r'<optgroup label="([^"]*)" data-township="(\d+)">(.*?)</optgroup>', kept, re.S)
    assert [(name, labels(options)) for name, _id, options in groups] == [
        ("城关镇", ["东街社区", "西街社区"]),
        ("白马乡", ["白马村"]),
    ]
    assert groups[1][1] == str(other_township) and "filters.js" in page


@pytest.mark.parametrize("role, villages", [("township", ["东街社区", "西街社区"]), ("village", ["东街社区"])])
def test_a_user_of_one_township_chooses_among_its_villages_only(client, county, role, villages):
    login(client, county.users[role])
    page = client.get("/children/").get_data(as_text=True)
    assert 'name="township"' not in page and "<optgroup" not in page and '<template class="villages">' not in page
    assert labels(select(page, "village")) == ["全部村（社区）", *villages]


@pytest.fixture
def many(county, make_child):
    """45 children in township 1: a page of 20 leaves a third page, a page of 10 a fifth."""
    for i in range(44):
        make_child(village=county.home_village, school=county.home_school, name=f"张{i:02d}")
    with database.connection_context():
        filters = child_search.Filters()
        return [c.id for c in child_search.search(county.users["township"], filters, TODAY)]


def shown(page):
    return [int(i) for i in re.findall(r'<a href="/children/(\d+)">', page)]


def test_a_page_holds_20_children_unless_another_size_is_asked_for(client, county, many):
    login(client, county.users["township"])
    assert len(many) == 45
    assert shown(client.get("/children/").get_data(as_text=True)) == many[:20]
    page = client.get("/children/?size=50").get_data(as_text=True)
    assert shown(page) == many and '<option value="50" selected>每页 50 人</option>' in page
    assert shown(client.get("/children/?size=7").get_data(as_text=True)) == many[:7]
    assert shown(client.get("/children/?size=5000").get_data(as_text=True)) == many[:20]  # out of bounds: 20


def test_the_pager_jumps_to_a_page_keeping_the_filters_and_the_size(client, county, many):
    login(client, county.users["township"])
    page = client.get("/children/?size=10&status=enrolled&page=3").get_data(as_text=True)
    assert shown(page) == many[20:30] and "第 3 页，共 5 页" in page
    jump = re.search(r'<form method="get" action="/children/" class="jump">.*?</form>', page, re.S).group(0)
    assert re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', jump) == [
        ("status", "enrolled"),
        ("size", "10"),
    ]
    assert 'name="page" min="1" max="5" value="3"' in jump and "跳转" in jump
    assert 'href="/children/?page=5&amp;status=enrolled&amp;size=10">末页' in page
    # A page reached by the next link knows its number too.
    following = re.search(r'<a href="([^"]+)" rel="next">', page).group(1).replace("&amp;", "&")
    page = client.get(following).get_data(as_text=True)
    assert shown(page) == many[30:40] and "第 4 页，共 5 页" in page
    assert shown(client.get("/children/?size=10&page=99").get_data(as_text=True)) == many[40:]  # the last


@pytest.mark.browser
def test_on_a_phone_the_filters_fold_and_the_villages_follow_the_township_chosen(server, phone, browser):
    base, _ = server
    log_in(phone, base, "admin")
    phone.goto(base + "/children/")
    assert not phone.locator("details[data-open-wide]").evaluate("details => details.open")
    assert phone.get_by_role("button", name="搜索").is_visible()
    phone.locator("summary", has_text="筛选").click()
    kept = phone.evaluate(
        """() => Object.fromEntries([...document.querySelector('template.villages').content.children]
                 .map(group => [group.dataset.township, [...group.children].map(option => option.value)]))"""
    )
    village_values = "() => [...document.querySelector('select[name=village]').options].map(o => o.value)"
    groups = "() => document.querySelectorAll('select[name=village] optgroup').length"
    assert phone.evaluate(groups) == len(kept) > 1
    township, villages = list(kept.items())[1]
    phone.locator("select[name=township]").select_option(township)
    assert phone.evaluate(village_values) == ["", *villages] and phone.evaluate(groups) == 0
    phone.locator("select[name=village]").select_option(villages[-1])
    phone.locator("select[name=township]").select_option("")
    assert phone.evaluate(groups) == len(kept)
    assert phone.locator("select[name=village]").input_value() == villages[-1]  # still in the list: still chosen
    other = list(kept)[0]
    phone.locator("select[name=township]").select_option(other)
    assert phone.locator("select[name=village]").input_value() == ""  # not of that township: all villages
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    desk = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(desk, base, "admin")
    desk.goto(base + "/children/")
    assert desk.locator("details[data-open-wide]").evaluate("details => details.open")  # opened on a wide screen
    desk.context.close()
