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
