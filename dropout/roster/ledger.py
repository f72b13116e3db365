"""The 台账 (ledger of school-age children): any filtered children list as a streamed workbook.

The ledger is the document the bureau sends upward, so its title, headers and labels are
written in Chinese whatever the interface language.
"""

import logging
from dataclasses import asdict

import xlsxwriter
from flask_babel import force_locale
from peewee import JOIN, fn

from ..children import columns
from ..children import search as child_search
from ..choices import CHILD_STATUSES, DISABILITY_CATEGORIES, PRIORITY_GROUPS, SEX
from ..core import audit, scope
from ..core.errors import PermissionDenied
from ..db import database, is_postgres, read_snapshot
from ..models import Child, Guardian, School, Township, Village
from ..rules import id_number as idn

NUMBER = ("序号", 6)  # the row's number, before the register's columns
LEDGER = columns.in_ledger()
HEADERS = (NUMBER[0], *(header for header, _width, _columns in LEDGER))
WIDTHS = (NUMBER[1], *(width for _header, width, _columns in LEDGER))
GRADES = dict(
    enumerate(("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级"), start=1)
)
CHUNK = 5000  # rows fetched at a time; progress is told after each chunk
PLACES = {"township": Township.name, "village": Village.name, "school": School.name}  # shown by name
FIRST_GUARDIAN = Guardian.alias("first_guardian")  # each child's first-recorded guardian, joined to its row
# The query's columns: the first column of each ledger cell, in the ledger's order, then the other columns of
# the cells that several share (the priority groups).
CELL_COLUMNS = tuple(shared[0] for _header, _width, shared in LEDGER)
MORE_COLUMNS = tuple(column for _header, _width, shared in LEDGER for column in shared[1:])
AT = {column.key: 1 + index for index, column in enumerate(CELL_COLUMNS)}  # a column's cell (序号 is cell 0)
GROUP_CELL = next(index for index, (header, _w, _c) in enumerate(LEDGER, start=1) if header == columns.GROUPS)
GROUP_KEYS = (CELL_COLUMNS[GROUP_CELL - 1].key, *(column.key for column in MORE_COLUMNS))
BOOK_OPTIONS = {
    "constant_memory": True,  # one row in memory: a county of a million children streams through
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}


def _selected(column):
    if column.key in PLACES:
        return PLACES[column.key]
    if column.table == columns.GUARDIAN:
        return getattr(FIRST_GUARDIAN, column.field)
    return getattr(Child, column.key)


COLUMNS = tuple(_selected(column).alias(column.key) for column in (*CELL_COLUMNS, *MORE_COLUMNS))


def place_name(user, filters, county_name):
    """The township the ledger is about (the filtered or the user's own), else the county."""
    township_id = filters.township or (user.township_id if user.role == "township" else None)
    township = scope.townships(user).where(Township.id == township_id).first() if township_id else None
    return township.name if township is not None else county_name


def _labels():
    """Status, sex and priority-group labels in Chinese, resolved once."""
    with force_locale("zh_CN"):
        return {
            "status": {code: str(label) for code, label in CHILD_STATUSES.items()},
            "sex": {code: str(label) for code, label in SEX.items()},
            "group": {code: str(label) for code, label in PRIORITY_GROUPS.items()},
            "disability": {code: str(label) for code, label in DISABILITY_CATEGORIES.items()},
        }


def _groups(values, labels):
    """The 重点群体 cell of {group column key: stored value}."""
    groups = labels["group"]
    names = [groups[key] for key in ("poor", "left_behind", "migrant") if values[f"is_{key}"]]
    if values["disability_category"]:
        category = labels["disability"].get(values["disability_category"], values["disability_category"])
        names.append(f"{groups['disabled']}({category})")
    if values["is_orphan"]:
        names.append(groups["orphan"])
    return "、".join(names)


def _iso(value):
    """A stored date as YYYY-MM-DD: SQLite gives the text, PostgreSQL a date."""
    if value is None:
        return ""
    return value[:10] if isinstance(value, str) else value.isoformat()


def _row_maker(labels, full_ids):
    """A function (number, fetched row) -> the ledger row's cells, each text or blank (None or "")."""
    sexes, statuses = labels["sex"], labels["status"]
    groups = {}  # the few combinations of the group columns, each worded once
    sex, id_number, birth_on = AT["sex"], AT["id_number"], AT["birth_on"]
    grade, status, cells = AT["grade"], AT["status"], len(HEADERS)
    mask = idn.mask

    def row_cells(number, row):
        values = [str(number), *row]
        values[sex] = sexes.get(values[sex], values[sex])
        if not full_ids:
            values[id_number] = mask(values[id_number])
        values[birth_on] = _iso(values[birth_on])
        values[grade] = GRADES.get(values[grade])
        values[status] = statuses.get(values[status], values[status])
        flags = tuple(values[GROUP_CELL : GROUP_CELL + 1] + values[cells:])
        if flags not in groups:
            groups[flags] = _groups(dict(zip(GROUP_KEYS, flags, strict=True)), labels)
        values[GROUP_CELL] = groups[flags]
        del values[cells:]
        return values

    return row_cells


def _query(user, filters, today, start_age):
    """The ledger's rows, in the list's order, with each child's first-recorded guardian in the same query."""
    earlier = Guardian.alias("earlier")
    first_id = earlier.select(fn.MIN(earlier.id)).where(earlier.child == Child.id)
    return (
        child_search.search(user, filters, today, start_age)
        .switch(Village)
        .join(Township)
        .switch(Child)
        .join(FIRST_GUARDIAN, JOIN.LEFT_OUTER, on=(FIRST_GUARDIAN.id == first_id))
        .select(*COLUMNS)
    )


def chunks(query):
    """The query's raw rows (tuples, no model) in lists of CHUNK: a server-side cursor on PostgreSQL, so the
    client never holds the whole result."""
    sql, params = database.get_sql_context().sql(query).query()
    if is_postgres():
        # peewee's connection is in autocommit (its BEGIN is plain SQL), where psycopg2 allows only a WITH HOLD
        # cursor; inside read_snapshot's transaction it is closed before the commit, so nothing is materialised.
        cursor = database.connection().cursor(name="ledger", withhold=True)
        cursor.itersize = CHUNK
        logging.getLogger("peewee").debug((sql, params))  # as peewee logs the queries it runs itself
        cursor.execute(sql, params)
    else:
        cursor = database.execute_sql(sql, params)
    try:
        while rows := cursor.fetchmany(CHUNK):
            yield rows
    finally:
        cursor.close()


def _start_sheet(workbook, title, today):
    """The 台账 sheet with its column widths, title row and header row; returns (sheet, the text format)."""
    sheet = workbook.add_worksheet("台账")
    bold = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#EEF1F5"})
    text = workbook.add_format({"num_format": "@"})  # a text column: an ID number must never become a number
    for column, width in enumerate(WIDTHS):
        sheet.set_column(column, column, width, text)
    sheet.write_string(0, 0, title, bold)
    sheet.write_string(0, len(HEADERS) - 2, "制表日期")
    sheet.write_string(0, len(HEADERS) - 1, today.isoformat())
    sheet.write_row(1, 0, HEADERS, header)
    sheet.freeze_panes(2, 0)
    return sheet


def write_ledger(user, filters, today, out, county_name, start_age=6, full_ids=False, progress=None):
    """Write the ledger of the user's children matching the filters into `out` (a path or a binary file);
    return the row count. `progress(done, total)` is called at the start and after every CHUNK rows.

    Rows go to the workbook as the query iterates: xlsxwriter's constant-memory mode keeps one row in
    memory and the query is read CHUNK rows at a time, so a county of a million children streams through.
    Every cell is text (the columns' format is "@"); blank cells are left out.
    """
    if full_ids and not scope.may_see_full_ids(user):
        raise PermissionDenied()
    row_cells = _row_maker(_labels(), full_ids)
    workbook = xlsxwriter.Workbook(out, BOOK_OPTIONS)
    sheet = _start_sheet(workbook, f"{place_name(user, filters, county_name)}适龄儿童少年台账", today)
    write_row = sheet.write_row
    count = 0
    with read_snapshot():  # the count and the rows see the same register
        total = None
        if progress is not None:
            matching = child_search.search(user, filters, today, start_age)
            total = matching.select(fn.COUNT(Child.id)).order_by().scalar()
            progress(0, total)
        for rows in chunks(_query(user, filters, today, start_age)):
            for row in rows:
                count += 1
                write_row(count + 1, 0, row_cells(count, row))  # blank (None or "") cells are not written
            if progress is not None:
                progress(count, total)
    workbook.close()
    if full_ids:
        chosen = {key: value for key, value in asdict(filters).items() if value not in (None, "")}
        audit.record(user, "export", "ledger", None, after={"filters": chosen, "rows": count, "full_ids": True})
    return count
