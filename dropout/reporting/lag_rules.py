"""What makes a unit lag in a 通报 (settings BULLETIN_*, see config.py), judged on the frozen figures of a locked
month and its monthly reports: a school-year dropout rate above its threshold, children still out, notices past
their deadline, visits covering too few of the children out of school, a monthly report late or missing."""

from dataclasses import dataclass

from ..config import bulletin_units, thresholds
from ..rules.indicators import official, total
from .dashboard import coverage

DROPOUT_RATES = ("dropout_primary", "dropout_junior")  # the school year's rates (the net ones are children still out)


@dataclass(frozen=True)
class Rules:
    """What makes a unit lag; a rule at 0 is off."""

    units: tuple  # the kinds named: township, school
    dropout_rate: bool
    min_still_out: int
    min_overdue_notices: int
    min_coverage: float
    late_report: bool
    rectify_days: int
    thresholds: dict

    @classmethod
    def from_config(cls, config):
        return cls(
            bulletin_units(config),
            bool(config["BULLETIN_DROPOUT_RATE"]),
            config["BULLETIN_MIN_STILL_OUT"],
            config["BULLETIN_MIN_OVERDUE_NOTICES"],
            config["BULLETIN_MIN_COVERAGE"],
            bool(config["BULLETIN_LATE_REPORT"]),
            config["BULLETIN_RECTIFY_DAYS"],
            thresholds(config),
        )


@dataclass(frozen=True)
class Filed:
    """A unit's monthly report as the month was locked: its due day and the county day it was submitted (or None)."""

    due_on: object
    submitted_on: object


def percent(value):
    """A rate as printed: 1.25%."""
    return f"{value:.2f}%"


def chinese_day(day):
    """A day as printed: 2026年12月4日."""
    return f"{day.year}年{day.month}月{day.day}日"


def issues_of(cells, filed, rules, labels, today):
    """The rules a unit's frozen figures break on `today`: [{rule, label, figure, standard}], in the rules' order.
    `filed`: its Filed report, or None when it has none (a report not yet due is not missing);
    `labels`: {indicator code: Chinese label}."""
    found = []
    if rules.dropout_rate:
        for indicator in official(cells, rules.thresholds):
            if indicator.code in DROPOUT_RATES and indicator.met is False:
                found.append(
                    {
                        "rule": indicator.code,
                        "label": labels[indicator.code],
                        "figure": percent(indicator.rate),
                        "standard": f"不高于{percent(indicator.threshold)}",
                    }
                )
    out = total(cells, "still_out")
    if rules.min_still_out and out >= rules.min_still_out:
        found.append({"rule": "still_out", "label": "月末仍未返校辍学生", "figure": f"{out}人", "standard": "全部劝返"})
    overdue = total(cells, "notices_overdue")
    if rules.min_overdue_notices and overdue >= rules.min_overdue_notices:
        found.append(
            {
                "rule": "notices_overdue",
                "label": "限期复学通知书逾期未复学",
                "figure": f"{overdue}份",
                "standard": "逾期后及时依法处置",
            }
        )
    share = coverage(cells)
    if rules.min_coverage and share is not None and share < rules.min_coverage:
        found.append(
            {
                "rule": "coverage",
                "label": "辍学及疑似辍学学生走访覆盖率",
                "figure": f"{share:.0f}%",
                "standard": f"不低于{rules.min_coverage:g}%",
            }
        )
    if rules.late_report and filed is not None:
        due = f"应于{chinese_day(filed.due_on)}前报送"
        if filed.submitted_on is None and filed.due_on < today:
            found.append({"rule": "report_missing", "label": "流失生月报", "figure": "未报送", "standard": due})
        elif filed.submitted_on is not None and filed.submitted_on > filed.due_on:
            late = f"{chinese_day(filed.submitted_on)}报送"
            found.append({"rule": "report_late", "label": "流失生月报", "figure": late, "standard": due})
    return found


def lagging(units, cells_by_unit, filed, rules, labels, today):
    """The units that break a rule, ranked within their kind (most rules broken, then most children still out,
    then most notices overdue, then by name): [{kind, id, name, township_id, township, rank, still_out, issues}].
    `units`: [(kind, id, name, township id, township name)]; `cells_by_unit` and `filed` keyed by (kind, id)."""
    rows = []
    for kind, unit_id, name, township_id, township in units:
        if kind not in rules.units:
            continue
        cells = cells_by_unit.get((kind, unit_id))
        if cells is None:  # a unit added after the month: it has no figures to judge
            continue
        issues = issues_of(cells, filed.get((kind, unit_id)), rules, labels, today)
        if issues:
            rows.append(
                {
                    "kind": kind,
                    "id": unit_id,
                    "name": name,
                    "township_id": township_id,
                    "township": township,
                    "still_out": total(cells, "still_out"),
                    "overdue": total(cells, "notices_overdue"),
                    "issues": issues,
                }
            )
    rows.sort(
        key=lambda r: (rules.units.index(r["kind"]), -len(r["issues"]), -r["still_out"], -r["overdue"], r["name"])
    )
    for kind in rules.units:
        for rank, row in enumerate((r for r in rows if r["kind"] == kind), start=1):
            row["rank"] = rank
    return rows
