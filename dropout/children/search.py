"""The filtered, searched children list: one query builder for the page and exports."""

import functools
import operator
import re
from dataclasses import dataclass, fields

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


def _search_condition(q):
    number = idn.normalise(q)
    condition = Child.name.contains(q) | (Child.student_number == q)
    if number and number[:6].isdigit():
        condition |= Child.id_number.startswith(number)
    return condition


def search(user, filters, today, start_age=6):
    """Children in the user's scope matching the filters, ordered by village and name."""
    query = (
        scope.children(user)
        .select_extend(Village.name, School.name)
        .join(Village)
        .switch(Child)
        .join(School, JOIN.LEFT_OUTER)
    )
    if filters.q:
        query = query.where(_search_condition(filters.q))
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
    return query.order_by(Child.village, Child.name, Child.id)
