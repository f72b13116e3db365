"""自评材料: a school year's self-evaluation extract for the bureau, as plain data (pdf/self_evaluation.SelfEvaluation).

- The county's indicators from the frozen figures of the school year's last locked month (the monthly report's
  rows: value, threshold, met, 一票否决), else of its last generated month, said to be unlocked.
- The 台账's completeness, read from the 台账's own queries (reporting/ledgers.py) on the reference day (today,
  or the school year's last day once it is over): the cases open during the year without both responsible
  persons (a suspected case ruled "not a dropout" needs none), the open out-of-school cases whose last 劝返
  visit (or, never visited, their opening) is more than 30 days old, and the cases closed during the year other
  than as "not a dropout" without an approved 销号 request (a closure made before sign-off existed has none).
- The 通报 of the year's months and their 督办函: each letter's state, overdue when not accepted past its due day.
"""

from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _

from .. import choices
from ..config import thresholds, veto_indicators
from ..core.errors import ValidationError
from ..db import read_snapshot
from ..models import Bulletin, ClosureRequest, DropoutCase, School, SummaryMonth, SupervisionLetter, Township
from ..pdf.self_evaluation import BulletinLine, CaseLine, Gap, LetterLine, SelfEvaluation
from ..rules.case_status import VISITING_STATUSES
from ..rules.indicators import official
from ..rules.school_age import school_year
from . import ledgers, summaries
from .data import month_report_data
from .figures import Month

FIRST_YEAR = 2000
VISIT_DAYS = 30  # an open out-of-school case is visited at least this often
COLUMNS = {name: index for index, (name, _width) in enumerate(ledgers.HEADERS)}  # a 台账 row's cells by header
GAPS = (
    (
        "unassigned",
        "缺双线责任人的案件",
        "缺责任人",
        "本学年在办（含本学年销号）的案件，未同时明确乡镇包案干部和包案教师（经核实“非辍学”的除外）。",
    ),
    (
        "unvisited",
        f"{VISIT_DAYS}天内未走访的失学案件",
        f"{VISIT_DAYS}天未走访",
        f"仍在失学（辍学、劝返中、限期复学、逾期）的案件，最近一次劝返（从未劝返的按立案日）距截至日已超过{VISIT_DAYS}天。",
    ),
    (
        "unproven",
        "销号无佐证的案件",
        "销号无佐证",
        "本学年销号的案件（排除经核实“非辍学”的），没有经双线责任人签字、乡镇审核通过的销号申请及佐证材料。",
    ),
)


def parse_year(text, today):
    """A school year given as its first calendar year ('2026' for 2026—2027), from 2000 to the current one;
    ValidationError otherwise. An empty text is the current school year."""
    current = school_year(today)
    text = (text or "").strip()
    if not text:
        return current
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        example = _("Give the school year as its first year, for example %(year)d.", year=current)
        raise ValidationError({"year": example})
    year = int(text)
    if not FIRST_YEAR <= year <= current:
        raise ValidationError(
            {"year": _("Choose a school year from %(first)d to %(last)d.", first=FIRST_YEAR, last=current)}
        )
    return year


def years(today):
    """The school years offered, newest first: the current one back to the first with generated figures."""
    first = SummaryMonth.select(SummaryMonth.month).order_by(SummaryMonth.month).first()
    earliest = school_year(Month.parse(first.month).first) if first else school_year(today)
    return list(range(school_year(today), min(earliest, school_year(today)) - 1, -1))


def figures_month(year):
    """(the month the year's indicators are from, whether it is locked): its last locked month, else its last
    generated one; (None, False) when none of its months was generated."""
    months = SummaryMonth.select().where(SummaryMonth.month.between(f"{year:04d}-09", f"{year + 1:04d}-08"))
    locked = months.where(SummaryMonth.locked_at.is_null(False)).order_by(SummaryMonth.month.desc()).first()
    if locked is not None:
        return Month.parse(locked.month), True
    latest = months.order_by(SummaryMonth.month.desc()).first()
    return (Month.parse(latest.month), False) if latest is not None else (None, False)


def build(user, year, today, config):
    """The self-evaluation extract of school year `year` for the bureau (the whole county, as `user` sees it)."""
    as_of = min(today, date(year + 1, 8, 31))
    month, locked = figures_month(year)
    bulletins, letters = _supervision(year, today)
    return SelfEvaluation(
        county_name=config["COUNTY_NAME"],
        year=year,
        as_of=as_of,
        month=str(month) if month else "",
        month_locked=locked,
        indicators=_indicators(month, config) if month else (),
        gaps=_gaps(user, year, as_of),
        bulletins=bulletins,
        letters=letters,
    )


def _indicators(month, config):
    """(code, IndicatorRow) of the county's month: the monthly report's rows, with the codes they come from."""
    cells = summaries.figures_of(month, "county", 0)
    found = official(cells, thresholds(config), summaries.intake_of(month, "county", 0), veto_indicators(config))
    rows = month_report_data(month, "county", 0, config).indicators
    return tuple((indicator.code, row) for indicator, row in zip(found, rows, strict=True))


def _gaps(user, year, as_of):
    """The three completeness checks (GAPS), each with its cases sorted by place and name."""
    end = date(year + 1, 8, 31)
    facts = {
        row[0]: row[1:]
        for row in DropoutCase.select(
            DropoutCase.id,
            DropoutCase.status,
            DropoutCase.closed_kind,
            DropoutCase.cadre,
            DropoutCase.teacher,
            DropoutCase.opened_on,
        ).tuples()
    }
    approved = ClosureRequest.select(ClosureRequest.case).where(ClosureRequest.status == "approved")
    proven = {case_id for (case_id,) in approved.tuples()}
    with force_locale("zh_CN"):
        closures = {code: str(label) for code, label in {**choices.CLOSURES, **choices.DERIVED_CLOSURES}.items()}
    found = {code: [] for code, *_rest in GAPS}
    for closed, case_id, line in _ledger_rows(user, as_of):
        status, closure, cadre, teacher, opened_on = facts[case_id]
        opened_on, closed_on = _day_of(opened_on), _day_of(line[COLUMNS["销号日期"]])
        if opened_on > end or (closed and closed_on > end):
            continue  # opened, or closed, after the school year
        place = (line[COLUMNS["姓名"]], line[COLUMNS["身份证号"]], *_places(line))
        if closure != "not_dropout" and None in (cadre, teacher):
            issue = "no_one" if cadre is None and teacher is None else ("no_cadre" if cadre is None else "no_teacher")
            found["unassigned"].append(CaseLine(case_id, *place, issue, None, ASSIGNED[issue]))
        if not closed and status in VISITING_STATUSES:
            last = _day_of(line[COLUMNS["最近劝返日期"]])
            if (as_of - (last or opened_on)).days > VISIT_DAYS:
                found["unvisited"].append(_unvisited(case_id, place, last, opened_on))
        if closed and closure != "not_dropout" and case_id not in proven:
            note = f"{closures.get(closure, closure or '')}（{_chinese(closed_on)}销号）"
            found["unproven"].append(CaseLine(case_id, *place, closure or "", closed_on, note))
    return tuple(Gap(code, title, sheet, rule, _sorted(found[code])) for code, title, sheet, rule in GAPS)


def _ledger_rows(user, as_of):
    """(closed, case id, the row's Chinese cells) of every case in the 疑似 and 辍学 台账 on `as_of`: the open
    rows, then those closed since the school year began, all read on the same cases."""
    cells = ledgers.row_maker()  # Chinese, ID numbers masked
    everything = ledgers.LedgerFilters()
    with read_snapshot():
        for book in ledgers.BOOKS:
            for closed in (False, True):
                for row in ledgers.query(user, book, everything, as_of, closed).tuples():
                    yield (closed, *cells(0, row))


def _sorted(lines):
    return tuple(sorted(lines, key=lambda c: (c.township, c.village, c.name, c.case_id)))


ASSIGNED = {"no_one": "缺乡镇包案干部和包案教师", "no_cadre": "缺乡镇包案干部", "no_teacher": "缺包案教师"}


def _unvisited(case_id, place, last, opened_on):
    if last is None:
        return CaseLine(case_id, *place, "never_visited", opened_on, f"立案（{_chinese(opened_on)}）以来未劝返")
    return CaseLine(case_id, *place, "last_visit", last, f"最近劝返{_chinese(last)}")


def _places(line):
    return line[COLUMNS["乡镇"]], line[COLUMNS["村（社区）"]], line[COLUMNS["学校"]]


def _day_of(value):
    """A date from a 台账 cell (YYYY-MM-DD, or empty) or a stored date (SQLite may give its text)."""
    if not value:
        return None
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _chinese(day):
    return f"{day.year}年{day.month}月{day.day}日"


def _supervision(year, today):
    """(BulletinLine, LetterLine) of the 通报 of the school year's months and their 督办函."""
    bulletins = list(
        Bulletin.select().where(Bulletin.month.between(f"{year:04d}-09", f"{year + 1:04d}-08")).order_by(Bulletin.month)
    )
    if not bulletins:
        return (), ()
    months = {b.id: b.month for b in bulletins}
    letters = list(
        SupervisionLetter.select()
        .where(SupervisionLetter.bulletin.in_(list(months)))
        .order_by(SupervisionLetter.year, SupervisionLetter.seq)
    )
    names = {
        "township": dict(Township.select(Township.id, Township.name).tuples()),
        "school": dict(School.select(School.id, School.name).tuples()),
    }
    sent = {b.id: sum(1 for letter in letters if letter.bulletin_id == b.id) for b in bulletins}
    return (
        tuple(BulletinLine(b.number, b.month, b.issued_on, b.rectify_by, sent[b.id]) for b in bulletins),
        tuple(
            LetterLine(
                letter.number,
                names.get(letter.unit_kind, {}).get(letter.unit_id, ""),
                months[letter.bulletin_id],
                letter.due_on,
                letter.status,
                letter.status != "accepted" and letter.due_on < today,
            )
            for letter in letters
        ),
    )
