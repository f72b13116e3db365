"""Each row of a pushed list matched with the register, a set at a time (one IN query per chunk of keys, never a
query per row): by ID number first, then by 学籍号, then by name and birth date. A matched row is verified by the
matched child's township; an unmatched one by the township of the school it names, when the county has that school;
else by no township (the bureau verifies it).

The same keys find, on the next push, the rows verified before (carry_over): their verification is kept."""

from dataclasses import dataclass
from itertools import islice

from ..models import Child, PushedRow, School, Village

CHUNK = 500  # keys per IN (…): well under SQLite's limit on a statement's parameters
WAYS = ("id_number", "student_number", "name_birth")


@dataclass
class Match:
    child: int | None = None
    matched_by: str | None = None
    township: int | None = None


def _chunks(values):
    values = iter(sorted(values))
    while chunk := list(islice(values, CHUNK)):
        yield chunk


def _unique(pairs):
    """{key: value} of the keys found once; a key two records share names no one."""
    found, twice = {}, set()
    for key, value in pairs:
        if key in found and found[key] != value:
            twice.add(key)
        found[key] = value
    return {key: value for key, value in found.items() if key not in twice}


def _children(condition_of, keys, key_of):
    """{key: (child id, township id)} of the registered children the keys name, read a chunk of keys at a time."""
    pairs = []
    for chunk in _chunks(keys):
        query = (
            Child.select(Child.id, Child.id_number, Child.student_number, Child.name, Child.birth_on, Village.township)
            .join(Village)
            .where(condition_of(chunk))
            .tuples()
        )
        pairs += [(key_of(*row[1:5]), (row[0], row[5])) for row in query]
    return _unique(pairs)


def _name_birth(name, birth_on):
    return (name, birth_on) if name and birth_on else None


def _keys(row):
    return {
        "id_number": row.id_number,
        "student_number": row.student_number,
        "name_birth": _name_birth(row.name, row.birth_on),
    }


def match(rows):
    """[Match] for the rows (verification/read.Row), in order."""
    found = [Match() for _row in rows]
    lookups = {
        "id_number": (lambda keys: Child.id_number.in_(keys), lambda number, *_rest: number),
        "student_number": (lambda keys: Child.student_number.in_(keys), lambda _n, student, *_rest: student),
        "name_birth": (lambda keys: Child.name.in_(keys), lambda _n, _s, name, birth_on: (name, birth_on)),
    }
    for way in WAYS:
        waiting = [(index, _keys(row)[way]) for index, row in enumerate(rows) if found[index].child is None]
        keys = {key for _index, key in waiting if key}
        if not keys:
            continue
        condition, key_of = lookups[way]
        # name + birth: the names are looked up, the pairs kept (a name alone names too many children)
        children = _children(condition, {key[0] for key in keys} if way == "name_birth" else keys, key_of)
        for index, key in waiting:
            if key in children:
                child, township = children[key]
                found[index] = Match(child, way, township)
    schools = _schools({row.school for row, m in zip(rows, found, strict=True) if m.child is None and row.school})
    for row, m in zip(rows, found, strict=True):
        if m.child is None:
            m.township = schools.get(row.school)
    return found


def _schools(names):
    """{school name: township id} of the county's schools so named (a name two schools share names neither)."""
    pairs = []
    for chunk in _chunks(names):
        pairs += list(School.select(School.name, School.township).where(School.name.in_(chunk)).tuples())
    return _unique(pairs)


def carry_over(rows):
    """{row index: the PushedRow} of the latest earlier verified row each row matches (same ID number, else 学籍号,
    else name and birth date), read a chunk of keys at a time."""
    found = {}
    fields = {"id_number": PushedRow.id_number, "student_number": PushedRow.student_number}
    for way in WAYS:
        waiting = [(index, _keys(row)[way]) for index, row in enumerate(rows) if index not in found]
        keys = {key for _index, key in waiting if key}
        if not keys:
            continue
        earlier = {}
        names = {key[0] for key in keys} if way == "name_birth" else keys
        for chunk in _chunks(names):
            condition = PushedRow.name.in_(chunk) if way == "name_birth" else fields[way].in_(chunk)
            query = (
                PushedRow.select()
                .where(condition & PushedRow.result.is_null(False))
                .order_by(PushedRow.verified_at, PushedRow.id)
            )
            for earlier_row in query:  # the latest verification of a key comes last
                key = _keys(earlier_row)[way]
                if key:
                    earlier[key] = earlier_row
        for index, key in waiting:
            if key in earlier:
                found[index] = earlier[key]
    return found
