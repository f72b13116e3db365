"""The official indicators on the dashboard and in the monthly PDF, on a small county with a register that goes
back to the cohort's first school year: gross enrolment rates, the school year's and the net dropout rates, the
retention rate from a derived or entered grade-1 intake (or only an estimate), the children still needed, and the
veto flag. The bureau enters a township's or a school's intake once, and a refusal is shown at the field."""

import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import csrf_token, login, move

from dropout.db import database
from dropout.models import AuditLog, Child, CohortIntake, MonthlySummary, SummaryMonth
from dropout.reporting import archive as report_archive
from dropout.reporting import summaries
from dropout.reporting.data import month_report_data
from dropout.reporting.figures import Month

SEPTEMBER_2018, OCTOBER = Month(2018, 9), Month(2026, 10)
GRADE9_AGE, JUNIOR_AGE, PRIMARY_AGE = date(2012, 3, 14), date(2013, 3, 14), date(2018, 3, 14)
POPPLER = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) not installed")


def registered(children, on):
    """The children were on the register since `on` (the figures leave out those registered later)."""
    ids = [child.id for child in children]
    fields = {Child.created_at: on}
    if hasattr(Child, "registered_on"):
        fields[Child.registered_on] = on.date()
    Child.update(fields).where(Child.id.in_(ids)).execute()


@pytest.fixture
def county(app, make_township, make_village, make_school, make_child, make_user):
    """城关镇: four pupils entered grade 1 of its primary school in September 2018; three are in grade 9 of its
    junior school now, one dropped out on 10 October 2026; two primary pupils and a 13-year-old in grade 6.
    白马乡: two entered grade 1 in 2018 and are in grade 9 now, one primary pupil. September 2018 and
    October 2026 are generated."""
    t, u = make_township("城关镇"), make_township("白马乡")
    v, w = make_village(t, "东街社区"), make_village(u, "白马村")
    p, j, q = make_school(t, "城关小学"), make_school(t, "城关中学", kind="junior"), make_school(u, "白马学校")
    users = {role: make_user(role) for role in ("admin", "bureau")}
    users["township"] = make_user("township", township=t)
    with app.test_request_context(), database.connection_context():
        cohort_t = [make_child(v, p, GRADE9_AGE, "M" if n % 2 else "F", grade=1) for n in range(4)]
        cohort_u = [make_child(w, q, GRADE9_AGE, "F", grade=1) for _n in range(2)]
        registered(cohort_t + cohort_u, datetime(2018, 6, 1))
        summaries.generate_month(SEPTEMBER_2018)
        Child.update(grade=9).where(Child.id.in_([c.id for c in cohort_t + cohort_u])).execute()
        for child in cohort_t:
            move(child, date(2026, 8, 1), school=j.id)  # to the junior school before the school year began
        move(cohort_t[3], date(2026, 10, 10), status="dropped_out")
        younger = [
            make_child(v, p, PRIMARY_AGE, "M", grade=3),
            make_child(v, p, PRIMARY_AGE, "F", grade=3),
            make_child(v, p, JUNIOR_AGE, "M", grade=6),
            make_child(w, q, PRIMARY_AGE, "M", grade=3),
        ]
        registered(younger, datetime(2025, 6, 1))
        summaries.generate_month(OCTOBER)
    return {"t": t, "u": u, "v": v, "p": p, "j": j, "q": q, "users": users}


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


def tiles(page):
    """{indicator label: the tile's HTML} of the dashboard's indicator tiles."""
    block = page.split('<div class="tiles indicators">', 1)[1].split('<div class="columns">', 1)[0]
    found = {}
    for tile in block.split('<div class="tile')[1:]:
        label = re.search(r"</strong>\s*([^<]+?)\s*<", tile).group(1)
        found[label] = tile
    return found


def dashboard_of(client, unit=None):
    url = f"/reports/{OCTOBER}" + (f"?unit={unit}" if unit else "")
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_figures_behind_the_new_rates(app, county):
    with database.connection_context():
        cells = summaries.figures_of(OCTOBER, "county", 0)
        intake = summaries.intake_of(OCTOBER, "county", 0)
        school = summaries.intake_of(OCTOBER, "school", county["j"].id)
    from dropout.rules.indicators import total

    assert [total(cells, "in_school", "primary"), total(cells, "population", "primary")] == [4, 3]
    assert [total(cells, "in_school", "junior"), total(cells, "population", "junior")] == [5, 7]
    assert [total(cells, "grade9"), total(cells, "still_out", "junior"), total(cells, "students_year", "junior")] == [
        5,
        1,
        6,
    ]
    assert (intake.count, intake.source, intake.month) == (6, "derived", "2018-09")
    assert school is None  # the junior school had no grade 1 in 2018


def test_the_dashboard_shows_every_rate_with_the_children_still_needed(client, county):
    login(client, county["users"]["bureau"])
    found = tiles(dashboard_of(client))
    assert list(found) == [
        "入学率",
        "小学毛入学率",
        "初中毛入学率",
        "小学学年辍学率",
        "小学净辍学率",
        "初中学年辍学率",
        "初中净辍学率",
        "三类残疾儿童少年入学率",
        "九年义务教育巩固率",
    ]
    expected = {  # label: (rate, numerator / denominator, red, children still needed)
        "入学率": ("90.00%", "9 / 10", True, 1),
        "小学毛入学率": ("133.33%", "4 / 3", False, None),  # a gross rate over 100%: the 13-year-old in grade 6
        "初中毛入学率": ("71.43%", "5 / 7", True, 2),
        "小学学年辍学率": ("0.00%", "0 / 4", False, None),
        "初中学年辍学率": ("16.67%", "1 / 6", True, 1),
        "初中净辍学率": ("16.67%", "1 / 6", True, 1),
        "九年义务教育巩固率": ("83.33%", "5 / 6", True, 1),
    }
    for label, (rate, fraction, red, gap) in expected.items():
        tile = found[label]
        assert f"<strong>{rate}</strong>" in tile and fraction in tile, label
        assert tile.startswith(' bad"') is red, label
        assert (f"还需劝返 {gap} 人方可达标" in tile) is (gap is not None), label
    assert "无数据" in found["三类残疾儿童少年入学率"]
    retention = found["九年义务教育巩固率"]
    assert "按学籍推算的 2018 年一年级入学人数：2018-09 一年级在籍 6 人" in retention
    assert 'name="intake"' in retention  # the bureau may still enter it, which then counts instead
    assert "一票否决" not in "".join(found.values())


def test_the_ranking_counts_the_indicators_each_township_missed(client, county):
    login(client, county["users"]["bureau"])
    page = dashboard_of(client)
    ranking = page.split('<table class="compact ranking">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td><a [^>]*>([^<]+)</a>.*?<td class=\"num ?(bad)?\">(\d+)</td></tr>", ranking, re.DOTALL)
    assert rows == [("城关镇", "bad", "5"), ("白马乡", "", "0")]  # the township that missed more indicators first


def test_veto_indicators_are_marked_on_the_dashboard(app, client, county):
    app.config["VETO_INDICATORS"] = ("dropout_junior", "enrolment_primary")
    login(client, county["users"]["bureau"])
    page = dashboard_of(client)
    found = tiles(page)
    marked = {label for label, tile in found.items() if "一票否决" in tile}
    assert marked == {"初中学年辍学率", "小学毛入学率"}
    ranking = page.split('<table class="compact ranking">', 1)[1].split("</table>", 1)[0]
    town = ranking.split("城关镇", 1)[1].split("</tr>", 1)[0]
    assert "一票否决" in town and "一票否决" not in ranking.split("白马乡", 1)[1]


def test_without_history_or_entry_the_retention_rate_is_missing_and_only_estimated(client, county):
    with database.connection_context():
        MonthlySummary.delete().where(MonthlySummary.month == str(SEPTEMBER_2018)).execute()
        SummaryMonth.delete().where(SummaryMonth.month == str(SEPTEMBER_2018)).execute()
    login(client, county["users"]["bureau"])
    found = tiles(dashboard_of(client))
    retention = found["九年义务教育巩固率"]
    assert "<strong>—</strong>" in retention and "未录入入学人数" in retention
    assert retention.startswith(('"', ' "'))  # neither red nor green
    estimate = found["九年义务教育巩固率（估算）"]
    assert "估算" in estimate and "<strong>83.33%</strong>" in estimate and "5 / 6" in estimate
    assert not estimate.startswith(' bad"') and "未达标" not in estimate and "还需劝返" not in estimate
    assert "不作达标判断" in estimate


@pytest.mark.parametrize("kind", ["township", "school"])
def test_the_bureau_enters_a_units_intake_once_and_it_beats_the_derived_one(client, county, kind):
    unit = f"{kind}-{county['t' if kind == 'township' else 'j'].id}"
    login(client, county["users"]["bureau"])
    response = post(client, f"/reports/{OCTOBER}/intake", intake="5", unit=unit)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"unit={unit}#retention")
    with database.connection_context():
        row = CohortIntake.get()
        assert (row.entry_year, row.unit_kind, row.unit_id, row.intake) == (2018, kind, int(unit.split("-")[1]), 5)
        assert AuditLog.select().where(AuditLog.entity == "cohort_intake").count() == 1
    retention = tiles(dashboard_of(client, unit))["九年义务教育巩固率"]
    assert "教育局录入的 2018 年一年级入学人数：5" in retention and "3 / 5" in retention  # not the derived 4
    assert 'name="intake"' not in retention
    page = client.get(post(client, f"/reports/{OCTOBER}/intake", intake="6", unit=unit).headers["Location"])
    error = re.search(r'<p class="flash error" role="alert" id="intake-error">([^<]+)</p>', page.get_data(as_text=True))
    assert error and error.group(1) == "2018 年入学人数已录入过。"
    with database.connection_context():
        assert [r.intake for r in CohortIntake.select()] == [5]
    assert "intake-error" not in dashboard_of(client, unit)  # shown once


@pytest.mark.parametrize(
    "bad, message",
    [
        ("abc", "请以整数填写入学人数。"),
        ("", "请以整数填写入学人数。"),
        ("１２", "请以整数填写入学人数。"),
        ("-3", "请以整数填写入学人数。"),
        ("0", "请以整数填写入学人数。"),
        ("<b>9</b>", "请以整数填写入学人数。"),
    ],
)
def test_a_bad_intake_is_shown_at_the_field_and_changes_nothing(client, county, bad, message):
    unit = f"township-{county['u'].id}"
    login(client, county["users"]["bureau"])
    response = post(client, f"/reports/{OCTOBER}/intake", intake=bad, unit=unit)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    form = page.split('id="retention"', 1)[1].split("</form>", 1)[0]
    assert 'class="field has-error"' in form and f'<p class="error" id="intake-error">{message}</p>' in form
    assert "&lt;b&gt;" in form or "<b>" not in form  # the value comes back escaped
    with database.connection_context():
        assert CohortIntake.select().count() == 0
        assert not AuditLog.select().where(AuditLog.entity == "cohort_intake").exists()


def test_a_locked_month_refuses_the_intake_at_the_field(client, county):
    unit = f"school-{county['j'].id}"
    login(client, county["users"]["bureau"])
    post(client, f"/reports/{OCTOBER}/lock")
    page = dashboard_of(client, unit)
    assert 'name="intake"' not in tiles(page)["九年义务教育巩固率"]  # no form on a locked month
    response = post(client, f"/reports/{OCTOBER}/intake", intake="4", unit=unit)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<p class="flash error" role="alert" id="intake-error">2026-10 [^<]*锁定[^<]*</p>', page)
    with database.connection_context():
        assert CohortIntake.select().count() == 0


def test_a_village_has_no_intake_to_enter_and_a_township_cannot_enter_one(client, county):
    login(client, county["users"]["bureau"])
    village = f"village-{county['v'].id}"
    assert 'name="intake"' not in tiles(dashboard_of(client, village))["九年义务教育巩固率"]
    page = client.get(post(client, f"/reports/{OCTOBER}/intake", intake="4", unit=village).headers["Location"])
    assert "入学人数只能按全县、乡镇或学校录入。" in page.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, county["users"]["township"])
    unit = f"township-{county['t'].id}"
    assert 'name="intake"' not in dashboard_of(client, unit)
    assert post(client, f"/reports/{OCTOBER}/intake", intake="4", unit=unit).status_code == 403
    with database.connection_context():
        assert CohortIntake.select().count() == 0


def test_report_data_carries_the_gap_the_intake_and_the_veto(app, county):
    app.config["VETO_INDICATORS"] = ("dropout_junior",)
    with app.test_request_context(), database.connection_context():
        data = month_report_data(OCTOBER, "county", 0, app.config)
    rows = {row.label: row for row in data.indicators}
    junior = rows["初中学年辍学率"]
    assert (junior.numerator, junior.denominator, junior.met, junior.gap, junior.is_veto) == (1, 6, False, 1, True)
    assert junior.note == "还需劝返1人方可达标"
    assert rows["九年义务教育巩固率"].note == "还需劝返1人方可达标；入学人数：按2018年9月一年级在籍人数推算"
    assert [row.is_veto for row in data.indicators].count(True) == 1
    assert data.ranking.columns[-1] == "未达标指标数"
    assert [row[1] for row in data.ranking.rows] == ["白马乡", "城关镇（一票否决）"]  # the veto missed: last
    assert "标注“一票否决”的乡镇有一票否决指标（初中学年辍学率）未达标，排在最后" in data.ranking.note


@POPPLER
def test_the_pdf_prints_the_new_rates_the_gap_the_estimate_and_the_veto(app, county, tmp_path):
    app.config["VETO_INDICATORS"] = ("dropout_junior", "retention")
    with app.test_request_context(), database.connection_context():
        MonthlySummary.delete().where(MonthlySummary.month == str(SEPTEMBER_2018)).execute()
        SummaryMonth.delete().where(SummaryMonth.month == str(SEPTEMBER_2018)).execute()
        report_archive.write_month(OCTOBER, app.config)
    pdf = Path(app.config["REPORTS_DIR"]) / "2026" / "10" / "county.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    section = text.split("一、主要指标", 1)[1].split("二、", 1)[0]
    for expected in (
        "小学毛入学率",
        "初中毛入学率",
        "133.33%",
        "小学学年辍学率",
        "小学净辍学率",
        "初中净辍学率",
        "一票否决",
        "还需劝返1人方可达标",
        "九年义务教育巩固率（估算）",
        "未录入入学人数",
    ):
        assert expected in section.replace(" ", ""), expected
    estimate = next(line for line in section.splitlines() if "（估算）" in line)
    assert "估算" in estimate.split("（估算）", 1)[1] and "未达标" not in estimate
    junior = next(line for line in section.splitlines() if "初中学年辍学率" in line)
    assert re.search(r"未达标\s+是", junior)
    ranking = text.split("乡镇排名", 1)[1]
    assert re.search(r"2 +城关镇（一票否决）", ranking) and re.search(r"1 +白马乡 ", ranking)
    assert "一票否决指标（初中学年辍学率、九年义务教育巩固率）未达标，排在最后" in ranking.replace("\n", "")
