"""The filtered cases list: one query for the page and the export."""

from dataclasses import asdict, dataclass

from peewee import JOIN

from ..children.search import GROUP_CONDITIONS, read_args
from ..core import scope
from ..models import Child, DropoutCase, School, User, Village
from ..rules.case_status import STATUSES

# The list's order, newest change first, served by the index dropout_case (updated_at, id) (migration 0014).
ORDER = (DropoutCase.updated_at, DropoutCase.id)


@dataclass
class CaseFilters:
    status: str = ""
    township: int | None = None
    village: int | None = None
    school: int | None = None
    reason: str = ""
    person: int | None = None
    group: str = ""
    overdue: str = ""

    @classmethod
    def from_args(cls, args):
        return cls(**read_args(cls, args, text_limit=50))

    def chosen(self):
        """How many filters narrow the list (the folded filters' summary says so)."""
        return sum(value not in (None, "") for value in asdict(self).values())


def narrowed(query, filters):
    """A query of cases and their children narrowed to the filters' township, village, school and dropout reason:
    the filters the cases list and the 台账 share."""
    if filters.township:
        query = query.where(scope.in_township(filters.township))
    if filters.village:
        query = query.where(Child.village == filters.village)
    if filters.school:
        query = query.where(Child.school == filters.school)
    if filters.reason:
        query = query.where(DropoutCase.reason == filters.reason)
    return query


def search(user, filters, today):
    """Cases in the user's scope matching the filters, the most recently changed first."""
    query = scope.cases(user)
    if filters.status in STATUSES:
        query = query.where(DropoutCase.status == filters.status)
    elif filters.status == "open":
        query = query.where(DropoutCase.status != "closed")
    query = narrowed(query, filters)
    if filters.person:
        query = query.where((DropoutCase.cadre == filters.person) | (DropoutCase.teacher == filters.person))
    if filters.group in GROUP_CONDITIONS:
        query = query.where(GROUP_CONDITIONS[filters.group]())
    if filters.overdue:
        # A notice past its deadline, or a visit past its date.
        query = query.where(
            (DropoutCase.status == "overdue")
            | (
                DropoutCase.status.in_(("dropped_out", "persuading", "notice_running"))
                & (DropoutCase.next_visit_on < today)
            )
        )
    return _with_names(query).order_by(*(field.desc() for field in ORDER))


def _with_names(query):
    """The village, school and both responsible people in the same query: a page of 50 cases, or an export
    of thousands, would otherwise fetch each one by one."""
    cadre, teacher = User.alias(), User.alias()
    return (
        query.select_extend(Village, School, cadre, teacher)
        .join_from(Child, Village)
        .join_from(Child, School, JOIN.LEFT_OUTER)
        .join_from(DropoutCase, cadre, JOIN.LEFT_OUTER, on=(DropoutCase.cadre == cadre.id), attr="cadre")
        .join_from(DropoutCase, teacher, JOIN.LEFT_OUTER, on=(DropoutCase.teacher == teacher.id), attr="teacher")
    )
