"""限期复学通知书 followed by its 送达回证, for a batch of notices, as one A4 PDF (NoticeData in, bytes out)."""
import io
import itertools
from functools import partial
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)

from dropout.pdf import fonts

PAGE_WIDTH = A4[0]
# GB/T 9704 asks for 37/35 mm top/bottom; a little less keeps a notice on one page.
MARGINS = dict(topMargin=25 * mm, bottomMargin=25 * mm, leftMargin=28 * mm, rightMargin=26 * mm)
FRAME_WIDTH = PAGE_WIDTH - MARGINS["leftMargin"] - MARGINS["rightMargin"]
BODY_SIZE = 12
SERVICE_METHODS = ("直接送达", "交成年家属代收", "留置送达", "邮寄", "电子送达")
PROXY_METHOD = "交成年家属代收"
BLANK_TIME = "\u3000" * 4 + "年\u3000\u3000月\u3000\u3000日\u3000\u3000时\u3000\u3000分"


def render_notices(notices, body_font_path=None):
    """One PDF with each notice and then its 送达回证; the same notices give the same bytes."""
    if not notices:
        raise ValueError("no notices to render")
    names = fonts.register(body_font_path)
    styles = stylesheet(names)
    story = []
    for notice in notices:
        story += notice_story(notice, styles) + [PageBreak()] + service_story(notice, styles) + [PageBreak()]
    return build_a4(story[:-1], names, notices[0].title, notices[0].authority)


def stylesheet(names):
    """The named paragraph styles of a notice, all in the CJK fonts and wrapping between any two characters."""
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


def notice_story(notice, styles):
    """The flowables of the notice itself: heading, addressee, details, body, contacts, seal and QR."""
    story = [
        Paragraph(escape(notice.authority), styles["authority"]),
        Paragraph(escape(notice.title), styles["title"]),
        Paragraph(escape(notice.number), styles["number"]),
    ]
    if notice.version_note:
        story.append(Paragraph(escape(notice.version_note), styles["version"]))
    addressee = f"{notice.guardian_name}（{notice.child_name}之{notice.guardian_relation}）："
    story += [Paragraph(escape(addressee), styles["addressee"]), details_table(notice, styles), Spacer(1, 3 * mm)]
    body = [Paragraph(escape(text), styles["body"]) for text in notice.paragraphs]
    # A seal alone on a page, with no text of the notice above it, would not be accepted (GB/T 9704).
    ending = body[-1:] + [Paragraph(escape(text), styles["contact"]) for text in notice.contacts]
    ending += [Spacer(1, 4 * mm), SignOff(notice, styles["cell"].fontName)]
    return story + body[:-1] + [KeepTogether(ending)]


def details_table(notice, styles):
    """The child and guardian particulars, four columns of label and value."""
    def value(text):
        return Paragraph(escape(text), styles["cell"])

    # Labels and fixed-format values are plain strings: far cheaper to lay out than paragraphs.
    rows = [
        ["学生姓名", value(notice.child_name), "性\u3000\u3000别", notice.child_sex],
        ["出生日期", notice.child_birth, "身份证号", notice.child_id_number],
        ["学校年级", value(notice.child_school), "", ""],
        ["监护人住址", value(notice.guardian_address), "", ""],
        ["联系电话", value(notice.guardian_phone), "", ""],
    ]
    table = Table(rows, colWidths=[24 * mm, 46 * mm, 22 * mm, FRAME_WIDTH - 92 * mm])
    spans = [("SPAN", (1, row), (3, row)) for row in (2, 3, 4)]
    table.setStyle(TableStyle(_grid(styles) + _labels(styles, 0) + _labels(styles, 2) + spans))
    return table


def service_story(notice, styles):
    """The 送达回证 page of a notice or a document: one bordered table, filled from `service` or left blank
    for a pen."""
    service = notice.service
    proxy = service.method == PROXY_METHOD
    font = styles["cell"].fontName

    def text(value):
        return Paragraph(escape(value), styles["cell"]) if value else ""

    def signed(*lines, height=14 * mm):
        return [text(line) for line in lines if line] + [SignHere(height, font)]

    rows = [
        ("送达机关", text(notice.authority)),
        ("送达文书名称及文号", text(f"《{notice.title}》{notice.number}")),
        ("受送达人", text(notice.addressee)),
        ("送达地点", text(service.place)),
        ("送达时间", text(service.served_at) or BLANK_TIME),
        ("送达方式", _methods(service.method) if service.method in SERVICE_METHODS + ("",) else text(service.method)),
        ("收件人签名或盖章", signed("" if proxy else service.recipient, height=20 * mm)),
        ("代收人及代收理由", signed(f"代收人：{service.recipient}" if proxy else "", height=14 * mm)),
        ("送达人签名", signed(service.server, height=14 * mm)),
        ("留置送达情况\n（拒收理由、\n见证人签名）", signed(
            f"拒收理由：{service.refusal_reason}", f"见证人：{'、'.join(service.witnesses)}")),
        ("备注", SignHere(22 * mm, font, "")),
    ]
    table = Table([list(row) for row in rows], colWidths=[44 * mm, FRAME_WIDTH - 44 * mm],
                  rowHeights=[12 * mm] * 6 + [None] * 5)
    box = [("BOX", (0, 0), (-1, -1), 1.2, colors.black)]
    table.setStyle(TableStyle(_grid(styles) + _labels(styles, 0) + box))
    return [Paragraph("送达回证", styles["title"]), table]


def _methods(chosen):
    """The five methods on two lines, the chosen one ticked."""
    boxes = [("■" if method == chosen else "□") + method for method in SERVICE_METHODS]
    return "\u3000\u3000".join(boxes[:3]) + "\n" + "\u3000\u3000".join(boxes[3:])


def _labels(styles, column):
    label = styles["label"]
    return [("FONT", (column, 0), (column, -1), label.fontName, label.fontSize, label.leading)]


def _grid(styles):
    return [
        ("FONT", (0, 0), (-1, -1), styles["cell"].fontName, styles["cell"].fontSize, styles["cell"].leading),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]


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


class SignOff(Flowable):
    """Bottom of the notice: verification QR code at the left; authority, date and seal placeholder at the right."""

    qr_size = 24 * mm
    seal_radius = 20 * mm

    def __init__(self, notice, font):
        super().__init__()
        self.notice, self.font = notice, font

    def wrap(self, available_width, available_height):
        self.width, self.height = available_width, 2 * self.seal_radius + 4 * mm
        return self.width, self.height

    def draw(self):
        canvas, notice = self.canv, self.notice
        draw_qr(canvas, notice.verify_url, 0, 6 * mm, self.qr_size)
        canvas.setFont(self.font, 8)
        canvas.drawString(1 * mm, 2 * mm, f"核验码：{notice.verify_code}")

        draw_seal(canvas, self.font, notice.authority, notice.issued_on, self.width, self.height, self.seal_radius)


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


class FixedMaskEncoder(qrencoder.QRCode):
    """reportlab's QR encoder with mask pattern 0 instead of a search of all eight.

    Every mask is valid and decodes (checked with zbarimg down to 75 dpi); the search, in pure
    Python, costs more than laying out the rest of the notice and its 回证 together.
    """

    def getBestMaskPattern(self):
        return 0


def draw_qr(canvas, value, x, y, size, border=2):
    """A QR code (level M) of `value`, `size` square with its lower left corner at x, y: one filled path."""
    encoder = FixedMaskEncoder(None, qrencoder.QRErrorCorrectLevel.M)
    encoder.addData(value)
    encoder.make()
    count = encoder.getModuleCount()
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(size / (count + 2 * border), size / (count + 2 * border))  # one unit per module
    path = canvas.beginPath()
    for row, modules in enumerate(encoder.modules):
        column = border
        for dark, run in itertools.groupby(modules):
            length = len(list(run))
            if dark:
                path.rect(column, count + border - 1 - row, length, 1)
            column += length
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


class NumberedCanvas(Canvas):
    """Keeps every page until the end so each footer can say how many pages the batch has (as pretix does)."""

    def __init__(self, *args, footer_font, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer_font = footer_font
        self._saved_page_states = []

    def showPage(self):
        self._saved_page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_page_states)
        for number, state in enumerate(self._saved_page_states, 1):
            self.__dict__.update(state)
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
    doc = SimpleDocTemplate(buffer, pagesize=A4, invariant=1, title=title, author=author, lang="zh-CN",
                            initialFontName=names.body, **margins)
    doc.build(story, canvasmaker=partial(NumberedCanvas, footer_font=names.body))
    return buffer.getvalue()
