"""QR codes drawn as vector paths on a reportlab canvas, encoded by segno."""

import itertools

import segno

# Mask pattern 0 instead of a search of all eight: every mask is valid and decodes (the notice test scans at
# 75 dpi), and the search costs about 4.5 ms a code against 1.3 ms, a third of the time a notice and its
# 回证 take to lay out (scripts/bench_notices.py). Fixed, the same URL also always gives the same symbol.
MASK = 0


def qr_modules(value, border=2):
    """The QR code (level M, never raised) of `value` as rows of booleans, dark True, with `border` light modules
    around it."""
    code = segno.make(value, error="m", boost_error=False, micro=False, mask=MASK)
    return [[bool(module) for module in row] for row in code.matrix_iter(scale=1, border=border)]


def draw_qr(canvas, value, x, y, size, border=2):
    """A QR code of `value`, `size` square (quiet zone included) with its lower left corner at x, y: one filled
    path of rectangles, one for each run of dark modules in a row."""
    rows = qr_modules(value, border)
    count = len(rows)
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(size / count, size / count)  # one unit per module
    path = canvas.beginPath()
    for row, modules in enumerate(rows):
        column = 0
        for dark, run in itertools.groupby(modules):
            length = len(list(run))
            if dark:
                path.rect(column, count - 1 - row, length, 1)
            column += length
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
