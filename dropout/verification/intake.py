"""A pushed list taken in, all or nothing: checked at once (who, title, due date, the file's kind and size, the same
file seen before), then read, matched with the register, the earlier verifications carried over, and saved with all
its rows in one transaction. A township's upload holds only rows of its own township."""

import hashlib
import json

from flask_babel import gettext as _
from peewee import IntegrityError

from ..core import audit
from ..core.errors import ValidationError
from ..db import database
from ..models import PushedList, PushedRow
from ..rules.dates import local_date
from . import matching
from .lists import require
from .read import check_file, read_pushed

MAX_TITLE = 100
INSERT_CHUNK = 500
NAMED_ROWS = 20  # a refusal names this many rows, then counts the rest
CARRIED = ("result", "note", "transfer_to", "case", "verified_by", "verified_at")


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


def check(user, path, title, due_on, today, zone_name, limits=None):
    """What is refused before a row is read, at once: the role, the title and due date, a file that is empty, not an
    .xlsx or .csv or past the upload limits, the same file seen before. (the title as kept, the file's sha256)."""
    require(user)
    title = _check_form(title, due_on, today)
    check_file(path, limits)
    digest = sha256_of(path)
    duplicate = _duplicate(digest, zone_name)
    if duplicate:
        raise ValidationError({"file": duplicate})
    return title, digest


def upload(user, path, file_name, title, due_on, today, zone_name, limits=None):
    """Take in a pushed list: check it, read it, match it, carry the earlier verifications over, and save it with
    its rows, all or nothing; the PushedList. ValidationError (nothing saved) for what check() refuses, a file that
    cannot be read or has no recognisable header, or (a township's upload) rows outside its township."""
    title, digest = check(user, path, title, due_on, today, zone_name, limits)
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
