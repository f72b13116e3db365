"""比对's uploaded lists: a 户籍 (household), 学籍 (student registry) or 残联 (disability federation) file read
into rows of a name, an ID number or birth date, and what else the list says of the child.

The whole file is read at once (lists are a township's or a county's, not a million rows): a workbook's
every sheet, or a CSV in UTF-8, GB18030 or Excel's UTF-16 "Unicode text", comma or tab separated. The
header is the first of the top rows to name 姓名 and an ID number or birth-date column, in the first sheet
that has one. Rows that cannot be used are kept with the reason, and rows used in spite of a broken cell
with a note; nothing here knows about the database.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask_babel import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from ..children.records import id_number_message
from ..choices import THREE_DISABILITY_CATEGORIES
from ..core.errors import ValidationError
from ..rules import id_number as idn
from ..rules.dates import parse_date
from . import limits as workbook_limits
from .cells import DISABILITIES
from .files import HEADER_SCAN, header_lookup, normalise_header, text_encoding

HEADERS = {
    "name": ("姓名", "学生姓名", "儿童姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证件号", "身份证件号码"),
    "birth_on": ("出生日期", "出生年月日"),
    "sex": ("性别",),
    "guardian": ("监护人", "监护人姓名", "户主", "户主姓名"),
    "village": ("村", "社区", "村(社区)", "所在村"),
    "school": ("学校", "就读学校", "学校名称"),
    "status": ("学籍状态", "在籍状态"),
    "address": ("住址", "地址", "户籍地址", "家庭住址", "现住址", "居住地址"),
    "disability": ("残疾类别", "残疾类型", "残疾种类"),
    "disability_grade": ("残疾等级", "残疾级别"),
    "certificate": ("残疾证号", "残疾证号码", "残疾人证号", "残疾人证号码"),
}
# The 残联's words for the categories, as the roster reads them; 听力语言 is the combined category of the
# older certificates, read as hearing (it counts among the three categories either way).
DISABILITY_WORDS = {**DISABILITIES, "听力语言": "hearing", "听力言语": "hearing", "语言": "speech"}
# A 残疾人证 number is the holder's ID number followed by a category digit and a grade digit.
CERTIFICATE_CATEGORIES = {
    "1": "visual",
    "2": "hearing",
    "3": "speech",
    "4": "physical",
    "5": "intellectual",
    "6": "mental",
    "7": "multiple",
}
GRADE_WORDS = {"1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4, "I": 1, "II": 2, "III": 3, "IV": 4}
_HEADER_KEYS = header_lookup(HEADERS)


@dataclass
class ListRow:
    """One usable row of an uploaded list; `line` is its row number in the sheet."""

    line: int
    name: str
    id_number: str | None
    birth_on: date
    sex: str = ""
    guardian: str = ""
    village: str = ""
    school: str = ""
    status: str = ""
    address: str = ""
    disability_text: str = ""  # the category as the list words it
    disability: str | None = None  # its register code, None when blank or not understood
    disability_grade: int | None = None

    @property
    def is_three_category(self):
        """Visual, hearing, speech or intellectual: a child the 三类残疾 enrolment rate counts."""
        return self.disability in THREE_DISABILITY_CATEGORIES


@dataclass
class UploadedList:
    """One list as read: the usable rows, and the line and reason of each row left out."""

    kind: str
    filename: str
    rows: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # [(line, message)]
    notes: list = field(default_factory=list)  # [(line, message)]: rows used, a cell of them ignored


def cell_text(value):
    """A cell as trimmed NFKC text, 3.0 as "3", "" for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # A NUL (Excel's _x0000_, UTF-16 text) is invisible and PostgreSQL refuses it in a query: dropped.
    return unicodedata.normalize("NFKC", str(value)).replace("\x00", "").strip()


def _header_key(cell):
    return _HEADER_KEYS.get(normalise_header(cell_text(cell)))


def _find_header(rows):
    """(index, {key: column}) of the first row naming 姓名 and an ID or birth-date column."""
    for index, row in enumerate(rows[:HEADER_SCAN]):
        columns = {}
        for column, cell in enumerate(row):
            key = _header_key(cell)
            if key and key not in columns:
                columns[key] = column
        if "name" in columns and ({"id_number", "birth_on", "certificate"} & set(columns)):
            return index, columns
    return None


def _sheets(path, suffix, limits=None):
    """Each sheet's rows as lists of cells (CSV: one sheet); ValidationError when unreadable or past the
    limits workbook_limits checks before anything is read."""
    workbook_limits.check(path, limits, unreadable=not_a_spreadsheet)
    data = Path(path).read_bytes()
    if suffix == ".csv":
        return [_csv_rows(data)]
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [list(workbook.get_sheet_by_index(i).iter_rows()) for i in range(len(workbook.sheet_names))]
    except (CalamineError, ValueError, OSError):
        raise ValidationError({"file": not_a_spreadsheet()}) from None


def not_a_spreadsheet():
    return _("This file is not a spreadsheet: upload an .xlsx, .xls or .csv file.")


def _decode(data):
    """Text of a CSV file: UTF-8, GB18030, or Excel's UTF-16 "Unicode text"; None for binary."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    elif b"\x00" in data:
        return None
    else:
        encoding = text_encoding((data,))
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _csv_rows(data):
    text = _decode(data)
    if text is None:
        raise ValidationError({"file": not_a_spreadsheet()})
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:  # a cell past csv's field limit (a quote never closed, or hostile)
        raise ValidationError({"file": workbook_limits.csv_unreadable()}) from None


def _cell(row, columns, key):
    column = columns.get(key)
    return row[column] if column is not None and column < len(row) else ""


def _birth(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(cell_text(value))


def disability_code(text):
    """The register code of a list's disability category (视力残疾, 智力, 肢体类…), None when not understood."""
    text = "".join(cell_text(text).split()).removesuffix("类").removesuffix("残疾")
    return DISABILITY_WORDS.get(text)


def disability_grade(text):
    """1–4 from a list's disability grade (一级, 2级, 3, IV), None when not understood."""
    text = "".join(cell_text(text).split()).upper().removeprefix("第").removesuffix("级")
    return GRADE_WORDS.get(text)


def _disability(row, columns, values, certificate):
    """The row's category and grade, from their columns or else the 残疾人证 number; notes on what was ignored."""
    notes = []
    text = values["disability_text"] = cell_text(_cell(row, columns, "disability"))
    if text:
        values["disability"] = disability_code(text)
        if values["disability"] is None:
            notes.append(_("Unknown disability category: %(value)s", value=text[:20]))
    elif len(certificate) == 20:
        values["disability"] = CERTIFICATE_CATEGORIES.get(certificate[18])
    grade = cell_text(_cell(row, columns, "disability_grade"))
    if grade:
        values["disability_grade"] = disability_grade(grade)
        if values["disability_grade"] is None:
            notes.append(_("The disability grade is between 1 and 4."))
    elif len(certificate) == 20:
        values["disability_grade"] = GRADE_WORDS.get(certificate[19])
    return notes


def _row(line, row, columns, today):
    """(a ListRow, or the reason the row cannot be used; notes on the cells of a usable row that were ignored)."""
    name = cell_text(_cell(row, columns, "name"))
    if not name:
        return _("No name."), []
    raw_id, raw_certificate = _cell(row, columns, "id_number"), _cell(row, columns, "certificate")
    certificate = "" if isinstance(raw_certificate, (int, float)) else idn.normalise(cell_text(raw_certificate))
    if not cell_text(raw_id):  # no ID number: the certificate's first 18 characters are one
        raw_id = raw_certificate if isinstance(raw_certificate, (int, float)) else certificate[:18]
    number = idn.normalise(cell_text(raw_id)) or None
    parsed, problem = None, None
    if isinstance(raw_id, (int, float)) and number:
        # Excel kept the ID as a number and lost its last digits: never guess it back.
        number, problem = None, _("The ID number was stored as a number and has lost digits.")
    elif number:
        try:
            parsed = idn.parse(number, today)
        except idn.IdNumberError as exc:
            number, problem = None, id_number_message(exc.code)
    try:
        birth_on = _birth(_cell(row, columns, "birth_on"))
    except ValueError:
        birth_on = None
    birth_on = parsed.birth_on if parsed is not None else birth_on
    if birth_on is None:
        return problem or _("No valid ID number and no birth date."), []
    values = {
        key: cell_text(_cell(row, columns, key))
        for key in ("sex", "guardian", "village", "school", "status", "address")
    }
    notes = [_("ID number ignored, matched on name and birth date: %(reason)s", reason=problem)] if problem else []
    notes += _disability(row, columns, values, certificate)
    return ListRow(line, name, number, birth_on, **values), notes


def read_list(path, kind, filename, today, limits=None):
    """Read an uploaded register file; ValidationError for an empty or unrecognisable file."""
    suffix = Path(path).suffix
    sheets = _sheets(path, suffix, limits)
    if not any(any(cell_text(cell) for cell in row) for rows in sheets for row in rows):
        raise ValidationError({"file": _("The file is empty.")})
    for rows in sheets:
        header = _find_header(rows)
        if header is not None:
            break
    else:
        raise ValidationError(
            {
                "file": _(
                    "No header row found in the first 10 rows: the list needs a 姓名 column "
                    "and a 身份证号 or 出生日期 column."
                )
            }
        )
    start, columns = header
    if kind == "disability" and not {"disability", "certificate"} & set(columns):
        raise ValidationError(
            {"file": _("No 残疾类别 column: a disability federation (残联) list needs a 残疾类别 or 残疾证号 column.")}
        )
    result = UploadedList(kind, filename)
    for index in range(start + 1, len(rows)):
        row = rows[index]
        if not any(cell_text(cell) for cell in row):
            continue
        parsed, notes = _row(index + 1, row, columns, today)
        if isinstance(parsed, ListRow):
            result.rows.append(parsed)
            result.notes.extend((index + 1, note) for note in notes)
        else:
            result.skipped.append((index + 1, parsed))
    return result
