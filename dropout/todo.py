"""我的待办: what each user should do on a given day, computed from the records.

The list is grouped by kind, each group's most urgent item first (the latest, or the oldest waiting); every item
about a child comes with the child's village, township and school from the same query."""

from dataclasses import dataclass, field
from datetime import timedelta

from peewee import JOIN, fn

from .core import calendar as county_calendar
from .core import scope
from .models import (
    Child,
    ClosureRequest,
    DropoutCase,
    Escalation,
    Exemption,
    MonthlyReport,
    ReturnNotice,
    School,
    Township,
    Village,
)
from .reporting import filing as monthly_reports
from .reporting import supervision
from .rules.case_status import VISITING_STATUSES
from .verification import lists as pushed_lists

LIMIT = 100  # items listed per group; a longer group says how many it holds in all
# The groups, in the order the page shows them: a legal step waiting first, then the visits, then paperwork.
GROUPS = (
    "notices_overdue",
    "visits_due",
    "to_confirm",
    "suspected",
    "notices_unserved",
    "closures_to_sign",
    "closures_to_approve",
    "closures_refused",
    "followups_due",
    "reports_missing",
    "reports_waiting",
    "letters_to_answer",
    "letters_to_accept",
    "lists_to_verify",
    "exemptions_to_approve",
    "exemptions_to_file",
    "exemptions_expiring",
)


@dataclass
class Todo:
    notices_overdue: list = field(default_factory=list)  # deadline passed, no measure decided yet
    visits_due: list = field(default_factory=list)  # [(case, school days overdue, None before the first visit)]
    to_confirm: list = field(default_factory=list)  # suspected cases this user decides on
    suspected: list = field(default_factory=list)  # a village cadre's: the township or the school confirms them
    notices_unserved: list = field(default_factory=list)  # issued, not yet served on the guardian
    closures_to_sign: list = field(default_factory=list)  # 销号 requests waiting for this person's signature
    closures_to_approve: list = field(default_factory=list)  # signed by both, waiting for the township
    closures_refused: list = field(default_factory=list)  # this user's requests sent back, with the reason
    followups_due: list = field(default_factory=list)  # [(case, school days overdue)]
    reports_missing: list = field(default_factory=list)  # [(month, due day, [unit names])] past due, not submitted
    reports_waiting: list = field(default_factory=list)  # monthly reports to submit or approve
    letters_to_answer: list = field(default_factory=list)  # 督办函 to the user's unit, open (returned ones too)
    letters_to_accept: list = field(default_factory=list)  # 督办函 answered, waiting for the bureau
    lists_to_verify: list = field(default_factory=list)  # [(pushed list, rows left)]: a township's 核查
    exemptions_to_approve: list = field(default_factory=list)
    exemptions_to_file: list = field(default_factory=list)
    exemptions_expiring: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)  # {group: how many in all} for a group cut at LIMIT

    def total(self, group):
        """How many items the group holds, listed or not."""
        return self.totals.get(group, len(getattr(self, group)))

    @property
    def count(self):
        return sum(self.total(group) for group in GROUPS)


def _few(model, condition):
    """The rows matching `condition`, found first (a few, through its indexes) and only then checked against the
    user's scope: left in one WHERE, the planner may read every child in scope to find them."""
    return model.id.in_(model.select(model.id).where(condition))


def _named(query):
    """The query (which joins Child) with each child's village, township and school, so a page of items names
    them without a query per item."""
    return (
        query.select_extend(Village, Township, School)
        .join_from(Child, Village)
        .join_from(Village, Township)
        .join_from(Child, School, JOIN.LEFT_OUTER)
    )


def _listed(result, group, query):
    """The first LIMIT rows of `query`, in its order; when there are more, the group's total is counted."""
    rows = list(_named(query).limit(LIMIT))
    if len(rows) == LIMIT:
        result.totals[group] = query.order_by().count()
    return rows


def _visits_of(user, cases):
    """The cases whose visits are the user's to make: those naming them as cadre or teacher; a village cadre
    joins the visits to every case of their village (the scope narrows `cases` to it)."""
    if user.role == "village":
        return cases
    return cases.where((DropoutCase.cadre == user.id) | (DropoutCase.teacher == user.id))


def _visit_due(today):
    due = DropoutCase.next_visit_on.is_null() | (DropoutCase.next_visit_on <= today)
    return DropoutCase.status.in_(VISITING_STATUSES) & due


def _followup_due(today):
    return (DropoutCase.status == "returned") & (DropoutCase.next_followup_on <= today)


def _expiring(today, settings):
    horizon = today + timedelta(days=settings.exemption_warning_days)
    return Exemption.status.in_(("approved", "filed")) & Exemption.valid_until.between(today, horizon)


def _to_confirm(user):
    """Suspected cases this user decides on: the township's, or a school's own pupils."""
    query = scope.cases(user).where(DropoutCase.status == "suspected")
    if user.role == "teacher":
        return query.where(Child.school == user.school_id)
    if user.role in ("admin", "township"):
        return query
    return query.where(DropoutCase.id.is_null())


def _notices(user, condition):
    """The notices in the user's area matching `condition`, with their case and child."""
    return (
        ReturnNotice.select(ReturnNotice, DropoutCase, Child)
        .join(DropoutCase)
        .join(Child)
        .where(_few(ReturnNotice, condition) & scope.child_condition(user))
    )


def _days_late(day, today, calendar):
    """Days overdue of a visit due on `day`, school holidays left out: a visit due in early July is not 40 days
    late in August. None when no day is set (no visit yet)."""
    if day is None:
        return None
    return county_calendar.days_outside_school_holidays(day + timedelta(days=1), today, calendar)


def _case_items(result, user, today):
    """The groups about cases: visits and follow-ups due, suspected children, the oldest absence first."""
    cases = scope.cases(user)
    due = _visits_of(user, cases).where(_visit_due(today))
    by_lateness = (DropoutCase.next_visit_on.asc(nulls="first"), DropoutCase.absent_since, DropoutCase.id)
    calendar = county_calendar.load()
    visits = _listed(result, "visits_due", due.order_by(*by_lateness))
    result.visits_due = [(case, _days_late(case.next_visit_on, today, calendar)) for case in visits]
    oldest_absence = (DropoutCase.absent_since, DropoutCase.id)
    result.to_confirm = _listed(result, "to_confirm", _to_confirm(user).order_by(*oldest_absence))
    if user.role == "village":
        suspected = cases.where(DropoutCase.status == "suspected").order_by(*oldest_absence)
        result.suspected = _listed(result, "suspected", suspected)
    followups = _visits_of(user, cases).where(_followup_due(today))
    followups = _listed(result, "followups_due", followups.order_by(DropoutCase.next_followup_on, DropoutCase.id))
    result.followups_due = [(case, _days_late(case.next_followup_on, today, calendar)) for case in followups]


def _notice_items(result, user):
    """The notices waiting for the township: past their deadline with no measure decided, or not yet served."""
    if user.role not in ("admin", "township"):
        return
    overdue = (ReturnNotice.status == "overdue") & ReturnNotice.id.not_in(Escalation.select(Escalation.notice))
    result.notices_overdue = _listed(
        result, "notices_overdue", _notices(user, overdue).order_by(ReturnNotice.deadline_on, ReturnNotice.id)
    )
    unserved = _notices(user, ReturnNotice.status == "issued").order_by(ReturnNotice.issued_on, ReturnNotice.id)
    result.notices_unserved = _listed(result, "notices_unserved", unserved)


def _closures(user, condition):
    """The closure requests of cases in the user's area matching `condition`, with their case and child."""
    return (
        ClosureRequest.select(ClosureRequest, DropoutCase, Child)
        .join(DropoutCase)
        .join(Child)
        .where(_few(ClosureRequest, condition) & scope.child_condition(user))
    )


def _closure_items(result, user):
    """销号 requests: to sign (the case's cadre or teacher, not yet signed by them), to approve (the township's,
    both signatures in; not one's own request, which another approves), and one's own sent back."""
    pending = ClosureRequest.status == "pending"
    oldest = (ClosureRequest.requested_at, ClosureRequest.id)
    cadre_signed = ClosureRequest.cadre_signed_by == DropoutCase.cadre
    teacher_signed = ClosureRequest.teacher_signed_by == DropoutCase.teacher
    cadre_unsigned = ClosureRequest.cadre_signed_by.is_null() | (ClosureRequest.cadre_signed_by != DropoutCase.cadre)
    teacher_unsigned = ClosureRequest.teacher_signed_by.is_null() | (
        ClosureRequest.teacher_signed_by != DropoutCase.teacher
    )
    unsigned = ((DropoutCase.cadre == user.id) & cadre_unsigned) | ((DropoutCase.teacher == user.id) & teacher_unsigned)
    to_sign = _closures(user, pending).where(unsigned).order_by(*oldest)
    result.closures_to_sign = _listed(result, "closures_to_sign", to_sign)
    if user.role in ("admin", "township"):
        ready = _closures(user, pending).where(cadre_signed & teacher_signed)
        if user.role != "admin":
            ready = ready.where(ClosureRequest.requested_by != user.id)
        result.closures_to_approve = _listed(result, "closures_to_approve", ready.order_by(*oldest))
    later = ClosureRequest.alias("later")
    answered = later.select(later.id).where((later.case == ClosureRequest.case) & (later.id > ClosureRequest.id))
    refused = (ClosureRequest.status == "refused") & (ClosureRequest.requested_by == user.id)
    sent_back = _closures(user, refused).where((DropoutCase.status != "closed") & ~fn.EXISTS(answered))
    result.closures_refused = _listed(
        result, "closures_refused", sent_back.order_by(ClosureRequest.decided_at.desc(), ClosureRequest.id)
    )


def _report_items(result, user, today):
    """Monthly reports to submit or approve, and those past due."""
    result.reports_waiting = monthly_reports.to_do(user)[:LIMIT]
    if user.role in ("admin", "bureau", "township"):
        names, missing = monthly_reports.unit_names(), {}
        overdue = monthly_reports.overdue(user, today).order_by(
            MonthlyReport.month, MonthlyReport.unit_kind.desc(), MonthlyReport.unit_id
        )
        for r in overdue:
            missing.setdefault((r.month, r.due_on), []).append(names.get((r.unit_kind, r.unit_id), "?"))
        result.reports_missing = [(month, due_on, units) for (month, due_on), units in missing.items()]


def _letter_items(result, user):
    """督办函: the unit's open letters to answer; the answered ones the bureau accepts or returns."""
    result.letters_to_answer = supervision.to_answer(user)[:LIMIT]
    result.letters_to_accept = supervision.to_accept(user)[:LIMIT]


def _verification_items(result, user):
    """核查: the platform's lists with rows of the township not yet verified, the earliest due first."""
    result.lists_to_verify = pushed_lists.to_verify(user)[:LIMIT]


def _exemption_items(result, user, today, settings):
    """Applications to approve (township) or file (bureau), the oldest first, and those about to expire."""
    exemptions = scope.exemptions(user)
    if user.role in ("admin", "township"):
        applied = exemptions.where(_few(Exemption, Exemption.status == "applied"))
        result.exemptions_to_approve = _listed(
            result, "exemptions_to_approve", applied.order_by(Exemption.applied_on, Exemption.id)
        )
    if user.role in ("admin", "bureau"):
        approved = exemptions.where(_few(Exemption, Exemption.status == "approved"))
        result.exemptions_to_file = _listed(
            result, "exemptions_to_file", approved.order_by(Exemption.approved_on, Exemption.id)
        )
    expiring = exemptions.where(_few(Exemption, _expiring(today, settings)))
    result.exemptions_expiring = _listed(
        result, "exemptions_expiring", expiring.order_by(Exemption.valid_until, Exemption.id)
    )


def todo(user, today, settings):
    """The user's to-do list on `today` (any day, so tests and back-fills can stand on it)."""
    result = Todo()
    _case_items(result, user, today)
    _notice_items(result, user)
    _closure_items(result, user)
    _report_items(result, user, today)
    _letter_items(result, user)
    _verification_items(result, user)
    _exemption_items(result, user, today, settings)
    return result


def county_counts(today, settings):
    """How much of the to-do lists is open county-wide on `today`, as counts (for the daily job's record)."""
    cases = DropoutCase.select()
    return {
        "visits_due": cases.where(_visit_due(today)).count(),
        "to_confirm": cases.where(DropoutCase.status == "suspected").count(),
        "followups_due": cases.where(_followup_due(today)).count(),
        "exemptions_expiring": Exemption.select().where(_expiring(today, settings)).count(),
    }
