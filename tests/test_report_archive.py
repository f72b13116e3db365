"""Monthly reports archived as PDF and .xlsx under <REPORTS_DIR>/<yyyy>/<mm>/, each recorded with its SHA-256."""

import hashlib
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import move
from flask_babel import force_locale

from dropout.casework import cases
from dropout.casework.settings import CaseSettings
from dropout.choices import INDICATORS, STOCK_FIGURES
from dropout.config import thresholds
from dropout.core.errors import ValidationError
from dropout.models import Child, HomeVisit, ReportFile, Township
from dropout.pdf import fonts
from dropout.reporting import summaries
from dropout.reporting.archive import ArchiveDamaged, month_report_data, read_file, write_month
from dropout.reporting.data import CELLS
from dropout.reporting.figures import Month
from dropout.rules.indicators import official, total

TODAY = date(2026, 11, 22)
OCTOBER = Month(2026, 10)
PRIMARY_AGE, JUNIOR_AGE, GRADE9_AGE = date(2018, 3, 14), date(2013, 3, 14), date(2012, 3, 14)
POPPLER = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdffonts", "pdftotext")),
    reason="poppler-utils (pdffonts, pdftotext) not installed",
)


@pytest.fixture
def county(db, make_township, make_village, make_school, make_child, make_user):
    """城关镇: b (primary, suspected in September) and c (junior) drop out in October; 白马乡: e moves away.
    September and October are generated."""
    t, u = make_township("城关镇"), make_township("白马乡")
    v1, v2, w1 = make_village(t), make_village(t), make_village(u)
    p, j, q = make_school(t), make_school(t, kind="junior"), make_school(u)
    admin = make_user("admin")
    settings = CaseSettings()
    kids = {
        "a": make_child(v1, p, PRIMARY_AGE, "F", grade=3),
        "b": make_child(v1, p, PRIMARY_AGE, "M", grade=4, is_poor=True),
        "c": make_child(v2, j, JUNIOR_AGE, "M", grade=8),
        "d": make_child(v2, j, GRADE9_AGE, "F", grade=9),
        "e": make_child(w1, q, PRIMARY_AGE, "F", grade=2),
        "f": make_child(v1, p, PRIMARY_AGE, "M", grade=5),
        "g": make_child(w1, q, PRIMARY_AGE, "M", grade=6),
    }
    case_b = cases.open_case(admin, kids["b"], date(2026, 9, 20), settings, TODAY)
    cases.confirm(admin, case_b, "work", "", date(2026, 10, 5), settings, TODAY)
    HomeVisit.create(
        case=case_b,
        child=kids["b"],
        user=admin,
        visited_on=date(2026, 10, 7),
        method="home",
        met="guardian",
        outcome="refused",
    )
    case_c = cases.open_case(admin, kids["c"], date(2026, 10, 10), settings, TODAY)
    cases.confirm(admin, case_c, "dislike", "", date(2026, 10, 12), settings, TODAY)
    move(kids["e"], date(2026, 10, 3), status="moved_out")
    Child.update(registered_on=date(2025, 6, 1)).execute()  # all registered long before September
    summaries.generate_month(Month(2026, 9))
    summaries.generate_month(OCTOBER)
    return {"t": t, "u": u, "admin": admin, **kids}


def chinese(choices):
    with force_locale("zh_Hans_CN"):
        return {code: str(label) for code, label in choices.items()}


def by_stage_and_sex(cells, key):
    return tuple(total(cells, key, stage, sex) for stage, sex in CELLS)


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def files_of(folder):
    return {path.name: path.read_bytes() for path in sorted(Path(folder).iterdir())}


def test_report_data_is_the_frozen_month_in_chinese(county, app):
    data = month_report_data(OCTOBER, "county", 0, app.config)
    cells = summaries.figures_of(OCTOBER, "county", 0)
    assert (data.title, data.unit_name, data.month_text) == ("示例县控辍保学月报", "示例县", "2026年10月")
    assert data.period_text == "2026年10月1日至2026年10月31日" and data.locked_text == ""
    stock = data.tables[0]
    assert stock.title == "学生变动情况"
    assert stock.groups == (("项目", 1), ("小学", 3), ("初中", 3), ("合计", 3))
    assert stock.columns == ("", "男", "女", "小计", "男", "女", "小计", "男", "女", "合计")
    labels = chinese(STOCK_FIGURES)
    assert stock.rows[:-1] == tuple((labels[key],) + by_stage_and_sex(cells, key) for key in STOCK_FIGURES)
    assert stock.rows[list(STOCK_FIGURES).index("dropouts")][1:] == (1, 0, 1, 1, 0, 1, 2, 0, 2)
    assert stock.rows[-1] == ("平衡核对差额（应为0）",) + (0,) * 9
    assert "收支平衡" in stock.note
    names = chinese(INDICATORS)
    expected = [
        (names[i.code], i.numerator, None if i.missing else i.denominator, i.met)
        for i in official(cells, thresholds(app.config))
    ]  # no intake: no denominator
    assert [(r.label, r.numerator, r.denominator, r.met) for r in data.indicators] == expected
    rows = {r.label: r for r in data.indicators}
    primary = rows["小学学年辍学率"]
    assert (primary.numerator, primary.denominator, primary.met) == (1, 5, False)  # b of the 5 on the roll in August
    assert primary.note == "还需劝返1人方可达标" and primary.gap == 1


def test_trend_covers_twelve_months_and_ranking_the_townships(county, app):
    data = month_report_data(OCTOBER, "county", 0, app.config)
    assert len(data.trend) == 12 and data.trend_title == "2025年11月至2026年10月"
    assert [point.month for point in data.trend[:2]] == ["2025-11", "2025-12"]
    assert all(point.still_out is None and point.dropout_rate is None for point in data.trend[:10])
    september, october = data.trend[-2:]
    assert (september.label, september.still_out, september.dropout_rate) == ("9月", 0, 0.0)
    assert (october.label, october.still_out) == ("10月", 2)
    assert october.dropout_rate == pytest.approx(100 * 2 / 7)
    ranking = data.ranking
    assert ranking.columns[:2] == ("名次", "乡镇")
    assert [row[:2] for row in ranking.rows] == [(1, "白马乡"), (2, "城关镇")]
    assert ranking.rows[1][3] == 2  # still out in 城关镇


def test_a_township_report_has_its_own_figures_and_no_ranking(county, app):
    data = month_report_data(OCTOBER, "township", county["t"].id, app.config)
    cells = summaries.figures_of(OCTOBER, "township", county["t"].id)
    assert data.title == "示例县城关镇控辍保学月报" and data.unit_name == "城关镇"
    assert data.ranking is None
    assert data.tables[0].rows[0][1:] == by_stage_and_sex(cells, "students_start")


def test_write_month_archives_county_and_townships_as_pdf_and_xlsx(county, app):
    paths = write_month(OCTOBER, app.config)
    folder = Path(app.config["REPORTS_DIR"]) / "2026" / "10"
    t, u = county["t"].id, county["u"].id
    names = [
        "county.pdf",
        "county.xlsx",
        f"township-{t}.pdf",
        f"township-{t}.xlsx",
        f"township-{u}.pdf",
        f"township-{u}.xlsx",
    ]
    assert paths == [folder / name for name in names]
    assert sorted(files_of(folder)) == sorted(names)  # no temporary file left behind
    rows = list(ReportFile.select().order_by(ReportFile.unit_kind, ReportFile.unit_id, ReportFile.kind))
    assert [(r.month, r.unit_kind, r.unit_id, r.kind, r.path) for r in rows] == [
        ("2026-10", "county", 0, "pdf", "2026/10/county.pdf"),
        ("2026-10", "county", 0, "xlsx", "2026/10/county.xlsx"),
        ("2026-10", "township", t, "pdf", f"2026/10/township-{t}.pdf"),
        ("2026-10", "township", t, "xlsx", f"2026/10/township-{t}.xlsx"),
        ("2026-10", "township", u, "pdf", f"2026/10/township-{u}.pdf"),
        ("2026-10", "township", u, "xlsx", f"2026/10/township-{u}.xlsx"),
    ]
    for row in rows:
        assert row.sha256 == hashlib.sha256((Path(app.config["REPORTS_DIR"]) / row.path).read_bytes()).hexdigest()
    found = read_file(OCTOBER, "county", 0, "pdf", app.config["REPORTS_DIR"])
    assert found == (folder.resolve() / "county.pdf", rows[0].sha256)


@POPPLER
def test_the_pdf_prints_the_figures_in_chinese_with_the_font_embedded(county, app):
    write_month(OCTOBER, app.config)
    pdf = Path(app.config["REPORTS_DIR"]) / "2026" / "10" / "county.pdf"
    font_rows = run("pdffonts", str(pdf)).splitlines()[2:]
    assert font_rows
    for row in font_rows:  # every font embedded and subset: no Helvetica or Times left by a chart or table
        assert "TrueType" in row and row.split()[-5:-3] == ["yes", "yes"], row
    if Path(fonts.BODY_FONTS[0][0]).exists():
        assert any("UMingCN" in row for row in font_rows)
    text = run("pdftotext", "-layout", str(pdf), "-")
    for expected in (
        "示例县控辍保学月报",
        "（2026年10月）",
        "统计单位：示例县",
        "一、主要指标",
        "二、学生变动情况",
        "小学",
        "初中",
        "合计",
        "未达标",
        "近12个月趋势（2025年11月至2026年10月）",
        "乡镇排名",
        "白马乡",
        "城关镇",
        "填表人",
        "第 1 页",
    ):
        assert expected in text, expected
    cells = summaries.figures_of(OCTOBER, "county", 0)
    dropped = " +".join(str(n) for n in by_stage_and_sex(cells, "dropouts"))
    assert dropped == "1 +0 +1 +1 +0 +1 +2 +0 +2"
    assert re.search(rf"^\s*{chinese(STOCK_FIGURES)['dropouts']} +{dropped}\s*$", text, re.MULTILINE)
    assert re.search(r"平衡核对差额（应为0） +0( +0){8}", text)


def test_the_workbook_has_one_sheet_per_section_with_numbers_as_numbers(county, app):
    write_month(OCTOBER, app.config)
    book = openpyxl.load_workbook(Path(app.config["REPORTS_DIR"]) / "2026" / "10" / "county.xlsx")
    assert book.sheetnames == [
        "主要指标",
        "学生变动",
        "适龄人口",
        "辍学监测",
        "重点群体",
        "辍学原因",
        "劝返工作",
        "复学安置",
        "依法控辍",
        "近12个月趋势",
        "乡镇排名",
    ]
    sheet = book["学生变动"]
    assert sheet["A1"].value == "示例县控辍保学月报（2026年10月）" and sheet["A2"].value == "学生变动情况"
    assert [sheet.cell(4, c).value for c in (1, 2, 5, 8)] == ["项目", "小学", "初中", "合计"]
    assert [sheet.cell(5, c).value for c in range(2, 11)] == [
        "男",
        "女",
        "小计",
        "男",
        "女",
        "小计",
        "男",
        "女",
        "合计",
    ]
    cells = summaries.figures_of(OCTOBER, "county", 0)
    labels = chinese(STOCK_FIGURES)
    for row, key in enumerate(STOCK_FIGURES, start=6):
        values = tuple(sheet.cell(row, c).value for c in range(1, 11))
        assert values == (labels[key],) + by_stage_and_sex(cells, key)
        assert all(type(v) is int for v in values[1:])
    rates = book["主要指标"]
    row = next(r for r in range(5, 20) if rates.cell(r, 1).value == chinese(INDICATORS)["dropout_primary"])
    primary = [rates.cell(row, c).value for c in range(1, 8)]
    assert primary[:3] == [chinese(INDICATORS)["dropout_primary"], 1, 5]
    assert primary[3] == pytest.approx(1 / 5) and primary[4] == pytest.approx(0.01)
    assert rates.cell(row, 4).number_format == "0.00%" and primary[6] == "未达标"
    assert [rates.cell(row, c).value for c in (8, 9)] == [None, 1] and rates.cell(
        row, 10
    ).value == "还需劝返1人方可达标"
    verdicts = {rates.cell(r, 1).value: rates.cell(r, 7).value for r in range(5, 20) if rates.cell(r, 1).value}
    assert verdicts[chinese(INDICATORS)["retention_estimate"]] == "估算"
    ranking = book["乡镇排名"]
    assert [ranking.cell(5, c).value for c in range(1, 3)] == [1, "白马乡"]
    assert [ranking.cell(6, c).value for c in (1, 2, 4)] == [2, "城关镇", 2]


def test_writing_twice_leaves_the_same_files_and_rows(county, app):
    folder = Path(app.config["REPORTS_DIR"]) / "2026" / "10"
    first = write_month(OCTOBER, app.config)
    before = files_of(folder)
    times = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    rows = list(ReportFile.select().order_by(ReportFile.id).tuples())
    assert write_month(OCTOBER, app.config, now=datetime(2026, 12, 1)) == first
    assert files_of(folder) == before
    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == times  # not even rewritten
    assert list(ReportFile.select().order_by(ReportFile.id).tuples()) == rows


def test_regenerating_an_open_month_rewrites_its_files_and_checksums(county, app):
    write_month(OCTOBER, app.config)
    before = ReportFile.get(unit_kind="county", kind="pdf").sha256
    move(county["a"], date(2026, 10, 20), status="dropped_out")  # a late, back-dated entry
    summaries.generate_month(OCTOBER)
    write_month(OCTOBER, app.config)
    row = ReportFile.get(unit_kind="county", kind="pdf")
    assert row.sha256 != before
    assert row.sha256 == hashlib.sha256((Path(app.config["REPORTS_DIR"]) / row.path).read_bytes()).hexdigest()
    assert ReportFile.select().count() == 6


def test_a_locked_month_keeps_the_files_it_has(county, app):
    folder = Path(app.config["REPORTS_DIR"]) / "2026" / "10"
    write_month(OCTOBER, app.config)
    summaries.lock(county["admin"], OCTOBER)
    before = files_of(folder)
    rows = list(ReportFile.select().order_by(ReportFile.id).tuples())
    Township.update(name="城关街道").where(Township.id == county["t"].id).execute()
    write_month(OCTOBER, app.config)
    assert files_of(folder) == before and list(ReportFile.select().order_by(ReportFile.id).tuples()) == rows
    (folder / "county.xlsx").unlink()  # a lost file is written again; the others stay as they were
    write_month(OCTOBER, app.config)
    after = files_of(folder)
    assert "county.xlsx" in after and after["county.pdf"] == before["county.pdf"]
    _path, sha = read_file(OCTOBER, "county", 0, "xlsx", app.config["REPORTS_DIR"])
    assert sha == hashlib.sha256(after["county.xlsx"]).hexdigest()
    (folder / "county.pdf").write_bytes(b"%PDF-1.4 altered")  # an altered file is neither trusted nor re-recorded
    write_month(OCTOBER, app.config)
    assert ReportFile.get(unit_kind="county", kind="pdf").sha256 == hashlib.sha256(before["county.pdf"]).hexdigest()
    with pytest.raises(ArchiveDamaged):
        read_file(OCTOBER, "county", 0, "pdf", app.config["REPORTS_DIR"])


def test_read_file_refuses_a_file_that_changed_or_went_missing(county, app):
    write_month(OCTOBER, app.config)
    assert read_file(OCTOBER, "township", 999, "pdf", app.config["REPORTS_DIR"]) is None
    assert read_file(Month(2026, 9), "county", 0, "pdf", app.config["REPORTS_DIR"]) is None
    path, _sha = read_file(OCTOBER, "county", 0, "pdf", app.config["REPORTS_DIR"])
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(ArchiveDamaged):
        read_file(OCTOBER, "county", 0, "pdf", app.config["REPORTS_DIR"])
    path.unlink()
    with pytest.raises(ArchiveDamaged):
        read_file(OCTOBER, "county", 0, "pdf", app.config["REPORTS_DIR"])


def test_a_month_not_generated_or_a_missing_font_writes_nothing(county, app, tmp_path):
    with pytest.raises(ValidationError):
        write_month(Month(2026, 8), app.config)
    with pytest.raises(fonts.FontMissing):
        write_month(OCTOBER, dict(app.config, PDF_FONT=str(tmp_path / "no-such-font.ttf")))
    assert not Path(app.config["REPORTS_DIR"]).exists() or not any(Path(app.config["REPORTS_DIR"]).rglob("*.*"))
    assert ReportFile.select().count() == 0
