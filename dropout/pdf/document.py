"""A document of the penalty chain (行政处罚事先告知书, 行政处罚决定书), laid out like the notice and
followed by its own 送达回证: data in, bytes out."""

from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer

from dropout.pdf import fonts
from dropout.pdf.layout import build_a4, draw_seal, service_story, stylesheet


class Seal(Flowable):
    """Authority, date and the place for the seal, at the foot of the document."""

    radius = 20 * mm

    def __init__(self, document, font):
        super().__init__()
        self.document, self.font = document, font

    def wrap(self, available_width, available_height):
        self.width, self.height = available_width, 2 * self.radius + 4 * mm
        return self.width, self.height

    def draw(self):
        draw_seal(
            self.canv, self.font, self.document.authority, self.document.issued_on, self.width, self.height, self.radius
        )


def render_document(document, body_font_path=None):
    """One A4 PDF: the document, then its 送达回证; the same data gives the same bytes."""
    names = fonts.register(body_font_path)
    styles = stylesheet(names)
    body = [Paragraph(escape(text), styles["body"]) for text in document.paragraphs]
    story = [
        Paragraph(escape(document.authority), styles["authority"]),
        Paragraph(escape(document.title), styles["title"]),
        Paragraph(escape(document.number), styles["number"]),
        Paragraph(escape(document.party), styles["addressee"]),
        *body[:-1],
        # A seal alone on a page, with no text above it, would not be accepted (GB/T 9704).
        KeepTogether(body[-1:] + [Spacer(1, 6 * mm), Seal(document, names.body)]),
        PageBreak(),
        *service_story(document, styles),
    ]
    return build_a4(story, names, document.title, document.authority)
