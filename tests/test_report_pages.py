"""The monthly pages: the dashboard and its drill-down, generating, locking, the intake, filing reports."""

import re
from datetime import date

import pytest
from conftest import csrf_token, login
from county import build_county

from dropout import clock
from dropout.db import database
from dropout.models import AuditLog, BackgroundTask, CohortIntake, MonthlyReport, MonthlySummary, SummaryMonth
from dropout.reporting import summaries
from dropout.reporting.figures import Month

MONTH = Month.parse(f"{clock.today():%Y-%m}").previous()


@pytest.fixture
def county(app):
    county = build_county()
    with app.test_request_context(), database.connection_context():
        from dropout.models import Child

        Child.update(registered_on=date(2025, 6, 1)).execute()  # registered long before the month
        Child.update(status="dropped_out", status_since=MONTH.first).where(Child.id == county.own.id).execute()
        summaries.generate_month(MONTH)
    return county


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


def test_the_bureau_drills_down_from_the_county_to_the_children(client, county):
    login(client, county.users["bureau"])
    page = client.get("/reports/", follow_redirects=True).get_data(as_text=True)
    assert "<svg" in page and "<script" not in page
    township = re.search(r'href="(/reports/[0-9-]+\?unit=township-\d+)">城关镇<', page)
    assert township, "the township ranking links to the township"
    page = client.get(township.group(1)).get_data(as_text=True)
    village = re.search(r'href="(/reports/[0-9-]+\?unit=village-\d+)">东街社区<', page)
    assert village
    page = client.get(village.group(1)).get_data(as_text=True)
    listing = re.search(r'href="(/children/\?[^"]*status=dropped_out[^"]*)">1<', page)
    assert listing, "the village's dropouts still out link to the children list"
    children = client.get(listing.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert county.own.name in children and county.other.name not in children


def test_a_township_sees_its_own_units_only(client, county):
    login(client, county.users["township"])
    with database.connection_context():
        other = county.other.village_id
    assert client.get(f"/reports/{MONTH}").status_code == 200
    assert client.get(f"/reports/{MONTH}?unit=village-{county.home_village.id}").status_code == 200
    assert client.get(f"/reports/{MONTH}?unit=village-{other}").status_code == 404
    assert client.get(f"/reports/{MONTH}?unit=county-0").status_code == 404
    assert client.get(f"/reports/{MONTH}?unit=village-x1").status_code == 404
    assert client.get("/reports/2026-13").status_code == 404
    assert "月报上报情况" in client.get(f"/reports/{MONTH}").get_data(as_text=True)


def test_a_village_cadre_reads_the_villages_month_and_is_offered_no_filing(client, county):
    login(client, county.users["village"])
    page = client.get(f"/reports/{MONTH}").get_data(as_text=True)
    assert county.home_village.name in page and "月报上报情况" not in page  # a village committee files no report


def test_generating_a_bad_month_changes_nothing(client, county):
    login(client, county.users["bureau"])
    for bad in ("2026-13", "abc", "2999-01", ""):
        response = post(client, "/reports/generate", month=bad)
        assert response.status_code == 302
    with database.connection_context():
        assert SummaryMonth.select().count() == 1
    page = client.get("/reports/", follow_redirects=True).get_data(as_text=True)
    assert "YYYY-MM" in page or "尚未开始" in page or "has not begun" in page


def test_generating_a_month_runs_as_a_task_that_lands_on_the_month(client, county):
    login(client, county.users["bureau"])
    response = post(client, "/reports/generate", month=str(MONTH))
    assert response.status_code == 302 and response.headers["Location"].startswith("/tasks/")
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert page.request.path == f"/reports/{MONTH}"
    assert f"已生成 {MONTH} 的统计数据。" in page.get_data(as_text=True)
    with database.connection_context():
        month = SummaryMonth.get_by_id(str(MONTH))
        assert month.generated_by_id == county.users["bureau"].id
        assert BackgroundTask.get().status == "done"


def test_a_locked_month_is_refused_before_any_task_starts(client, county):
    login(client, county.users["bureau"])
    post(client, f"/reports/{MONTH}/lock")
    page = post(client, "/reports/generate", month=str(MONTH))
    assert page.headers["Location"] == "/reports/"
    assert f"{MONTH} 已锁定。" in client.get("/reports/", follow_redirects=True).get_data(as_text=True)
    with database.connection_context():
        assert BackgroundTask.select().count() == 0


def test_a_locked_month_says_by_whom_and_only_an_admin_unlocks_with_a_reason(client, app, county):
    login(client, county.users["bureau"])
    assert post(client, f"/reports/{MONTH}/lock").status_code == 302
    page = client.get(f"/reports/{MONTH}").get_data(as_text=True)
    assert "bureau" in page and 'action="/reports/generate"' not in page
    post(client, "/reports/generate", month=str(MONTH))
    assert post(client, f"/reports/{MONTH}/unlock", reason="x").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, county.users["admin"])
    post(client, f"/reports/{MONTH}/unlock", reason="   ")
    with database.connection_context():
        assert SummaryMonth.get_by_id(str(MONTH)).locked_at is not None
    post(client, f"/reports/{MONTH}/unlock", reason="学校补报")
    with database.connection_context():
        assert SummaryMonth.get_by_id(str(MONTH)).locked_at is None
        assert AuditLog.select().where((AuditLog.entity == "summary") & (AuditLog.reason == "学校补报")).exists()


@pytest.mark.parametrize("bad", ["", "-5", "0", "1e3", "１２", "12345678901", "<b>1</b>"])
def test_a_bad_intake_is_refused(client, county, bad):
    login(client, county.users["bureau"])
    post(client, f"/reports/{MONTH}/intake", intake=bad)
    with database.connection_context():
        assert CohortIntake.select().count() == 0


def test_the_intake_is_entered_once_and_feeds_the_retention_rate(client, county):
    login(client, county.users["bureau"])
    post(client, f"/reports/{MONTH}/intake", intake="4")
    post(client, f"/reports/{MONTH}/intake", intake="5")
    with database.connection_context():
        assert [row.intake for row in CohortIntake.select()] == [4]
    page = client.get(f"/reports/{MONTH}").get_data(as_text=True)
    assert re.search(r"0 / 4\b", page), "grade-9 pupils over the entered intake"


def test_a_school_submits_the_township_approves_and_the_bureau_sees_who_is_missing(client, county):
    with database.connection_context():
        school_report = MonthlyReport.get(
            (MonthlyReport.month == str(MONTH))
            & (MonthlyReport.unit_kind == "school")
            & (MonthlyReport.unit_id == county.home_school.id)
        )
        expected = MonthlyReport.select().where(MonthlyReport.month == str(MONTH)).count()
    login(client, county.users["teacher"])
    post(client, f"/reports/filing/report/{school_report.id}/approve")
    post(client, f"/reports/filing/report/{school_report.id}/submit", comment="<b>本月无新增</b>")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, county.users["township"])
    page = client.get(f"/reports/filing/{MONTH}").get_data(as_text=True)
    assert "&lt;b&gt;本月无新增&lt;/b&gt;" in page
    post(client, f"/reports/filing/report/{school_report.id}/approve")
    with database.connection_context():
        report = MonthlyReport.get_by_id(school_report.id)
        assert (report.status, report.comment, report.approved_by_id) == (
            "approved",
            "<b>本月无新增</b>",
            county.users["township"].id,
        )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, county.users["bureau"])
    page = client.get(f"/reports/filing/{MONTH}").get_data(as_text=True)
    tiles = re.findall(r"<strong>(\d+)</strong>", page)
    assert tiles[:2] == [str(expected), "1"]
    assert "白马乡中心小学" in page  # not reported yet, by name
    home = client.get("/").get_data(as_text=True)
    assert ("白马乡中心小学" in home) is (clock.today() > report.due_on)


def test_each_figure_shown_equals_the_frozen_summary(client, county):
    login(client, county.users["bureau"])
    page = client.get(f"/reports/{MONTH}").get_data(as_text=True)
    with database.connection_context():
        assert MonthlySummary.select().where(MonthlySummary.month == str(MONTH)).count() == 1 + 2 + 2 + 2
        cells = summaries.figures_of(MONTH, "county", 0)
    from dropout.rules.indicators import total

    still_out = total(cells, "still_out")
    assert still_out == 1
    assert re.search(rf'status=dropped_out[^"]*">{still_out}</a>', page)


def test_the_admin_sees_the_scheduler_runs_and_their_errors(client, county):
    from dropout.models import JobRun, utcnow

    with database.connection_context():
        JobRun.create(
            job="monthly", period=str(MONTH), started_at=utcnow(), finished_at=utcnow(), result="units=7", error=""
        )
        JobRun.create(job="daily", period="2026-11-02", started_at=utcnow(), error="OperationalError: <locked>")
    login(client, county.users["admin"])
    page = client.get("/reports/jobs").get_data(as_text=True)
    assert "units=7" in page and "OperationalError: &lt;locked&gt;" in page


def test_a_townships_still_out_lists_its_residents_as_the_figure_counts_them(client, county):
    from dropout.models import Child

    with database.connection_context():
        commuter = Child.create(
            name="邻乡生",
            sex="M",
            birth_on=county.own.birth_on,
            village=county.other.village_id,
            school=county.home_school.id,
            grade=5,
            status="dropped_out",
        )
    login(client, county.users["bureau"])
    page = client.get(f"/reports/{MONTH}").get_data(as_text=True)
    row = re.search(r'>城关镇</a>.*?href="([^"]*status=dropped_out[^"]*)">(\d+)<', page, re.S)
    assert row and row.group(2) == "1"
    listing = client.get(row.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert county.own.name in listing and commuter.name not in listing
    everyone = client.get(f"/children/?status=dropped_out&township={county.home_school.township_id}")
    assert commuter.name in everyone.get_data(as_text=True)  # without home=1: residents and pupils


def crumbs(page):
    """The breadcrumbs' text, levels joined by ' › '."""
    nav = re.search(r'<nav class="crumbs"[^>]*>(.*?)</nav>', page, re.S)
    return " › ".join(part.strip() for part in re.sub(r"<[^>]+>", "", nav.group(1)).split("›")) if nav else ""


def test_breadcrumbs_name_every_level_the_user_may_open(client, county):
    with database.connection_context():
        village = f"village-{county.home_village.id}"
        school = f"school-{county.home_school.id}"
    login(client, county.users["bureau"])
    assert crumbs(client.get(f"/reports/{MONTH}?unit={village}").get_data(as_text=True)) == "示例县 › 城关镇 › 东街社区"
    page = client.get(f"/reports/{MONTH}?unit={school}").get_data(as_text=True)
    assert crumbs(page) == "示例县 › 城关镇 › 城关镇中心小学"
    township = re.search(r'<a href="(/reports/[0-9-]+\?unit=township-\d+)">城关镇</a>', page)
    assert township, "the township's level links to its page"
    assert crumbs(client.get(f"/reports/{MONTH}").get_data(as_text=True)) == ""  # the county page is the top
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, county.users["township"])
    page = client.get(f"/reports/{MONTH}?unit={village}").get_data(as_text=True)
    assert crumbs(page) == "城关镇 › 东街社区" and "unit=county-0" not in page  # not the county it may not open


def test_the_months_actions_are_on_the_county_page_only(client, county):
    login(client, county.users["admin"])
    with database.connection_context():
        units = ["county-0", f"township-{county.home_village.township_id}", f"village-{county.home_village.id}"]
    county_page, *below = [client.get(f"/reports/{MONTH}?unit={unit}").get_data(as_text=True) for unit in units]
    assert 'action="/reports/generate"' in county_page and f'action="/reports/{MONTH}/lock"' in county_page
    for page in below:
        assert 'action="/reports/generate"' not in page and f'action="/reports/{MONTH}/lock"' not in page
        assert "请在全县页面操作" in page and 'href="/reports/' in page
    post(client, f"/reports/{MONTH}/lock")
    assert f'action="/reports/{MONTH}/unlock"' in client.get(f"/reports/{MONTH}?unit=county-0").get_data(as_text=True)
    for unit in units[1:]:
        page = client.get(f"/reports/{MONTH}?unit={unit}").get_data(as_text=True)
        assert "已锁定" in page and f'action="/reports/{MONTH}/unlock"' not in page


def rankings(page):
    """{ranking title: [unit names in its rows]}."""
    found = {}
    for title, table in re.findall(r"<h2>([^<]*排名)</h2>.*?<table[^>]*>(.*?)</table>", page, re.S):
        found[title] = re.findall(r'<tr><td><a href="/reports/[^"]+">([^<]+)</a>', table)
    return found


def test_villages_and_schools_are_ranked_apart_and_the_county_ranks_townships(client, county):
    login(client, county.users["bureau"])
    assert rankings(client.get(f"/reports/{MONTH}").get_data(as_text=True)) == {"乡镇排名": ["城关镇", "白马乡"]}
    with database.connection_context():
        township = county.home_village.township_id
    page = client.get(f"/reports/{MONTH}?unit=township-{township}").get_data(as_text=True)
    assert rankings(page) == {"村（社区）排名": ["东街社区"], "学校排名": ["城关镇中心小学"]}
    assert "两表数字不能相加" in page


def drill_link(page, label):
    """The children-list link of a figure's total on a monthly page, by the figure's label."""
    row = re.search(rf"<td>{label}</td>.*?<a href=\"(/children/\?[^\"]+)\">(\d+)</a>", page, re.S)
    return row.group(1).replace("&amp;", "&"), int(row.group(2))


def test_a_figures_list_says_what_the_figure_counted_beside_what_it_shows_today(client, county):
    from dropout.models import Child

    with database.connection_context():
        village = county.home_village.id
        # After the month was counted another child of the village drops out: the list now shows two.
        Child.update(status="dropped_out", status_since=clock.today()).where(Child.name == "李小红").execute()
        late = Child.create(
            name="新辍学",
            sex="M",
            birth_on=county.own.birth_on,
            village=village,
            school=county.home_school.id,
            grade=5,
            status="dropped_out",
        )
    login(client, county.users["bureau"])
    page = client.get(f"/reports/{MONTH}?unit=village-{village}").get_data(as_text=True)
    url, counted = drill_link(page, "月末仍未返校辍学生")
    assert counted == 1 and "figure=still_out" in url and f"month={MONTH}" in url and f"village={village}" in url
    listing = client.get(url).get_data(as_text=True)
    assert county.own.name in listing and late.name in listing
    note = re.search(r'<div class="flash figure-note" role="note">(.*?)</div>', listing, re.S).group(1)
    assert f"东街社区 · 月末仍未返校辍学生：{MONTH} 月报统计 1 人（按 {MONTH.last} 的名册" in note
    assert "下面列出的是今天的情况（共 2 人）" in note and "月报数字统计后即固定不变" in note
    # The count is read from the stored summary: a number in the address changes nothing.
    assert "统计 1 人" in client.get(url + "&counted=99").get_data(as_text=True)
    # A page at a time, the next page still says what the figure counted.
    first = client.get(url + "&size=1").get_data(as_text=True)
    following = re.search(r'href="([^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "figure=still_out" in following and "统计 1 人" in client.get(following).get_data(as_text=True)
    client.get("/lang/en")
    english = client.get(url).get_data(as_text=True)
    assert f"the report of {MONTH} counted 1" in english and "as they are today (2 found)" in english


@pytest.mark.parametrize(
    "change",
    [
        lambda url: url.replace("status=dropped_out", "status=suspected"),  # not what the figure counted
        lambda url: url + "&q=李",  # narrowed further
        lambda url: url.replace("figure=still_out", "figure=students_end"),  # not a figure the list can show
        lambda url: url.replace(f"month={MONTH}", "month=2001-01"),  # not generated
        lambda url: url.replace(f"month={MONTH}", "month=2026-13"),
        lambda url: re.sub(r"village=\d+", "village=999999", url),
    ],
)
def test_no_note_when_the_list_is_not_the_figures_drill_down(client, county, change):
    login(client, county.users["bureau"])
    with database.connection_context():
        village = county.home_village.id
    url, _counted = drill_link(
        client.get(f"/reports/{MONTH}?unit=village-{village}").get_data(as_text=True), "月末仍未返校辍学生"
    )
    assert "figure-note" in client.get(url).get_data(as_text=True)
    assert "figure-note" not in client.get(change(url)).get_data(as_text=True)


def test_no_note_of_a_unit_outside_the_users_area(client, county):
    with database.connection_context():
        other = county.other.village_id
    login(client, county.users["township"])
    url = f"/children/?status=dropped_out&village={other}&home=1&figure=still_out&month={MONTH}"
    assert "figure-note" not in client.get(url).get_data(as_text=True)
    assert "figure-note" not in client.get(f"/children/?status=dropped_out&figure=still_out&month={MONTH}").get_data(
        as_text=True
    )  # the county's figure is the bureau's


def test_the_rankings_still_out_link_carries_its_figure(client, county):
    login(client, county.users["bureau"])
    page = client.get(f"/reports/{MONTH}").get_data(as_text=True)
    row = re.search(r'>城关镇</a>.*?href="([^"]*figure=still_out[^"]*)">(\d+)<', page, re.S)
    listing = client.get(row.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert f"城关镇 · 月末仍未返校辍学生：{MONTH} 月报统计 {row.group(2)} 人" in listing


def test_filing_without_a_month_opens_the_newest_one(client, county):
    login(client, county.users["township"])
    response = client.get("/reports/filing/")
    assert response.status_code == 302 and response.headers["Location"] == f"/reports/filing/{MONTH}"


def test_filing_before_any_month_says_so(client, make_user):
    login(client, make_user("bureau"))
    response = client.get("/reports/filing/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "尚未生成任何月份" in page and 'action="/reports/generate"' in page


def test_the_total_is_the_first_column_of_figures(client, county):
    login(client, county.users["bureau"])
    page = client.get(f"/reports/{MONTH}").get_data(as_text=True)
    tables = re.findall(r'<table class="compact figures">\s*<thead><tr><th></th><th class="num">([^<]+)</th>', page)
    assert tables and set(tables) == {"合计"}  # in view on a phone, before the stage and sex columns


def test_the_filing_page_offers_each_user_their_own_step_first(client, county):
    login(client, county.users["teacher"])
    page = client.get(f"/reports/filing/{MONTH}").get_data(as_text=True)
    header = re.search(r"<thead><tr>(.*?)</tr></thead>", page).group(1)
    assert re.findall(r"<th>([^<]*)</th>", header)[:2] == ["单位", "待您办理"]
    assert len(re.findall(r'action="/reports/filing/report/\d+/submit"', page)) == 1 and "/approve" not in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, county.users["bureau"])
    page = client.get(f"/reports/filing/{MONTH}").get_data(as_text=True)
    assert "待您办理" not in page and 'action="/reports/filing/report/' not in page  # nothing submitted to approve
