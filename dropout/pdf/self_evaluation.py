"""控辍保学工作自评材料: a school year's self-evaluation extract as an A4 PDF (SelfEvaluation in, bytes out): the
indicators against their thresholds with the 一票否决 flags, the three 台账's completeness, the 通报 and 督办函."""

from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer, Table, TableStyle

from dropout.pdf import fonts
from dropout.pdf.data import IndicatorRow
from dropout.pdf.layout import build_a4, cjk_style, stylesheet, table_grid

MARGINS = {"topMargin": 20 * mm, "bottomMargin": 24 * mm, "leftMargin": 18 * mm, "rightMargin": 18 * mm}
FRAME_WIDTH = A4[0] - MARGINS["leftMargin"] - MARGINS["rightMargin"]
HEADER_FILL = colors.HexColor("#E8E8E8")
NOT_MET = colors.HexColor("#B00000")
LISTED = 50  # rows of a completeness list printed; the workbook holds them all
LETTER_STATUSES = {"open": "办理中", "answered": "已答复待审核", "accepted": "已办结"}


@dataclass(frozen=True)
class CaseLine:
    """A case in a completeness list, as the workbook and the PDF print it (the ID number masked)."""

    case_id: int
    name: str
    id_number: str
    township: str
    village: str
    school: str
    issue: str  # what fails: no_cadre, no_teacher, no_one, last_visit, never_visited, or the closure's code
    on: date | None  # the last visit, the case's opening (never visited), or the closure's day
    note: str  # the issue in Chinese, as printed: 缺乡镇责任人, 最近劝返2026年10月2日, 迁出（2026年11月3日销号）…


@dataclass(frozen=True)
class Gap:
    """One completeness check of the 台账 and the cases that fail it."""

    code: str  # unassigned, unvisited, unproven
    title: str  # 缺双线责任人的案件
    sheet: str  # the workbook's tab
    rule: str  # the check, in a sentence
    cases: tuple  # CaseLine


@dataclass(frozen=True)
class BulletinLine:
    number: str
    month: str  # 2026-10
    issued_on: date
    rectify_by: date
    letters: int


@dataclass(frozen=True)
class LetterLine:
    number: str
    unit: str  # 城关镇, 城关镇中心小学
    month: str  # its 通报's month (2026-10)
    due_on: date
    status: str  # open, answered, accepted
    is_overdue: bool


@dataclass(frozen=True)
class SelfEvaluation:
    """Everything the extract holds, already in Chinese where it is printed."""

    county_name: str
    year: int  # the school year's first calendar year
    as_of: date  # the day the 台账 checks are read on: today, or the school year's last day when it is over
    month: str  # the month the indicators are from (2026-10), "" when no month of the year was generated
    month_locked: bool
    indicators: tuple  # (code, IndicatorRow), in display order
    gaps: tuple  # Gap, in order
    bulletins: tuple  # BulletinLine, by month
    letters: tuple  # LetterLine, by number

    @property
    def title(self):
        return f"{self.county_name}{self.year}—{self.year + 1}学年控辍保学工作自评材料"

    @property
    def judged(self):
        """The indicators judged against a threshold (an estimate or a rate without data is not)."""
        return [row for _code, row in self.indicators if row.met is not None]

    @property
    def met(self):
        return sum(1 for row in self.judged if row.met)

    @property
    def vetoed(self):
        """The 一票否决 indicators missed."""
        return [row for row in self.judged if row.is_veto and not row.met]

    def letter_count(self, status=None):
        return sum(1 for letter in self.letters if status is None or letter.status == status)

    @property
    def overdue(self):
        return sum(1 for letter in self.letters if letter.is_overdue)


def month_text(month):
    return f"{int(month[:4])}年{int(month[5:])}月"


def figures_note(data):
    """Which month the indicators are from, and whether it is locked."""
    if not data.month:
        return "本学年尚无生成的月度数据，无法计算指标。"
    if data.month_locked:
        return f"指标取自本学年最后一个已锁定月份{month_text(data.month)}的冻结数据。"
    return f"本学年尚无锁定月份，指标取自最近生成的{month_text(data.month)}数据（未锁定，数据可能变动）。"


def indicator_summary(data):
    if not data.judged:
        return "无可判断的指标。"
    veto_rows = [row for _code, row in data.indicators if row.is_veto]
    if not veto_rows:
        veto = "未设一票否决项"
    elif data.vetoed:
        veto = f"一票否决项未达标{len(data.vetoed)}项（{'、'.join(row.label for row in data.vetoed)}）"
    else:
        veto = f"一票否决项{len(veto_rows)}项均达标"
    return f"指标达标{data.met}/{len(data.judged)}，{veto}。"


def gap_summary(data):
    parts = [f"{gap.title}{len(gap.cases)}件" for gap in data.gaps]
    return "；".join(parts) + "。"


def supervision_summary(data):
    answered, still = data.letter_count("answered"), data.letter_count("open")
    return (
        f"本学年印发通报{len(data.bulletins)}期；督办函{data.letter_count()}件，已办结{data.letter_count('accepted')}件，"
        f"已答复待审核{answered}件，办理中{still}件，其中逾期{data.overdue}件。"
    )


def verdict(row):
    if row.is_estimate:
        return "估算"
    return {True: "达标", False: "未达标", None: "无数据"}[row.met]


def rate_text(row: IndicatorRow):
    return "—" if row.rate is None else f"{row.rate:.2f}%"


def threshold_text(row: IndicatorRow):
    return f"{'≥' if row.higher_is_better else '≤'}{row.threshold:.2f}%"


def render_self_evaluation(data, body_font_path=None):
    """One A4 PDF of the extract; the same data gives the same bytes."""
    names = fonts.register(body_font_path)
    styles = _styles(names)
    story = [
        KeepTogether(
            [
                Paragraph(escape(data.title), styles["heading"]),
                Paragraph(f"（材料截至{_day(data.as_of)}）", styles["subtitle"]),
                _section("一、指标达成情况", styles),
                Paragraph(escape(figures_note(data)), styles["note"]),
                Paragraph(escape(indicator_summary(data)), styles["summary"]),
            ]
        )
    ]
    if data.indicators:
        story.append(_indicator_table(data, styles))
    gaps = [_section("二、三本台账完整性", styles), Paragraph(escape(gap_summary(data)), styles["summary"])]
    story.append(KeepTogether(gaps))
    for number, gap in enumerate(data.gaps, start=1):
        story.extend(_gap(number, gap, styles))
    story.append(
        KeepTogether([_section("三、通报与督办", styles), Paragraph(supervision_summary(data), styles["summary"])])
    )
    story.extend(_supervision(data, styles))
    return build_a4(story, names, data.title, data.county_name, MARGINS)


def _styles(names):
    """The official stylesheet (its cell font) and the extract's own headings and notes."""
    styles = stylesheet(names)
    body, heading = names.body, names.heading
    styles.update(
        {
            "heading": cjk_style("heading", heading, 18, 26, alignment=TA_CENTER),
            "subtitle": cjk_style("subtitle", body, 11, 16, alignment=TA_CENTER, spaceAfter=3 * mm),
            "section": cjk_style("section", heading, 13, 18, spaceBefore=5 * mm, spaceAfter=2 * mm),
            "subsection": cjk_style("subsection", heading, 11, 15, spaceBefore=3 * mm, spaceAfter=1.5 * mm),
            "summary": cjk_style("summary", body, 11, 16, spaceAfter=2 * mm),
            "note": cjk_style("note", body, 9, 13, textColor=colors.HexColor("#333333"), spaceAfter=1 * mm),
            "head": cjk_style("head", heading, 9, 12, alignment=TA_CENTER),
            "small": cjk_style("small", body, 9, 12),
        }
    )
    return styles


def _section(title, styles):
    return Paragraph(title, styles["section"])


def _grid(rows, widths, styles, extra=()):
    """A ruled table with a shaded header row that repeats on every page."""
    table = Table(rows, colWidths=[FRAME_WIDTH * w for w in widths], repeatRows=1)
    small = styles["small"]
    table.setStyle(
        TableStyle(
            table_grid(styles)
            + [
                ("FONT", (0, 0), (-1, -1), small.fontName, small.fontSize, small.leading),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                *extra,
            ]
        )
    )
    return table


def _head(titles, styles):
    return [Paragraph(text, styles["head"]) for text in titles]


def _text(value, styles):
    return Paragraph(escape(value), styles["small"]) if value else ""


def _indicator_table(data, styles):
    rows = [_head(("指标", "分子", "分母", "比率", "标准", "结论", "一票否决", "说明"), styles)]
    marks = []
    for index, (_code, row) in enumerate(data.indicators, start=1):
        rows.append(
            [
                _text(row.label, styles),
                str(row.numerator),
                "—" if row.denominator is None else str(row.denominator),
                rate_text(row),
                threshold_text(row),
                verdict(row),
                "是" if row.is_veto else "",
                _text(row.note, styles),
            ]
        )
        if row.met is False:
            marks.append(("TEXTCOLOR", (5, index), (5, index), NOT_MET))
    widths = (0.24, 0.08, 0.08, 0.09, 0.1, 0.08, 0.1, 0.23)
    aligned = [("ALIGN", (1, 1), (4, -1), "RIGHT"), ("ALIGN", (5, 1), (6, -1), "CENTER")]
    return _grid(rows, widths, styles, aligned + marks)


def _gap(number, gap, styles):
    heading = Paragraph(f"（{number}）{escape(gap.title)}：{len(gap.cases)}件", styles["subsection"])
    rule = Paragraph(escape(gap.rule), styles["note"])
    if not gap.cases:
        return [KeepTogether([heading, rule, Paragraph("无。", styles["summary"])])]
    rows = [_head(("序号", "姓名", "身份证号", "乡镇", "村（社区）", "学校", "案号", "说明"), styles)]
    for index, case in enumerate(gap.cases[:LISTED], start=1):
        rows.append(
            [
                str(index),
                _text(case.name, styles),
                case.id_number,
                _text(case.township, styles),
                _text(case.village, styles),
                _text(case.school, styles),
                str(case.case_id),
                _text(case.note, styles),
            ]
        )
    widths = (0.06, 0.09, 0.2, 0.08, 0.12, 0.17, 0.06, 0.22)
    story = [CondPageBreak(50 * mm), heading, rule, _grid(rows, widths, styles)]  # a heading keeps a few rows
    if len(gap.cases) > LISTED:
        more = f"以上列出前{LISTED}件，共{len(gap.cases)}件，完整名单见工作簿“{gap.sheet}”表。"
        story += [Spacer(1, 1.5 * mm), Paragraph(more, styles["note"])]
    return story


def _supervision(data, styles):
    story = [Paragraph("（一）通报", styles["subsection"])]
    if data.bulletins:
        rows = [_head(("文号", "月份", "印发日期", "整改期限", "督办函"), styles)]
        rows += [
            [_text(b.number, styles), month_text(b.month), _day(b.issued_on), _day(b.rectify_by), str(b.letters)]
            for b in data.bulletins
        ]
        story.append(_grid(rows, (0.34, 0.14, 0.2, 0.2, 0.12), styles))
    else:
        story.append(Paragraph("本学年未印发通报。", styles["summary"]))
    story.append(Paragraph("（二）督办函", styles["subsection"]))
    if data.letters:
        rows = [_head(("文号", "督办单位", "通报月份", "办理期限", "状态"), styles)]
        marks = []
        for index, letter in enumerate(data.letters, start=1):
            state = LETTER_STATUSES[letter.status] + ("（逾期）" if letter.is_overdue else "")
            rows.append(
                [
                    _text(letter.number, styles),
                    _text(letter.unit, styles),
                    month_text(letter.month),
                    _day(letter.due_on),
                    state,  # plain text, so an overdue letter's state can be coloured
                ]
            )
            if letter.is_overdue:
                marks.append(("TEXTCOLOR", (4, index), (4, index), NOT_MET))
        story.append(_grid(rows, (0.32, 0.22, 0.14, 0.16, 0.16), styles, marks))
    else:
        story.append(Paragraph("本学年无督办函。", styles["summary"]))
    return story


def _day(day):
    return f"{day.year}年{day.month}月{day.day}日"
