"""From a monthly figure down to the children list: the list's filters that show a figure's children, and, on
that list, what the figure counted (read from the frozen summary) beside what the list shows today."""

from dataclasses import asdict, dataclass
from datetime import date

from .. import choices
from ..models import SummaryMonth
from ..rules.dates import local_date
from ..rules.indicators import total
from . import dashboard, summaries
from .figures import Month

# Figures whose children the children list can show (as they are today), by its filters.
FILTERS = {
    "still_out": {"status": "dropped_out"},
    "suspected_open": {"status": "suspected"},
    **{f"out_{group}": {"status": "dropped_out", "group": group} for group in choices.PRIORITY_GROUPS},
}
PLACES = ("township", "village", "school")


@dataclass(frozen=True)
class FigureNote:
    unit: dashboard.Unit
    label: str
    month: str
    counted: int  # the figure in the month's frozen summary
    as_of: date  # the month's last day: the register as the figure counted it
    generated_on: date  # the county day the figure was computed


def list_filters(figure, unit):
    """The children list's filters showing the children a unit's figure counts: a township, village or school
    counts its residents (home=1), as its figures do."""
    place = {} if unit.kind == "county" else {unit.kind: unit.id, "home": 1}
    return {**FILTERS[figure], **place}


def list_args(figure, unit, month):
    """The children list's query of a figure's drill-down: its filters, and the figure and month it counted."""
    return {**list_filters(figure, unit), "figure": figure, "month": str(month)}


def label(figure):
    """The figure's name as the monthly page shows it."""
    if figure.startswith("out_"):
        return f"{choices.DETECTION_FIGURES['still_out']} · {choices.PRIORITY_GROUPS[figure[4:]]}"
    return choices.DETECTION_FIGURES[figure]


def figure_note(user, args, filters, config):
    """The FigureNote of ?figure=&month= on a children list whose filters (`filters`) are exactly that figure's
    drill-down of a unit the user may see, when the month was generated; else None. The count comes from the
    stored summary, never from the address."""
    figure = args.get("figure", "")
    if figure not in FILTERS:
        return None
    try:
        month = Month.parse(args.get("month", ""))
    except ValueError:
        return None
    shown = {key: value for key, value in asdict(filters).items() if value not in (None, "")}
    unit = _unit_of(shown, config["COUNTY_NAME"])
    if unit is None or not dashboard.may_see(user, unit) or shown != list_filters(figure, unit):
        return None
    cells = summaries.figures_of(month, unit.kind, unit.id)
    if cells is None:
        return None
    generated_at = SummaryMonth.get_by_id(str(month)).generated_at
    return FigureNote(
        unit, label(figure), str(month), total(cells, figure), month.last, local_date(generated_at, config["TIMEZONE"])
    )


def _unit_of(shown, county_name):
    """The unit a list's place filters name: the county when none, the one named when one, else None."""
    places = [kind for kind in PLACES if kind in shown]
    if not places:
        return dashboard.county_unit(county_name)
    if len(places) > 1:
        return None
    return dashboard.find_unit(places[0], shown[places[0]], county_name)
