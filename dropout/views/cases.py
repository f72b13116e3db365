"""一人一案 pages: the cases list and export, a case with its timeline and next steps."""

import json
from dataclasses import asdict

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from peewee import JOIN

from .. import clock
from ..case_forms import (
    AssignForm,
    CaseOpenForm,
    ClosureProofForm,
    ClosureRefusalForm,
    ClosureRequestForm,
    ConfirmForm,
    HandoverForm,
    NotDropoutForm,
    ReturnForm,
    read_dates,
)
from ..casework import cases, closures
from ..casework import search as case_search
from ..casework.settings import CaseSettings
from ..choices import (
    CASE_EVENTS,
    CASE_STATUSES,
    CLOSURES,
    DERIVED_CLOSURES,
    DROPOUT_REASONS,
    PLACEMENTS,
    PRIORITY_GROUPS,
    ROLES,
)
from ..core import scope
from ..core.errors import ValidationError
from ..forms import options, show_errors
from ..models import CaseEvent, ClosureRequest, DropoutCase, HomeVisit, User
from ..notices import notices
from ..rules.numbers import parse_id
from . import tasks
from .downloads import send_upload
from .found import case_or_404, child_or_404, keyset_paged, places_in_scope

bp = Blueprint("cases", __name__, url_prefix="/cases")


def settings():
    return CaseSettings.from_config(current_app.config)


@bp.route("/")
@login_required
def index():
    filters = case_search.CaseFilters.from_args(request.args)
    query = case_search.search(current_user, filters, clock.today())
    return render_template(
        "cases/list.html",
        page=keyset_paged(query, case_search.ORDER, descending=True),
        filters=filters,
        args={k: v for k, v in vars(filters).items() if v not in (None, "")},
        **places_in_scope(),
        people=_people(),
        statuses=CASE_STATUSES,
        reasons=DROPOUT_REASONS,
        groups=PRIORITY_GROUPS,
    )


def _people():
    """Township cadres and teachers who carry cases in the user's scope."""
    in_scope = scope.cases(current_user)
    ids = in_scope.select(DropoutCase.cadre).union(in_scope.select(DropoutCase.teacher))
    return User.select().where(User.id.in_(ids)).order_by(User.role, User.username)


@bp.route("/export.xlsx", methods=["GET", "POST"])
@login_required
def export():
    """The filtered cases list as .xlsx (ID numbers masked), written by a background task: GET says what will be
    exported, POST starts it."""
    filters = case_search.CaseFilters.from_args(request.values)
    chosen = {key: value for key, value in asdict(filters).items() if value not in (None, "")}
    text = _(
        "The export holds every case the cases list shows with these filters, one row each, as an .xlsx workbook "
        "(ID numbers masked). It is written in the background and kept for you to download."
    )
    title, back = _("Cases (一人一案) export"), url_for("cases.index", **chosen)
    return tasks.export_page("cases", title, {"filters": chosen}, chosen, _("Export cases"), text, back)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    child = child_or_404(parse_id(request.args.get("child")) or 0)
    if not current_user.can_report_absence:
        abort(403)
    form = CaseOpenForm()
    failed = False
    if form.validate_on_submit():
        values = read_dates(form, "absent_since")
        if not form.absent_since.errors:
            try:
                case = cases.open_case(
                    current_user, child, values["absent_since"], settings(), clock.today(), form.notes.data
                )
            except ValidationError as exc:
                show_errors(form, exc.errors)
            else:
                flash(_("Saved."))
                return redirect(url_for("cases.detail", case_id=case.id))
        failed = True
    return render_template("cases/new.html", form=form, child=child, failed=failed), 422 if failed else 200


def _timeline(case):
    """The case's steps, newest first, with their data read back; who acted and the visit logged come in the same
    query, not one query per step."""
    rows = (
        CaseEvent.select(CaseEvent, User, HomeVisit)
        .join_from(CaseEvent, User, JOIN.LEFT_OUTER)
        .join_from(CaseEvent, HomeVisit, JOIN.LEFT_OUTER)
        .where(CaseEvent.case == case.id)
        .order_by(CaseEvent.happened_on.desc(), CaseEvent.id.desc())
    )
    return [(event, json.loads(event.data or "{}")) for event in rows]


def _action_forms(case):
    # CSRFProtect checks every POST once; these forms share the page's token.
    no_csrf = {"csrf": False}
    forms = {
        "confirm": ConfirmForm(prefix="confirm", meta=no_csrf),
        "not_dropout": NotDropoutForm(prefix="nd", meta=no_csrf),
        "assign": AssignForm(
            prefix="assign",
            meta=no_csrf,
            data={"cadre": str(case.cadre_id or ""), "teacher": str(case.teacher_id or "")},
        ),
        "return": ReturnForm(prefix="return", meta=no_csrf),
        "close": ClosureRequestForm(prefix="close", meta=no_csrf),
        **_closure_forms(case, no_csrf),
    }
    forms["close"].closure.choices = options(closures.KINDS.items(), "—")
    forms["assign"].cadre.choices = options(((u.id, str(u)) for u in _cadres(case)), "—")
    forms["assign"].teacher.choices = options(((u.id, str(u)) for u in scope.teachers(current_user)), "—")
    forms["return"].school.choices = options(((s.id, s.name) for s in scope.schools(current_user)), "—")
    return forms


def _closure_forms(case, meta):
    """The forms acting on the waiting closure request: sign, approve (its proof shown to complete), send back,
    withdraw."""
    pending = closures.waiting(case)
    proof = closures.proof_of(pending) if pending else {}
    return {
        "sign": FlaskForm(prefix="sign", meta=meta),
        "approve": ClosureProofForm(prefix="approve", meta=meta, data={k: str(v) for k, v in proof.items()}),
        "refuse": ClosureRefusalForm(prefix="refuse", meta=meta),
        "withdraw": FlaskForm(prefix="withdraw", meta=meta),
    }


def _cadres(case):
    query = User.select().where((User.role == "township") & User.is_active)
    if current_user.role == "township":
        query = query.where(User.township == current_user.township_id)
    return query.order_by(User.username)


def _render_detail(case, forms, status=200):
    pending, last = closures.waiting(case), closures.latest(case)
    return render_template(
        "cases/detail.html",
        case=case,
        child=case.child,
        timeline=_timeline(case),
        forms=forms,
        can_decide=cases.can_decide(current_user, case),
        can_issue=notices.can_issue(current_user, case),
        readiness=notices.readiness(case, current_app.config),
        events=CASE_EVENTS,
        placements=PLACEMENTS,
        closures={**CLOSURES, **DERIVED_CLOSURES},
        reasons=DROPOUT_REASONS,
        closure=_closure_view(case, pending or last),
        may_request=pending is None and closures.may_request(current_user, case),
        closure_statuses=closures.STATUSES,
    ), status


def _closure_view(case, shown):
    """The closure request the page shows (the waiting one, else the latest) and what this user may do with it."""
    if shown is None:
        return None
    pending, user = shown.status == "pending", current_user
    proof = closures.proof_of(shown)
    missing = closures.missing(shown, proof, bool(shown.scan_path), settings(), clock.today()) if pending else {}
    return {
        "request": shown,
        "proof": proof,
        "missing": missing,
        "unsigned": bool(closures.missing_signatures(shown)),
        "may_sign": pending
        and user.id in (case.cadre_id, case.teacher_id)
        and user.id not in (shown.cadre_signed_by_id, shown.teacher_signed_by_id),
        # the requester withdraws their own request rather than deciding on it
        "may_decide": pending and closures.may_approve(user, case) and not closures.own_request(user, shown),
        "may_withdraw": pending and shown.requested_by_id == user.id,
        "fields": closures.PROOF_BY_CLOSURE.get(shown.closure, ()),
    }


@bp.route("/<id:case_id>")
@login_required
def detail(case_id):
    case = case_or_404(case_id)
    return _render_detail(case, _action_forms(case))


ACTIONS = ("confirm", "not_dropout", "assign", "return", "close")


@bp.route("/<id:case_id>/<action>", methods=["POST"])
@login_required
def act(case_id, action):
    """One next step on the case, from the forms on its page."""
    if action not in ACTIONS:
        abort(404)
    case = case_or_404(case_id)
    forms = _action_forms(case)
    form = forms[action]
    form.validate()
    today = clock.today()
    try:
        _do(action, case, form, today)
    except ValidationError as exc:
        show_errors(form, exc.errors)
        return _render_detail(case, forms, 422)
    flash(_("Saved."))
    return redirect(url_for("cases.detail", case_id=case.id))


def _do(action, case, form, today):
    user, config = current_user, settings()
    if action == "assign":
        return cases.assign(user, case, form.cadre.data or None, form.teacher.data or None, today)
    dates = read_dates(form, *[name for name in ("on", "death_on") if name in form])
    if any(form[name].errors for name in dates):
        raise ValidationError({})
    if action == "confirm":
        return cases.confirm(user, case, form.reason.data, form.details.data, dates["on"] or today, config, today)
    if action == "not_dropout":
        return cases.resolve_not_dropout(user, case, dates["on"] or today, form.notes.data, config, today)
    if action == "return":
        grade, school = parse_id(form.grade.data), parse_id(form.school.data)
        return cases.record_return(
            user, case, dates["on"] or today, form.placement.data, school, grade, form.notes.data, config, today
        )
    values = _proof_values(form, dates)
    return closures.submit(user, case, form.closure.data, dates["on"] or today, values, config, today, *_scan(form))


def _proof_values(form, dates):
    values = {name: form[name].data for name in closures.PROOF_FIELDS if name != "death_on"}
    values["death_on"] = dates.get("death_on")
    return values


def _scan(form):
    """(the uploaded scan or None, the uploads folder) from a form's scan field."""
    scan = form.scan.data if form.scan.data and getattr(form.scan.data, "filename", "") else None
    return scan, current_app.config["UPLOADS_DIR"]


STEPS = ("sign", "approve", "refuse", "withdraw")


@bp.route("/<id:case_id>/closure/<step>", methods=["POST"])
@login_required
def closure_step(case_id, step):
    """A step on the case's waiting closure request (销号): sign, approve, send back, withdraw."""
    if step not in STEPS:
        abort(404)
    case = case_or_404(case_id)
    if current_user.role not in ("admin", "township", "teacher"):
        abort(403)
    forms = _action_forms(case)
    form = forms[step]
    form.validate()
    pending, today = closures.waiting(case), clock.today()
    try:
        if pending is None:
            raise ValidationError({step: _("There is no closure request waiting on this case.")})
        if step == "sign":
            closures.sign(current_user, pending, today)
        elif step == "approve":
            dates = read_dates(form, "death_on")
            if form.death_on.errors:
                raise ValidationError({})
            closures.approve(current_user, pending, _proof_values(form, dates), settings(), today, *_scan(form))
        elif step == "refuse":
            closures.refuse(current_user, pending, form.refusal.data, today)
        else:
            closures.withdraw(current_user, pending, today)
    except ValidationError as exc:
        show_errors(form, exc.errors)
        return _render_detail(case_or_404(case_id), forms, 422)
    flash(_("Saved."))
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<id:case_id>/closure/<id:request_id>/scan")
@login_required
def closure_scan(case_id, request_id):
    """The scan attached to one of the case's closure requests."""
    case = case_or_404(case_id)
    found = case.closure_requests.where(ClosureRequest.id == request_id).first()
    if found is None:
        abort(404)
    return send_upload(found.scan_path, f"closure-{found.id}")


@bp.route("/handover", methods=["GET", "POST"])
@login_required
def handover():
    if current_user.role not in ("admin", "township"):
        abort(403)
    form = HandoverForm()
    people = [u for u in _people() if u.role in ("township", "teacher")]
    choices = options(((u.id, f"{u} · {ROLES[u.role]}") for u in people), "—")
    targets = User.select().where(User.role.in_(("township", "teacher")) & User.is_active).order_by(User.username)
    form.from_user.choices = choices
    form.to_user.choices = options(((u.id, f"{u} · {ROLES[u.role]}") for u in targets), "—")
    failed = False
    if form.validate_on_submit():
        try:
            moved = cases.handover(current_user, form.from_user.data, form.to_user.data, clock.today())
        except ValidationError as exc:
            show_errors(form, exc.errors)
            failed = True
        else:
            flash(_("%(n)d cases handed over.", n=moved))
            return redirect(url_for("cases.index"))
    return render_template("cases/handover.html", form=form, failed=failed), 422 if failed else 200
