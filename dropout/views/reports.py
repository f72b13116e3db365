"""The monthly pages: the dashboard of a unit's month, generating and locking months, the cohort intake."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from .. import choices, clock, job_results, jobs
from ..auth import roles_required
from ..config import thresholds, veto_indicators
from ..core.errors import ValidationError
from ..reporting import archive as report_archive
from ..reporting import bulletins, dashboard, drill, summaries
from ..reporting.figures import Month
from ..rules.indicators import balance_gap, total
from ..rules.numbers import parse_id
from . import charts, tasks
from .downloads import send_download
from .found import flash_refusal
from .notices import no_font

bp = Blueprint("reports", __name__, url_prefix="/reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def month_or_404(text):
    try:
        return summaries.parse_month(text)
    except ValidationError:
        abort(404)


def unit_or_404(key):
    """The unit named by ?unit=kind-id (default: the user's own), within the user's scope."""
    county = current_app.config["COUNTY_NAME"]
    if not key:
        unit = dashboard.home_unit(current_user, county)
    else:
        kind, _sep, raw = key.partition("-")
        unit_id = parse_id(raw)
        unit = dashboard.find_unit(kind, unit_id, county) if unit_id is not None else None
    if unit is None or not dashboard.may_see(current_user, unit):
        abort(404)
    return unit


@bp.route("/")
@login_required
def index():
    months = summaries.generated_months()
    if months:
        return redirect(url_for("reports.month", month=months[0].month, unit=request.args.get("unit") or None))
    return nothing_generated()


def nothing_generated():
    """The page saying no month has been generated yet, with the form generating last month for the bureau."""
    return render_template("reports/none.html", form=FlaskForm(), suggested=str(Month.of(clock.today()).previous()))


def _charts(board):
    """[(title, svg)]: the children still out and the dropout rate over the twelve months up to this one."""
    labels = [month[5:] for month, _out, _rate in board.trend]
    out_title, rate_title = _("Dropouts still out at the month's end"), _("Dropout rate this school year (%)")
    return [
        (
            out_title,
            charts.bars(out_title, [(label, out) for label, (_m, out, _r) in zip(labels, board.trend, strict=True)]),
        ),
        (
            rate_title,
            charts.line(rate_title, [(label, rate) for label, (_m, _o, rate) in zip(labels, board.trend, strict=True)]),
        ),
    ]


@bp.route("/<month>")
@login_required
def month(month):
    month = month_or_404(month)
    unit = unit_or_404(request.args.get("unit", ""))
    limits = thresholds(current_app.config)
    board = dashboard.build(month, unit, limits, current_app.config["TIMEZONE"], veto_indicators(current_app.config))
    months = summaries.generated_months()
    if board is None:
        return render_template(
            "reports/none.html", form=FlaskForm(), suggested=str(month), months=months, missing=str(month)
        ), 404
    refused = session.pop("intake_refused", None)  # the intake form's error, shown at its field
    if refused and refused.get("unit") != unit.key:
        refused = None
    return render_template(
        "reports/dashboard.html",
        board=board,
        months=months,
        charts=_charts(board),
        form=FlaskForm(),
        sections=_sections(),
        total=total,
        STAGES=choices.STAGES,
        SEX=choices.SEX,
        crumbs=dashboard.path(current_user, unit, current_app.config["COUNTY_NAME"]),
        drill_link=lambda figure, of=unit: url_for("children.index", **drill.list_args(figure, of, month)),
        DRILLED=drill.FILTERS,
        gap=balance_gap(board.cells),
        INDICATORS=choices.INDICATORS,
        refused=refused,
        files=report_archive.files_of(month, unit.kind, unit.id),
        bulletin=bulletins.of_month(month) if board.locked and unit.kind == "county" else None,
    )


@bp.route("/<month>/archive/<kind>")
@login_required
def archived(month, kind):
    """A month's archived PDF or .xlsx of a unit in the user's scope, checked against its SHA-256."""
    month = month_or_404(month)
    unit = unit_or_404(request.args.get("unit", ""))
    if kind not in ("pdf", "xlsx"):
        abort(404)
    try:
        found = report_archive.read_file(month, unit.kind, unit.id, kind, current_app.config["REPORTS_DIR"])
    except report_archive.ArchiveDamaged:
        flash(_("The archived file is missing or was changed after it was written; generate the month again."), "error")
        return redirect(url_for("reports.month", month=str(month), unit=unit.key))
    if found is None:
        abort(404)
    path, _sha = found
    mimetype = "application/pdf" if kind == "pdf" else XLSX
    return send_download(path, f"{month}-{unit.key}.{kind}", mimetype, inline=kind == "pdf")


def _sections():
    """[(title, [(figure, label)])] in report order."""
    sections = [
        (_("Children on the roll: stock and flow"), list(choices.STOCK_FIGURES.items())),
        (_("Population and indicator inputs"), list(choices.POPULATION_FIGURES.items())),
        (_("Detection"), list(choices.DETECTION_FIGURES.items())),
    ]
    for prefix, title in (
        ("out_", _("Priority groups among the dropouts still out")),
        ("reason_", _("Reasons of the dropouts still out")),
    ):
        labels = choices.FIGURE_PREFIXES[prefix]
        sections.append((title, [(prefix + code, label) for code, label in labels.items()]))
    sections.append((_("Persuading children back"), list(choices.WORK_FIGURES.items())))
    sections.append(
        (
            _("Placement of the children returned this month"),
            [("placement_" + code, label) for code, label in choices.PLACEMENTS.items()],
        )
    )
    sections.append((_("Legal steps"), list(choices.LEGAL_FIGURES.items())))
    return sections


def _finish(month):
    return redirect(url_for("reports.month", month=str(month)))


@bp.route("/generate", methods=["POST"])
@roles_required("admin", "bureau")
def generate():
    """Generate (or regenerate) a month's figures and archive, as a background task."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        month = summaries.parse_month(request.form.get("month", ""), clock.today())
        summaries.refuse_locked(month)
    except ValidationError as exc:
        flash_refusal(exc)
        return redirect(url_for("reports.index"))
    title, then = _("Figures of %(month)s", month=str(month)), url_for("reports.month", month=str(month))
    return tasks.start("month", title, {"month": str(month)}, then=then, back=url_for("reports.index"))


@bp.route("/<month>/lock", methods=["POST"])
@roles_required("admin", "bureau")
def lock(month):
    month = month_or_404(month)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        archived = report_archive.lock_and_archive(current_user, month, current_app.config)
    except ValidationError as exc:
        flash_refusal(exc)
    else:
        if not archived:
            no_font()
        flash(_("%(month)s is locked.", month=str(month)))
    return _finish(month)


@bp.route("/<month>/unlock", methods=["POST"])
@roles_required("admin")
def unlock(month):
    month = month_or_404(month)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        summaries.unlock(current_user, month, request.form.get("reason", ""))
    except ValidationError as exc:
        flash_refusal(exc)
    else:
        flash(_("%(month)s is unlocked.", month=str(month)))
    return _finish(month)


@bp.route("/<month>/intake", methods=["POST"])
@roles_required("admin", "bureau")
def intake(month):
    """The bureau enters, once, the grade-1 intake of a unit's cohort now in grade 9; a refusal is shown at the
    field on the page it came from (kept in the session across the redirect)."""
    month = month_or_404(month)
    unit = unit_or_404(request.form.get("unit", ""))
    if not FlaskForm().validate_on_submit():
        abort(400)
    raw = request.form.get("intake", "")
    try:
        dashboard.enter_intake(current_user, month, unit, raw)
    except ValidationError as exc:
        session["intake_refused"] = {"unit": unit.key, "message": str(exc.errors["intake"]), "value": raw[:20]}
    else:
        flash(_("Saved."))
    return redirect(url_for("reports.month", month=str(month), unit=unit.key, _anchor="retention"))


@bp.route("/jobs")
@roles_required("admin")
def job_runs():
    """The scheduler's recent runs: when, what came of them, the error if any."""
    return render_template("reports/jobs.html", runs=jobs.recent_runs(100), worded=job_results)
