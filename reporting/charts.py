"""Charts as SVG written on the server: bars, stacked bars and grouped bars, readable
without colour.

Each series is told apart by a pattern (solid, hatching, dots, crosses, lines) as well as
by its colour, every bar carries its value as text beside or above it, and a legend
names each pattern: a reader who cannot tell the colours apart, or prints the page in
black and white, reads the same chart. Each chart is an image (`role="img"`) named by
its `aria-label` and `<title>`, described by its `<desc>`; the page shows the same
figures as a table next to it, which is what a screen reader reads.

Pure functions: figures in, SVG markup out. Every text is escaped; the ids inside a
chart start with its `chart_id`, as several charts share one page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

SVG_NS = "http://www.w3.org/2000/svg"
INK = "#1a1a1a"
FONT = 13  # user units; the chart scales with the page's width
SMALL = 11  # the values above narrow bars
CHAR = 0.6 * FONT  # a character's width, near enough for DejaVu Sans
ROW = 30  # a horizontal bar's row
BAR_AREA = 420  # the longest bar
GROUP_WIDTH = 64  # a group of vertical bars
PLOT_HEIGHT = 180
PAD = 8
LEGEND_ROW = 22
INSIDE_MIN = 30  # a segment this wide or more shows its value inside


@dataclass(frozen=True)
class Style:
    """A series' look: a pattern drawn in `ink` on `paper`."""

    pattern: str
    paper: str
    ink: str


# Colours pass WCAG's 3:1 against white for the solid one and between ink and paper.
STYLES: tuple[Style, ...] = (
    Style("solid", "#0b5cad", "#0b5cad"),
    Style("diagonal", "#fde2c4", "#8a4200"),
    Style("dots", "#d3ecd5", "#1b6e20"),
    Style("cross", "#eadcf5", "#5b2a86"),
    Style("horizontal", "#fbd9df", "#9b1c31"),
    Style("vertical", "#d8eef3", "#0d5c6e"),
    Style("grid", "#eeeeee", "#4a4a4a"),
)
_MARKS = {
    "solid": "",
    "diagonal": '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{ink}" stroke-width="2"/>',
    "dots": '<circle cx="4" cy="4" r="1.8" fill="{ink}"/>',
    "cross": '<path d="M0,0 L8,8 M8,0 L0,8" stroke="{ink}" stroke-width="1.4"/>',
    "horizontal": '<path d="M0,4 H8" stroke="{ink}" stroke-width="2"/>',
    "vertical": '<path d="M4,0 V8" stroke="{ink}" stroke-width="2"/>',
    "grid": '<path d="M0,4 H8 M4,0 V8" stroke="{ink}" stroke-width="1.2"/>',
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as the reader reads it: "1 234", "42 j"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    texts: Sequence[str]  # each value as read, one per row or group


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def style_of(index: int) -> Style:
    return STYLES[index % len(STYLES)]


def pattern_id(chart_id: str, index: int) -> str:
    return f"{chart_id}-p{index % len(STYLES)}"


def bar_chart(chart_id: str, bars: Sequence[Bar], *, title: str, desc: str) -> Markup:
    """Horizontal bars, one per `bars`, each labelled on its left and valued on its right."""
    left = _label_width(b.label for b in bars)
    top = PAD
    scale = _scale(max((b.value for b in bars), default=0))
    body = []
    for row, bar in enumerate(bars):
        y = top + row * ROW
        length = bar.value * scale
        body.append(_row_label(left, y, bar.label))
        body.append(_rect(left, y + 5, length, ROW - 10, f"url(#{pattern_id(chart_id, 0)})"))
        body.append(_text(left + length + 6, y + ROW / 2, bar.text, anchor="start"))
    width = left + BAR_AREA + _label_width(b.text for b in bars) + PAD
    height = top + len(bars) * ROW + PAD
    return _svg(chart_id, width, height, title, desc, _patterns(chart_id, 1), body)


def stacked_bar_chart(
    chart_id: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    totals: Sequence[str],
    title: str,
    desc: str,
) -> Markup:
    """Horizontal bars, one per `labels`, each stacked from `series` (one pattern each),
    its total written at its end, each segment's value inside it when it fits."""
    left = _label_width(labels)
    legend, top = _legend(chart_id, series, PAD)
    sums = [sum(s.values[row] for s in series) for row in range(len(labels))]
    scale = _scale(max(sums, default=0))
    body = [legend]
    for row, label in enumerate(labels):
        y = top + row * ROW
        body.append(_row_label(left, y, label))
        x = float(left)
        for index, one in enumerate(series):
            length = one.values[row] * scale
            if length <= 0:
                continue
            body.append(_rect(x, y + 5, length, ROW - 10, f"url(#{pattern_id(chart_id, index)})"))
            if length >= max(INSIDE_MIN, len(one.texts[row]) * CHAR + 8):
                body.append(_boxed(x + length / 2, y + ROW / 2, one.texts[row]))
            x += length
        body.append(_text(x + 6, y + ROW / 2, totals[row], anchor="start", bold=True))
    width = max(left + BAR_AREA + _label_width(totals) + PAD, _legend_width(series))
    height = top + len(labels) * ROW + PAD
    return _svg(chart_id, width, height, title, desc, _patterns(chart_id, len(series)), body)


def grouped_bar_chart(
    chart_id: str, groups: Sequence[str], series: Sequence[Series], *, title: str, desc: str
) -> Markup:
    """Vertical bars side by side, one per series in each of `groups` (weeks), each with
    its value written upwards above it (none for a zero), its group's name below."""
    legend, top = _legend(chart_id, series, PAD)
    longest = max((len(t) for one in series for t in one.texts), default=0)
    top += longest * SMALL * 0.6 + 6  # room for the values above the tallest bars
    largest = max((value for one in series for value in one.values), default=0)
    scale = PLOT_HEIGHT / largest if largest > 0 else 0.0
    slot = (GROUP_WIDTH - 8) / max(len(series), 1)
    base = top + PLOT_HEIGHT
    body = [legend, f'<path d="M{PAD},{base} H{PAD + len(groups) * GROUP_WIDTH}" stroke="{INK}"/>']
    for column, group in enumerate(groups):
        x0 = PAD + column * GROUP_WIDTH + 4
        edge = PAD + column * GROUP_WIDTH
        body.append(f'<path d="M{edge},{base} v6" stroke="{INK}"/>')  # where a group starts
        for index, one in enumerate(series):
            height = max(one.values[column] * scale, 2.0)
            x = x0 + index * slot
            if one.values[column] <= 0:
                continue
            fill = f"url(#{pattern_id(chart_id, index)})"
            body.append(_rect(x, base - height, slot - 1, height, fill))
            body.append(_upwards(x + slot / 2, base - height - 3, one.texts[column]))
        body.append(_text(x0 + (GROUP_WIDTH - 8) / 2, base + FONT + 2, group, anchor="middle"))
    width = max(PAD * 2 + len(groups) * GROUP_WIDTH, _legend_width(series))
    height = base + FONT + 2 + PAD
    return _svg(chart_id, width, height, title, desc, _patterns(chart_id, len(series)), body)


# --- pieces ---------------------------------------------------------------------------


def _scale(largest: float) -> float:
    return BAR_AREA / largest if largest > 0 else 0.0


def _label_width(labels: Iterable[str]) -> int:
    return int(max((len(label) for label in labels), default=0) * CHAR) + 2 * PAD


def _svg(
    chart_id: str, width: float, height: float, title: str, desc: str, defs: str, body: list[str]
) -> Markup:
    ident = escape(chart_id)
    return Markup(
        f'<svg xmlns="{SVG_NS}" class="chart" id="{ident}" role="img" '
        f'aria-label="{escape(title)}" aria-describedby="{ident}-desc" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-size="{FONT}" fill="{INK}">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
        f"<defs>{defs}</defs>{''.join(body)}</svg>"
    )


def _patterns(chart_id: str, count: int) -> str:
    found = []
    for index in range(min(count, len(STYLES))):
        style = style_of(index)
        marks = _MARKS[style.pattern].format(ink=style.ink)
        found.append(
            f'<pattern id="{escape(pattern_id(chart_id, index))}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse" data-pattern="{style.pattern}">'
            f'<rect width="8" height="8" fill="{style.paper}"/>{marks}</pattern>'
        )
    return "".join(found)


def _legend(chart_id: str, series: Sequence[Series], top: float) -> tuple[str, float]:
    """The legend, one swatch and name per series on a row of its own; and where the
    plot starts below it."""
    items = []
    for index, one in enumerate(series):
        y = top + index * LEGEND_ROW
        fill = f"url(#{pattern_id(chart_id, index)})"
        items.append(_rect(PAD, y + 3, 28, LEGEND_ROW - 6, fill))
        items.append(_text(PAD + 36, y + LEGEND_ROW / 2, one.name, anchor="start"))
    return f'<g class="legend">{"".join(items)}</g>', top + len(series) * LEGEND_ROW + PAD


def _legend_width(series: Sequence[Series]) -> float:
    return PAD + 36 + max((len(s.name) for s in series), default=0) * CHAR + PAD


def _rect(x: float, y: float, width: float, height: float, fill: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{height:.1f}" '
        f'fill="{fill}" stroke="{INK}" stroke-width="1"/>'
    )


def _row_label(left: float, y: float, label: str) -> str:
    return _text(left - PAD, y + ROW / 2, label, anchor="end")


def _text(x: float, y: float, text: str, *, anchor: str, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" dominant-baseline="central"'
        f"{weight}>{escape(text)}</text>"
    )


def _upwards(x: float, y: float, text: str) -> str:
    """A small text read bottom to top, starting at (x, y): a narrow bar's value."""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" transform="rotate(-90 {x:.1f} {y:.1f})" '
        f'text-anchor="start" dominant-baseline="central" font-size="{SMALL}">'
        f"{escape(text)}</text>"
    )


def _boxed(x: float, y: float, text: str) -> str:
    """A value inside a patterned segment, on a white box so it stays legible."""
    width = len(text) * CHAR + 6
    return (
        f'<rect x="{x - width / 2:.1f}" y="{y - FONT / 2 - 1:.1f}" width="{width:.1f}" '
        f'height="{FONT + 2}" fill="#ffffff" rx="2"/>' + _text(x, y, text, anchor="middle")
    )
