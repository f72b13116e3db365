"""Form classes: rendering and CSRF. Domain checks live in services, once."""

from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    widgets,
)

from . import clock
from .children import columns
from .choices import CHILD_STATUSES, DISABILITY_CATEGORIES, DISABILITY_GRADES, ROLES, SCHOOL_KINDS, SEX
from .rules import school_age
from .rules.dates import parse_date

GUARDIAN_ROWS = 3
CHILD_FIELDS = tuple(column.key for column in columns.on_form())  # the register's fields on the child form


def options(pairs, blank=None):
    """Select options from (value, label) pairs, with a leading blank option if labelled."""
    chosen = [SelectChoice("", blank)] if blank is not None else []
    return chosen + [SelectChoice(str(value), label) for value, label in pairs]


# The days a date field's picker offers (DayField): a birth date of a child of compulsory-school age; a day that
# has come, not before the oldest such child was born; a day to come, before the youngest leaves compulsory school.
BIRTH, PAST, FUTURE = "birth", "past", "future"


def day_span(kind, today, start_age):
    """(first, last) day a DayField of this kind offers; the services still decide, and say why in words."""
    oldest, youngest = school_age.birth_range_for_ages(start_age, school_age.last_school_age(start_age), today)
    if kind == BIRTH:
        return oldest, youngest
    if kind == PAST:
        return oldest, today
    return today, date(school_age.school_year(today) + school_age.COMPULSORY_YEARS + 1, 8, 31)


class DayField(StringField):
    """A day, shown as the phone's date picker (type=date) bounded by day_span(kind), unbounded when kind is None.
    It stays text: a browser without a picker, or a plain POST, may send 2026/12/10 or 20261210, which the view
    reads with parse_date (case_forms.read_dates, or the service) and refuses in words when it is no date."""

    widget = widgets.DateInput()

    def __init__(self, label=None, validators=None, kind=PAST, **kwargs):
        render_kw = {"placeholder": _l("e.g. 2015-09-01, 2015/9/1 or 20150901"), **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.kind = kind

    def __call__(self, **kwargs):
        if self.kind is None:  # any day: a calendar's entries lie in past and coming school years alike
            return super().__call__(**kwargs)
        first, last = day_span(self.kind, clock.today(), current_app.config["SCHOOL_START_AGE"])
        return super().__call__(**{"min": first.isoformat(), "max": last.isoformat(), **kwargs})

    def _value(self):
        """The day as yyyy-mm-dd, the one spelling a date input shows; text that is no date, as it came."""
        try:
            day = parse_date(self.data)
        except ValueError:
            return super()._value()
        return day.isoformat() if day else ""


class LoginForm(FlaskForm):
    username = StringField(_l("User name"))
    password = PasswordField(_l("Password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password"})
    repeat_password = PasswordField(_l("New password again"), render_kw={"autocomplete": "new-password"})


# The form's control for each kind of register column (children/columns.py: Column.form).
_CONTROLS = {
    columns.TEXT: StringField,
    columns.CHOICE: SelectField,
    columns.FLAG: BooleanField,
    columns.LONG_TEXT: TextAreaField,
}
# What a register column's control takes besides its label: a default, fixed choices (the others are filled
# in by the page), the list of suggestions.
_CONTROL_OPTIONS = {
    "sex": {"choices": options(SEX.items(), _l("(from the ID number)"))},
    "ethnicity": {"default": "汉族"},
    "status": {"choices": options(CHILD_STATUSES.items())},
    "disability_category": {"choices": options(DISABILITY_CATEGORIES.items(), _l("None"))},
    "disability_grade": {"choices": options(DISABILITY_GRADES.items(), "—"), "coerce": str},
    "guardian_relation": {"render_kw": {"list": "relations"}},
}


# The register's date columns (read as dates from a roster, columns.Column.cell) and the days each offers.
_DAY_KINDS = {"birth_on": BIRTH, "registered_on": PAST}


def _register_fields(table):
    """The form fields of a table's register columns on the form, named by their model field, in order."""
    fields = {}
    for column in columns.on_form(table):
        if column.cell == "date":
            fields[column.field] = DayField(column.label, kind=_DAY_KINDS[column.key])
        else:
            control = _CONTROLS[column.form]
            extra = {"validate_choice": False} if control is SelectField else {}
            fields[column.field] = control(column.label, **extra, **_CONTROL_OPTIONS.get(column.key, {}))
    return fields


# One guardian's row of the child form: the hidden id, then the register's guardian columns.
GuardianForm = type("GuardianForm", (Form,), {"id": HiddenField(), **_register_fields(columns.GUARDIAN)})
# The register's child columns on the form, in order (children/columns.py); ChildForm adds the rest.
_ChildFields = type("_ChildFields", (FlaskForm,), _register_fields(columns.CHILD))


class ChildForm(_ChildFields):
    changed_on = DayField(_l("Date of the change"))
    guardians = FieldList(FormField(GuardianForm), min_entries=GUARDIAN_ROWS)

    def service_data(self):
        """The submitted values as the service expects them."""
        data = {name: self[name].data for name in CHILD_FIELDS}
        data["changed_on"] = self.changed_on.data
        data["guardians"] = [entry.data for entry in self.guardians]
        return data


class TownshipForm(FlaskForm):
    name = StringField(_l("Township name"))
    notice_prefix = StringField(_l("Notice number prefix"))


class VillageForm(FlaskForm):
    name = StringField(_l("Village name"))
    township = SelectField(_l("Township"), validate_choice=False)


class SchoolForm(FlaskForm):
    name = StringField(_l("School name"))
    township = SelectField(_l("Township"), validate_choice=False)
    kind = SelectField(_l("Kind"), choices=options(SCHOOL_KINDS.items()), validate_choice=False)


class AccountForm(FlaskForm):
    username = StringField(_l("User name"))
    full_name = StringField(_l("Full name"))
    password = PasswordField(_l("Password"))
    role = SelectField(_l("Role"), choices=options(ROLES.items()), validate_choice=False)
    township = StringField(_l("Township"))
    school = StringField(_l("School"))
    village = StringField(_l("Village"))


def _find_field(form, key):
    """The field a service error key names: `name`, or `guardians-0-name` inside the list."""
    field = form
    for part in key.split("-"):
        if isinstance(field, FieldList):
            field = field.entries[int(part)] if part.isdigit() and int(part) < len(field.entries) else None
        elif isinstance(field, FormField):
            field = field.form._fields.get(part)
        else:
            field = field._fields.get(part)
        if field is None:
            return None
    return field


def show_errors(form, errors):
    """Attach a service's field → message errors to the form's fields; those with no field go to
    form.form_errors (shown at the top by the failed_banner macro) and are returned."""
    unplaced = []
    for key, message in errors.items():
        field = _find_field(form, key)
        if field is None:
            unplaced.append(message)
        else:
            field.errors = list(field.errors) + [message]
    form.form_errors = list(form.form_errors) + unplaced
    return unplaced
