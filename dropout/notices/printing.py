"""The notice on paper: its archived copy, printing one or a batch (a superseded version marked 作废), and when each
was first printed, so that the notices in force not yet printed are one click away."""

import dataclasses
import hashlib
import secrets
from pathlib import Path

from ..models import ReturnNotice
from ..pdf.notice import render_notices
from .documents import chinese_date, data_of


def archive(notice, reports_dir, font_path=None):
    """Render the notice once into reports/notices/<year>/ and record its SHA-256; return the bytes.

    Called after the issuing transaction: a failed rendering leaves the notice recorded.
    """
    if notice.pdf_path:
        path = Path(reports_dir) / notice.pdf_path
        if path.is_file():
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() == notice.sha256:
                return data
    data = render_notices([data_of(notice)], font_path)
    relative = Path("notices") / str(notice.year) / f"{notice.township_id}-{notice.seq:05d}-v{notice.version}.pdf"
    target = Path(reports_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per writer: two workers printing the same notice at once must not write into, or
    # rename away, each other's half-written file. The rendering is deterministic, so either rename may win.
    partial = target.with_name(f"{target.stem}.{secrets.token_hex(6)}.partial")
    partial.write_bytes(data)
    partial.replace(target)
    notice.pdf_path, notice.sha256 = str(relative), hashlib.sha256(data).hexdigest()
    notice.save(only=[ReturnNotice.pdf_path, ReturnNotice.sha256])
    return data


def successor(notice):
    """The corrected version that replaced a superseded notice (None for any other)."""
    if notice.status != "superseded":
        return None
    return ReturnNotice.get_or_none(ReturnNotice.supersedes == notice.id)


def void_note(notice):
    """What a superseded notice says on paper about the version that replaced it; "" for a notice in force."""
    new = successor(notice)
    if new is None:
        return ""
    return f"已被同号更正件第{new.version}版（{chinese_date(new.issued_on)}印发）取代"


def printed_data(notice):
    """The content a print of the notice shows: as stored, and for a superseded version its 作废 and replacement."""
    return dataclasses.replace(data_of(notice), void_note=void_note(notice))


def print_one(notice, config, at, record=True):
    """The PDF to print one notice from, recorded as printed at `at` (UTC) when `record` (the one printing may
    serve it: a reader's copy leaves it among those not yet printed): its archived copy, or for a superseded
    version a copy marked 作废 (the archive keeps what was issued)."""
    if notice.status == "superseded":
        data = render_notices([printed_data(notice)], config["PDF_FONT"])
    else:
        data = archive(notice, config["REPORTS_DIR"], config["PDF_FONT"])
    if record:
        mark_printed([notice.id], at)
    return data


def print_batch(notices, font_path, at, progress=None, record=lambda notice: True):
    """One PDF of several notices, each followed by its 送达回证 (a superseded one marked 作废), those for which
    `record(notice)` recorded as printed at `at` (UTC); `progress(done, total)` hears of each laid out."""
    data = render_notices([printed_data(notice) for notice in notices], font_path, progress)
    mark_printed([notice.id for notice in notices if record(notice)], at)
    return data


def mark_printed(ids, at):
    """Record the first printing of the notices with these ids; a later print keeps the first day."""
    ReturnNotice.update(printed_at=at).where(ReturnNotice.id.in_(ids) & ReturnNotice.printed_at.is_null()).execute()
