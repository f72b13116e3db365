"""Keyset paging: a page of a list is read from where the last one ended, through the index of the list's order,
so the last page of a county costs what the first does (OFFSET would read every row before it).

A cursor is the sort key of a row (its values in the list's order, the id last), carried in the link to the next
or previous page. The total is counted only up to a cap: beyond it the page says "more than".
"""

import json
from dataclasses import dataclass

from peewee import Tuple

COUNT_CAP = 10000


@dataclass
class Page:
    rows: list
    next_key: str | None = None  # the cursor of the last row, when another page follows
    previous_key: str | None = None  # the cursor of the first row, when a page comes before
    total: int = 0
    total_capped: bool = False  # there are more than `total`
    first: bool = True  # no page comes before
    last: bool = False  # no page follows


def key_of(row, order):
    """The cursor of one row: its sort key as a JSON list (datetimes as text)."""
    values = [row.__data__.get(f.name) for f in order]
    return json.dumps([v if isinstance(v, int | str) or v is None else str(v) for v in values], ensure_ascii=False)


def parse_key(raw, order):
    """A cursor from a link, as the fields' values; None for anything malformed."""
    try:
        values = json.loads(raw)
    except (TypeError, ValueError):
        return None
    if not isinstance(values, list) or len(values) != len(order):
        return None
    try:
        parsed = [f.python_value(v) if v is not None else None for f, v in zip(order, values, strict=True)]
    except (TypeError, ValueError):
        return None
    if any(v is None or isinstance(v, list | dict) for v in parsed):
        return None  # a sort column that is null cannot be a keyset position; such lists start over
    return parsed


def count_capped(queries, cap=COUNT_CAP):
    """(how many rows the queries give together, up to `cap`; whether there are more): never more than cap + 1 read
    from each. The queries are disjoint parts of one list."""
    n = 0
    for query in queries:
        pk = query.model._meta.primary_key
        n += query.select(pk).order_by().limit(cap + 1 - n).count()
        if n > cap:
            break
    return min(n, cap), n > cap


def _sort_key(order):
    return lambda row: tuple(row.__data__.get(f.name) for f in order)


def page(queries, order, per_page, after=None, before=None, last=False, descending=False, count=True):
    """One page of a list in `order` (fields all ascending, or all descending): the first, the one after or before a
    cursor, or the last. The list is one query, or several disjoint ones (each served by its own index) merged."""
    queries = list(queries) if isinstance(queries, list | tuple) else [queries]
    after_key = parse_key(after, order) if after else None
    before_key = parse_key(before, order) if before and not after_key else None
    keys = Tuple(*order)
    forward = before_key is None and not (last and after_key is None)
    ascending = forward != descending
    rows = []
    for query in queries:
        if after_key is not None:
            query = query.where(keys < Tuple(*after_key) if descending else keys > Tuple(*after_key))
        elif before_key is not None:
            query = query.where(keys > Tuple(*before_key) if descending else keys < Tuple(*before_key))
        rows.extend(query.order_by(*(f.asc() if ascending else f.desc() for f in order)).limit(per_page + 1))
    rows.sort(key=_sort_key(order), reverse=not ascending)
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not forward:
        rows.reverse()
    result = Page(rows=rows, first=after_key is None and (forward or not more))
    if rows:
        has_next = more if forward else before_key is not None
        has_previous = after_key is not None if forward else more
        result.next_key = key_of(rows[-1], order) if has_next else None
        result.previous_key = key_of(rows[0], order) if has_previous else None
    elif after_key is not None or before_key is not None:
        result.first = False  # a cursor past the end (the rows moved): the page links back to the first
    result.last = result.next_key is None
    if count:
        result.total, result.total_capped = count_capped(queries)
    return result
