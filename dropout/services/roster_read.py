"""Roster files: what kind of file an upload is, its sheets, which row and columns are the header, and
each cell read into the value the child form would hold; the template; uploads waiting for their commit.

Rows are read lazily, one sheet at a time (python-calamine for workbooks, csv for text), so the
import works through them in chunks; nothing here knows about the database.
"""
import codecs
import csv
import io
import itertools
import json
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from flask_babel import gettext as _
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from ..rules import id_number as idn
from ..rules.dates import parse_date
from . import ValidationError
from .children import MAX_NOTES, MAX_TEXT, id_number_message

# The columns a roster may have: field -> the header spellings seen in county files (the first is the
# template's). Headers are compared after normalise_header().
HEADERS = {
    "name": ("姓名", "学生姓名", "儿童姓名"),
    "sex": ("性别",),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "公民身份证号码", "身份证件号码"),
    "birth_on": ("出生日期", "出生年月日"),
    "ethnicity": ("民族",),
    "township": ("乡镇", "乡（镇）", "乡镇（街道）", "所属乡镇"),
    "village": ("村（社区）", "村", "社区", "村（居）", "村居", "所属村"),
    "group": ("村民小组", "组", "小组", "组别"),
    "address": ("家庭住址", "住址", "家庭地址", "现住址"),
    "guardian_name": ("监护人", "监护人姓名"),
    "guardian_relation": ("与学生关系", "与儿童关系", "监护关系"),
    "guardian_phone": ("联系电话", "监护人电话", "监护人联系电话", "电话"),
    "school": ("就读学校", "学校", "学校名称"),
    "grade": ("年级", "就读年级"),
    "student_number": ("学籍号", "全国学籍号"),
    "is_poor": ("是否建档立卡", "建档立卡", "建档立卡户", "是否建档立卡户", "脱贫户", "是否脱贫户", "监测户", "是否监测户"),
    "is_left_behind": ("留守儿童", "是否留守儿童", "留守"),
    "is_migrant": ("随迁/流动", "随迁", "流动", "随迁子女", "流动儿童", "是否随迁子女", "是否流动儿童"),
    "disability_category": ("残疾类别", "残疾类型"),
    "disability_grade": ("残疾等级",),
    "notes": ("备注",),
}
# Yes/no columns: several may feed one flag (脱贫户 and 监测户 both mean is_poor).
FLAG_FIELDS = ("is_poor", "is_left_behind", "is_migrant")
# Columns the template writes as text, so Excel keeps every digit.
TEXT_COLUMNS = ("id_number", "guardian_phone", "student_number")
HEADER_SCAN = 10  # title rows and a two-row header fit in the first ten rows
_TRAILING_NOTE = re.compile(r"\([^()]*\)$")


def normalise_header(text):
    """Full-width to half-width, no spaces or line breaks, no required-field asterisks."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(text.split()).strip("*")


_LOOKUP = {normalise_header(spelling): name for name, spellings in HEADERS.items() for spelling in spellings}


def field_of(header):
    """The field a header names, or None: 身份证号码 and 身份证号(必填) both give id_number."""
    text = normalise_header(header)
    found = _LOOKUP.get(text) or _LOOKUP.get(_TRAILING_NOTE.sub("", text))
    if found is None and len(text) > 1:
        fields = {_LOOKUP.get(part) for part in re.split(r"[/、]", text)} - {None}
        found = fields.pop() if len(fields) == 1 else None  # 是否建档立卡/脱贫户/监测户
    return found


@dataclass
class Sheet:
    """One sheet's header, and its data rows as (row number, cells), read lazily."""

    name: str
    columns: dict  # field -> column index, for every field but the flags
    flags: dict  # flag field -> [column index]
    headers: dict  # field -> the header as the file spells it
    ignored: list
    rows: object = field(repr=False)
    index: int = 0  # among the file's sheets with a header


def kind_of(path):
    """'xlsx', 'xls' or 'csv' from the file's first bytes (never its name); ValidationError otherwise."""
    with open(path, "rb") as file:
        head = file.read(8192)
    if not head.strip():
        raise ValidationError({"file": _("The file is empty.")})
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if b"\x00" in head:
        raise ValidationError({"file": not_a_spreadsheet()})
    return "csv"


def not_a_spreadsheet():
    return _("This file is not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file.")


def csv_encoding(path):
    """'utf-8-sig' when the whole file decodes as UTF-8 (with or without BOM), else 'gb18030'."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as file:
        try:
            for block in iter(lambda: file.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _csv_rows(path):
    with open(path, encoding=csv_encoding(path), errors="replace", newline="") as file:
        yield from enumerate(csv.reader(file), start=1)


def _workbook_sheets(path):
    """(name, numbered rows) of each visible worksheet; calamine reads one sheet at a time."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = [meta.name for meta in workbook.sheets_metadata
                 if meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible]
    except CalamineError:
        raise ValidationError({"file": not_a_spreadsheet()}) from None
    for name in names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except CalamineError:
            raise ValidationError({"file": not_a_spreadsheet()}) from None
        # iter_rows() starts at the sheet's first row, blank rows above the data included.
        yield name, enumerate(sheet.iter_rows(), start=1)


def _recognise(cells):
    """{column: (field, header)} for the cells of a row that are known headers."""
    found = {}
    for column, cell in enumerate(cells):
        name = field_of(cell) if isinstance(cell, str) else None
        if name is not None:
            found[column] = (name, cell.strip())
    return found


def _has_content(rows):
    return any(str(cell).strip() for _, cells in rows for cell in cells if cell is not None)


def _header(name, rows):
    """The Sheet whose header is the row, among the first ones, naming the most fields; None without one.

    A header split over two rows (a merged 监护人信息 above 监护人 / 与学生关系 / 联系电话) takes the
    missing columns from the row below or above it."""
    head = list(itertools.islice(rows, HEADER_SCAN))
    if not head:
        return None
    found = [_recognise(cells) for _, cells in head]
    best = max(range(len(head)), key=lambda i: (len({f for f, _h in found[i].values()}), -i))
    mapping = dict(found[best])
    fields = {f for f, _h in mapping.values()}
    if len(fields) < 2 or not fields & {"name", "id_number"}:
        return None
    last = best
    for near in (best - 1, best + 1):
        if 0 <= near < len(head):
            extra = {c: fh for c, fh in found[near].items() if c not in mapping and fh[0] not in fields}
            if extra:
                mapping.update(extra)
                last = max(last, near)
    columns, flags, headers, ignored = {}, {}, {}, []
    labels = dict(enumerate(head[best][1]))
    for column in sorted(set(labels) | set(mapping)):
        if column not in mapping:
            text = str(labels.get(column) or "").strip()
            if text:
                ignored.append(text)
            continue
        field_, header = mapping[column]
        if field_ in FLAG_FIELDS:
            flags.setdefault(field_, []).append(column)
            headers.setdefault(field_, header)
        elif field_ in columns:
            ignored.append(header)  # a second column for the same field: the first one counts
        else:
            columns[field_], headers[field_] = column, header
    return Sheet(name, columns, flags, headers, ignored, itertools.chain(head[last + 1:], rows))


def sheets(path, csv_name="CSV"):
    """Yield (name, Sheet or None when it has no header, whether it has content) for each sheet, one at
    a time: read a sheet's rows before asking for the next. ValidationError for a file that is empty
    or not a spreadsheet."""
    kind = kind_of(path)
    raw = [(csv_name, _csv_rows(path))] if kind == "csv" else _workbook_sheets(path)
    for name, rows in raw:
        rows = iter(rows)
        head = list(itertools.islice(rows, HEADER_SCAN))
        sheet = _header(name, itertools.chain(head, rows))
        yield name, sheet, sheet is not None or _has_content(head) or _has_content(rows)


def template_bytes():
    """The roster template: the headers, with the ID number, phone and student number columns as text."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("名册")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for column, (name, spellings) in enumerate(HEADERS.items()):
        sheet.write_string(0, column, spellings[0], bold)
        width = 20 if name in ("id_number", "address", "school", "student_number") else 12
        sheet.set_column(column, column, width, text if name in TEXT_COLUMNS else day if name == "birth_on" else None)
        if name == "sex":
            sheet.data_validation(1, column, 100000, column, {"validate": "list", "source": ["男", "女"]})
        elif name in FLAG_FIELDS:
            sheet.data_validation(1, column, 100000, column, {"validate": "list", "source": ["是", "否"]})
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


# Cells to values. Each reader takes a non-blank cell as calamine or csv gives it (str, float, bool,
# date, datetime) and returns the value the child form would hold, or raises CellError.
class CellError(ValueError):
    """A cell that cannot be read; args[0] is the message for the user."""


_NUMERIC_TEXT = re.compile(r"^[0-9.]+[eE][+-]?[0-9]+$")  # 5.13401201503e+17: a number Excel shortened
_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")  # as the child form
_WITH_TIME = re.compile(r"^(\S+)\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
NUMERALS = dict(zip("一二三四五六七八九", range(1, 10)))
_DIGITS = {str(n): n for n in range(10)}
YES_NO = {**dict.fromkeys(("是", "√", "✓", "✔", "1", "Y", "YES", "TRUE", "有"), True),
          **dict.fromkeys(("否", "×", "✗", "✘", "0", "N", "NO", "FALSE", "无", "不是"), False)}
SEXES = {"男": "M", "男性": "M", "M": "M", "女": "F", "女性": "F", "F": "F"}
DISABILITIES = {"视力": "visual", "听力": "hearing", "言语": "speech", "智力": "intellectual", "肢体": "physical",
                "精神": "mental", "多重": "multiple"}


def sex_message():
    return _("Write 男 or 女.")


def number_cell_message():
    return _("Excel stored this cell as a number and has lost its last digits: format the column as text "
             "and type the numbers again.")


def no_header_message():
    return _("No header row found: one of the first rows should name the columns, such as 姓名 and 身份证号. "
             "The template shows them all.")


def _text(cell, limit=MAX_TEXT):
    if cell.__class__ is not str:  # 3.0 typed into a text column (门牌号, 组) means "3"
        cell = str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell)
    if len(cell) > limit:
        raise CellError(_("Too long: at most %(n)d characters.", n=limit))
    if "\x00" in cell:  # Excel's _x0000_, or a NUL deep in a CSV: PostgreSQL refuses it in any text
        raise CellError(_("The cell contains a NUL character, which no field accepts."))
    return cell


def _digits(cell):
    """A phone or student number: a number cell only while Excel kept every digit (15 of them)."""
    if isinstance(cell, float):
        if cell.is_integer() and abs(cell) < 1e15:
            return str(int(cell))
        raise CellError(number_cell_message())
    text = _text(cell)
    if _NUMERIC_TEXT.match(text):
        raise CellError(number_cell_message())
    return text


def _phone(cell):
    if cell.__class__ is str and cell.isascii() and cell.isdigit() and 5 <= len(cell) <= 20:
        return cell  # the usual 13812345678, without the checks below
    text = _digits(cell)
    if not _PHONE.match(text):
        raise CellError(_("Not a phone number."))
    return text


def _id_reader(today):
    def read(cell):
        """An IdNumber; never a number cell: Excel keeps 15 digits of the 18, and no one may guess the rest."""
        if cell.__class__ is not str or _NUMERIC_TEXT.match(cell):
            raise CellError(number_cell_message())
        try:
            return idn.parse(cell, today)
        except idn.IdNumberError as exc:
            raise CellError(id_number_message(exc.code)) from None

    return read


def _date(cell):
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    if len(text) == 10 and text[4] == text[7] == "-" and text.isascii():
        try:
            return date.fromisoformat(text)  # 2015-09-01, the usual spelling, without the regular expressions
        except ValueError:
            pass
    match = _WITH_TIME.match(text)
    try:
        return parse_date(match.group(1) if match else text)
    except ValueError:
        raise CellError(_("Not a date; write it like 2015-09-01.")) from None


def _sex(cell):
    code = SEXES.get(cell) or SEXES.get(_text(cell).upper())
    if code is None:
        raise CellError(sex_message())
    return code


def _small_number(text):
    """5, 5.0, 五, 五年级, 初二 (8), 3级 as an int, or None."""
    if text in _DIGITS:
        return _DIGITS[text]
    text = text.removesuffix("年级").removesuffix("级").removeprefix("小学")
    if text.startswith("初") and len(text) == 2 and text[1] in NUMERALS:
        return NUMERALS[text[1]] + 6
    if text in NUMERALS:
        return NUMERALS[text]
    return int(text) if text.isascii() and text.isdigit() else None


def _grade(cell):
    value = _small_number(_text(cell))
    if value is None:
        raise CellError(_("Not a number: %(value)s", value=_text(cell)[:20]))
    if not 1 <= value <= 9:
        raise CellError(_("The grade is between 1 and 9."))
    return value


def _disability_grade(cell):
    value = _small_number(_text(cell))
    if value is None or not 1 <= value <= 4:
        raise CellError(_("The disability grade is between 1 and 4."))
    return value


def _disability(cell):
    text = _text(cell).removesuffix("类").removesuffix("残疾")
    code = DISABILITIES.get(text)
    if code is None:
        raise CellError(_("Unknown disability category."))
    return code


def _flag(cell):
    if isinstance(cell, bool):
        return cell
    value = YES_NO.get(_text(cell).upper())
    if value is None:
        raise CellError(_("Write 是 or 否."))
    return value


def converters(today):
    """field -> reader of a non-blank cell; None for plain text (read in read_row, without a call)."""
    return {
        "name": None, "sex": _sex, "id_number": _id_reader(today), "birth_on": _date, "ethnicity": None,
        "township": None, "village": None, "group": None, "address": None, "guardian_name": None,
        "guardian_relation": None, "guardian_phone": _phone, "school": None, "grade": _grade,
        "student_number": _digits, "disability_category": _disability, "disability_grade": _disability_grade,
        "notes": lambda cell: _text(cell, MAX_NOTES),
    }


def read_row(plan, flags, cells):
    """(values, errors) of one row: plan is [(field, column, reader)], flags {field: [column]}.
    Blank cells give no value, so an update leaves what is registered."""
    values, errors = {}, {}
    width = len(cells)
    for name, column, read in plan:  # the hot loop of an import: 20 cells a row, a million rows
        cell = cells[column] if column < width else None
        if cell.__class__ is str:
            cell = cell.strip()
            if not cell:
                continue
            if read is None and len(cell) <= MAX_TEXT and "\x00" not in cell:
                values[name] = cell
                continue
        elif cell is None:
            continue
        try:
            values[name] = (read or _text)(cell)
        except CellError as exc:
            errors[name] = exc.args[0]
    for name, columns in flags.items():
        found = set()
        for column in columns:
            cell = cells[column] if column < width else None
            if cell in YES_NO:
                found.add(YES_NO[cell])
            elif cell is not None and (cell.__class__ is not str or cell.strip()):
                try:
                    found.add(_flag(cell.strip() if cell.__class__ is str else cell))
                except CellError as exc:
                    errors[name] = exc.args[0]
        if found:
            values[name] = True in found  # 脱贫户 否, 监测户 是: poor
    return values, errors


# An upload waits between its preview and its commit as <uploads>/imports/<token>.<kind>, beside
# <token>.json: who uploaded it, its name, and what the preview found. Never in the session cookie.
IMPORTS_FOLDER = "imports"
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def store_upload(stream, uploads_dir, user_id, file_name, max_bytes):
    """Save an uploaded roster, checked by content; return (token, note). ValidationError when it is
    too large, empty or not a spreadsheet (nothing is kept then)."""
    folder = Path(uploads_dir) / IMPORTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder)
    token = uuid.uuid4().hex
    partial = folder / f"{token}.part"
    try:
        size = 0
        with partial.open("wb") as out:
            while block := stream.read(1 << 20):
                size += len(block)
                if size > max_bytes:
                    raise ValidationError({"file": too_large_message(max_bytes)})
                out.write(block)
        kind = kind_of(partial)
    except ValidationError:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(folder / f"{token}.{kind}")
    note = {"user": user_id, "file": Path(file_name or "").name, "kind": kind}
    save_note(uploads_dir, token, note)
    return token, note


def too_large_message(max_bytes):
    return _("The file is larger than %(mb)d MB: split it into several files.", mb=max_bytes // (1024 * 1024))


def _remove_stale(folder):
    """Uploads previewed but never confirmed go after a day."""
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def save_note(uploads_dir, token, note):
    path = Path(uploads_dir) / IMPORTS_FOLDER / f"{token}.json"
    path.write_text(json.dumps(note, ensure_ascii=False, default=str), encoding="utf-8")


def load_note(uploads_dir, token, user_id):
    """The note of an upload by this user, or None (another user's upload is as good as missing)."""
    path = Path(uploads_dir) / IMPORTS_FOLDER / f"{token}.json"
    if not _TOKEN.match(token) or not path.is_file():
        return None
    note = json.loads(path.read_text(encoding="utf-8"))
    return note if note.get("user") == user_id else None


def upload_path(uploads_dir, token, note):
    return Path(uploads_dir) / IMPORTS_FOLDER / f"{token}.{note['kind']}"


def discard_upload(uploads_dir, token, note, with_note=False):
    """Remove the spreadsheet once committed (the note stays for the result page), or both when refused."""
    upload_path(uploads_dir, token, note).unlink(missing_ok=True)
    if with_note:
        (Path(uploads_dir) / IMPORTS_FOLDER / f"{token}.json").unlink(missing_ok=True)
