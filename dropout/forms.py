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

from .choices import CHILD_STATUSES, DISABILITY_CATEGORIES, DISABILITY_GRADES, ROLES, SCHOOL_KINDS, SEX

GUARDIAN_ROWS = 3
CHILD_FIELDS = (
    "name", "sex", "id_number", "birth_on", "ethnicity", "village", "group", "address", "school", "grade",
    "student_number", "status", "is_poor", "is_left_behind", "is_migrant", "is_orphan", "disability_category",
    "disability_grade", "responsible_teacher", "notes", "registered_on",
)


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


class GuardianForm(Form):
    id = HiddenField()
    name = StringField(_l("Guardian name"))
    relation = StringField(_l("Relation"), render_kw={"list": "relations"})
    phone = StringField(_l("Phone"))
    id_number = StringField(_l("Guardian ID number"))


class ChildForm(FlaskForm):
    name = StringField(_l("Name"))
    sex = SelectField(_l("Sex"), choices=options(SEX.items(), _l("(from the ID number)")), validate_choice=False)
    id_number = StringField(_l("ID number"))
    birth_on = StringField(_l("Birth date"))
    ethnicity = StringField(_l("Ethnicity"), default="汉族")
    village = SelectField(_l("Village"), validate_choice=False)
    group = StringField(_l("Villagers' group"))
    address = StringField(_l("Home address"))
    school = SelectField(_l("School"), validate_choice=False)
    grade = SelectField(_l("Grade"), validate_choice=False)
    student_number = StringField(_l("Student number"))
    status = SelectField(_l("Status"), choices=options(CHILD_STATUSES.items()), validate_choice=False)
    is_poor = BooleanField(_l("Poor household"))
    is_left_behind = BooleanField(_l("Left-behind"))
    is_migrant = BooleanField(_l("Migrant"))
    is_orphan = BooleanField(_l("Orphan or without carer"))
    disability_category = SelectField(
        _l("Disability category"), choices=options(DISABILITY_CATEGORIES.items(), _l("None")), validate_choice=False
    )
    disability_grade = SelectField(
        _l("Disability grade"), choices=options(DISABILITY_GRADES.items(), "—"), validate_choice=False, coerce=str
    )
    responsible_teacher = SelectField(_l("Responsible teacher"), validate_choice=False)
    notes = TextAreaField(_l("Notes"))
    registered_on = StringField(_l("On the roll since"))
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
