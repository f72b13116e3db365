"""The county calendar: read by everyone, kept by the bureau; and the school days a child has been absent."""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from .. import clock
from ..case_forms import read_dates
from ..core import calendar as county_calendar
from ..core.errors import ValidationError
from ..forms import DayField, options, show_errors
from ..models import CalendarEntry
from ..rules import calendar as rules
from ..rules.case_status import OPEN_STATUSES

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


class EntryForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=options(county_calendar.KINDS.items()), validate_choice=False)
    name = StringField(_l("Name of the entry"), render_kw={"placeholder": _l("e.g. 暑假")})
    starts_on = DayField(_l("First day"), kind=None)
    ends_on = DayField(_l("Last day"), kind=None)


def _page(form, errors=(), status=200):
    today = clock.today()
    return render_template(
        "calendar/index.html",
        form=form,
        errors=list(errors),
        years=county_calendar.years(today),
        entries=county_calendar.entries(),
        kinds=county_calendar.KINDS,
        today=today,
        can_edit=county_calendar.can_edit(current_user),
    ), status


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = EntryForm()
    if form.is_submitted() and not county_calendar.can_edit(current_user):
        abort(403)
    if not form.validate_on_submit():
        return _page(form)
    values = read_dates(form, "starts_on", "ends_on")
    if form.starts_on.errors or form.ends_on.errors:
        return _page(form, status=422)
    try:
        county_calendar.add_entry(current_user, form.kind.data, form.name.data, values["starts_on"], values["ends_on"])
    except ValidationError as exc:
        return _page(form, show_errors(form, exc.errors), 422)
    flash(_("Saved."))
    return redirect(url_for("calendar.index"))


@bp.route("/<id:entry_id>/delete", methods=["POST"])
@login_required
def delete(entry_id):
    try:
        county_calendar.remove_entry(current_user, entry_id)
    except CalendarEntry.DoesNotExist:
        abort(404)
    flash(_("Removed."))
    return redirect(url_for("calendar.index"))


def _calendar():
    """The bureau's entries, read once per request."""
    if "county_days" not in g:
        g.county_days = county_calendar.load()
    return g.county_days


@bp.app_template_filter("absent_school_days")
def absent_school_days(case):
    """The school days an open case's child has missed, from the day they were first absent to today;
    None once the case is no longer open (returned or closed)."""
    if case.status not in OPEN_STATUSES:
        return None
    return rules.school_days(case.absent_since, clock.today(), _calendar())
