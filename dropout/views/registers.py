"""Registers in and out: the cross-check (比对) of uploaded lists, and the 台账 export."""

import re
from dataclasses import asdict

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import clock
from ..casework.settings import CaseSettings
from ..children import search as child_search
from ..choices import CASE_STATUSES, CHILD_STATUSES, DISABILITY_CATEGORIES, DISABILITY_GRADES
from ..core import spreadsheets as exports
from ..core.errors import ValidationError
from ..roster import crosscheck
from ..rules import id_number, school_age
from . import tasks
from .downloads import send_download
from .found import flash_refusal, or_404
from .imports import upload_limits

bp = Blueprint("registers", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN = 200  # rows of each list on the page; the exports hold them all
TOKEN = "string(length=32)"
_ID = re.compile(r"[0-9]{1,9}")
LIST_TITLES = {
    "candidates": _l("School-age children on the household list who are enrolled nowhere"),
    "unregistered": _l("School-age children on the household list, enrolled nowhere and not in the register"),
    "enrolled_but_out": _l("Enrolled by the student registry, out of school by the register"),
    "out_but_enrolled": _l("Left school by the student registry, enrolled by the register"),
    "disabled_unregistered": _l("Disabled school-age children on the disability federation list, not in the register"),
    "disabled_out_of_school": _l(
        "Disabled school-age children on the disability federation list, out of school by the register"
    ),
    "disability_mismatch": _l("Disability category missing or different in the register"),
    "duplicates": _l("Children registered twice"),
    "past_age": _l("Past school age but still marked enrolled"),
    "no_school": _l("School-age and marked enrolled, but with no school"),
}
LIST_LABELS = {
    "household": _l("Household registration (户籍) list"),
    "enrolment": _l("Student registry (学籍) list"),
    "disability": _l("Disability federation (残联) list"),
}
DUPLICATE_REASONS = {
    "no_id": _l("same name and birth date, one without ID number"),
    "guardian": _l("same name, birth date and guardian in two villages"),
}


def _gate():
    if current_user.role not in crosscheck.ROLES:
        abort(403)


def _today_and_age():
    return clock.today(), current_app.config["SCHOOL_START_AGE"]


def _comparison(token):
    today, start_age = _today_and_age()
    lists = or_404(crosscheck.load(current_user, current_app.config["UPLOADS_DIR"], token))
    return crosscheck.compare(current_user, lists, today, start_age)


def _checks():
    """The register's own checks: {name: (children found, rows shown, rows in all)}."""
    today, start_age = _today_and_age()
    groups = crosscheck.duplicates(current_user)
    checks = {"duplicates": (sum(len(children) for _, children in groups), groups[:SHOWN], len(groups))}
    for name, query in (("past_age", crosscheck.past_school_age), ("no_school", crosscheck.without_school)):
        query = query(current_user, today, start_age)
        count = query.count()
        checks[name] = (count, list(crosscheck.register_children(query.limit(SHOWN))), count)
    return checks


@bp.route("/registers/", methods=["GET", "POST"])
@login_required
def index():
    _gate()
    errors = {}
    if request.method == "POST":
        files = {
            kind: (f.stream, f.filename) for kind in crosscheck.KINDS if (f := request.files.get(kind)) and f.filename
        }
        max_mb = int(current_app.config.get("IMPORT_MAX_MB") or 50)
        try:
            token = crosscheck.store(current_user, files, current_app.config["UPLOADS_DIR"], max_mb, upload_limits())
        except ValidationError as exc:
            errors = exc.errors
        else:  # the lists are read by a task, once; the result page reads what it kept
            then, back = url_for("registers.result", token=token), url_for("registers.index")
            return tasks.start("crosscheck", _("Register cross-check"), {"token": token}, then=then, back=back)
    page = render_template(
        "registers/index.html",
        errors=errors,
        checks=_checks(),
        titles=LIST_TITLES,
        labels=LIST_LABELS,
        reasons=DUPLICATE_REASONS,
        shown=SHOWN,
    )
    return page, 422 if errors else 200


@bp.route(f"/registers/<{TOKEN}:token>")
@login_required
def result(token):
    _gate()
    return render_template(
        "registers/result.html",
        c=_comparison(token),
        token=token,
        titles=LIST_TITLES,
        labels=LIST_LABELS,
        shown=SHOWN,
        can_flag=current_user.role in crosscheck.FLAG_ROLES,
        grades=DISABILITY_GRADES,
    )


def _ticked(token):
    """The upload's comparison and the children ticked on its page, for those who may act on them."""
    if current_user.role not in crosscheck.FLAG_ROLES:
        abort(403)
    return _comparison(token), [int(value) for value in request.form.getlist("child") if _ID.fullmatch(value)]


@bp.route(f"/registers/<{TOKEN}:token>/flag", methods=["POST"])
@login_required
def flag(token):
    comparison, chosen = _ticked(token)
    settings = CaseSettings.from_config(current_app.config)
    try:
        flagged, skipped = crosscheck.flag(current_user, comparison, chosen, settings, clock.today())
    except ValidationError as exc:
        flash_refusal(exc)
    else:
        flash(_("%(n)d children reported as suspected dropouts.", n=len(flagged)))
        if skipped:
            names = "、".join(child.name for child in skipped)
            flash(_("Skipped, they already have an open case: %(names)s", names=names), "error")
    return redirect(url_for("registers.result", token=token))


@bp.route(f"/registers/<{TOKEN}:token>/disability", methods=["POST"])
@login_required
def take_categories(token):
    """Take the 残联 list's disability category into the register for the ticked children."""
    comparison, chosen = _ticked(token)
    try:
        changed = crosscheck.take_categories(current_user, comparison, chosen)
    except ValidationError as exc:
        flash_refusal(exc)
    else:
        flash(_("Disability category taken from the list for %(n)d children.", n=len(changed)))
    return redirect(url_for("registers.result", token=token, _anchor="disability_mismatch"))


def _xlsx(name, headers, rows):
    today = clock.today()
    title = f"{current_app.config['COUNTY_NAME']} {LIST_TITLES[name]} {today:%Y-%m-%d}"
    data = exports.write_table(title, headers, rows)
    return send_download(data, f"{name}-{today:%Y%m%d}.xlsx", XLSX)


def _in_register(child):
    return [
        child.village,
        CHILD_STATUSES.get(child.status, child.status),
        CASE_STATUSES.get(child.case_status, "") if child.has_open_case else "",
    ]


DISABILITY_LISTS = ("disabled_unregistered", "disabled_out_of_school", "disability_mismatch")  # the 残联 list's


def _on_the_list(row):
    """A 残联 row's category, grade, whether it is of the three categories, and address."""
    category = _disability_label(row.disability) if row.disability else row.disability_text
    grade = str(DISABILITY_GRADES[row.disability_grade]) if row.disability_grade else ""
    return [category, grade, _("Yes") if row.is_three_category else _("No"), row.address]


def _disability_table(comparison, name, person, register, about):
    listed = [
        _("Disability on the list"),
        _("Grade on the list"),
        _("Of the three categories"),
        _("Address on the list"),
    ]
    if name == "disabled_unregistered":
        return person + [_("Sex")] + listed, (
            about(row) + [row.sex] + _on_the_list(row) for row in comparison.disabled_unregistered
        )
    pairs = getattr(comparison, name)
    return person + listed + register + [_("Disability in the register")], (
        about(row) + _on_the_list(row) + _in_register(child) + [_disability_label(child.disability_category)]
        for row, child in pairs
    )


def _disability_label(code):
    return str(DISABILITY_CATEGORIES.get(code, code or ""))


def _comparison_table(comparison, name):
    """(headers, rows) of one list of a comparison."""
    person = [_("Row"), _("Name"), _("ID number"), _("Birth date")]
    register = [_("Village in the register"), _("Status in the register"), _("Open case")]

    def about(row):
        return [row.line, row.name, id_number.mask(row.id_number), row.birth_on]

    if name in DISABILITY_LISTS:
        return _disability_table(comparison, name, person, register, about)
    if name == "candidates":
        return person + [_("Guardian")] + register, (
            about(row) + [row.guardian] + _in_register(child) for row, child in comparison.candidates
        )
    if name == "unregistered":
        return person + [_("Guardian"), _("Village on the list")], (
            about(row) + [row.guardian, row.village] for row in comparison.unregistered
        )
    pairs = comparison.enrolled_but_out if name == "enrolled_but_out" else comparison.out_but_enrolled
    return person + [_("School on the list"), _("Status on the list")] + register, (
        about(row) + [row.school, row.status] + _in_register(child) for row, child in pairs
    )


COMPARISON_LISTS = (
    "any(candidates, unregistered, enrolled_but_out, out_but_enrolled, disabled_unregistered, "
    "disabled_out_of_school, disability_mismatch)"
)
CHECK_LISTS = "any(duplicates, past_age, no_school)"


@bp.route(f"/registers/<{TOKEN}:token>/<{COMPARISON_LISTS}:list_name>.xlsx")
@login_required
def export(token, list_name):
    _gate()
    return _xlsx(list_name, *_comparison_table(_comparison(token), list_name))


def _child_cells(child, today):
    return [
        child.name,
        id_number.mask(child.id_number),
        child.birth_on,
        school_age.school_age(child.birth_on, today),
        child.village,
        child.school,
        CHILD_STATUSES.get(child.status, child.status),
    ]


def _duplicate_rows(groups, today):
    for number, (reasons, children) in enumerate(groups, start=1):
        why = "；".join(str(DUPLICATE_REASONS[reason]) for reason in reasons)
        for child in children:
            yield [number, *_child_cells(child, today), "、".join(child.guardians), why]


@bp.route(f"/registers/checks/<{CHECK_LISTS}:list_name>.xlsx")
@login_required
def check_export(list_name):
    _gate()
    today, start_age = _today_and_age()
    headers = [_("Name"), _("ID number"), _("Birth date"), _("School age"), _("Village"), _("School"), _("Status")]
    if list_name == "duplicates":
        rows = _duplicate_rows(crosscheck.duplicates(current_user), today)
        return _xlsx(list_name, [_("Group"), *headers, _("Guardian"), _("Why")], rows)
    check = crosscheck.past_school_age if list_name == "past_age" else crosscheck.without_school
    children = crosscheck.register_children(check(current_user, today, start_age).iterator())
    return _xlsx(list_name, headers, (_child_cells(child, today) for child in children))


@bp.route("/children/ledger.xlsx", methods=["GET", "POST"])
@login_required
def ledger_export():
    """The filtered children list as a 台账, written by a background task: GET shows what will be exported, POST
    starts it. ?full=1 gives full ID numbers to the roles allowed them (recorded in the audit trail)."""
    filters = child_search.Filters.from_args(request.values)
    full_ids = tasks.full_ids_asked()
    text = _(
        "The ledger holds every child the children list shows with these filters, one row each, as an .xlsx "
        "workbook. A large county takes a few minutes: it is written in the background and kept for you to "
        "download."
    )
    return tasks.export_page(
        "ledger",
        _("Ledger (台账) of school-age children"),
        {"filters": _chosen(filters), "full_ids": full_ids},
        _chosen(filters),
        _("Export the ledger (台账)"),
        text,
        url_for("children.index", **_chosen(filters)),
        full_ids,
    )


def _chosen(filters):
    """The filters given, by name (what the task and the links carry)."""
    return {key: value for key, value in asdict(filters).items() if value not in (None, "")}
