"""Roster files: what kind of file an upload is, its sheets, which row and columns are the header, which rows are
the template's examples; uploads waiting between their preview and their commit. Each cell is read in roster_cells.

Rows are read lazily, one sheet at a time (python-calamine for workbooks, csv for text), so the
import works through them in chunks; nothing here knows about the database.
"""

import csv
import itertools
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from ..children import columns
from ..core.errors import ValidationError
from . import files as register_files
from . import limits as workbook_limits
from .files import HEADER_SCAN, csv_encoding

# The columns a roster may have (children/columns.py): field -> the header spellings seen in county files
# (the first is the template's). Headers are compared after register_files.normalise_header().
HEADERS = {column.key: column.headers for column in columns.in_roster()}
# Yes/no columns: several may feed one flag (脱贫户 and 监测户 both mean is_poor).
FLAG_FIELDS = tuple(column.key for column in columns.in_roster() if column.cell == "flag")
_TRAILING_NOTE = re.compile(r"\([^()]*\)$")
# The template's (roster/template.py) example rows, whose first cell starts with EXAMPLE, and its explanation
# sheet are no part of a roster: the import skips them.
EXAMPLE = "示例"
NOTES_SHEET = "填写说明"


_LOOKUP = register_files.header_lookup(HEADERS)


def field_of(header):
    """The field a header names, or None: 身份证号码 and 身份证号(必填) both give id_number."""
    text = register_files.normalise_header(header)
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
    size: int | None = None  # data rows below the header (to the sheet's last used row), None when unknown (CSV)
    labels: list = field(default_factory=list, repr=False)  # the header row's cells as the file gives them


def kind_of(path):
    """'xlsx', 'xls' or 'csv' from the file's first bytes (never its name); ValidationError otherwise."""
    with open(path, "rb") as file:
        head = file.read(8192)
    if not head.strip():
        raise ValidationError({"file": _("The file is empty.")})
    kind = register_files.signature(head)
    if kind is not None:
        return kind
    if b"\x00" in head:
        raise ValidationError({"file": not_a_spreadsheet()})
    return "csv"


def not_a_spreadsheet():
    return _("This file is not a spreadsheet: upload an Excel workbook (.xlsx) or a CSV file.")


def _csv_rows(path):
    with open(path, encoding=csv_encoding(path), errors="replace", newline="") as file:
        try:
            yield from enumerate(csv.reader(file), start=1)
        except csv.Error:  # a cell past csv's field limit (a quote never closed, or hostile)
            raise ValidationError({"file": workbook_limits.csv_unreadable()}) from None


def _workbook_sheets(path):
    """(name, numbered rows) of each visible worksheet; calamine reads one sheet at a time."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = [
            meta.name
            for meta in workbook.sheets_metadata
            if meta.typ == SheetTypeEnum.WorkSheet
            and meta.visible == SheetVisibleEnum.Visible
            and meta.name != NOTES_SHEET
        ]
    except CalamineError:
        raise ValidationError({"file": not_a_spreadsheet()}) from None
    for name in names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except CalamineError:
            raise ValidationError({"file": not_a_spreadsheet()}) from None
        # iter_rows() starts at the sheet's first row, blank rows above the data included.
        yield name, enumerate(sheet.iter_rows(), start=1), sheet.end[0] + 1 if sheet.end else 0


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


def _header(name, rows, height=None):
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
    size = None if height is None else max(height - head[last][0], 0)
    rows = itertools.filterfalse(_is_example, itertools.chain(head[last + 1 :], rows))
    return Sheet(name, columns, flags, headers, ignored, rows, size=size, labels=list(head[best][1]))


def _is_example(numbered_row):
    """Whether a (row number, cells) is an example row: its first cell starts with 示例."""
    cells = numbered_row[1]
    first = cells[0] if cells else None
    return first.__class__ is str and first.lstrip().startswith(EXAMPLE)


def sheets(path, csv_name="CSV", limits=None):
    """Yield (name, Sheet or None when it has no header, whether it has content) for each sheet, one at
    a time: read a sheet's rows before asking for the next. ValidationError for a file that is empty
    or not a spreadsheet."""
    kind = kind_of(path)
    workbook_limits.check(path, limits, unreadable=not_a_spreadsheet)  # before calamine or csv sees the bytes
    raw = [(csv_name, _csv_rows(path), None)] if kind == "csv" else _workbook_sheets(path)
    for name, rows, height in raw:
        rows = iter(rows)
        head = list(itertools.islice(rows, HEADER_SCAN))
        sheet = _header(name, itertools.chain(head, rows), height)
        yield name, sheet, sheet is not None or _has_content(head) or _has_content(rows)


def no_header_message():
    return _(
        "No header row found: one of the first rows should name the columns, such as 姓名 and 身份证号. "
        "The template shows them all."
    )


# An upload waits between its preview and its commit as <uploads>/imports/<token>.<kind>, beside
# <token>.json: who uploaded it, its name, and what the preview found (never in the session cookie),
# and <token>.rows: the rows the preview checked, which the commit writes.
IMPORTS_FOLDER = "imports"
KEEP_SECONDS = 24 * 3600  # uploads previewed but never confirmed go after a day


def store_upload(stream, uploads_dir, user_id, file_name, max_bytes):
    """Save an uploaded roster, checked by content; return (token, note). ValidationError when it is
    too large, empty or not a spreadsheet (nothing is kept then)."""
    folder = Path(uploads_dir) / IMPORTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    register_files.remove_stale(folder, KEEP_SECONDS)
    token = uuid.uuid4().hex
    partial = folder / f"{token}.part"
    register_files.receive(stream, partial, max_bytes, lambda: too_large_message(max_bytes))
    try:
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


def save_note(uploads_dir, token, note):
    register_files.save_note(Path(uploads_dir) / IMPORTS_FOLDER, token, note)


def load_note(uploads_dir, token, user_id):
    """The note of an upload by this user, or None (another user's upload is as good as missing)."""
    return register_files.load_note(Path(uploads_dir) / IMPORTS_FOLDER, token, user_id)


def upload_path(uploads_dir, token, note):
    return Path(uploads_dir) / IMPORTS_FOLDER / f"{token}.{note['kind']}"


def rows_path(uploads_dir, token):
    """Where an upload's checked rows wait for their commit (roster/staging.py), beside the upload."""
    return Path(uploads_dir) / IMPORTS_FOLDER / f"{token}.rows"


def discard_upload(uploads_dir, token, note, with_note=False):
    """Remove the spreadsheet and its checked rows once committed (the note stays for the result page), or
    the note too when refused."""
    upload_path(uploads_dir, token, note).unlink(missing_ok=True)
    rows_path(uploads_dir, token).unlink(missing_ok=True)
    if with_note:
        (Path(uploads_dir) / IMPORTS_FOLDER / f"{token}.json").unlink(missing_ok=True)
