"""The roster template: the header, a fictional example row that the import skips, and the sheet 填写说明 that
explains each column with the header and value spellings the import reads. Read back with python-calamine, as the
import reads a county's workbook."""

import re
from datetime import date, datetime

import pytest
import xlsxwriter
from conftest import TODAY
from county import build_county
from python_calamine import CalamineWorkbook
from test_import import roster_row, write_csv, write_xlsxwriter

from dropout.children import columns
from dropout.core.errors import ValidationError
from dropout.models import Child
from dropout.roster import cells as roster_cells_reader
from dropout.roster import imports as roster_import
from dropout.roster import read as roster_read
from dropout.roster import template as roster_template
from dropout.rules import id_number as idn
from dropout.rules import school_age

NO_CHILD = (
    "文件中没有儿童的数据：请在表头下方每行填写一名儿童，姓名或身份证号至少填一项"
    "（模板中第一格以“示例”开头的示例行不会导入）。"
)


@pytest.fixture
def county(app):
    return build_county()


@pytest.fixture
def template(tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(roster_template.template_bytes(TODAY))
    return path


def rows_of(path, sheet):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def day(cell):
    return cell.date() if isinstance(cell, datetime) else cell


def run(user, path):
    return roster_import.import_roster(user, path, commit=True, today=TODAY, file_name=path.name)


def test_the_template_holds_the_header_and_one_example_then_its_explanation(template):
    assert CalamineWorkbook.from_path(str(template)).sheet_names == ["名册", "填写说明"]
    header, example, *more = rows_of(template, "名册")
    assert header == [spellings[0] for spellings in roster_read.HEADERS.values()] and more == []
    values = dict(zip(roster_read.HEADERS, example, strict=True))
    assert values["name"] == "示例：张小红"
    # A child of school age, whose ID number passes every check and agrees with the row's sex and birth date.
    number = idn.parse(values["id_number"], TODAY)
    assert (number.birth_on, number.sex, values["sex"]) == (day(values["birth_on"]), "F", "女")
    assert school_age.is_school_age(number.birth_on, TODAY) and number.number[14:17] == "000"


def test_the_untouched_template_imports_nothing_and_says_why(db, county, template):
    before = Child.select().count()
    with pytest.raises(ValidationError) as caught:
        run(county.users["admin"], template)
    assert caught.value.errors == {"file": NO_CHILD}
    assert Child.select().count() == before


def replaced_example(template, tmp_path, name, **places):
    """The template with its example row's name (the first cell) and places replaced, every other cell as it is."""
    header, example = rows_of(template, "名册")
    example = dict(zip(roster_read.HEADERS, example, strict=True)) | {"name": name, **places}
    path = tmp_path / "edited.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("名册")
    day_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for column, value in enumerate(example.values()):
        sheet.write_string(0, column, header[column])
        if isinstance(value, date | datetime):
            sheet.write_datetime(1, column, datetime(value.year, value.month, value.day), day_format)
        else:
            sheet.write_string(1, column, str(value))
    workbook.close()
    return path


def test_only_its_first_cell_keeps_the_example_out(db, county, template, tmp_path):
    """The example is a whole valid row: with the county's places and any first cell but 示例…, it is a child."""
    places = {"township": "城关镇", "village": "东街社区", "school": "城关镇中心小学"}
    marked = replaced_example(template, tmp_path, "示例 张小红", **places)
    with pytest.raises(ValidationError):
        run(county.users["admin"], marked)
    kept = replaced_example(template, tmp_path, "张小红", **places)
    outcome = run(county.users["admin"], kept)
    assert outcome.counts["new"] == 1, outcome.rejections
    assert Child.get(Child.name == "张小红").id_number.endswith(rows_of(template, "名册")[1][2][-4:])


@pytest.mark.parametrize("write", ["csv", "xlsx"])
def test_rows_whose_first_cell_starts_with_the_example_mark_are_skipped_in_any_roster(db, county, tmp_path, write):
    rows = [roster_row(name=" 示例：李四"), roster_row(name="陈小明")]
    if write == "csv":
        path = write_csv(tmp_path / "roster.csv", rows, "utf-8")
    else:
        path = write_xlsxwriter(tmp_path / "roster.xlsx", rows)
    outcome = run(county.users["admin"], path)
    assert {kind: n for kind, n in outcome.counts.items() if n} == {"new": 1}
    assert not Child.select().where(Child.name.contains("李四")).exists()


def notes_table(template):
    rows = rows_of(template, "填写说明")
    top = next(i for i, row in enumerate(rows) if row[0] == "列名")
    assert rows[top] == ["列名", "填写内容", "是否必填", "列名的其他写法", "可填写的值"]
    return [row for row in rows[top + 1 :] if any(row)]


def listed(text):
    """The spellings a cell lists, apart by 、 (a closing remark in brackets left out)."""
    return [part for part in re.split(r"[、；：]", re.sub(r"（[^）]*）$", "", text)) if part]


def test_the_explanation_gives_each_column_what_it_holds_whether_needed_and_its_header_spellings(template):
    table = notes_table(template)
    assert table == roster_template.notes_rows()
    assert [row[0] for row in table] == [column.headers[0] for column in columns.in_roster()]
    for (heading, holds, needed, others, _values), column in zip(table, columns.in_roster(), strict=True):
        assert holds and needed, heading
        spellings = [] if others == "—" else others.split("、")
        assert spellings == list(column.headers[1:])
        assert all(roster_read.field_of(spelling) == column.key for spelling in spellings)
    assert {row[0]: row[2] for row in table}["姓名"] == "必填"


def test_the_explanation_lists_value_spellings_the_import_reads(template):
    values = {row[0]: row[4] for row in notes_table(template)}
    read = roster_cells_reader.readers(TODAY)
    assert [read["sex"](s) for s in listed(values["性别"])] == ["M", "M", "M", "F", "F", "F"]
    yes, no = values["是否建档立卡"].split("；")
    assert {read["flag"](s) for s in listed(yes)[1:]} == {True} and {read["flag"](s) for s in listed(no)[1:]} == {False}
    dates = values["出生日期"].split("写作 ")[1].split("、")
    assert {read["date"](s) for s in dates} == {date(2015, 9, 1)} and len(dates) == 5
    disabilities = listed(values["残疾类别"])
    assert [read["disability"](s) for s in disabilities] == list(roster_cells_reader.DISABILITIES.values())
    assert [read["grade"](s) for s in listed(values["年级"].split("或 ")[1])[:9]] == list(range(1, 10))
