"""The 台账 (ledger of school-age children): any filtered children list as a streamed workbook.

The ledger is the document the bureau sends upward, so its title, headers and labels are
written in Chinese whatever the interface language.
"""

from dataclasses import asdict

import xlsxwriter
from flask_babel import force_locale

from ..children import columns
from ..children import search as child_search
from ..choices import CHILD_STATUSES, DISABILITY_CATEGORIES, PRIORITY_GROUPS, SEX
from ..core import audit, scope
from ..core.errors import PermissionDenied
from ..models import Child, Guardian, School, Township, Village
from ..rules import id_number as idn

NUMBER = ("序号", 6)  # the row's number, before the register's columns
LEDGER = columns.in_ledger()
HEADERS = (NUMBER[0], *(header for header, _width, _columns in LEDGER))
WIDTHS = (NUMBER[1], *(width for _header, width, _columns in LEDGER))
GRADES = dict(
    enumerate(("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级"), start=1)
)
CHUNK = 1000  # children written per guardian query
PLACES = {"township": Township.name, "village": Village.name, "school": School.name}  # shown by name
COLUMNS = (
    Child.id,
    *(
        (PLACES[column.key] if column.key in PLACES else getattr(Child, column.key)).alias(column.key)
        for _header, _width, shared in LEDGER
        for column in shared
        if column.table != columns.GUARDIAN
    ),
)
# The first guardian's columns, as Guardian fields, in the ledger's order.
GUARDIAN_COLUMNS = tuple(
    column.field for _header, _width, shared in LEDGER for column in shared if column.table == columns.GUARDIAN
)


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


def _groups(row, labels):
    groups = labels["group"]
    flags = (("poor", row.is_poor), ("left_behind", row.is_left_behind), ("migrant", row.is_migrant))
    names = [groups[key] for key, flag in flags if flag]
    if row.disability_category:
        category = labels["disability"].get(row.disability_category, row.disability_category)
        names.append(f"{groups['disabled']}({category})")
    if row.is_orphan:
        names.append(groups["orphan"])
    return "、".join(names)


def _first_guardians(child_ids):
    """{child id: (GUARDIAN_COLUMNS)} of each child's first-recorded guardian, in one query."""
    first = {}
    query = (
        Guardian.select(Guardian.child, *(getattr(Guardian, name) for name in GUARDIAN_COLUMNS))
        .where(Guardian.child.in_(child_ids))
        .order_by(Guardian.child, Guardian.id)
        .tuples()
    )
    for child_id, *guardian in query:
        first.setdefault(child_id, guardian)
    return first


def _shown(labels, full_ids):
    """How each ledger column after 序号 shows a child, in order: (row, first guardian or None) -> text;
    a column not named here shows the text as stored."""
    special = {
        "sex": lambda row, _g: labels["sex"].get(row.sex, row.sex or ""),
        "id_number": lambda row, _g: (row.id_number if full_ids else idn.mask(row.id_number)) or "",
        "birth_on": lambda row, _g: row.birth_on.isoformat() if row.birth_on else "",
        "grade": lambda row, _g: GRADES.get(row.grade, ""),
        "status": lambda row, _g: labels["status"].get(row.status, row.status),
    }
    shown = []
    for header, _width, shared in LEDGER:
        first = shared[0]
        if header == columns.GROUPS:
            shown.append(lambda row, _g: _groups(row, labels))
        elif first.key in special:
            shown.append(special[first.key])
        elif first.table == columns.GUARDIAN:
            index = GUARDIAN_COLUMNS.index(first.field)
            shown.append(lambda _row, guardian, index=index: guardian[index] if guardian else "")
        else:
            shown.append(lambda row, _g, key=first.key: getattr(row, key) or "")
    return shown


def _cells(number, row, guardian, shown):
    """The ledger row of one child, every cell as text."""
    return (str(number), *[show(row, guardian) for show in shown])


def _rows(query):
    """The query's rows in chunks, each with its children's first guardians."""
    chunk = []
    for row in query.namedtuples().iterator():
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk, _first_guardians([r.id for r in chunk])
            chunk = []
    if chunk:
        yield chunk, _first_guardians([r.id for r in chunk])


def write_ledger(user, filters, today, out, county_name, start_age=6, full_ids=False):
    """Write the ledger of the user's children matching the filters into `out`; return the row count.

    Rows go to the workbook as the query iterates: xlsxwriter's constant-memory mode keeps
    one row in memory, so a county of 100,000 children streams through.
    """
    if full_ids and not scope.may_see_full_ids(user):
        raise PermissionDenied()
    query = child_search.search(user, filters, today, start_age).switch(Village).join(Township).select(*COLUMNS)
    shown = _shown(_labels(), full_ids)
    options = {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    workbook = xlsxwriter.Workbook(out, options)
    sheet = workbook.add_worksheet("台账")
    title = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#EEF1F5"})
    text = workbook.add_format({"num_format": "@"})  # a text column: an ID number must never become a number
    for column, width in enumerate(WIDTHS):
        sheet.set_column(column, column, width, text)
    sheet.write_string(0, 0, f"{place_name(user, filters, county_name)}适龄儿童少年台账", title)
    sheet.write_string(0, len(HEADERS) - 2, "制表日期")
    sheet.write_string(0, len(HEADERS) - 1, today.isoformat())
    sheet.write_row(1, 0, HEADERS, header)
    sheet.freeze_panes(2, 0)
    count = 0
    write = sheet.write_string  # every cell as text; blank cells are left out
    for chunk, guardians in _rows(query):
        for row in chunk:
            count += 1
            for column, value in enumerate(_cells(count, row, guardians.get(row.id), shown)):
                if value:
                    write(count + 1, column, value, text)
    workbook.close()
    if full_ids:
        chosen = {key: value for key, value in asdict(filters).items() if value not in (None, "")}
        audit.record(user, "export", "ledger", None, after={"filters": chosen, "rows": count, "full_ids": True})
    return count
