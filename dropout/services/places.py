"""Townships, villages and schools: the county's places, kept by the county admin."""
from flask_babel import gettext as _
from peewee import IntegrityError

from ..choices import SCHOOL_KINDS
from ..db import database
from ..models import School, Township, Village
from . import PermissionDenied, ValidationError, audit

MODELS = {"township": Township, "village": Village, "school": School}


def _check(kind, values):
    errors = {}
    values["name"] = (values.get("name") or "").strip()
    if not values["name"]:
        errors["name"] = _("Enter the name of the place.")
    if kind in ("village", "school"):
        township_id = str(values.get("township") or "")
        if not township_id.isdigit() or Township.get_or_none(Township.id == int(township_id)) is None:
            errors["township"] = _("Choose the township.")
        else:
            values["township"] = int(township_id)
    if kind == "school" and values.get("kind") not in SCHOOL_KINDS:
        errors["kind"] = _("Choose the kind of school.")
    if kind == "township":
        values["notice_prefix"] = (values.get("notice_prefix") or "").strip()
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
