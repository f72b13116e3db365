"""The monthly report of a unit (控辍保学月报) as plain data, from the frozen summaries, in Chinese.

The report is the document sent upward, so it is written in Chinese whatever the interface
language: the figure labels are the choices' labels rendered in the Chinese catalogue, and the
document's own words (headings, 小学/初中, 合计, 达标) are written here in Chinese, as in the ledger.
"""

from datetime import UTC, datetime
from itertools import product

from flask_babel import force_locale
from flask_babel import gettext as _

from .. import choices, clock
from ..config import thresholds, veto_indicators
from ..core.errors import ValidationError
from ..models import SummaryMonth, Township
from ..pdf.data import IndicatorRow, MonthReportData, ReportTable, TrendPoint
from ..rules.indicators import BALANCE_IN, BALANCE_OUT, NO_INTAKE, balance_gap, missed, official, total
from . import summaries
from .figures import Month

LOCALE = "zh_Hans_CN"
# The value columns of a figure table: stage × sex, totals (None) last.
CELLS = tuple(product(("primary", "junior", None), ("M", "F", None)))


def month_report_data(month, kind, unit_id, config):
    """The plain data of a county (kind 'county', id 0) or township report for a generated month."""
    generated = SummaryMonth.get_or_none(SummaryMonth.month == str(month))
    cells = summaries.figures_of(month, kind, unit_id) if generated is not None else None
    if cells is None:
        raise ValidationError({"month": _("%(month)s has not been generated.", month=str(month))})
    county = config["COUNTY_NAME"]
    unit_name = county if kind == "county" else _township_name(unit_id)
    zone = clock.zone(config)
    limits, veto = thresholds(config), veto_indicators(config)
    with force_locale(LOCALE):
        labels = _labels()
    first_trend = _months_back(month, summaries.TREND_MONTHS - 1)
    ranking = _ranking(month, limits, veto, labels) if kind == "county" else None
    found = official(cells, limits, summaries.intake_of(month, kind, unit_id), veto)
    return MonthReportData(
        county_name=county,
        unit_name=unit_name,
        title=f"{county}控辍保学月报" if kind == "county" else f"{county}{unit_name}控辍保学月报",
        month_text=f"{month.year}年{month.month}月",
        period_text=f"{_day(month.first)}至{_day(month.last)}",
        generated_text=_local(generated.generated_at, zone),
        locked_text=_local(generated.locked_at, zone) if generated.locked_at is not None else "",
        stamp=_utc(generated.generated_at),
        indicators=_indicator_rows(found, summaries.entry_year(month), labels),
        tables=_tables(cells, labels),
        trend_title=f"{first_trend.year}年{first_trend.month}月至{month.year}年{month.month}月",
        trend=_trend(month, kind, unit_id),
        ranking=ranking,
    )


def _labels():
    """Every label the report prints, as plain strings in the current (forced) locale."""

    def plain(labels):
        return {code: str(label) for code, label in labels.items()}

    return {
        "stock": plain(choices.STOCK_FIGURES),
        "population": plain(choices.POPULATION_FIGURES),
        "detection": plain(choices.DETECTION_FIGURES),
        "work": plain(choices.WORK_FIGURES),
        "legal": plain(choices.LEGAL_FIGURES),
        "indicators": plain(choices.INDICATORS),
        "out_": plain(choices.PRIORITY_GROUPS),
        "reason_": plain(choices.DROPOUT_REASONS),
        "placement_": plain(choices.PLACEMENTS),
        "stages": plain(choices.STAGES),
        "sex": plain(choices.SEX),
    }


def _tables(cells, labels):
    """The figure tables in the order of the report (DOMAIN §6): stock and flow, population, detection, …"""

    def figures(title, sheet, keys_labels, extra=(), note=""):
        rows = tuple(
            (label,) + tuple(total(cells, key, stage, sex) for stage, sex in CELLS) for key, label in keys_labels
        )
        return ReportTable(title, sheet, _columns(labels), rows + tuple(extra), _groups(labels), note)

    def prefixed(prefix):
        return [(prefix + code, label) for code, label in labels[prefix].items()]

    stock = labels["stock"]
    return (
        figures(
            "学生变动情况", "学生变动", stock.items(), extra=[_balance_row(cells)], note=_balance_note(cells, stock)
        ),
        figures("适龄人口与入学", "适龄人口", labels["population"].items()),
        figures("辍学监测", "辍学监测", labels["detection"].items()),
        figures("在册辍学学生中的重点群体", "重点群体", prefixed("out_"), note="一名学生可属于多个重点群体。"),
        figures("在册辍学学生的辍学原因", "辍学原因", prefixed("reason_")),
        figures("劝返工作", "劝返工作", labels["work"].items()),
        figures("本月复学学生的安置去向", "复学安置", prefixed("placement_")),
        figures("依法控辍", "依法控辍", labels["legal"].items()),
    )


def _columns(labels):
    sex = labels["sex"]
    return ("",) + (sex["M"], sex["F"], "小计") * 2 + (sex["M"], sex["F"], "合计")


def _groups(labels):
    stages = labels["stages"]
    return (("项目", 1), (stages["primary"], 3), (stages["junior"], 3), ("合计", 3))


def _balance_row(cells):
    return ("平衡核对差额（应为0）",) + tuple(balance_gap(cells, stage, sex) for stage, sex in CELLS)


def _balance_note(cells, stock):
    """The balance of the stock and flows, written out, and whether every column adds up."""
    formula = " ＋ ".join(stock[key] for key in BALANCE_IN) + "".join(f" － {stock[key]}" for key in BALANCE_OUT)
    balanced = all(balance_gap(cells, stage, sex) == 0 for stage, sex in CELLS)
    verdict = "各栏差额均为0，收支平衡。" if balanced else f"存在差额（合计{balance_gap(cells)}），请核查。"
    return f"平衡核对：{formula} ＝ {stock['students_end']}。{verdict}"


def _indicator_rows(found, entry_year, labels):
    return tuple(
        IndicatorRow(
            labels["indicators"][i.code],
            i.numerator,
            None if i.missing else i.denominator,
            i.rate,
            i.threshold,
            i.higher_is_better,
            i.met,
            i.is_veto,
            i.is_estimate,
            i.gap,
            _indicator_note(i, entry_year),
        )
        for i in found
    )


def _indicator_note(indicator, entry_year):
    """What the printed table says beside a rate: the children still needed, the intake's source, the estimate."""
    notes = []
    if indicator.gap:
        notes.append(f"还需劝返{indicator.gap}人方可达标")
    if indicator.missing == NO_INTAKE:
        notes.append(f"未录入入学人数（{entry_year}年入学），不计算巩固率")
    elif indicator.intake is not None and indicator.intake.source == "entered":
        notes.append(f"入学人数：教育局录入（{entry_year}年入学）")
    elif indicator.intake is not None:
        derived = Month.parse(indicator.intake.month)
        notes.append(f"入学人数：按{derived.year}年{derived.month}月一年级在籍人数推算")
    if indicator.is_estimate:
        notes.append("估算：九年级在校生÷九年级对应年龄人口，不作达标判断")
    return "；".join(notes)


def _trend(month, kind, unit_id):
    """The unit's last 12 months, oldest first; a month that was not generated has no values."""
    return tuple(
        TrendPoint(
            str(m),
            f"{m.month}月",
            total(cells, "still_out") if cells is not None else None,
            summaries.dropout_rate(cells) if cells is not None else None,
        )
        for m, cells in summaries.trend(month, kind, unit_id)
    )


def _ranking(month, limits, veto, labels):
    """The county's townships: those that missed a 一票否决 indicator last, then fewest indicators missed
    first, then fewest children still out."""
    names = dict(Township.select(Township.id, Township.name).tuples())
    intakes = summaries.intakes_of(month, "township")
    rows = []
    for township_id, cells in summaries.figures_by_unit(month, "township").items():
        found = {i.code: i for i in official(cells, limits, intakes.get(township_id), veto)}
        misses, vetoed = missed(found.values())
        rows.append(
            (
                vetoed,
                misses,
                total(cells, "still_out"),
                names.get(township_id, f"#{township_id}"),
                township_id,
                cells,
                found,
            )
        )
    rows.sort(key=lambda row: row[:5])
    body = tuple(  # a veto missed is marked on the name: one more text column would squeeze the numbers
        (
            rank,
            name + ("（一票否决）" if vetoed else ""),
            total(cells, "students_end"),
            total(cells, "still_out"),
            total(cells, "new_suspected"),
            total(cells, "returned"),
            found["enrolment"].rate,
            found["dropout_primary"].rate,
            found["dropout_junior"].rate,
            misses,
        )
        for rank, (vetoed, misses, _out, name, _id, cells, found) in enumerate(rows, start=1)
    )
    stock, detection, work, named = labels["stock"], labels["detection"], labels["work"], labels["indicators"]
    columns = (
        "名次",
        "乡镇",
        stock["students_end"],
        detection["still_out"],
        detection["new_suspected"],
        work["returned"],
        named["enrolment"],
        named["dropout_primary"],
        named["dropout_junior"],
        "未达标指标数",
    )
    note = "按未达标指标数从少到多排列，相同时按在册辍学人数从少到多排列。"
    if veto:
        vetoes = "、".join(named[code] for code in sorted(veto, key=list(named).index))
        note = f"标注“一票否决”的乡镇有一票否决指标（{vetoes}）未达标，排在最后；其余" + note
    return ReportTable("乡镇排名", "乡镇排名", columns, body, note=note)


def _township_name(unit_id):
    township = Township.get_or_none(Township.id == unit_id)
    return township.name if township is not None else f"#{unit_id}"


def _months_back(month, count):
    for _i in range(count):
        month = month.previous()
    return month


def _day(day):
    return f"{day.year}年{day.month}月{day.day}日"


def _utc(value):
    """A stored UTC time (naive, or text on some drivers) as an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _local(value, zone):
    local = _utc(value).astimezone(zone)
    return f"{_day(local)} {local:%H:%M}"
