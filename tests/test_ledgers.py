"""The 疑似辍学 and 辍学 台账: each case in the book its history puts it in, open rows first and those closed (销号)
this school year on a second sheet, every column as counted by hand, ID numbers masked unless an audited export
asks, and only the cases of the user's scope."""

import io
import json
import re
from datetime import timedelta

import pytest
from conftest import born_aged, login, task_result, valid_id
from county import build_county
from python_calamine import CalamineWorkbook
from test_ledger import statements_of

from dropout import clock
from dropout.casework import cases, closures, visits
from dropout.casework.settings import CaseSettings
from dropout.db import database
from dropout.models import AuditLog, CaseEvent, Child, DropoutCase, HomeVisit, User
from dropout.reporting import ledgers

TODAY = clock.today()
YEAR_START = ledgers.year_start(TODAY)
ABSENT = YEAR_START - timedelta(days=100)  # every child left before the school year began
LAST_YEAR = YEAR_START - timedelta(days=1)  # a case closed then has left the books
MOVED = {"receiving_school": "外县小学", "transfer_number": "接收证明01"}


def _visit(user, case, settings):
    """A 劝返 visit today (a visit is never dated before the case was opened, today)."""
    values = {"visited_on": TODAY, "method": "home", "met": "guardian", "outcome": "refused"}
    return visits.log_visit(user, case, values, settings, TODAY)


@pytest.fixture
def county(app):
    """Seven cases in the township (城关镇), each at a different point of its history, and one suspected case in
    the other township (白马乡), all made through the services as the township's staff would."""
    county = build_county()
    settings = CaseSettings.from_config(app.config)
    with app.test_request_context(), database.connection_context():
        User.update(full_name="张干部").where(User.username == "township").execute()
        User.update(full_name="李老师").where(User.username == "teacher").execute()
        cadre, teacher = User.get(User.username == "township"), User.get(User.username == "teacher")
        admin = county.users["admin"]

        def child(name, village=county.home_village, school=county.home_school):
            birth_on = born_aged(11, 5, 1)
            return Child.create(
                name=name,
                sex="M",
                birth_on=birth_on,
                id_number=valid_id(birth_on, "M"),
                village=village,
                school=school,
                grade=5,
                status_since=ABSENT - timedelta(days=30),
            )

        def opened(name, **places):
            return cases.open_case(cadre, child(name, **places), ABSENT, settings, TODAY)

        def confirmed(name):
            case = opened(name)
            cases.assign(cadre, case, cadre.id, teacher.id, TODAY)
            return cases.confirm(cadre, case, "work", "", ABSENT, settings, TODAY)

        opened("甲疑似")
        ruled_out = opened("乙排除")
        cases.resolve_not_dropout(cadre, ruled_out, TODAY, "", settings, TODAY)
        out = confirmed("丙辍学")
        _visit(cadre, out, settings)
        _visit(cadre, out, settings)
        back = confirmed("丁复学")
        _visit(cadre, back, settings)
        cases.record_return(cadre, back, TODAY, "original", county.home_school.id, 5, "", settings, TODAY)
        # The closing step an approved closure request (销号) takes: tests/test_closures.py walks the sign-off.
        moved = confirmed("戊转出")
        closures.record_closure(cadre, moved, "moved_away", TODAY, MOVED, settings, TODAY)
        gone = confirmed("己去年")
        closures.record_closure(admin, gone, "moved_away", LAST_YEAR, MOVED, settings, TODAY)
        cases.open_case(admin, child("庚外乡", county.other.village, county.other.school), ABSENT, settings, TODAY)
        county.out, county.back = out, back
    return county


def cells(user, book, closed=False, full_ids=False):
    """The book's rows as the workbook writes them (序号 first), without the case id."""
    make = ledgers.row_maker(full_ids)
    found = ledgers.query(user, book, ledgers.LedgerFilters(), TODAY, closed).tuples()
    return [make(number, row)[1] for number, row in enumerate(found, start=1)]


def names(rows):
    return [row[1] for row in rows]


def test_each_case_stands_in_the_book_its_history_puts_it_in(county, db):
    """Suspected: open in 疑似; ruled out: closed from 疑似 on that day; confirmed: open in 辍学 until closed, then
    closed there; a closure before the school year began is in neither."""
    bureau = county.users["bureau"]
    assert names(cells(bureau, "suspected")) == ["甲疑似", "庚外乡"]
    assert names(cells(bureau, "suspected", closed=True)) == ["乙排除"]
    assert names(cells(bureau, "dropouts")) == ["丁复学", "丙辍学"]
    assert names(cells(bureau, "dropouts", closed=True)) == ["戊转出"]
    assert ledgers.counts(bureau, TODAY) == {"suspected": (2, 1), "dropouts": (2, 1)}
    ruled_out = cells(bureau, "suspected", closed=True)[0]
    assert ruled_out[16] == TODAY.isoformat() and ruled_out[18] == "已销号（非辍学）"


def test_the_columns_are_the_cases_own(county, db):
    """Every column of a confirmed case with two visits and of a returned one, as written by hand."""
    township = county.users["township"]
    out, back = Child.get(Child.name == "丙辍学"), Child.get(Child.name == "丁复学")
    rows = {row[1]: row for row in cells(township, "dropouts")}
    masked = out.id_number[:4] + "*" * 10 + out.id_number[-4:]
    assert [header for header, _width in ledgers.HEADERS][1:4] == ["姓名", "性别", "身份证号"]
    assert rows["丙辍学"] == [
        "2",
        "丙辍学",
        "男",
        masked,
        out.birth_on.isoformat(),
        "城关镇",
        "东街社区",
        "城关镇中心小学",
        "五年级",
        ABSENT.isoformat(),
        "外出务工",
        "张干部 / 李老师",
        "2",
        TODAY.isoformat(),
        "",
        "",
        "",
        "",
        "劝返中",
    ]
    returned = rows["丁复学"]
    assert returned[0] == "1" and returned[3] == back.id_number[:4] + "*" * 10 + back.id_number[-4:]
    assert returned[12:] == ["1", TODAY.isoformat(), TODAY.isoformat(), "原校就读", "", "", "已复学"]


def test_a_township_sees_only_its_own_cases(county, db):
    """The other township's suspected case is in the bureau's book, not in the township's."""
    assert names(cells(county.users["township"], "suspected")) == ["甲疑似"]
    assert ledgers.counts(county.users["township"], TODAY)["suspected"] == (1, 1)


def book_sheets(response):
    """(sheet names, each sheet's rows) of a downloaded workbook, read back with calamine."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.data))
    response.close()
    return book.sheet_names, [book.get_sheet_by_name(name).to_python() for name in book.sheet_names]


def test_the_workbook_holds_the_open_rows_then_the_closed_ones(app, county, client):
    """Title row naming the unit and the day, the headers, one row per case; the closed on a second sheet."""
    login(client, county.users["township"])
    response = task_result(client, "/ledgers/dropouts.xlsx")
    names_, (first, second) = book_sheets(response)
    assert names_ == ["台账", "已销号"]
    assert first[0][0] == "城关镇辍学学生台账" and first[0][-1] == TODAY.isoformat()
    assert first[1] == [header for header, _width in ledgers.HEADERS]
    with app.test_request_context(), database.connection_context():
        assert first[2:] == cells(county.users["township"], "dropouts")
    assert second[0][0] == "城关镇辍学学生台账（已销号）"
    assert [row[1] for row in second[2:]] == ["戊转出"] and second[2][16] == TODAY.isoformat()
    assert all("*" in row[3] for row in first[2:] + second[2:])


def test_full_id_numbers_only_on_an_audited_request(app, county, client):
    """full=1 gives the bureau full numbers and records the export; a teacher's full=1 stays masked."""
    login(client, county.users["bureau"])
    response = task_result(client, "/ledgers/suspected.xlsx?full=1", {"full": "1"})
    _names, (first, _second) = book_sheets(response)
    with database.connection_context():
        full = {child.name: child.id_number for child in Child.select()}
        entry = AuditLog.select().where(AuditLog.entity == "ledger").get()
    assert [(row[1], row[3]) for row in first[2:]] == [("甲疑似", full["甲疑似"]), ("庚外乡", full["庚外乡"])]
    assert first[0][0] == f"{app.config['COUNTY_NAME']}疑似辍学学生台账"
    assert json.loads(entry.after)["book"] == "suspected" and json.loads(entry.after)["full_ids"] is True
    client.get("/logout")
    login(client, county.users["teacher"])
    response = task_result(client, "/ledgers/suspected.xlsx?full=1", {"full": "1"})
    _names, (first, _second) = book_sheets(response)
    assert all("*" in row[3] for row in first[2:])


def test_the_pages_show_the_open_rows_and_link_the_closed(county, client):
    """The page lists the open rows; its tab lists those closed this school year; a village cadre is refused."""
    login(client, county.users["township"])
    page = client.get("/ledgers/suspected").get_data(as_text=True)
    headers = re.findall(r"<th>([^<]+)</th>", page)
    assert headers == [header for header, _width in ledgers.HEADERS[1:]]  # the workbook's columns, in Chinese
    assert "甲疑似" in page and "乙排除" not in page and "庚外乡" not in page and "?closed=1" in page
    closed = client.get("/ledgers/suspected?closed=1").get_data(as_text=True)
    assert "乙排除" in closed and "甲疑似" not in closed
    filtered = client.get("/ledgers/dropouts?status=returned").get_data(as_text=True)
    assert "丁复学" in filtered and "丙辍学" not in filtered
    # Malformed filters are dropped, as the lists drop them: the whole book, never an error.
    for url in (
        "/ledgers/dropouts?township=x&village=-1&school=99999999999&status=nonsense",
        "/ledgers/dropouts.xlsx?school=x",
    ):
        response = client.get(url)
        assert response.status_code == 200
    malformed = client.get("/ledgers/dropouts?township=x&status=nonsense").get_data(as_text=True)
    assert "丁复学" in malformed and "丙辍学" in malformed
    client.get("/logout")
    login(client, county.users["village"])
    assert client.get("/ledgers/dropouts").status_code == 403


def test_a_stable_return_closes_on_its_approved_closure_and_a_child_who_leaves_again_is_suspected_again(app, county):
    """The returned case stays open after its follow-up visits (not counted as 劝返), shown waiting for its
    stable-return closure (销号申请) once requested; approved, it moves to the closed sheet on the closure's day. The
    moved-away child reported absent again starts a new episode: suspected, out of the 辍学 book."""
    settings = CaseSettings.from_config(app.config)
    with app.test_request_context(), database.connection_context():
        cadre, teacher = User.get(User.username == "township"), User.get(User.username == "teacher")
        back = cases.DropoutCase.get_by_id(county.back.id)
        for _ in settings.followup_months:
            _visit(cadre, back, settings)
        back = cases.DropoutCase.get_by_id(county.back.id)
        attendance = {"attended_days": "4", "school_days": "5", "attendance_confirmed_by": "李老师"}
        request = closures.submit(teacher, back, "stable_return", TODAY, attendance, settings, TODAY)
        assert {row[1]: row[17] for row in cells(cadre, "dropouts")}["丁复学"] == "待签字"
        closures.sign(cadre, request, TODAY)
        assert {row[1]: row[17] for row in cells(cadre, "dropouts")}["丁复学"] == "待审批"
        closures.approve(cadre, request, {}, settings, TODAY)
        moved = Child.get(Child.name == "戊转出")
        cases.open_case(cadre, moved, TODAY, settings, TODAY)
        closed = {row[1]: row for row in cells(cadre, "dropouts", closed=True)}
        assert sorted(closed) == ["丁复学"]
        assert closed["丁复学"][12] == "1" and closed["丁复学"][16] == TODAY.isoformat()
        assert closed["丁复学"][18] == "已销号（稳定复学）"
        assert names(cells(cadre, "suspected")) == ["戊转出", "甲疑似"]


def test_the_filters_narrow_each_book(county, db):
    """Township, village, school, status and reason, as on the cases list."""
    bureau, other = county.users["bureau"], county.other

    def named(**chosen):
        found = ledgers.query(bureau, "suspected", ledgers.LedgerFilters(**chosen), TODAY).tuples()
        return [row[0] for row in found]

    assert named(township=other.village.township_id) == ["庚外乡"]
    assert named(village=county.home_village.id) == ["甲疑似"]
    assert named(school=other.school_id) == ["庚外乡"]
    assert [
        row[0] for row in ledgers.query(bureau, "dropouts", ledgers.LedgerFilters(status="returned"), TODAY).tuples()
    ] == ["丁复学"]
    assert named(reason="work") == [] and len(named()) == 2


def test_each_sheet_is_one_query_however_many_cases(county, db):
    """The history, visits and names come with the cases: more cases, more visits, no more queries."""
    township = county.users["township"]

    def export():
        return ledgers.write_book(township, "dropouts", ledgers.LedgerFilters(), TODAY, io.BytesIO(), "城关镇")

    few = statements_of(export)
    for n in range(30):
        child = Child.create(name=f"外出{n}", sex="F", birth_on=county.own.birth_on, village=county.home_village)
        case = DropoutCase.create(child=child, absent_since=ABSENT, opened_on=TODAY, status="persuading")
        CaseEvent.create(case=case, kind="opened", happened_on=ABSENT)
        CaseEvent.create(case=case, kind="confirmed", happened_on=ABSENT)
        for _ in range(2):
            HomeVisit.create(
                case=case, child=child, user=township, visited_on=TODAY, method="home", met="guardian", outcome="other"
            )
    many = statements_of(export)
    assert export() == {"open": 32, "closed": 1}
    assert len(many) == len(few)
    assert len([s for s in many if 'FROM "dropout_case"' in s]) == 2  # one a sheet


def test_a_suspected_case_closed_before_confirmation_leaves_the_suspected_book(app, county):
    """Closed (moved away) while still suspected: 销号 from the 疑似 台账 on that day, never in the 辍学 台账."""
    settings = CaseSettings.from_config(app.config)
    with app.test_request_context(), database.connection_context():
        cadre = User.get(User.username == "township")
        case = DropoutCase.get(DropoutCase.child == Child.get(Child.name == "甲疑似"))
        closures.record_closure(cadre, case, "moved_away", TODAY, MOVED, settings, TODAY)
        closed = {row[1]: row for row in cells(cadre, "suspected", closed=True)}
        assert sorted(closed) == ["乙排除", "甲疑似"] and closed["甲疑似"][16] == TODAY.isoformat()
        assert names(cells(cadre, "suspected")) == [] and "甲疑似" not in names(cells(cadre, "dropouts", closed=True))


def test_the_workbook_is_chinese_in_an_english_session_too(county, client):
    """The page speaks the session's language; the workbook is always Chinese."""
    login(client, county.users["township"])
    client.get("/lang/en")
    page = client.get("/ledgers/dropouts?status=persuading").get_data(as_text=True)
    assert "<th>Persuasion visits</th>" in page and "Gone to work" in page and "Persuading" in page
    _names, (first, _second) = book_sheets(task_result(client, "/ledgers/dropouts.xlsx?status=persuading"))
    assert first[1][1] == "姓名" and [row[1:3] for row in first[2:]] == [["丙辍学", "男"]]
    assert first[2][10] == "外出务工" and first[2][18] == "劝返中"
