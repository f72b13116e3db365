"""Pushed lists as kept: their layout, who sees which list and row, and the bureau's progress per township.

A list is the bureau's (township NULL: rows across the county) or a township's own upload (every row in its
township). Township staff see the lists with rows in their township, and only those rows; the bureau and the
county's administrators see everything. Teachers and village cadres do not verify lists."""

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from ..core.errors import PermissionDenied
from ..models import PushedList, PushedRow, Township, User
from ..rules import id_number as idn
from .read import from_json

ROLES = ("admin", "bureau", "township")
RESULTS = {
    "in_school": _l("In school"),
    "returned": _l("Back at school"),
    "case_opened": _l("Dropped out, case opened"),
    "transferred": _l("Transferred"),
    "deceased": _l("Deceased"),
    "other": _l("Other"),
}
MATCHED_BY = {
    "id_number": _l("by ID number"),
    "student_number": _l("by student number (学籍号)"),
    "name_birth": _l("by name and birth date"),
}


def may_use(user):
    """The bureau, township staff and the county's administrators take in and verify the platform's lists."""
    return user.role in ROLES


def require(user):
    """PermissionDenied for a role that does not verify lists."""
    if not may_use(user):
        raise PermissionDenied()


def layout(pushed):
    """{kind, headers, columns} the list was received with."""
    return json.loads(pushed.headers)


def page_cells(row):
    """[(header, cell)] of a row as received, for a page: the ID number masked (the feedback file keeps it whole)."""
    received = layout(row.pushed_list)
    cells = [from_json(cell) for cell in json.loads(row.cells)]
    cells += [""] * (len(received["headers"]) - len(cells))
    column = received["columns"].get("id_number")
    if column is not None and column < len(cells) and cells[column]:
        cells[column] = idn.mask(str(cells[column]))
    return [(header, "" if cell is None else cell) for header, cell in zip(received["headers"], cells, strict=False)]


# Scope -------------------------------------------------------------------------------------------------------


def lists(user):
    """The lists the user sees, newest first."""
    require(user)
    query = PushedList.select().order_by(PushedList.uploaded_at.desc(), PushedList.id.desc())
    if user.role == "township":
        theirs = PushedRow.select(PushedRow.pushed_list).where(PushedRow.township == user.township_id)
        query = query.where((PushedList.township == user.township_id) | PushedList.id.in_(theirs))
    return query


def get_list(user, list_id):
    """A list the user sees, or None."""
    return lists(user).where(PushedList.id == list_id).first()


def in_order(pushed):
    """Every row of a list with its township and verifier, in the file's order."""
    return (
        PushedRow.select(PushedRow, Township, User)
        .join_from(PushedRow, Township, JOIN.LEFT_OUTER)
        .join_from(PushedRow, User, JOIN.LEFT_OUTER, on=(PushedRow.verified_by == User.id))
        .where(PushedRow.pushed_list == pushed.id)
        .order_by(PushedRow.row_number)
    )


def rows(user, pushed, township=None, state=""):
    """The rows of a list the user sees, in the file's order: a township's own only; filtered by township ("none":
    the rows no township verifies) and by state ("verified", "unverified")."""
    query = in_order(pushed)
    if user.role == "township":
        query = query.where(PushedRow.township == user.township_id)
    if township == "none":
        query = query.where(PushedRow.township.is_null())
    elif township:
        query = query.where(PushedRow.township == township)
    if state == "verified":
        query = query.where(PushedRow.result.is_null(False))
    elif state == "unverified":
        query = query.where(PushedRow.result.is_null())
    return query


def get_row(user, row_id):
    """A row of a list the user sees, or None; whether the user may verify it is refusal()'s answer."""
    row = PushedRow.get_or_none(PushedRow.id == row_id)
    if row is None or get_list(user, row.pushed_list_id) is None:
        return None
    return row


def next_unverified(user, row):
    """The next row of the list after this one that the user sees and no one has verified, or None."""
    return rows(user, row.pushed_list, state="unverified").where(PushedRow.row_number > row.row_number).first()


def refusal(user, row):
    """Why the user may not verify the row, or None."""
    if not may_use(user):
        return _("Only the bureau and township staff verify the platform's lists.")
    if user.role == "township" and row.township_id != user.township_id:
        return _("This row is another township's to verify: only its staff or the bureau may.")
    return None


def export_refusal(user, pushed):
    """Why the user may not export the list's feedback, or None: the bureau sends back its own lists, a township
    its own uploads."""
    if user.role == "township" and pushed.township_id != user.township_id:
        return _("The bureau sends the feedback of its own lists; a township exports its own uploads.")
    return None


# Progress ----------------------------------------------------------------------------------------------------


@dataclass
class Progress:
    township: str  # its name; "" for the rows no township verifies
    township_id: int | None
    verified: int
    total: int
    overdue: bool


def progress(user, pushed, today):
    """[Progress] per township of the rows the user sees, by township name, the rows of no township last."""
    query = (
        PushedRow.select(PushedRow.township, Township.name, fn.COUNT(PushedRow.id), fn.COUNT(PushedRow.result))
        .join(Township, JOIN.LEFT_OUTER)
        .where(PushedRow.pushed_list == pushed.id)
        .group_by(PushedRow.township, Township.name)
        .tuples()
    )
    if user.role == "township":
        query = query.where(PushedRow.township == user.township_id)
    late = pushed.due_on < today
    found = [
        Progress(name or "", town, verified, total, late and verified < total) for town, name, total, verified in query
    ]
    return sorted(found, key=lambda p: (p.township_id is None, p.township))


def totals(user, pushed_lists):
    """{list id: (verified, total)} of the rows the user sees in each list, in one query."""
    ids = [p.id for p in pushed_lists]
    if not ids:
        return {}
    query = (
        PushedRow.select(PushedRow.pushed_list, fn.COUNT(PushedRow.id), fn.COUNT(PushedRow.result))
        .where(PushedRow.pushed_list.in_(ids))
        .group_by(PushedRow.pushed_list)
        .tuples()
    )
    if user.role == "township":
        query = query.where(PushedRow.township == user.township_id)
    return {list_id: (verified, total) for list_id, total, verified in query}


def to_verify(user):
    """[(list, rows left)] of the lists with rows of a township user's township no one has verified, the earliest
    due first (the to-do list's group); [] for other roles, who verify no township's rows."""
    if user.role != "township":
        return []
    left = fn.COUNT(PushedRow.id)
    query = (
        PushedList.select(PushedList, left.alias("left"))
        .join(PushedRow)
        .where((PushedRow.township == user.township_id) & PushedRow.result.is_null())
        .group_by(PushedList.id)
        .order_by(PushedList.due_on, PushedList.id)
    )
    return [(pushed, pushed.left) for pushed in query]
