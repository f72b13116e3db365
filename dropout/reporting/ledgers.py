"""疑似辍学学生台账 and 辍学学生台账: the cases as the county keeps them, with 动态销号.

A case stands in the 疑似 台账 while it is suspected, and in the 辍学 台账 from its confirmation until it is
closed (销号). A closed case stays in the book of its last episode (the steps since it was last opened) on a
second list for the rest of the school year: the 辍学 台账 when that episode was confirmed, else the 疑似
台账 (ruled "not a dropout", or closed before anyone confirmed it). The 适龄儿童少年台账 is roster/ledger.py.

Each book is one query in the user's scope, the case's history and visits joined as grouped subqueries; its
workbook is written in Chinese whatever the interface language, in xlsxwriter's constant-memory mode.
"""

import json
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import date

import xlsxwriter
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from peewee import JOIN, Case, fn

from ..casework import search as case_search
from ..children.search import read_args
from ..choices import CASE_STATUSES, CLOSURES, DERIVED_CLOSURES, DROPOUT_REASONS, PLACEMENTS, SEX
from ..core import audit, scope
from ..core.errors import PermissionDenied
from ..db import read_snapshot
from ..models import CaseEvent, Child, ClosureRequest, DropoutCase, HomeVisit, School, Township, User, Village
from ..roster.ledger import BOOK_OPTIONS, GRADES, chunks
from ..rules import id_number
from ..rules.case_status import VISITING_STATUSES
from ..rules.school_age import school_year

BOOKS = {"suspected": "疑似辍学学生台账", "dropouts": "辍学学生台账"}
HEADERS = (
    ("序号", 6),
    ("姓名", 10),
    ("性别", 6),
    ("身份证号", 21),
    ("出生日期", 12),
    ("乡镇", 12),
    ("村（社区）", 14),
    ("学校", 20),
    ("年级", 8),
    ("辍学时间", 12),
    ("辍学原因", 18),
    ("双线责任人", 20),
    ("劝返次数", 9),
    ("最近劝返日期", 13),
    ("返校日期", 12),
    ("安置去向", 16),
    ("销号日期", 12),
    ("销号申请", 10),
    ("状态", 20),
)
CLOSED_SHEET = "已销号"
OUT_OF_SCHOOL = (*VISITING_STATUSES, "returned")  # confirmed and not yet closed: the 辍学 台账's open rows
EPISODE_STARTS = ("opened", "left_again")
SHOWN = 200  # rows on a page; the workbook holds them all
# A closure request waiting (销号申请): for the signatures of the cadre and the teacher, or for the township.
WAITING = {"sign": _l("Waiting for signatures"), "approve": _l("Waiting for approval")}


@dataclass
class LedgerFilters:
    township: int | None = None
    village: int | None = None
    school: int | None = None
    status: str = ""
    reason: str = ""
    closure: str = ""  # "pending": only the rows with a closure request waiting (待销号)

    @classmethod
    def from_args(cls, args):
        return cls(**read_args(cls, args, text_limit=50))

    def chosen(self):
        """The filters given, by name (what the links and the task carry)."""
        return {key: value for key, value in asdict(self).items() if value not in (None, "")}


def year_start(today):
    """The first day of the county's school year: closed rows before it have left the books."""
    return date(school_year(today), 9, 1)


def _history():
    """Per case, from the steps of its last episode: confirmed, returned (and the return's data) and ended (a
    closure, a stable return's too, or a 'not a dropout' ruling)."""
    event, start = CaseEvent.alias("event"), CaseEvent.alias("start")
    starts = (
        start.select(start.case.alias("case_id"), fn.MAX(start.id).alias("first_id"))
        .where(start.kind.in_(EPISODE_STARTS))
        .group_by(start.case)
        .alias("starts")
    )

    def last(kinds, column):
        return fn.MAX(Case(None, ((event.kind.in_(kinds), column),), None))

    return (
        event.select(
            event.case.alias("case_id"),
            last(("confirmed",), event.happened_on).alias("confirmed_on"),
            last(("returned",), event.happened_on).alias("returned_on"),
            last(("returned",), event.data).alias("returned_data"),  # one return an episode: it ends it
            last(("closed", "not_dropout"), event.happened_on).alias("ended_on"),
        )
        .join(starts, JOIN.LEFT_OUTER, on=(starts.c.case_id == event.case))
        .where(event.id >= fn.COALESCE(starts.c.first_id, 0))
        .group_by(event.case)
        .alias("history")
    )


def _persuasion():
    """Per case, its 劝返 visits (not the follow-ups after a return, not 送教上门): how many, and the last day."""
    visit = HomeVisit.alias("visit")
    return (
        visit.select(
            visit.case.alias("case_id"), fn.COUNT(visit.id).alias("visits"), fn.MAX(visit.visited_on).alias("last_on")
        )
        .where(visit.case.is_null(False) & (visit.is_teaching == False) & (visit.is_followup == False))  # noqa: E712
        .group_by(visit.case)
        .alias("persuasion")
    )


def _waiting():
    """Per case with a closure request waiting (销号申请): 'approve' once its cadre and teacher have both signed,
    else 'sign'."""
    owner = DropoutCase.alias("owner")
    signed = (ClosureRequest.cadre_signed_by == owner.cadre) & (ClosureRequest.teacher_signed_by == owner.teacher)
    return (
        ClosureRequest.select(
            ClosureRequest.case.alias("case_id"), Case(None, ((signed, "approve"),), "sign").alias("step")
        )
        .join(owner, on=(ClosureRequest.case == owner.id))
        .where(ClosureRequest.status == "pending")
        .alias("waiting")
    )


def query(user, book, filters, today, closed=False):
    """The book's rows in the user's scope, open or (closed=True) closed this school year, as tuples in the
    order of HEADERS[1:], then the case's id."""
    history, persuasion, waiting = _history(), _persuasion(), _waiting()
    cadre, teacher = User.alias("cadre"), User.alias("teacher")
    closed_on = history.c.ended_on
    confirmed = history.c.confirmed_on.is_null(False)
    if closed:
        wanted = (DropoutCase.status == "closed") & (closed_on >= year_start(today))
        wanted &= confirmed if book == "dropouts" else ~confirmed
    elif book == "dropouts":
        wanted = DropoutCase.status.in_(OUT_OF_SCHOOL)
    else:
        wanted = DropoutCase.status == "suspected"
    found = (
        scope.cases(user)
        .join_from(Child, Village)
        .join_from(Village, Township)
        .join_from(Child, School, JOIN.LEFT_OUTER)
        .join_from(DropoutCase, cadre, JOIN.LEFT_OUTER, on=(DropoutCase.cadre == cadre.id))
        .join_from(DropoutCase, teacher, JOIN.LEFT_OUTER, on=(DropoutCase.teacher == teacher.id))
        .join_from(DropoutCase, history, JOIN.LEFT_OUTER, on=(history.c.case_id == DropoutCase.id))
        .join_from(DropoutCase, persuasion, JOIN.LEFT_OUTER, on=(persuasion.c.case_id == DropoutCase.id))
        .join_from(DropoutCase, waiting, JOIN.LEFT_OUTER, on=(waiting.c.case_id == DropoutCase.id))
        .where(wanted)
    )
    if filters.closure == "pending":
        found = found.where(waiting.c.case_id.is_null(False))
    return _filtered(found, filters).select(
        Child.name,
        Child.sex,
        Child.id_number,
        Child.birth_on,
        Township.name,
        Village.name,
        School.name,
        Child.grade,
        DropoutCase.absent_since,
        DropoutCase.reason,
        fn.COALESCE(fn.NULLIF(cadre.full_name, ""), cadre.username),
        fn.COALESCE(fn.NULLIF(teacher.full_name, ""), teacher.username),
        persuasion.c.visits,
        persuasion.c.last_on,
        history.c.returned_on,
        history.c.returned_data,
        Case(None, ((DropoutCase.status == "closed", closed_on),), None),
        waiting.c.step,
        DropoutCase.status,
        DropoutCase.closed_kind,
        DropoutCase.id,
    )


def _filtered(found, filters):
    found = case_search.narrowed(found, filters)
    if filters.status in CASE_STATUSES:
        found = found.where(DropoutCase.status == filters.status)
    return found.order_by(Township.name, Village.name, Child.name, DropoutCase.id)


def _iso(value):
    """A stored date as YYYY-MM-DD: SQLite gives the text, PostgreSQL a date."""
    if value is None:
        return ""
    return value[:10] if isinstance(value, str) else value.isoformat()


def _labels(chinese):
    """The codes' labels, resolved once: in Chinese (a workbook), or in the interface's language (a page)."""
    with force_locale("zh_CN") if chinese else nullcontext():
        return {
            name: {code: str(label) for code, label in mapping.items()}
            for name, mapping in (
                ("sex", SEX),
                ("reason", DROPOUT_REASONS),
                ("placement", PLACEMENTS),
                ("status", CASE_STATUSES),
                ("closure", {**CLOSURES, **DERIVED_CLOSURES}),
                ("waiting", WAITING),
            )
        }


def row_maker(full_ids=False, chinese=True):
    """A function (number, fetched row) -> (case id, the row's cells as text), in Chinese unless `chinese` is
    False (a page, in the interface's language)."""
    labels = _labels(chinese)
    grades = GRADES if chinese else {grade: str(grade) for grade in GRADES}

    def cells(number, row):
        (name, sex, id_no, birth_on, township, village, school, grade, absent_since, reason, cadre, teacher) = row[:12]
        visits, last_visit, returned_on, returned, closed_on, waiting, status, closure, case_id = row[12:]
        placement = json.loads(returned).get("placement") if returned else None
        state = labels["status"].get(status, status)
        if closure:
            state = f"{state}（{labels['closure'].get(closure, closure)}）"
        return case_id, [
            str(number),
            name,
            labels["sex"].get(sex, sex or ""),
            id_no if full_ids else id_number.mask(id_no),
            _iso(birth_on),
            township,
            village,
            school or "",
            grades.get(grade, ""),
            _iso(absent_since),
            labels["reason"].get(reason, reason or ""),
            f"{cadre or '—'} / {teacher or '—'}",
            str(visits or 0),
            _iso(last_visit),
            _iso(returned_on),
            labels["placement"].get(placement, placement or ""),
            _iso(closed_on),
            labels["waiting"].get(waiting, ""),
            state,
        ]

    return cells


def page_rows(user, book, filters, today, closed=False):
    """(the rows' count, the first SHOWN rows as (case id, cells)) for the page, ID numbers masked."""
    found = query(user, book, filters, today, closed)
    cells = row_maker(chinese=False)
    shown = [cells(number, row) for number, row in enumerate(found.limit(SHOWN).tuples(), start=1)]
    return found.order_by().count(), shown


def counts(user, today):
    """{book: (open rows, closed rows this school year)} in the user's scope, unfiltered."""
    everything = LedgerFilters()
    return {
        book: tuple(query(user, book, everything, today, closed).order_by().count() for closed in (False, True))
        for book in BOOKS
    }


def waiting_counts(user, today):
    """{book: open rows with a closure request waiting (待销号)} in the user's scope."""
    waiting = LedgerFilters(closure="pending")
    return {book: query(user, book, waiting, today).order_by().count() for book in BOOKS}


def _sheet(workbook, name, title, today):
    sheet = workbook.add_worksheet(name)
    bold = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#EEF1F5"})
    text = workbook.add_format({"num_format": "@"})  # an ID number must never become a number
    for column, (_header, width) in enumerate(HEADERS):
        sheet.set_column(column, column, width, text)
    sheet.write_string(0, 0, title, bold)
    sheet.write_string(0, len(HEADERS) - 2, "制表日期")
    sheet.write_string(0, len(HEADERS) - 1, today.isoformat())
    sheet.write_row(1, 0, [header_text for header_text, _width in HEADERS], header)
    sheet.freeze_panes(2, 0)
    return sheet


def write_book(user, book, filters, today, out, unit_name, full_ids=False, progress=None):
    """Write the book of the user's cases matching the filters into `out` (a path or a binary file): the open
    rows on the first sheet, those closed this school year on the second (已销号). Return {"open": n,
    "closed": n}. Full ID numbers only for the roles allowed them, recorded in the audit trail."""
    if full_ids and not scope.may_see_full_ids(user):
        raise PermissionDenied()
    cells = row_maker(full_ids)
    workbook = xlsxwriter.Workbook(out, BOOK_OPTIONS)
    written = {}
    if progress is not None:
        progress(0, 2)  # the sheets: the open rows, then the closed
    with read_snapshot():  # both sheets see the same cases
        for closed, name in ((False, "台账"), (True, CLOSED_SHEET)):
            title = f"{unit_name}{BOOKS[book]}" + (f"（{CLOSED_SHEET}）" if closed else "")
            sheet = _sheet(workbook, name, title, today)
            count = 0
            for rows in chunks(query(user, book, filters, today, closed)):  # a server-side cursor on PostgreSQL
                for row in rows:
                    count += 1
                    sheet.write_row(count + 1, 0, cells(count, row)[1])
            written["closed" if closed else "open"] = count
            if progress is not None:
                progress(len(written), 2)
    workbook.close()
    if full_ids:
        after = {"book": book, "filters": filters.chosen(), "rows": written, "full_ids": True}
        audit.record(user, "export", "ledger", None, after=after)
    return written
