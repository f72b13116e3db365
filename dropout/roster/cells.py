"""Roster cells: each non-blank cell of a roster row, as calamine or csv gives it (str, float, bool, date,
datetime), read into the value the child form would hold, or the reason it cannot be, per column.

read_row() is the hot loop of an import (twenty cells a row, a million rows): plain text is taken without
a call, and every reader is looked up once per sheet (converters()).
"""

import re
from datetime import date, datetime

from flask_babel import gettext as _

from ..children import columns
from ..children.records import MAX_NOTES, MAX_TEXT, id_number_message
from ..rules import id_number as idn
from ..rules.dates import parse_date


class CellError(ValueError):
    """A cell that cannot be read; args[0] is the message for the user."""


_NUMERIC_TEXT = re.compile(r"^[0-9.]+[eE][+-]?[0-9]+$")  # 5.13401201503e+17: a number Excel shortened
_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")  # as the child form
_WITH_TIME = re.compile(r"^(\S+)\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
NUMERALS = dict(zip("一二三四五六七八九", range(1, 10), strict=True))
_DIGITS = {str(n): n for n in range(10)}
YES_NO = {
    **dict.fromkeys(("是", "√", "✓", "✔", "1", "Y", "YES", "TRUE", "有"), True),
    **dict.fromkeys(("否", "×", "✗", "✘", "0", "N", "NO", "FALSE", "无", "不是"), False),
}
SEXES = {"男": "M", "男性": "M", "M": "M", "女": "F", "女性": "F", "F": "F"}
DISABILITIES = {
    "视力": "visual",
    "听力": "hearing",
    "言语": "speech",
    "智力": "intellectual",
    "肢体": "physical",
    "精神": "mental",
    "多重": "multiple",
}


def sex_message():
    return _("Write 男 or 女.")


def number_cell_message():
    return _(
        "Excel stored this cell as a number and has lost its last digits: format the column as text "
        "and type the numbers again."
    )


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


def readers(today):
    """How each kind of cell (children/columns.py: Column.cell) is read: a reader of a non-blank cell, or
    None for plain text (read in read_row, without a call)."""
    return {
        "text": None,
        "notes": lambda cell: _text(cell, MAX_NOTES),
        "sex": _sex,
        "id_number": _id_reader(today),
        "date": _date,
        "phone": _phone,
        "digits": _digits,
        "grade": _grade,
        "disability": _disability,
        "disability_grade": _disability_grade,
        "flag": _flag,
    }


def converters(today):
    """field -> reader of a non-blank cell, for every roster column but the flags (read_row reads those, several
    columns to one field); None for plain text."""
    read = readers(today)
    return {column.key: read[column.cell] for column in columns.in_roster() if column.cell != "flag"}


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
    for name, flag_columns in flags.items():
        found = set()
        for column in flag_columns:
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
