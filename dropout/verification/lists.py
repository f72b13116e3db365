"""Pushed lists in: upload (all or nothing), who sees which list and row, and the bureau's progress per township.

A list is the bureau's (township NULL: rows across the county) or a township's own upload (every row in its
township). Township staff see the lists with rows in their township, and only those rows; the bureau and the
county's administrators see everything. Teachers and village cadres do not verify lists."""

import hashlib
import json
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, fn

from ..core import audit
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import PushedList, PushedRow, Township, User
from ..rules import id_number as idn
from ..rules.dates import local_date
from . import matching
from .read import from_json, read_pushed

ROLES = ("admin", "bureau", "township")
MAX_TITLE = 100
INSERT_CHUNK = 500
NAMED_ROWS = 20  # a refusal names this many rows, then counts the rest
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
CARRIED = ("result", "note", "transfer_to", "case", "verified_by", "verified_at")


def may_use(user):
    """The bureau, township staff and the county's administrators take in and verify the platform's lists."""
    return user.role in ROLES


def _require(user):
    if not may_use(user):
        raise PermissionDenied()


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _check_form(title, due_on, today):
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("Give the list a title, such as the platform's notice.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("At most %(n)d characters.", n=MAX_TITLE)
    if due_on is None:
        errors["due_on"] = _("Give the date the verification is due.")
    elif due_on < today:
        errors["due_on"] = _("The due date has passed: give a day from today on.")
    if errors:
        raise ValidationError(errors)
    return title


def _duplicate(digest, zone_name):
    earlier = PushedList.get_or_none(PushedList.sha256 == digest)
    if earlier is None:
        return None
    return _(
        "This file was uploaded before, as “%(title)s” on %(day)s: nothing was saved.",
        title=earlier.title,
        day=local_date(earlier.uploaded_at, zone_name).isoformat(),
    )


def _named(numbers):
    shown = "、".join(str(n) for n in numbers[:NAMED_ROWS])
    more = len(numbers) - NAMED_ROWS
    return shown + (_(" and %(n)d more", n=more) if more > 0 else "")


def upload(user, path, file_name, title, due_on, today, zone_name, limits=None):
    """Take in a pushed list: read, match, carry the earlier verifications over, and save it with its rows, all or
    nothing; the PushedList. ValidationError (nothing saved) for a bad title or due date, a file seen before, a
    file that cannot be read or has no recognisable header, or (a township's upload) rows outside its township."""
    _require(user)
    title = _check_form(title, due_on, today)
    digest = sha256_of(path)
    duplicate = _duplicate(digest, zone_name)
    if duplicate:
        raise ValidationError({"file": duplicate})
    received = read_pushed(path, today, limits)
    matches = matching.match(received.rows)
    own = user.township_id if user.role == "township" else None
    if own is not None:
        outside = [row.number for row, m in zip(received.rows, matches, strict=True) if m.township not in (None, own)]
        if outside:
            raise ValidationError(
                {
                    "file": _(
                        "Rows %(rows)s are children of another township: nothing was saved. Only the bureau "
                        "uploads a list across townships.",
                        rows=_named(outside),
                    )
                }
            )
        for m in matches:
            m.township = own  # a child the register does not know, on the township's own list: theirs to verify
    carried = matching.carry_over(received.rows)
    width = max([len(received.headers)] + [len(row.cells) for row in received.rows])
    headers = received.headers + [""] * (width - len(received.headers))
    try:
        with database.atomic():  # the list and all its rows, or nothing
            pushed = PushedList.create(
                title=title,
                file_name=(file_name or "")[:200],
                sha256=digest,
                headers=json.dumps(
                    {"kind": received.kind, "headers": headers, "columns": received.columns}, ensure_ascii=False
                ),
                township=own,
                due_on=due_on,
                row_count=len(received.rows),
                uploaded_by=user,
            )
            values = [
                _row_values(pushed, row, m, carried.get(index))
                for index, (row, m) in enumerate(zip(received.rows, matches, strict=True))
            ]
            for start in range(0, len(values), INSERT_CHUNK):
                PushedRow.insert_many(values[start : start + INSERT_CHUNK]).execute()
            audit.record(
                user,
                "uploaded",
                "pushed_list",
                pushed.id,
                after={
                    "title": title,
                    "file": pushed.file_name,
                    "rows": pushed.row_count,
                    "due_on": due_on,
                    "carried": len(carried),
                },
            )
    except IntegrityError:  # the same file, uploaded at the same moment by someone else
        raise ValidationError({"file": _duplicate(digest, zone_name) or _("This file was uploaded before.")}) from None
    return pushed


def _row_values(pushed, row, found, earlier):
    values = {
        "pushed_list": pushed.id,
        "row_number": row.number,
        "cells": json.dumps(row.cells, ensure_ascii=False),
        "id_number": row.id_number,
        "student_number": (row.student_number or None) and row.student_number[:255],
        "name": row.name,
        "birth_on": row.birth_on,
        "child": found.child,
        "matched_by": found.matched_by,
        "township": found.township,
        "transfer_to": "",
        "note": "",
    }
    if earlier is not None:
        values.update(
            {name: getattr(earlier, f"{name}_id" if name in ("case", "verified_by") else name) for name in CARRIED}
        )
        values["carried_from"] = earlier.id
    return values


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
    _require(user)
    query = PushedList.select().order_by(PushedList.uploaded_at.desc(), PushedList.id.desc())
    if user.role == "township":
        theirs = PushedRow.select(PushedRow.pushed_list).where(PushedRow.township == user.township_id)
        query = query.where((PushedList.township == user.township_id) | PushedList.id.in_(theirs))
    return query


def get_list(user, list_id):
    """A list the user sees, or None."""
    return lists(user).where(PushedList.id == list_id).first()


def rows(user, pushed, township=None, state=""):
    """The rows of a list the user sees, in the file's order: a township's own only; filtered by township ("none":
    the rows no township verifies) and by state ("verified", "unverified")."""
    query = (
        PushedRow.select(PushedRow, Township, User)
        .join_from(PushedRow, Township, JOIN.LEFT_OUTER)
        .join_from(PushedRow, User, JOIN.LEFT_OUTER, on=(PushedRow.verified_by == User.id))
        .where(PushedRow.pushed_list == pushed.id)
        .order_by(PushedRow.row_number)
    )
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


def totals(user, pushed_lists, today):
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
