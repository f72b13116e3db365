"""Townships, villages and schools: listed for the county, kept by the admin."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN, fn

from ..auth import roles_required
from ..choices import SCHOOL_KINDS
from ..forms import SchoolForm, TownshipForm, VillageForm, options, show_errors
from ..models import Child, School, Township, Village
from ..services import ValidationError, places

bp = Blueprint("places", __name__, url_prefix="/places")

FORMS = {"township": TownshipForm, "village": VillageForm, "school": SchoolForm}


def _model_or_404(kind):
    if kind not in places.MODELS:
        abort(404)
    return places.MODELS[kind]


@bp.route("/")
@roles_required("admin", "bureau")
def index():
    townships = (
        Township.select(Township, fn.COUNT(Village.id).alias("village_count"))
        .join(Village, JOIN.LEFT_OUTER)
        .group_by(Township)
        .order_by(Township.name)
    )
    villages = (
        Village.select(Village, Township, fn.COUNT(Child.id).alias("child_count"))
        .join(Township)
        .switch(Village)
        .join(Child, JOIN.LEFT_OUTER)
        .group_by(Village, Township)
        .order_by(Township.name, Village.name)
    )
    schools = School.select(School, Township).join(Township).order_by(Township.name, School.name)
    return render_template(
        "places/index.html", townships=townships, villages=villages, schools=schools, kinds=SCHOOL_KINDS
    )


@bp.route("/<kind>/new", methods=["GET", "POST"], defaults={"place_id": None})
@bp.route("/<kind>/<int:place_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit(kind, place_id):
    model = _model_or_404(kind)
    place = model.get_or_none(model.id == place_id) if place_id else None
    if place_id and place is None:
        abort(404)
    form = FORMS[kind](obj=place)
    if place is not None and request.method == "GET" and kind != "township":
        form.township.data = str(place.township_id)
    if kind != "township":
        form.township.choices = options(((t.id, t.name) for t in Township.select().order_by(Township.name)), "—")
    errors = []
    if form.validate_on_submit():
        values = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        try:
            places.save_place(current_user, kind, values, place)
        except ValidationError as exc:
            errors = show_errors(form, exc.errors)
        else:
            flash(_("Saved."))
            return redirect(url_for("places.index") + f"#{kind}s")
    status = 422 if errors or any(field.errors for field in form) else 200
    return render_template("places/form.html", form=form, kind=kind, place=place, errors=errors), status


@bp.route("/<kind>/<int:place_id>/delete", methods=["POST"])
@roles_required("admin")
def delete(kind, place_id):
    model = _model_or_404(kind)
    place = model.get_or_none(model.id == place_id) or abort(404)
    try:
        places.delete_place(current_user, kind, place)
    except ValidationError as exc:
        flash(next(iter(exc.errors.values())), "error")
    else:
        flash(_("Removed."))
    return redirect(url_for("places.index") + f"#{kind}s")
