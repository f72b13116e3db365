"""The archive of monthly reports: each generated month's county and township reports as PDF and .xlsx.

Files live under <REPORTS_DIR>/<yyyy>/<mm>/ (county.pdf, township-<id>.xlsx, …), each recorded in
ReportFile with its SHA-256. Writing is idempotent: the same figures give the same bytes, and an
unchanged file is neither rewritten nor re-recorded. A locked month's files, once written, stay.
"""

import hashlib
import os
import tempfile
from pathlib import Path

from flask_babel import gettext as _

from ..core.errors import ValidationError
from ..db import database
from ..models import ReportFile, SummaryMonth, utcnow
from ..pdf import fonts
from ..pdf.monthly import render_month_report
from . import summaries
from .data import month_report_data
from .workbook import render_month_workbook

FILE_KINDS = ("pdf", "xlsx")


class ArchiveDamaged(Exception):
    """An archived file is missing or no longer has the SHA-256 recorded when it was written."""


def relative_path(month, kind, unit_id, file_kind):
    """Where a unit's report file lives under REPORTS_DIR: 2026/10/county.pdf, 2026/10/township-3.xlsx."""
    name = "county" if kind == "county" else f"{kind}-{int(unit_id)}"
    return Path(f"{month.year:04d}", f"{month.month:02d}", f"{name}.{file_kind}")


def write_month(month, config, now=None, final=False):
    """Write the county's and every township's report of a generated month as PDF and .xlsx; their paths.

    Run again, it leaves the same files and rows. A locked month's files that exist are kept as they are,
    with the checksum recorded when they were written (read_file then tells if one was altered), except
    for the `final` writing right after the lock, which records in them who locked the month and when.
    """
    row = SummaryMonth.get_or_none(SummaryMonth.month == str(month))
    if row is None:
        raise ValidationError({"month": _("%(month)s has not been generated.", month=str(month))})
    fonts.register(config["PDF_FONT"])  # a missing font fails before anything is written
    locked = row.locked_at is not None
    reports_dir = Path(config["REPORTS_DIR"])
    recorded = {(f.unit_kind, f.unit_id, f.kind): f for f in ReportFile.select().where(ReportFile.month == str(month))}
    townships = sorted(summaries.figures_by_unit(month, "township"))
    units = [("county", 0)] + [("township", unit_id) for unit_id in townships]
    paths, changes = [], []
    for kind, unit_id in units:
        targets = [reports_dir / relative_path(month, kind, unit_id, file_kind) for file_kind in FILE_KINDS]
        paths += targets
        kept = [target.is_file() for target in targets] if locked and not final else [False] * len(targets)
        if all(kept):
            contents = [None] * len(targets)
        else:
            data = month_report_data(month, kind, unit_id, config)
            contents = [render_month_report(data, config["PDF_FONT"]), render_month_workbook(data)]
        for file_kind, target, content, keep in zip(FILE_KINDS, targets, contents, kept, strict=True):
            known = recorded.get((kind, unit_id, file_kind))
            if keep and known is not None:
                continue  # a locked month's file stays as written, and so does its checksum
            sha = sha256_of(target.read_bytes()) if keep else store_file(target, content)
            relative = target.relative_to(reports_dir).as_posix()
            if known is None or (known.path, known.sha256) != (relative, sha):
                changes.append(
                    {
                        "month": str(month),
                        "unit_kind": kind,
                        "unit_id": unit_id,
                        "kind": file_kind,
                        "path": relative,
                        "sha256": sha,
                    }
                )
    _record(changes, now or utcnow())
    return paths


def generate_and_archive(month, user, config):
    """Generate (or regenerate) the month's summaries, then write its archive, as one step for the bureau.
    True when the archive was written; False when no Chinese font is installed to print it (the figures stand)."""
    summaries.generate_month(month, user, config["SCHOOL_START_AGE"], config["REPORT_DUE_DAY"])
    return archive_month(month, config)


def lock_and_archive(user, month, config):
    """Lock a generated month, then write its archive once more so the files say who locked it and when, as one
    step for the bureau. True when the archive was written; False when no Chinese font is installed (the lock
    stands)."""
    summaries.lock(user, month)
    return archive_month(month, config, final=True)


def archive_month(month, config, final=False):
    """Write the month's archive; False when no Chinese font is installed to print it."""
    try:
        write_month(month, config, final=final)
    except fonts.FontMissing:
        return False
    return True


def store_file(target, content):
    """Write `content` to `target` atomically, unless the file already holds exactly it; its SHA-256."""
    sha = sha256_of(content)
    if target.is_file() and sha256_of(target.read_bytes()) == sha:
        return sha
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, target)  # readers see the old file or the new one, never half of one
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return sha


def _record(changes, now):
    """Insert or update the ReportFile rows of the files written, all at once."""
    if not changes:
        return
    conflict = [ReportFile.month, ReportFile.unit_kind, ReportFile.unit_id, ReportFile.kind]
    with database.atomic():
        for values in changes:
            ReportFile.insert(**values, written_at=now).on_conflict(
                conflict_target=conflict,
                update={
                    ReportFile.path: values["path"],
                    ReportFile.sha256: values["sha256"],
                    ReportFile.written_at: now,
                },
            ).execute()


def files_of(month, kind, unit_id):
    """The archived files (ReportFile rows) of a unit's month, PDF before .xlsx."""
    return list(
        ReportFile.select()
        .where((ReportFile.month == str(month)) & (ReportFile.unit_kind == kind) & (ReportFile.unit_id == unit_id))
        .order_by(ReportFile.kind)
    )


def read_file(month, kind, unit_id, file_kind, reports_dir):
    """(path, SHA-256) of an archived report file after checking its bytes, or None when none was archived.

    Raises ArchiveDamaged when the file is gone or its content is no longer what was recorded.
    """
    row = ReportFile.get_or_none(
        (ReportFile.month == str(month))
        & (ReportFile.unit_kind == kind)
        & (ReportFile.unit_id == unit_id)
        & (ReportFile.kind == file_kind)
    )
    if row is None:
        return None
    root = Path(reports_dir).resolve()
    path = (root / row.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise ArchiveDamaged(f"{row.path}: missing")
    if sha256_of(path.read_bytes()) != row.sha256:
        raise ArchiveDamaged(f"{row.path}: SHA-256 differs from the one recorded")
    return path, row.sha256


def sha256_of(content):
    return hashlib.sha256(content).hexdigest()
