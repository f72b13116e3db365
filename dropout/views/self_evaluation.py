"""自评材料: a school year's self-evaluation extract for the bureau, as a page and as a workbook and a PDF to
download. It is read in well under a second on the demo county, so it is made on request, not as a task."""

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import clock
from ..choices import CLOSURES, DERIVED_CLOSURES, INDICATORS
from ..core.errors import ValidationError
from ..pdf.self_evaluation import render_self_evaluation
from ..reporting import self_evaluation
from ..reporting.self_evaluation_workbook import write_workbook
from .downloads import send_download
from .notices import printed

bp = Blueprint("self_evaluation", __name__, url_prefix="/reports/self-evaluation")
ROLES = ("admin", "bureau")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GAPS = {
    "unassigned": _l("Cases without both responsible persons"),
    "unvisited": _l("Out-of-school cases not visited in 30 days"),
    "unproven": _l("Cases closed (销号) without proof"),
}
RULES = {
    "unassigned": _l(
        "Cases open during the school year (or closed in it) that lack the township cadre or the teacher "
        "responsible; a case ruled not a dropout needs none."
    ),
    "unvisited": _l(
        "Cases still out of school whose last persuasion visit (or, never visited, their opening) is more "
        "than 30 days old."
    ),
    "unproven": _l(
        "Cases closed during the school year, other than as not a dropout, without an approved closure "
        "request with its proof."
    ),
}
ISSUES = {
    "no_one": _l("No township cadre and no teacher"),
    "no_cadre": _l("No township cadre"),
    "no_teacher": _l("No teacher"),
    "last_visit": _l("Last visited on %(day)s"),
    "never_visited": _l("Never visited since opened on %(day)s"),
}
LETTER_STATUSES = {
    "open": _l("Being handled"),
    "answered": _l("Answered, awaiting review"),
    "accepted": _l("Closed: rectification accepted"),
}
SHOWN = 50  # a list's rows on the page; the workbook holds them all


def _gate():
    if current_user.role not in ROLES:
        abort(403, _("Only the bureau and the administrator make the county's self-evaluation extract."))


def _year():
    """The school year asked for; ValidationError with the reason when it is malformed or out of range."""
    return self_evaluation.parse_year(request.args.get("year"), clock.today())


def _refused(exc):
    """The page with the chooser and the reason, for a year that cannot be read."""
    today = clock.today()
    return render_template(
        "self_evaluation/page.html", data=None, error=exc.errors["year"], years=self_evaluation.years(today)
    ), 400


def _data(year):
    return self_evaluation.build(current_user, year, clock.today(), current_app.config)


@bp.route("/")
@login_required
def index():
    _gate()
    try:
        year = _year()
    except ValidationError as exc:
        return _refused(exc)
    today = clock.today()
    return render_template(
        "self_evaluation/page.html",
        data=_data(year),
        error=None,
        years=self_evaluation.years(today),
        shown=SHOWN,
        names=INDICATORS,
        gap_titles=GAPS,
        rules=RULES,
        issues=ISSUES,
        closures={**CLOSURES, **DERIVED_CLOSURES},
        letter_statuses=LETTER_STATUSES,
    )


def _file_name(data, suffix):
    return f"{data.title}.{suffix}"


@bp.route("/workbook")
@login_required
def workbook():
    _gate()
    try:
        data = _data(_year())
    except ValidationError as exc:
        return _refused(exc)
    return send_download(write_workbook(data), _file_name(data, "xlsx"), XLSX)


@bp.route("/pdf")
@login_required
def pdf():
    _gate()
    try:
        data = _data(_year())
    except ValidationError as exc:
        return _refused(exc)
    back = url_for("self_evaluation.index", year=data.year)
    return printed(lambda: render_self_evaluation(data), _file_name(data, "pdf"), back)
