"""The child record's columns, defined once: which fields of a child (and of its guardians) the register
holds, in order, and what each needs where the register is written or read.

REGISTER is the one list. The child form (forms.py) shows its `form` columns, in this order; the roster
import (roster/read, roster/cells, roster/imports) recognises the `headers` spellings and reads each cell
as `cell` says, a blank cell leaving `blank` for a new child; the 台账 (roster/ledger) writes the `ledger`
columns, in this order, columns that share a header sharing one cell; new children go into the table in
bulk (the import, the demo) as CHILD_ROW. The order suits every one of them: a column's place here is its
place on the form, in the roster template and in the ledger.

A new column of Child or Guardian goes here too (tests/test_columns.py fails until it does), or into
NOT_IN_REGISTER when the register does not hold it (ids, timestamps, what is derived).
"""

from dataclasses import dataclass
from operator import itemgetter

from flask_babel import lazy_gettext as _l

from ..models import Child, Guardian
from ..rules.search_keys import KEYS, initials, reversed_id

CHILD, GUARDIAN = "child", "guardian"
# How the form shows a column (the controls: forms.py).
TEXT, CHOICE, FLAG, LONG_TEXT = "text", "choice", "flag", "long_text"


@dataclass(frozen=True)
class Column:
    """One column of the register."""

    key: str  # the Child field; guardian_<field> for the first guardian's; township for the village's township
    label: object  # the interface's name for it (lazy: translated where it is shown)
    table: str | None = CHILD  # where it is stored: CHILD, GUARDIAN, or None (township: the village's)
    form: str | None = None  # the form's control (TEXT, CHOICE, FLAG, LONG_TEXT); None: not on the form
    headers: tuple = ()  # a roster's spellings of its header, the template's first; (): not imported
    cell: str | None = None  # how the import reads the cell (a reader of roster/cells.py), when it has headers
    ledger: str | None = None  # the 台账's header (Chinese whatever the interface); None: not in the ledger
    width: int = 0  # the ledger column's width (the first of those sharing a header gives it)
    blank: object = None  # its value when nothing gives one: a new child, a roster cell left blank

    def __post_init__(self):
        if isinstance(self.headers, str):  # REGISTER writes them as one string, the spellings apart by spaces
            object.__setattr__(self, "headers", tuple(self.headers.split()))

    @property
    def field(self):
        """The model's field name: guardian_phone is Guardian.phone."""
        return self.key.removeprefix("guardian_") if self.table == GUARDIAN else self.key


GROUPS = "重点群体"  # the ledger's one cell for the priority groups

# The roster spellings too long for their column's line.
_ID_NUMBER = "身份证号 身份证号码 公民身份号码 公民身份证号码 身份证件号码"
_RELATION = "与学生关系 与儿童关系 监护关系"
_PHONE = "联系电话 监护人电话 监护人联系电话 电话"
_POOR = "是否建档立卡 建档立卡 建档立卡户 是否建档立卡户 脱贫户 是否脱贫户 监测户 是否监测户"
_MIGRANT = "随迁/流动 随迁 流动 随迁子女 流动儿童 是否随迁子女 是否流动儿童"

# Column(key, label, table, form, headers, cell, ledger, width, blank): the headers one string, the spellings
# apart by spaces, the template's first.
REGISTER = (
    Column("name", _l("Name"), CHILD, TEXT, "姓名 学生姓名 儿童姓名", "text", "姓名", 10, ""),
    Column("sex", _l("Sex"), CHILD, CHOICE, "性别", "sex", "性别", 5),
    Column("id_number", _l("ID number"), CHILD, TEXT, _ID_NUMBER, "id_number", "身份证号", 21),
    Column("birth_on", _l("Birth date"), CHILD, TEXT, "出生日期 出生年月日", "date", "出生日期", 11),
    Column("ethnicity", _l("Ethnicity"), CHILD, TEXT, "民族", "text", "民族", 6, ""),
    Column("township", _l("Township"), None, None, "乡镇 乡（镇） 乡镇（街道） 所属乡镇", "text", "乡镇", 12),
    Column("village", _l("Village"), CHILD, CHOICE, "村（社区） 村 社区 村（居） 村居 所属村", "text", "村(社区)", 12),
    Column("group", _l("Villagers' group"), CHILD, TEXT, "村民小组 组 小组 组别", "text", "村民小组", 9, ""),
    Column("address", _l("Home address"), CHILD, TEXT, "家庭住址 住址 家庭地址 现住址", "text", "家庭住址", 24, ""),
    Column("guardian_name", _l("Guardian name"), GUARDIAN, TEXT, "监护人 监护人姓名", "text", "监护人", 10, ""),
    Column("guardian_relation", _l("Relation"), GUARDIAN, TEXT, _RELATION, "text", "与学生关系", 9, ""),
    Column("guardian_phone", _l("Phone"), GUARDIAN, TEXT, _PHONE, "phone", "联系电话", 13, ""),
    Column("school", _l("School"), CHILD, CHOICE, "就读学校 学校 学校名称", "text", "学校", 20),
    Column("grade", _l("Grade"), CHILD, CHOICE, "年级 就读年级", "grade", "年级", 8),
    Column("student_number", _l("Student number"), CHILD, TEXT, "学籍号 全国学籍号", "digits", "学籍号", 16),
    Column("status", _l("Status"), CHILD, CHOICE, "", None, "状态", 10, "enrolled"),
    Column("is_poor", _l("Poor household"), CHILD, FLAG, _POOR, "flag", GROUPS, 20, False),
    Column("is_left_behind", _l("Left-behind"), CHILD, FLAG, "留守儿童 是否留守儿童 留守", "flag", GROUPS, 0, False),
    Column("is_migrant", _l("Migrant"), CHILD, FLAG, _MIGRANT, "flag", GROUPS, 0, False),
    Column("is_orphan", _l("Orphan or without carer"), CHILD, FLAG, "", None, GROUPS, 0, False),
    Column("disability_category", _l("Disability category"), CHILD, CHOICE, "残疾类别 残疾类型", "disability", GROUPS),
    Column("disability_grade", _l("Disability grade"), CHILD, CHOICE, "残疾等级", "disability_grade"),
    Column("responsible_teacher", _l("Responsible teacher"), CHILD, CHOICE),
    Column("notes", _l("Notes"), CHILD, LONG_TEXT, "备注", "notes", "备注", 24, ""),
    Column("registered_on", _l("On the roll since"), CHILD, TEXT, "在册日期 登记日期 入册日期 建档日期", "date"),
    Column("guardian_id_number", _l("Guardian ID number"), GUARDIAN, TEXT),
)
BY_KEY = {column.key: column for column in REGISTER}

# The fields of the tables that are not the register's: ids, timestamps, and what is derived or kept
# by the application (status_since: the day of the last move, dated by the child_change history).
NOT_IN_REGISTER = {CHILD: ("id", "status_since", "created_at", "updated_at", *KEYS), GUARDIAN: ("id", "child")}
_MODELS = {CHILD: Child, GUARDIAN: Guardian}


def of(table):
    """The columns stored in a table (CHILD or GUARDIAN), in order."""
    return tuple(column for column in REGISTER if column.table == table)


def on_form(table=CHILD):
    """The child form's columns (or the guardian rows', with GUARDIAN), in the form's order."""
    return tuple(column for column in of(table) if column.form)


def in_roster():
    """The columns a roster's header may name, in the template's order."""
    return tuple(column for column in REGISTER if column.headers)


def in_ledger():
    """[(header, width, columns)] of the 台账 after its 序号, in order; columns sharing a header share a cell."""
    found = []
    for column in REGISTER:
        if column.ledger is None:
            continue
        if found and found[-1][0] == column.ledger:
            found[-1][2].append(column)
        else:
            found.append((column.ledger, column.width, [column]))
    return [(header, width, tuple(columns)) for header, width, columns in found]


def blanks(table=CHILD):
    """{field: blank} of a table's register columns: a new child (or guardian) before anything is given."""
    return {column.field: column.blank for column in of(table)}


def _row_columns(table):
    model = _MODELS[table]
    fields = ("id", *(c.field for c in of(table)), *(("created_at", "updated_at") if table == CHILD else ("child",)))
    fields += KEYS if table == CHILD else ()
    return fields, tuple(model._meta.fields[name].column_name for name in fields)


_CHILD_FIELDS, CHILD_ROW = _row_columns(CHILD)
_GUARDIAN_FIELDS, GUARDIAN_ROW = _row_columns(GUARDIAN)
_child_values = itemgetter(*_CHILD_FIELDS[: -len(KEYS)])  # the keys are made from the name and ID number
_guardian_values = itemgetter(*_GUARDIAN_FIELDS)


def child_row(values):
    """The tuple db.bulk_insert("child", CHILD_ROW, …) takes, from {field: value}: id, every register field,
    created_at and updated_at (a KeyError names one missing), then the search keys made from them."""
    return (*_child_values(values), initials(values["name"]), reversed_id(values["id_number"]))


def guardian_row(values):
    """The tuple db.bulk_insert("guardian", GUARDIAN_ROW, …) takes, from {field: value}: id, every register
    field of a guardian (name, relation, phone, id_number) and child."""
    return _guardian_values(values)
