"""限期复学通知书 followed by its 送达回证, for a batch of notices, as one A4 PDF (NoticeData in, bytes out)."""

from functools import partial
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from dropout.pdf import fonts
from dropout.pdf.layout import (
    FRAME_WIDTH,
    MARGINS,
    build_a4,
    draw_seal,
    label_column,
    service_story,
    stylesheet,
    table_grid,
)
from dropout.pdf.qr import draw_qr

VOID_RED = colors.HexColor("#c8102e")


def render_notices(notices, body_font_path=None, progress=None):
    """One PDF with each notice and then its 送达回证; the same notices give the same bytes.
    `progress(done, total)`, when given, is told as each notice's pages are laid out."""
    if not notices:
        raise ValueError("no notices to render")
    names = fonts.register(body_font_path)
    styles = stylesheet(names)
    story = []
    for number, notice in enumerate(notices, start=1):
        mark = partial(draw_void, names.heading, notice.void_note) if notice.void_note else None
        story += [PageMark(mark)] + notice_story(notice, styles) + [PageBreak()] + service_story(notice, styles)
        if progress is not None:
            story.append(_Tick(progress, number, len(notices)))
        story.append(PageBreak())
    return build_a4(story[:-1], names, notices[0].title, notices[0].authority, MARGINS)


class _Tick(Flowable):
    """Draws nothing; tells `progress` that the notices before it are laid out."""

    def __init__(self, progress, done, total):
        super().__init__()
        self.progress, self.done, self.total = progress, done, total

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.progress(self.done, self.total)


class PageMark(Flowable):
    """Draws nothing where it stands; sets what is drawn over each page from this one on (see NumberedCanvas), so
    a notice and its 送达回证 carry their own mark, or none, however many pages they take."""

    def __init__(self, mark):
        super().__init__()
        self.mark = mark

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv.page_mark = self.mark


def draw_void(font, note, canvas):
    """A large red 作废 stamp across the middle of the page, and in the top margin what replaced the notice (in the
    margin, so the notice keeps the pages it was issued on)."""
    canvas.saveState()
    canvas.setFillColor(VOID_RED)
    canvas.setFont(font, 11)
    canvas.drawCentredString(A4[0] / 2, A4[1] - 15 * mm, f"本通知书已作废，不再执行：{note}")
    canvas.translate(A4[0] / 2, A4[1] / 2)
    canvas.rotate(30)
    canvas.setFillColor(VOID_RED, alpha=0.45)
    canvas.setStrokeColor(VOID_RED, alpha=0.45)
    canvas.setLineWidth(4)
    canvas.roundRect(-62 * mm, -24 * mm, 124 * mm, 58 * mm, 6 * mm, stroke=1, fill=0)
    canvas.setFont(font, 120)
    canvas.drawCentredString(0, -12 * mm, "作废")
    canvas.restoreState()


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
    table.setStyle(TableStyle(table_grid(styles) + label_column(styles, 0) + label_column(styles, 2) + spans))
    return table


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
