"""Roster cells: each non-blank cell of a roster row, as calamine or csv gives it (str, float, bool, date,
datetime), read into the value the child form would hold, or the reason it cannot be, per column.

read_rows() is the hot loop of an import (twenty cells a row, a million rows): it reads a chunk of rows a
column at a time, and each kind of cell has a fast path that takes a whole column of the usual spellings at
once (plain text, 男/女, 2015-09-01, 13812345678, a valid ID number, 是/否, 5). Any cell the fast path does not
take is read by the column's reader, one at a time, exactly as read_row() reads it: read_row() is the
reference (tests compare the two on hostile cells).
"""

import re
from datetime import date, datetime
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

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
PROVINCES, CHECK_CHARS = idn.PROVINCE_CODES, idn.CHECK_CHARS
MISS = object()  # a cell a fast path leaves to the column's reader
BLANK = object()  # a blank cell in a column: no value
_ISO_DAYS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:\n[0-9]{4}-[0-9]{2}-[0-9]{2})*")
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


class ParsedId(NamedTuple):
    """A valid ID number as the import keeps it (the fields of rules.id_number.IdNumber, in a tuple)."""

    number: str
    birth_on: date
    sex: str


class _Births(dict):
    """YYYYMMDD -> the date, or MISS when idn.parse would refuse it: a roster's children are born on a few
    thousand days."""

    def __init__(self, today):
        super().__init__()
        self.today = today

    def __missing__(self, digits):
        try:
            born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        except ValueError:
            born = MISS
        if born is not MISS and (born.year < 1900 or born > self.today):
            born = MISS
        self[digits] = born
        return born


_FIRST17, _LAST, _AREA, _BIRTH, _SEQUENCE_END = (
    itemgetter(slice(0, 17)),
    itemgetter(17),
    itemgetter(slice(0, 2)),
    itemgetter(slice(6, 14)),
    itemgetter(16),
)
_SEX_OF_DIGIT = {digit: "M" if int(digit) % 2 else "F" for digit in "0123456789"}


def _id_reader(today):
    def read(cell):
        """A ParsedId; never a number cell: Excel keeps 15 digits of the 18, and no one may guess the rest."""
        if cell.__class__ is not str or _NUMERIC_TEXT.match(cell):
            raise CellError(number_cell_message())
        try:
            parsed = idn.parse(cell, today)
        except idn.IdNumberError as exc:
            raise CellError(id_number_message(exc.code)) from None
        return ParsedId(parsed.number, parsed.birth_on, parsed.sex)

    births = _Births(today)

    def fast(cells):
        """A column of 18 ASCII characters each that pass every rule of idn.parse, at once; else cell by cell."""
        joined = "".join(cells)
        if min(map(len, cells)) == max(map(len, cells)) == 18 and joined.isascii():
            numbers = cells if joined.upper() == joined else list(map(str.upper, cells))
            first = list(map(_FIRST17, numbers))
            last = "".join(map(_LAST, numbers))
            if "".join(first).isdigit() and last.replace("X", "0").isdigit() and set(map(_AREA, numbers)) <= PROVINCES:
                # ISO 7064 MOD 11-2: the weights are 2**k mod 11 and 13 = 2 (mod 11), so the weighted sum is
                # twice the 17 digits read in base 13 (idn.check_char, in one call).
                weighted = map(int.__mul__, map(int, first, repeat(13)), repeat(2))
                if "".join(map(CHECK_CHARS.__getitem__, map(int.__mod__, weighted, repeat(11)))) == last:
                    born = list(map(births.__getitem__, map(_BIRTH, numbers)))
                    if MISS not in born:
                        sexes = map(_SEX_OF_DIGIT.__getitem__, map(_SEQUENCE_END, numbers))
                        return list(map(tuple.__new__, repeat(ParsedId), zip(numbers, born, sexes, strict=True))), False
        found = []
        missed = False
        for cell in cells:
            number = cell.upper()
            if (
                len(cell) == 18
                and cell.isascii()
                and number[:17].isdigit()
                and (number[17].isdigit() or number[17] == "X")
                and number[:2] in PROVINCES
                and CHECK_CHARS[2 * int(number[:17], 13) % 11] == number[17]
                and births[number[6:14]] is not MISS
            ):
                found.append(ParsedId(number, births[number[6:14]], _SEX_OF_DIGIT[number[16]]))
            else:
                found.append(MISS)
                missed = True
        return found, missed

    read.fast = fast
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


def _notes(cell):
    return _text(cell, MAX_NOTES)


def readers(today):
    """How each kind of cell (children/columns.py: Column.cell) is read: a reader of a non-blank cell, or
    None for plain text (read in read_row, without a call)."""
    return {
        "text": None,
        "notes": _notes,
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


# Fast paths: a column's non-blank cells (stripped text, each of them) -> (the value of each, or MISS for a cell
# left to the reader; whether there is a MISS). Each takes only what its reader would read to the same value.


def _none_fast(cells):
    """Numbers, dates, booleans as calamine gives them: each to its reader."""
    return [MISS] * len(cells), True


def _text_fast(cells, limit=MAX_TEXT):
    if max(map(len, cells)) <= limit and "\x00" not in "".join(cells):
        return cells, False
    return [cell if len(cell) <= limit and "\x00" not in cell else MISS for cell in cells], True


def _notes_fast(cells):
    return _text_fast(cells, MAX_NOTES)


def _mapped(table):
    def fast(cells):
        values = list(map(table.get, cells, repeat(MISS)))
        return values, MISS in values

    return fast


def _date_fast(cells):
    """2015-09-01 in every cell: date.fromisoformat, as _date reads it."""
    joined = "\n".join(cells)
    if len(joined) == 11 * len(cells) - 1 and _ISO_DAYS.fullmatch(joined):
        try:
            return list(map(date.fromisoformat, cells)), False
        except ValueError:
            pass
    return [MISS] * len(cells), True


def _phone_fast(cells):
    joined = "".join(cells)
    if joined.isascii() and joined.isdigit() and min(map(len, cells)) >= 5 and max(map(len, cells)) <= 20:
        return cells, False
    return [MISS] * len(cells), True


def _digits_fast(cells):
    """Text that is not a number Excel shortened (no e or E in it), within MAX_TEXT and without NUL."""
    joined = "".join(cells)
    if "e" in joined or "E" in joined or "\x00" in joined or max(map(len, cells)) > MAX_TEXT:
        return [MISS] * len(cells), True
    return cells, False


_grade.fast = _mapped({str(n): n for n in range(1, 10)})
_disability_grade.fast = _mapped({str(n): n for n in range(1, 5)})
_sex.fast = _mapped(SEXES)
_disability.fast = _mapped(DISABILITIES)
_date.fast = _date_fast
_phone.fast = _phone_fast
_digits.fast = _digits_fast
_notes.fast = _notes_fast


def read_row(plan, flags, cells):
    """(values, errors) of one row: plan is [(field, column, reader)], flags {field: [column]}.
    Blank cells give no value, so an update leaves what is registered. The reference for read_rows()."""
    values, errors = {}, {}
    width = len(cells)
    for name, column, read in plan:
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


def read_rows(plan, flags, rows):
    """[(values, errors)] of each row (a list of cells), as read_row() gives it, read a column at a time."""
    count = len(rows)
    if not count:
        return []
    width = 1 + max([column for _name, column, _read in plan] + [c for cs in flags.values() for c in cs] + [-1])
    if min(map(len, rows)) < width:  # a short CSV line: its missing cells are blank
        rows = [row if len(row) >= width else [*row, *[None] * (width - len(row))] for row in rows]
    errors = [{} for _ in range(count)]
    names, values, blanks = [], [], []
    for name, column, read in plan:
        read_column = _read_column(list(map(itemgetter(column), rows)), read, name, errors)
        if read_column is not None:
            names.append(name)
            values.append(read_column[0])
            blanks.append(read_column[1])
    for name, flag_columns in flags.items():
        read_column = _read_flags([list(map(itemgetter(column), rows)) for column in flag_columns], name, errors)
        if read_column is not None:
            names.append(name)
            values.append(read_column)
            blanks.append(True)
    if values:
        given = list(map(dict, map(zip, repeat(names), zip(*values, strict=True))))
    else:
        given = [{} for _ in range(count)]
    for name, column_values, blank in zip(names, values, blanks, strict=True):
        if blank:  # blank cells give no value
            for index, value in enumerate(column_values):
                if value is BLANK:
                    del given[index][name]
    return list(zip(given, errors, strict=True))


def _stripped(cells):
    """The column's cells, text stripped; and whether each is text or blank (None)."""
    kinds = set(map(type, cells))
    if kinds <= {str}:
        return list(map(str.strip, cells)), True
    if kinds <= {str, type(None)}:
        return [cell if cell is None else cell.strip() for cell in cells], True
    return [cell.strip() if cell.__class__ is str else cell for cell in cells], False


def _read_column(cells, read, name, errors):
    """(the value of each cell of one column, BLANK for a blank one; whether there is a BLANK), the errors put in
    errors[row]; None when the whole column is blank."""
    cells, text_only = _stripped(cells)
    if text_only:
        if not any(cells):
            return None
        given = [index for index, cell in enumerate(cells) if cell] if "" in cells or None in cells else None
    else:
        given = [index for index, cell in enumerate(cells) if cell is not None and cell != ""]
        if not given:
            return None
    fast = (getattr(read, "fast", None) or _text_fast) if text_only else _none_fast
    if given is None:  # every cell is given
        values, missed = fast(cells)
        misses = range(len(cells)) if missed else ()
        if values is cells and missed:
            values = list(values)
    else:
        values = [BLANK] * len(cells)
        read_given, missed = fast([cells[index] for index in given])
        for index, value in zip(given, read_given, strict=True):
            values[index] = value
        misses = given if missed else ()
    reader = read or _text
    blank = given is not None
    for index in misses:
        if values[index] is MISS:
            try:
                values[index] = reader(cells[index])
            except CellError as exc:
                errors[index][name] = exc.args[0]
                values[index] = BLANK
                blank = True
    return values, blank


def _read_flags(columns_cells, name, errors):
    """One yes/no field from its columns (脱贫户 否, 监测户 是: poor): True, False or BLANK for each row."""
    found = []
    for cells in columns_cells:
        values = list(map(YES_NO.get, cells, repeat(MISS)))
        if MISS in values:
            for index, value in enumerate(values):
                if value is not MISS:
                    continue
                cell = cells[index]
                if cell is None or (cell.__class__ is str and not cell.strip()):
                    values[index] = BLANK
                    continue
                try:
                    values[index] = _flag(cell.strip() if cell.__class__ is str else cell)
                except CellError as exc:
                    errors[index][name] = exc.args[0]
                    values[index] = BLANK
        found.append(values)
    if len(found) == 1:
        (values,) = found
    else:
        values = [True if True in row else False if False in row else BLANK for row in zip(*found, strict=True)]
    if BLANK in values and all(value is BLANK for value in values):
        return None
    return values
