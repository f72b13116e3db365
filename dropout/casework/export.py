"""The cases list as a workbook: the same filtered cases as the page, ID numbers masked."""

import xlsxwriter
from flask_babel import gettext as _
from peewee import fn

from ..choices import CASE_STATUSES, DROPOUT_REASONS
from ..db import read_snapshot
from ..models import DropoutCase
from ..rules import id_number
from .search import search

CHUNK = 2000  # progress is told after every CHUNK cases


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
    """One row per case in the user's scope matching the filters, in the list's order; the ID number masked.
    The cases are read as they are written, not collected."""
    for case in search(user, filters, today).iterator():
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


def write_workbook(user, filters, today, county, out, progress=None):
    """Write the .xlsx of the cases list, titled with the county's name and the day, into `out` (a path or a
    binary file); return the number of cases. `progress(done, total)` is called at the start and after every
    CHUNK cases.

    Rows go to the file as the query iterates (xlsxwriter's constant-memory mode), each cell as text: an ID
    number must never become a number. A None is left out."""
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = workbook.add_worksheet()
    bold = workbook.add_format({"bold": True})
    sheet.write_string(
        0, 0, f"{county} {_('Dropout cases')} {today:%Y-%m-%d}", workbook.add_format({"bold": True, "font_size": 14})
    )
    for column, header in enumerate(headers()):
        sheet.write_string(1, column, str(header), bold)
        sheet.set_column(column, column, max(10, len(str(header)) * 2))
    count, total = 0, None
    with read_snapshot():  # the count and the rows see the same cases
        if progress is not None:
            total = search(user, filters, today).select(fn.COUNT(DropoutCase.id)).order_by().scalar()
            progress(0, total)
        for count, row in enumerate(rows(user, filters, today), start=1):
            for column, value in enumerate(row):
                if value is not None:
                    sheet.write_string(count + 1, column, str(value))
            if progress is not None and count % CHUNK == 0:
                progress(count, total)
        if progress is not None and count % CHUNK:
            progress(count, total)
    workbook.close()
    return count
