"""The penalty chain's pages: propose (事先告知书), serve, record the statement, decide (决定书), print."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..case_forms import DecisionForm, PenaltyForm, ServiceForm, StatementForm, read_dates, read_number, service_values
from ..choices import PENALTIES, PENALTY_DOCUMENTS, SERVICE_METHODS, STATEMENT_KINDS
from ..core.errors import ValidationError
from ..forms import options, show_errors
from ..notices import notices, penalties
from . import scans
from .found import document_or_404, notice_or_404
from .notices import measure_form, penalty_form, printed, render_detail

bp = Blueprint("penalties", __name__)


def _penalty_values(form):
    return form.penalty.data, read_number(form, "fine_amount")


@bp.route("/notices/<id:notice_id>/penalty", methods=["POST"])
@login_required
def propose(notice_id):
    notice = notice_or_404(notice_id)
    form = penalty_form(current_app.config, PenaltyForm())
    penalty, amount = _penalty_values(form)
    try:
        if form.fine_amount.errors:
            raise ValidationError({})
        document = penalties.propose(current_user, notice, penalty, amount, current_app.config, clock.today())
    except ValidationError as exc:
        show_errors(form, exc.errors)
        return render_detail(notice, ServiceForm(), measure_form(), 422, penalty=form)
    flash(_("Prior notice %(number)s issued: print it and serve it.", number=document.number))
    return redirect(url_for("penalties.detail", document_id=document.id))


def _forms(document, service=None, statement=None, decision=None):
    service = service or ServiceForm(data={"served_on": clock.today().isoformat()})
    service.method.choices = options(((m, m) for m in SERVICE_METHODS), "—")
    statement = statement or StatementForm()
    kinds = [kind for kind in STATEMENT_KINDS if kind != "hearing" or document.hearing_offered]
    statement.kind.choices = options(((kind, STATEMENT_KINDS[kind]) for kind in kinds), "—")
    decision = decision or DecisionForm(
        data={
            "penalty": document.penalty,
            "fine_amount": document.fine_amount or "",
            "decided_on": clock.today().isoformat(),
        }
    )
    decision.penalty.choices = options(
        ((p, PENALTIES[p]) for p in ("warning", "fine") if p == "warning" or document.penalty == "fine"), "—"
    )
    return {"service": service, "statement": statement, "decision": decision}


def _render(document, forms, status=200):
    return render_template(
        "notices/penalty.html",
        document=document,
        data=penalties.data_of(document),
        forms=forms,
        notice=document.notice,
        can_act=notices.may_act(current_user, document.notice),
        can_decide=penalties.can_decide(document, clock.today()),
        kinds=PENALTY_DOCUMENTS,
        statement_kinds=STATEMENT_KINDS,
        penalties=PENALTIES,
        decision=document.decisions.first() if document.kind == "prior" else None,
        **scans.panel(document=document),
        top_errors=[error for form in forms.values() for error in form.form_errors],
    ), status


@bp.route("/penalties/<id:document_id>")
@login_required
def detail(document_id):
    document = document_or_404(document_id)
    return _render(document, _forms(document))


@bp.route("/penalties/<id:document_id>.pdf")
@login_required
def pdf(document_id):
    document = document_or_404(document_id)
    return printed(
        lambda: penalties.pdf(document, current_app.config),
        f"penalty-{document.id}.pdf",
        url_for("penalties.detail", document_id=document.id),
    )


def _post(document, name, form, act):
    """Run `act()` for the form named `name`; back to the page with the reasons when it is refused."""
    try:
        if any(field.errors for field in form):
            raise ValidationError({})
        result = act()
    except ValidationError as exc:
        show_errors(form, exc.errors)
        return _render(document, _forms(document, **{name: form}), 422)
    flash(_("Saved."))
    return redirect(url_for("penalties.detail", document_id=result.id))


@bp.route("/penalties/<id:document_id>/serve", methods=["POST"])
@login_required
def serve(document_id):
    document = document_or_404(document_id)
    form = _forms(document, service=ServiceForm())["service"]
    values = service_values(form)
    return _post(
        document,
        "service",
        form,
        lambda: penalties.record_service(current_user, document, values, current_app.config, clock.today()),
    )


@bp.route("/penalties/<id:document_id>/statement", methods=["POST"])
@login_required
def statement(document_id):
    document = document_or_404(document_id)
    form = _forms(document, statement=StatementForm())["statement"]
    stated_on = read_dates(form, "stated_on")["stated_on"] if form.kind.data != "none" else None
    return _post(
        document,
        "statement",
        form,
        lambda: penalties.record_statement(
            current_user, document, form.kind.data, stated_on, form.statement.data, clock.today()
        ),
    )


@bp.route("/penalties/<id:document_id>/decide", methods=["POST"])
@login_required
def decide(document_id):
    document = document_or_404(document_id)
    form = _forms(document, decision=DecisionForm())["decision"]
    decided_on = read_dates(form, "decided_on")["decided_on"]
    penalty, amount = _penalty_values(form)
    return _post(
        document,
        "decision",
        form,
        lambda: penalties.decide(
            current_user, document, penalty, amount, decided_on, form.review.data, current_app.config, clock.today()
        ),
    )
