"""Frozen monthly summaries: generated (or regenerated) until the month is locked, then fixed.

A month's figures are computed for every unit at once (reporting/figures.py) and written as rows in
one transaction, together with the month's reports to file and, for the scheduler, the claim of
its period: two runs at once, or one after the other, leave one set of summaries.
"""

import json
from datetime import date, timedelta

from flask_babel import gettext as _
from peewee import IntegrityError

from ..core import audit
from ..core.errors import PermissionDenied, ValidationError
from ..db import database, is_postgres, read_snapshot, write_transaction
from ..models import CohortIntake, JobClaim, MonthlyReport, MonthlySummary, School, SummaryMonth, Township, utcnow
from ..rules.indicators import Intake, total
from ..rules.school_age import school_year
from .figures import Month, compute

REPORTING_KINDS = ("school", "township")  # units that file a monthly report (流失生月报)


class MonthLocked(ValidationError):
    pass


def parse_month(text, today=None):
    """'YYYY-MM', else a ValidationError; given `today` (the county's), only a month that has ended, so
    its figures are never frozen before its last day is over."""
    try:
        month = Month.parse(text)
    except ValueError:
        raise ValidationError({"month": _("Give the month as YYYY-MM, for example 2026-10.")}) from None
    if month.year < 2000 or (today is not None and month.first > today):
        raise ValidationError({"month": _("The month %(month)s has not begun.", month=str(month))})
    if today is not None and month.last >= today:
        raise ValidationError(
            {
                "month": _(
                    "The month %(month)s has not ended: it can be generated from %(day)s.",
                    month=str(month),
                    day=month.last + timedelta(days=1),
                )
            }
        )
    return month


def claim_period(job, period):
    """Claim a job's period inside the current transaction; False when it was claimed before."""
    try:
        with database.atomic():
            JobClaim.insert(job=job, period=period, claimed_at=utcnow()).execute()
        return True
    except IntegrityError:
        return False


def refuse_locked(month):
    """MonthLocked when `month` is locked: its figures may no longer be generated (checked again when they are)."""
    row = SummaryMonth.get_or_none(SummaryMonth.month == str(month))
    if row is not None and row.locked_at is not None:
        raise MonthLocked({"month": _("%(month)s is locked.", month=str(month))})


def generate_month(month, user=None, start_age=6, due_day=5, claim=None):
    """Compute and freeze `month`'s summaries; 'generated', or 'done before' when `claim` (a job
    name) had already claimed the month. Raises MonthLocked for a locked month."""
    with read_snapshot():  # every query of the computation sees the same data
        figures = compute(month, start_age)
    key = str(month)
    with write_transaction():
        if claim is not None and not claim_period(claim, key):
            return "done before"
        row, created = _hold_month(key)
        if row.locked_at is not None:
            raise MonthLocked({"month": _("%(month)s is locked.", month=key)})
        SummaryMonth.update(generated_at=utcnow(), generated_by=user).where(SummaryMonth.month == key).execute()
        MonthlySummary.delete().where(MonthlySummary.month == key).execute()
        rows = [
            {
                "month": key,
                "unit_kind": kind,
                "unit_id": unit_id,
                "figures": json.dumps(cells, ensure_ascii=False, sort_keys=True),
            }
            for (kind, unit_id), cells in sorted(figures.items())
        ]
        for start in range(0, len(rows), 500):
            MonthlySummary.insert_many(rows[start : start + 500]).execute()
        _open_reports(month, due_day)
        audit.record(user, "create" if created else "update", "summary", None, after={"month": key, "units": len(rows)})
    return "generated"


def _hold_month(key):
    """The month's row, created when missing and locked until the transaction ends (PostgreSQL; SQLite's
    write transaction already holds the whole database), so two generations of a month take turns."""
    created = not SummaryMonth.select().where(SummaryMonth.month == key).exists()
    SummaryMonth.insert(month=key, generated_at=utcnow()).on_conflict_ignore().execute()
    query = SummaryMonth.select().where(SummaryMonth.month == key)
    return (query.for_update() if is_postgres() else query).get(), created


def _open_reports(month, due_day):
    """Every school and township has a report for the month, due on `due_day` of the next month."""
    key = str(month)
    following = month.next()
    due_on = date(following.year, following.month, min(max(due_day, 1), 28))
    have = {(r.unit_kind, r.unit_id) for r in MonthlyReport.select().where(MonthlyReport.month == key)}
    units = [("school", s.id) for s in School.select(School.id)] + [
        ("township", t.id) for t in Township.select(Township.id)
    ]
    new = [
        {"month": key, "unit_kind": kind, "unit_id": unit_id, "status": "open", "due_on": due_on}
        for kind, unit_id in units
        if (kind, unit_id) not in have
    ]
    if new:
        MonthlyReport.insert_many(new).execute()


def figures_of(month, kind, unit_id):
    """The frozen cells of a unit's month, or None when the month was not generated."""
    row = MonthlySummary.get_or_none(
        (MonthlySummary.month == str(month)) & (MonthlySummary.unit_kind == kind) & (MonthlySummary.unit_id == unit_id)
    )
    return json.loads(row.figures) if row is not None else None


def figures_by_unit(month, kind, unit_ids=None):
    """{unit id: cells} for every unit of a kind in a generated month."""
    query = MonthlySummary.select().where((MonthlySummary.month == str(month)) & (MonthlySummary.unit_kind == kind))
    if unit_ids is not None:
        query = query.where(MonthlySummary.unit_id.in_(list(unit_ids)))
    return {row.unit_id: json.loads(row.figures) for row in query}


TREND_MONTHS = 12


def trend(month, kind, unit_id):
    """[(month, cells or None)] of the unit's twelve months up to `month`, oldest first (None: not generated)."""
    months = [month]
    while len(months) < TREND_MONTHS:
        months.insert(0, months[0].previous())
    rows = MonthlySummary.select(MonthlySummary.month, MonthlySummary.figures).where(
        MonthlySummary.month.in_([str(m) for m in months])
        & (MonthlySummary.unit_kind == kind)
        & (MonthlySummary.unit_id == unit_id)
    )
    found = {row.month_id: json.loads(row.figures) for row in rows}
    return [(m, found.get(str(m))) for m in months]


def dropout_rate(cells):
    """The school year's dropouts ÷ the roll it started with, in percent (both stages), or None."""
    students = total(cells, "students_year")
    return 100.0 * total(cells, "dropouts_year") / students if students else None


def entry_year(month):
    """The school year in which the cohort in grade 9 during `month` entered grade 1 (eight years before)."""
    return school_year(month.first) - 8


def intake_month(year):
    """The first generated month of school year `year` (September, else the earliest from then to August), or None."""
    row = (
        SummaryMonth.select(SummaryMonth.month)
        .where(SummaryMonth.month.between(f"{year:04d}-09", f"{year + 1:04d}-08"))
        .order_by(SummaryMonth.month)
        .first()
    )
    return Month.parse(row.month) if row is not None else None


def intakes_of(month, kind, unit_ids=None):
    """{unit id: Intake} of the cohort in grade 9 during `month`: the intake the bureau entered, else the
    grade-1 pupils of the unit's summary of the first generated month of the year it entered school."""
    year = entry_year(month)
    found = {}
    first = intake_month(year)
    if first is not None:
        for unit_id, cells in figures_by_unit(first, kind, unit_ids).items():
            if total(cells, "grade1"):  # a summary from before grade 1 was counted says nothing
                found[unit_id] = Intake(total(cells, "grade1"), "derived", str(first))
    entered = CohortIntake.select().where((CohortIntake.entry_year == year) & (CohortIntake.unit_kind == kind))
    if unit_ids is not None:
        entered = entered.where(CohortIntake.unit_id.in_(list(unit_ids)))
    for row in entered:
        found[row.unit_id] = Intake(row.intake, "entered")
    return found


def intake_of(month, kind, unit_id):
    """The Intake of the unit's cohort now in grade 9 (entered beats derived), or None when none is known."""
    return intakes_of(month, kind, [unit_id]).get(unit_id)


def is_locked(month):
    return (
        SummaryMonth.select().where((SummaryMonth.month == str(month)) & SummaryMonth.locked_at.is_null(False)).exists()
    )


def generated_months():
    """The generated months, newest first."""
    return list(SummaryMonth.select().order_by(SummaryMonth.month.desc()))


def lock(user, month):
    """The bureau locks a generated month: its figures and reports no longer change."""
    if user.role not in ("admin", "bureau"):
        raise PermissionDenied()
    key = str(month)
    with database.atomic():
        row = SummaryMonth.get_or_none(SummaryMonth.month == key)
        if row is None:
            raise ValidationError({"month": _("%(month)s has not been generated.", month=key)})
        if row.locked_at is not None:
            raise ValidationError({"month": _("%(month)s is locked.", month=key)})
        SummaryMonth.update(locked_at=utcnow(), locked_by=user).where(SummaryMonth.month == key).execute()
        audit.record(user, "update", "summary", None, {"month": key, "locked": False}, {"month": key, "locked": True})


def unlock(user, month, reason):
    """Only an admin unlocks a month, with a reason that is kept in the audit trail."""
    if user.role != "admin":
        raise PermissionDenied()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for unlocking.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("At most %(n)d characters.", n=500)})
    key = str(month)
    with database.atomic():
        row = SummaryMonth.get_or_none(SummaryMonth.month == key)
        if row is None or row.locked_at is None:
            raise ValidationError({"month": _("%(month)s is not locked.", month=key)})
        SummaryMonth.update(locked_at=None, locked_by=None).where(SummaryMonth.month == key).execute()
        audit.record(
            user,
            "update",
            "summary",
            None,
            {"month": key, "locked": True},
            {"month": key, "locked": False},
            reason=reason,
        )
