"""The 台账: any filtered children list as a workbook in the ledger layout, IDs masked unless asked and allowed."""

import io
import json
import logging
from datetime import timedelta

import openpyxl
import pytest
from conftest import born_aged, login, task_result
from county import ROLES, build_county
from python_calamine import CalamineWorkbook

from dropout import clock
from dropout.children import search as child_search
from dropout.db import database
from dropout.models import AuditLog, Child, Guardian
from dropout.roster import ledger
from dropout.rules import id_number

HEADER = (
    "序号 姓名 性别 身份证号 出生日期 民族 乡镇 村(社区) 村民小组 家庭住址 监护人 与学生关系 联系电话 学校 年级 "
    "学籍号 状态 重点群体 备注"
).split()
MANY = 300


def first_row():
    """The ledger cells after 序号 and 姓名 of 台账00000, the first child add_children makes (no ID number)."""
    born = born_aged(9).isoformat()
    home = ["城关镇", "东街社区", "一组", "东街 12 号"]
    guardian = ["第一监护人", "母亲", "13900000001"]
    school = ["城关镇中心小学", "三年级", ""]
    return ["男", "", born, "汉族", *home, *guardian, *school, "辍学", "留守儿童、残疾(视力)", ""]


def masked(number):
    return number[:4] + "*" * 10 + number[-4:]


def add_children(county, count, village=None, school=None, prefix="台账"):
    """`count` children named prefix00000…, inserted in bulk, every tenth without ID number, each with two guardians."""
    area = "513401" if prefix == "台账" else "513402"

    def birth(n):
        return born_aged(9) + timedelta(days=n // 400)

    rows = [
        {
            "name": f"{prefix}{n:05d}",
            "sex": "MF"[n % 2],
            "birth_on": birth(n),
            "village": village or county.home_village,
            "id_number": None if n % 10 == 0 else id_number.make(area, birth(n), n % 400 * 2 + 1 - n % 2),
            "school": school,
            "grade": 3 if school else None,
            "status": "dropped_out" if n % 7 == 0 else "enrolled",
            "is_left_behind": n % 3 == 0,
            "ethnicity": "汉族",
            "disability_category": "visual" if n % 5 == 0 else None,
            "group": "一组",
            "address": "东街 12 号",
            "notes": "",
        }
        for n in range(count)
    ]
    with database.connection_context():
        Child.insert_many(rows).execute()
        ids = [child.id for child in Child.select(Child.id).where(Child.name.startswith(prefix))]
        Guardian.insert_many(
            [{"child": i, "name": "第一监护人", "relation": "母亲", "phone": "13900000001"} for i in ids]
            + [{"child": i, "name": "第二监护人", "relation": "父亲", "phone": "13900000002"} for i in ids]
        ).execute()


@pytest.fixture
def county(app):
    county = build_county()
    add_children(county, MANY, school=county.home_school)
    return county


def sheet_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0).to_python()
    response.close()
    return rows


def test_the_ledger_has_title_header_and_one_masked_row_per_child(client, county, app):
    login(client, county.users["admin"])
    rows = sheet_of(task_result(client, "/children/ledger.xlsx"))
    assert rows[0][0] == f"{app.config['COUNTY_NAME']}适龄儿童少年台账"
    assert rows[0][-2:] == ["制表日期", clock.today().isoformat()]
    assert rows[1] == HEADER
    body = rows[2:]
    assert len(body) == MANY + 3 and [row[0] for row in body] == [str(n) for n in range(1, MANY + 4)]
    with database.connection_context():
        numbers = {child.name: child.id_number for child in Child.select()}
    for row in body:
        assert row[3] == (masked(numbers[row[1]]) if numbers[row[1]] else ""), row[1]
    first = next(row for row in body if row[1] == "台账00000")
    assert first[2:] == first_row()
    assert all(isinstance(cell, str) for row in rows for cell in row)


@pytest.mark.parametrize("role", ROLES)
def test_full_id_numbers_only_for_the_roles_allowed_and_asking_and_the_choice_is_audited(client, county, role):
    login(client, county.users[role])
    rows = sheet_of(task_result(client, "/children/ledger.xlsx?full=1&status=enrolled"))
    allowed = role in ("admin", "bureau", "township")
    with database.connection_context():
        numbers = {child.name: child.id_number for child in Child.select() if child.id_number}
        entries = list(AuditLog.select().where(AuditLog.action == "export"))
    shown = [row[3] for row in rows[2:] if row[1] in numbers]
    assert shown
    assert shown == [numbers[row[1]] if allowed else masked(numbers[row[1]]) for row in rows[2:] if row[1] in numbers]
    if allowed:
        assert [(e.entity, e.username) for e in entries] == [("ledger", role)]
        after = {"filters": {"status": "enrolled"}, "rows": len(rows) - 2, "full_ids": True}
        assert json.loads(entries[0].after) == after
    else:
        assert entries == []


def test_without_asking_even_the_county_gets_masked_numbers_and_no_audit(client, county):
    login(client, county.users["bureau"])
    rows = sheet_of(task_result(client, "/children/ledger.xlsx"))
    assert all(row[3] == "" or "*" * 10 in row[3] for row in rows[2:])
    with database.connection_context():
        assert AuditLog.select().where(AuditLog.action == "export").count() == 0


def test_a_township_gets_its_own_children_under_its_own_name(client, county, app):
    with database.connection_context():
        add_children(county, 5, village=county.other.village, prefix="白马")  # township 2
    login(client, county.users["township"])
    rows = sheet_of(task_result(client, "/children/ledger.xlsx"))
    assert rows[0][0] == "城关镇适龄儿童少年台账"
    assert {row[6] for row in rows[2:]} == {"城关镇"}
    assert len(rows) - 2 == MANY + 1  # the township's 300, and 李小红
    login(client, county.users["teacher"])
    names = {row[1] for row in sheet_of(task_result(client, "/children/ledger.xlsx"))[2:]}
    assert "赵小燕" in names and "王小芳" not in names  # the assigned child, not the other school's


def test_the_list_filters_apply(client, county):
    login(client, county.users["admin"])
    url = f"/children/ledger.xlsx?status=dropped_out&village={county.home_village.id}&group=no_id"
    rows = sheet_of(task_result(client, url))
    assert [row[1] for row in rows[2:]] == [f"台账{n:05d}" for n in range(MANY) if n % 70 == 0]
    assert [row[0] for row in rows[2:]] == [str(n) for n in range(1, len(rows) - 1)]
    rows = sheet_of(task_result(client, "/children/ledger.xlsx?q=李小红"))
    assert [row[1] for row in rows[2:]] == ["李小红"]


def test_the_ledger_is_chinese_in_an_english_session_too(client, county):
    login(client, county.users["admin"])
    client.get("/lang/en")
    rows = sheet_of(task_result(client, "/children/ledger.xlsx?q=李小红"))
    assert rows[1] == HEADER and rows[2][2] == "女" and rows[2][16] == "在校"


class QueryCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements = []

    def emit(self, record):
        self.statements.append(record.msg[0] if isinstance(record.msg, tuple) else record.msg)


def statements_of(run):
    """The SQL statements peewee sends while `run()` runs."""
    counter, peewee_log = QueryCounter(), logging.getLogger("peewee")
    peewee_log.addHandler(counter)
    level = peewee_log.level
    peewee_log.setLevel(logging.DEBUG)
    try:
        run()
    finally:
        peewee_log.removeHandler(counter)
        peewee_log.setLevel(level)
    return counter.statements


def test_rows_are_fetched_with_the_same_few_queries_however_many_children(db, county):
    """The first guardians come with the children, in one query: more children, no more queries."""

    def export():
        return ledger.write_ledger(county.users["admin"], child_search.Filters(), clock.today(), io.BytesIO(), "示例县")

    few = statements_of(export)
    add_children(county, 2200, village=county.other.village, prefix="白马")
    many = statements_of(export)
    assert len(many) == len(few) <= 5
    reads = [s for s in many if 'FROM "child"' in s]
    assert len(reads) == 1 and 'FROM "guardian"' in reads[0]  # one query for the rows and their guardians


def test_progress_counts_up_every_chunk_to_the_total(db, county, monkeypatch):
    """Told at the start and after each chunk of rows, never per row; the last call is (total, total)."""
    monkeypatch.setattr(ledger, "CHUNK", 100)
    calls = []
    filters = child_search.Filters(status="enrolled")
    count = ledger.write_ledger(
        county.users["admin"], filters, clock.today(), io.BytesIO(), "示例县", progress=lambda *call: calls.append(call)
    )
    enrolled = MANY - len(range(0, MANY, 7)) + 3  # every seventh dropped out; the county's 3 are enrolled
    assert count == enrolled
    assert calls == [(0, enrolled), (100, enrolled), (200, enrolled), (enrolled, enrolled)]


def test_progress_of_an_empty_ledger_is_zero_of_zero(db, county):
    calls = []
    filters = child_search.Filters(q="没有这个人")
    count = ledger.write_ledger(
        county.users["admin"], filters, clock.today(), io.BytesIO(), "示例县", progress=lambda *call: calls.append(call)
    )
    assert count == 0 and calls == [(0, 0)]


def test_a_ledger_written_to_a_file_is_a_real_workbook_with_its_cells_and_formats(db, county, tmp_path):
    """openpyxl reads what write_ledger streams into a file object: the cells (each text), every body cell in
    the text format, the header bold on its grey fill, the title in large type, the ID column wide."""
    path = tmp_path / "ledger.xlsx"
    with open(path, "wb") as out:
        count = ledger.write_ledger(county.users["admin"], child_search.Filters(), clock.today(), out, "示例县")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]
    assert count == MANY + 3 and len(cells) == count + 2
    assert cells[0][0] == "示例县适龄儿童少年台账" and cells[0][-2:] == ["制表日期", clock.today().isoformat()]
    assert cells[1] == HEADER
    assert [row[0] for row in cells[2:]] == [str(n) for n in range(1, count + 1)]
    first = next(row for row in cells[2:] if row[1] == "台账00000")
    assert first[2:] == first_row()
    numbered = next(row for row in cells[2:] if row[1] == "台账00001")
    assert numbered[3] == masked(Child.get(Child.name == "台账00001").id_number)
    assert sheet.title == "台账" and sheet.freeze_panes == "A3"
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 14
    assert all(cell.font.b and cell.fill.fgColor.rgb == "FFEEF1F5" for cell in sheet[2])
    body = [cell for row in sheet.iter_rows(min_row=3) for cell in row if cell.value is not None]
    assert body and all(cell.number_format == "@" and isinstance(cell.value, str) for cell in body)
    assert sheet.column_dimensions["D"].width == pytest.approx(21, abs=1)  # 身份证号
