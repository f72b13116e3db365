"""What the printed documents share: the A4 page with its numbered footer and CJK paragraph styles for all of
them; the official-document styles, the seal and the 送达回证 form for the notice and the penalty documents.

Each document module (notice, document, monthly) imports its layout from here, never from another document.
"""

import io
from functools import partial
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

PAGE_WIDTH = A4[0]
# The official documents (notice, penalty documents). GB/T 9704 asks for 37/35 mm top/bottom; a little less
# keeps a notice on one page.
MARGINS = {"topMargin": 25 * mm, "bottomMargin": 25 * mm, "leftMargin": 28 * mm, "rightMargin": 26 * mm}
FRAME_WIDTH = PAGE_WIDTH - MARGINS["leftMargin"] - MARGINS["rightMargin"]
BODY_SIZE = 12
SERVICE_METHODS = ("直接送达", "交成年家属代收", "留置送达", "邮寄", "电子送达")
PROXY_METHOD = "交成年家属代收"
BLANK_TIME = "\u3000" * 4 + "年\u3000\u3000月\u3000\u3000日\u3000\u3000时\u3000\u3000分"


# The page, for every document.


class NumberedCanvas(Canvas):
    """Keeps every page until the end so each footer can say how many pages the batch has (as pretix does).
    A flowable may set `page_mark`, a callable drawing over the page (a 作废 stamp): it marks every page from the
    flowable's own until another sets it again."""

    def __init__(self, *args, footer_font, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer_font = footer_font
        self._saved_page_states = []
        self.page_mark = None

    def showPage(self):
        self._saved_page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_page_states)
        for number, state in enumerate(self._saved_page_states, 1):
            self.__dict__.update(state)
            if self.page_mark is not None:
                self.page_mark(self)
            self.setFont(self._footer_font, 9)
            self.drawCentredString(PAGE_WIDTH / 2, 16 * mm, f"第 {number} 页 共 {total} 页")
            super().showPage()
        super().save()


def cjk_style(name, font, size, leading, **kw):
    """A paragraph style in a CJK font, wrapping between any two characters."""
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)


def build_a4(story, names, title, author, margins=MARGINS):
    """The story as A4 PDF bytes, footers numbered 第 x 页 共 y 页; invariant: the same story, the same bytes."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        invariant=1,
        title=title,
        author=author,
        lang="zh-CN",
        initialFontName=names.body,
        **margins,
    )
    doc.build(story, canvasmaker=partial(NumberedCanvas, footer_font=names.body))
    return buffer.getvalue()


# The official documents: the notice and the documents of the penalty chain.


def stylesheet(names):
    """The named paragraph styles of an official document, all in the CJK fonts and wrapping between any two
    characters."""
    body, heading = names.body, names.heading
    return {
        "authority": cjk_style("authority", heading, 16, 24, alignment=TA_CENTER),
        "title": cjk_style("title", heading, 22, 30, alignment=TA_CENTER, spaceBefore=2 * mm, spaceAfter=5 * mm),
        "number": cjk_style("number", body, BODY_SIZE, 18, alignment=TA_RIGHT),
        "version": cjk_style("version", body, 10, 14, alignment=TA_RIGHT, textColor=colors.HexColor("#444444")),
        "addressee": cjk_style("addressee", body, BODY_SIZE, 21, spaceBefore=3 * mm, spaceAfter=2 * mm),
        "label": cjk_style("label", heading, 10.5, 14),
        "cell": cjk_style("cell", body, 11, 15),
        "body": cjk_style("body", body, BODY_SIZE, 19, alignment=TA_JUSTIFY, firstLineIndent=2 * BODY_SIZE),
        "contact": cjk_style("contact", body, BODY_SIZE, 19, firstLineIndent=2 * BODY_SIZE),
    }


def table_grid(styles):
    """A ruled table in the cell font, its contents centred vertically."""
    return [
        ("FONT", (0, 0), (-1, -1), styles["cell"].fontName, styles["cell"].fontSize, styles["cell"].leading),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]


def label_column(styles, column):
    """The table style that sets a column of labels in the label font."""
    label = styles["label"]
    return [("FONT", (column, 0), (column, -1), label.fontName, label.fontSize, label.leading)]


def draw_seal(canvas, font, authority, issued_on, width, height, radius):
    """The issuing authority and date at the right, in a dashed circle where the seal goes."""
    # The date sits two characters in from the right edge, the authority centred above it.
    date_right = width - 2 * BODY_SIZE
    centre = date_right - stringWidth(issued_on, font, BODY_SIZE) / 2
    canvas.setFont(font, BODY_SIZE)
    canvas.drawCentredString(centre, height / 2 + 3 * mm, authority)
    canvas.drawRightString(date_right, height / 2 - 5 * mm, issued_on)
    canvas.saveState()
    canvas.setStrokeColor(colors.HexColor("#999999"))
    canvas.setDash(3, 2)
    canvas.circle(centre, height / 2, radius, stroke=1, fill=0)
    canvas.setFillColor(colors.HexColor("#999999"))
    canvas.setFont(font, 9)
    canvas.drawCentredString(centre, height / 2 - radius + 4 * mm, "（盖章）")
    canvas.restoreState()


class SignHere(Flowable):
    """Room for a handwritten signature, with the date to fill in at the bottom right."""

    def __init__(self, height, font, date="年\u3000\u3000月\u3000\u3000日"):
        super().__init__()
        self.height, self.font, self.date = height, font, date

    def wrap(self, available_width, available_height):
        self.width = available_width
        return self.width, self.height

    def draw(self):
        self.canv.setFont(self.font, 11)
        self.canv.drawRightString(self.width, 0, self.date)


def service_story(document, styles):
    """The 送达回证 page of a notice or a penalty document: one bordered table, filled from `service` or left
    blank for a pen."""
    service = document.service
    proxy = service.method == PROXY_METHOD
    font = styles["cell"].fontName

    def text(value):
        return Paragraph(escape(value), styles["cell"]) if value else ""

    def signed(*lines, height=14 * mm):
        return [text(line) for line in lines if line] + [SignHere(height, font)]

    rows = [
        ("送达机关", text(document.authority)),
        ("送达文书名称及文号", text(f"《{document.title}》{document.number}")),
        ("受送达人", text(document.addressee)),
        ("送达地点", text(service.place)),
        ("送达时间", text(service.served_at) or BLANK_TIME),
        ("送达方式", _methods(service.method) if service.method in SERVICE_METHODS + ("",) else text(service.method)),
        ("收件人签名或盖章", signed("" if proxy else service.recipient, height=20 * mm)),
        ("代收人及代收理由", signed(f"代收人：{service.recipient}" if proxy else "", height=14 * mm)),
        ("送达人签名", signed(service.server, height=14 * mm)),
        (
            "留置送达情况\n（拒收理由、\n见证人签名）",
            signed(f"拒收理由：{service.refusal_reason}", f"见证人：{'、'.join(service.witnesses)}"),
        ),
        ("备注", SignHere(22 * mm, font, "")),
    ]
    table = Table(
        [list(row) for row in rows], colWidths=[44 * mm, FRAME_WIDTH - 44 * mm], rowHeights=[12 * mm] * 6 + [None] * 5
    )
    box = [("BOX", (0, 0), (-1, -1), 1.2, colors.black)]
    table.setStyle(TableStyle(table_grid(styles) + label_column(styles, 0) + box))
    return [Paragraph("送达回证", styles["title"]), table]


def _methods(chosen):
    """The five methods on two lines, the chosen one ticked."""
    boxes = [("■" if method == chosen else "□") + method for method in SERVICE_METHODS]
    return "\u3000\u3000".join(boxes[:3]) + "\n" + "\u3000\u3000".join(boxes[3:])
