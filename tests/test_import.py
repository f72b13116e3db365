"""Roster import (issue 3, part 1): files made several ways, every row checked, all written or none."""

import io
import json
import re
import zipfile
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from conftest import TODAY, child_form, csrf_token, login, on_postgres, roster_cells, valid_id
from county import build_county
from python_calamine import CalamineWorkbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from dropout.children.records import save_child
from dropout.core.errors import PermissionDenied, ValidationError
from dropout.db import database
from dropout.models import AuditLog, Child, Guardian, Township, Village, utcnow
from dropout.roster import imports as roster_import

try:  # the search keys (issue 15) arrive with their own change
    from dropout.rules.search_keys import search_keys
except ImportError:  # pragma: no cover
    search_keys = None

FIELDS = (
    "name sex id_number birth_on ethnicity township village group address guardian relation phone school grade "
    "student_number poor left_behind migrant disability disability_grade notes"
).split()
HEADER = (
    "姓名 性别 身份证号 出生日期 民族 乡镇 村(社区) 组 家庭住址 监护人 与学生关系 联系电话 学校 年级 学籍号 "
    "是否建档立卡 留守儿童 随迁 残疾类别 残疾等级 备注"
).split()
BORN = date(2015, 9, 1)
OUTSIDE = "该村（社区）和学校不在您的管辖范围内。"
CHANGED = "没有导入任何数据：预览之后名册已有变动（或已过了一天）。请重新检查文件，按名册现状再预览一次。"
NUMBER_CELL = "Excel 把这一格存成了数字，末尾几位已经丢失：请把这一列设置为文本格式，再重新录入号码。"


def roster_row(**values):
    """One row in HEADER order: a boy of 城关镇 东街社区 at 城关镇中心小学, unless told otherwise."""
    row = roster_cells(BORN, **values)
    return [row[field] for field in FIELDS]


def write_xlsxwriter(path, rows, header=HEADER, sheet="名册"):
    """Dates as real Excel dates, numbers as numbers, everything else as text."""
    workbook = xlsxwriter.Workbook(str(path))
    worksheet = workbook.add_worksheet(sheet)
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate([header, *rows]):
        for c, value in enumerate(row):
            if isinstance(value, date):
                worksheet.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
            elif isinstance(value, (int, float)):
                worksheet.write_number(r, c, value)
            elif value != "":
                worksheet.write_string(r, c, value)
    workbook.close()
    return path


def write_openpyxl(path, rows, header=HEADER):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Sheet1"
    for row in [header, *rows]:
        workbook.active.append([value if value != "" else None for value in row])
    workbook.save(path)
    return path


def write_csv(path, rows, encoding, header=HEADER):
    lines = [",".join(str(value) for value in row) for row in [header, *rows]]
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def run(user, path, commit=False, **kw):
    return roster_import.import_roster(user, path, commit=commit, today=TODAY, file_name=path.name, **kw)


def check(user, path, store, **kw):
    return roster_import.check(user, path, store, today=TODAY, file_name=path.name, **kw)


def counts(outcome):
    return {kind: n for kind, n in outcome.counts.items() if n}


def table_sizes():
    return Child.select().count(), Guardian.select().count(), AuditLog.select().count()


@pytest.fixture
def county(app):
    return build_county()


@pytest.fixture
def admin(county):
    return county.users["admin"]


def test_an_openpyxl_workbook_with_every_column_registers_the_children(db, admin, tmp_path):
    number = valid_id(BORN, "F")
    rows = [
        roster_row(
            name="刘小雨",
            id_number=number,
            sex="女",
            birth_on="2015-09-01",
            ethnicity="彝族",
            poor="是",
            left_behind="√",
            migrant="0",
            disability="视力残疾",
            disability_grade="二级",
            grade="四年级",
            student_number="G" + number,
            relation="母亲",
            guardian="刘芳",
            notes="父母在外务工",
        ),
        roster_row(name="陈小明"),
        roster_row(name="王小军", school="", grade=""),
    ]
    path = write_openpyxl(tmp_path / "roster.xlsx", rows)
    before = table_sizes()
    assert counts(run(admin, path)) == {"new": 3}
    assert table_sizes() == before  # the preview wrote nothing
    outcome = run(admin, path, commit=True)
    assert outcome.committed and counts(outcome) == {"new": 3}
    child = Child.get(Child.id_number == number)
    assert (child.name, child.sex, child.birth_on, child.ethnicity) == ("刘小雨", "F", BORN, "彝族")
    assert (child.village.name, child.group, child.address) == ("东街社区", "3组", "东街12号")
    assert (child.school.name, child.grade, child.student_number, child.status) == (
        "城关镇中心小学",
        4,
        "G" + number,
        "enrolled",
    )
    assert (child.is_poor, child.is_left_behind, child.is_migrant) == (True, True, False)
    assert (child.disability_category, child.disability_grade, child.notes) == ("visual", 2, "父母在外务工")
    assert [(g.name, g.relation, g.phone) for g in child.guardians] == [("刘芳", "母亲", "13812345678")]
    assert Child.get(Child.name == "王小军").school is None
    entry = AuditLog.get(AuditLog.entity == "import")  # new children are audited together, by their ids
    assert (entry.username, entry.reason) == ("admin", "导入名册：roster.xlsx")
    after = json.loads(entry.after)
    first, last = after["new_child_ids"]
    assert (after["file"], after["new"], after["rejected"]) == ("roster.xlsx", 3, 0)
    assert sorted(c.name for c in Child.select().where(Child.id.between(first, last))) == sorted(
        ["刘小雨", "陈小明", "王小军"]
    )


def test_dates_in_every_spelling_and_the_sex_from_the_id_number(db, admin, tmp_path):
    spellings = [BORN, "2015-09-01", "2015/9/1", "2015.09.01", "20150901", "2015年9月1日", 20150901]
    rows = [roster_row(name=f"孩子{i}", id_number="", sex="女", birth_on=s) for i, s in enumerate(spellings)]
    girl = valid_id(date(2014, 2, 3), "F")
    rows.append(roster_row(name="赵小燕", id_number=girl, sex=""))
    path = write_xlsxwriter(tmp_path / "dates.xlsx", rows)
    outcome = run(admin, path, commit=True)
    assert counts(outcome) == {"new": 8}
    assert {c.birth_on for c in Child.select().where(Child.id_number.is_null())} == {BORN}
    child = Child.get(Child.id_number == girl)
    assert (child.sex, child.birth_on) == ("F", date(2014, 2, 3))


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
def test_csv_files_in_gb18030_and_utf_8(db, admin, tmp_path, encoding):
    path = write_csv(
        tmp_path / "名册.csv", [roster_row(name="黄小龙"), roster_row(name="周小凤", village="东街社区")], encoding
    )
    outcome = run(admin, path, commit=True)
    assert counts(outcome) == {"new": 2}
    assert {c.name for c in Child.select()} >= {"黄小龙", "周小凤"}


def test_a_title_row_and_merged_header_cells(db, admin, tmp_path):
    """The header is found under the title, 监护人信息 spans three sub-headers, and rows keep their Excel numbers."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "城关镇"
    sheet["A1"] = "城关镇2026年秋季学期适龄儿童少年花名册"
    sheet.merge_cells("A1:L1")
    for column, header in zip(
        "ABCDEFGKL",
        ("序号", "姓名", "身份证号码", "乡镇", "村（社区）", "就读学校", "年级", "留守儿童", "家庭经济情况"),
        strict=True,
    ):
        sheet[f"{column}2"] = header
        sheet.merge_cells(f"{column}2:{column}3")
    sheet["H2"] = "监护人信息"
    sheet.merge_cells("H2:J2")
    sheet["H3"], sheet["I3"], sheet["J3"] = "监护人姓名", "与学生关系", "联系电话"
    first, second = valid_id(BORN, "M"), valid_id(BORN, "F")
    sheet.append(
        [1, "马小虎", first, "城关镇", "东街社区", "城关镇中心小学", "5", "马大山", "父亲", "13700000001", "√", "一般"]
    )
    sheet.append(
        [
            2,
            "马小花",
            valid_id(BORN, "F"),
            "城关镇",
            "桃园村",
            "城关镇中心小学",
            "5",
            "马大山",
            "父亲",
            "13700000001",
            "",
            "",
        ]
    )
    sheet.append(
        [3, "马小丽", second, "城关镇", "东街社区", "城关镇中心小学", "5", "马二山", "母亲", "13700000002", "", ""]
    )
    sheet.append(["填表人：李志强　　审核人：王建国"])
    path = tmp_path / "merged.xlsx"
    workbook.save(path)
    outcome = run(admin, path)
    assert counts(outcome) == {"new": 2, "rejected": 1, "skipped": 1}
    assert outcome.rejections == [["城关镇", 5, "村（社区）", "马小花", "没有这个村（社区）：城关镇桃园村"]]
    assert outcome.ignored_columns == [["城关镇", "序号"], ["城关镇", "家庭经济情况"]]
    assert not run(admin, path, commit=True).committed
    assert Child.select().where(Child.id_number.in_([first, second])).count() == 0
    sheet["E5"] = "东街社区"
    workbook.save(path)
    assert counts(run(admin, path, commit=True)) == {"new": 3, "skipped": 1}
    tiger = Child.get(Child.id_number == first)
    assert tiger.is_left_behind
    assert [(g.name, g.relation, g.phone) for g in tiger.guardians] == [("马大山", "父亲", "13700000001")]


def test_an_id_number_excel_stored_as_a_number_is_never_guessed_back(db, admin, tmp_path):
    rows = [
        roster_row(name="数字甲", id_number=513401201509010011),
        roster_row(name="数字乙", id_number="5.13401201509E+17"),
        roster_row(name="文本丙"),
    ]
    path = write_xlsxwriter(tmp_path / "numbers.xlsx", rows)
    before = table_sizes()
    outcome = run(admin, path, commit=True)
    assert counts(outcome) == {"new": 1, "rejected": 2}
    assert outcome.rejections == [
        ["名册", 2, "身份证号", "数字甲", NUMBER_CELL],
        ["名册", 3, "身份证号", "数字乙", NUMBER_CELL],
    ]
    assert not outcome.committed and table_sizes() == before


def test_each_broken_cell_is_named_by_row_and_column(db, admin, tmp_path):
    number = valid_id(BORN, "M")
    rows = [
        roster_row(name="", id_number=valid_id(BORN, "M")),
        roster_row(id_number=number[:-1] + ("1" if number[-1] != "1" else "2")),
        roster_row(id_number=valid_id(BORN, "M"), birth_on="2015-09-02", sex="女"),
        roster_row(id_number="", birth_on=""),
        roster_row(id_number="", birth_on="2021-03-01", sex="男"),
        roster_row(id_number="", birth_on="1/9/2015", sex="男"),
        roster_row(school="城关镇第九小学", grade="十年级"),
        roster_row(village="", township=""),
        roster_row(poor="也许", disability="", disability_grade="2", phone="138-ABCD"),
        roster_row(sex="未知", id_number="", birth_on="2015-09-01"),
    ]
    outcome = run(admin, write_xlsxwriter(tmp_path / "broken.xlsx", rows))
    assert counts(outcome) == {"rejected": 10}
    assert [line[1:3] + line[4:] for line in outcome.rejections] == [
        [2, "姓名", "请填写姓名。"],
        [3, "身份证号", "身份证号校验位不正确，请检查是否输错。"],
        [4, "性别", "性别与身份证号不一致。"],
        [4, "出生日期", "出生日期与身份证号不一致（身份证号为 2015-09-01）。"],
        [5, "性别", "请填写“男”或“女”。"],
        [5, "出生日期", "请填写出生日期（无身份证号时必填）。"],
        [6, "出生日期", "不在义务教育适龄范围：8月31日时 5 周岁（适龄为 6–15 周岁）。"],
        [7, "出生日期", "日期格式不对，请写成 2015-09-01 这样。"],
        [8, "学校", "没有这个学校：城关镇第九小学"],
        [8, "年级", "不是数字：十年级"],
        [9, "村(社区)", "请填写村（社区）。"],
        [10, "联系电话", "电话号码格式不对。"],
        [10, "是否建档立卡", "请填写“是”或“否”。"],
        [10, "残疾等级", "请先选择残疾类别。"],
        [11, "性别", "请填写“男”或“女”。"],
    ]


def test_the_same_id_number_twice_in_a_file_rejects_both_rows(db, admin, tmp_path):
    twice = valid_id(BORN, "F")
    rows = [roster_row(name="甲", id_number=twice), roster_row(name="乙"), roster_row(name="丙", id_number=twice)]
    outcome = run(admin, write_xlsxwriter(tmp_path / "twice.xlsx", rows), chunk=2)
    assert counts(outcome) == {"new": 1, "rejected": 2}
    assert outcome.rejections == [
        ["名册", 2, "身份证号", "", "第 4 行也是这个身份证号。"],
        ["名册", 4, "身份证号", "", "第 2 行也是这个身份证号。"],
    ]


def test_villages_by_name_within_their_township(db, admin, tmp_path):
    chengguan, baima = Township.get(name="城关镇"), Township.get(name="白马乡")
    Village.create(township=chengguan, name="新村")
    Village.create(township=baima, name="新村")
    header = tuple(h for h in HEADER if h != "乡镇")
    rows = [
        [v for h, v in zip(HEADER, roster_row(village=village), strict=True) if h != "乡镇"]
        for village in ("白马村", "新村", "没有村")
    ]
    outcome = run(admin, write_xlsxwriter(tmp_path / "villages.xlsx", rows, header=header))
    assert counts(outcome) == {"new": 1, "rejected": 2}
    assert [line[1:3] + line[4:] for line in outcome.rejections] == [
        [3, "村(社区)", "有多个村（社区）叫新村，请填写乡镇。"],
        [4, "村(社区)", "没有这个村（社区）：没有村"],
    ]
    rows = [roster_row(village="白马村"), roster_row(township="白鹤乡")]
    outcome = run(admin, write_xlsxwriter(tmp_path / "towns.xlsx", rows))
    assert [line[1:3] + line[4:] for line in outcome.rejections] == [
        [2, "村(社区)", "没有这个村（社区）：城关镇白马村"],
        [3, "乡镇", "没有这个乡镇：白鹤乡"],
    ]


def test_a_registered_child_is_updated_and_the_change_audited(db, county, admin, tmp_path):
    own = county.own
    row = roster_row(
        name="李小红",
        id_number=own.id_number,
        ethnicity="",
        group="",
        address="",
        guardian="监护人李小红",
        relation="母亲",
        phone="13911112222",
        school="",
        grade="6",
        poor="",
        left_behind="是",
        migrant="",
    )
    path = write_xlsxwriter(tmp_path / "update.xlsx", [row])
    outcome = run(admin, path, commit=True)
    assert counts(outcome) == {"updated": 1}
    child = Child.get_by_id(own.id)
    assert (child.grade, child.is_left_behind, child.school_id, child.status) == (6, True, own.school_id, own.status)
    assert [(g.name, g.relation, g.phone) for g in child.guardians] == [("监护人李小红", "母亲", "13911112222")]
    entries = AuditLog.select().where(AuditLog.child_id == own.id).order_by(AuditLog.id)
    changes = {entry.entity: (json.loads(entry.before), json.loads(entry.after)) for entry in entries}
    before, after = changes["child"]
    assert {k for k in after if after[k] != before[k]} == {"grade", "is_left_behind"}
    assert (before["grade"], after["grade"]) == (5, 6)
    assert changes["guardian"][1]["phone"] == "13911112222"
    assert {entry.reason for entry in entries} == {"导入名册：update.xlsx"}
    again = run(admin, path, commit=True)
    assert counts(again) == {"unchanged": 1} and again.committed
    assert entries.count() == 2


def test_nothing_outside_the_importers_area_is_touched(db, county, tmp_path):
    township = county.users["township"]
    rows = [
        roster_row(name="外乡", township="白马乡", village="白马村", school="白马乡中心小学"),
        roster_row(
            name="王小芳",
            id_number=county.other.id_number,
            township="白马乡",
            village="白马村",
            school="白马乡中心小学",
            grade="6",
        ),
        roster_row(name="本镇上学", township="白马乡", village="白马村", school="城关镇中心小学"),
        roster_row(name="本镇"),
    ]
    path = write_xlsxwriter(tmp_path / "scope.xlsx", rows)
    before = table_sizes()
    outcome = run(township, path, commit=True)
    assert counts(outcome) == {"new": 2, "rejected": 2}
    assert [line[1:] for line in outcome.rejections] == [
        [2, "村(社区)", "外乡", OUTSIDE],
        [3, "身份证号", "王小芳", "此身份证号的儿童不在您的管辖范围内。"],
    ]
    assert table_sizes() == before and Child.get_by_id(county.other.id).grade == 5
    assert counts(run(county.users["bureau"], path)) == {"new": 3, "updated": 1}
    for role in ("teacher", "village"):
        with pytest.raises(PermissionDenied):
            run(county.users[role], path)


def test_a_rejected_last_row_leaves_the_database_as_it_was(db, admin, tmp_path):
    """Chunks of two: the first rows are written before the last one is read, and rolled back with it."""
    rows = [roster_row(name=f"孩子{i}") for i in range(5)] + [roster_row(name="最后", village="桃园村")]
    before = table_sizes()
    outcome = run(admin, write_xlsxwriter(tmp_path / "last.xlsx", rows), commit=True, chunk=2)
    assert counts(outcome) == {"new": 5, "rejected": 1} and not outcome.committed
    assert table_sizes() == before


def test_a_database_failure_on_the_last_row_leaves_the_database_as_it_was(db, admin, tmp_path):
    if on_postgres():
        database.execute_sql(
            "CREATE FUNCTION refuse_child() RETURNS trigger AS $$ BEGIN IF NEW.name = '坏' THEN "
            "RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        database.execute_sql(
            "CREATE TRIGGER refuse_child BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION refuse_child()"
        )
    else:
        database.execute_sql(
            "CREATE TRIGGER refuse_child BEFORE INSERT ON child WHEN NEW.name = '坏' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    rows = [roster_row(name=f"孩子{i}") for i in range(5)] + [roster_row(name="坏")]
    before = table_sizes()
    with pytest.raises(Exception, match="refused"):
        run(admin, write_xlsxwriter(tmp_path / "failing.xlsx", rows), commit=True, chunk=2)
    assert table_sizes() == before


# Preview, then commit


def keys_of(child):
    """The stored search keys of a child against those its name and ID number make (when the fields exist)."""
    if search_keys is None or not hasattr(Child, "name_initials"):  # pragma: no cover
        return None, None
    return {key: getattr(child, key) for key in search_keys(child.name, child.id_number)}, search_keys(
        child.name, child.id_number
    )


def test_the_commit_writes_what_the_preview_kept_without_reading_the_file(db, county, admin, tmp_path):
    """The preview keeps its checked rows; the commit writes them as the preview counted them, with the same
    audit, though the spreadsheet is gone; then they are gone, so nothing is written twice."""
    own, girl = county.own, valid_id(BORN, "F")
    rows = [
        roster_row(name="方小雨", id_number=girl, sex="女", guardian="方大山", relation="父亲"),
        roster_row(name="方小林", id_number="", sex="男", birth_on="2015-09-01", guardian="", relation="", phone=""),
        roster_row(
            name="李晓红",
            id_number=own.id_number,
            **dict.fromkeys(("ethnicity", "group", "address", "school", "poor", "left_behind", "migrant"), ""),
            guardian="监护人李小红",
            relation="母亲",
            phone="13911112222",
            grade="6",
        ),
    ]
    path, store = write_xlsxwriter(tmp_path / "kept.xlsx", rows), tmp_path / "kept.rows"
    before = table_sizes()
    preview = check(admin, path, store)
    assert counts(preview) == {"new": 2, "updated": 1} and not preview.committed, preview.rejections
    assert table_sizes() == before and store.is_file()
    path.unlink()
    with pytest.raises(PermissionDenied):  # another account's preview
        roster_import.commit(county.users["bureau"], store, today=TODAY)
    started = utcnow()
    outcome = roster_import.commit(admin, store, today=TODAY)
    assert asdict(outcome) == {**asdict(preview), "committed": True}
    assert table_sizes()[:2] == (before[0] + 2, before[1] + 1)  # 方小雨's guardian; 李晓红's is updated
    rain, lin, red = Child.get(Child.id_number == girl), Child.get(Child.name == "方小林"), Child.get_by_id(own.id)
    assert (rain.name, rain.sex, rain.birth_on, rain.village_id, rain.school_id, rain.grade, rain.registered_on) == (
        "方小雨",
        "F",
        BORN,
        county.home_village.id,
        county.home_school.id,
        5,
        TODAY,
    )
    assert [(g.name, g.relation) for g in rain.guardians] == [("方大山", "父亲")] and not list(lin.guardians)
    assert (lin.id_number, lin.sex, lin.birth_on) == (None, "M", BORN)
    assert (red.name, red.grade, red.school_id) == ("李晓红", 6, own.school_id)
    assert rain.created_at >= started and rain.updated_at == rain.created_at  # written when committed
    for child in (rain, lin, red):
        stored_keys, made = keys_of(child)
        assert stored_keys == made
    entries = {(e.entity, e.action, e.child_id): e for e in AuditLog.select().where(AuditLog.id > before[2])}
    assert sorted(entries, key=str) == sorted(
        [("import", "create", None), ("child", "update", own.id), ("guardian", "update", own.id)], key=str
    )
    after = json.loads(entries["import", "create", None].after)
    assert (after["new"], after["updated"], after["new_child_ids"]) == (2, 1, sorted([rain.id, lin.id]))
    change = json.loads(entries["child", "update", own.id].after)
    assert (change["name"], change["grade"]) == ("李晓红", 6)
    assert not store.exists()
    with pytest.raises(ValidationError) as caught:
        roster_import.commit(admin, store, today=TODAY)
    assert caught.value.errors == {"file": "此文件的检查结果已不存在：请重新检查文件。"}
    assert table_sizes()[:2] == (before[0] + 2, before[1] + 1)


def edit_a_child(county, number):
    save_child(county.users["admin"], child_form(county.other, grade="6"), child=county.other, today=TODAY)


def add_a_child(county, number):
    data = child_form(county.other, name="新来的", id_number="", registered_on=TODAY.isoformat())
    save_child(county.users["admin"], data, today=TODAY)


def take_the_id_number(county, number):
    save_child(county.users["admin"], child_form(county.other, id_number=number), child=county.other, today=TODAY)


def rename_the_village(county, number):
    Village.update(name="新东街").where(Village.id == county.home_village.id).execute()


@pytest.mark.parametrize("change", [edit_a_child, add_a_child, take_the_id_number, rename_the_village, "next day"])
def test_the_commit_refuses_when_the_register_changed_after_the_preview(db, county, admin, tmp_path, change):
    """Whatever the preview read may have changed, the commit writes nothing and asks for a new preview."""
    number = valid_id(county.other.birth_on, county.other.sex)  # a new child's in the file, free at the preview
    update = roster_row(name="李小红", id_number=county.own.id_number, grade="6")
    rows = [roster_row(name="新娃", id_number=number), update]
    store = tmp_path / "rows"
    preview = check(admin, write_xlsxwriter(tmp_path / "changed.xlsx", rows), store)
    assert counts(preview) == {"new": 1, "updated": 1}
    today = TODAY
    if change == "next day":
        today += timedelta(days=1)
    else:
        change(county, number)
    before = table_sizes()
    with pytest.raises(roster_import.RegisterChanged) as caught:
        roster_import.commit(admin, store, today=today)
    assert caught.value.errors == {"file": CHANGED}
    assert table_sizes() == before and Child.get_by_id(county.own.id).grade == 5
    assert not Child.select().where(Child.name == "新娃").exists()


def test_nothing_changed_and_the_same_commit_goes_through(db, county, admin, tmp_path):
    """The control of the test above: a change elsewhere (a login, a case) is not the register's."""
    store = tmp_path / "rows"
    check(admin, write_xlsxwriter(tmp_path / "same.xlsx", [roster_row(name="同一个")]), store)
    county.users["bureau"].save()
    assert roster_import.commit(admin, store, today=TODAY).committed
    assert Child.select().where(Child.name == "同一个").count() == 1


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_progress_is_reported_once_a_chunk_with_rows_done(db, admin, tmp_path, kind):
    """The rows read so far and the sheet's rows (unknown for a CSV), then the rows written and to write."""
    rows = [roster_row(name=f"进度{i}") for i in range(7)]
    path = (
        write_xlsxwriter(tmp_path / "progress.xlsx", rows)
        if kind == "xlsx"
        else write_csv(tmp_path / "progress.csv", rows, "utf-8")
    )
    checked, written = [], []
    store = tmp_path / "rows"
    check(admin, path, store, chunk=3, progress=lambda done, total: checked.append((done, total)))
    total = 7 if kind == "xlsx" else None
    assert checked == [(3, total), (6, total), (7, total)]
    roster_import.commit(admin, store, today=TODAY, progress=lambda done, total: written.append((done, total)))
    assert written == [(3, 7), (6, 7), (7, 7)]
    assert Child.select().where(Child.name.startswith("进度")).count() == 7


def test_a_preview_with_a_rejected_row_keeps_nothing_to_commit(db, admin, tmp_path):
    rows = [roster_row(name="好"), roster_row(name="坏", village="桃园村")]
    store = tmp_path / "rows"
    outcome = check(admin, write_xlsxwriter(tmp_path / "bad.xlsx", rows), store, chunk=1)
    assert counts(outcome) == {"new": 1, "rejected": 1}
    assert list(tmp_path.glob("rows*")) == []
    with pytest.raises(ValidationError):
        roster_import.commit(admin, store, today=TODAY)


def not_a_workbook_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.xlsx", b"", "文件是空的。"),
        ("blank.csv", b"\r\n \r\n", "文件是空的。"),
        (
            "photo.xlsx",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
            "这不是表格文件：请上传 Excel 工作簿（.xlsx）或 CSV 文件。",
        ),
        ("archive.xlsx", not_a_workbook_zip(), "这不是表格文件：请上传 Excel 工作簿（.xlsx）或 CSV 文件。"),
        (
            "headless.csv",
            "甲,乙,丙\r\n1,2,3\r\n".encode(),
            "找不到表头：前几行中应有一行列出各列名称，如“姓名”“身份证号”。模板中列有全部列名。",
        ),
    ],
)
def test_files_that_are_not_rosters_are_refused_whole(db, admin, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValidationError) as caught:
        run(admin, path, commit=True)
    assert caught.value.errors == {"file": message}


def test_an_empty_workbook_is_empty(db, admin, tmp_path):
    path = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(ValidationError) as caught:
        run(admin, path)
    assert caught.value.errors == {"file": "文件是空的。"}


def test_yes_no_columns_and_disability_spellings(db, admin, tmp_path):
    header = ("姓名", "身份证号", "村", "脱贫户", "监测户", "留守", "流动", "残疾类型", "残疾等级")
    values = [("是", "", "Y", "√", "肢体", "3"), ("否", "1", "N", "×", "智力残疾", "一级"), ("0", "0", "", "1", "", "")]
    rows = [(f"孩子{i}", valid_id(BORN, "M"), "东街社区", *v) for i, v in enumerate(values)]
    assert counts(run(admin, write_xlsxwriter(tmp_path / "flags.xlsx", rows, header=header), commit=True)) == {"new": 3}
    found = [
        (c.is_poor, c.is_left_behind, c.is_migrant, c.disability_category, c.disability_grade)
        for c in Child.select().where(Child.name.startswith("孩子")).order_by(Child.name)
    ]
    assert found == [
        (True, True, True, "physical", 3),
        (True, False, False, "intellectual", 1),
        (False, False, True, None, None),
    ]


def test_sheets_without_a_header_are_left_out_and_duplicates_are_found_across_sheets(db, admin, tmp_path):
    twice = valid_id(BORN, "M")
    workbook = openpyxl.Workbook()
    workbook.active.title = "填表说明"
    workbook.active.append(["身份证号一列请设置为文本格式。"])
    for title, name in (("东街社区", "甲"), ("第二批", "乙")):
        sheet = workbook.create_sheet(title)
        sheet.append(HEADER)
        sheet.append(roster_row(name=name, id_number=twice, phone=13812345678))
    path = tmp_path / "sheets.xlsx"
    workbook.save(path)
    outcome = run(admin, path)
    assert counts(outcome) == {"rejected": 2} and outcome.ignored_sheets == ["填表说明"]
    assert outcome.rejections == [
        ["东街社区", 2, "身份证号", "", "工作表“第二批”第 2 行也是这个身份证号。"],
        ["第二批", 2, "身份证号", "", "工作表“东街社区”第 2 行也是这个身份证号。"],
    ]


# Pages


def stored(app):
    return list((Path(app.config["UPLOADS_DIR"]) / "imports").glob("*"))


def upload(client, content, name="名册.xlsx"):
    """Post a file as the upload form does (encoded in memory: the test client would spool a big one to an
    unclosed temporary file)."""
    fields = {"csrf_token": csrf_token(client, "/imports/"), "file": FileStorage(io.BytesIO(content), filename=name)}
    boundary, body = encode_multipart(fields)
    return client.post("/imports/", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def after_task(client, response):
    """The page a started task answers once it has run (tasks run inside the request in the tests): a done one
    goes on to its next page (a 302 there), a failed one shows why."""
    assert response.status_code == 302 and response.headers["Location"].startswith("/tasks/"), response.status_code
    return client.get(response.headers["Location"])


def previewed(client, response):
    """The preview URL an upload's check task goes on to."""
    done = after_task(client, response)
    assert done.status_code == 302, done.get_data(as_text=True)[:1000]
    return done.headers["Location"]


def xlsx_bytes(tmp_path, rows, **kw):
    return write_xlsxwriter(tmp_path / "upload.xlsx", rows, **kw).read_bytes()


def test_a_township_officer_uploads_previews_and_confirms(app, client, county, tmp_path):
    login(client, county.users["township"])
    number = valid_id(BORN, "F")
    response = upload(
        client, xlsx_bytes(tmp_path, [roster_row(name="杨小梅", id_number=number), roster_row(name="杨小兰")])
    )
    preview_url = previewed(client, response)
    token = re.fullmatch(r"/imports/([0-9a-f]{32})", preview_url).group(1)
    assert sorted(p.suffix for p in stored(app)) == [".json", ".rows", ".xlsx"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "预览：尚未写入任何数据" in page and "新增儿童" in page and "确认导入" in page
    with database.connection_context():
        assert not Child.select().where(Child.id_number == number).exists()
    next(p for p in stored(app) if p.suffix == ".xlsx").unlink()  # the commit writes the checked rows, not the file
    response = client.post(f"/imports/{token}/commit", data={"csrf_token": csrf_token(client, preview_url)})
    assert previewed(client, response) == preview_url
    page = client.get(preview_url).get_data(as_text=True)
    assert "导入完成" in page
    with database.connection_context():
        assert Child.get(Child.id_number == number).name == "杨小梅"
    assert sorted(p.suffix for p in stored(app)) == [".json"]
    committed = client.post(f"/imports/{token}/commit", data={"csrf_token": csrf_token(client, preview_url)})
    assert committed.status_code == 302
    with database.connection_context():
        assert Child.select().where(Child.name.in_(["杨小梅", "杨小兰"])).count() == 2  # not twice
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, county.users["admin"])
    assert client.get(preview_url).status_code == 404  # another person's upload


def test_the_preview_lists_rejected_rows_and_offers_them_as_a_workbook(client, county, tmp_path):
    login(client, county.users["township"])
    rows = [
        roster_row(name="好"),
        roster_row(name="外乡", township="白马乡", village="白马村", school="白马乡中心小学"),
    ]
    preview_url = previewed(client, upload(client, xlsx_bytes(tmp_path, rows)))
    page = client.get(preview_url).get_data(as_text=True)
    assert "有未通过的行时不能导入" in page and OUTSIDE in page and "确认导入" not in page
    response = client.get(preview_url + "/rejected.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    path = tmp_path / "rejected.xlsx"
    path.write_bytes(response.data)
    lines = list(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())
    assert lines[1] == ["工作表", "行号", "列", "姓名", "原因"]
    assert lines[2] == ["名册", "3", "村(社区)", "外乡", OUTSIDE]


def test_a_register_changed_since_the_preview_imports_nothing_until_checked_again(app, client, county, tmp_path):
    login(client, county.users["township"])
    with database.connection_context():
        village = Village.create(township=county.home_village.township, name="新建村")
    preview_url = previewed(client, upload(client, xlsx_bytes(tmp_path, [roster_row(name="新村娃", village="新建村")])))
    assert "确认导入" in client.get(preview_url).get_data(as_text=True)
    with database.connection_context():
        Village.update(name="改名村").where(Village.id == village.id).execute()
    response = client.post(preview_url + "/commit", data={"csrf_token": csrf_token(client, preview_url)})
    failed = after_task(client, response).get_data(as_text=True)  # the task's page says why, and leads back
    assert CHANGED in failed and "失败" in failed and f'href="{preview_url}"' in failed
    page = client.get(preview_url).get_data(as_text=True)
    assert "重新检查文件" in page and "确认导入" not in page
    with database.connection_context():
        assert not Child.select().where(Child.name == "新村娃").exists()
    response = client.post(preview_url + "/check", data={"csrf_token": csrf_token(client, preview_url)})
    assert previewed(client, response) == preview_url
    page = client.get(preview_url).get_data(as_text=True)
    assert "没有这个村（社区）：城关镇新建村" in page and "重新检查文件" not in page and "确认导入" not in page
    with database.connection_context():
        assert not Child.select().where(Child.name == "新村娃").exists()


def test_an_upload_without_a_file_asks_for_one(client, county):
    login(client, county.users["bureau"])
    response = client.post("/imports/", data={"csrf_token": csrf_token(client, "/imports/")})
    assert response.status_code == 422 and "请选择文件。" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "name, content, message",
    [("empty.xlsx", b"", "文件是空的。"), ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(100), "这不是表格文件")],
)
def test_bad_uploads_get_a_clear_message_and_keep_nothing(app, client, county, name, content, message):
    login(client, county.users["township"])
    response = upload(client, content, name)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert stored(app) == []


def test_a_file_without_a_header_fails_its_check_with_the_reason_and_keeps_nothing(app, client, county):
    """Read by the check task, not at upload: its page says why and leads back to the upload."""
    login(client, county.users["township"])
    page = after_task(client, upload(client, "甲,乙\r\n1,2\r\n".encode(), "headless.csv"))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "找不到表头" in text and "失败" in text and 'href="/imports/"' in text
    assert stored(app) == []


def test_uploads_above_the_import_limit_are_refused(app, client, county, tmp_path):
    app.config["IMPORT_MAX_MB"] = 1
    login(client, county.users["township"])
    big = xlsx_bytes(tmp_path, [roster_row()]) + bytes(1024 * 1024)
    response = upload(client, big)
    assert response.status_code == 422 and "文件超过 1 MB：请拆分成几个文件。" in response.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024  # the app's own limit answers 413 before the page runs
    assert upload(client, bytes(3 * 1024 * 1024)).status_code == 413


@pytest.mark.parametrize(
    "role, status", [("admin", 200), ("bureau", 200), ("township", 200), ("teacher", 403), ("village", 403)]
)
def test_who_may_import(client, county, role, status):
    login(client, county.users[role])
    assert client.get("/imports/").status_code == status
    assert client.get("/imports/template.xlsx").status_code == status


def test_the_template_keeps_id_numbers_as_text_and_imports_back(client, county, tmp_path):
    login(client, county.users["admin"])
    response = client.get("/imports/template.xlsx")
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.data)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    headers = [cell.value for cell in sheet[1]]
    assert (
        headers
        == (
            "姓名 性别 身份证号 出生日期 民族 乡镇 村（社区） 村民小组 家庭住址 监护人 与学生关系 联系电话 就读学校 "
            "年级 学籍号 是否建档立卡 留守儿童 随迁/流动 残疾类别 残疾等级 备注 在册日期"
        ).split()
    )
    formats = {
        header: sheet.column_dimensions[openpyxl.utils.get_column_letter(n)].number_format
        for n, header in enumerate(headers, start=1)
    }
    assert [h for h, f in formats.items() if f == "@"] == ["身份证号", "联系电话", "学籍号"]
    assert [h for h, f in formats.items() if f == "yyyy-mm-dd"] == ["出生日期", "在册日期"]
    assert sheet.column_dimensions["C"].number_format == "@"
    number = valid_id(BORN, "M")
    values = {"姓名": "何小东", "身份证号": number, "乡镇": "城关镇", "村（社区）": "东街社区", "是否建档立卡": "否"}
    sheet.append([values.get(h) for h in headers])
    workbook.save(path)
    with database.connection_context():
        outcome = run(county.users["admin"], path, commit=True)
        assert counts(outcome) == {"new": 1} and Child.get(Child.id_number == number).name == "何小东"


# The command line


def test_import_roster_command_with_dry_run(runner, county, tmp_path):
    path = write_xlsxwriter(tmp_path / "cli.xlsx", [roster_row(name="命令甲"), roster_row(name="命令乙")])
    result = runner.invoke(args=["import-roster", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "new 2, updated 0, unchanged 0, rejected 0" in result.output
    assert "dry run: nothing was written" in result.output
    with database.connection_context():
        assert not Child.select().where(Child.name.startswith("命令")).exists()
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code == 0 and "imported" in result.output
    with database.connection_context():
        assert Child.select().where(Child.name.startswith("命令")).count() == 2


def test_import_roster_command_prints_every_rejected_row_and_writes_nothing(runner, county, tmp_path):
    rows = [
        roster_row(name="命令丙"),
        roster_row(name="命令丁", village="桃园村"),
        roster_row(name="命令戊", id_number=5.134e17),
    ]
    path = write_xlsxwriter(tmp_path / "bad.xlsx", rows)
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code == 1
    assert "名册 row 3 [村(社区)] 命令丁: 没有这个村（社区）：城关镇桃园村" in result.output
    assert f"名册 row 4 [身份证号] 命令戊: {NUMBER_CELL}" in result.output
    assert "nothing was written" in result.output
    with database.connection_context():
        assert not Child.select().where(Child.name.startswith("命令")).exists()
    result = runner.invoke(args=["import-roster", str(path), "--as", "village"])
    assert result.exit_code == 1 and "may not import" in result.output
