"""流失生月报: each school and township files its month's report; the level above approves it.

school → township → county: a school's staff submit (上报) the school's report and the township
approves it; township staff submit the township's and the bureau approves it. Once the bureau locks
the month, nothing changes.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from peewee import JOIN

from ..core import audit
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import MonthlyReport, School, SummaryMonth, Township, User, utcnow
from ..rules.dates import local_date
from . import summaries

MAX_COMMENT = 2000


def _scoped(user, query):
    """Only the reports the user may read: the bureau all, a township its own and its schools', a school its own."""
    if user.role in ("admin", "bureau"):
        return query
    if user.role == "township":
        schools = School.select(School.id).where(School.township == user.township_id)
        return query.where(
            ((MonthlyReport.unit_kind == "township") & (MonthlyReport.unit_id == user.township_id))
            | ((MonthlyReport.unit_kind == "school") & MonthlyReport.unit_id.in_(schools))
        )
    if user.role == "teacher" and user.school_id:
        return query.where((MonthlyReport.unit_kind == "school") & (MonthlyReport.unit_id == user.school_id))
    return query.where(MonthlyReport.id.is_null())


def visible(user, month):
    """The month's reports this user may read."""
    return _scoped(user, MonthlyReport.select().where(MonthlyReport.month == str(month)))


def listed(user, month):
    """The month's reports this user may read, townships first, each with who submitted it (one query)."""
    query = visible(user, month).select_extend(User).join(User, JOIN.LEFT_OUTER, on=MonthlyReport.submitted_by)
    return query.order_by(MonthlyReport.unit_kind.desc(), MonthlyReport.unit_id)


def get_visible(user, report_id):
    report = MonthlyReport.get_or_none(MonthlyReport.id == report_id)
    if report is None or not visible(user, report.month).where(MonthlyReport.id == report.id).exists():
        return None
    return report


def township_of(report):
    if report.unit_kind == "township":
        return report.unit_id
    return School.select(School.township).where(School.id == report.unit_id).scalar()


def can_submit(user, report):
    if user.role == "admin":
        return True
    if report.unit_kind == "school":
        return user.role == "teacher" and user.school_id == report.unit_id
    return user.role == "township" and user.township_id == report.unit_id


def can_approve(user, report):
    """The level above: the township approves its schools', the bureau the townships' (the admin any)."""
    if user.role == "admin":
        return True
    if report.unit_kind == "township":
        return user.role == "bureau"
    return user.role == "township" and user.township_id == township_of(report)


def _snapshot(report):
    return {
        "month": report.month,
        "unit": f"{report.unit_kind}:{report.unit_id}",
        "status": report.status,
        "comment": report.comment,
    }


def _advance(user, report, allowed, expected, status, **fields):
    if not allowed:
        raise PermissionDenied()
    if summaries.is_locked(report.month):
        raise ValidationError({"status": _("%(month)s is locked.", month=report.month)})
    if report.status != expected:
        raise ValidationError({"status": _("This report is not waiting for that step.")})
    with database.atomic():
        before = _snapshot(report)
        changed = (
            MonthlyReport.update(status=status, **fields)
            .where((MonthlyReport.id == report.id) & (MonthlyReport.status == expected))
            .execute()
        )
        if not changed:  # someone else moved it first
            raise ValidationError({"status": _("This report is not waiting for that step.")})
        report = MonthlyReport.get_by_id(report.id)
        audit.record(user, "update", "monthly_report", report.id, before, _snapshot(report))
    return report


def submit(user, report, comment):
    """The unit's staff submit the report, with an optional comment."""
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": _("At most %(n)d characters.", n=MAX_COMMENT)})
    return _advance(
        user,
        report,
        can_submit(user, report),
        "open",
        "submitted",
        comment=comment,
        submitted_by=user,
        submitted_at=utcnow(),
    )


def approve(user, report):
    """The level above approves a submitted report."""
    return _advance(
        user, report, can_approve(user, report), "submitted", "approved", approved_by=user, approved_at=utcnow()
    )


def send_back(user, report):
    """The level above returns a submitted report to its unit for correction."""
    return _advance(user, report, can_approve(user, report), "submitted", "open", submitted_by=None, submitted_at=None)


@dataclass
class Completeness:
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    approved: int = 0
    missing: list = field(default_factory=list)  # [(report, unit name)]


def unit_names():
    """{(kind, id): name} of every township and school."""
    names = {("township", t.id): t.name for t in Township.select(Township.id, Township.name)}
    names.update({("school", s.id): s.name for s in School.select(School.id, School.name)})
    return names


def completeness(user, month, zone):
    """Who reported for the month, on time or not, and who has not (by name)."""
    result, names = Completeness(), unit_names()
    for report in visible(user, month).order_by(MonthlyReport.unit_kind.desc(), MonthlyReport.unit_id):
        result.expected += 1
        if report.status == "open":
            result.missing.append((report, names.get((report.unit_kind, report.unit_id), "?")))
            continue
        result.submitted += 1
        result.approved += report.status == "approved"
        if report.submitted_at is not None and local_date(report.submitted_at, zone) <= report.due_on:
            result.on_time += 1
    return result


def _unlocked():
    locked = SummaryMonth.select(SummaryMonth.month).where(SummaryMonth.locked_at.is_null(False))
    return MonthlyReport.month.not_in(locked)


def overdue(user, today):
    """Reports of open months past their due day and still not submitted, for whoever chases them."""
    query = MonthlyReport.select().where(
        (MonthlyReport.status == "open") & (MonthlyReport.due_on < today) & _unlocked()
    )
    if user.role in ("admin", "bureau"):
        return query
    if user.role == "township":
        schools = School.select(School.id).where(School.township == user.township_id)
        return query.where((MonthlyReport.unit_kind == "school") & MonthlyReport.unit_id.in_(schools))
    return query.where(MonthlyReport.id.is_null())


def to_do(user):
    """The reports waiting for this user: theirs to submit, or below them to approve (the admin only steps in)."""
    waiting = _scoped(user, MonthlyReport.select().where(MonthlyReport.status.in_(("open", "submitted")) & _unlocked()))
    if user.role in ("admin", "bureau"):  # the bureau only approves the townships'
        waiting = waiting.where((MonthlyReport.unit_kind == "township") & (MonthlyReport.status == "submitted"))
    return [
        r
        for r in waiting.order_by(MonthlyReport.month, MonthlyReport.unit_kind.desc(), MonthlyReport.unit_id)
        if (r.status == "open" and user.role != "admin" and can_submit(user, r))
        or (r.status == "submitted" and user.role != "admin" and can_approve(user, r))
    ]
