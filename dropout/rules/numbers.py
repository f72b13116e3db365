"""Numbers as forms and query strings send them."""

import re

_ID = re.compile(r"[0-9]{1,9}")


def parse_id(raw):
    """A database id from form or query text: 1 to 9 ASCII digits, so it fits every integer column; else None.

    int() alone would take "²", "+5" or a 30-digit number, which the database then refuses.
    """
    text = "" if raw is None else str(raw).strip()
    return int(text) if _ID.fullmatch(text) else None
