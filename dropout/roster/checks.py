"""The register's side of 比对 (cross-check): its children as the checks see them, one row each, and the
register's own checks (children registered twice, past school age yet enrolled, enrolled without a school).
"""

from dataclasses import dataclass
from datetime import date
from itertools import combinations, groupby

from peewee import JOIN, Tuple, fn

from ..core import scope
from ..core.errors import PermissionDenied
from ..models import Child, DropoutCase, Guardian, School, Village
from ..rules import case_status, school_age
from ..rules.school_age import birth_range_for_ages

ROLES = ("admin", "bureau", "township")
FLAG_ROLES = ("admin", "township")  # who may change the register from the findings (the bureau reads only)
# A register child counts as in education with one of these statuses (送教上门 and special schools included).
ENROLLED = ("enrolled", "returned", "home_taught", "special_school", "outside_county", "deferred")
# Accounted for without being enrolled: never a dropout candidate.
ACCOUNTED = ("completed", "deceased", "moved_out")
CHUNK = 500  # ids per IN (...) query


@dataclass
class RegisterChild:
    """A register child as the checks show it: a row of register_query()."""

    id: int
    name: str
    id_number: str | None
    birth_on: date
    status: str
    village_id: int
    village: str
    school: str
    case_status: str | None = None
    guardians: tuple = ()
    disability_category: str | None = None
    disability_grade: int | None = None

    @property
    def has_open_case(self):
        return self.case_status in case_status.OPEN_STATUSES


def require(user):
    """PermissionDenied unless the user's role cross-checks registers."""
    if user.role not in ROLES:
        raise PermissionDenied()


def register_query(user):
    """The user's children with what the checks show of them, one row per child."""
    return (
        scope.children(user)
        .select(
            Child.id,
            Child.name,
            Child.id_number,
            Child.birth_on,
            Child.status,
            Child.village.alias("village_id"),
            Child.disability_category,
            Child.disability_grade,
            Village.name.alias("village"),
            School.name.alias("school"),
            DropoutCase.status.alias("case_status"),
        )
        .join(Village)
        .switch(Child)
        .join(School, JOIN.LEFT_OUTER)
        .switch(Child)
        .join(DropoutCase, JOIN.LEFT_OUTER, on=(DropoutCase.child == Child.id))
        .dicts()
    )


def register_children(query):
    """RegisterChild objects of register_query() rows."""
    for row in query:
        row["school"] = row["school"] or ""
        yield RegisterChild(**row)


def chunks(values):
    """The values sorted, in lists of CHUNK for IN (...) queries."""
    values = sorted(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def duplicates(user):
    """Children registered twice: [(reasons, [RegisterChild, ...])], by name.

    Two entries with one ID number cannot exist (a unique column), so a pair counts when it
    shares name and birth date and either one has no ID number, or the two live in different
    villages under a guardian of the same name.
    """
    require(user)
    twice = (
        scope.children(user)
        .select(Child.name, Child.birth_on)
        .group_by(Child.name, Child.birth_on)
        .having(fn.COUNT(Child.id) > 1)
    )
    query = register_query(user).where(Tuple(Child.name, Child.birth_on).in_(twice))
    children = list(register_children(query.order_by(Child.name, Child.birth_on, Child.id)))
    guardians = {}
    for ids in chunks({child.id for child in children}):
        for child_id, name in Guardian.select(Guardian.child, Guardian.name).where(Guardian.child.in_(ids)).tuples():
            guardians.setdefault(child_id, set()).add(name)
    groups = []
    for _key, members in groupby(children, key=lambda child: (child.name, child.birth_on)):
        members, involved, reasons = list(members), set(), set()
        for a, b in combinations(members, 2):
            if not (a.id_number and b.id_number):
                reason = "no_id"
            elif a.village_id != b.village_id and guardians.get(a.id, set()) & guardians.get(b.id, set()):
                reason = "guardian"
            else:
                continue
            involved |= {a.id, b.id}
            reasons.add(reason)
        if involved:
            chosen = [child for child in members if child.id in involved]
            for child in chosen:
                child.guardians = tuple(sorted(guardians.get(child.id, ())))
            groups.append((sorted(reasons), chosen))
    return groups


def past_school_age(user, today, start_age=6):
    """Children older than compulsory-school age still marked enrolled (a query of dicts)."""
    require(user)
    earliest, _latest = birth_range_for_ages(None, school_age.last_school_age(start_age), today)
    return (
        register_query(user)
        .where((Child.status == "enrolled") & (Child.birth_on < earliest))
        .order_by(Child.birth_on, Child.id)
    )


def without_school(user, today, start_age=6):
    """School-age children marked enrolled with no school (a query of dicts).

    Every child has a status, so the issue's "school-age children with no status" is read
    as children the register calls enrolled without naming their school.
    """
    require(user)
    earliest, latest = birth_range_for_ages(start_age, school_age.last_school_age(start_age), today)
    condition = (Child.status == "enrolled") & Child.school.is_null() & Child.birth_on.between(earliest, latest)
    return register_query(user).where(condition).order_by(Child.village, Child.name, Child.id)
