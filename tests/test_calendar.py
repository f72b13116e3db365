"""The county calendar: chinese-calendar's holidays and 调休 working days, the bureau's school holidays (and, for
a year the package does not know, its public holidays and working days), deadlines that move off holidays,
periods in working days, school days absent and visits overdue; and the page where the bureau keeps it."""

import re
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
import time_machine
from conftest import csrf_token, login
from county import ROLES, build_county

from dropout import todo
from dropout.casework.settings import CaseSettings
from dropout.core import calendar as county_calendar
from dropout.core.errors import PermissionDenied, ValidationError
from dropout.db import database
from dropout.models import AuditLog, CalendarEntry, DropoutCase
from dropout.rules import calendar as rules
from dropout.rules.calendar import CountyDays

SETTINGS = CaseSettings()
SUMMER_2026 = ("school_holiday", date(2026, 7, 11), date(2026, 8, 31))
NOV_22_2026 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 in the county
SEP_10_2026 = datetime(2026, 9, 10, 2, 0, tzinfo=UTC)


def official(year, name):
    """The package's own holidays and adjusted working days named `name` in `year` (looked up, not typed in)."""
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(366 if year % 4 == 0 else 365)]
    details = [(day, *chinese_calendar.get_holiday_detail(day)) for day in days]
    holidays = [day for day, on_holiday, named in details if named == name and on_holiday]
    workdays = [day for day, on_holiday, named in details if named == name and not on_holiday]
    return holidays, workdays


# The rules, against the package's own data ------------------------------------------------------------------


def test_national_day_2026_follows_the_package():
    holidays, workdays = official(2026, "National Day")
    assert holidays[0] == date(2026, 10, 1) and holidays == [
        holidays[0] + timedelta(days=n) for n in range(len(holidays))
    ]
    assert workdays and all(day.weekday() >= 5 for day in workdays)  # 调休: weekend days that are worked
    for day in holidays:
        assert not rules.is_working_day(day) and not rules.is_school_day(day)
    for day in workdays:
        assert rules.is_working_day(day) and rules.is_school_day(day)
    assert rules.is_working_day(holidays[-1] + timedelta(days=1))


def test_spring_festival_2026_follows_the_package():
    holidays, workdays = official(2026, "Spring Festival")
    assert holidays and workdays
    weekdays_off = [day for day in holidays if day.weekday() < 5]
    assert weekdays_off and not any(rules.is_working_day(day) for day in holidays)
    assert all(rules.is_working_day(day) for day in workdays)


def test_a_seven_day_deadline_landing_on_national_day_moves_to_the_first_working_day_after():
    holidays, _workdays = official(2026, "National Day")
    served = date(2026, 10, 1) - timedelta(days=7)  # the period runs from the next day: its 7th day is 1 October
    after = holidays[-1] + timedelta(days=1)
    while not chinese_calendar.is_workday(after):
        after += timedelta(days=1)
    assert rules.deadline(served, 7) == after
    assert rules.deadline(date(2026, 3, 10), 7) == date(2026, 3, 17)  # an ordinary Tuesday stays
    assert rules.deadline(date(2026, 3, 12), 2) == date(2026, 3, 16)  # a Saturday moves to Monday
    assert rules.deadline(date(2026, 3, 12), 0) == date(2026, 3, 12)
    with pytest.raises(ValueError):
        rules.deadline(date(2026, 3, 12), -1)


def test_working_days_skip_weekends_holidays_and_count_adjusted_working_days():
    friday = date(2026, 3, 13)
    assert friday.weekday() == 4 and rules.add_working_days(friday, 3) == date(2026, 3, 18)
    assert rules.add_working_days(friday, 0) == friday
    # Across National Day: the first three working days after it, counting a 调休 weekend day if there is one.
    holidays, workdays = official(2026, "National Day")
    before = holidays[0] - timedelta(days=1)
    expected, day = [], before
    while len(expected) < 3:
        day += timedelta(days=1)
        if (day.weekday() < 5 and day not in holidays) or day in workdays:
            expected.append(day)
    assert rules.add_working_days(before, 3) == expected[-1]
    assert date(2026, 10, 10) in workdays and rules.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_a_year_the_package_does_not_know_falls_back_to_weekends_and_the_bureaus_days():
    assert rules.known_year(2026) and not rules.known_year(2031)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2031, 10, 1))
    assert rules.is_working_day(date(2031, 10, 1))  # a Wednesday: nothing entered yet, so a working day
    assert not rules.is_working_day(date(2031, 10, 4))  # a Saturday
    entered = CountyDays.from_entries(
        [
            ("public_holiday", date(2031, 10, 1), date(2031, 10, 7)),
            ("workday", date(2031, 9, 28), date(2031, 9, 28)),  # a Sunday worked
        ]
    )
    assert not rules.is_working_day(date(2031, 10, 1), entered)
    assert rules.is_working_day(date(2031, 9, 28), entered)
    assert rules.deadline(date(2031, 9, 24), 7, entered) == date(2031, 10, 8)
    assert rules.add_working_days(date(2031, 9, 26), 1, entered) == date(2031, 9, 28)
    # For a year the package knows, the bureau's public holidays and working days change nothing.
    ignored = CountyDays.from_entries(
        [("public_holiday", date(2026, 3, 16), date(2026, 3, 16)), ("workday", date(2026, 10, 2), date(2026, 10, 2))]
    )
    assert rules.is_working_day(date(2026, 3, 16), ignored) and not rules.is_working_day(date(2026, 10, 2), ignored)


def test_school_days_leave_out_the_summer_holiday_weekends_and_public_holidays():
    summer = CountyDays.from_entries([SUMMER_2026])
    assert rules.is_working_day(date(2026, 7, 15), summer) and not rules.is_school_day(date(2026, 7, 15), summer)
    # Monday 6 July to Friday 10 July are school days; the summer holiday runs to 31 August; 1 September is a Tuesday.
    assert rules.school_days(date(2026, 7, 6), date(2026, 9, 1), summer) == 6
    assert rules.school_days(date(2026, 7, 6), date(2026, 9, 1)) == 42  # without the holiday: every working day
    assert rules.school_days(date(2026, 9, 2), date(2026, 9, 1), summer) == 0
    national_day, _ = official(2026, "National Day")
    assert rules.school_days(national_day[0], national_day[-1], summer) == 0
    assert rules.days_outside_school_holidays(date(2026, 7, 4), date(2026, 8, 15), summer) == 7


# The service ---------------------------------------------------------------------------------------------------


@pytest.fixture
def county(app):
    return build_county()


def test_the_service_reads_the_bureaus_entries(db, county):
    bureau = county.users["bureau"]
    assert county_calendar.school_days(date(2026, 7, 6), date(2026, 9, 1)) == 42
    county_calendar.add_entry(bureau, "school_holiday", "暑假", *SUMMER_2026[1:])
    assert county_calendar.school_days(date(2026, 7, 6), date(2026, 9, 1)) == 6
    county_calendar.add_entry(bureau, "public_holiday", "国庆节", date(2031, 10, 1), date(2031, 10, 7))
    assert county_calendar.deadline(date(2031, 9, 24), 7) == date(2031, 10, 8)
    assert not county_calendar.is_working_day(date(2031, 10, 3))
    assert county_calendar.add_working_days(date(2031, 9, 30), 1) == date(2031, 10, 8)
    assert [(e.action, e.entity) for e in AuditLog.select().order_by(AuditLog.id)] == [
        ("create", "calendar_entry"),
        ("create", "calendar_entry"),
    ]


@pytest.mark.parametrize(
    "kind, name, starts_on, ends_on, field",
    [
        ("school_holiday", "暑假", None, date(2026, 8, 31), "starts_on"),
        ("school_holiday", "暑假", date(2026, 8, 31), date(2026, 7, 11), "ends_on"),
        ("school_holiday", "暑假", date(2026, 1, 1), date(2027, 1, 2), "ends_on"),  # 366 days is the most
        ("school_holiday", "假" * 256, date(2026, 7, 11), date(2026, 8, 31), "name"),
        ("holiday", "暑假", date(2026, 7, 11), date(2026, 8, 31), "kind"),
        ("public_holiday", "国庆节", date(2026, 10, 1), date(2026, 10, 7), "kind"),  # the package knows 2026
        ("workday", "调休", date(2026, 12, 31), date(2027, 1, 2), "kind"),
    ],
)
def test_the_service_refuses_bad_entries(db, county, kind, name, starts_on, ends_on, field):
    with pytest.raises(ValidationError) as refused:
        county_calendar.add_entry(county.users["admin"], kind, name, starts_on, ends_on)
    assert field in refused.value.errors
    assert CalendarEntry.select().count() == 0 and AuditLog.select().count() == 0


def test_only_the_bureau_and_the_admin_keep_the_calendar(db, county):
    entry = county_calendar.add_entry(county.users["admin"], "school_holiday", "", date(2027, 1, 20), date(2027, 2, 20))
    for role in ("township", "teacher", "village"):
        with pytest.raises(PermissionDenied):
            county_calendar.add_entry(county.users[role], "school_holiday", "暑假", *SUMMER_2026[1:])
        with pytest.raises(PermissionDenied):
            county_calendar.remove_entry(county.users[role], entry.id)
    county_calendar.remove_entry(county.users["bureau"], entry.id)
    assert CalendarEntry.select().count() == 0
    assert AuditLog.select().where(AuditLog.action == "delete", AuditLog.entity == "calendar_entry").count() == 1


def test_visits_overdue_leave_out_the_school_holidays(db, county):
    township = county.users["township"]
    DropoutCase.create(
        child=county.own,
        absent_since=date(2026, 6, 1),
        opened_on=date(2026, 6, 1),
        status="persuading",
        cadre=township,
        next_visit_on=date(2026, 7, 3),
    )
    assert [late for _case, late in todo.todo(township, date(2026, 8, 15), SETTINGS).visits_due] == [43]
    county_calendar.add_entry(county.users["bureau"], "school_holiday", "暑假", *SUMMER_2026[1:])
    # 4 to 10 July count (a weekend among them); the holiday from 11 July does not.
    assert [late for _case, late in todo.todo(township, date(2026, 8, 15), SETTINGS).visits_due] == [7]
    assert [late for _case, late in todo.todo(township, date(2026, 9, 2), SETTINGS).visits_due] == [9]
    assert [late for _case, late in todo.todo(township, date(2026, 7, 3), SETTINGS).visits_due] == [0]


# The page ------------------------------------------------------------------------------------------------------


def post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/")})


def field_errors(page, name):
    """The messages shown in the form field `name`'s own block."""
    for block in re.findall(r'<div class="field[^"]*">(.*?)</div>', page, re.DOTALL):
        if f'name="{name}"' in block:
            return re.findall(r'<p class="error">(.*?)</p>', block)
    raise AssertionError(f"no field {name}")


@pytest.mark.parametrize("role", ROLES)
def test_everybody_reads_the_calendar(client, county, role):
    with database.connection_context():
        CalendarEntry.create(kind="school_holiday", name="寒假", starts_on=date(2027, 1, 23), ends_on=date(2027, 2, 21))
    with time_machine.travel(NOV_22_2026, tick=False):
        login(client, county.users[role])
        response = client.get("/calendar/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "寒假" in page and "2027-01-23" in page
    assert "2026 年的法定节假日和调休上班日取自国务院公布的安排" in page and "国庆节" in page and "2026-10-10" in page
    assert "尚未收录 2027 年的节假日安排" in page and "周一至周五" in page  # the fallback, said out loud
    editor = role in ("admin", "bureau")
    assert ('name="starts_on"' in page) == editor and ("/delete" in page) == editor
    assert ('href="/calendar/"' in page) == editor  # the menu link


def test_the_calendar_page_in_english(client, county):
    with time_machine.travel(NOV_22_2026, tick=False):
        login(client, county.users["bureau"])
        client.get("/lang/en?next=/calendar/")
        page = client.get("/calendar/").get_data(as_text=True)
    assert "National Day" in page and "国庆节" not in page
    assert "The official calendar does not know 2027 yet" in page


def test_the_bureau_adds_and_removes_days_on_the_page(client, county):
    login(client, county.users["bureau"])
    response = post(
        client,
        "/calendar/",
        {"kind": "school_holiday", "name": "暑假", "starts_on": "2026-07-11", "ends_on": "2026年8月31日"},
    )
    assert response.status_code == 302
    with database.connection_context():
        entry = CalendarEntry.get()
        assert (entry.kind, entry.name, entry.starts_on, entry.ends_on) == ("school_holiday", "暑假", *SUMMER_2026[1:])
        assert entry.created_by_id == county.users["bureau"].id
    page = client.get("/calendar/").get_data(as_text=True)
    assert "已保存" in page and "暑假" in page and "学校假期" in page
    # Both days are the phone's date picker, open to past and coming school years alike.
    for name in ("starts_on", "ends_on"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'type="date"' in tag and "min=" not in tag and "max=" not in tag
    assert post(client, f"/calendar/{entry.id}/delete", {}).status_code == 302
    with database.connection_context():
        assert CalendarEntry.select().count() == 0
        assert [
            e.action for e in AuditLog.select().where(AuditLog.entity == "calendar_entry").order_by(AuditLog.id)
        ] == ["create", "delete"]
    assert post(client, f"/calendar/{entry.id}/delete", {}).status_code == 404


@pytest.mark.parametrize(
    "data, name, message",
    [
        ({"starts_on": "", "ends_on": "2026-08-31"}, "starts_on", "请填写日期"),
        ({"starts_on": "昨天", "ends_on": "2026-08-31"}, "starts_on", "2015-09-01"),
        ({"starts_on": "2026-08-31", "ends_on": "2026-07-11"}, "ends_on", "结束日期不能早于开始日期"),
        ({"starts_on": "2026-01-01", "ends_on": "2027-01-02"}, "ends_on", "每条最多 366 天"),
        ({"kind": "holiday"}, "kind", "请选择类别"),
        (
            {"kind": "public_holiday", "starts_on": "2026-10-01", "ends_on": "2026-10-07"},
            "kind",
            "官方日历已收录 2026 年",
        ),
        ({"name": "假" * 256}, "name", "最多 255 个字符"),
    ],
)
def test_refusals_show_next_to_the_field_and_nothing_is_saved(client, county, data, name, message):
    login(client, county.users["bureau"])
    values = {"kind": "school_holiday", "name": "暑假", "starts_on": "2026-07-11", "ends_on": "2026-08-31", **data}
    response = post(client, "/calendar/", values)
    assert response.status_code == 422
    assert any(message in error for error in field_errors(response.get_data(as_text=True), name)), message
    with database.connection_context():
        assert CalendarEntry.select().count() == 0 and AuditLog.select().where(AuditLog.entity != "login").count() == 0


def test_a_teacher_may_not_change_the_calendar(client, county):
    with database.connection_context():
        entry = CalendarEntry.create(
            kind="school_holiday", name="寒假", starts_on=date(2027, 1, 23), ends_on=date(2027, 2, 21)
        )
    login(client, county.users["teacher"])
    assert (
        post(
            client,
            "/calendar/",
            {"kind": "school_holiday", "name": "暑假", "starts_on": "2026-07-11", "ends_on": "2026-08-31"},
        ).status_code
        == 403
    )
    assert post(client, f"/calendar/{entry.id}/delete", {}).status_code == 403
    with database.connection_context():
        assert [e.name for e in CalendarEntry.select()] == ["寒假"]


def test_the_case_and_home_pages_count_school_days_absent(client, county):
    with database.connection_context():
        CalendarEntry.create(kind="school_holiday", name="暑假", starts_on=SUMMER_2026[1], ends_on=SUMMER_2026[2])
        case = DropoutCase.create(
            child=county.own, absent_since=date(2026, 8, 24), opened_on=date(2026, 8, 24), status="suspected"
        )
    # 1 to 10 September 2026: two weeks of school less one weekend; the summer holiday and the weekends do not count.
    with time_machine.travel(SEP_10_2026, tick=False):
        login(client, county.users["township"])
        expected = rules.school_days(date(2026, 8, 24), date(2026, 9, 10), CountyDays.from_entries([SUMMER_2026]))
        assert expected == 8
        assert "缺课 8 个上学日" in client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert "缺课 8 个上学日" in client.get("/").get_data(as_text=True)
    with database.connection_context():
        DropoutCase.update(status="returned").execute()
    with time_machine.travel(SEP_10_2026, tick=False):
        assert "个上学日" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
