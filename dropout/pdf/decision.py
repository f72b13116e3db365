"""A decision after a missed deadline (行政处罚决定书 and the like), laid out like the notice: data in, bytes out."""
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from dropout.pdf import fonts
from dropout.pdf.notice import build_a4, draw_seal, stylesheet


class Seal(Flowable):
    """Authority, date and the place for the seal, at the foot of the decision."""

    radius = 20 * mm

    def __init__(self, decision, font):
        super().__init__()
        self.decision, self.font = decision, font

    def wrap(self, available_width, available_height):
        self.width, self.height = available_width, 2 * self.radius + 4 * mm
        return self.width, self.height

    def draw(self):
        draw_seal(self.canv, self.font, self.decision.authority, self.decision.issued_on, self.width, self.height, self.radius)


def render_decision(decision, body_font_path=None):
    """One A4 PDF of the decision; the same data gives the same bytes."""
    names = fonts.register(body_font_path)
    styles = stylesheet(names)
    body = [Paragraph(escape(text), styles["body"]) for text in decision.paragraphs]
    story = [
        Paragraph(escape(decision.authority), styles["authority"]),
        Paragraph(escape(decision.title), styles["title"]),
        Paragraph(escape(decision.number), styles["number"]),
        Paragraph(escape(decision.party), styles["addressee"]),
        *body[:-1],
        KeepTogether(body[-1:] + [Spacer(1, 6 * mm), Seal(decision, names.body)]),
    ]
    return build_a4(story, names, decision.title, decision.authority)
