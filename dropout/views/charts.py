"""Charts drawn on the server as inline SVG: no script, presentation attributes only (the CSP forbids
inline styles), scaled by the viewBox so they fit a phone."""

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 28


def _scale(values, floor=0.0):
    top = max([v for v in values if v is not None] + [floor])
    if top <= 0:
        return 1.0
    step = 10 ** (len(str(int(top))) - 1) if top >= 1 else 0.1
    return (int(top / step) + 1) * step


def _frame(title, body, top, suffix):
    """The axes, three gridlines with their values, and the body."""
    plot_h = HEIGHT - TOP - BOTTOM
    lines = []
    for i in range(4):
        value = top * i / 3
        y = TOP + plot_h - plot_h * i / 3
        text = f"{value:.1f}{suffix}" if suffix else f"{value:.0f}"
        lines.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" class="axis">{text}</text>'
        )
    return Markup(
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(lines)}{body}</svg>"
    )


def bars(title, points, suffix=""):
    """A bar per (label, value), value written above it."""
    top = _scale([v for _l, v in points])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    parts = []
    for i, (label, value) in enumerate(points):
        x = LEFT + slot * i + slot * 0.15
        h = plot_h * (value or 0) / top
        y = TOP + plot_h - h
        shown = "—" if value is None else (f"{value:.1f}{suffix}" if suffix else f"{value}")
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" class="bar"/>'
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle" class="value">'
            f"{shown}</text>"
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - 10}" text-anchor="middle" class="axis">'
            f"{escape(label)}</text>"
        )
    return _frame(title, "".join(parts), top, suffix)


def line(title, points, suffix="%"):
    """A line through the (label, value) points that have a value; every label stays on the axis."""
    top = _scale([v for _l, v in points])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)
    coords, parts = [], []
    for i, (label, value) in enumerate(points):
        x = LEFT + slot * (i + 0.5)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle" class="axis">{escape(label)}</text>')
        if value is None:
            continue
        y = TOP + plot_h - plot_h * value / top
        coords.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot"/>'
            f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle" class="value">{value:.2f}</text>'
        )
    if len(coords) > 1:
        parts.insert(0, f'<polyline points="{" ".join(coords)}" class="line"/>')
    return _frame(title, "".join(parts), top, suffix)
