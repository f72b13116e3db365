"""限期复学通知书 pages: issue from a case, record service, print one or a batch, verify, what follows."""

import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..case_forms import IssueForm, MeasureForm, PenaltyForm, ServiceForm, read_dates, service_values
from ..choices import MEASURES, NOTICE_STATUSES, PENALTIES, PENALTY_DOCUMENTS, SERVICE_METHODS
from ..core import scope
from ..core.errors import ValidationError
from ..forms import options, show_errors
from ..models import ReturnNotice, utcnow
from ..notices import documents, notices, numbering, printing
from ..pdf.fonts import FontMissing
from ..rules import measures as measure_rules
from ..rules.dates import parse_date
from ..rules.numbers import parse_id
from ..tasks import runners
from . import scans, tasks
from .downloads import send_download
from .found import case_or_404, flash_refusal, notice_or_404

bp = Blueprint("notices", __name__)
SHOWN = 500  # notices listed on the page
BATCH_MAX = 1000  # notices in one printed batch


def _pdf_response(data, name, attachment=False):
    return send_download(data, name, "application/pdf", inline=not attachment)


def no_font():
    flash(runners.no_font_message(), "error")


def printed(render, name, back, attachment=False):
    """The PDF `render()` makes, or back to `back` with a clear message when no Chinese font is installed."""
    try:
        data = render()
    except FontMissing:
        no_font()
        return redirect(back)
    return _pdf_response(data, name, attachment)


@bp.route("/notices/")
@login_required
def index():
    township = parse_id(request.args.get("township"))
    status = request.args.get("status", "")
    try:
        since = parse_date(request.args.get("since"))
    except ValueError:
        since = None
    query = notices.listing(current_user, township, status if status in NOTICE_STATUSES else None, since)
    rows = list(query.order_by(ReturnNotice.issued_on.desc(), ReturnNotice.id.desc()).limit(SHOWN))
    return render_template(
        "notices/list.html",
        notices=rows,
        unprinted=notices.listing(current_user, unprinted=True).count(),
        townships=scope.townships(current_user),
        statuses=NOTICE_STATUSES,
        township=township,
        status=status,
        since=since,
    )


@bp.route("/notices/batch.pdf", methods=["POST"])
@login_required
def batch():
    """The ticked notices (or, with which=unprinted, every notice in force not yet printed) as one PDF, each with
    its 送达回证, laid out by a background task."""
    if request.values.get("which") == "unprinted":
        query = notices.listing(current_user, unprinted=True)
    else:
        ids = [id_ for value in request.values.getlist("notice") if (id_ := parse_id(value)) is not None]
        query = notices.listing(current_user).where(ReturnNotice.id.in_(ids[:BATCH_MAX]))
    chosen = [notice.id for notice in query.order_by(ReturnNotice.id).limit(BATCH_MAX)]
    if not chosen:
        flash(_("Choose the notices to print."), "error")
        return redirect(url_for("notices.index"))
    return tasks.start("notices", _("Print %(n)d notices", n=len(chosen)), {"ids": chosen})


@bp.route("/cases/<id:case_id>/notice", methods=["GET", "POST"])
@login_required
def issue(case_id):
    case = case_or_404(case_id)
    allowed = notices.issuers(current_user, case)
    if not allowed:
        abort(403)
    form = IssueForm(
        data={"return_school": case.child.school.name if case.child.school else ""} if request.method == "GET" else None
    )
    township = case.child.village.township
    form.issuer.choices = options(
        (issuer, numbering.authority(issuer, township, current_app.config)) for issuer in allowed
    )
    failed = False
    if form.validate_on_submit():
        try:
            notice, archived = notices.issue_and_archive(
                current_user,
                case,
                current_app.config,
                clock.today(),
                form.return_school.data,
                form.issuer.data or allowed[0],
                form.early_reason.data,
            )
        except ValidationError as exc:
            show_errors(form, exc.errors)
            failed = True
        else:
            if not archived:
                no_font()  # the notice stays issued; printing works once a font is installed
            flash(_("Notice %(number)s issued.", number=notice.number))
            return redirect(url_for("notices.detail", notice_id=notice.id))
    ready = notices.readiness(case, current_app.config)
    return (
        render_template("notices/issue.html", form=form, case=case, failed=failed, ready=ready),
        422 if failed else 200,
    )


@bp.route("/notices/<id:notice_id>")
@login_required
def detail(notice_id):
    notice = notice_or_404(notice_id)
    return render_detail(notice, ServiceForm(data={"served_on": clock.today().isoformat()}), measure_form())


def measure_form():
    """The measures that need no penalty chain, each with the provision it rests on where there is one."""
    config = current_app.config
    form = MeasureForm()
    kinds = [kind for kind in config["MEASURES"] if kind != "penalty" and measure_rules.available(kind, config)]
    form.kind.choices = options((kind, _label(kind, config)) for kind in kinds)
    if form.kind.data is None and kinds:
        form.kind.data = kinds[0]  # nothing chosen yet: the first measure the province allows
    return form


def _label(kind, config):
    basis = measure_rules.basis(kind, config)
    return f"{MEASURES.get(kind, kind)}（{basis}）" if basis else str(MEASURES.get(kind, kind))


def penalty_form(config, form=None):
    form = form or PenaltyForm()
    form.penalty.choices = options(((p, PENALTIES[p]) for p in measure_rules.penalties(config)), "—")
    return form


def render_detail(notice, service_form, measure_form, status=200, penalty=None):
    config = current_app.config
    service_form.method.choices = options(((m, m) for m in SERVICE_METHODS), "—")
    unavailable = [
        (MEASURES[kind], notices.unavailable_message(kind))
        for kind in config["MEASURES"]
        if kind in MEASURES and not measure_rules.available(kind, config)
    ]
    return render_template(
        "notices/detail.html",
        notice=notice,
        data=documents.data_of(notice),
        service=json.loads(notice.service or "{}"),
        service_form=service_form,
        measure_form=measure_form,
        can_act=notices.may_act(current_user, notice),
        statuses=NOTICE_STATUSES,
        measures=MEASURES,
        documents=notice.penalty_documents,
        document_kinds=PENALTY_DOCUMENTS,
        unavailable=unavailable,
        penalty_form=(
            penalty_form(config, penalty)
            if measure_rules.penalties(config) and "penalty" in config["MEASURES"]
            else None
        ),
        top_errors=[error for form in (service_form, measure_form, penalty) if form for error in form.form_errors],
        **scans.panel(notice=notice),
        successor=printing.successor(notice),
        versions=ReturnNotice.select()
        .where(
            (ReturnNotice.series == notice.series)
            & (ReturnNotice.year == notice.year)
            & (ReturnNotice.seq == notice.seq)
        )
        .order_by(ReturnNotice.version),
    ), status


@bp.route("/notices/<id:notice_id>.pdf")
@login_required
def pdf(notice_id):
    notice = notice_or_404(notice_id)
    return printed(
        lambda: printing.print_one(notice, current_app.config, utcnow(), record=notices.may_act(current_user, notice)),
        f"notice-{notice.id}-v{notice.version}.pdf",
        url_for("notices.detail", notice_id=notice.id),
    )


@bp.route("/notices/<id:notice_id>/serve", methods=["POST"])
@login_required
def serve(notice_id):
    notice = notice_or_404(notice_id)
    form = ServiceForm()
    values = service_values(form)
    try:
        if form.served_on.errors:
            raise ValidationError({})
        notices.record_service(current_user, notice, values, current_app.config, clock.today())
    except ValidationError as exc:
        show_errors(form, exc.errors)
        return render_detail(notice, form, measure_form(), 422)
    flash(_("Service recorded; the deadline is %(date)s.", date=notice.deadline_on))
    return redirect(url_for("notices.detail", notice_id=notice.id))


@bp.route("/notices/<id:notice_id>/measure", methods=["POST"])
@login_required
def measure(notice_id):
    notice = notice_or_404(notice_id)
    form = measure_form()
    values = read_dates(form, "decided_on")
    try:
        if form.decided_on.errors:
            raise ValidationError({})
        notices.escalate(
            current_user,
            notice,
            form.kind.data,
            form.document_number.data,
            values["decided_on"],
            form.notes.data,
            current_app.config,
            clock.today(),
        )
    except ValidationError as exc:
        show_errors(form, exc.errors)
        return render_detail(notice, ServiceForm(), form, 422)
    flash(_("Saved."))
    return redirect(url_for("notices.detail", notice_id=notice.id))


@bp.route("/notices/<id:notice_id>/correct", methods=["POST"])
@login_required
def correct(notice_id):
    notice = notice_or_404(notice_id)
    try:
        new, archived = notices.correct_and_archive(
            current_user, notice, current_app.config, clock.today(), request.form.get("return_school", "")
        )
    except ValidationError as exc:
        flash_refusal(exc)
        return redirect(url_for("notices.detail", notice_id=notice.id))
    if not archived:
        no_font()
    flash(_("Corrected version %(n)d issued; the earlier one is kept.", n=new.version))
    return redirect(url_for("notices.detail", notice_id=new.id))


@bp.route("/verify/<code>")
def verify(code):
    """Public: confirms only that a notice with this number was issued by this township on this day."""
    found = notices.verify(code[:20])
    return render_template("notices/verify.html", found=found, code=code[:20]), 200 if found else 404
