"""我的待办: what each user should do on a given day, computed from the records."""

from dataclasses import dataclass, field
from datetime import timedelta

from .core import calendar as county_calendar
from .core import scope
from .models import Child, DropoutCase, Escalation, Exemption, MonthlyReport, ReturnNotice
from .reporting import filing as monthly_reports
from .rules.case_status import VISITING_STATUSES

LIMIT = 100


@dataclass
class Todo:
    visits_due: list = field(default_factory=list)  # [(case, days overdue)]
    to_confirm: list = field(default_factory=list)
    followups_due: list = field(default_factory=list)
    exemptions_expiring: list = field(default_factory=list)
    exemptions_to_approve: list = field(default_factory=list)
    exemptions_to_file: list = field(default_factory=list)
    notices_overdue: list = field(default_factory=list)  # deadline passed, no measure decided yet
    reports_waiting: list = field(default_factory=list)  # monthly reports to submit or approve
    reports_missing: list = field(default_factory=list)  # [(month, due day, [unit names])] past due, not submitted

    @property
    def count(self):
        return sum(len(getattr(self, name)) for name in self.__dataclass_fields__)


def _few(model, condition):
    """The rows matching `condition`, found first (a few, through its indexes) and only then checked against the
    user's scope: left in one WHERE, the planner may read every child in scope to find them."""
    return model.id.in_(model.select(model.id).where(condition))


def _own(user):
    return (DropoutCase.cadre == user.id) | (DropoutCase.teacher == user.id)


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


def todo(user, today, settings):
    """The user's to-do list on `today` (any day, so tests and back-fills can stand on it)."""
    cases = scope.cases(user)
    due = cases.where(_own(user) & _visit_due(today))
    result = Todo()
    calendar = county_calendar.load()
    for case in due.order_by(DropoutCase.next_visit_on.asc(nulls="first"), DropoutCase.id).limit(LIMIT):
        late = None  # days overdue, school holidays left out: a visit due in early July is not 40 days late in August
        if case.next_visit_on:
            late = county_calendar.days_outside_school_holidays(case.next_visit_on + timedelta(days=1), today, calendar)
        result.visits_due.append((case, late))
    result.to_confirm = list(_to_confirm(user).order_by(DropoutCase.opened_on).limit(LIMIT))
    followups = cases.where(_own(user) & _followup_due(today))
    result.followups_due = list(followups.order_by(DropoutCase.next_followup_on).limit(LIMIT))
    exemptions = scope.exemptions(user)
    result.exemptions_expiring = list(
        exemptions.where(_few(Exemption, _expiring(today, settings))).order_by(Exemption.valid_until).limit(LIMIT)
    )
    if user.role in ("admin", "township"):
        result.exemptions_to_approve = list(
            exemptions.where(_few(Exemption, Exemption.status == "applied")).limit(LIMIT)
        )
    if user.role in ("admin", "township"):
        decided = Escalation.select(Escalation.notice)
        overdue = (
            ReturnNotice.select(ReturnNotice, DropoutCase, Child)
            .join(DropoutCase)
            .join(Child)
            .where(
                _few(ReturnNotice, (ReturnNotice.status == "overdue") & ReturnNotice.id.not_in(decided))
                & scope.child_condition(user)
            )
        )
        result.notices_overdue = list(overdue.order_by(ReturnNotice.deadline_on).limit(LIMIT))
    result.reports_waiting = monthly_reports.to_do(user)[:LIMIT]
    if user.role in ("admin", "bureau", "township"):
        names, missing = monthly_reports.unit_names(), {}
        overdue = monthly_reports.overdue(user, today).order_by(
            MonthlyReport.month, MonthlyReport.unit_kind.desc(), MonthlyReport.unit_id
        )
        for r in overdue:
            missing.setdefault((r.month, r.due_on), []).append(names.get((r.unit_kind, r.unit_id), "?"))
        result.reports_missing = [(month, due_on, units) for (month, due_on), units in missing.items()]
    if user.role in ("admin", "bureau"):
        result.exemptions_to_file = list(exemptions.where(_few(Exemption, Exemption.status == "approved")).limit(LIMIT))
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
