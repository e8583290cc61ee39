"""The certificate's look, in one place: page geometry, fonts and the characters they can
draw, colours, paragraph and table styles. It follows the donation receipt (same margins,
typeface and palette), so that the papers a donor gets from the association look alike."""

from __future__ import annotations

import functools

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import TableStyle

from db.errors import N_
from remise import fonts, pdf

MARGIN_X = 15 * mm
MARGIN_TOP = 14 * mm
MARGIN_BOTTOM = 22 * mm  # leaves room for the two footer lines
FOOTER_RULE_Y = 15 * mm
FOOTER_LINE_Y = 11 * mm
FOOTER_LEDGER_Y = 7.5 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN_X
CONTENT_HEIGHT = A4[1] - MARGIN_TOP - MARGIN_BOTTOM
CELL_PADDING = 2.5
KEEP_WITH_HEADING = 30 * mm  # a heading starts a new page unless this much follows it
MAX_CELL_CHARS = 240  # a garbage 5,000-character model would make a row taller than a page
QR_SIZE = 30 * mm  # scans from a phone held at arm's length, printed or on screen
VERIFY_BOX_WIDTH = 62 * mm

FONT, FONT_BOLD = "CertificateSans", "CertificateSans-Bold"
GLYPH_FALLBACKS = fonts.GLYPH_FALLBACKS  # stand-ins for what Vera lacks

INK = colors.HexColor("#1B2631")
MUTED = colors.HexColor("#5D6D7E")
FAINT = colors.HexColor("#95A5A6")
ACCENT = colors.HexColor("#1F3A5F")
RULE = colors.HexColor("#C8D0D8")
HEADER_BG = colors.HexColor("#E4EAF1")
DEVICE_BG = colors.HexColor("#F2F5F8")
ALERT_INK = colors.HexColor("#A93226")
ALERT_BG = colors.HexColor("#FBEAE8")
WAIT_INK = colors.HexColor("#9A5B00")
NOTE_BG = colors.HexColor("#EEF3F8")
PASSED_INK = colors.HexColor("#1E6B3A")

SIZE_TITLE, SIZE_BODY, SIZE_SMALL, SIZE_TABLE = 16, 9, 8, 7
SIZE_CODE = 17
SIZE_FOOTER, SIZE_LEDGER = 7, 6

STYLE_BODY = ParagraphStyle("body", fontName=FONT, fontSize=SIZE_BODY, leading=12, textColor=INK)
STYLE_ORG = ParagraphStyle("org", STYLE_BODY, fontName=FONT_BOLD, textColor=ACCENT, leading=13)
STYLE_TITLE = ParagraphStyle(
    "title", STYLE_BODY, fontName=FONT_BOLD, fontSize=SIZE_TITLE, leading=20, spaceBefore=2
)
STYLE_META = ParagraphStyle("meta", STYLE_BODY, textColor=MUTED)
STYLE_H2 = ParagraphStyle(
    "h2", STYLE_BODY, fontName=FONT_BOLD, fontSize=10.5, leading=14, textColor=ACCENT,
    spaceBefore=10, spaceAfter=2,
)  # fmt: skip
STYLE_ALERT = ParagraphStyle("alert", STYLE_BODY, fontName=FONT_BOLD, textColor=ALERT_INK)
STYLE_NOTE = ParagraphStyle("note", STYLE_BODY, fontSize=SIZE_SMALL, leading=10.5, spaceBefore=4)
STYLE_SMALL = ParagraphStyle("small", STYLE_NOTE, spaceBefore=0)
STYLE_CODE_LABEL = ParagraphStyle(
    "code_label", STYLE_BODY, fontSize=SIZE_SMALL, leading=10, textColor=MUTED, alignment=1
)
STYLE_CODE = ParagraphStyle(
    "code", STYLE_BODY, fontName=FONT_BOLD, fontSize=SIZE_CODE, leading=21, textColor=ACCENT,
    alignment=1,
)  # fmt: skip
STYLE_URL = ParagraphStyle(
    "url", STYLE_BODY, fontSize=6.5, leading=8, textColor=MUTED, alignment=1, wordWrap="CJK"
)  # wordWrap CJK: a URL may break anywhere, it has no spaces

# Media table: (msgid of the header, width in points); "Medium" takes what is left.
MEDIA_COLUMNS = (
    (N_("Medium"), 0.0), (N_("Sanitization"), 100.0), (N_("Tool"), 52.0),
    (N_("Verification"), 58.0), (N_("Date, operator"), 62.0), (N_("Check"), 56.0),
    (N_("Result"), 46.0),
)  # fmt: skip
MEDIA_WIDTHS = [w or CONTENT_WIDTH - sum(w for _, w in MEDIA_COLUMNS) for _, w in MEDIA_COLUMNS]
RESULT_COLUMN = len(MEDIA_COLUMNS) - 1
TABLE_LEADING = 8.5
STATUS_INK = {"passed": PASSED_INK, "destroyed": INK, "failed": ALERT_INK, "missing": WAIT_INK}

_PADDINGS = ("LEFTPADDING", "RIGHTPADDING", "TOPPADDING", "BOTTOMPADDING")
MEDIA_STYLE = [
    ("FONT", (0, 0), (-1, -1), FONT, SIZE_TABLE, TABLE_LEADING),
    ("FONT", (0, 0), (-1, 0), FONT_BOLD, SIZE_TABLE, TABLE_LEADING),
    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
    ("TEXTCOLOR", (0, 0), (-1, 0), ACCENT),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    *[(side, (0, 0), (-1, -1), CELL_PADDING) for side in _PADDINGS],
    ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
    ("LINEBELOW", (0, 0), (-1, 0), 0.75, ACCENT),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
]
PENDING_WIDTHS = [70.0, CONTENT_WIDTH - 70.0]
INFO_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("LINEABOVE", (0, 0), (-1, 0), 0.75, ACCENT),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
    ]
)
HEADING_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *[(side, (0, 0), (-1, -1), 0) for side in _PADDINGS],
        ("LEFTPADDING", (1, 0), (1, 0), 8),
    ]
)
VERIFY_STYLE = TableStyle(
    [
        ("BOX", (0, 0), (-1, -1), 0.75, ACCENT),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        *[(side, (0, 0), (-1, -1), 3) for side in _PADDINGS],
    ]
)
ALERT_BOX = [
    ("BACKGROUND", (0, 0), (-1, -1), ALERT_BG),
    ("BOX", (0, 0), (-1, -1), 0.75, ALERT_INK),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    *[(side, (0, 0), (-1, -1), 6) for side in _PADDINGS],
]
NOTE_BOX = TableStyle(
    [("BACKGROUND", (0, 0), (-1, -1), NOTE_BG), ("BOX", (0, 0), (-1, -1), 0.5, ACCENT)]
    + [(side, (0, 0), (-1, -1), 6) for side in _PADDINGS]
)
SIGNATURE_STYLE = TableStyle(
    [("BOX", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP")]
)


@functools.cache
def glyphs() -> frozenset[str]:
    """Registers the certificate's font family once; returns the characters it can draw."""
    family = fonts.sans()
    pdfmetrics.registerFont(TTFont(FONT, str(family.regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(family.bold)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)
    return frozenset(chr(code) for code in pdfmetrics.getFont(FONT).face.charToGlyph)


def printable(text: str) -> str:
    """`text` with every character the font cannot draw replaced by a stand-in."""
    return pdf.printable(text, glyphs())
