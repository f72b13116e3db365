"""Forms for cases, visits and exemptions: rendering and CSRF; the services check the values."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from . import clock
from .choices import DROPOUT_REASONS, EXEMPTION_KINDS, PLACEMENTS, VISIT_MET, VISIT_METHODS, VISIT_OUTCOMES
from .forms import FUTURE, DayField, options
from .rules.dates import parse_date

NUMERIC = {"inputmode": "numeric"}


class CaseOpenForm(FlaskForm):
    absent_since = DayField(_l("Absent since"))
    notes = TextAreaField(_l("Notes"))


class ConfirmForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=options(DROPOUT_REASONS.items(), "—"), validate_choice=False)
    details = TextAreaField(_l("Details"))
    on = DayField(_l("Date"))


class NotDropoutForm(FlaskForm):
    on = DayField(_l("Date"))
    notes = TextAreaField(_l("Notes"))


class AssignForm(FlaskForm):
    cadre = SelectField(_l("Township cadre"), validate_choice=False)
    teacher = SelectField(_l("Teacher"), validate_choice=False)


class ReturnForm(FlaskForm):
    on = DayField(_l("Return date"))
    placement = SelectField(_l("Placement"), choices=options(PLACEMENTS.items(), "—"), validate_choice=False)
    school = SelectField(_l("School"), validate_choice=False)
    grade = SelectField(_l("Grade"), choices=options(((g, g) for g in range(1, 10)), "—"), validate_choice=False)
    notes = TextAreaField(_l("Notes"))


class ClosureRequestForm(FlaskForm):
    """申请销号: why and from which day, with the proof the closure needs (the approval checks it is complete)."""

    closure = SelectField(_l("Why the case closes"), validate_choice=False)
    on = DayField(_l("Closes on"))
    receiving_school = StringField(_l("Receiving school (moved away)"))
    transfer_number = StringField(_l("Its confirmation: 学籍转接 or 接收证明 number (moved away)"))
    scan = FileField(_l("Or a scan of the confirmation (PDF, JPEG or PNG, at most 5 MB)"))
    attended_days = StringField(_l("Days attended in the first week back (stable return)"), render_kw=NUMERIC)
    school_days = StringField(_l("School days in that week (stable return)"), render_kw=NUMERIC)
    attendance_confirmed_by = StringField(_l("Attendance confirmed by (stable return)"))
    certificate = StringField(_l("Completion certificate number"))
    death_on = DayField(_l("Date of death"))


class ClosureProofForm(FlaskForm):
    """The township's approval: the request's proof, which it may complete before approving."""

    receiving_school = StringField(_l("Receiving school"))
    transfer_number = StringField(_l("学籍转接 or 接收证明 number"))
    scan = FileField(_l("Or a scan of the confirmation (PDF, JPEG or PNG, at most 5 MB)"))
    attended_days = StringField(_l("Days attended in the first week back"), render_kw=NUMERIC)
    school_days = StringField(_l("School days in that week"), render_kw=NUMERIC)
    attendance_confirmed_by = StringField(_l("Attendance confirmed by"))
    certificate = StringField(_l("Completion certificate number"))
    death_on = DayField(_l("Date of death"))


class ClosureRefusalForm(FlaskForm):
    refusal = TextAreaField(_l("Why it is sent back"))


class HandoverForm(FlaskForm):
    from_user = SelectField(_l("From"), validate_choice=False)
    to_user = SelectField(_l("To"), validate_choice=False)


class VisitForm(FlaskForm):
    case = SelectField(_l("Case"), validate_choice=False)
    visited_on = DayField(_l("Visit date"))
    method = SelectField(_l("How"), choices=options(VISIT_METHODS.items()), validate_choice=False)
    met = SelectField(_l("Met"), choices=options(VISIT_MET.items()), validate_choice=False)
    outcome = SelectField(_l("Outcome"), choices=options(VISIT_OUTCOMES.items(), "—"), validate_choice=False)
    reasons = TextAreaField(_l("Reasons heard"))
    notes = TextAreaField(_l("Notes"))
    next_visit_on = DayField(_l("Next visit"), kind=FUTURE)
    lessons = StringField(_l("Lessons delivered"), render_kw={"inputmode": "numeric"})
    photo = FileField(_l("Photo (JPEG or PNG, at most 5 MB)"), render_kw={"accept": "image/jpeg,image/png"})
    latitude = HiddenField()
    longitude = HiddenField()


class ExemptionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=options(EXEMPTION_KINDS.items(), "—"), validate_choice=False)
    reason = TextAreaField(_l("Reason given in the application"))
    applied_on = DayField(_l("Application date"))
    valid_until = DayField(_l("Valid until"), kind=FUTURE)
    scan = FileField(_l("Scan of the application (optional)"))


def read_dates(form, *names):
    """{name: date or None} from the form's text fields; unreadable ones get a message beside them."""
    values = {}
    for name in names:
        try:
            values[name] = parse_date(form[name].data)
        except ValueError:
            values[name] = None
            form[name].errors = list(form[name].errors) + [_l("Not a date; write it like 2015-09-01.")]
    return values


def read_number(form, name):
    """An integer from a text field, None when blank or unreadable (unreadable gets a message)."""
    raw = (form[name].data or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        form[name].errors = list(form[name].errors) + [_l("Not a number: %(value)s", value=raw[:20])]
        return None
    return int(raw)


def read_float(form, name):
    try:
        return float(form[name].data) if form[name].data else None
    except ValueError:
        return None


class ServiceForm(FlaskForm):
    served_on = DayField(_l("Day of service"))
    served_time = StringField(_l("Time of service"), render_kw={"placeholder": "10:30"})
    method = SelectField(_l("Method of service"), validate_choice=False)
    recipient = StringField(_l("Received by (name; for an adult family member, also the relation)"))
    place = StringField(_l("Place of service"))
    server = StringField(_l("Served by"))
    refusal_reason = StringField(_l("Reason the notice was refused (left at the home)"))
    witness1 = StringField(_l("Witness 1 (left at the home)"))
    witness2 = StringField(_l("Witness 2 (left at the home)"))


def service_values(form):
    """A ServiceForm's values as record_service() takes them (an unreadable date gets its message beside it)."""
    values = read_dates(form, "served_on")
    values.update(
        {
            name: form[name].data
            for name in (
                "served_time",
                "method",
                "recipient",
                "place",
                "server",
                "refusal_reason",
                "witness1",
                "witness2",
            )
        }
    )
    return values


class MeasureForm(FlaskForm):
    kind = SelectField(_l("Measure"), validate_choice=False)
    document_number = StringField(_l("Document number"))
    decided_on = DayField(_l("Decided on"), default=clock.today)
    notes = TextAreaField(_l("Notes"))


class IssueForm(FlaskForm):
    issuer = SelectField(_l("Issued in the name of"), validate_choice=False)
    return_school = StringField(_l("School the child must return to"))
    early_reason = TextAreaField(
        _l("Why the notice is needed before the required contacts (kept on the case, not printed)")
    )


class PenaltyForm(FlaskForm):
    penalty = SelectField(_l("Proposed penalty"), validate_choice=False)
    fine_amount = StringField(_l("Fine (yuan)"), render_kw={"inputmode": "numeric"})


class StatementForm(FlaskForm):
    kind = SelectField(_l("What came of the prior notice"), validate_choice=False)
    stated_on = DayField(_l("Day of the statement or hearing"))
    statement = TextAreaField(_l("What the party stated, or what the hearing found"))


class DecisionForm(FlaskForm):
    penalty = SelectField(_l("Penalty decided"), validate_choice=False)
    fine_amount = StringField(_l("Fine (yuan)"), render_kw={"inputmode": "numeric"})
    decided_on = DayField(_l("Day of the decision"))
    review = TextAreaField(_l("How the statement was considered (复核意见)"))
