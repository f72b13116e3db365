"""What the monthly pages show: a unit's frozen figures and indicators, its trend, the units below it ranked
(townships on the county's page; villages and schools, each in their own ranking, on a township's)."""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from peewee import IntegrityError

from ..core import audit
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import CohortIntake, MonthlyReport, School, SummaryMonth, Township, Village, utcnow
from ..rules.dates import local_date
from ..rules.indicators import missed, official, total
from . import summaries
from .figures import Month

INTAKE_KINDS = ("county", "township", "school")  # units whose cohort intake the bureau may enter


@dataclass(frozen=True)
class Unit:
    kind: str  # county, township, village, school
    id: int
    name: str
    township_id: int | None = None

    @property
    def key(self):
        return f"{self.kind}-{self.id}"


@dataclass
class Ranked:
    unit: Unit
    dropout_rate: float | None
    still_out: int
    notices_overdue: int
    coverage: float | None  # children visited in the month ÷ children out of school at its end
    on_time: float | None  # reports submitted on time ÷ reports due
    missed: int = 0  # indicators below (or above) their threshold
    vetoed: bool = False  # a 一票否决 indicator among them


@dataclass
class Dashboard:
    month: Month
    unit: Unit
    cells: dict
    indicators: list
    trend: list = field(default_factory=list)  # [(month, still out, dropout rate)]
    # [(kind, [Ranked])], one ranking per kind of unit below, each a veto missed first, then most indicators missed
    rankings: list = field(default_factory=list)
    locked: SummaryMonth | None = None
    intake: object = None  # rules.indicators.Intake of the cohort in grade 9, or None
    entry_year: int = 0  # the school year that cohort entered grade 1

    @property
    def intake_open(self):
        """Whether the bureau may still enter this unit's intake here (none entered, month not locked)."""
        entered = self.intake is not None and self.intake.source == "entered"
        return self.unit.kind in INTAKE_KINDS and not entered and self.locked is None


def county_unit(county_name):
    return Unit("county", 0, county_name)


def find_unit(kind, unit_id, county_name):
    """The unit named by kind and id, or None."""
    if kind == "county" and unit_id == 0:
        return county_unit(county_name)
    if kind == "township":
        row = Township.get_or_none(Township.id == unit_id)
        return Unit(kind, row.id, row.name, row.id) if row else None
    if kind == "village":
        row = Village.get_or_none(Village.id == unit_id)
        return Unit(kind, row.id, row.name, row.township_id) if row else None
    if kind == "school":
        row = School.get_or_none(School.id == unit_id)
        return Unit(kind, row.id, row.name, row.township_id) if row else None
    return None


def home_unit(user, county_name):
    """The unit a user's monthly page opens on."""
    if user.role in ("admin", "bureau"):
        return county_unit(county_name)
    kind = {"township": "township", "teacher": "school", "village": "village"}.get(user.role)
    unit_id = {"township": user.township_id, "teacher": user.school_id, "village": user.village_id}.get(user.role)
    return find_unit(kind, unit_id, county_name) if unit_id else None


def may_see(user, unit):
    """Whether the unit lies in the user's scope."""
    if user.role in ("admin", "bureau"):
        return True
    if user.role == "township":
        return unit.kind in ("township", "village", "school") and unit.township_id == user.township_id
    if user.role == "teacher":
        return unit.kind == "school" and unit.id == user.school_id
    if user.role == "village":
        return unit.kind == "village" and unit.id == user.village_id
    return False


def path(user, unit, county_name):
    """The units from the county down to `unit` that the user may see, each level named (its page's breadcrumbs)."""
    above = [county_unit(county_name)] if unit.kind != "county" else []
    if unit.kind in ("village", "school"):
        above.append(find_unit("township", unit.township_id, county_name))
    return [u for u in [*above, unit] if may_see(user, u)]


def units_below(unit):
    """[(kind, [Unit])] a unit's figures break down into: the county's townships; a township's villages, then
    its schools (ranked apart: a child may count in both a village and a school)."""
    if unit.kind == "county":
        return [("township", [Unit("township", t.id, t.name, t.id) for t in Township.select().order_by(Township.name)])]
    if unit.kind == "township":
        villages = Village.select().where(Village.township == unit.id).order_by(Village.name)
        schools = School.select().where(School.township == unit.id).order_by(School.name)
        return [
            ("village", [Unit("village", v.id, v.name, unit.id) for v in villages]),
            ("school", [Unit("school", s.id, s.name, unit.id) for s in schools]),
        ]
    return []


def enter_intake(user, month, unit, raw):
    """The bureau enters, once per unit and year, the grade-1 intake of the cohort now in grade 9 of the
    county, a township or a school; it takes the place of the intake derived from the register."""
    if user.role not in ("admin", "bureau"):
        raise PermissionDenied()
    if unit.kind not in INTAKE_KINDS:
        raise ValidationError({"intake": _("An intake is entered for the county, a township or a school.")})
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= 10_000_000):
        raise ValidationError({"intake": _("Give the intake as a whole number of children.")})
    if summaries.is_locked(month):
        raise ValidationError({"intake": _("%(month)s is locked.", month=str(month))})
    entry_year = summaries.entry_year(month)
    after = {"entry_year": entry_year, "unit_kind": unit.kind, "unit_id": unit.id, "intake": int(raw)}
    try:
        with database.atomic():
            CohortIntake.create(
                entry_year=entry_year,
                unit_kind=unit.kind,
                unit_id=unit.id,
                intake=int(raw),
                entered_by=user,
                entered_at=utcnow(),
            )
            audit.record(user, "create", "cohort_intake", None, after=after)
    except IntegrityError:
        raise ValidationError({"intake": _("The intake of %(year)d was entered before.", year=entry_year)}) from None


def coverage(cells):
    """Children visited in the month ÷ children out of school (still out or suspected) at its end, in percent."""
    out = total(cells, "still_out") + total(cells, "suspected_open")
    return min(100.0, 100.0 * total(cells, "children_visited") / out) if out else None


def _on_time(month, units, zone):
    """Share of each unit's reports (its own, and for a township its schools') submitted by the due day."""
    reports = list(MonthlyReport.select().where(MonthlyReport.month == str(month)))
    school_township = dict(School.select(School.id, School.township).tuples())
    shares = {}
    for unit in units:
        mine = [
            r
            for r in reports
            if (r.unit_kind, r.unit_id) == (unit.kind, unit.id)
            or (unit.kind == "township" and r.unit_kind == "school" and school_township.get(r.unit_id) == unit.id)
        ]
        if mine:
            done = sum(1 for r in mine if r.submitted_at is not None and local_date(r.submitted_at, zone) <= r.due_on)
            shares[unit.key] = 100.0 * done / len(mine)
    return shares


def build(month, unit, thresholds, zone, veto=()):
    """The dashboard of a unit for a generated month, or None when the month has no figures."""
    cells = summaries.figures_of(month, unit.kind, unit.id)
    if cells is None:
        return None
    intake = summaries.intake_of(month, unit.kind, unit.id)
    board = Dashboard(
        month,
        unit,
        cells,
        official(cells, thresholds, intake, veto),
        locked=SummaryMonth.get_or_none((SummaryMonth.month == str(month)) & SummaryMonth.locked_at.is_null(False)),
        intake=intake,
        entry_year=summaries.entry_year(month),
    )
    for past, past_cells in summaries.trend(month, unit.kind, unit.id):
        generated = past_cells is not None
        board.trend.append(
            (
                str(past),
                total(past_cells, "still_out") if generated else None,
                summaries.dropout_rate(past_cells) if generated else None,
            )
        )
    board.rankings = [
        (kind, _ranked(month, kind, units, thresholds, veto, zone)) for kind, units in units_below(unit) if units
    ]
    return board


def _ranked(month, kind, units, thresholds, veto, zone):
    """[Ranked] of units of one kind: a veto missed first, then most indicators missed, highest dropout rate."""
    cells = summaries.figures_by_unit(month, kind)
    intakes = summaries.intakes_of(month, kind)
    on_time = _on_time(month, units, zone)
    rows = []
    for u in units:
        c = cells.get(u.id, {})
        misses, vetoed = missed(official(c, thresholds, intakes.get(u.id), veto))
        rows.append(
            Ranked(
                u,
                summaries.dropout_rate(c),
                total(c, "still_out"),
                total(c, "notices_overdue"),
                coverage(c),
                on_time.get(u.key),
                misses,
                vetoed,
            )
        )
    rows.sort(key=lambda r: (not r.vetoed, -r.missed, -(r.dropout_rate or 0), -r.still_out, r.unit.name))
    return rows
