"""Reading for the monthly figures: rows as dicts, days from either database, and "id among these"
looked up through the index on either database."""

import json
from datetime import date

from ..db import database, is_postgres


def read_rows(sql, params=()):
    """The query's rows as dicts by column name."""
    cursor = database.execute_sql(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def day_of(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def among(column, ids):
    """SQL and parameters for `column` among `ids`, looked up through the index on either database
    (PostgreSQL plans an IN over a hundredth of the children as a scan of the whole child table)."""
    if not ids:
        return "1 = 0", ()
    if is_postgres():
        return f"{column} = ANY({database.param})", (sorted(ids),)
    return f"{column} IN (SELECT value FROM json_each({database.param}))", (json.dumps(sorted(ids)),)
