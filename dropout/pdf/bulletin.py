"""通报 and 督办函 as A4 PDFs in the county's style (plain data in, bytes out): a red head (the issuer in red, the
number, a red rule), the title, the text and tables, the issuer and date over the seal, and the 印发 line."""

from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from dropout.pdf import fonts
from dropout.pdf.layout import FRAME_WIDTH, MARGINS, build_a4, cjk_style, draw_seal, stylesheet, table_grid

RED = colors.HexColor("#c8102e")
HEAD_FILL = colors.HexColor("#eeeeee")
NUMERALS = "一二三四五六七八九十"
KIND_WORDS = {"township": "乡镇", "school": "学校"}


def render_bulletin(data, body_font_path=None):
    """The 通报 (its content as kept in Bulletin.data); the same content gives the same bytes."""
    names = fonts.register(body_font_path)
    styles = _styles(names)
    story = [RedHead(f"{data['authority']}文件", data["number"], names.heading, names.body)]
    story += [Paragraph(escape(data["title"]), styles["title"]), Paragraph(escape(data["addressees"]), styles["to"])]
    story.append(Paragraph(escape(data["opening"]), styles["body"]))
    story.append(Paragraph("一、全县基本情况", styles["section"]))
    story.append(_county_table(data["county_table"], styles))
    story.append(Paragraph("二、存在问题的单位", styles["section"]))
    story.append(
        Paragraph(escape(f"有下列情形之一的单位予以通报，按存在问题项数排名：{data['rules']}。"), styles["body"])
    )
    lagging = data["lagging"]
    if not lagging:
        story.append(Paragraph("本月无被通报单位。", styles["body"]))
    for number, kind in enumerate(k for k in KIND_WORDS if any(u["kind"] == k for u in lagging)):
        units = [u for u in lagging if u["kind"] == kind]
        title = f"（{NUMERALS[number]}）被通报{KIND_WORDS[kind]}（{len(units)}个）"
        story += [Paragraph(title, styles["subsection"]), _lag_table(units, kind, styles)]
    story.append(Paragraph("三、工作要求", styles["section"]))
    body = [
        Paragraph(escape(f"（{NUMERALS[i]}）{text}"), styles["body"]) for i, text in enumerate(data["requirements"])
    ]
    ending = [Spacer(1, 6 * mm), SignOff(data["authority"], data["issued_text"], names.body)]
    story += body[:-1] + [KeepTogether(body[-1:] + ending)]
    story.append(Printed(f"{data['authority']}办公室", f"{data['issued_text']}印发", names.body))
    return build_a4(story, names, data["title"], data["authority"], MARGINS)


def render_letter(data, body_font_path=None):
    """One 督办函 (its content as kept in SupervisionLetter.issues); the same content gives the same bytes."""
    names = fonts.register(body_font_path)
    styles = _styles(names)
    story = [RedHead(f"{data['authority']}督办函", data["number"], names.heading, names.body)]
    story += [Paragraph(escape(data["title"]), styles["title"]), Paragraph(escape(data["addressee"]), styles["to"])]
    story += [Paragraph(escape(data["opening"]), styles["body"]), Spacer(1, 2 * mm)]
    story.append(_issue_table(data["issues"], styles))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(f"整改时限：{escape(data['due_text'])}前。", styles["deadline"]))
    body = [Paragraph(escape(text), styles["body"]) for text in data["demands"]]
    ending = [Spacer(1, 6 * mm), SignOff(data["authority"], data["issued_text"], names.body)]
    story += body[:-1] + [KeepTogether(body[-1:] + ending)]
    story.append(Printed(f"{data['authority']}办公室", f"{data['issued_text']}印发", names.body))
    return build_a4(story, names, data["title"], data["authority"], MARGINS)


def _styles(names):
    styles = stylesheet(names)
    body, heading = names.body, names.heading
    styles.update(
        title=cjk_style("b_title", heading, 18, 26, alignment=1, spaceBefore=4 * mm, spaceAfter=5 * mm),
        to=cjk_style("b_to", body, 12, 20, spaceAfter=1 * mm),
        section=cjk_style("b_section", heading, 12.5, 20, spaceBefore=3 * mm, spaceAfter=1.5 * mm),
        subsection=cjk_style("b_subsection", heading, 12, 19, spaceBefore=2 * mm, spaceAfter=1.5 * mm, keepWithNext=1),
        deadline=cjk_style("b_deadline", heading, 12, 19, textColor=RED),
        small=cjk_style("b_small", body, 10, 13),
        small_head=cjk_style("b_small_head", heading, 10, 13, alignment=1),
    )
    return styles


def _grid(styles, head_rows=1):
    return table_grid(styles) + [
        ("FONT", (0, 0), (-1, -1), styles["small"].fontName, 10, 13),
        ("BACKGROUND", (0, 0), (-1, head_rows - 1), HEAD_FILL),
        ("ALIGN", (0, 0), (-1, head_rows - 1), "CENTER"),
    ]


def _county_table(rows, styles):
    """The county's figures: a label, then primary, junior and all."""
    head = [Paragraph(text, styles["small_head"]) for text in ("项目", "小学", "初中", "合计")]
    body = [[Paragraph(escape(row[0]), styles["small"])] + [str(v) for v in row[1:]] for row in rows]
    number = 28 * mm
    table = Table([head] + body, colWidths=[FRAME_WIDTH - 3 * number] + [number] * 3, repeatRows=1)
    table.setStyle(TableStyle(_grid(styles) + [("ALIGN", (1, 1), (-1, -1), "RIGHT")]))
    return table


def _lag_table(units, kind, styles):
    """The lagging units of a kind, ranked: one row per rule broken, the rank and the unit spanning its rows."""
    township = kind == "school"
    titles = ["名次", KIND_WORDS[kind]] + (["所属乡镇"] if township else []) + ["存在问题", "数据", "标准"]
    rows, spans = [[Paragraph(t, styles["small_head"]) for t in titles]], []
    for unit in units:
        first = len(rows)
        for index, issue in enumerate(unit["issues"]):
            lead = [str(unit["rank"]), Paragraph(escape(unit["name"]), styles["small"])] if not index else ["", ""]
            if township:
                lead.append(Paragraph(escape(unit["township"]), styles["small"]) if not index else "")
            rows.append(
                lead
                + [
                    Paragraph(escape(issue["label"]), styles["small"]),
                    Paragraph(escape(issue["figure"]), styles["small"]),
                    Paragraph(escape(issue["standard"]), styles["small"]),
                ]
            )
        last = len(rows) - 1
        if last > first:
            spans += [("SPAN", (c, first), (c, last)) for c in range(3 if township else 2)]
    lead = [12 * mm, 30 * mm] + ([20 * mm] if township else [])
    rest = FRAME_WIDTH - sum(lead)
    widths = lead + [rest * 0.40, rest * 0.22, rest * 0.38]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(_grid(styles) + spans + [("ALIGN", (0, 1), (0, -1), "CENTER")]))
    return table


def _issue_table(issues, styles):
    head = [Paragraph(t, styles["small_head"]) for t in ("序号", "存在问题", "本月数据", "标准")]
    rows = [head] + [
        [
            str(i),
            Paragraph(escape(issue["label"]), styles["small"]),
            Paragraph(escape(issue["figure"]), styles["small"]),
            Paragraph(escape(issue["standard"]), styles["small"]),
        ]
        for i, issue in enumerate(issues, start=1)
    ]
    rest = FRAME_WIDTH - 12 * mm
    table = Table(rows, colWidths=[12 * mm, rest * 0.42, rest * 0.26, rest * 0.32], repeatRows=1)
    table.setStyle(TableStyle(_grid(styles) + [("ALIGN", (0, 1), (0, -1), "CENTER")]))
    return table


class RedHead(Flowable):
    """The red head (红头): the issuer's name in large red characters, the document number centred under it, and a
    red rule across the page."""

    def __init__(self, issuer, number, heading_font, body_font):
        super().__init__()
        self.issuer, self.number, self.heading_font, self.body_font = issuer, number, heading_font, body_font

    def wrap(self, available_width, available_height):
        self.width, self.height = available_width, 34 * mm
        return self.width, self.height

    def _issuer_size(self):
        """As large as fits the width, at most 30 points."""
        return min(30, self.width * 0.92 / max(len(self.issuer), 1))

    def draw(self):
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(RED)
        canvas.setFont(self.heading_font, self._issuer_size())
        canvas.drawCentredString(self.width / 2, self.height - 14 * mm, self.issuer)
        canvas.setFillColor(colors.black)
        canvas.setFont(self.body_font, 12)
        canvas.drawCentredString(self.width / 2, 9 * mm, self.number)
        canvas.setStrokeColor(RED)
        canvas.setLineWidth(1.6)
        canvas.line(0, 4 * mm, self.width, 4 * mm)
        canvas.restoreState()


class SignOff(Flowable):
    """The issuer and the date at the right, over the place of the seal."""

    radius = 20 * mm

    def __init__(self, authority, issued_text, font):
        super().__init__()
        self.authority, self.issued_text, self.font = authority, issued_text, font

    def wrap(self, available_width, available_height):
        self.width, self.height = available_width, 2 * self.radius + 4 * mm
        return self.width, self.height

    def draw(self):
        draw_seal(self.canv, self.font, self.authority, self.issued_text, self.width, self.height, self.radius)


class Printed(Flowable):
    """The 印发 line at the end: who printed it and when, between two rules."""

    def __init__(self, office, printed, font):
        super().__init__()
        self.office, self.printed, self.font = office, printed, font

    def wrap(self, available_width, available_height):
        self.width, self.height = available_width, 14 * mm
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        canvas.setLineWidth(0.8)
        canvas.line(0, 10 * mm, self.width, 10 * mm)
        canvas.line(0, 2 * mm, self.width, 2 * mm)
        canvas.setFont(self.font, 11)
        canvas.drawString(2 * mm, 4.8 * mm, self.office)
        canvas.drawRightString(self.width - 2 * mm, 4.8 * mm, self.printed)
