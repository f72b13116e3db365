"""Form classes: rendering and CSRF. Domain checks live in services, once."""

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
)

from .children import columns
from .choices import CHILD_STATUSES, DISABILITY_CATEGORIES, DISABILITY_GRADES, ROLES, SCHOOL_KINDS, SEX

GUARDIAN_ROWS = 3
CHILD_FIELDS = tuple(column.key for column in columns.on_form())  # the register's fields on the child form


def options(pairs, blank=None):
    """Select options from (value, label) pairs, with a leading blank option if labelled."""
    chosen = [SelectChoice("", blank)] if blank is not None else []
    return chosen + [SelectChoice(str(value), label) for value, label in pairs]


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


def _register_fields(table):
    """The form fields of a table's register columns on the form, named by their model field, in order."""
    fields = {}
    for column in columns.on_form(table):
        control = _CONTROLS[column.form]
        extra = {"validate_choice": False} if control is SelectField else {}
        fields[column.field] = control(column.label, **extra, **_CONTROL_OPTIONS.get(column.key, {}))
    return fields


# One guardian's row of the child form: the hidden id, then the register's guardian columns.
GuardianForm = type("GuardianForm", (Form,), {"id": HiddenField(), **_register_fields(columns.GUARDIAN)})
# The register's child columns on the form, in order (children/columns.py); ChildForm adds the rest.
_ChildFields = type("_ChildFields", (FlaskForm,), _register_fields(columns.CHILD))


class ChildForm(_ChildFields):
    changed_on = StringField(_l("Date of the change"))
    guardians = FieldList(FormField(GuardianForm), min_entries=GUARDIAN_ROWS)

    def service_data(self):
        """The submitted values as the service expects them."""
        data = {name: self[name].data for name in CHILD_FIELDS}
        data["changed_on"] = self.changed_on.data
        data["guardians"] = [entry.data for entry in self.guardians]
        return data


class TownshipForm(FlaskForm):
    name = StringField(_l("Name"))
    notice_prefix = StringField(_l("Notice number prefix"))


class VillageForm(FlaskForm):
    name = StringField(_l("Name"))
    township = SelectField(_l("Township"), validate_choice=False)


class SchoolForm(FlaskForm):
    name = StringField(_l("Name"))
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
