"""限期复学通知书 followed by its 送达回证, for a batch of notices, as one A4 PDF (NoticeData in, bytes out)."""
import io
from functools import partial
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dropout.pdf import fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
# GB/T 9704 asks for 37/35 mm top/bottom; a little less keeps a notice on one page.
MARGINS = dict(topMargin=30 * mm, bottomMargin=28 * mm, leftMargin=28 * mm, rightMargin=26 * mm)
FRAME_WIDTH = PAGE_WIDTH - MARGINS["leftMargin"] - MARGINS["rightMargin"]
BODY_SIZE = 12
SERVICE_METHODS = ("直接送达", "交成年家属代收", "留置送达", "邮寄", "电子送达")
PROXY_METHOD = "交成年家属代收"
# Paragraph collapses runs of spaces (U+3000 too); no-break spaces keep room to write in by hand.
GAP = "\u00a0" * 4
BLANK_TIME = GAP * 2 + "年" + GAP + "月" + GAP + "日" + GAP + "时" + GAP + "分"


def render_notices(notices, body_font_path=None):
    """One PDF with each notice and then its 送达回证; the same notices give the same bytes."""
    if not notices:
        raise ValueError("no notices to render")
    names = fonts.register(body_font_path)
    styles = stylesheet(names)
    story = []
    for notice in notices:
        story += notice_story(notice, styles) + [PageBreak()] + service_story(notice, styles) + [PageBreak()]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, invariant=1, title=notices[0].title, author=notices[0].authority,
        lang="zh-CN", initialFontName=names.body, **MARGINS,
    )
    doc.build(story[:-1], canvasmaker=partial(NumberedCanvas, footer_font=names.body))
    return buffer.getvalue()


def stylesheet(names):
    """The named paragraph styles of a notice, all in the CJK fonts and wrapping between any two characters."""
    def style(name, font, size, leading, **kw):
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)

    body, heading = names.body, names.heading
    return {
        "authority": style("authority", heading, 16, 24, alignment=TA_CENTER),
        "title": style("title", heading, 22, 30, alignment=TA_CENTER, spaceBefore=2 * mm, spaceAfter=5 * mm),
        "number": style("number", body, BODY_SIZE, 18, alignment=TA_RIGHT),
        "version": style("version", body, 10, 14, alignment=TA_RIGHT, textColor=colors.HexColor("#444444")),
        "addressee": style("addressee", body, BODY_SIZE, 21, spaceBefore=3 * mm, spaceAfter=2 * mm),
        "label": style("label", heading, 10.5, 14),
        "cell": style("cell", body, 11, 15),
        "cell_right": style("cell_right", body, 11, 15, alignment=TA_RIGHT),
        "body": style("body", body, BODY_SIZE, 21, alignment=TA_JUSTIFY, firstLineIndent=2 * BODY_SIZE),
        "contact": style("contact", body, BODY_SIZE, 21, alignment=TA_LEFT, firstLineIndent=2 * BODY_SIZE),
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
    def label(text):
        return Paragraph(text, styles["label"])

    def value(text):
        return Paragraph(escape(text), styles["cell"])

    rows = [
        [label("学生姓名"), value(notice.child_name), label("性\u00a0\u00a0\u00a0\u00a0别"), value(notice.child_sex)],
        [label("出生日期"), value(notice.child_birth), label("身份证号"), value(notice.child_id_number)],
        [label("学校年级"), value(notice.child_school), "", ""],
        [label("监护人住址"), value(notice.guardian_address), "", ""],
        [label("联系电话"), value(notice.guardian_phone), "", ""],
    ]
    table = Table(rows, colWidths=[24 * mm, 46 * mm, 22 * mm, FRAME_WIDTH - 92 * mm])
    table.setStyle(TableStyle(_grid(styles) + [("SPAN", (1, row), (3, row)) for row in (2, 3, 4)]))
    return table


def service_story(notice, styles):
    """The 送达回证 page: one bordered table, filled from the recorded service or left blank for a pen."""
    service = notice.service
    proxy = service.method == PROXY_METHOD

    def text(value, placeholder=""):
        return Paragraph(escape(value) if value else placeholder, styles["cell"])

    def signed(*lines, height=14 * mm):
        return [text(line) for line in lines if line] + [Spacer(1, height), Paragraph(f"年{GAP}月{GAP}日", styles["cell_right"])]

    rows = [
        ("送达机关", text(notice.authority)),
        ("送达文书名称及文号", text(f"《{notice.title}》{notice.number}")),
        ("受送达人", text(f"{notice.guardian_name}（{notice.child_name}之{notice.guardian_relation}）")),
        ("送达地点", text(service.place)),
        ("送达时间", text(service.served_at, BLANK_TIME)),
        ("送达方式", Paragraph(_methods(service.method), styles["cell"])),
        ("收件人签名或盖章", signed("" if proxy else service.recipient, height=18 * mm)),
        ("代收人及代收理由", signed(f"代收人：{service.recipient}" if proxy else "", height=12 * mm)),
        ("送达人签名", signed(service.server, height=12 * mm)),
        ("留置送达情况（拒收理由、见证人签名）", signed(
            f"拒收理由：{service.refusal_reason}", f"见证人：{'、'.join(service.witnesses)}")),
        ("备注", [Spacer(1, 22 * mm)]),
    ]
    table = Table(
        [[Paragraph(label, styles["label"]), value] for label, value in rows],
        colWidths=[44 * mm, FRAME_WIDTH - 44 * mm],
        rowHeights=[12 * mm] * 6 + [None] * 5,
    )
    table.setStyle(TableStyle(_grid(styles) + [("BOX", (0, 0), (-1, -1), 1.2, colors.black)]))
    return [Paragraph("送达回证", styles["title"]), table]


def _methods(chosen):
    """The five methods with the chosen one ticked; an unlisted method is printed as recorded."""
    if chosen and chosen not in SERVICE_METHODS:
        return escape(chosen)
    boxes = [("■" if method == chosen else "□") + method for method in SERVICE_METHODS]
    return GAP.join(boxes[:3]) + "<br/>" + GAP.join(boxes[3:])


def _grid(styles):
    return [
        ("FONTNAME", (0, 0), (-1, -1), styles["cell"].fontName),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]


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
        # The flowable QrCode paints straight onto the canvas; a QrCodeWidget in a Drawing would also
        # put an unused, unembedded Times-Roman into the file.
        qr = QrCode(notice.verify_url, width=self.qr_size, height=self.qr_size, qrBorder=2, qrLevel="M")
        qr.drawOn(canvas, 0, 6 * mm)
        canvas.setFont(self.font, 8)
        canvas.drawString(1 * mm, 2 * mm, f"核验码：{notice.verify_code}")

        # The date sits two characters in from the right edge, the authority centred above it.
        date_right = self.width - 2 * BODY_SIZE
        centre = date_right - stringWidth(notice.issued_on, self.font, BODY_SIZE) / 2
        canvas.setFont(self.font, BODY_SIZE)
        canvas.drawCentredString(centre, self.height / 2 + 3 * mm, notice.authority)
        canvas.drawRightString(date_right, self.height / 2 - 5 * mm, notice.issued_on)
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.setDash(3, 2)
        canvas.circle(centre, self.height / 2, self.seal_radius, stroke=1, fill=0)
        canvas.setFillColor(colors.HexColor("#999999"))
        canvas.setFont(self.font, 9)
        canvas.drawCentredString(centre, self.height / 2 - self.seal_radius + 4 * mm, "（盖章）")
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
