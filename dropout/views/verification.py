"""核查 pages: the platform's pushed lists (upload, progress per township, rows filtered and paged), a row's
verification and the case opened from it, and the feedback file (核查反馈) to upload back."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField

from .. import clock
from ..auth import roles_required
from ..case_forms import CaseOpenForm, read_dates
from ..casework.settings import CaseSettings
from ..core.errors import ValidationError
from ..forms import FUTURE, DayField, options, show_errors
from ..roster import limits as workbook_limits
from ..roster import read as roster_read
from ..verification import intake, lists, rows
from . import tasks
from .found import or_404, paged

bp = Blueprint("verification", __name__, url_prefix="/verification")
allowed = roles_required(*lists.ROLES)
STATES = {"unverified": _l("Not verified"), "verified": _l("Verified")}


class UploadForm(FlaskForm):
    title = StringField(_l("Title"))
    due_on = DayField(_l("Verification due on"), kind=FUTURE)
    file = FileField(_l("The platform's list (.xlsx or .csv)"))


class VerifyForm(FlaskForm):
    result = SelectField(_l("Verification result"), choices=options(lists.RESULTS.items(), "—"), validate_choice=False)
    transfer_to = StringField(_l("Transferred to (school)"))
    note = TextAreaField(_l("Verification note"))


def _config():
    return current_app.config


@bp.route("/")
@allowed
def index():
    found = list(lists.lists(current_user))
    return render_template(
        "verification/index.html", lists=found, totals=lists.totals(current_user, found), today=clock.today()
    )


def _uploads():
    return _config()["UPLOADS_DIR"]


def _stored(form):
    """The uploaded file kept by content (roster/read.py's store, beside the roster uploads) within
    DROPOUT_IMPORT_MAX_MB: (token, note)."""
    stored = form.file.data
    if not stored or not stored.filename:
        raise ValidationError({"file": _("Choose a file.")})
    max_mb = int(_config().get("IMPORT_MAX_MB") or 50)
    return roster_read.store_upload(stored.stream, _uploads(), current_user.id, stored.filename, max_mb * 1024 * 1024)


@bp.route("/new", methods=["GET", "POST"])
@allowed
def upload():
    """The upload is checked at once (title, due date, the file's kind and size, the same file twice); its rows are
    read, matched and saved by a background task, whose page says why when it refuses them."""
    form = UploadForm()
    error = None
    if form.validate_on_submit():
        values = read_dates(form, "due_on")
        token = note = None
        try:
            if form.due_on.errors:
                raise ValidationError({})
            token, note = _stored(form)
            path = roster_read.upload_path(_uploads(), token, note)
            limits = workbook_limits.Limits.from_config(_config())
            title, _digest = intake.check(
                current_user, path, form.title.data, values["due_on"], clock.today(), clock.zone_name(), limits
            )
        except ValidationError as exc:
            if note is not None:
                roster_read.discard_upload(_uploads(), token, note, with_note=True)
            error = exc.errors.pop("file", None)
            show_errors(form, exc.errors)
        else:
            note.update(title=title, due_on=values["due_on"].isoformat())
            roster_read.save_note(_uploads(), token, note)
            then, back = url_for("verification.index"), url_for("verification.upload")
            return tasks.start("pushed_list", _("Taking in %(file)s", file=note["file"]), {"token": token}, then, back)
        error = error or _("Nothing was saved. Correct the fields marked below.")
    page = render_template("verification/upload.html", form=form, error=error)
    return page, 422 if error else 200


@bp.route("/<id:list_id>")
@allowed
def detail(list_id):
    pushed = or_404(lists.get_list(current_user, list_id))
    township = request.args.get("township", "")
    township = township if township == "none" else (int(township) if township.isdigit() else None)
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    page_rows, pager = paged(lists.rows(current_user, pushed, township, state))
    today = clock.today()
    progress = lists.progress(current_user, pushed, today)
    return render_template(
        "verification/list.html",
        pushed=pushed,
        rows=page_rows,
        pager=pager,
        progress=progress,
        verified=sum(p.verified for p in progress),
        total=sum(p.total for p in progress),
        args={k: v for k, v in {"township": township, "state": state}.items() if v},
        states=STATES,
        results=lists.RESULTS,
        matched_by=lists.MATCHED_BY,
        cases=rows.open_cases(r.child_id for r in page_rows),
        today=today,
        form=FlaskForm(),
    )


def _row_or_refusal(row_id):
    row = or_404(lists.get_row(current_user, row_id))
    reason = lists.refusal(current_user, row)
    if reason:
        abort(403, reason)
    return row


@bp.route("/row/<id:row_id>", methods=["GET", "POST"])
@allowed
def row(row_id):
    found = _row_or_refusal(row_id)
    form = VerifyForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            rows.verify(current_user, found, form.result.data, form.note.data, form.transfer_to.data)
        except ValidationError as exc:
            show_errors(form, exc.errors)
        else:
            flash(_("Saved."))
            return redirect(_next_row(found))
    return _row_page(found, form, CaseOpenForm(prefix="case", data={"absent_since": clock.today().isoformat()}))


def _next_row(found):
    """The next unverified row of the list the user may verify, else the list."""
    following = lists.next_unverified(current_user, found)
    if following is not None:
        return url_for("verification.row", row_id=following.id)
    return url_for("verification.detail", list_id=found.pushed_list_id)


def _row_page(found, form, case_form):
    failed = bool(form.errors or case_form.errors)
    return (
        render_template(
            "verification/row.html",
            row=found,
            pushed=found.pushed_list,
            cells=lists.page_cells(found),
            form=form,
            case_form=case_form,
            open_case=rows.open_case_of(found.child_id),
            may_open=current_user.can_report_absence,
            results=lists.RESULTS,
            matched_by=lists.MATCHED_BY,
        ),
        422 if failed else 200,
    )


@bp.route("/row/<id:row_id>/case", methods=["POST"])
@allowed
def open_case(row_id):
    found = _row_or_refusal(row_id)
    if not current_user.can_report_absence:
        abort(403, _("The bureau reads cases: the township or the school opens them."))
    case_form = CaseOpenForm(prefix="case")
    if case_form.validate_on_submit():
        values = read_dates(case_form, "absent_since")
        if not case_form.absent_since.errors:
            try:
                case = rows.open_case(
                    current_user,
                    found,
                    values["absent_since"],
                    CaseSettings.from_config(_config()),
                    clock.today(),
                    case_form.notes.data,
                )
            except ValidationError as exc:
                show_errors(case_form, exc.errors)
            else:
                flash(_("The case was opened and the row recorded as 辍学已建案."))
                return redirect(url_for("cases.detail", case_id=case.id))
    return _row_page(found, VerifyForm(obj=found), case_form)


@bp.route("/<id:list_id>/feedback", methods=["POST"])
@allowed
def export(list_id):
    """The 核查反馈 file, written by a background task: full ID numbers as the platform sent them, so the export is
    audited (a POST)."""
    pushed = or_404(lists.get_list(current_user, list_id))
    reason = lists.export_refusal(current_user, pushed)
    if reason:
        abort(403, reason)
    if not FlaskForm().validate_on_submit():
        abort(400)
    back = url_for("verification.detail", list_id=pushed.id)
    return tasks.start(
        "pushed_feedback", _("Feedback of %(title)s", title=pushed.title), {"list": pushed.id}, back=back
    )
