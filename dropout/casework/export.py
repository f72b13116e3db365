"""The cases list as a workbook: the same filtered cases as the page, ID numbers masked."""

from flask_babel import gettext as _

from ..choices import CASE_STATUSES, DROPOUT_REASONS
from ..core import spreadsheets
from ..rules import id_number
from .search import search


def headers():
    return [
        _("Case"),
        _("Name"),
        _("ID number"),
        _("Village"),
        _("School"),
        _("Status"),
        _("Reason"),
        _("Absent since"),
        _("Opened"),
        _("Township cadre"),
        _("Teacher"),
        _("Next visit"),
        _("Repeats"),
    ]


def rows(user, filters, today):
    """One row per case in the user's scope matching the filters, in the list's order; the ID number masked."""
    for case in search(user, filters, today):
        child = case.child
        yield (
            case.id,
            child.name,
            id_number.mask(child.id_number),
            child.village.name,
            child.school.name if child.school else "",
            CASE_STATUSES[case.status],
            DROPOUT_REASONS.get(case.reason, ""),
            case.absent_since,
            case.opened_on,
            case.cadre or "",
            case.teacher or "",
            case.next_visit_on or "",
            case.repeat_count,
        )


def workbook(user, filters, today, county):
    """The .xlsx of the cases list, titled with the county's name and the day; its bytes."""
    title = f"{county} {_('Dropout cases')} {today:%Y-%m-%d}"
    return spreadsheets.write_table(title, headers(), rows(user, filters, today))
