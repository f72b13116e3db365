"""A pushed list read as received: its header row and every data row's cells, kept whole for the feedback, and the
cells that identify the child (ID number, 学籍号, name, birth date, school) read as the roster reads them.

The header is found, and the file checked against the upload limits, by the roster's reader (roster/read.py); the
cells are read by the roster's readers (roster/cells.py). Only .xlsx and .csv are taken: the feedback goes back in
the format received, and no one writes .xls. Nothing here knows about the database.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from ..core.errors import ValidationError
from ..roster import cells as roster_cells
from ..roster import limits as workbook_limits
from ..roster import read as roster_read
from ..roster.files import header_lookup, normalise_header
from ..roster.lists import cell_text
from ..rules import id_number as idn

KINDS = ("xlsx", "csv")
# The reason or warning columns a platform list brings beside the roster's: shown on the row's page.
REASON_HEADERS = header_lookup(
    {"reason": ("疑似辍学原因", "辍学原因", "疑似原因", "预警原因", "预警类型", "原因", "核查原因")}
)


@dataclass
class Row:
    """One data row: its number in the file, its cells as received, and what identifies the child."""

    number: int
    cells: list
    id_number: str | None = None
    student_number: str | None = None
    name: str = ""
    birth_on: date | None = None
    school: str = ""


@dataclass
class Received:
    kind: str
    headers: list  # the header row's cells as text, in order
    columns: dict  # field -> column index (the roster's fields, and "reason")
    rows: list = field(default_factory=list)


def read_pushed(path, today, limits=None):
    """The list in the file at path; ValidationError (its message for the user) for an empty file, one that is
    not an .xlsx or .csv, past the limits, malformed, or without a recognisable header."""
    kind = roster_read.kind_of(path)
    if kind not in KINDS:
        raise ValidationError({"file": wrong_kind()})
    sheet = None
    for _name, found, _has_content in roster_read.sheets(path, limits=limits):
        if found is not None:
            sheet = found
            break
    if sheet is None:
        raise ValidationError(
            {
                "file": _(
                    "No header row found: one of the first rows should name the columns, such as 姓名, 身份证号 "
                    "and 学籍号, as the platform's list does."
                )
            }
        )
    headers = [cell_text(label) for label in sheet.labels]
    columns = dict(sheet.columns)
    for index, header in enumerate(headers):
        if REASON_HEADERS.get(normalise_header(header)) and "reason" not in columns:
            columns["reason"] = index
    read = _Reader(columns, today)
    rows = [read(number, cells) for number, cells in sheet.rows if any(cell_text(cell) for cell in cells)]
    if not rows:
        raise ValidationError({"file": _("The list has a header but no rows.")})
    return Received(kind, headers, columns, rows)


def check_file(path, limits=None):
    """The file's kind ("xlsx" or "csv", from its first bytes), once it is within the upload limits; ValidationError
    for an empty file, another kind, or one past the limits (roster/limits.py)."""
    kind = roster_read.kind_of(path)
    if kind not in KINDS:
        raise ValidationError({"file": wrong_kind()})
    workbook_limits.check(path, limits, unreadable=roster_read.not_a_spreadsheet)
    return kind


def wrong_kind():
    return _("Upload the list as the platform gave it: an Excel workbook (.xlsx) or a CSV file.")


class _Reader:
    """A row's identifying cells, each read by the roster's reader of its column; a cell it cannot read is None."""

    def __init__(self, columns, today):
        self.columns, self.today = columns, today
        self.convert = roster_cells.converters(today)

    def cell(self, cells, key):
        column = self.columns.get(key)
        return cells[column] if column is not None and column < len(cells) else None

    def value(self, cells, key):
        cell = self.cell(cells, key)
        if cell is None or not cell_text(cell):
            return None
        try:
            return self.convert[key](cell)
        except roster_cells.CellError:
            return None

    def __call__(self, number, cells):
        cells = list(cells)
        while cells and not cell_text(cells[-1]):
            cells.pop()
        parsed = self.value(cells, "id_number")
        raw_id = self.cell(cells, "id_number")
        id_number = parsed.number if parsed else _loose_id(raw_id)
        birth_on = self.value(cells, "birth_on") or (parsed.birth_on if parsed else None)
        return Row(
            number,
            [to_json(cell) for cell in cells],
            id_number=id_number,
            student_number=self.value(cells, "student_number"),
            name=cell_text(self.cell(cells, "name"))[:100],
            birth_on=birth_on,
            school=cell_text(self.cell(cells, "school")),
        )


def _loose_id(cell):
    """An ID number the rules refuse (a wrong check character) is still the platform's key for the row: kept when
    it is text of 15 or 18 characters, so the next push finds it; never a number cell, which has lost digits."""
    if not isinstance(cell, str):
        return None
    text = idn.normalise(cell)
    return text if len(text) in (15, 18) and text.isalnum() else None


def to_json(cell):
    """A cell as JSON keeps it: text, numbers and booleans as they are, a date or time tagged so it goes back as one."""
    if isinstance(cell, datetime):
        return {"datetime": cell.isoformat()}
    if isinstance(cell, date):
        return {"date": cell.isoformat()}
    if cell is None or isinstance(cell, (str, int, float, bool)):
        return cell
    return str(cell)  # a duration: its text


def from_json(value):
    """The cell to_json() kept: a date or time back as one."""
    if isinstance(value, dict):
        if "datetime" in value:
            return datetime.fromisoformat(value["datetime"])
        if "date" in value:
            return date.fromisoformat(value["date"])
    return value
