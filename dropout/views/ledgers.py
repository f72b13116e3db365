"""三本台账: the 适龄儿童少年台账 (the children ledger's export), the 疑似辍学 and the 辍学 台账, each a page with
filters and an .xlsx written by a background task."""

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import clock
from ..choices import CASE_STATUSES, DROPOUT_REASONS
from ..core import scope
from ..reporting import ledgers
from . import tasks
from .found import places_in_scope

bp = Blueprint("ledgers", __name__, url_prefix="/ledgers")
ROLES = ("admin", "bureau", "township", "teacher")  # a village committee keeps no 台账
TITLES = {"suspected": _l("Ledger of suspected dropouts"), "dropouts": _l("Ledger of dropouts")}
HEADERS = (  # the page's columns: the workbook's (reporting/ledgers.HEADERS, always Chinese) after 序号
    _l("Name"),
    _l("Sex"),
    _l("ID number"),
    _l("Birth date"),
    _l("Township"),
    _l("Village"),
    _l("School"),
    _l("Grade"),
    _l("Dropped out on"),
    _l("Reason for dropping out"),
    _l("Responsible (cadre / teacher)"),
    _l("Persuasion visits"),
    _l("Last persuasion visit"),
    _l("Back at school on"),
    _l("Placed at"),
    _l("Closed (销号) on"),
    _l("Closure request (销号申请)"),
    _l("Status"),
)
STATUSES = {  # the open rows' statuses; the closed rows have their own tab
    "suspected": ("suspected",),
    "dropouts": ("dropped_out", "persuading", "notice_running", "overdue", "returned"),
}


def _gate():
    if current_user.role not in ROLES:
        abort(403, _("The 台账 are kept by the bureau, the townships and the schools, not by a village committee."))


@bp.route("/")
@login_required
def index():
    _gate()
    today = clock.today()
    return render_template(
        "ledgers/index.html",
        counts=ledgers.counts(current_user, today),
        waiting=ledgers.waiting_counts(current_user, today),
        titles=TITLES,
    )


def _book(book):
    _gate()
    filters = ledgers.LedgerFilters.from_args(request.args)
    closed = request.args.get("closed") == "1"
    today = clock.today()
    total, rows = ledgers.page_rows(current_user, book, filters, today, closed)
    return render_template(
        "ledgers/book.html",
        book=book,
        title=TITLES[book],
        headers=HEADERS,
        rows=rows,
        total=total,
        shown=ledgers.SHOWN,
        closed=closed,
        since=ledgers.year_start(today),
        filters=filters,
        args=filters.chosen(),
        statuses={code: CASE_STATUSES[code] for code in STATUSES[book]},
        reasons=DROPOUT_REASONS,
        may_see_full_ids=scope.may_see_full_ids(current_user),
        **places_in_scope(),
    )


@bp.route("/suspected")
@login_required
def suspected():
    return _book("suspected")


@bp.route("/dropouts")
@login_required
def dropouts():
    return _book("dropouts")


def _export(book):
    """GET says what the workbook holds, POST starts the task. ?full=1 gives full ID numbers to the roles allowed
    them, recorded in the audit trail."""
    _gate()
    filters = ledgers.LedgerFilters.from_args(request.values)
    full_ids = tasks.full_ids_asked()
    params = {"book": book, "filters": filters.chosen(), "full_ids": full_ids}
    text = _(
        "The workbook holds the open cases these filters show on its first sheet, and those closed (销号) "
        "since the school year began on a second sheet, one row each. It is written in the background and "
        "kept for you to download."
    )
    heading, back = _("Export: %(title)s", title=TITLES[book]), url_for(f"ledgers.{book}", **filters.chosen())
    return tasks.export_page("case_ledger", str(TITLES[book]), params, filters.chosen(), heading, text, back, full_ids)


@bp.route("/suspected.xlsx", methods=["GET", "POST"])
@login_required
def suspected_export():
    return _export("suspected")


@bp.route("/dropouts.xlsx", methods=["GET", "POST"])
@login_required
def dropouts_export():
    return _export("dropouts")
