"""The roster template (/imports/template.xlsx): the header row and a fictional example row on the sheet 名册, and
the sheet 填写说明 explaining each column: what it holds, whether it is needed, and the header and value spellings
the import recognises, written from the import's own tables (children/columns.py, roster/cells.py) so they never
drift from what it reads. The import skips the example row and the explanation sheet (roster/read.py).

The template is in Chinese whatever the interface's language, as the county's rosters are.
"""

import io
from datetime import date, datetime

import xlsxwriter

from .. import clock
from ..children import columns
from ..children.records import MAX_NOTES, MAX_TEXT
from ..rules import id_number as idn
from ..rules import school_age
from .cells import DISABILITIES, NUMERALS, SEXES, YES_NO
from .read import EXAMPLE, FLAG_FIELDS, HEADERS, NOTES_SHEET

ROWS = 100000  # the rows the drop-down lists (男/女, 是/否) reach
# Columns written as text, so Excel keeps every digit; and those formatted as dates.
TEXT_COLUMNS = tuple(column.key for column in columns.in_roster() if column.cell in ("id_number", "phone", "digits"))
DATE_COLUMNS = tuple(column.key for column in columns.in_roster() if column.cell == "date")
WIDE_COLUMNS = ("id_number", "address", "school", "student_number")  # 20 characters wide, the others 12
# The spellings of a date the import reads (roster/cells.py _date, through rules.dates.parse_date), one day.
DATE_SPELLINGS = ("2015-09-01", "2015/9/1", "2015.9.1", "20150901", "2015年9月1日")

# What each column holds, and whether it is needed (the import's checks: roster/imports.py _check, places.py).
ABOUT = {
    "name": ("儿童的姓名", "必填"),
    "sex": ("性别；留空时按身份证号", "无身份证号时必填"),
    "id_number": ("儿童的公民身份号码，同一身份证号的儿童已登记时更新其信息", "选填；无身份证号时须填出生日期和性别"),
    "birth_on": ("出生日期；须在义务教育适龄范围内，与身份证号一致，留空时按身份证号", "无身份证号时必填"),
    "ethnicity": ("民族", "选填"),
    "township": ("居住地所在乡镇，与本系统“乡镇村校”中的名称一致", "村（社区）名称在全县重名时必填"),
    "village": ("居住地所在村（社区），与本系统“乡镇村校”中的名称一致", "必填"),
    "group": ("村民小组", "选填"),
    "address": ("家庭住址", "选填"),
    "guardian_name": ("第一监护人的姓名", "填写监护人信息时必填"),
    "guardian_relation": ("监护人与儿童的关系，如 父亲、母亲、祖父", "选填"),
    "guardian_phone": ("监护人的联系电话", "选填"),
    "school": ("就读学校，与本系统“乡镇村校”中的名称一致；未入学留空", "选填"),
    "grade": ("就读年级", "选填"),
    "student_number": ("全国学籍号", "选填"),
    "is_poor": ("是否建档立卡户（脱贫户、监测户）", "选填；留空为否"),
    "is_left_behind": ("是否留守儿童", "选填；留空为否"),
    "is_migrant": ("是否随迁子女或流动儿童", "选填；留空为否"),
    "disability_category": ("残疾类别；无残疾留空", "选填"),
    "disability_grade": ("残疾等级", "选填；须先填残疾类别"),
    "notes": ("备注", "选填"),
    "registered_on": ("在册日期：儿童计入本系统名册的日期", "选填；留空为导入时所填的变动日期"),
}


def _joined(spellings):
    return "、".join(spellings)


def _yes_no():
    yes = [s for s, value in YES_NO.items() if value]
    no = [s for s, value in YES_NO.items() if not value]
    return f"是：{_joined(yes)}；否：{_joined(no)}（不分大小写）"


# The values a cell may hold, by how the import reads it (columns.Column.cell).
VALUES = {
    "text": lambda: f"文字，最多 {MAX_TEXT} 字",
    "notes": lambda: f"文字，最多 {MAX_NOTES} 字",
    "sex": lambda: _joined(SEXES),
    "id_number": lambda: "18 位，最后一位可以是 X；请把此列设为文本格式，以免 Excel 丢失末几位",
    "date": lambda: "Excel 的日期，或写作 " + _joined(DATE_SPELLINGS),
    "phone": lambda: "数字，可含 +、-、括号和空格，5 至 20 位",
    "digits": lambda: "数字或字母，请按文本填写",
    "grade": lambda: f"1 至 9，或 {_joined(NUMERALS)}、五年级、小学五年级、初一至初三（即 7 至 9）",
    "disability": lambda: f"{_joined(DISABILITIES)}（也可写作 视力残疾、视力类）",
    "disability_grade": lambda: "1 至 4，或 一级至四级",
    "flag": _yes_no,
}


def example_row(today):
    """{column key: value} of the fictional example: a child of nine this school year, whose ID number passes
    every check (its sequence 000 is given to no one); its first cell marks it 示例, so the import skips it."""
    year = school_age.school_year(today)
    born = date(year - 9, 3, 1)
    number = idn.make("110101", born, 0)
    return {
        "name": f"{EXAMPLE}：张小红",
        "sex": "女",
        "id_number": number,
        "birth_on": born,
        "ethnicity": "汉族",
        "township": "××镇",
        "village": "××村",
        "group": "3组",
        "address": "××村3组12号",
        "guardian_name": "张大山",
        "guardian_relation": "父亲",
        "guardian_phone": "13800000000",
        "school": "××镇中心小学",
        "grade": "4",
        "student_number": f"G{number}",
        "is_poor": "否",
        "is_left_behind": "是",
        "is_migrant": "否",
        "disability_category": "",
        "disability_grade": "",
        "notes": f"{EXAMPLE}行：导入时跳过，可以删除",
        "registered_on": date(year, 9, 1),
    }


def notes_rows():
    """The 填写说明 table: [列名, 填写内容, 是否必填, 列名的其他写法, 可填写的值] per roster column, in order."""
    rows = []
    for column in columns.in_roster():
        about, needed = ABOUT[column.key]
        rows.append([column.headers[0], about, needed, _joined(column.headers[1:]) or "—", VALUES[column.cell]()])
    return rows


NOTES_INTRO = (
    "每行填写一名儿童，表头在第一行，列的顺序不限，不需要的列可以删除。",
    f"第二行是{EXAMPLE}：第一格以“{EXAMPLE}”开头的行导入时跳过，可以保留，也可以删除。",
    "身份证号、联系电话、学籍号三列已设为文本格式，请保持，以免 Excel 丢失位数。",
    "表头可以用下表“列名的其他写法”中的任何一种。",
)


def template_bytes(today=None):
    """The roster template as .xlsx bytes (today, county time: the example child's age)."""
    today = today or clock.today()
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    _roster_sheet(workbook, example_row(today))
    _notes_sheet(workbook)
    workbook.close()
    return buffer.getvalue()


def _roster_sheet(workbook, example):
    sheet = workbook.add_worksheet("名册")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sample = {"italic": True, "font_color": "#7F7F7F"}
    sample_text = workbook.add_format({**sample, "num_format": "@"})
    sample_day = workbook.add_format({**sample, "num_format": "yyyy-mm-dd"})
    for column, (name, spellings) in enumerate(HEADERS.items()):
        sheet.write_string(0, column, spellings[0], bold)
        width = 20 if name in WIDE_COLUMNS else 12
        sheet.set_column(column, column, width, text if name in TEXT_COLUMNS else day if name in DATE_COLUMNS else None)
        value = example[name]
        if isinstance(value, date):
            sheet.write_datetime(1, column, datetime(value.year, value.month, value.day), sample_day)
        else:
            sheet.write_string(1, column, value, sample_text)
        if name == "sex":
            sheet.data_validation(1, column, ROWS, column, {"validate": "list", "source": ["男", "女"]})
        elif name in FLAG_FIELDS:
            sheet.data_validation(1, column, ROWS, column, {"validate": "list", "source": ["是", "否"]})
    sheet.freeze_panes(1, 0)


def _notes_sheet(workbook):
    sheet = workbook.add_worksheet(NOTES_SHEET)
    title = workbook.add_format({"bold": True, "font_size": 14})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    cell = workbook.add_format({"text_wrap": True, "valign": "top", "border": 1})
    sheet.write_string(0, 0, "名册填写说明", title)
    for row, line in enumerate(NOTES_INTRO, start=1):
        sheet.write_string(row, 0, line)
    top = len(NOTES_INTRO) + 2
    for column, (heading, width) in enumerate(
        (("列名", 14), ("填写内容", 36), ("是否必填", 22), ("列名的其他写法", 36), ("可填写的值", 44))
    ):
        sheet.write_string(top, column, heading, bold)
        sheet.set_column(column, column, width)
    for row, values in enumerate(notes_rows(), start=top + 1):
        for column, value in enumerate(values):
            sheet.write_string(row, column, value, cell)
