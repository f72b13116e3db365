"""Roster import pages: upload, preview (the check), confirm (the commit of the checked rows), result; the
template and the rejected rows as .xlsx."""

from dataclasses import asdict

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField

from .. import clock
from ..auth import roles_required
from ..core import spreadsheets as exports
from ..core.errors import ValidationError
from ..roster import imports as roster_import
from ..roster import limits as workbook_limits
from ..roster import read as roster_read
from ..rules.dates import parse_date
from .downloads import send_download

bp = Blueprint("imports", __name__, url_prefix="/imports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN = 500  # rejected rows listed on the page; the download has them all
allowed = roles_required(*roster_import.IMPORT_ROLES)


class UploadForm(FlaskForm):
    file = FileField(_l("Roster file (.xlsx or .csv)"))
    as_of = StringField(_l("Date of the register's changes"))


def _max_mb():
    return int(current_app.config.get("IMPORT_MAX_MB") or 50)


def _uploads():
    return current_app.config["UPLOADS_DIR"]


def upload_limits():
    """The bounds an uploaded spreadsheet is held to (DROPOUT_XLSX_MAX_…, SHEET_MAX_…)."""
    return workbook_limits.Limits.from_config(current_app.config)


def _note_or_404(token):
    """The current user's upload that has been previewed."""
    note = roster_read.load_note(_uploads(), token, current_user.id)
    return note if note and "outcome" in note else abort(404)


def _check(token, note):
    """Check an upload as the current user, keeping its checked rows for the commit: the preview."""
    return roster_import.check(
        current_user,
        roster_read.upload_path(_uploads(), token, note),
        roster_read.rows_path(_uploads(), token),
        today=clock.today(),
        start_age=current_app.config["SCHOOL_START_AGE"],
        file_name=note["file"],
        as_of=parse_date(note.get("as_of")),
        limits=upload_limits(),
    )


def _as_of(form):
    """The day the file's changes took effect, as typed (ISO text; the import refuses a future one), or a
    ValidationError at the field."""
    try:
        day = parse_date(form.as_of.data)
    except ValueError:
        raise ValidationError({"as_of": _("Not a date; write it like 2015-09-01.")}) from None
    return (day or clock.today()).isoformat()


@bp.route("/", methods=["GET", "POST"])
@allowed
def upload():
    form = UploadForm(data={"as_of": clock.today().isoformat()} if request.method == "GET" else None)
    error = None
    if form.validate_on_submit():
        stored = form.file.data
        if not stored or not stored.filename:
            error = _("Choose a file.")
        else:
            token = note = None
            try:
                as_of = _as_of(form)
                token, note = roster_read.store_upload(
                    stored.stream, _uploads(), current_user.id, stored.filename, _max_mb() * 1024 * 1024
                )
                note["as_of"] = as_of
                note["outcome"] = asdict(_check(token, note))
            except ValidationError as exc:
                if "as_of" in exc.errors:
                    form.as_of.errors = [exc.errors["as_of"]]
                error = exc.errors.get("file") or exc.errors.get("as_of")
                if note is not None:
                    roster_read.discard_upload(_uploads(), token, note, with_note=True)
            else:
                roster_read.save_note(_uploads(), token, note)
                return redirect(url_for("imports.preview", token=token))
    page = render_template("imports/upload.html", form=form, error=error, max_mb=_max_mb())
    return page, 422 if error else 200


@bp.route("/template.xlsx")
@allowed
def template():
    return send_download(roster_read.template_bytes(), "适龄儿童名册模板.xlsx", XLSX)


@bp.route("/<token>")
@allowed
def preview(token):
    note = _note_or_404(token)
    outcome = note["outcome"]
    page = "imports/result.html" if outcome["committed"] else "imports/preview.html"
    return render_template(page, note=note, outcome=outcome, token=token, form=FlaskForm(), shown=SHOWN)


@bp.route("/<token>/commit", methods=["POST"])
@allowed
def commit(token):
    note = _note_or_404(token)
    if note["outcome"]["committed"]:
        return redirect(url_for("imports.preview", token=token))
    try:
        outcome = roster_import.commit(current_user, roster_read.rows_path(_uploads(), token), today=clock.today())
    except ValidationError as exc:  # the register changed since the preview, or its rows are gone
        note["stale"] = True
        roster_read.save_note(_uploads(), token, note)
        flash(exc.errors.get("file") or next(iter(exc.errors.values())), "error")
        return redirect(url_for("imports.preview", token=token))
    note["outcome"] = asdict(outcome)
    roster_read.save_note(_uploads(), token, note)
    roster_read.discard_upload(_uploads(), token, note)
    flash(_("Imported."))
    return redirect(url_for("imports.preview", token=token))


@bp.route("/<token>/check", methods=["POST"])
@allowed
def check_again(token):
    """Check the stored upload again, against the register as it is now (after a refused commit)."""
    note = _note_or_404(token)
    if note["outcome"]["committed"]:
        return redirect(url_for("imports.preview", token=token))
    try:
        if not roster_read.upload_path(_uploads(), token, note).is_file():
            raise ValidationError({"file": _("The uploaded file is gone: upload it again.")})
        note["outcome"] = asdict(_check(token, note))
    except ValidationError as exc:
        flash(exc.errors.get("file") or next(iter(exc.errors.values())), "error")
        return redirect(url_for("imports.upload"))
    note.pop("stale", None)
    roster_read.save_note(_uploads(), token, note)
    return redirect(url_for("imports.preview", token=token))


@bp.route("/<token>/rejected.xlsx")
@allowed
def rejected(token):
    note = _note_or_404(token)
    headers = (_("Sheet"), _("Row"), _("Column"), _("Name"), _("Reason"))
    title = _("Rejected rows of %(file)s", file=note["file"])
    data = exports.write_table(title, headers, note["outcome"]["rejections"])
    return send_download(data, "rejected-rows.xlsx", XLSX)
