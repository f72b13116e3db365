"""通报: the bureau's monthly bulletin from a locked month, naming the units that lag (点名道姓), with one numbered
督办函 for each.

A unit lags when its frozen figures of the month break a rule (settings BULLETIN_*, see config.py): a dropout
rate above its threshold, children still out, notices past their deadline, visits covering too few of the
children out of school, or its monthly report late or missing. The rules read only the month's frozen summaries
and its monthly reports (which no longer change once the month is locked); what the 通报 and each 督办函 print is
kept as JSON when they are issued, so they quote the month as it was locked, and a reprint gives the same bytes.
"""

import json
from datetime import date, timedelta
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import IntegrityError

from .. import choices, clock
from ..core import audit
from ..core.errors import PermissionDenied, ValidationError
from ..db import database
from ..models import Bulletin, MonthlyReport, School, SummaryMonth, SupervisionLetter, Township
from ..notices.numbering import bureau_name, next_number
from ..pdf import fonts
from ..pdf.bulletin import render_bulletin, render_letter
from ..rules.dates import local_date
from ..rules.indicators import official, total
from . import summaries
from .archive import sha256_of, store_file
from .lag_rules import Filed, Rules, chinese_day, lagging, percent

LOCALE = "zh_Hans_CN"
BULLETIN_SERIES = "bulletin:bureau"
LETTER_SERIES = "supervision:bureau"
# The county's figures the 通报 quotes, by stage: (figure, its label's catalogue).
COUNTY_FIGURES = (
    ("students_year", choices.POPULATION_FIGURES),
    ("students_end", choices.STOCK_FIGURES),
    ("dropouts_year", choices.POPULATION_FIGURES),
    ("still_out", choices.DETECTION_FIGURES),
    ("suspected_open", choices.DETECTION_FIGURES),
    ("new_suspected", choices.DETECTION_FIGURES),
    ("returned", choices.WORK_FIGURES),
    ("visits", choices.WORK_FIGURES),
    ("children_visited", choices.WORK_FIGURES),
    ("notices_issued", choices.LEGAL_FIGURES),
    ("notices_overdue", choices.LEGAL_FIGURES),
)


# Reading a locked month.


def _labels():
    with force_locale(LOCALE):
        return {
            "indicators": {code: str(label) for code, label in choices.INDICATORS.items()},
            "figures": {code: str(catalogue[code]) for code, catalogue in COUNTY_FIGURES},
        }


def _units():
    """[(kind, id, name, township id, township name)] of every township and school."""
    townships = dict(Township.select(Township.id, Township.name).tuples())
    units = [("township", tid, name, tid, name) for tid, name in sorted(townships.items(), key=lambda t: t[1])]
    for school in School.select().order_by(School.name):
        units.append(("school", school.id, school.name, school.township_id, townships.get(school.township_id, "")))
    return units


def _filed(month, zone):
    """{(kind, id): Filed} of the month's reports."""
    return {
        (r.unit_kind, r.unit_id): Filed(r.due_on, local_date(r.submitted_at, zone) if r.submitted_at else None)
        for r in MonthlyReport.select().where(MonthlyReport.month == str(month))
    }


def _county_table(cells, labels, limits):
    """[label, primary, junior, total] rows of the county's figures, then its dropout rates."""
    rows = [
        [labels["figures"][key], total(cells, key, "primary"), total(cells, key, "junior"), total(cells, key)]
        for key, _catalogue in COUNTY_FIGURES
    ]
    rates = {i.code: i.rate for i in official(cells, limits)}
    both = summaries.dropout_rate(cells)
    rates = [rates["dropout_primary"], rates["dropout_junior"], both]
    rows.append(["学年辍学率"] + [percent(rate) if rate is not None else "—" for rate in rates])
    return rows


def refuse(month):
    """ValidationError with the reason when no 通报 may be generated from `month`: not generated, not locked, or a
    通报 of it exists (the error's `bulletin` names it)."""
    key = str(month)
    row = SummaryMonth.get_or_none(SummaryMonth.month == key)
    if row is None:
        raise ValidationError({"month": _("%(month)s has not been generated.", month=key)})
    if row.locked_at is None:
        raise ValidationError(
            {"month": _("%(month)s is not locked: a bulletin quotes a locked month's figures only.", month=key)}
        )
    existing = Bulletin.get_or_none(Bulletin.month == key)
    if existing is not None:
        raise Exists(existing)


class Exists(ValidationError):
    """The month already has its 通报."""

    def __init__(self, bulletin):
        super().__init__(
            {
                "month": _(
                    "The bulletin of %(month)s was issued before: %(number)s.",
                    month=bulletin.month,
                    number=bulletin.number,
                )
            }
        )
        self.bulletin = bulletin


def content(month, config, today):
    """(the 通报's printed content without its number, [each lagging unit]) from the locked month's frozen figures."""
    rules = Rules.from_config(config)
    labels = _labels()
    county = summaries.figures_of(month, "county", 0) or {}
    cells = {}
    for kind in ("township", "school"):
        cells.update({(kind, uid): c for uid, c in summaries.figures_by_unit(month, kind).items()})
    units = lagging(_units(), cells, _filed(month, clock.zone_name(config)), rules, labels["indicators"], today)
    issuer = bureau_name(config)
    rectify_by = today + timedelta(days=rules.rectify_days)
    data = {
        "authority": issuer,
        "county": config["COUNTY_NAME"],
        "month": str(month),
        "title": f"关于{month.year}年{month.month}月控辍保学工作情况的通报",
        "addressees": "各乡镇人民政府，各中小学校：" if "school" in rules.units else "各乡镇人民政府：",
        "opening": (
            f"根据{month.year}年{month.month}月控辍保学月度数据（已于数据锁定后出具，数据截至{chinese_day(month.last)}），"
            f"现将全县控辍保学工作情况通报如下。"
        ),
        "county_table": _county_table(county, labels, rules.thresholds),
        "lagging": units,
        "rules": _rules_text(rules),
        "requirements": _requirements(units, rectify_by),
        "issued_on": today.isoformat(),
        "issued_text": chinese_day(today),
        "rectify_by": rectify_by.isoformat(),
        "rectify_text": chinese_day(rectify_by),
    }
    return data, units


def _rules_text(rules):
    """The rules as the 通报 states them, so a reader knows why a unit is named."""
    parts = []
    if rules.dropout_rate:
        primary, junior = rules.thresholds["dropout_primary"], rules.thresholds["dropout_junior"]
        parts.append(f"小学学年辍学率高于{primary:g}%或初中学年辍学率高于{junior:g}%")
    if rules.min_still_out:
        parts.append(f"月末仍未返校辍学生{rules.min_still_out}人及以上")
    if rules.min_overdue_notices:
        parts.append(f"限期复学通知书逾期未复学{rules.min_overdue_notices}份及以上")
    if rules.min_coverage:
        parts.append(f"辍学及疑似辍学学生走访覆盖率低于{rules.min_coverage:g}%")
    if rules.late_report:
        parts.append("流失生月报逾期报送或未报送")
    return "；".join(parts)


def _requirements(units, rectify_by):
    named = "、".join(u["name"] for u in units[:3]) + ("等" if len(units) > 3 else "")
    first = (
        f"被通报的{named}{len(units)}个单位要高度重视，对照通报问题逐项整改，于{chinese_day(rectify_by)}前将整改情况"
        "书面报县教育局（附佐证材料），并在系统中答复督办函。"
        if units
        else f"各单位要保持工作力度，巩固控辍保学成果，{chinese_day(rectify_by)}前对本单位情况进行自查。"
    )
    return [
        first,
        "各乡镇、各学校要落实双线责任，对在册辍学学生逐人建立劝返台账，做到一人一案、动态销号。",
        "对限期复学通知书逾期仍未复学的，要依法及时采取后续措施，不得久拖不决。",
        "各单位要按时报送流失生月报，确保数据真实准确、人账相符。县教育局将对整改情况进行跟踪督办。",
    ]


def _letter_content(unit, bulletin_data, number):
    """The 督办函's printed content for one lagging unit."""
    addressee = f"{unit['name']}人民政府" if unit["kind"] == "township" else unit["name"]
    return {
        "authority": bulletin_data["authority"],
        "number": number,
        "title": f"关于{unit['name']}控辍保学问题限期整改的督办函",
        "addressee": f"{addressee}：",
        "unit": unit["name"],
        "township": unit["township"],
        "kind": unit["kind"],
        "bulletin_number": bulletin_data["number"],
        "opening": (
            f"根据《{bulletin_data['title']}》（{bulletin_data['number']}），你单位"
            f"{bulletin_data['month'][:4]}年{int(bulletin_data['month'][5:])}月控辍保学工作存在以下问题，现予督办："
        ),
        "issues": unit["issues"],
        "demands": [
            f"请于{bulletin_data['rectify_text']}前完成整改，并将整改情况报县教育局。",
            "答复内容包括：存在问题的原因分析、已采取的整改措施及成效（劝返人数、走访情况、通知书处置情况等）、"
            "下一步工作安排和责任人。答复须在系统中填写，并可上传加盖公章的书面答复扫描件。",
        ],
        "issued_text": bulletin_data["issued_text"],
        "due_text": bulletin_data["rectify_text"],
    }


def relative_dir(month):
    return Path("bulletins", str(month))


def generate(user, month, config):
    """Issue the month's 通报 with its 督办函, numbered in one transaction; the Bulletin. Refused with the reason
    when the month is not generated or not locked, or already has its 通报 (Exists)."""
    if user.role not in ("admin", "bureau"):
        raise PermissionDenied()
    refuse(month)
    try:
        fonts.register(config["PDF_FONT"])
    except fonts.FontMissing:
        raise ValidationError({"month": _("No Chinese font is installed to print the bulletin.")}) from None
    today = clock.today()
    data, units = content(month, config, today)
    rectify_by = date.fromisoformat(data["rectify_by"])
    reports_dir = Path(config["REPORTS_DIR"])
    folder = relative_dir(month)
    try:
        with database.atomic():
            if not summaries.is_locked(month):  # unlocked meanwhile
                refuse(month)
            seq = next_number(BULLETIN_SERIES, today.year)
            data["number"] = f"{data['authority']}控辍通报〔{today.year}〕{seq}号"
            pdf = render_bulletin(data, config["PDF_FONT"])
            bulletin = Bulletin.create(
                month=str(month),
                year=today.year,
                seq=seq,
                number=data["number"],
                issued_on=today,
                rectify_by=rectify_by,
                data=json.dumps(data, ensure_ascii=False, sort_keys=True),
                pdf_path=(folder / "bulletin.pdf").as_posix(),
                sha256=sha256_of(pdf),
                issued_by=user,
            )
            letters = []
            for unit in units:
                letter_seq = next_number(LETTER_SERIES, today.year)
                number = f"{data['authority']}督办〔{today.year}〕{letter_seq}号"
                printed = _letter_content(unit, data, number)
                letter = SupervisionLetter.create(
                    bulletin=bulletin,
                    unit_kind=unit["kind"],
                    unit_id=unit["id"],
                    township=unit["township_id"],
                    year=today.year,
                    seq=letter_seq,
                    number=number,
                    issues=json.dumps(printed, ensure_ascii=False, sort_keys=True),
                    due_on=rectify_by,
                    status="open",
                    pdf_path=(folder / f"letter-{letter_seq}.pdf").as_posix(),
                )
                letters.append((letter, render_letter(printed, config["PDF_FONT"])))
            audit.record(
                user,
                "create",
                "bulletin",
                bulletin.id,
                after={
                    "month": str(month),
                    "number": bulletin.number,
                    "letters": [letter.number for letter, _pdf in letters],
                },
            )
    except IntegrityError:  # another 通报 of the month was issued at the same moment
        refuse(month)
        raise
    store_file(reports_dir / bulletin.pdf_path, pdf)  # after the commit: a failed issue leaves no file
    for letter, letter_pdf in letters:
        store_file(reports_dir / letter.pdf_path, letter_pdf)
    return bulletin


def data_of(bulletin):
    return json.loads(bulletin.data)


def printed_of(letter):
    return json.loads(letter.issues)


def pdf_of(bulletin, config):
    """The 通报's PDF bytes: the archived file when it still holds what was issued, else printed again from the
    content kept (the same bytes)."""
    path = Path(config["REPORTS_DIR"]) / bulletin.pdf_path
    if path.is_file():
        stored = path.read_bytes()
        if sha256_of(stored) == bulletin.sha256:
            return stored
    pdf = render_bulletin(data_of(bulletin), config["PDF_FONT"])
    if sha256_of(pdf) == bulletin.sha256:
        store_file(path, pdf)  # the archive put back as issued
    return pdf


def letter_pdf_of(letter, config):
    """The 督办函's PDF bytes: the archived file, else printed again from the content kept."""
    path = Path(config["REPORTS_DIR"]) / letter.pdf_path
    if path.is_file():
        return path.read_bytes()
    pdf = render_letter(printed_of(letter), config["PDF_FONT"])
    store_file(path, pdf)
    return pdf


def of_month(month):
    """The month's 通报, or None."""
    return Bulletin.get_or_none(Bulletin.month == str(month))


def listed():
    return list(Bulletin.select().order_by(Bulletin.month.desc()))


def months_open():
    """The locked months without a 通报, newest first: those the bureau may issue one from."""
    issued = Bulletin.select(Bulletin.month)
    query = SummaryMonth.select().where(SummaryMonth.locked_at.is_null(False) & SummaryMonth.month.not_in(issued))
    return [row.month for row in query.order_by(SummaryMonth.month.desc())]
