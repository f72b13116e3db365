"""Headline counts over the children a user may see, read from indexes rather than from every child.

Each count is taken per part of the user's scope (scope.child_condition_parts: a township's residents, its schools'
pupils from elsewhere), each part one index range: the total from the place indexes, the rest from small partial
indexes (models.COUNTED: children not enrolled, each priority group, no ID number). Enrolled children, the many,
are never read one by one: they are the total less the others.
"""

from peewee import fn

from ..choices import CHILD_STATUSES, OUT_OF_SCHOOL, PRIORITY_GROUPS
from ..core import scope
from ..models import COUNTED, Child


def _count(parts, condition=None):
    total = 0
    for part in parts:
        query = Child.select(fn.COUNT(Child.id)).where(part)
        total += (query.where(condition) if condition is not None else query).scalar() or 0
    return total


def scope_counts(user):
    """Children in scope: total, by status, without ID number, in priority groups."""
    parts = scope.child_condition_parts(user)
    total = _count(parts)
    not_enrolled = COUNTED["not_enrolled"]
    if user.role in ("admin", "bureau"):  # no place to read by: the status index, at each status but enrolled
        not_enrolled &= Child.status.in_([code for code in CHILD_STATUSES if code != "enrolled"])
    by_status = {}
    for part in parts:
        query = (
            Child.select(Child.status, fn.COUNT(Child.id)).where(part & not_enrolled).group_by(Child.status).tuples()
        )
        for status, n in query:
            by_status[status] = by_status.get(status, 0) + n
    by_status["enrolled"] = total - sum(by_status.values())
    return {
        "total": total,
        "by_status": [(code, label, by_status.get(code, 0)) for code, label in CHILD_STATUSES.items()],
        "out_of_school": sum(by_status.get(code, 0) for code in OUT_OF_SCHOOL),
        "no_id": _count(parts, COUNTED["no_id"]),
        "groups": {group: _count(parts, COUNTED[group]) for group in PRIORITY_GROUPS},
    }
