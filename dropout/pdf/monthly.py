"""控辍保学月报: a unit's month as an A4 PDF (MonthReportData in, bytes out): indicators, tables, trend, ranking."""

from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from dropout.pdf import fonts
from dropout.pdf.layout import build_a4, cjk_style

MARGINS = {"topMargin": 18 * mm, "bottomMargin": 24 * mm, "leftMargin": 20 * mm, "rightMargin": 20 * mm}
FRAME_WIDTH = A4[0] - MARGINS["leftMargin"] - MARGINS["rightMargin"]
NUMERALS = "一二三四五六七八九十"
HEADER_FILL = colors.HexColor("#E8E8E8")
NOT_MET = colors.HexColor("#B00000")
BAR_FILL = colors.HexColor("#5B7DB1")
LINE_STROKE = colors.HexColor("#C0392B")


def render_month_report(data, body_font_path=None):
    """One A4 PDF of the unit's month; the same data gives the same bytes."""
    names = fonts.register(body_font_path)
    styles = stylesheet(names)
    sections = [("主要指标", [indicator_table(data.indicators, styles)])]
    for table in data.tables:
        sections.append((table.title, [figure_table(table, styles)] + _note(table.note, styles)))
    sections.append((f"近12个月趋势（{data.trend_title}）", [trend_chart(data.trend, names.body)]))
    if data.ranking is not None:
        sections.append((data.ranking.title, [figure_table(data.ranking, styles)] + _note(data.ranking.note, styles)))
    sections[-1][1].extend(sign_off(styles))  # the signatures never stand alone on the last page
    story = header(data, styles)
    for number, (title, flowables) in enumerate(sections):
        heading = Paragraph(f"{_numeral(number + 1)}、{escape(title)}", styles["section"])
        story.append(KeepTogether([heading] + flowables))  # a heading never ends a page alone
    return build_a4(story, names, f"{data.title}（{data.month_text}）", data.county_name, MARGINS)


def stylesheet(names):
    """The named styles of the report, every one in the CJK fonts and wrapping between any two characters."""
    body, heading = names.body, names.heading
    return {
        "title": cjk_style("title", heading, 20, 28, alignment=TA_CENTER),
        "subtitle": cjk_style("subtitle", body, 12, 18, alignment=TA_CENTER, spaceAfter=3 * mm),
        "info": cjk_style("info", body, 9.5, 13),
        "info_right": cjk_style("info_right", body, 9.5, 13, alignment=TA_RIGHT),
        "section": cjk_style("section", heading, 12, 16, spaceBefore=4 * mm, spaceAfter=2 * mm),
        "head": cjk_style("head", heading, 8.5, 11, alignment=TA_CENTER),
        "label": cjk_style("label", body, 9, 11.5),
        "cell": cjk_style("cell", body, 9, 11.5, alignment=TA_RIGHT),
        "note": cjk_style("note", body, 8.5, 12, spaceBefore=1.5 * mm, textColor=colors.HexColor("#333333")),
        "sign": cjk_style("sign", body, 10.5, 16),
    }


def header(data, styles):
    """Title, month, and who and when: the unit, the period, when the figures were made and locked."""
    locked = f"已锁定（{data.locked_text}），数据不再变动" if data.locked_text else "未锁定，重新生成时数据可能更新"
    rows = [
        [
            Paragraph(f"统计单位：{escape(data.unit_name)}", styles["info"]),
            Paragraph(f"统计期间：{escape(data.period_text)}", styles["info_right"]),
        ],
        [
            Paragraph(f"数据生成：{escape(data.generated_text)}", styles["info"]),
            Paragraph(f"状态：{escape(locked)}", styles["info_right"]),
        ],
    ]
    info = Table(rows, colWidths=[FRAME_WIDTH * 0.45, FRAME_WIDTH * 0.55])
    info.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), styles["info"].fontName, styles["info"].fontSize),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("LINEBELOW", (0, -1), (-1, -1), 1.2, colors.black),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 3),
            ]
        )
    )
    return [
        Paragraph(escape(data.title), styles["title"]),
        Paragraph(f"（{escape(data.month_text)}）", styles["subtitle"]),
        info,
    ]


def indicator_table(rows, styles):
    """Each indicator: numerator, denominator, rate, threshold, whether it is met (达标 / 未达标; an estimate is
    never judged), whether it is a 一票否决 indicator, and the note (the children still needed, the intake)."""
    titles = ("指标", "分子", "分母", "比率", "标准", "结论", "一票否决", "说明")
    head = [Paragraph(text, styles["head"]) for text in titles]
    body, marks = [], []
    for index, row in enumerate(rows, start=1):
        sign = "≥" if row.higher_is_better else "≤"
        verdict = "估算" if row.is_estimate else {True: "达标", False: "未达标", None: "无数据"}[row.met]
        denominator = "—" if row.denominator is None else str(row.denominator)
        body.append(
            [
                Paragraph(escape(row.label), styles["label"]),
                str(row.numerator),
                denominator,
                _percent(row.rate),
                f"{sign}{row.threshold:.2f}%",
                verdict,
                "是" if row.is_veto else "",
                Paragraph(escape(row.note), styles["label"]),
            ]
        )
        if row.met is False:
            marks.append(("TEXTCOLOR", (5, index), (5, index), NOT_MET))
        if row.is_veto:
            marks.append(("TEXTCOLOR", (6, index), (6, index), NOT_MET))
    numbers = [13 * mm, 13 * mm, 17 * mm, 17 * mm, 14 * mm, 17 * mm]
    label_width = 42 * mm
    widths = [label_width] + numbers + [FRAME_WIDTH - label_width - sum(numbers)]
    table = Table([head] + body, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(_grid(styles, 1) + [("ALIGN", (5, 1), (6, -1), "CENTER")] + marks))
    return table


def figure_table(table, styles):
    """A ReportTable with its spanning headers; text columns share the width the numbers leave."""
    groups = list(table.groups)
    text_columns = {i for i in range(len(table.columns)) if any(isinstance(row[i], str) for row in table.rows)}
    if not table.rows:
        text_columns = {0}
    number_columns = max(1, len(table.columns) - len(text_columns))
    number_width = min(16 * mm, (FRAME_WIDTH - 42 * mm * len(text_columns)) / number_columns)
    text_width = (FRAME_WIDTH - number_width * (len(table.columns) - len(text_columns))) / len(text_columns)
    widths = [text_width if i in text_columns else number_width for i in range(len(table.columns))]
    head_rows, spans = [], []
    if groups:
        top, column = [], 0
        for label, span in groups:
            top += [Paragraph(escape(label), styles["head"])] + [""] * (span - 1)
            if span > 1:
                spans.append(("SPAN", (column, 0), (column + span - 1, 0)))
            elif not table.columns[column]:
                spans.append(("SPAN", (column, 0), (column, 1)))
            column += span
        head_rows.append(top)
    head_rows.append([Paragraph(escape(text), styles["head"]) if text else "" for text in table.columns])
    body = [[_cell(value, i in text_columns, styles) for i, value in enumerate(row)] for row in table.rows]
    result = Table(head_rows + body, colWidths=widths, repeatRows=len(head_rows))
    left = [("ALIGN", (i, len(head_rows)), (i, -1), "LEFT") for i in sorted(text_columns)]
    result.setStyle(TableStyle(_grid(styles, len(head_rows)) + spans + left))
    return result


def _cell(value, is_text, styles):
    if is_text:
        return Paragraph(escape("" if value is None else str(value)), styles["label"])
    if value is None:
        return "—"
    return _percent(value) if isinstance(value, float) else str(value)


def _percent(rate):
    return "—" if rate is None else f"{rate:.2f}%"


def _note(text, styles):
    return [Paragraph(escape(text), styles["note"])] if text else []


def _grid(styles, head_rows):
    cell = styles["cell"]
    return [
        ("FONT", (0, 0), (-1, -1), cell.fontName, cell.fontSize, cell.leading),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BOX", (0, 0), (-1, -1), 1, colors.black),
        ("BACKGROUND", (0, 0), (-1, head_rows - 1), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, head_rows), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]


def trend_chart(points, font):
    """Two charts, one above the other: dropouts still out at each month's end (bars), the dropout rate so far
    (line)."""
    labels = [point.label for point in points]
    still_out = [point.still_out for point in points]
    rates = [point.dropout_rate for point in points]
    bars = VerticalBarChart()
    bars.data = [still_out]
    bars.bars[0].fillColor, bars.bars[0].strokeColor = BAR_FILL, None
    bars.barLabelFormat = lambda n: "" if n is None else str(int(n))
    bars.barLabels.fontName, bars.barLabels.fontSize, bars.barLabels.nudge = font, 7, 5
    line = HorizontalLineChart()
    line.data = [rates]
    line.lines[0].strokeColor, line.lines[0].strokeWidth = LINE_STROKE, 1.2
    line.lines[0].symbol = makeMarker("FilledCircle", size=3.5, fillColor=LINE_STROKE, strokeColor=LINE_STROKE)
    line.joinedLines = sum(rate is not None for rate in rates) >= 2  # one point is a dot, not a line
    charts = (
        (bars, "月末在册辍学人数（人）", _top(max((n or 0) for n in still_out)), _count_label),
        (line, "学年累计辍学率（%）", _top(max((r or 0) for r in rates), fractions=True), _rate_label),
    )
    height = 50 * mm
    drawing = Drawing(FRAME_WIDTH, 2 * height, initialFontName=font)
    for index, (chart, title, top, label) in enumerate(charts):
        base = (1 - index) * height
        drawing.add(String(FRAME_WIDTH / 2, base + height - 11, title, fontName=font, fontSize=9, textAnchor="middle"))
        chart.x, chart.y = 12 * mm, base + 9 * mm
        chart.width, chart.height = FRAME_WIDTH - 16 * mm, height - 9 * mm - 18
        chart.categoryAxis.categoryNames = labels
        chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, top, top / 4
        chart.valueAxis.labelTextFormat = label
        chart.valueAxis.visibleGrid, chart.valueAxis.gridStrokeColor = 1, colors.HexColor("#CCCCCC")
        chart.valueAxis.gridStrokeWidth = 0.3
        for axis in (chart.categoryAxis, chart.valueAxis):
            axis.labels.fontName, axis.labels.fontSize = font, 7.5
        chart.categoryAxis.labels.dy = -2
        drawing.add(chart)
    # reportlab numbers a line's labels by drawn point, which skips the months without figures: label by hand.
    step = line.width / max(1, len(rates))
    for index, rate in enumerate(rates):
        if rate is not None:
            y = line.y + line.height * rate / line.valueAxis.valueMax + 4
            drawing.add(
                String(line.x + step * (index + 0.5), y, f"{rate:.2f}", fontName=font, fontSize=7, textAnchor="middle")
            )
    return drawing


def _top(value, fractions=False):
    """A round upper bound for an axis of 4 steps (…, 0.4, 0.8, 2, 4, 8, 20, …), so an empty chart still draws."""
    scale = 0.1 if fractions else 1
    while True:
        for top in (4 * scale, 8 * scale, 20 * scale):
            if value <= top:
                return round(top, 6)
        scale *= 10


def _count_label(value):
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _rate_label(value):
    return f"{value:g}"


def sign_off(styles):
    """Lines for the people who compile, check and answer for the report, the date it is sent, and the seal."""
    font = styles["sign"].fontName
    blank = (FRAME_WIDTH - 72 * mm) / 3
    rows = [
        ["填表人：", "", "审核人：", "", "单位负责人：", ""],
        ["报送日期：", "\u3000\u3000年\u3000\u3000月\u3000\u3000日", "", "", "（单位盖章）", ""],
    ]
    table = Table(rows, colWidths=[22 * mm, blank, 22 * mm, blank, 28 * mm, blank], rowHeights=[12 * mm, 12 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 10.5),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, colors.black),
                ("LINEBELOW", (3, 0), (3, 0), 0.6, colors.black),
                ("LINEBELOW", (5, 0), (5, 0), 0.6, colors.black),
                ("ALIGN", (1, 1), (1, 1), "LEFT"),
                ("SPAN", (4, 1), (5, 1)),
            ]
        )
    )
    return [Spacer(1, 6 * mm), table]


def _numeral(n):
    """1–99 as Chinese numerals for section headings: 一, 十, 十一, 二十三."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else NUMERALS[tens - 1]) + "十" if tens else "") + (NUMERALS[ones - 1] if ones else "")
