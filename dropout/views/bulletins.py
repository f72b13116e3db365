"""通报 and 督办函: the bureau issues the monthly 通报 from a locked month, every unit reads it; each lagging unit
answers its 督办函, and the bureau tracks every letter until it accepts the rectification."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from .. import clock
from ..auth import roles_required
from ..core import paging
from ..core.errors import ValidationError
from ..models import Bulletin, SupervisionLetter
from ..reporting import bulletins, summaries, supervision
from ..reporting import filing as monthly_reports
from .downloads import send_upload
from .found import flash_refusal, keyset_paged, or_404, sized
from .notices import printed

bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")
ROLES = ("admin", "bureau", "township", "teacher")  # a village committee is named in no 通报


def _gate():
    if current_user.role not in ROLES:
        abort(403, _("The bulletins go to the bureau, the townships and the schools, not to a village committee."))


def _letter_or_404(letter_id):
    _gate()
    return or_404(supervision.get_visible(current_user, letter_id))


@bp.route("/")
@login_required
def index():
    _gate()
    return render_template(
        "bulletins/index.html",
        bulletins=bulletins.listed(),
        months=bulletins.months_open() if current_user.role in supervision.DECIDERS else [],
        counts=supervision.counts(current_user),
        statuses=supervision.STATUSES,
        form=FlaskForm(),
    )


@bp.route("/generate", methods=["POST"])
@roles_required("admin", "bureau")
def generate():
    """Issue the 通报 of a locked month with its 督办函; refused with the reason, or sent to the one issued before."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        month = summaries.parse_month(request.form.get("month", ""))
        bulletin = bulletins.generate(current_user, month, current_app.config)
    except bulletins.Exists as exc:
        flash_refusal(exc)
        return redirect(url_for("bulletins.detail", bulletin_id=exc.bulletin.id))
    except ValidationError as exc:
        flash_refusal(exc)
        return redirect(url_for("bulletins.index"))
    flash(
        _(
            "Bulletin %(number)s issued, with %(n)d supervision letters.",
            number=bulletin.number,
            n=bulletin.letters.count(),
        )
    )
    return redirect(url_for("bulletins.detail", bulletin_id=bulletin.id))


@bp.route("/<id:bulletin_id>")
@login_required
def detail(bulletin_id):
    _gate()
    bulletin = or_404(Bulletin.get_or_none(Bulletin.id == bulletin_id))
    letters = supervision.visible(current_user).where(SupervisionLetter.bulletin == bulletin.id)
    return render_template(
        "bulletins/detail.html",
        bulletin=bulletin,
        data=bulletins.data_of(bulletin),
        letters={(letter.unit_kind, letter.unit_id): letter for letter in letters},
        statuses=supervision.STATUSES,
        today=clock.today(),
    )


@bp.route("/<id:bulletin_id>.pdf")
@login_required
def pdf(bulletin_id):
    _gate()
    bulletin = or_404(Bulletin.get_or_none(Bulletin.id == bulletin_id))
    back = url_for("bulletins.detail", bulletin_id=bulletin.id)
    return printed(lambda: bulletins.pdf_of(bulletin, current_app.config), f"{bulletin.number}.pdf", back)


@bp.route("/letters/")
@login_required
def letters():
    _gate()
    status = request.args.get("status", "")
    overdue = request.args.get("overdue") == "1"
    status = status if status in supervision.STATUSES else ""
    today = clock.today()
    size = paging.page_size(request.args.get("size"))
    args = {name: value for name, value in (("status", status), ("overdue", "1" if overdue else "")) if value}
    query = supervision.tracked(current_user, status, overdue, today)
    return render_template(
        "bulletins/letters.html",
        page=keyset_paged(query, supervision.ORDER, per_page=size),
        list_args=sized(args, size),
        status=status,
        overdue=overdue,
        statuses=supervision.STATUSES,
        names=monthly_reports.unit_names(),
        today=today,
    )


@bp.route("/letters/<id:letter_id>")
@login_required
def letter(letter_id):
    letter = _letter_or_404(letter_id)
    answered_by, decided_by = supervision.people(letter)
    return render_template(
        "bulletins/letter.html",
        letter=letter,
        printed=bulletins.printed_of(letter),
        statuses=supervision.STATUSES,
        may_answer=supervision.may_answer(current_user, letter) and letter.status == "open",
        may_decide=supervision.may_decide(current_user) and letter.status == "answered",
        answered_by=answered_by,
        decided_by=decided_by,
        today=clock.today(),
        form=FlaskForm(),
    )


@bp.route("/letters/<id:letter_id>.pdf")
@login_required
def letter_pdf(letter_id):
    letter = _letter_or_404(letter_id)
    back = url_for("bulletins.letter", letter_id=letter.id)
    return printed(lambda: bulletins.letter_pdf_of(letter, current_app.config), f"{letter.number}.pdf", back)


@bp.route("/letters/<id:letter_id>/scan")
@login_required
def scan(letter_id):
    letter = _letter_or_404(letter_id)
    return send_upload(letter.answer_scan_path, f"{letter.number}-answer")


def _step(letter_id, act, done):
    letter = _letter_or_404(letter_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        act(letter)
    except ValidationError as exc:
        flash_refusal(exc)
    else:
        flash(done)
    return redirect(url_for("bulletins.letter", letter_id=letter.id))


@bp.route("/letters/<id:letter_id>/answer", methods=["POST"])
@login_required
def answer(letter_id):
    upload = request.files.get("scan")
    stream = upload.stream if upload is not None and upload.filename else None

    def act(letter):
        supervision.answer(
            current_user, letter, request.form.get("answer", ""), stream, current_app.config["UPLOADS_DIR"]
        )

    return _step(letter_id, act, _("The answer was sent to the bureau."))


@bp.route("/letters/<id:letter_id>/accept", methods=["POST"])
@login_required
def accept(letter_id):
    return _step(
        letter_id, lambda letter: supervision.accept(current_user, letter), _("The rectification is accepted.")
    )


@bp.route("/letters/<id:letter_id>/return", methods=["POST"])
@login_required
def send_back(letter_id):
    def act(letter):
        supervision.send_back(current_user, letter, request.form.get("reason", ""))

    return _step(letter_id, act, _("The answer was returned to the unit."))
