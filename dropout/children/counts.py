"""Headline counts over the children a user may see."""

from peewee import fn

from ..choices import CHILD_STATUSES, OUT_OF_SCHOOL
from ..core import scope
from ..models import Child


def scope_counts(user):
    """Children in scope: total, by status, without ID number, in priority groups."""
    base = scope.children(user)
    by_status = dict(base.select(Child.status, fn.COUNT(Child.id)).group_by(Child.status).tuples())
    flags = base.select(
        fn.COUNT(Child.id),
        fn.SUM(Child.id_number.is_null().cast("integer")),
        fn.SUM(Child.is_poor.cast("integer")),
        fn.SUM(Child.is_left_behind.cast("integer")),
        fn.SUM(Child.is_migrant.cast("integer")),
        fn.SUM(Child.disability_category.is_null(False).cast("integer")),
        fn.SUM(Child.is_orphan.cast("integer")),
    ).tuples()[0]
    total, no_id, poor, left_behind, migrant, disabled, orphan = (value or 0 for value in flags)
    return {
        "total": total,
        "by_status": [(code, label, by_status.get(code, 0)) for code, label in CHILD_STATUSES.items()],
        "out_of_school": sum(by_status.get(code, 0) for code in OUT_OF_SCHOOL),
        "no_id": no_id,
        "groups": {
            "poor": poor,
            "left_behind": left_behind,
            "migrant": migrant,
            "disabled": disabled,
            "orphan": orphan,
        },
    }
