"""比对 with the 残联 (disability federation) list: disabled school-age children the register misses or
counts out of school, and register children whose disability category the list contradicts, with the
one step that takes the list's category into the register.

The list usually covers every age: only school-age rows count as missing or out of school, while a
register child matched at any age may take the list's category. Only the three categories (visual,
hearing/speech, intellectual) count for the 三类残疾 enrolment rate; the other categories are shown too.
"""

from flask_babel import gettext as _

from ..children.records import child_snapshot
from ..core import audit, scope
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import Child, utcnow
from ..rules import school_age
from .checks import ACCOUNTED, ENROLLED, FLAG_ROLES, chunks


def compare(result, listed, register, today, start_age):
    """Fill the comparison's disability findings from the 残联 list, matched through the register index."""
    seen = set()  # a child listed twice (say, under two categories) is reported once, as first listed
    for row in listed.rows:
        child = register.match(row)
        key = child.id if child is not None else (row.id_number or (row.name, row.birth_on))
        if key in seen:
            continue
        seen.add(key)
        of_age = school_age.is_school_age(row.birth_on if child is None else child.birth_on, today, start_age)
        if child is None:
            if of_age:
                result.disabled_unregistered.append(row)
            continue
        if of_age and child.status not in ENROLLED + ACCOUNTED:
            result.disabled_out_of_school.append((row, child))
        if row.disability is not None and row.disability != child.disability_category:
            result.disability_mismatch.append((row, child))


def take_categories(user, comparison, child_ids):
    """Set the list's disability category (and grade, when the list gives one) on each chosen child.

    Only children of the comparison's disability mismatches, in the user's scope, are changed; each
    change is audited, and all of them are one transaction. Returns the children changed.
    """
    if user.role not in FLAG_ROLES or not user.can_edit_children:
        raise PermissionDenied()
    listed = {child.id: row for row, child in comparison.disability_mismatch}
    chosen = set(listed) & set(child_ids)
    if not chosen:
        raise ValidationError({"child": _("Tick at least one child.")})
    children = []
    for ids in chunks(chosen):
        children.extend(scope.children(user).where(Child.id.in_(ids)))
    if len(children) != len(chosen):
        raise PermissionDenied()  # a comparison of someone else's area: nothing of it is changed
    children.sort(key=lambda child: (child.name, child.id))
    reason = _("From the disability federation (残联) list.")
    # All or nothing: a failure leaves none of the chosen children half-changed.
    with database.atomic():
        for child in children:
            row = listed[child.id]
            before = child_snapshot(child)
            # A grade belongs to its category: the register's old grade goes when the list gives none.
            child.disability_category, child.disability_grade = row.disability, row.disability_grade
            child.updated_at = utcnow()
            child.save(only=[Child.disability_category, Child.disability_grade, Child.updated_at])
            audit.record(user, "update", "child", child.id, before, child_snapshot(child), child.id, reason=reason)
    return children
