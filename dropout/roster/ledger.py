"""The 台账 (ledger of school-age children): any filtered children list as a streamed workbook.

The ledger is the document the bureau sends upward, so its title, headers and labels are
written in Chinese whatever the interface language.
"""
from dataclasses import asdict

import xlsxwriter
from flask_babel import force_locale

from ..choices import CHILD_STATUSES, DISABILITY_CATEGORIES, PRIORITY_GROUPS, SEX
from ..models import Child, Guardian, School, Township, Village
from ..rules import id_number as idn
from ..core.errors import PermissionDenied
from ..core import audit
from ..children import search as child_search
from ..core import scope

HEADERS = (
    "序号", "姓名", "性别", "身份证号", "出生日期", "民族", "乡镇", "村(社区)", "村民小组", "家庭住址",
    "监护人", "与学生关系", "联系电话", "学校", "年级", "学籍号", "状态", "重点群体", "备注",
)
WIDTHS = (6, 10, 5, 21, 11, 6, 12, 12, 9, 24, 10, 9, 13, 20, 8, 16, 10, 20, 24)
GRADES = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级", 7: "七年级", 8: "八年级", 9: "九年级"}
FULL_ID_ROLES = ("admin", "bureau", "township")
CHUNK = 1000  # children written per guardian query
COLUMNS = (
    Child.id, Child.name, Child.sex, Child.id_number, Child.birth_on, Child.ethnicity, Township.name.alias("township"),
    Village.name.alias("village"), Child.group.alias("group"), Child.address, Child.grade, Child.student_number,
    Child.status, Child.is_poor, Child.is_left_behind, Child.is_migrant, Child.disability_category, Child.is_orphan,
    Child.notes, School.name.alias("school"),
)


def may_see_full_ids(user):
    """Whether the user's role may export children's full ID numbers (on request, audited)."""
    return user.role in FULL_ID_ROLES


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
        names.append(f"{groups['disabled']}({labels['disability'].get(row.disability_category, row.disability_category)})")
    if row.is_orphan:
        names.append(groups["orphan"])
    return "、".join(names)


def _first_guardians(child_ids):
    """{child id: (name, relation, phone)} of each child's first-recorded guardian, in one query."""
    first = {}
    query = (
        Guardian.select(Guardian.child, Guardian.name, Guardian.relation, Guardian.phone)
        .where(Guardian.child.in_(child_ids))
        .order_by(Guardian.child, Guardian.id)
        .tuples()
    )
    for child_id, *guardian in query:
        first.setdefault(child_id, guardian)
    return first


def _cells(number, row, guardian, labels, full_ids):
    """The ledger row of one child, every cell as text."""
    return (
        str(number), row.name, labels["sex"].get(row.sex, row.sex or ""),
        (row.id_number if full_ids else idn.mask(row.id_number)) or "",
        row.birth_on.isoformat() if row.birth_on else "", row.ethnicity, row.township, row.village, row.group,
        row.address, *(guardian or ("", "", "")), row.school or "", GRADES.get(row.grade, ""), row.student_number or "",
        labels["status"].get(row.status, row.status), _groups(row, labels), row.notes,
    )


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
    if full_ids and not may_see_full_ids(user):
        raise PermissionDenied()
    query = (
        child_search.search(user, filters, today, start_age)
        .switch(Village)
        .join(Township)
        .select(*COLUMNS)
    )
    labels = _labels()
    options = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
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
            for column, value in enumerate(_cells(count, row, guardians.get(row.id), labels, full_ids)):
                if value:
                    write(count + 1, column, value, text)
    workbook.close()
    if full_ids:
        chosen = {key: value for key, value in asdict(filters).items() if value not in (None, "")}
        audit.record(user, "export", "ledger", None, after={"filters": chosen, "rows": count, "full_ids": True})
    return count
