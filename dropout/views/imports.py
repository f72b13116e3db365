"""Roster import pages: upload, preview (the check), confirm (the commit of the checked rows), result; the
template and the rejected rows as .xlsx."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from .. import clock
from ..auth import roles_required
from ..children.records import future_message
from ..core import spreadsheets as exports
from ..core.errors import ValidationError
from ..forms import DayField
from ..roster import imports as roster_import
from ..roster import limits as workbook_limits
from ..roster import read as roster_read
from ..roster import template as roster_template
from ..rules.dates import parse_date
from . import tasks
from .downloads import send_download

bp = Blueprint("imports", __name__, url_prefix="/imports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN = 500  # rejected rows listed on the page; the download has them all
allowed = roles_required(*roster_import.IMPORT_ROLES)


class UploadForm(FlaskForm):
    file = FileField(_l("Roster file (.xlsx or .csv)"))
    as_of = DayField(_l("Date of the register's changes"))


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


def _check(token, note, first=False):
    """Check an upload as a background task, keeping its checked rows for the commit: the preview is the task's
    next page. The first check of a new upload that fails takes the upload with it."""
    then = url_for("imports.preview", token=token)
    back = url_for("imports.upload") if first else then
    title = _("Check of %(file)s", file=note["file"])
    return tasks.start("import_check", title, {"token": token}, then=then, back=back)


def _as_of(form):
    """The day the file's changes took effect, as typed (ISO text; the import refuses a future one), or a
    ValidationError at the field."""
    try:
        day = parse_date(form.as_of.data)
    except ValueError:
        raise ValidationError({"as_of": _("Not a date; write it like 2015-09-01.")}) from None
    today = clock.today()
    if day is not None and day > today:
        raise ValidationError({"as_of": future_message(day, today)})
    return (day or today).isoformat()


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
                # What an uploaded workbook may hold is checked now (a hostile file is refused here, at once);
                # its rows are read and checked by the task.
                path = roster_read.upload_path(_uploads(), token, note)
                workbook_limits.check(path, upload_limits(), unreadable=roster_read.not_a_spreadsheet)
            except ValidationError as exc:
                if "as_of" in exc.errors:
                    form.as_of.errors = [exc.errors["as_of"]]
                error = exc.errors.get("file") or exc.errors.get("as_of")
                if note is not None:
                    roster_read.discard_upload(_uploads(), token, note, with_note=True)
            else:
                note["as_of"] = as_of
                roster_read.save_note(_uploads(), token, note)
                return _check(token, note, first=True)
    page = render_template("imports/upload.html", form=form, error=error, max_mb=_max_mb())
    return page, 422 if error else 200


@bp.route("/template.xlsx")
@allowed
def template():
    return send_download(roster_template.template_bytes(), "适龄儿童名册模板.xlsx", XLSX)


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
    then = url_for("imports.preview", token=token)
    title = _("Import of %(file)s", file=note["file"])
    return tasks.start("import_commit", title, {"token": token}, then=then, back=then)


@bp.route("/<token>/check", methods=["POST"])
@allowed
def check_again(token):
    """Check the stored upload again, against the register as it is now (after a refused commit)."""
    note = _note_or_404(token)
    if note["outcome"]["committed"]:
        return redirect(url_for("imports.preview", token=token))
    if not roster_read.upload_path(_uploads(), token, note).is_file():
        flash(_("The uploaded file is gone: upload it again."), "error")
        return redirect(url_for("imports.upload"))
    return _check(token, note)


@bp.route("/<token>/rejected.xlsx")
@allowed
def rejected(token):
    note = _note_or_404(token)
    headers = (_("Sheet"), _("Row"), _("Column"), _("Name"), _("Reason"))
    title = _("Rejected rows of %(file)s", file=note["file"])
    data = exports.write_table(title, headers, note["outcome"]["rejections"])
    return send_download(data, "rejected-rows.xlsx", XLSX)
