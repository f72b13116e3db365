"""The tables. Schema changes go through dropout/migrations, never create_tables()."""

from datetime import UTC, datetime

from flask_login import UserMixin
from peewee import (
    SQL,
    BooleanField,
    CharField,
    CompositeKey,
    DateField,
    DateTimeField,
    DoubleField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from . import clock
from .db import database
from .rules.search_keys import search_keys


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Township(BaseModel):
    name = CharField(unique=True)
    notice_prefix = CharField(default="")
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name


class Village(BaseModel):
    township = ForeignKeyField(
        Township, backref="villages", on_delete="RESTRICT", index=False
    )  # led by (township, name)
    name = CharField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("township", "name"), True),)

    def __str__(self):
        return self.name


class School(BaseModel):
    township = ForeignKeyField(Township, backref="schools", on_delete="RESTRICT")
    name = CharField(unique=True)
    kind = CharField()
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name


class User(UserMixin, BaseModel):
    username = CharField(unique=True)
    password_hash = CharField()
    full_name = CharField(default="")
    role = CharField()
    township = ForeignKeyField(Township, null=True, on_delete="RESTRICT", index=False)
    school = ForeignKeyField(School, null=True, on_delete="RESTRICT", index=False)
    village = ForeignKeyField(Village, null=True, on_delete="RESTRICT", index=False)
    is_active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)
    session_version = IntegerField(default=0)  # bumped at logout: older session cookies stop working
    must_change_password = BooleanField(default=False)  # every page asks for a new password until it is changed

    class Meta:
        table_name = "app_user"

    def get_id(self):
        """What the session cookie holds: the account and its session version."""
        return f"{self.id}:{self.session_version}"

    def __str__(self):
        return self.full_name or self.username

    @property
    def can_write_places(self):
        return self.role == "admin"

    @property
    def can_read_places(self):
        return self.role in ("admin", "bureau")

    @property
    def can_edit_children(self):
        return self.role != "bureau"

    @property
    def can_delete_children(self):
        return self.role == "admin"

    @property
    def can_report_absence(self):
        """报告失学: the school, the village committee (the first to know) and the township report a child out of
        school; the bureau reads."""
        return self.role in ("admin", "township", "teacher", "village")

    @property
    def can_assign_teacher(self):
        return self.role in ("admin", "township")

    @property
    def place(self):
        """The township, school or village the account is bound to (None for county roles)."""
        return self.township or self.school or self.village


class Child(BaseModel):
    name = CharField(index=True)
    sex = CharField(max_length=1)
    id_number = CharField(max_length=18, null=True, unique=True)
    # Search keys, written with the name and ID number (rules/search_keys.py): pinyin initials, ID reversed.
    name_initials = CharField(max_length=20, default="", index=True)
    id_reversed = CharField(max_length=18, null=True, index=True)
    birth_on = DateField(index=True)
    ethnicity = CharField(default="")
    village = ForeignKeyField(Village, backref="children", on_delete="RESTRICT")
    group = CharField(column_name="village_group", default="")
    address = CharField(default="")
    school = ForeignKeyField(School, null=True, backref="children", on_delete="RESTRICT")
    grade = IntegerField(null=True)
    student_number = CharField(null=True, index=True)
    status = CharField(index=True, default="enrolled")
    status_since = DateField(null=True)  # the day the status, school or village last changed
    registered_on = DateField(index=True, default=clock.today)  # on the county's roll from this day (county time)
    is_poor = BooleanField(default=False)
    is_left_behind = BooleanField(default=False)
    is_migrant = BooleanField(default=False)
    disability_category = CharField(null=True)
    disability_grade = IntegerField(null=True)
    is_orphan = BooleanField(default=False)
    notes = TextField(default="")
    responsible_teacher = ForeignKeyField(User, null=True, backref="assigned_children", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Save with the search keys of the name and ID number as they are now."""
        for key, value in search_keys(self.name, self.id_number).items():
            setattr(self, key, value)
        return super().save(*args, **kwargs)

    class Meta:
        # The children list's order (core/paging.py), also within a school (scope.township_parts).
        indexes = ((("village", "name", "id"), False), (("school", "village", "name", "id"), False))


# The home page's counts (children/counts.py) read these small partial indexes, by place, rather than every child:
# the children not enrolled (a few in a hundred), and each priority group.
COUNTED = {
    "not_enrolled": Child.status != SQL("'enrolled'"),  # a literal, as in the index: a parameter would not match it
    "poor": Child.is_poor,
    "left_behind": Child.is_left_behind,
    "migrant": Child.is_migrant,
    "disabled": Child.disability_category.is_null(False),
    "orphan": Child.is_orphan,
    "no_id": Child.id_number.is_null(),
}
for _name, _condition in COUNTED.items():
    _columns = (Child.village, Child.school) + ((Child.status,) if _name == "not_enrolled" else ())
    Child.add_index(Child.index(*_columns, name=f"child_counted_{_name}").where(_condition))
# A school's counts (a teacher's home page, a township's pupils from elsewhere) from one index, not its rows.
SCHOOL_COUNTED = (Child.school, Child.status, Child.is_poor, Child.is_left_behind, Child.is_migrant, Child.is_orphan)
Child.add_index(Child.index(*SCHOOL_COUNTED, Child.disability_category, name="child_school_counts"))


class Guardian(BaseModel):
    child = ForeignKeyField(Child, backref="guardians", on_delete="CASCADE")
    name = CharField()
    relation = CharField(default="")
    phone = CharField(default="")
    id_number = CharField(max_length=18, null=True)


class AuditLog(BaseModel):
    """Append-only: database triggers refuse UPDATE and DELETE (migration 0002)."""

    at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    username = CharField(default="")
    action = CharField()
    entity = CharField()
    entity_id = IntegerField(null=True)
    child_id = IntegerField(null=True, index=True)
    before = TextField(null=True)
    after = TextField(null=True)
    reason = TextField(default="")


class LoginFailure(BaseModel):
    """Failed logins, shared by every worker process through the database."""

    key = CharField(index=True)
    at = DateTimeField(default=utcnow)


class SchemaMigration(BaseModel):
    version = IntegerField(primary_key=True)
    name = CharField()
    applied_at = DateTimeField(default=utcnow)


class DropoutCase(BaseModel):
    """一人一案: one case per child; its status is derived from its events (rules/case_status)."""

    child = ForeignKeyField(Child, unique=True, backref="cases", on_delete="CASCADE")
    absent_since = DateField()
    opened_on = DateField()
    opened_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    reason = CharField(null=True)
    reason_details = TextField(default="")
    cadre = ForeignKeyField(User, null=True, backref="cadre_cases", on_delete="RESTRICT")
    teacher = ForeignKeyField(User, null=True, backref="teacher_cases", on_delete="RESTRICT")
    status = CharField(index=True)
    repeat_count = IntegerField(default=0)
    next_visit_on = DateField(null=True, index=True)
    deadline_on = DateField(null=True)
    next_followup_on = DateField(null=True)
    closed_kind = CharField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("updated_at", "id"), False),)  # the cases list's order, newest first (core/paging.py)


class HomeVisit(BaseModel):
    """A home visit (家访/劝返) on a case, or a 送教上门 teaching visit to a child."""

    case = ForeignKeyField(DropoutCase, null=True, backref="visits", on_delete="CASCADE")
    child = ForeignKeyField(Child, backref="visits", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="RESTRICT", index=False)
    visited_on = DateField(index=True)
    method = CharField()
    met = CharField()
    outcome = CharField()
    reasons = TextField(default="")
    notes = TextField(default="")
    next_visit_on = DateField(null=True)
    photo_path = CharField(null=True)
    latitude = DoubleField(null=True)
    longitude = DoubleField(null=True)
    is_followup = BooleanField(default=False)
    is_teaching = BooleanField(default=False)
    lessons = IntegerField(null=True)
    is_late = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)


class CaseEvent(BaseModel):
    """One recorded step of a case: who did what, on which day, and why."""

    case = ForeignKeyField(DropoutCase, backref="events", on_delete="CASCADE")
    kind = CharField()
    happened_on = DateField()
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    visit = ForeignKeyField(HomeVisit, null=True, on_delete="CASCADE")
    data = TextField(default="{}")
    notes = TextField(default="")


class Exemption(BaseModel):
    """缓学/免学/休学: applied by the guardian, approved by the township, filed by the bureau."""

    child = ForeignKeyField(Child, backref="exemptions", on_delete="CASCADE")
    kind = CharField()
    reason = TextField()
    applied_on = DateField()
    scan_path = CharField(null=True)
    status = CharField()
    valid_until = DateField(index=True)
    applied_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    approved_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    approved_on = DateField(null=True)
    filed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    filed_on = DateField(null=True)
    created_at = DateTimeField(default=utcnow)


class DocumentCounter(BaseModel):
    """The last number used in a series (e.g. notice:township:3, decision:bureau) and year; bumped inside
    the issuing transaction, so numbers never repeat and never skip."""

    series = CharField()
    year = IntegerField()
    last = IntegerField()

    class Meta:
        primary_key = CompositeKey("series", "year")


class ReturnNotice(BaseModel):
    """限期复学通知书 (an order to correct within a deadline, 义务教育法 Art. 58) with its 送达回证."""

    case = ForeignKeyField(DropoutCase, backref="notices", on_delete="RESTRICT")
    township = ForeignKeyField(Township, on_delete="RESTRICT")  # the child's, for scope and lists
    issuer = CharField(default="township")  # township (its government) or bureau (the county education bureau)
    series = CharField()  # the numbering series: notice:township:<id> or notice:bureau
    year = IntegerField()
    seq = IntegerField()
    number = CharField()
    version = IntegerField(default=1)
    supersedes = ForeignKeyField("self", null=True, on_delete="RESTRICT", index=False)
    status = CharField(index=True)  # issued, served, complied, overdue, superseded
    issued_on = DateField()
    issued_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    deadline_days = IntegerField()
    return_school = CharField(default="")
    data = TextField()  # the printed content as JSON, so a reprint gives the same bytes
    verify_code = CharField(max_length=32, unique=True)
    pdf_path = CharField(null=True)
    sha256 = CharField(max_length=64, null=True)
    served_on = DateField(null=True)
    service = TextField(default="{}")
    deadline_on = DateField(null=True)
    early_reason = TextField(default="")  # why it was issued before the required contacts; never printed
    printed_at = DateTimeField(null=True)  # first printed (UTC): a notice in force not yet printed is one click away
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("series", "year", "seq", "version"), True),)


class PenaltyDocument(BaseModel):
    """行政处罚事先告知书 (kind "prior") or 行政处罚决定书 (kind "decision") after a missed deadline,
    numbered in its issuer's series, printed and served like the notice."""

    notice = ForeignKeyField(ReturnNotice, backref="penalty_documents", on_delete="RESTRICT")
    case = ForeignKeyField(DropoutCase, backref="penalty_documents", on_delete="RESTRICT")
    kind = CharField()  # prior, decision
    prior = ForeignKeyField("self", null=True, backref="decisions", on_delete="RESTRICT")  # a decision's prior notice
    issuer = CharField()  # township, bureau
    series = CharField()
    year = IntegerField()
    seq = IntegerField()
    number = CharField()
    issued_on = DateField()
    issued_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    penalty = CharField()  # warning, fine
    fine_amount = IntegerField(null=True)  # yuan
    hearing_offered = BooleanField(default=False)
    data = TextField()  # the printed content as JSON
    pdf_path = CharField(null=True)
    sha256 = CharField(max_length=64, null=True)
    served_on = DateField(null=True)
    service = TextField(default="{}")
    statement_due_on = DateField(null=True)  # prior: the last day to state a case and defend (陈述申辩)
    hearing_due_on = DateField(null=True)  # prior: the last day to ask for a hearing (听证), when offered
    statement_kind = CharField(null=True)  # prior: stated, none, hearing
    statement_on = DateField(null=True)
    statement = TextField(default="")
    statement_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("series", "year", "seq"), True),)


class DocumentScan(BaseModel):
    """A scan of a signed paper (the 送达回证, or the signed document) kept in the case's file (档案)."""

    notice = ForeignKeyField(ReturnNotice, null=True, backref="scans", on_delete="RESTRICT")
    document = ForeignKeyField(PenaltyDocument, null=True, backref="scans", on_delete="RESTRICT")
    kind = CharField()  # receipt (the signed 送达回证), signed (the signed document itself)
    path = CharField()
    uploaded_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    uploaded_at = DateTimeField(default=utcnow)


class CalendarEntry(BaseModel):
    """Days the bureau sets: a school holiday, or, for a year chinese-calendar does not know, a public
    holiday or an adjusted working day."""

    kind = CharField()  # school_holiday, public_holiday, workday
    name = CharField(default="")
    starts_on = DateField(index=True)
    ends_on = DateField()
    created_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    created_at = DateTimeField(default=utcnow)


class Escalation(BaseModel):
    """A later measure after a missed deadline, always decided by a person."""

    notice = ForeignKeyField(ReturnNotice, backref="escalations", on_delete="RESTRICT")
    case = ForeignKeyField(DropoutCase, backref="escalations", on_delete="RESTRICT")
    kind = CharField()
    document_number = CharField(default="")
    decided_on = DateField()
    decided_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    notes = TextField(default="")
    document = ForeignKeyField(
        PenaltyDocument, null=True, on_delete="RESTRICT", index=False
    )  # the decision, for a penalty
    created_at = DateTimeField(default=utcnow)


class ChildChange(BaseModel):
    """A change of a child's status, school or village, written by a database trigger (migration 0005)."""

    child = ForeignKeyField(Child, backref="changes", on_delete="CASCADE")
    changed_on = DateField(index=True)
    old_status = CharField(null=True)
    new_status = CharField(null=True)
    old_school_id = IntegerField(null=True)
    new_school_id = IntegerField(null=True)
    old_village_id = IntegerField(null=True)
    new_village_id = IntegerField(null=True)
    at = DateTimeField(default=utcnow)


class SummaryMonth(BaseModel):
    """A month whose summaries were generated; once locked, nothing regenerates it."""

    month = CharField(primary_key=True, max_length=7)  # YYYY-MM
    generated_at = DateTimeField(default=utcnow)
    generated_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    locked_at = DateTimeField(null=True)
    locked_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)


class MonthlySummary(BaseModel):
    """One unit's frozen figures for a month (county, township, village or school), as JSON."""

    month = ForeignKeyField(SummaryMonth, column_name="month", on_delete="RESTRICT", index=False)
    unit_kind = CharField(max_length=16)
    unit_id = IntegerField()
    figures = TextField()

    class Meta:
        indexes = ((("month", "unit_kind", "unit_id"), True),)


class MonthlyReport(BaseModel):
    """流失生月报: a school's or township's report for a month, submitted and approved upward."""

    month = CharField(max_length=7)
    unit_kind = CharField(max_length=16)
    unit_id = IntegerField()
    status = CharField(max_length=16)  # open, submitted, approved
    due_on = DateField()
    comment = TextField(default="")
    submitted_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    submitted_at = DateTimeField(null=True)
    approved_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    approved_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("month", "unit_kind", "unit_id"), True),)


class CohortIntake(BaseModel):
    """A cohort's grade-1 intake, entered once by the bureau for the retention rate."""

    entry_year = IntegerField()
    unit_kind = CharField(max_length=16)
    unit_id = IntegerField()
    intake = IntegerField()
    entered_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    entered_at = DateTimeField(default=utcnow)

    class Meta:
        primary_key = CompositeKey("entry_year", "unit_kind", "unit_id")


class JobClaim(BaseModel):
    """A scheduled job's period, claimed once: a re-run or a second host does nothing twice."""

    job = CharField(max_length=64)
    period = CharField(max_length=16)
    claimed_at = DateTimeField(default=utcnow)

    class Meta:
        primary_key = CompositeKey("job", "period")


class JobRun(BaseModel):
    """Each run of a scheduled job: when, and what came of it."""

    job = CharField(max_length=64)
    period = CharField(max_length=16)
    started_at = DateTimeField(default=utcnow, index=True)
    finished_at = DateTimeField(null=True)
    result = TextField(default="")
    error = TextField(default="")


class ReportFile(BaseModel):
    """An archived monthly report file (PDF or .xlsx) with its SHA-256."""

    month = CharField(max_length=7)
    unit_kind = CharField(max_length=16)
    unit_id = IntegerField()
    kind = CharField(max_length=8)
    path = CharField()
    sha256 = CharField(max_length=64)
    written_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("month", "unit_kind", "unit_id", "kind"), True),)


class BackgroundTask(BaseModel):
    """Long work run by the task worker (tasks/): an import, an export, a month, a batch of notices.

    `active_owner` is the owner's id while the task is queued or running and NULL after: its unique index lets
    each person have one task at a time, whatever races. Progress lives beside the result in the task's folder
    (tasks/records.py), so that a task writing inside a long transaction can still report it."""

    key = CharField(max_length=32, unique=True)  # in URLs: not guessable, unlike the id
    owner = ForeignKeyField(User, backref="tasks", on_delete="CASCADE")
    active_owner = IntegerField(null=True, unique=True)
    kind = CharField(max_length=32)
    params = TextField(default="{}")  # JSON: what the runner needs, never personal data beyond filters
    title = CharField(default="")
    status = CharField(max_length=16, default="queued", index=True)
    message = TextField(default="")  # why it failed, in the interface's words; or a short summary
    outcome = TextField(default="{}")  # JSON the result page shows (counts), never the rows themselves
    result_name = CharField(default="")  # the download's file name; empty: no file
    created_at = DateTimeField(default=utcnow, index=True)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    expires_at = DateTimeField(null=True, index=True)


class ClosureRequest(BaseModel):
    """销号: a request to close a case. Both responsible persons (双线: the cadre and the teacher) sign it off and
    the township approves it with the closure's proof; a refusal sends it back with a reason."""

    case = ForeignKeyField(DropoutCase, backref="closure_requests", on_delete="CASCADE")
    closure = CharField(max_length=16)  # stable_return, moved_away, exempted, aged_out, completed, deceased
    closes_on = DateField()  # the day the closure takes effect (county day)
    proof = TextField(default="{}")  # JSON: what the closure needs (receiving school's confirmation, attendance…)
    scan_path = CharField(null=True)  # an optional scan of the proof
    status = CharField(max_length=16, index=True)  # pending, approved, refused, withdrawn
    requested_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    requested_at = DateTimeField(default=utcnow)
    cadre_signed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    cadre_signed_at = DateTimeField(null=True)
    teacher_signed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    teacher_signed_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    decided_at = DateTimeField(null=True)
    refusal = TextField(default="")  # why it was sent back


class PushedList(BaseModel):
    """核查: a suspected-dropout list the national platform pushed down, uploaded to be verified row by row."""

    title = CharField()
    file_name = CharField()
    sha256 = CharField(max_length=64, unique=True)  # the same file uploaded twice is refused
    headers = TextField()  # JSON: the file's headers as received, in order (the feedback keeps them)
    township = ForeignKeyField(Township, null=True, on_delete="RESTRICT")  # a township's own upload; NULL: bureau's
    due_on = DateField()
    row_count = IntegerField(default=0)
    uploaded_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    uploaded_at = DateTimeField(default=utcnow)


class PushedRow(BaseModel):
    """One row of a pushed list: its cells as received, the child it matched, and its verification."""

    pushed_list = ForeignKeyField(PushedList, backref="rows", on_delete="CASCADE", index=False)
    row_number = IntegerField()  # the row's number in the file (header = 1)
    cells = TextField()  # JSON list of the row's cells as received
    id_number = CharField(max_length=18, null=True, index=True)
    student_number = CharField(null=True)
    name = CharField(default="")
    birth_on = DateField(null=True)
    child = ForeignKeyField(Child, null=True, on_delete="SET NULL")
    matched_by = CharField(max_length=16, null=True)  # id_number, student_number, name_birth
    township = ForeignKeyField(Township, null=True, on_delete="RESTRICT")  # who verifies it
    result = CharField(max_length=16, null=True)  # in_school, returned, case_opened, transferred, deceased, other
    transfer_to = CharField(default="")
    note = TextField(default="")
    case = ForeignKeyField(DropoutCase, null=True, on_delete="SET NULL", index=False)
    verified_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    verified_at = DateTimeField(null=True)
    carried_from = ForeignKeyField("self", null=True, on_delete="SET NULL", index=False)  # kept from an earlier push

    class Meta:
        indexes = ((("pushed_list", "row_number"), True),)


class Bulletin(BaseModel):
    """通报: the bureau's monthly bulletin from a locked month, numbered, its printed content kept as issued."""

    month = CharField(max_length=7, unique=True)
    year = IntegerField()
    seq = IntegerField()
    number = CharField()
    issued_on = DateField()
    rectify_by = DateField()  # the date by which lagging units put things right
    data = TextField()  # JSON: the printed content, so a reprint gives the same document
    pdf_path = CharField(null=True)
    sha256 = CharField(max_length=64, default="")
    issued_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    created_at = DateTimeField(default=utcnow)


class SupervisionLetter(BaseModel):
    """督办函: to one lagging unit of a 通报, numbered, tracked until the bureau accepts its rectification."""

    bulletin = ForeignKeyField(Bulletin, backref="letters", on_delete="RESTRICT")
    unit_kind = CharField(max_length=16)  # township, school
    unit_id = IntegerField()
    township = ForeignKeyField(Township, on_delete="RESTRICT")  # the unit's township, for scope and to-do lists
    year = IntegerField()
    seq = IntegerField()
    number = CharField()
    issues = TextField()  # JSON: the rules the unit broke, with its figures
    due_on = DateField()
    status = CharField(max_length=16, index=True)  # open, answered, accepted
    answer = TextField(default="")
    answer_scan_path = CharField(null=True)
    answered_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    answered_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="RESTRICT", index=False)
    decided_at = DateTimeField(null=True)
    return_reason = TextField(default="")  # why the last answer was sent back
    pdf_path = CharField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("bulletin", "unit_kind", "unit_id"), True),)
