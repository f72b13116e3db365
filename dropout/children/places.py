"""Townships, villages and schools: the county's places, kept by the county admin."""

from flask_babel import gettext as _
from peewee import JOIN, IntegrityError, fn

from ..choices import SCHOOL_KINDS
from ..core import audit
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import Child, School, Township, Village
from ..rules.numbers import parse_id

MODELS = {"township": Township, "village": Village, "school": School}
MAX_NAME = 255


def get_place(kind, place_id):
    """A township, village or school by kind and id, or None (an unknown kind too)."""
    model = MODELS.get(kind)
    return model.get_or_none(model.id == place_id) if model is not None else None


def listing():
    """Townships with their village counts, villages with their child counts, schools."""
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
    return townships, villages, schools


def _check(kind, values):
    errors = {}
    values["name"] = (values.get("name") or "").strip()
    if not values["name"]:
        errors["name"] = _("Enter the name of the place.")
    elif len(values["name"]) > MAX_NAME:
        errors["name"] = _("Too long: at most %(n)d characters.", n=MAX_NAME)
    if kind in ("village", "school"):
        township_id = parse_id(values.get("township"))
        if township_id is None or Township.get_or_none(Township.id == township_id) is None:
            errors["township"] = _("Choose the township.")
        else:
            values["township"] = township_id
    if kind == "school" and values.get("kind") not in SCHOOL_KINDS:
        errors["kind"] = _("Choose the kind of school.")
    if kind == "township":
        values["notice_prefix"] = (values.get("notice_prefix") or "").strip()
        if len(values["notice_prefix"]) > MAX_NAME:
            errors["notice_prefix"] = _("Too long: at most %(n)d characters.", n=MAX_NAME)
    if errors:
        raise ValidationError(errors)
    return values


def save_place(user, kind, values, place=None):
    """Create or update a township, village or school; the admin's job, audited."""
    if not user.can_write_places:
        raise PermissionDenied()
    model = MODELS[kind]
    values = _check(kind, dict(values))
    columns = {field: values[field] for field in model._meta.fields if field in values and field != "id"}
    try:
        with database.atomic():
            before = audit.snapshot(place) if place is not None else None
            place = place or model()
            for field, value in columns.items():
                setattr(place, field, value)
            place.save()
            audit.record(user, "update" if before else "create", kind, place.id, before, audit.snapshot(place))
    except IntegrityError:
        raise ValidationError({"name": _("The name %(name)s is already used.", name=values["name"])}) from None
    return place


def delete_place(user, kind, place):
    """Remove a place nobody refers to; one with children or accounts is refused."""
    if not user.can_write_places:
        raise PermissionDenied()
    try:
        with database.atomic():
            audit.record(user, "delete", kind, place.id, before=audit.snapshot(place))
            place.delete_instance()
    except IntegrityError:
        raise ValidationError({"name": _("%(name)s is still in use and cannot be removed.", name=place.name)}) from None
