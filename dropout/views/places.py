"""Townships, villages and schools: listed for the county, kept by the admin."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import roles_required
from ..children import places
from ..core.errors import ValidationError
from ..forms import SchoolForm, TownshipForm, VillageForm, options, show_errors
from ..models import Township
from .found import flash_refusal, place_or_404

bp = Blueprint("places", __name__, url_prefix="/places")

FORMS = {"township": TownshipForm, "village": VillageForm, "school": SchoolForm}


@bp.route("/")
@roles_required("admin", "bureau")
def index():
    townships, villages, schools = places.listing()
    return render_template("places/index.html", townships=townships, villages=villages, schools=schools)


@bp.route("/<kind>/new", methods=["GET", "POST"], defaults={"place_id": None})
@bp.route("/<kind>/<id:place_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit(kind, place_id):
    if kind not in places.MODELS:
        abort(404)
    place = place_or_404(kind, place_id) if place_id else None
    form = FORMS[kind](obj=place)
    if place is not None and request.method == "GET" and kind != "township":
        form.township.data = str(place.township_id)
    if kind != "township":
        form.township.choices = options(((t.id, t.name) for t in Township.select().order_by(Township.name)), "—")
    failed = False
    if form.validate_on_submit():
        values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        try:
            places.save_place(current_user, kind, values, place)
        except ValidationError as exc:
            show_errors(form, exc.errors)
            failed = True
        else:
            flash(_("Saved."))
            return redirect(url_for("places.index") + f"#{kind}s")
    return render_template("places/form.html", form=form, kind=kind, place=place, failed=failed), 422 if failed else 200


@bp.route("/<kind>/<id:place_id>/delete", methods=["POST"])
@roles_required("admin")
def delete(kind, place_id):
    place = place_or_404(kind, place_id)
    try:
        places.delete_place(current_user, kind, place)
    except ValidationError as exc:
        flash_refusal(exc)
    else:
        flash(_("Removed."))
    return redirect(url_for("places.index") + f"#{kind}s")
