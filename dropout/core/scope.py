"""Access scope: the one place that narrows queries to what the acting user may see.

Every list, page, export and PDF about children starts from `children(user)`; each record about a child
(a case, a visit, an exemption, a notice, a penalty document) is found through it by one `get_…(user, id)`,
which gives None for anything outside the user's scope, as if it did not exist.
"""

from dataclasses import dataclass

from peewee import fn

from ..models import (
    Child,
    DocumentScan,
    DropoutCase,
    Exemption,
    HomeVisit,
    PenaltyDocument,
    ReturnNotice,
    School,
    Township,
    User,
    Village,
)


@dataclass(frozen=True)
class County:
    """The whole county as a scope, for commands run by an operator (the CLI) rather than by an account."""

    role: str = "bureau"
    township_id: int = None
    school_id: int = None
    village_id: int = None
    id: int = None


WHOLE_COUNTY = County()


def _villages_of(township_id):
    return Village.select(Village.id).where(Village.township == township_id)


def _schools_of(township_id):
    return School.select(School.id).where(School.township == township_id)


def in_township(township_id):
    """Children living in the township or going to school there."""
    return Child.village.in_(_villages_of(township_id)) | Child.school.in_(_schools_of(township_id))


def living_in(township_id):
    """Children living in the township (the monthly figures count townships by residence)."""
    return Child.village.in_(_villages_of(township_id))


def child_condition(user):
    """The WHERE clause selecting the children this user may see."""
    role = user.role
    nothing = Child.id.is_null(True)
    if role in ("admin", "bureau"):
        return Child.id.is_null(False)
    if role == "township":
        return in_township(user.township_id) if user.township_id else nothing
    if role == "teacher":
        assigned = Child.responsible_teacher == user.id
        return ((Child.school == user.school_id) | assigned) if user.school_id else assigned
    if role == "village":
        return (Child.village == user.village_id) if user.village_id else nothing
    return nothing


def township_parts(township_id):
    """in_township(township_id) as disjoint conditions, each read in the lists' order through an index of its own
    (child (village_id, name, id), child (school_id, village_id, name, id)): the township's residents, then for
    each of its schools the pupils who live in another township."""
    outside = Village.select(Village.id).where(Village.township != township_id)
    schools = [s.id for s in School.select(School.id).where(School.township == township_id).order_by(School.id)]
    return [living_in(township_id)] + [(Child.school == s) & Child.village.in_(outside) for s in schools]


def child_condition_parts(user):
    """child_condition(user) as disjoint conditions whose OR it is, so that a long list can be read a page at a
    time through the index of its order (core/paging.py) instead of sorting every child in scope."""
    if user.role == "township" and user.township_id:
        return township_parts(user.township_id)
    if user.role == "teacher" and user.school_id:
        own = Child.school == user.school_id
        return [own, (Child.responsible_teacher == user.id) & (Child.school.is_null() | ~own)]
    return [child_condition(user)]


def children(user):
    """All children in the user's scope."""
    return Child.select().where(child_condition(user))


def get_child(user, child_id):
    """A child in scope, or None."""
    return children(user).where(Child.id == child_id).first()


def townships(user):
    """Townships a user may filter by."""
    query = Township.select().order_by(Township.name)
    if user.role in ("admin", "bureau"):
        return query
    if user.role == "township":
        return query.where(Township.id == user.township_id)
    place = user.place
    if place is None:
        return query.where(Township.id.is_null())
    return query.where(Township.id == (place.township_id if user.role in ("village", "teacher") else place.id))


def villages(user):
    """Villages a user may pick for a child's residence."""
    query = Village.select(Village, Township).join(Township).order_by(Township.name, Village.name)
    if user.role == "township":
        return query.where(Village.township == user.township_id)
    if user.role == "village":
        return query.where(Village.id == user.village_id)
    return query


def schools(user):
    """Schools a user may pick for a child's school."""
    query = School.select().order_by(School.name)
    if user.role == "teacher":
        return query.where(School.id == user.school_id)
    return query


def teachers(user):
    """Active teachers a user may name as a child's responsible teacher."""
    query = User.select().where((User.role == "teacher") & User.is_active).order_by(User.username)
    if user.role == "admin":
        return query
    if user.role == "township":
        return query.where(User.school.in_(_schools_of(user.township_id)))
    return query.where(User.id.is_null())


def cases(user):
    """Dropout cases of the children in the user's scope.

    The scope is checked case by case (EXISTS): cases are few, children many, and given the scope in the join's
    WHERE the planner may read every child of a township through its place indexes to find its cases."""
    in_scope = Child.select(Child.id).where((Child.id == DropoutCase.child) & child_condition(user))
    return DropoutCase.select(DropoutCase, Child).join(Child).where(fn.EXISTS(in_scope))


def exemptions(user):
    """Exemption applications of the children in the user's scope."""
    return Exemption.select(Exemption, Child).join(Child).where(child_condition(user))


def get_case(user, case_id):
    """A case in scope, or None."""
    return cases(user).where(DropoutCase.id == case_id).first()


def get_exemption(user, exemption_id):
    """An exemption application in scope, or None."""
    return exemptions(user).where(Exemption.id == exemption_id).first()


def get_visit(user, visit_id):
    """A home visit of a child in scope, or None."""
    return (
        HomeVisit.select()
        .where((HomeVisit.id == visit_id) & HomeVisit.child.in_(children(user).select(Child.id)))
        .first()
    )


def _case_ids(user):
    return cases(user).select(DropoutCase.id)


def notices(user):
    """限期复学通知书 of cases in the user's scope, with their case and child in the same query."""
    return (
        ReturnNotice.select(ReturnNotice, DropoutCase, Child)
        .join(DropoutCase)
        .join(Child)
        .where(DropoutCase.id.in_(_case_ids(user)))
    )


def get_notice(user, notice_id):
    """A notice in scope, or None."""
    return notices(user).where(ReturnNotice.id == notice_id).first()


def penalty_documents(user):
    """The penalty chain's documents (事先告知书, 决定书) of cases in the user's scope."""
    return PenaltyDocument.select().where(PenaltyDocument.case.in_(_case_ids(user)))


def get_penalty_document(user, document_id):
    """A penalty document in scope, or None."""
    return penalty_documents(user).where(PenaltyDocument.id == document_id).first()


def get_scan(user, scan_id):
    """A scan on file of a notice or a penalty document in scope, or None."""
    scan = DocumentScan.get_or_none(DocumentScan.id == scan_id)
    if scan is None:
        return None
    if scan.notice_id is not None:
        return scan if get_notice(user, scan.notice_id) else None
    return scan if get_penalty_document(user, scan.document_id) else None


# The roles that may be shown, and export, children's and guardians' full ID numbers (on request, audited).
FULL_ID_ROLES = ("admin", "bureau", "township")


def may_see_full_ids(user):
    """Whether the user's role may see and export children's full ID numbers (on request, audited); teachers and
    village cadres see them masked."""
    return user.role in FULL_ID_ROLES
