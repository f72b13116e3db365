"""The forms: a date is the phone's date picker, bounded by the days the rules allow, and still takes the spellings
people type; a form starts filled in where the answer is known (the measure form: today, the first measure)."""

import re
from datetime import date, timedelta

import pytest
from conftest import born_aged, csrf_token, login
from county import build_county

from dropout import clock
from dropout.db import database
from dropout.forms import BIRTH, FUTURE, PAST, day_span
from dropout.models import CaseEvent, DropoutCase
from dropout.notices import notices
from dropout.rules import school_age

TODAY = clock.today()


@pytest.fixture
def county(app):
    return build_county()


def date_input(page, name):
    """The attributes of the <input name=…> on a page."""
    tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', page).group(0)
    return dict(re.findall(r'([a-z-]+)="([^"]*)"', tag))


@pytest.mark.parametrize("today", [date(2026, 11, 22), date(2027, 8, 31), date(2027, 9, 1), date(2028, 2, 29)])
@pytest.mark.parametrize("start_age", [6, 7])
def test_a_birth_date_picker_offers_exactly_the_school_age_births(today, start_age):
    first, last = day_span(BIRTH, today, start_age)
    assert school_age.is_school_age(first, today, start_age) and school_age.is_school_age(last, today, start_age)
    assert not school_age.is_school_age(first - timedelta(days=1), today, start_age)
    assert not school_age.is_school_age(last + timedelta(days=1), today, start_age)


def test_past_days_end_today_and_days_to_come_start_today():
    today = date(2026, 11, 22)
    assert day_span(PAST, today, 6) == (date(2010, 9, 1), today)  # not before the oldest school-age child's birth
    # A deadline lies before the youngest school-age child (six this school year) leaves compulsory school.
    assert day_span(FUTURE, today, 6) == (today, date(2036, 8, 31))


def test_the_child_form_shows_date_pickers_with_a_chinese_hint(client, county):
    login(client, county.users["township"])
    page = client.get("/children/new").get_data(as_text=True)
    birth, registered = date_input(page, "birth_on"), date_input(page, "registered_on")
    first, last = day_span(BIRTH, TODAY, 6)
    assert birth["type"] == "date" and (birth["min"], birth["max"]) == (first.isoformat(), last.isoformat())
    assert registered["type"] == "date" and registered["max"] == TODAY.isoformat()
    assert registered["value"] == TODAY.isoformat()
    assert birth["placeholder"] == "如 2015-09-01、2015/9/1 或 20150901"
    assert "yyyy-mm-dd" not in page and 'inputmode="numeric"' not in page


def open_case(client, child, absent_since):
    url = f"/cases/new?child={child.id}"
    return client.post(url, data={"absent_since": absent_since, "csrf_token": csrf_token(client, url)})


@pytest.mark.parametrize("spelling", ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日"])
def test_a_date_typed_in_any_common_spelling_is_taken(client, county, make_child, spelling):
    """What a browser without a date picker, or a plain POST, sends."""
    child = make_child(village=county.home_village, school=county.home_school, birth_on=born_aged(10))
    login(client, county.users["teacher"])
    day = TODAY - timedelta(days=3)
    assert open_case(client, child, day.strftime(spelling)).status_code == 302
    with database.connection_context():
        assert DropoutCase.get(DropoutCase.child == child.id).absent_since == day


@pytest.mark.parametrize(
    "typed, message",
    [
        ("下周一", "日期格式不对，请写成 2015-09-01 这样。"),
        ("2026-02-30", "日期格式不对"),
        ("9999-12-31", "日期晚于今天。"),
    ],
)
def test_a_date_that_is_no_day_or_not_allowed_is_refused_in_chinese_beside_its_field(
    client, county, make_child, typed, message
):
    child = make_child(village=county.home_village, school=county.home_school, birth_on=born_aged(10))
    login(client, county.users["teacher"])
    response = open_case(client, child, typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert date_input(page, "absent_since")["value"] == typed  # kept, to be corrected
    with database.connection_context():
        assert not DropoutCase.select().where(DropoutCase.child == child.id).exists()


def test_a_refused_form_shows_a_typed_day_as_the_date_picker_reads_it(client, county):
    """The form comes back for another reason: the day typed 2015/3/14 shows as 2015-03-14, the one spelling a
    date input can show."""
    login(client, county.users["township"])
    fields = {
        "name": "",
        "id_number": "",
        "birth_on": "2015/3/14",
        "sex": "M",
        "village": county.home_village.id,
        "status": "enrolled",
        "csrf_token": csrf_token(client, "/children/new"),
    }
    response = client.post("/children/new", data=fields)
    assert response.status_code == 422
    assert date_input(response.get_data(as_text=True), "birth_on")["value"] == "2015-03-14"


def overdue_notice(app, county, make_child):
    """A notice whose deadline has passed: the page offers the measure form."""
    child = make_child(village=county.home_village, school=county.home_school, birth_on=born_aged(12))
    absent = TODAY - timedelta(days=40)
    with app.test_request_context(), database.connection_context():
        case = DropoutCase.create(child=child, absent_since=absent, opened_on=absent, status="dropped_out")
        CaseEvent.create(case=case, kind="confirmed", happened_on=absent, data='{"reason": "work"}')
        notice = notices.issue(county.users["admin"], case, app.config, TODAY - timedelta(days=20), early_reason="拒")
        notice.status, notice.served_on = "overdue", TODAY - timedelta(days=19)
        notice.deadline_on = TODAY - timedelta(days=12)
        notice.save()
    return notice


def measure_form(client, notice):
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    form = page[page.index(f'action="/notices/{notice.id}/measure"') :]
    return form, re.findall(r'<option (selected )?value="([^"]*)"', form[: form.index("</select>")])


def test_the_measure_form_starts_with_today_and_the_first_measure_the_province_allows(app, client, county, make_child):
    notice = overdue_notice(app, county, make_child)
    login(client, county.users["admin"])
    form, kinds = measure_form(client, notice)
    assert date_input(form, "decided_on")["value"] == TODAY.isoformat()
    assert kinds[0] == ("selected ", "further_order") and ("", "") not in kinds  # no blank "—" to start from
    app.config["MEASURES"] = ("penalty", "court", "police_admonition", "further_order")
    app.config["COURT_BASIS"] = "《某省义务教育条例》第四十九条"
    _form, kinds = measure_form(client, notice)
    # A penalty has its own chain: the first measure the province allows here is the application to the court.
    assert kinds == [("selected ", "court"), ("", "police_admonition"), ("", "further_order")]
