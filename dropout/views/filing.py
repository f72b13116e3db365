"""流失生月报 filing: each school and township submits its month's report; the level above approves it."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..core.errors import ValidationError
from ..reporting import filing as monthly_reports
from ..reporting import summaries
from .found import flash_refusal, report_or_404
from .reports import month_or_404, nothing_generated

bp = Blueprint("filing", __name__, url_prefix="/reports/filing")


@bp.route("/")
@login_required
def latest():
    """The newest generated month's reports (each generation opens its month's reports), else the page that
    says no month has been generated yet."""
    months = summaries.generated_months()
    if months:
        return redirect(url_for("filing.index", month=months[0].month))
    return nothing_generated()


@bp.route("/<month>")
@login_required
def index(month):
    month = month_or_404(month)
    reports = list(monthly_reports.listed(current_user, month))
    locked = summaries.is_locked(month)
    return render_template(
        "reports/filing.html",
        month=month,
        reports=reports,
        names=monthly_reports.unit_names(),
        done=monthly_reports.completeness(current_user, month, current_app.config["TIMEZONE"]),
        locked=locked,
        form=FlaskForm(),
        steps={} if locked else {report.id: step for report in reports if (step := _step(report))},
    )


def _step(report):
    """What the user may do next with a report: 'submit' it, 'approve' it (or send it back), or None."""
    if report.status == "open" and monthly_reports.can_submit(current_user, report):
        return "submit"
    if report.status == "submitted" and monthly_reports.can_approve(current_user, report):
        return "approve"
    return None


STEPS = {"submit": None, "approve": monthly_reports.approve, "return": monthly_reports.send_back}


@bp.route("/report/<id:report_id>/<step>", methods=["POST"])
@login_required
def advance(report_id, step):
    if step not in STEPS:
        abort(404)
    report = report_or_404(report_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        if step == "submit":
            monthly_reports.submit(current_user, report, request.form.get("comment", ""))
        else:
            STEPS[step](current_user, report)
    except ValidationError as exc:
        flash_refusal(exc)
    else:
        flash(_("Saved."))
    return redirect(url_for("filing.index", month=report.month))
