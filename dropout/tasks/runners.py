"""What each kind of background task does, run by the worker as the person who asked for it.

A runner takes a Job (the owner, the task's parameters, the settings, the progress callable and the file to
write its result to) and returns a Result. It calls the same services the pages called before the work moved
here; the result file is renamed into place only when complete. A refusal (ValidationError) or a lost right
(PermissionDenied) fails the task with its reason; any other error fails it with a general message, and the
log gets the task's key, kind and the traceback's lines, never the error's text (it may hold personal data).
"""

import json
import logging
import os
import traceback
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _

from .. import clock
from ..casework import export as case_export
from ..casework import search as case_search
from ..children import search as child_search
from ..core.errors import PermissionDenied, ValidationError
from ..models import BackgroundTask, ReturnNotice, User, utcnow
from ..notices import notices, printing
from ..notices.numbering import bureau_name
from ..pdf.fonts import FontMissing
from ..reporting import archive as report_archive
from ..reporting import ledgers as case_ledgers
from ..reporting import summaries
from ..roster import crosscheck, ledger
from ..roster import imports as roster_import
from ..roster import limits as workbook_limits
from ..roster import read as roster_read
from ..rules.dates import parse_date
from ..verification import feedback, intake
from ..verification import lists as pushed_lists
from . import records

log = logging.getLogger(__name__)


@dataclass
class Job:
    user: User
    params: dict
    config: dict
    progress: records.Progress
    part: Path  # the result is written here, then renamed into place

    @property
    def today(self):
        return date.fromisoformat(self.params["today"])


@dataclass
class Result:
    outcome: dict = field(default_factory=dict)  # shown on the task's page
    file_name: str = ""  # the download's name; empty: the task made no file
    message: str = ""  # a line for the user, in their language


def write_ledger(job):
    filters = child_search.Filters(**job.params["filters"])
    with open(job.part, "wb") as out:
        rows = ledger.write_ledger(
            job.user,
            filters,
            job.today,
            out,
            job.config["COUNTY_NAME"],
            job.config["SCHOOL_START_AGE"],
            bool(job.params.get("full_ids")),
            progress=job.progress,
        )
    return Result({"rows": rows}, f"适龄儿童少年台账-{job.today:%Y%m%d}.xlsx", _("%(n)d children.", n=rows))


def write_case_ledger(job):
    """The 疑似辍学 or 辍学 台账: open rows, then those closed this school year on a second sheet."""
    book, filters = job.params["book"], case_ledgers.LedgerFilters(**job.params["filters"])
    unit = ledger.place_name(job.user, filters, job.config["COUNTY_NAME"])
    full_ids = bool(job.params.get("full_ids"))
    with open(job.part, "wb") as out:
        rows = case_ledgers.write_book(job.user, book, filters, job.today, out, unit, full_ids, job.progress)
    name = f"{case_ledgers.BOOKS[book]}-{job.today:%Y%m%d}.xlsx"
    return Result(rows, name, _("%(open)d open; %(closed)d closed (销号) this school year.", **rows))


def export_cases(job):
    filters = case_search.CaseFilters(**job.params["filters"])
    county = job.config["COUNTY_NAME"]
    with open(job.part, "wb") as out:
        rows = case_export.write_workbook(job.user, filters, job.today, county, out, progress=job.progress)
    return Result({"rows": rows}, f"cases-{job.today:%Y%m%d}.xlsx", _("%(n)d cases.", n=rows))


def check_roster(job):
    """The preview of an upload: every row read and checked once, the checked rows kept for the commit."""
    uploads, token = job.config["UPLOADS_DIR"], job.params["token"]
    note = _upload_note(uploads, token, job.user)
    try:
        outcome = roster_import.check(
            job.user,
            roster_read.upload_path(uploads, token, note),
            roster_read.rows_path(uploads, token),
            today=job.today,
            start_age=job.config["SCHOOL_START_AGE"],
            file_name=note["file"],
            as_of=parse_date(note.get("as_of")),
            limits=workbook_limits.Limits.from_config(job.config),
            progress=job.progress,
        )
    except ValidationError:
        if "outcome" not in note:  # a new upload that cannot be read: nothing of it is kept
            roster_read.discard_upload(uploads, token, note, with_note=True)
        raise
    note["outcome"] = asdict(outcome)
    note.pop("stale", None)
    roster_read.save_note(uploads, token, note)
    return Result({"counts": outcome.counts})


def commit_roster(job):
    """The kept rows of a previewed upload written in one transaction; refused, with nothing written, when the
    register changed since the preview (the preview then offers to check the file again)."""
    uploads, token = job.config["UPLOADS_DIR"], job.params["token"]
    note = _upload_note(uploads, token, job.user)
    if "outcome" not in note or note["outcome"]["committed"]:
        return Result()
    try:
        outcome = roster_import.commit(job.user, roster_read.rows_path(uploads, token), job.today, job.progress)
    except ValidationError:
        note["stale"] = True
        roster_read.save_note(uploads, token, note)
        raise
    note["outcome"] = asdict(outcome)
    roster_read.save_note(uploads, token, note)
    roster_read.discard_upload(uploads, token, note)
    return Result({"counts": outcome.counts}, message=_("Imported."))


def _upload_note(uploads, token, user):
    note = roster_read.load_note(uploads, token, user.id)
    if note is None:
        raise ValidationError({"file": _("The uploaded file is gone: upload it again.")})
    return note


def read_registers(job):
    """The register cross-check's lists read once and kept for its result page."""
    config = job.config
    lists = crosscheck.read(
        job.user,
        config["UPLOADS_DIR"],
        job.params["token"],
        job.today,
        workbook_limits.Limits.from_config(config),
        job.progress,
    )
    return Result({kind: len(listed.rows) for kind, listed in lists.items()})


def take_pushed_list(job):
    """核查: an uploaded pushed list read, matched and saved with its rows, all or nothing; the upload goes after."""
    uploads, token = job.config["UPLOADS_DIR"], job.params["token"]
    note = _upload_note(uploads, token, job.user)
    try:
        pushed = intake.upload(
            job.user,
            roster_read.upload_path(uploads, token, note),
            note["file"],
            note["title"],
            date.fromisoformat(note["due_on"]),
            job.today,
            clock.zone_name(job.config),
            workbook_limits.Limits.from_config(job.config),
        )
    finally:
        roster_read.discard_upload(uploads, token, note, with_note=True)
    return Result({"rows": pushed.row_count}, message=_("The list was taken in: %(n)d rows.", n=pushed.row_count))


def write_feedback(job):
    """核查反馈: a pushed list as received with its verification appended, in the format received (audited)."""
    pushed = pushed_lists.get_list(job.user, job.params["list"])
    if pushed is None:
        raise PermissionDenied()
    reason = pushed_lists.export_refusal(job.user, pushed)
    if reason:
        raise ValidationError({"list": reason})
    config = job.config
    rows = feedback.write(job.user, pushed, job.part, bureau_name(config), clock.zone_name(config), job.progress)
    return Result({"rows": rows}, feedback.file_name(pushed), _("%(n)d rows.", n=rows))


def print_notices(job):
    """The chosen notices in the owner's scope as one PDF, in number order, recorded as printed when the owner may
    serve them (a reader's copy leaves them among those not yet printed)."""
    ids = [int(i) for i in job.params["ids"]]
    chosen = list(
        notices.listing(job.user)
        .where(ReturnNotice.id.in_(ids))
        .order_by(ReturnNotice.township, ReturnNotice.seq, ReturnNotice.version)
    )
    if not chosen:
        raise ValidationError({"notice": _("Choose the notices to print.")})
    printer = job.user
    data = printing.print_batch(
        chosen, job.config["PDF_FONT"], utcnow(), job.progress, lambda notice: notices.may_act(printer, notice)
    )
    job.part.write_bytes(data)
    message = _("%(n)d notices, each with its proof of service.", n=len(chosen))
    return Result({"notices": len(chosen)}, f"notices-{job.today:%Y%m%d}.pdf", message)


def generate_month(job):
    month = summaries.parse_month(job.params["month"], job.today)
    job.progress(0, 1)
    archived = report_archive.generate_and_archive(month, job.user, job.config)
    job.progress(1, 1)
    message = _("The figures of %(month)s were generated.", month=str(month))
    if not archived:
        message += " " + no_font_message()
    return Result({"month": str(month), "archived": archived}, "", message)


RUNNERS = {
    "ledger": write_ledger,
    "cases": export_cases,
    "case_ledger": write_case_ledger,
    "import_check": check_roster,
    "import_commit": commit_roster,
    "crosscheck": read_registers,
    "notices": print_notices,
    "month": generate_month,
    "pushed_list": take_pushed_list,
    "pushed_feedback": write_feedback,
}


def no_font_message():
    return _("No Chinese font is installed for printing: install fonts-arphic-uming or set DROPOUT_PDF_FONT.")


def failure_message(task, exc):
    """Why the task failed, for its page; an unexpected error is logged without its text (personal data)."""
    if isinstance(exc, ValidationError):
        return " ".join(str(value) for value in exc.errors.values())
    if isinstance(exc, PermissionDenied):
        return _("You may not do this.")
    if isinstance(exc, FontMissing):
        return no_font_message()
    lines = "".join(traceback.format_tb(exc.__traceback__))
    log.error("task %s (%s) failed with %s\n%s", task.key, task.kind, type(exc).__name__, lines)
    return _("The task failed. Try again; if it fails again, tell the administrator.")


def run(config, key):
    """Run the queued task with this key once; a task cancelled or already claimed is left alone."""
    task = BackgroundTask.get_or_none(BackgroundTask.key == key)
    if task is None or task.kind not in RUNNERS or not records.claim(task):
        return
    tasks_dir = config["TASKS_DIR"]
    params = json.loads(task.params)
    progress = records.Progress(tasks_dir, task)
    part = records.folder(tasks_dir, task) / records.PART
    try:
        with force_locale(params.get("locale") or config["LOCALE"]):
            try:
                user = User.get_or_none((User.id == task.owner_id) & User.is_active)
                if user is None:
                    raise PermissionDenied()
                result = RUNNERS[task.kind](Job(user, params, config, progress, part))
            except Exception as exc:  # every failure must reach the page, not vanish with the worker
                records.fail(task, tasks_dir, failure_message(task, exc))
                return
        if result.file_name:
            os.replace(part, records.result_path(tasks_dir, task))
        records.finish(task, config["TASK_KEEP_DAYS"], result.outcome, result.file_name, result.message)
    finally:
        progress.close()
