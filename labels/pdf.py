"""A4 (or any) sheets of labels as PDF, for office printers and label stock.

Labels fill the sheet left to right, top to bottom, from position `start` (1 is the
top-left label), so that a sheet with some labels already peeled off can go back in
the printer. Bars are a whole number of the printer's dots (the layout's `dpi`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from functools import cache

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from db.errors import N_, Invalid
from labels import plan
from labels.content import LabelContent
from labels.layouts import SheetLayout
from remise import fonts

REGULAR, BOLD = "LabelSans", "LabelSans-Bold"


class BadStart(Invalid):
    code = "bad_label_start"
    message = N_("The first label position must be between 1 and %(last)s (labels on a sheet).")


@cache
def _register_fonts() -> dict[str, str]:
    files = fonts.sans()
    pdfmetrics.registerFont(TTFont(REGULAR, str(files.regular)))
    pdfmetrics.registerFont(TTFont(BOLD, str(files.bold)))
    return {} if files.is_dejavu else fonts.GLYPH_FALLBACKS


def _clean(text: str) -> str:
    return text.translate(str.maketrans(_register_fonts())) if _register_fonts() else text


class _Widths(dict[str, float]):
    """Glyph advances in thousandths of an em, as reportlab's TrueType font has them."""

    def __init__(self, font: str) -> None:
        super().__init__()
        self.font = font

    def __missing__(self, char: str) -> float:
        width = self[char] = pdfmetrics.stringWidth(_clean(char), self.font, 1000)
        return width


@cache
def _widths(bold: bool) -> _Widths:
    _register_fonts()
    return _Widths(BOLD if bold else REGULAR)


def measure(text: str, bold: bool, size: float) -> float:
    """Advance width in points, as reportlab sets it (a sum of glyph advances)."""
    return sum(map(_widths(bold).__getitem__, text)) * size / 1000


def box_of(layout: SheetLayout) -> plan.Box:
    return plan.Box(
        name=layout.name,
        width=layout.width_mm * mm,
        height=layout.height_mm * mm,
        per_mm=mm,
        dot=72 / layout.dpi,
        padding_mm=layout.padding_mm,
        barcode_mm=layout.barcode_mm,
        max_module_mm=layout.max_module_mm,
        code_pt=layout.code_pt,
        text_pt=layout.text_pt,
        min_text_pt=layout.min_text_pt,
    )


def arrange(layout: SheetLayout, content: LabelContent) -> plan.Plan:
    """One label's plan in points, measured as reportlab will set it."""
    _register_fonts()
    return plan.arrange(box_of(layout), content, measure)


def _bars(label: plan.Plan, left: float, top: float) -> str:
    """The bars as PDF path operators: one rectangle each, filled at once.

    Written as literal operators: reportlab's path object formats each number in a
    call of its own, which cost as much as the rest of the label.
    """
    bars = label.bars
    bottom, height = top - bars.y - bars.height, bars.height
    rects = " ".join(f"{left + x:.3f} {bottom:.3f} {w:.3f} {height:.3f} re" for x, w in bars.runs())
    return f"{rects} f"


def _draw(canvas: Canvas, label: plan.Plan, left: float, top: float) -> None:
    """Draw `label` with its top-left corner at (`left`, `top`) in PDF coordinates."""
    canvas.addLiteral(_bars(label, left, top))
    text = canvas.beginText()  # one text object per label: fewer operators than drawString
    for line in label.texts:
        text.setFont(BOLD if line.line.bold else REGULAR, line.line.size)
        text.setTextOrigin(left + line.x, top - line.baseline)
        text.textOut(_clean(line.line.text))
    canvas.drawText(text)


def positions(layout: SheetLayout, start: int, count: int) -> list[tuple[int, int, int]]:
    """`(page, column, row)` of each of `count` labels, the first at position `start`."""
    if not 1 <= start <= layout.per_page:
        raise BadStart(last=layout.per_page)
    slots = range(start - 1, start - 1 + count)
    return [
        (slot // layout.per_page, slot % layout.columns, slot % layout.per_page // layout.columns)
        for slot in slots
    ]


def pages_needed(layout: SheetLayout, start: int, count: int) -> int:
    return math.ceil((start - 1 + count) / layout.per_page) if count else 0


def render(
    layout: SheetLayout,
    contents: Sequence[LabelContent] | Iterable[LabelContent],
    start: int = 1,
    *,
    title: str = "Remise",
) -> bytes:
    """A PDF of sheets holding one label per content, from position `start`; `title` is
    what a PDF viewer shows (`labels.output.sheet` words it in the installation's
    language)."""
    contents = list(contents)
    places = positions(layout, start, len(contents))
    page_width, page_height = layout.page_width_mm * mm, layout.page_height_mm * mm
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(page_width, page_height), invariant=True, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("Remise")
    page = 0
    for content, (on_page, column, row) in zip(contents, places, strict=True):
        if on_page != page:
            canvas.showPage()
            page = on_page
        left = (layout.left_mm + column * layout.pitch_x_mm) * mm
        top = page_height - (layout.top_mm + row * layout.pitch_y_mm) * mm
        _draw(canvas, arrange(layout, content), left, top)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
