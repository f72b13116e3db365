"""缓学/免学/休学 applications: recorded, approved by the township, filed by the bureau."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from .. import clock
from ..case_forms import ExemptionForm, read_dates
from ..casework import exemptions
from ..choices import EXEMPTION_KINDS, EXEMPTION_STATUSES
from ..core import paging
from ..core.errors import ValidationError
from ..forms import show_errors
from ..rules.numbers import parse_id
from .downloads import send_upload
from .found import child_or_404, exemption_or_404, flash_refusal, keyset_paged, sized

bp = Blueprint("exemptions", __name__, url_prefix="/exemptions")


@bp.route("/")
@login_required
def index():
    """The applications of the children in the user's scope, in a status and of a kind, a page at a time."""
    status, kind = request.args.get("status", ""), request.args.get("kind", "")
    status = status if status in EXEMPTION_STATUSES else ""  # an unknown one is no filter, as the list treats it
    kind = kind if kind in EXEMPTION_KINDS else ""
    query = exemptions.listing(current_user, status, kind)
    size = paging.page_size(request.args.get("size"))  # a few screens of a phone unless ?size= asks for more
    args = {name: value for name, value in (("status", status), ("kind", kind)) if value}
    return render_template(
        "exemptions/list.html",
        page=keyset_paged(query, exemptions.ORDER, descending=True, per_page=size),
        args=args,
        list_args=sized(args, size),
        statuses=EXEMPTION_STATUSES,
        kinds=EXEMPTION_KINDS,
        today=clock.today(),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    child = child_or_404(parse_id(request.args.get("child")) or 0)
    if not current_user.can_edit_children:
        abort(403)
    form = ExemptionForm()
    failed = False
    if form.validate_on_submit():
        values = read_dates(form, "applied_on", "valid_until")
        values.update(kind=form.kind.data, reason=form.reason.data)
        scan = form.scan.data if form.scan.data and form.scan.data.filename else None
        if not (form.applied_on.errors or form.valid_until.errors):
            try:
                exemption = exemptions.apply(
                    current_user, child, values, clock.today(), scan, current_app.config["UPLOADS_DIR"]
                )
            except ValidationError as exc:
                show_errors(form, exc.errors)
            else:
                flash(_("Saved."))
                return redirect(url_for("exemptions.detail", exemption_id=exemption.id))
        failed = True
    return render_template("exemptions/new.html", form=form, child=child, failed=failed), 422 if failed else 200


@bp.route("/<id:exemption_id>")
@login_required
def detail(exemption_id):
    exemption = exemption_or_404(exemption_id)
    return render_template("exemptions/detail.html", exemption=exemption, form=FlaskForm(), today=clock.today())


STEPS = {"approve": exemptions.approve, "refuse": exemptions.refuse, "file": exemptions.file}


@bp.route("/<id:exemption_id>/<step>", methods=["POST"])
@login_required
def advance(exemption_id, step):
    if step not in STEPS:
        abort(404)
    exemption = exemption_or_404(exemption_id)
    try:
        STEPS[step](current_user, exemption, clock.today())
    except ValidationError as exc:
        flash_refusal(exc)
    else:
        flash(_("Saved."))
    return redirect(url_for("exemptions.detail", exemption_id=exemption.id))


@bp.route("/<id:exemption_id>/scan")
@login_required
def scan(exemption_id):
    exemption = exemption_or_404(exemption_id)
    return send_upload(exemption.scan_path, f"exemption-{exemption.id}")
