"""The reports' PDF look, in one place: A4 geometry, the typeface (registered once), the
palette and paragraph styles of the receipts and certificates, and the one table drawer
of the reports (`table`): a header row, figures aligned right, an optional total row.

It follows the donation receipt and the erasure certificate (same margins, typeface and
colours) so that the papers a donor gets from the association look alike.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, Table, TableStyle

from remise import fonts, pdf

MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 15 * mm, 14 * mm, 22 * mm
FOOTER_RULE_Y, FOOTER_LINE_Y, FOOTER_LEDGER_Y = 15 * mm, 11 * mm, 7.5 * mm
WIDTH = A4[0] - 2 * MARGIN_X
HEIGHT = A4[1] - MARGIN_TOP - MARGIN_BOTTOM
KEEP_WITH_HEADING = 35 * mm  # a heading starts a new page unless this much follows it
CELL_PADDING = 2.5
SIZE_FOOTER, SIZE_LEDGER = 7, 6

FONT, FONT_BOLD = "ReportSans", "ReportSans-Bold"
INK, MUTED = colors.HexColor("#1B2631"), colors.HexColor("#5D6D7E")
FAINT, ACCENT = colors.HexColor("#95A5A6"), colors.HexColor("#1F3A5F")
RULE, STRIPE = colors.HexColor("#C8D0D8"), colors.HexColor("#F2F5F8")
HEADER_BG, NOTE_BG = colors.HexColor("#E4EAF1"), colors.HexColor("#EEF3F8")

BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, textColor=INK)
ORG = ParagraphStyle("org", BODY, fontName=FONT_BOLD, textColor=ACCENT, leading=13)
TITLE = ParagraphStyle("title", BODY, fontName=FONT_BOLD, fontSize=16, leading=20, spaceBefore=2)
DONOR = ParagraphStyle("donor", BODY, fontName=FONT_BOLD, fontSize=12, leading=15, spaceBefore=4)
META = ParagraphStyle("meta", BODY, textColor=MUTED)
H2 = ParagraphStyle(
    "h2", BODY, fontName=FONT_BOLD, fontSize=10.5, leading=14, textColor=ACCENT,
    spaceBefore=12, spaceAfter=4,
)  # fmt: skip
NOTE = ParagraphStyle("note", BODY, fontSize=8, leading=10.5, spaceBefore=4)
SMALL = ParagraphStyle("small", NOTE, textColor=MUTED)
CELL = ParagraphStyle("cell", BODY, fontSize=8, leading=10)
CELL_BOLD = ParagraphStyle("cell_bold", CELL, fontName=FONT_BOLD, textColor=ACCENT)
CELL_RIGHT = ParagraphStyle("cell_right", CELL, alignment=2)
CELL_RIGHT_BOLD = ParagraphStyle("cell_right_bold", CELL_BOLD, alignment=2)
CELL_SMALL = ParagraphStyle("cell_small", CELL, fontSize=7, leading=8.5)
# wordWrap CJK: a URL may break anywhere, it has no spaces
URL = ParagraphStyle("url", SMALL, spaceBefore=0, leftIndent=10, wordWrap="CJK")

_PADDINGS = ("LEFTPADDING", "RIGHTPADDING", "TOPPADDING", "BOTTOMPADDING")
_GRID = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    *[(side, (0, 0), (-1, -1), CELL_PADDING) for side in _PADDINGS],
    ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
    ("LINEBELOW", (0, 0), (-1, 0), 0.75, ACCENT),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
]
NOTE_BOX = TableStyle(
    [("BACKGROUND", (0, 0), (-1, -1), NOTE_BG), ("BOX", (0, 0), (-1, -1), 0.5, ACCENT)]
    + [(side, (0, 0), (-1, -1), 6) for side in _PADDINGS]
)


@functools.cache
def glyphs() -> frozenset[str]:
    """Registers the reports' font family once; returns the characters it can draw."""
    family = fonts.sans()
    pdfmetrics.registerFont(TTFont(FONT, str(family.regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(family.bold)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)
    return frozenset(chr(code) for code in pdfmetrics.getFont(FONT).face.charToGlyph)


def printable(text: str) -> str:
    return pdf.printable(text, glyphs())


def para(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    """User or translated text as a paragraph: on one line, escaped, drawable."""
    return Paragraph(escape(printable(pdf.one_line(text))), style)


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    total: Sequence[str] | None = None,
    figures: Sequence[int] = (),
    small_from: int | None = None,
) -> Table:
    """A report's table: the header on a tinted row (repeated on each page), the
    `figures` columns aligned right, stripes, and `total` in bold under a rule; the
    columns from `small_from` on in a smaller type (sources, long texts)."""

    def cell(text: str, column: int, *, bold: bool = False) -> Paragraph:
        right = column in figures
        if bold:
            return para(text, CELL_RIGHT_BOLD if right else CELL_BOLD)
        small = small_from is not None and column >= small_from
        return para(text, CELL_RIGHT if right else CELL_SMALL if small else CELL)

    body = [[cell(text, i) for i, text in enumerate(row)] for row in rows]
    data = [[cell(text, i, bold=True) for i, text in enumerate(header)], *body]
    commands = list(_GRID)
    if total is not None:
        data.append([cell(text, i, bold=True) for i, text in enumerate(total)])
        commands += [
            ("LINEABOVE", (0, -1), (-1, -1), 0.75, ACCENT),
            ("ROWBACKGROUNDS", (0, 1), (-1, -2), [None, STRIPE]),
        ]
    else:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, STRIPE]))
    return Table(data, colWidths=list(widths), style=TableStyle(commands), repeatRows=1)
