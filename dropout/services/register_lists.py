"""比对's uploaded lists: a 户籍 (household) or 学籍 (student registry) file read into rows of a name, an ID
number or birth date, and what else the list says of the child.

The whole file is read at once (lists are a township's or a county's, not a million rows): a workbook's
every sheet, or a CSV in UTF-8, GB18030 or Excel's UTF-16 "Unicode text", comma or tab separated. The
header is the first of the top rows to name 姓名 and an ID number or birth-date column, in the first sheet
that has one. Rows that cannot be used are kept with the reason; nothing here knows about the database.
"""
import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask_babel import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from ..rules import id_number as idn
from ..rules.dates import parse_date
from . import ValidationError
from .children import id_number_message
from .register_files import HEADER_SCAN, header_lookup, normalise_header, text_encoding

HEADERS = {
    "name": ("姓名", "学生姓名", "儿童姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证件号", "身份证件号码"),
    "birth_on": ("出生日期", "出生年月日"),
    "sex": ("性别",),
    "guardian": ("监护人", "监护人姓名", "户主", "户主姓名"),
    "village": ("村", "社区", "村(社区)", "所在村"),
    "school": ("学校", "就读学校", "学校名称"),
    "status": ("学籍状态", "在籍状态"),
}
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


@dataclass
class UploadedList:
    """One list as read: the usable rows, and the line and reason of each row left out."""

    kind: str
    filename: str
    rows: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # [(line, message)]


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
        if "name" in columns and ("id_number" in columns or "birth_on" in columns):
            return index, columns
    return None


def _sheets(path, suffix):
    """Each sheet's rows as lists of cells (CSV: one sheet); ValidationError when unreadable."""
    data = Path(path).read_bytes()
    if suffix == ".csv":
        return [_csv_rows(data)]
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [list(workbook.get_sheet_by_index(i).iter_rows()) for i in range(len(workbook.sheet_names))]
    except (CalamineError, ValueError, OSError):
        raise ValidationError({"file": _not_a_spreadsheet()}) from None


def _not_a_spreadsheet():
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
        raise ValidationError({"file": _not_a_spreadsheet()})
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _cell(row, columns, key):
    column = columns.get(key)
    return row[column] if column is not None and column < len(row) else ""


def _birth(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(cell_text(value))


def _row(line, row, columns, today):
    """A ListRow, or the reason the row cannot be used (a message)."""
    name = cell_text(_cell(row, columns, "name"))
    if not name:
        return _("No name.")
    raw_id = _cell(row, columns, "id_number")
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
        return problem or _("No valid ID number and no birth date.")
    values = {key: cell_text(_cell(row, columns, key)) for key in ("sex", "guardian", "village", "school", "status")}
    return ListRow(line, name, number, birth_on, **values)


def read_list(path, kind, filename, today):
    """Read an uploaded register file; ValidationError for an empty or unrecognisable file."""
    suffix = Path(path).suffix
    sheets = _sheets(path, suffix)
    if not any(any(cell_text(cell) for cell in row) for rows in sheets for row in rows):
        raise ValidationError({"file": _("The file is empty.")})
    for rows in sheets:
        header = _find_header(rows)
        if header is not None:
            break
    else:
        raise ValidationError({"file": _(
            "No header row found in the first 10 rows: the list needs a 姓名 column "
            "and a 身份证号 or 出生日期 column."
        )})
    start, columns = header
    result = UploadedList(kind, filename)
    for index in range(start + 1, len(rows)):
        row = rows[index]
        if not any(cell_text(cell) for cell in row):
            continue
        parsed = _row(index + 1, row, columns, today)
        if isinstance(parsed, ListRow):
            result.rows.append(parsed)
        else:
            result.skipped.append((index + 1, parsed))
    return result
