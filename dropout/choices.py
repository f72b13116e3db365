"""Enumerations stored as short codes, with their interface labels."""

from flask_babel import lazy_gettext as _l

SEX = {"M": _l("Male"), "F": _l("Female")}

SCHOOL_KINDS = {
    "primary": _l("Primary school"),
    "junior": _l("Junior secondary school"),
    "nine_year": _l("Nine-year school"),
    "teaching_point": _l("Teaching point"),
    "special": _l("Special education school"),
}

CHILD_STATUSES = {
    "enrolled": _l("Enrolled"),
    "suspected": _l("Suspected dropout"),
    "dropped_out": _l("Dropped out"),
    "returned": _l("Returned to school"),
    "deferred": _l("Deferred or exempt"),
    "home_taught": _l("Home-delivered teaching"),
    "special_school": _l("Special school"),
    "outside_county": _l("Studying outside the county"),
    "moved_out": _l("Moved out"),
    "completed": _l("Completed"),
    "deceased": _l("Deceased"),
}
# Statuses of a child who is out of school and needs persuading back.
OUT_OF_SCHOOL = ("suspected", "dropped_out")

STAGES = {"primary": _l("Primary"), "junior": _l("Junior secondary")}

PRIORITY_GROUPS = {
    "poor": _l("Poor household"),
    "left_behind": _l("Left-behind"),
    "migrant": _l("Migrant"),
    "disabled": _l("Disabled"),
    "orphan": _l("Orphan or without carer"),
}

DISABILITY_CATEGORIES = {
    "visual": _l("Visual"),
    "hearing": _l("Hearing"),
    "speech": _l("Speech"),
    "intellectual": _l("Intellectual"),
    "physical": _l("Physical"),
    "mental": _l("Mental"),
    "multiple": _l("Multiple"),
}
DISABILITY_GRADES = {1: _l("Grade 1"), 2: _l("Grade 2"), 3: _l("Grade 3"), 4: _l("Grade 4")}
# The "three categories" (三类残疾) of the disabled children's enrolment rate: visual, hearing/speech, intellectual.
THREE_DISABILITY_CATEGORIES = ("visual", "hearing", "speech", "intellectual")

ROLES = {
    "admin": _l("County administrator"),
    "bureau": _l("County education bureau"),
    "township": _l("Township staff"),
    "teacher": _l("Teacher"),
    "village": _l("Village cadre"),
}
# The place an account of each role is bound to.
ROLE_PLACE = {"township": "township", "teacher": "school", "village": "village"}

GUARDIAN_RELATIONS = ("父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "兄姐", "其他亲属", "其他")

PLACE_KINDS = {"township": _l("Township"), "school": _l("School"), "village": _l("Village")}

AUDIT_ACTIONS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Removed"),
    "issue_early": _l("Issued before the required contacts"),
    "decide": _l("Decided"),
    "reveal_id": _l("Viewed the full ID numbers"),
}
AUDIT_ENTITIES = {
    "child": _l("child"),
    "guardian": _l("guardian"),
    "township": _l("township"),
    "village": _l("village"),
    "school": _l("school"),
    "user": _l("account"),
    "county": _l("county"),
    "import": _l("roster import"),
    "exemption": _l("exemption"),
    "summary": _l("monthly summary"),
    "monthly_report": _l("monthly report"),
    "cohort_intake": _l("cohort intake"),
    "return_notice": _l("deadline return notice"),
    "penalty_document": _l("penalty document"),
    "document_scan": _l("scan of a signed paper"),
    "calendar_entry": _l("calendar entry"),
}
# Labels for the fields a child's history shows.
CHILD_FIELD_LABELS = {
    "name": _l("Name"),
    "sex": _l("Sex"),
    "id_number": _l("ID number"),
    "birth_on": _l("Birth date"),
    "ethnicity": _l("Ethnicity"),
    "village": _l("Village"),
    "group": _l("Villagers' group"),
    "address": _l("Home address"),
    "school": _l("School"),
    "grade": _l("Grade"),
    "student_number": _l("Student number"),
    "status": _l("Status"),
    "is_poor": _l("Poor household"),
    "is_left_behind": _l("Left-behind"),
    "is_migrant": _l("Migrant"),
    "is_orphan": _l("Orphan or without carer"),
    "disability_category": _l("Disability category"),
    "disability_grade": _l("Disability grade"),
    "responsible_teacher": _l("Responsible teacher"),
    "notes": _l("Notes"),
    "relation": _l("Relation"),
    "phone": _l("Phone"),
    "registered_on": _l("On the roll since"),
    "changed_on": _l("Date of the change"),
}

CASE_STATUSES = {
    "suspected": _l("Suspected"),
    "dropped_out": _l("Dropped out"),
    "persuading": _l("Persuading"),
    "notice_running": _l("Notice running"),
    "overdue": _l("Overdue"),
    "returned": _l("Returned"),
    "closed": _l("Closed"),
}
DROPOUT_REASONS = {
    "dislike": _l("Dislikes school or learning difficulty"),
    "work": _l("Gone to work"),
    "poverty": _l("Family economic hardship"),
    "illness": _l("Illness"),
    "disability": _l("Disability"),
    "early_marriage": _l("Early marriage or childbirth"),
    "family_attitude": _l("Parents' attitude"),
    "other": _l("Other"),
}
PLACEMENTS = {
    "original": _l("Original school"),
    "other_school": _l("Another school"),
    "special_school": _l("Special school"),
    "home_taught": _l("Home-delivered teaching"),
    "vocational": _l("Vocational school (over-age)"),
}
CLOSURES = {
    "moved_away": _l("Moved away, enrolled elsewhere"),
    "exempted": _l("Deferral or exemption approved"),
    "aged_out": _l("Aged out"),
    "completed": _l("Completed compulsory education"),
    "deceased": _l("Deceased"),
}
# Closures the rules derive rather than a person choosing them.
DERIVED_CLOSURES = {"not_dropout": _l("Not a dropout"), "stable_return": _l("Stable return")}
VISIT_METHODS = {
    "home": _l("Home visit"),
    "phone": _l("Phone"),
    "video": _l("Video call"),
    "school": _l("Talk at school"),
}
VISIT_MET = {"guardian": _l("Guardian"), "child": _l("Child"), "relative": _l("Relative"), "nobody": _l("Nobody")}
VISIT_OUTCOMES = {
    "agreed": _l("Agreed to return"),
    "refused": _l("Refused"),
    "not_home": _l("Not at home"),
    "working_away": _l("Gone to work elsewhere"),
    "other": _l("Other"),
}
EXEMPTION_KINDS = {"defer": _l("Deferral"), "exempt": _l("Exemption"), "suspend": _l("Suspension")}
EXEMPTION_STATUSES = {
    "applied": _l("Applied"),
    "approved": _l("Approved by the township"),
    "filed": _l("Filed by the bureau"),
    "refused": _l("Refused"),
}
CASE_EVENTS = {
    "opened": _l("Reported absent"),
    "confirmed": _l("Confirmed as dropout"),
    "not_dropout": _l("Resolved: not a dropout"),
    "visit": _l("Visit"),
    "notice_served": _l("Notice served"),
    "returned": _l("Returned to school"),
    "left_again": _l("Left school again"),
    "closed": _l("Closed"),
    "assigned": _l("Responsibility assigned"),
    "notice_issued": _l("Deadline return notice issued"),
    "measure": _l("Further measure decided"),
    "penalty_proposed": _l("Prior notice of a penalty issued"),
    "penalty_served": _l("Penalty document served"),
    "penalty_statement": _l("Party's statement recorded"),
}

NOTICE_STATUSES = {
    "issued": _l("Issued, not yet served"),
    "served": _l("Served, deadline running"),
    "complied": _l("Complied with"),
    "overdue": _l("Deadline passed"),
    "superseded": _l("Replaced by a correction"),
}
# Methods of service as the 送达回证 names them (printed in Chinese whatever the interface language).
SERVICE_METHODS = ("直接送达", "交成年家属代收", "留置送达", "邮寄", "电子送达")
MEASURES = {
    "further_order": _l("A further order to correct"),
    "penalty": _l("Administrative penalty decision"),
    "court": _l("Application to the court for enforcement"),
    "police_admonition": _l("Admonition by the public security organ"),
    "referral": _l("Referral to another authority"),
}
PENALTIES = {"warning": _l("Warning"), "fine": _l("Fine")}
STATEMENT_KINDS = {
    "stated": _l("The party stated a case and defended"),
    "hearing": _l("A hearing was held"),
    "none": _l("Nothing came within the period"),
}
PENALTY_DOCUMENTS = {"prior": _l("Prior notice of a penalty"), "decision": _l("Penalty decision")}

# The figures of a monthly summary (reporting/figures), in the order reports show them.
STOCK_FIGURES = {
    "students_start": _l("On the roll at the start of the month"),
    "transfers_in": _l("Transferred in"),
    "resumed": _l("Resumed or returned"),
    "transfers_out": _l("Transferred out"),
    "completed": _l("Completed"),
    "suspended": _l("Suspended"),
    "deaths": _l("Deaths"),
    "dropouts": _l("Dropped out"),
    "students_end": _l("On the roll at the end of the month"),
}
POPULATION_FIGURES = {
    "school_age": _l("School-age residents"),
    "enrolled": _l("School-age residents in school"),
    "disabled": _l("With a visual, hearing, speech or intellectual disability"),
    "disabled_enrolled": _l("Of them in school"),
    "in_school": _l("Resident pupils of any age, by the stage of their grade"),
    "population": _l("School-age residents, by the stage of their age"),
    "grade1": _l("Grade 1 pupils"),
    "grade9": _l("Grade 9 pupils"),
    "cohort": _l("Residents of grade 9 age"),
    "students_year": _l("On the roll at the start of the school year"),
    "dropouts_year": _l("Dropouts this school year"),
}
DETECTION_FIGURES = {
    "new_suspected": _l("New suspected dropouts"),
    "new_confirmed": _l("Newly confirmed dropouts"),
    "still_out": _l("Dropouts still out at the month's end"),
    "suspected_open": _l("Suspected dropouts not yet confirmed"),
}
WORK_FIGURES = {
    "visits": _l("Home visits"),
    "children_visited": _l("Children visited"),
    "teaching_visits": _l("Home-teaching visits"),
    "returned": _l("Returned this month"),
    "returned_year": _l("Returned this school year"),
}
LEGAL_FIGURES = {
    "notices_issued": _l("Notices issued"),
    "notices_served": _l("Notices served"),
    "notices_overdue": _l("Notices overdue"),
    "measures": _l("Measures decided"),
}
# Prefixed figures: out_<priority group> and reason_<reason> among the dropouts still out,
# placement_<placement> among the children returned this month.
FIGURE_PREFIXES = {"out_": PRIORITY_GROUPS, "reason_": DROPOUT_REASONS, "placement_": PLACEMENTS}
INDICATORS = {
    "enrolment": _l("Enrolment rate"),
    "enrolment_primary": _l("Primary gross enrolment rate"),
    "enrolment_junior": _l("Junior secondary gross enrolment rate"),
    "dropout_primary": _l("Primary dropout rate, school year"),
    "dropout_primary_net": _l("Primary net dropout rate"),
    "dropout_junior": _l("Junior secondary dropout rate, school year"),
    "dropout_junior_net": _l("Junior secondary net dropout rate"),
    "disabled": _l("Enrolment rate of children with the three disabilities"),
    "retention": _l("Nine-year retention rate"),
    "retention_estimate": _l("Nine-year retention rate (estimate)"),
}
REPORT_STATUSES = {"open": _l("Not submitted"), "submitted": _l("Submitted"), "approved": _l("Approved")}
UNIT_KINDS = {"county": _l("County"), "township": _l("Township"), "village": _l("Village"), "school": _l("School")}
