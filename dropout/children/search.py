"""The filtered, searched children list: one query builder for the page and exports."""

import functools
import operator
import re
import sys
from dataclasses import asdict, dataclass, fields, replace

from peewee import JOIN

from ..choices import OUT_OF_SCHOOL
from ..core import scope
from ..models import Child, School, Village
from ..rules import id_number as idn
from ..rules.school_age import JUNIOR_GRADES, PRIMARY_GRADES, birth_range_for_ages

_NUMBER = re.compile(r"[0-9]{1,9}")
MAX_AGE = 30  # ages beyond this are clamped, so a birth-date bound stays a real date
# The status filter's value for every child out of school (suspected or dropped out).
OUT_OF_SCHOOL_FILTER = "out_of_school"
# The list's order, served by the index child (village_id, name, id) (migration 0014): a page is read from there.
ORDER = (Child.village, Child.name, Child.id)


def read_args(cls, args, text_limit=100):
    """A filters dataclass's fields from query-string arguments: text cut short, malformed numbers dropped."""
    values = {}
    for f in fields(cls):
        raw = (args.get(f.name) or "").strip()
        if f.type is str:
            values[f.name] = raw[:text_limit]
        else:
            values[f.name] = int(raw) if _NUMBER.fullmatch(raw) else None
    return values


@dataclass
class Filters:
    q: str = ""
    township: int | None = None
    village: int | None = None
    school: int | None = None
    status: str = ""
    stage: str = ""
    group: str = ""
    min_age: int | None = None
    max_age: int | None = None
    home: int | None = None  # 1: the township's residents only (as its monthly figures count them)

    @classmethod
    def from_args(cls, args):
        """Read filters from query-string arguments, ignoring malformed or absurd numbers."""
        values = read_args(cls, args)
        for age in ("min_age", "max_age"):
            if values[age] is not None:
                values[age] = min(values[age], MAX_AGE)
        return cls(**values)

    def chosen(self):
        """How many filters narrow the list besides the search box (an age range counts once; `home` qualifies the
        township chosen, it is no filter of its own)."""
        values = {k: v for k, v in asdict(self).items() if k not in ("q", "home") and v not in (None, "")}
        return len(values.keys() - {"min_age", "max_age"}) + bool(values.keys() & {"min_age", "max_age"})


GROUP_CONDITIONS = {
    "poor": lambda: Child.is_poor,
    "left_behind": lambda: Child.is_left_behind,
    "migrant": lambda: Child.is_migrant,
    "disabled": lambda: Child.disability_category.is_null(False),
    "orphan": lambda: Child.is_orphan,
    "no_id": lambda: Child.id_number.is_null(),
}


def _age_condition(min_age, max_age, today):
    earliest, latest = birth_range_for_ages(min_age, max_age, today)
    conditions = []
    if earliest is not None:
        conditions.append(Child.birth_on >= earliest)
    if latest is not None:
        conditions.append(Child.birth_on <= latest)
    return functools.reduce(operator.and_, conditions)


def _stage_condition(stage, today, start_age):
    """By grade, or by age for a child with no grade."""
    if stage == "primary":
        grades, ages = PRIMARY_GRADES, (start_age, start_age + 5)
    else:
        grades, ages = JUNIOR_GRADES, (start_age + 6, None)  # over-age children stay junior, as in stage()
    by_grade = Child.grade.between(grades[0], grades[-1])
    by_age = Child.grade.is_null() & _age_condition(ages[0], ages[1], today)
    return by_grade | by_age


def prefix(field, text):
    """`field` starts with `text`, as a range an ordinary index serves on SQLite and PostgreSQL alike
    (LIKE 'text%' reads every row on SQLite and on PostgreSQL under a non-C collation)."""
    last = ord(text[-1])
    if last >= sys.maxunicode:
        return field >= text
    return (field >= text) & (field < text[:-1] + chr(last + 1))


_ID_SUFFIX = re.compile(r"[0-9]{3,5}[0-9X]")  # the last 4-6 characters of an ID number
_ID_PART = re.compile(r"[0-9]{6,17}[0-9X]?")  # its first digits (the region, the birth date), or all 18
_INITIALS = re.compile(r"[a-z]{1,20}")


def search_condition(q):
    """What the search box finds, each through an index: a name by its beginning (王梓 finds 王梓明), pinyin
    initials by their beginning (wzm, wz), an ID number whole, by its beginning or by its last 4-6 characters,
    and a student number exactly. A name by a part in its middle is not found: that would read every child."""
    q = q.strip()
    if not q:
        return Child.id.is_null(False)
    number = idn.normalise(q)
    condition = Child.student_number == q
    if _ID_SUFFIX.fullmatch(number):
        return condition | prefix(Child.id_reversed, number[::-1])
    if _ID_PART.fullmatch(number):
        return condition | (Child.id_number == number if len(number) == 18 else prefix(Child.id_number, number))
    if _INITIALS.fullmatch(q.lower()):
        condition |= prefix(Child.name_initials, q.lower())
    return condition | prefix(Child.name, q)


def search(user, filters, today, start_age=6):
    """Children in the user's scope matching the filters, ordered by village and name."""
    return _filtered(scope.children(user), filters, today, start_age).order_by(*ORDER)


def search_parts(user, filters, today, start_age=6):
    """search() as disjoint queries, one per part of the user's scope (scope.child_condition_parts), so that each
    is read in the list's order through an index and a page is merged from them (core/paging.py)."""
    parts = scope.child_condition_parts(user)
    if filters.township and not filters.home:
        parts = [part & place for part in parts for place in scope.township_parts(filters.township)]
        filters = replace(filters, township=None)
    return [_filtered(Child.select().where(part), filters, today, start_age) for part in parts]


def _filtered(query, filters, today, start_age):
    query = (
        query.select_extend(Village.id, Village.name, School.id, School.name)
        .join(Village)
        .switch(Child)
        .join(School, JOIN.LEFT_OUTER)
    )
    if filters.q:
        # The matches are found first, through the search keys' indexes; the scope and the filters then only
        # check those few (left in one WHERE, the planner may read every child in scope through its own index).
        query = query.where(Child.id.in_(Child.select(Child.id).where(search_condition(filters.q))))
    if filters.township:
        query = query.where(scope.living_in(filters.township) if filters.home else scope.in_township(filters.township))
    if filters.village:
        query = query.where(Child.village == filters.village)
    if filters.school:
        query = query.where(Child.school == filters.school)
    if filters.status == OUT_OF_SCHOOL_FILTER:
        query = query.where(Child.status.in_(OUT_OF_SCHOOL))
    elif filters.status:
        query = query.where(Child.status == filters.status)
    if filters.stage in ("primary", "junior"):
        query = query.where(_stage_condition(filters.stage, today, start_age))
    if filters.group in GROUP_CONDITIONS:
        query = query.where(GROUP_CONDITIONS[filters.group]())
    if filters.min_age is not None or filters.max_age is not None:
        query = query.where(_age_condition(filters.min_age, filters.max_age, today))
    return query
