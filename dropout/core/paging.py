"""Keyset paging: a page of a list is read from where the last one ended, through the index of the list's order,
so the last page of a county costs what the first does (OFFSET would read every row before it).

A cursor is the sort key of a row (its values in the list's order, the id last), carried in the link to the next
or previous page. The total is counted only up to a cap: beyond it the page says "more than".

A jump to page N (a phone user's "第 N 页") is the one read by position: the sort key of the row just before the
page is found with OFFSET, and the page is read from there as any other. OFFSET reads every row before the position,
so a jump is allowed only within the counted rows (COUNT_CAP: at most 10,000 index entries, some tens of
milliseconds whatever the county's size); beyond them the list is walked with its next and last links.
"""

import heapq
import json
import math
from dataclasses import dataclass
from itertools import islice

from peewee import Tuple

COUNT_CAP = 10000
PAGE_SIZES = (20, 50, 100)  # what a list offers; the first, the default, is a few screens of a phone
MAX_PAGE_SIZE = PAGE_SIZES[-1]


@dataclass
class Page:
    rows: list
    next_key: str | None = None  # the cursor of the last row, when another page follows
    previous_key: str | None = None  # the cursor of the first row, when a page comes before
    total: int = 0
    total_capped: bool = False  # there are more than `total`
    first: bool = True  # no page comes before
    last: bool = False  # no page follows
    per_page: int = 0
    number: int | None = None  # the page's place in the list (1: the first), None beyond the counted rows
    pages: int | None = None  # how many pages the list fills, None when it holds more than the cap

    @property
    def reachable(self):
        """The last page a jump may ask for: the counted rows' last."""
        return max(math.ceil(self.total / self.per_page), 1) if self.per_page else 1


def _small_number(raw, limit):
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 and 1 <= int(text) <= limit else None


def page_size(raw, default=PAGE_SIZES[0]):
    """The page size a link asks for (1 to MAX_PAGE_SIZE), else `default`."""
    return _small_number(raw, MAX_PAGE_SIZE) or default


def page_number(raw):
    """The page a jump asks for (1 or more; page() keeps it within the counted rows), else None."""
    return _small_number(raw, COUNT_CAP)


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


def _ordered(order, ascending):
    return [f.asc() if ascending else f.desc() for f in order]


def _past(keys, key, descending):
    """The rows that come after `key` in the list's order."""
    return keys < Tuple(*key) if descending else keys > Tuple(*key)


def _before(keys, key, descending):
    """The rows that come before `key` in the list's order."""
    return keys > Tuple(*key) if descending else keys < Tuple(*key)


def key_at(queries, order, position, descending=False):
    """The sort key of the row at `position` (0: the first) of the list, or None past its end. The database reads
    every row before it (OFFSET), so keep `position` within COUNT_CAP; a list of several parts reads the first
    position + 1 rows of each and merges them."""
    parts = [query.select(*order).order_by(*_ordered(order, not descending)) for query in queries]
    if len(parts) == 1:
        found = parts[0].offset(position).limit(1).tuples().first()
    else:
        merged = heapq.merge(*(part.limit(position + 1).tuples() for part in parts), reverse=descending)
        found = next(islice(merged, position, None), None)
    return list(found) if found is not None else None


def page(
    queries,
    order,
    per_page,
    after=None,
    before=None,
    last=False,
    descending=False,
    count=True,
    number=None,
    cap=COUNT_CAP,
):
    """One page of a list in `order` (fields all ascending, or all descending): the first, the one after or before a
    cursor, the last, or (with `number`) the page at that place among the counted rows. The list is one query, or
    several disjoint ones (each served by its own index) merged."""
    queries = list(queries) if isinstance(queries, list | tuple) else [queries]
    counted = count or number is not None
    total, capped = count_capped(queries, cap) if counted else (0, False)
    after_key = parse_key(after, order) if after else None
    before_key = parse_key(before, order) if before and not after_key else None
    if number is not None:
        number = min(max(number, 1), max(math.ceil(total / per_page), 1))
        after_key = key_at(queries, order, (number - 1) * per_page - 1, descending) if number > 1 else None
        before_key, last = None, False
        if after_key is None:
            number = None  # the first page, or the rows went since they were counted: the page is placed below
    result = _read(queries, order, per_page, after_key, before_key, last, descending)
    result.per_page = per_page
    if counted:
        result.total, result.total_capped = total, capped
        result.pages = None if capped else max(math.ceil(total / per_page), 1)
        result.number = number or _number(queries, order, per_page, result, descending, cap)
    return result


def _read(queries, order, per_page, after_key, before_key, last, descending):
    keys = Tuple(*order)
    forward = before_key is None and not (last and after_key is None)
    ascending = forward != descending
    rows = []
    for query in queries:
        if after_key is not None:
            query = query.where(_past(keys, after_key, descending))
        elif before_key is not None:
            query = query.where(_before(keys, before_key, descending))
        rows.extend(query.order_by(*_ordered(order, ascending)).limit(per_page + 1))
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
    return result


def _number(queries, order, per_page, result, descending, cap):
    """The page's place, from the rows before its first (counted up to the cap), or None beyond the cap."""
    if result.first:
        return 1
    if not result.rows:
        return None
    first = [result.rows[0].__data__.get(f.name) for f in order]
    keys = Tuple(*order)
    before, capped = count_capped([query.where(_before(keys, first, descending)) for query in queries], cap)
    return None if capped else before // per_page + 1
