"""Logging a home visit from a phone in under a minute, and showing its photo to those in scope."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..case_forms import VisitForm, read_dates, read_float, read_number
from ..casework import visits
from ..choices import CASE_STATUSES
from ..core import scope
from ..core.errors import ValidationError
from ..forms import options, show_errors
from ..rules.numbers import parse_id
from .cases import settings
from .downloads import send_upload
from .found import child_or_404, visit_or_404

bp = Blueprint("visits", __name__, url_prefix="/visits")


def _values(form):
    values = read_dates(form, "visited_on", "next_visit_on")
    values.update(
        method=form.method.data,
        met=form.met.data,
        outcome=form.outcome.data,
        reasons=form.reasons.data,
        notes=form.notes.data,
        latitude=read_float(form, "latitude"),
        longitude=read_float(form, "longitude"),
        lessons=read_number(form, "lessons"),
    )
    return values


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not current_user.can_edit_children:
        abort(403)
    child_id = parse_id(request.args.get("child"))
    teaching_child = child_or_404(child_id) if child_id else None
    open_cases = list(visits.open_cases_first(current_user, scope.cases(current_user)).limit(200))
    initial = {"visited_on": clock.today().isoformat(), "case": request.args.get("case", "")}
    form = VisitForm(data=initial if request.method == "GET" else None)
    form.case.choices = options(
        ((c.id, f"{c.child.name} · {c.child.village.name} · {CASE_STATUSES[c.status]}") for c in open_cases), "—"
    )
    failed = False
    if form.validate_on_submit():
        values = _values(form)
        if not any(form[name].errors for name in ("visited_on", "next_visit_on", "lessons")):
            try:
                visit = _log(form, values, teaching_child)
            except ValidationError as exc:
                show_errors(form, exc.errors)
            else:
                flash(_("Visit recorded.") + (" " + _("Entered late: marked as such.") if visit.is_late else ""))
                if visit.case_id:
                    return redirect(url_for("cases.detail", case_id=visit.case_id))
                return redirect(url_for("children.detail", child_id=visit.child_id))
        failed = True
    return render_template("visits/form.html", form=form, child=teaching_child, failed=failed), 422 if failed else 200


def _log(form, values, teaching_child):
    today = clock.today()
    if teaching_child is not None:
        return visits.log_teaching_visit(current_user, teaching_child, values, settings(), today)
    case_id = parse_id(form.case.data)
    case = scope.get_case(current_user, case_id) if case_id is not None else None
    if case is None:
        raise ValidationError({"case": _("Choose the case.")})
    photo = form.photo.data if form.photo.data and form.photo.data.filename else None
    return visits.log_visit(current_user, case, values, settings(), today, photo, current_app.config["UPLOADS_DIR"])


@bp.route("/<id:visit_id>/photo")
@login_required
def photo(visit_id):
    visit = visit_or_404(visit_id)
    return send_upload(visit.photo_path, f"visit-{visit.id}")
