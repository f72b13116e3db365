"""Template filters: codes to labels, masked ID numbers, people by name and role."""

from datetime import UTC

from flask_babel import gettext as _

from .. import clock
from ..choices import (
    AUDIT_ACTIONS,
    AUDIT_ENTITIES,
    CASE_EVENTS,
    CASE_STATUSES,
    CHILD_FIELD_LABELS,
    CHILD_STATUSES,
    CLOSURES,
    DERIVED_CLOSURES,
    DISABILITY_CATEGORIES,
    DROPOUT_REASONS,
    EXEMPTION_KINDS,
    EXEMPTION_STATUSES,
    MEASURES,
    NOTICE_STATUSES,
    PLACE_KINDS,
    PLACEMENTS,
    PRIORITY_GROUPS,
    REPORT_STATUSES,
    ROLES,
    SCHOOL_KINDS,
    SEX,
    STAGES,
    UNIT_KINDS,
    VISIT_MET,
    VISIT_METHODS,
    VISIT_OUTCOMES,
)
from ..notices import scans
from ..rules import id_number


def _label(mapping):
    return lambda code: mapping.get(code, code or "")


def local_time(at):
    """A stored UTC time in the county's time zone, to the minute."""
    if at is None:
        return "—"
    zone = clock.zone()
    return at.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


VALUE_LABELS = {"status": CHILD_STATUSES, "sex": SEX, "disability_category": DISABILITY_CATEGORIES}


def change_value(value, field):
    """A recorded value as people read it: labels for codes, 是/否 for flags."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return VALUE_LABELS.get(field, {}).get(value, value)


def person(user):
    """Who acted, as people read it: the name (the login when no name is recorded) with the role, 刘芳（教师）;
    系统 when no one did (a scheduled job, the demo loader)."""
    if user is None:
        return _("system")
    return _("%(name)s (%(role)s)", name=str(user), role=ROLES.get(user.role, user.role))


FILTERS = {
    "action_label": _label(AUDIT_ACTIONS),
    "entity_label": _label(AUDIT_ENTITIES),
    "field_label": _label(CHILD_FIELD_LABELS),
    "change_value": change_value,
    "status_label": _label(CHILD_STATUSES),
    "sex_label": _label(SEX),
    "role_label": _label(ROLES),
    "group_label": _label(PRIORITY_GROUPS),
    "stage_label": _label(STAGES),
    "school_kind_label": _label(SCHOOL_KINDS),
    "disability_label": _label(DISABILITY_CATEGORIES),
    "mask_id": id_number.mask,
    "local_time": local_time,
    "person": person,
    "case_status_label": _label(CASE_STATUSES),
    "reason_label": _label(DROPOUT_REASONS),
    "placement_label": _label(PLACEMENTS),
    "closure_label": _label({**CLOSURES, **DERIVED_CLOSURES}),
    "event_label": _label(CASE_EVENTS),
    "method_label": _label(VISIT_METHODS),
    "met_label": _label(VISIT_MET),
    "outcome_label": _label(VISIT_OUTCOMES),
    "exemption_kind_label": _label(EXEMPTION_KINDS),
    "exemption_status_label": _label(EXEMPTION_STATUSES),
    "notice_status_label": _label(NOTICE_STATUSES),
    "measure_label": _label(MEASURES),
    "place_kind_label": _label(PLACE_KINDS),
    "unit_kind_label": _label(UNIT_KINDS),
    "report_status_label": _label(REPORT_STATUSES),
    "receipt_on_file": scans.on_file,
}


def init_app(app):
    app.jinja_env.filters.update(FILTERS)
