"""自评材料: a school year's extract for the bureau. The indicators come from the year's last locked month (else its
last generated one) and are met or missed against the configured thresholds, a 一票否决 indicator flagged; each
completeness check of the 台账 counts a case built to break it and lets it go once put right; the 通报 of the
year and their 督办函 are counted by state; the workbook and the PDF hold the same figures; only the bureau and the
administrator open it, and a malformed or out-of-range year is a message, never an error."""

import io
import json
import shutil
import subprocess
from datetime import datetime, timedelta

import pytest
from conftest import born_aged, login, valid_id
from county import build_county
from python_calamine import CalamineWorkbook

from dropout import clock
from dropout.casework import cases, visits
from dropout.casework.settings import CaseSettings
from dropout.db import database
from dropout.models import Bulletin, CaseEvent, Child, ClosureRequest, DropoutCase, SupervisionLetter, User
from dropout.pdf.self_evaluation import render_self_evaluation
from dropout.reporting import self_evaluation, summaries
from dropout.reporting.figures import Month
from dropout.reporting.self_evaluation_workbook import write_workbook
from dropout.rules.school_age import school_year

TODAY = clock.today()
YEAR = school_year(TODAY)
SEPTEMBER, OCTOBER = Month(YEAR, 9), Month(YEAR, 10)
LONG_AGO = TODAY - timedelta(days=40)  # more than 30 days before today
POPPLER = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) not installed")


@pytest.fixture
def county(app):
    """The access tests' county, its children registered before the school year, its township's staff and teacher
    named, September and October of this school year generated."""
    county = build_county()
    with app.test_request_context(), database.connection_context():
        registered = datetime(YEAR - 1, 6, 1)
        Child.update(created_at=registered, registered_on=registered.date()).execute()
        User.update(full_name="张干部").where(User.username == "township").execute()
        User.update(full_name="李老师").where(User.username == "teacher").execute()
        summaries.generate_month(SEPTEMBER)
        summaries.generate_month(OCTOBER)
    county.settings = CaseSettings.from_config(app.config)
    return county


def extract(app, county, year=YEAR):
    return self_evaluation.build(county.users["bureau"], year, TODAY, app.config)


def gap(data, code):
    return {line.name: line for line in next(g for g in data.gaps if g.code == code).cases}


def child(county, name):
    birth_on = born_aged(11, 5, 1)
    return Child.create(
        name=name,
        sex="M",
        birth_on=birth_on,
        id_number=valid_id(birth_on, "M"),
        village=county.home_village,
        school=county.home_school,
        grade=5,
        status_since=Month(YEAR - 1, 1).first,
    )


def confirmed(county, name, on=TODAY, assigned=True):
    """A confirmed case of a new child in the township, opened on `on` by its staff (the cadre), with the
    teacher too unless `assigned` is False."""
    cadre, teacher = User.get(User.username == "township"), User.get(User.username == "teacher")
    case = cases.open_case(cadre, child(county, name), on - timedelta(days=3), county.settings, on)
    if assigned:
        cases.assign(cadre, case, cadre.id, teacher.id, on)
    return cases.confirm(cadre, case, "work", "", on, county.settings, on)


def closed_without_request(case, closure, on=TODAY):
    """A closure as it was recorded before 销号 needed a request: the step, and the case closed."""
    CaseEvent.create(case=case, kind="closed", happened_on=on, data=json.dumps({"closure": closure}))
    DropoutCase.update(status="closed", closed_kind=closure).where(DropoutCase.id == case.id).execute()


def test_the_indicators_come_from_the_last_locked_month_else_the_last_generated(app, county, db):
    data = extract(app, county)
    assert (data.month, data.month_locked) == (str(OCTOBER), False)
    summaries.lock(county.users["bureau"], SEPTEMBER)
    data = extract(app, county)
    assert (data.month, data.month_locked) == (str(SEPTEMBER), True)
    assert [code for code, _row in data.indicators][:3] == ["enrolment", "enrolment_primary", "enrolment_junior"]
    earlier = extract(app, county, YEAR - 1)  # no month of last school year was generated
    assert (earlier.month, earlier.indicators) == ("", ())


def test_an_indicator_is_met_or_missed_as_its_threshold_says(app, county, db):
    """The enrolment rate is at most 100%: a threshold of 0 is met, one above 100 is missed."""
    app.config["THRESHOLD_ENROLMENT"] = 0.0
    rows = dict(extract(app, county).indicators)
    assert rows["enrolment"].met is True and rows["enrolment"].denominator > 0
    app.config["THRESHOLD_ENROLMENT"] = 100.5
    data = extract(app, county)
    assert dict(data.indicators)["enrolment"].met is False
    assert data.met == len(data.judged) - 1 and data.vetoed == []


def test_a_veto_indicator_missed_is_flagged(app, county, db):
    app.config["THRESHOLD_ENROLMENT"] = 100.5
    app.config["VETO_INDICATORS"] = ("enrolment",)
    data = extract(app, county)
    assert dict(data.indicators)["enrolment"].is_veto
    assert [row.label for row in data.vetoed] == ["入学率"]
    app.config["THRESHOLD_ENROLMENT"] = 0.0
    assert extract(app, county).vetoed == []


def test_a_case_without_both_responsible_persons_is_counted_until_assigned(app, county, db):
    case = confirmed(county, "甲无教师", assigned=False)  # opened by the township's staff: the cadre, no teacher
    line = gap(extract(app, county), "unassigned")["甲无教师"]
    assert (line.issue, line.note, line.township, line.village) == ("no_teacher", "缺包案教师", "城关镇", "东街社区")
    assert line.id_number == case.child.id_number[:4] + "*" * 10 + case.child.id_number[-4:]
    cadre, teacher = User.get(User.username == "township"), User.get(User.username == "teacher")
    cases.assign(cadre, case, cadre.id, teacher.id, TODAY)
    assert "甲无教师" not in gap(extract(app, county), "unassigned")


def test_a_case_ruled_not_a_dropout_needs_no_responsible_person_nor_proof(app, county, db):
    cadre = User.get(User.username == "township")
    case = cases.open_case(cadre, child(county, "乙排除"), TODAY - timedelta(days=3), county.settings, TODAY)
    assert "乙排除" in gap(extract(app, county), "unassigned")  # suspected, no teacher yet
    cases.resolve_not_dropout(cadre, case, TODAY, "", county.settings, TODAY)
    data = extract(app, county)
    assert "乙排除" not in gap(data, "unassigned") and "乙排除" not in gap(data, "unproven")


def test_an_out_of_school_case_not_visited_in_30_days_is_counted_until_visited(app, county, db):
    confirmed(county, "丙新案")  # opened today: not yet due
    case = confirmed(county, "丁久未访", on=LONG_AGO)
    unvisited = gap(extract(app, county), "unvisited")
    assert "丙新案" not in unvisited
    assert (unvisited["丁久未访"].issue, unvisited["丁久未访"].on) == ("never_visited", LONG_AGO)
    cadre = User.get(User.username == "township")
    values = {"visited_on": LONG_AGO + timedelta(days=5), "method": "home", "met": "guardian", "outcome": "refused"}
    visits.log_visit(cadre, case, values, county.settings, TODAY)
    line = gap(extract(app, county), "unvisited")["丁久未访"]  # visited 35 days ago: still counted
    assert (line.issue, line.on) == ("last_visit", LONG_AGO + timedelta(days=5))
    visits.log_visit(cadre, case, {**values, "visited_on": TODAY - timedelta(days=30)}, county.settings, TODAY)
    assert "丁久未访" not in gap(extract(app, county), "unvisited")


def test_a_closure_without_an_approved_request_is_counted_until_approved(app, county, db):
    case = confirmed(county, "戊迁出")
    closed_without_request(case, "moved_away")
    line = gap(extract(app, county), "unproven")["戊迁出"]
    assert (line.issue, line.on) == ("moved_away", TODAY) and line.note.endswith("销号）")
    request = ClosureRequest.create(case=case, closure="moved_away", closes_on=TODAY, status="pending")
    assert "戊迁出" in gap(extract(app, county), "unproven")  # waiting is not proof
    ClosureRequest.update(status="approved").where(ClosureRequest.id == request.id).execute()
    assert "戊迁出" not in gap(extract(app, county), "unproven")


def test_a_closure_before_the_school_year_is_not_the_years(app, county, db):
    case = confirmed(county, "己去年", on=Month(YEAR, 3).first)  # last school year's March and June
    closed_without_request(case, "moved_away", on=Month(YEAR, 6).first)
    assert "己去年" not in gap(extract(app, county), "unproven")
    assert "己去年" in gap(extract(app, county, YEAR - 1), "unproven")


def _bulletin(month, seq):
    return Bulletin.create(
        month=str(month),
        year=YEAR,
        seq=seq,
        number=f"示教通〔{YEAR}〕{seq}号",
        issued_on=month.last + timedelta(days=3),
        rectify_by=month.last + timedelta(days=20),
        data="{}",
    )


def _letter(bulletin, township, seq, status, due_on):
    return SupervisionLetter.create(
        bulletin=bulletin,
        unit_kind="township",
        unit_id=township.id,
        township=township,
        year=YEAR,
        seq=seq,
        number=f"示教督〔{YEAR}〕{seq}号",
        issues="[]",
        due_on=due_on,
        status=status,
    )


def test_the_years_bulletins_and_letters_are_counted_by_state(app, county, db):
    township = county.home_village.township
    september, october = _bulletin(SEPTEMBER, 1), _bulletin(OCTOBER, 2)
    _bulletin(Month(YEAR - 1, 8), 9)  # last school year's
    _letter(september, township, 1, "accepted", TODAY - timedelta(days=10))
    _letter(october, township, 2, "answered", TODAY + timedelta(days=5))
    _letter(october, county.other.village.township, 3, "open", TODAY - timedelta(days=1))
    data = extract(app, county)
    assert [b.month for b in data.bulletins] == [str(SEPTEMBER), str(OCTOBER)]
    assert [b.letters for b in data.bulletins] == [1, 2]
    counts = [data.letter_count(status) for status in (None, "accepted", "answered", "open")]
    assert counts + [data.overdue] == [3, 1, 1, 1, 1]
    assert [letter.unit for letter in data.letters] == ["城关镇", "城关镇", "白马乡"]


def _built(app, county):
    """An extract with one case in each list, a 通报 with an overdue 督办函, and a veto indicator missed."""
    app.config["THRESHOLD_ENROLMENT"] = 100.5
    app.config["VETO_INDICATORS"] = ("enrolment",)
    confirmed(county, "甲无教师", assigned=False)
    confirmed(county, "丁久未访", on=LONG_AGO)
    closed_without_request(confirmed(county, "戊迁出"), "moved_away")
    _letter(_bulletin(SEPTEMBER, 1), county.home_village.township, 1, "open", TODAY - timedelta(days=1))
    return extract(app, county)


def test_the_workbook_holds_every_section(app, county, db):
    data = _built(app, county)
    book = CalamineWorkbook.from_filelike(io.BytesIO(write_workbook(data)))
    assert book.sheet_names == ["指标", "台账完整性", "缺责任人", "30天未走访", "销号无佐证", "通报与督办"]
    indicators = book.get_sheet_by_name("指标").to_python()
    assert indicators[0][0] == f"{app.config['COUNTY_NAME']}{YEAR}—{YEAR + 1}学年控辍保学工作自评材料"
    enrolment = next(row for row in indicators if row[0] == "入学率")
    assert enrolment[4:7] == ["≥100.50%", "未达标", "是"]
    assert f"指标达标{data.met}/{len(data.judged)}，一票否决项未达标1项（入学率）。" in indicators[2][0]
    completeness = book.get_sheet_by_name("台账完整性").to_python()
    counted = [row[:2] for row in completeness[4:7]]
    assert counted == [["缺双线责任人的案件", 1], ["30天内未走访的失学案件", 1], ["销号无佐证的案件", 1]]
    unproven = book.get_sheet_by_name("销号无佐证").to_python()
    assert unproven[4][1:4] == ["戊迁出", unproven[4][2], "城关镇"] and "*" * 10 in unproven[4][2]
    supervision = book.get_sheet_by_name("通报与督办").to_python()
    assert "督办函1件，已办结0件，已答复待审核0件，办理中1件，其中逾期1件" in supervision[1][0]
    assert supervision[4][0] == f"示教通〔{YEAR}〕1号"
    assert supervision[6][:2] == ["督办函文号", "督办单位"] and supervision[7][4] == "办理中（逾期）"


@POPPLER
def test_the_pdf_holds_the_figures(app, county, db, tmp_path):
    data = _built(app, county)
    pdf = tmp_path / "self-evaluation.pdf"
    pdf.write_bytes(render_self_evaluation(data))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = text.replace("\n", "")
    assert f"{YEAR}—{YEAR + 1}学年控辍保学工作自评材料" in text
    assert f"指标达标{data.met}/{len(data.judged)}" in text and "一票否决项未达标1项（入学率）" in text
    assert "缺双线责任人的案件1件" in text and "销号无佐证的案件1件" in text
    assert "甲无教师" in text and "戊迁出" in text and "丁久未访" in text
    assert f"示教督〔{YEAR}〕1号" in text and "办理中（逾期）" in text


def test_the_bureau_reads_the_page_and_downloads_both_files(app, county, client):
    with app.test_request_context(), database.connection_context():
        _built(app, county)
    login(client, county.users["bureau"])
    page = client.get(f"/reports/self-evaluation/?year={YEAR}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "自评材料" in html and "甲无教师" in html and "戊迁出" in html and "丁久未访" in html
    assert f"{YEAR}—{YEAR + 1}学年" in html and "一票否决项未达标 1 项" in html
    assert f"最近生成的 {OCTOBER} 数据" in html  # no month locked: the last generated, said to be unlocked
    workbook = client.get(f"/reports/self-evaluation/workbook?year={YEAR}")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    assert "attachment" in workbook.headers["Content-Disposition"]
    pdf = client.get(f"/reports/self-evaluation/pdf?year={YEAR}")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"


@pytest.mark.parametrize("role", ["township", "teacher", "village"])
def test_other_roles_are_refused_with_the_reason(app, county, client, role):
    login(client, county.users[role])
    for url in ("/reports/self-evaluation/", "/reports/self-evaluation/workbook", "/reports/self-evaluation/pdf"):
        refused = client.get(url)
        assert refused.status_code == 403
        assert "只有教育局和管理员" in refused.get_data(as_text=True)


@pytest.mark.parametrize("year", ["abc", "26", "２０２６", "1999", str(YEAR + 1), "2026-2027", " " * 3 + "x"])
def test_a_malformed_or_out_of_range_year_is_a_message(app, county, client, year):
    login(client, county.users["bureau"])
    for url in ("/reports/self-evaluation/", "/reports/self-evaluation/workbook", "/reports/self-evaluation/pdf"):
        page = client.get(url, query_string={"year": year})
        assert page.status_code == 400
        html = page.get_data(as_text=True)
        assert "学年" in html and 'role="alert"' in html


def test_no_year_is_the_current_school_year(app, county, client):
    login(client, county.users["admin"])
    page = client.get("/reports/self-evaluation/")
    assert page.status_code == 200 and f"{YEAR}—{YEAR + 1}学年" in page.get_data(as_text=True)
