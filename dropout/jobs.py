"""The scheduled jobs and their bookkeeping; plain functions, run by scheduler.py, the CLI and tests.

Each run is a JobRun row (start, end, result, error), written before the work and completed after
it, so a run killed half-way stays visible as unfinished. The database decides who does a
period's work: a JobClaim row per (job, period), inserted in the same transaction as the work,
so a re-run, a second scheduler or two `run-jobs` at once do each period once. Results and
errors hold counts and kinds, never a name or an ID number; a result is stored as JSON (its outcome
and counts) and worded in the reader's language when shown (job_results.py).
"""

import json
import logging
import traceback
from pathlib import Path

from peewee import DatabaseError, fn

from . import todo
from .casework.settings import CaseSettings
from .core.errors import ValidationError
from .db import database
from .models import JobClaim, JobRun, MonthlySummary, SummaryMonth, utcnow
from .notices import notices
from .reporting.archive import write_month
from .reporting.figures import Month
from .reporting.summaries import MonthLocked, claim_period, generate_month
from .tasks import records as task_records

DAILY, MONTHLY, ARCHIVE = "daily", "monthly", "archive"
PACKAGE_DIR = str(Path(__file__).resolve().parent)  # errors say where in dropout/ they were raised
# Errors whose first line is the library's or our own wording, never a stored value.
SAFE_MESSAGES = (DatabaseError, OSError, ValidationError)

log = logging.getLogger(__name__)


def is_claimed(job, period):
    """Whether (job, period) was claimed."""
    return JobClaim.select().where((JobClaim.job == job) & (JobClaim.period == period)).exists()


def outcome(name, **counts):
    """A job's result: what came of it (done_before, counted, generated, locked, archived, archive_off) and its
    counts."""
    return {"outcome": name, **counts}


def run_job(name, period, work):
    """Run `work()` (which returns its outcome()) as job `name` for `period`, recorded in a JobRun row."""
    run = JobRun.create(job=name, period=period, started_at=utcnow())
    result, error = "", ""
    try:
        result = json.dumps(work(), ensure_ascii=False)
    except Exception as exc:
        error = describe(exc)
        log.error("job %s %s failed: %s\n%s", name, period, error, "".join(traceback.format_tb(exc.__traceback__)))
    except BaseException:
        # Stopped by a signal: the work's transaction rolled back; say so on the run and stop.
        _finish(run, "", "interrupted")
        raise
    _finish(run, result, error)
    if not error:
        log.info("job %s %s: %s", name, period, result)
    return JobRun.get_by_id(run.id)


def _finish(run, result, error):
    JobRun.update(finished_at=utcnow(), result=result, error=error).where(JobRun.id == run.id).execute()


def describe(exc):
    """An error's kind and where it was raised, with its message only when that cannot hold personal data."""
    text = type(exc).__name__
    if isinstance(exc, ValidationError):
        text += ": " + "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
    elif isinstance(exc, SAFE_MESSAGES):
        # PostgreSQL puts the offending values on the DETAIL line, after the first.
        lines = str(exc).strip().splitlines()
        text += f": {lines[0][:200]}" if lines else ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(PACKAGE_DIR)]
    if frames:
        where = frames[-1]
        text += f" (at dropout{where.filename[len(PACKAGE_DIR) :]}:{where.lineno} in {where.name})"
    return text


def daily(today, config):
    """The daily job for `today`: mark notices overdue, and count what is due county-wide."""
    settings = CaseSettings.from_config(config)

    def work():
        # The claim and the day's writes commit together: a crash leaves the day unclaimed, for
        # catch-up to redo; a second runner waits on the claim's row until the first commits,
        # then finds it taken. (Case statuses change with the date only when a notice's deadline
        # passes; check_deadlines refreshes those cases in the same transaction.)
        with database.atomic():
            if not claim_period(DAILY, today.isoformat()):
                return outcome("done_before")
            overdue = notices.check_deadlines(config, today)
        counts = {"notices_overdue": overdue, **todo.county_counts(today, settings)}
        if config.get("TASKS_DIR"):
            counts["task_results_deleted"] = task_records.purge_expired(config["TASKS_DIR"])
        return outcome("counted", **counts)

    return run_job(DAILY, today.isoformat(), work)


def monthly(month, config):
    """The monthly job for `month`: generate its summaries once (claimed), then archive them.

    Returns the runs: the summaries' and, when they were generated, the archive's."""

    def work():
        try:
            generated = generate_month(
                month, start_age=config["SCHOOL_START_AGE"], due_day=config["REPORT_DUE_DAY"], claim=MONTHLY
            )
        except MonthLocked:
            # Locked by the bureau: its figures stay as they are; the claim settles the period.
            with database.atomic():
                claim_period(MONTHLY, str(month))
            return outcome("locked", month=str(month))
        if generated != "generated":
            return outcome("done_before")
        return outcome("generated", units=unit_count(month))

    runs = [run_job(MONTHLY, str(month), work)]
    if outcome_of(runs[0]) == "generated":
        runs.append(run_job(ARCHIVE, str(month), lambda: archive(month, config)))
    return runs


def unit_count(month):
    """How many units the month's summaries cover."""
    return MonthlySummary.select().where(MonthlySummary.month == str(month)).count()


def archive_enabled(config):
    """Whether the jobs write the monthly archive: DROPOUT_ARCHIVE_REPORTS (on unless set to 0; tests turn it
    off to skip rendering PDFs)."""
    return bool(config.get("ARCHIVE_REPORTS", 1))


def archive(month, config):
    """Write the month's archive (PDF and .xlsx) and claim it after: writing is idempotent, so a
    crash before the claim only means the files are written again."""
    if not archive_enabled(config):
        return outcome("archive_off")
    paths = write_month(month, config)
    with database.atomic():
        claim_period(ARCHIVE, str(month))
    return outcome("archived", files=len(paths))


def months_due(today):
    """The months to generate: after the newest one claimed (else just the previous month) up to the previous month."""
    last = Month.of(today).previous()
    newest = JobClaim.select(fn.MAX(JobClaim.period)).where(JobClaim.job == MONTHLY).scalar()
    month = Month.parse(newest).next() if newest else last
    due = []
    while str(month) <= str(last):
        due.append(month)
        month = month.next()
    return due


def run_months(today, config):
    """Generate every month due, oldest first; a failure stops there, so the next run starts from it."""
    runs = []
    for month in months_due(today):
        month_runs = monthly(month, config)
        runs += month_runs
        if month_runs[0].error:
            break
    return runs


def unarchived_months():
    """Months the monthly job generated whose archive was not written (say the process died in between)."""
    archived = JobClaim.select(JobClaim.period).where(JobClaim.job == ARCHIVE)
    generated = SummaryMonth.select(SummaryMonth.month)
    query = (
        JobClaim.select(JobClaim.period)
        .where((JobClaim.job == MONTHLY) & JobClaim.period.in_(generated) & JobClaim.period.not_in(archived))
        .order_by(JobClaim.period)
    )
    return [Month.parse(row.period) for row in query]


def catch_up(today, config):
    """What the scheduler missed while it was down: the months due, archives left unwritten, today's daily job."""
    runs = []
    if not is_claimed(DAILY, today.isoformat()):  # first: notices overdue by today count in last month
        runs.append(daily(today, config))
    left = unarchived_months() if archive_enabled(config) else []  # before this run tries its own
    runs += run_months(today, config)
    for month in left:
        runs.append(run_job(ARCHIVE, str(month), lambda month=month: archive(month, config)))
    return runs


def outcome_of(run):
    """The outcome name of a run's stored result (None for a run that failed or stored no JSON)."""
    try:
        return json.loads(run.result)["outcome"]
    except (ValueError, TypeError, KeyError):
        return None


def recent_runs(limit=50):
    """The latest job runs, newest first (for the admin page)."""
    return list(JobRun.select().order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit))
