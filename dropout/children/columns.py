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

    @property
    def field(self):
        """The model's field name: guardian_phone is Guardian.phone."""
        return self.key.removeprefix("guardian_") if self.table == GUARDIAN else self.key


GROUPS = "重点群体"  # the ledger's one cell for the priority groups

REGISTER = (
    Column(
        "name",
        _l("Name"),
        form=TEXT,
        headers=("姓名", "学生姓名", "儿童姓名"),
        cell="text",
        ledger="姓名",
        width=10,
        blank="",
    ),
    Column("sex", _l("Sex"), form=CHOICE, headers=("性别",), cell="sex", ledger="性别", width=5),
    Column(
        "id_number",
        _l("ID number"),
        form=TEXT,
        headers=("身份证号", "身份证号码", "公民身份号码", "公民身份证号码", "身份证件号码"),
        cell="id_number",
        ledger="身份证号",
        width=21,
    ),
    Column(
        "birth_on",
        _l("Birth date"),
        form=TEXT,
        headers=("出生日期", "出生年月日"),
        cell="date",
        ledger="出生日期",
        width=11,
    ),
    Column("ethnicity", _l("Ethnicity"), form=TEXT, headers=("民族",), cell="text", ledger="民族", width=6, blank=""),
    Column(
        "township",
        _l("Township"),
        table=None,
        headers=("乡镇", "乡（镇）", "乡镇（街道）", "所属乡镇"),
        cell="text",
        ledger="乡镇",
        width=12,
    ),
    Column(
        "village",
        _l("Village"),
        form=CHOICE,
        headers=("村（社区）", "村", "社区", "村（居）", "村居", "所属村"),
        cell="text",
        ledger="村(社区)",
        width=12,
    ),
    Column(
        "group",
        _l("Villagers' group"),
        form=TEXT,
        headers=("村民小组", "组", "小组", "组别"),
        cell="text",
        ledger="村民小组",
        width=9,
        blank="",
    ),
    Column(
        "address",
        _l("Home address"),
        form=TEXT,
        headers=("家庭住址", "住址", "家庭地址", "现住址"),
        cell="text",
        ledger="家庭住址",
        width=24,
        blank="",
    ),
    Column(
        "guardian_name",
        _l("Guardian name"),
        table=GUARDIAN,
        form=TEXT,
        headers=("监护人", "监护人姓名"),
        cell="text",
        ledger="监护人",
        width=10,
        blank="",
    ),
    Column(
        "guardian_relation",
        _l("Relation"),
        table=GUARDIAN,
        form=TEXT,
        headers=("与学生关系", "与儿童关系", "监护关系"),
        cell="text",
        ledger="与学生关系",
        width=9,
        blank="",
    ),
    Column(
        "guardian_phone",
        _l("Phone"),
        table=GUARDIAN,
        form=TEXT,
        headers=("联系电话", "监护人电话", "监护人联系电话", "电话"),
        cell="phone",
        ledger="联系电话",
        width=13,
        blank="",
    ),
    Column(
        "school",
        _l("School"),
        form=CHOICE,
        headers=("就读学校", "学校", "学校名称"),
        cell="text",
        ledger="学校",
        width=20,
    ),
    Column("grade", _l("Grade"), form=CHOICE, headers=("年级", "就读年级"), cell="grade", ledger="年级", width=8),
    Column(
        "student_number",
        _l("Student number"),
        form=TEXT,
        headers=("学籍号", "全国学籍号"),
        cell="digits",
        ledger="学籍号",
        width=16,
    ),
    Column("status", _l("Status"), form=CHOICE, ledger="状态", width=10, blank="enrolled"),
    Column(
        "is_poor",
        _l("Poor household"),
        form=FLAG,
        headers=(
            "是否建档立卡",
            "建档立卡",
            "建档立卡户",
            "是否建档立卡户",
            "脱贫户",
            "是否脱贫户",
            "监测户",
            "是否监测户",
        ),
        cell="flag",
        ledger=GROUPS,
        width=20,
        blank=False,
    ),
    Column(
        "is_left_behind",
        _l("Left-behind"),
        form=FLAG,
        headers=("留守儿童", "是否留守儿童", "留守"),
        cell="flag",
        ledger=GROUPS,
        blank=False,
    ),
    Column(
        "is_migrant",
        _l("Migrant"),
        form=FLAG,
        headers=("随迁/流动", "随迁", "流动", "随迁子女", "流动儿童", "是否随迁子女", "是否流动儿童"),
        cell="flag",
        ledger=GROUPS,
        blank=False,
    ),
    Column("is_orphan", _l("Orphan or without carer"), form=FLAG, ledger=GROUPS, blank=False),
    Column(
        "disability_category",
        _l("Disability category"),
        form=CHOICE,
        headers=("残疾类别", "残疾类型"),
        cell="disability",
        ledger=GROUPS,
    ),
    Column("disability_grade", _l("Disability grade"), form=CHOICE, headers=("残疾等级",), cell="disability_grade"),
    Column("responsible_teacher", _l("Responsible teacher"), form=CHOICE),
    Column("notes", _l("Notes"), form=LONG_TEXT, headers=("备注",), cell="notes", ledger="备注", width=24, blank=""),
    Column(
        "registered_on",
        _l("On the roll since"),
        form=TEXT,
        headers=("在册日期", "登记日期", "入册日期", "建档日期"),
        cell="date",
    ),
    Column("guardian_id_number", _l("Guardian ID number"), table=GUARDIAN, form=TEXT),
)
BY_KEY = {column.key: column for column in REGISTER}

# The fields of the tables that are not the register's: ids, timestamps, and what is derived or kept
# by the application (status_since: the day of the last move, dated by the child_change history).
NOT_IN_REGISTER = {CHILD: ("id", "status_since", "created_at", "updated_at"), GUARDIAN: ("id", "child")}
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
    return fields, tuple(model._meta.fields[name].column_name for name in fields)


_CHILD_FIELDS, CHILD_ROW = _row_columns(CHILD)
_GUARDIAN_FIELDS, GUARDIAN_ROW = _row_columns(GUARDIAN)
_child_values, _guardian_values = itemgetter(*_CHILD_FIELDS), itemgetter(*_GUARDIAN_FIELDS)


def child_row(values):
    """The tuple db.bulk_insert("child", CHILD_ROW, …) takes, from {field: value}: id, every register field,
    created_at and updated_at (a KeyError names one missing)."""
    return _child_values(values)


def guardian_row(values):
    """The tuple db.bulk_insert("guardian", GUARDIAN_ROW, …) takes, from {field: value}: id, every register
    field of a guardian (name, relation, phone, id_number) and child."""
    return _guardian_values(values)
