"""The receipt's look, in one place: page geometry, fonts, colours, paragraph and table styles."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from remise import fonts

# Layout and styles: every size, colour and font of the receipt is set here.
PARIS = ZoneInfo("Europe/Paris")
LOCALE = "fr_FR"
GROUP_SEPARATOR = "\u202f"  # narrow no-break space, as in babel's fr_FR number format
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

FONT, FONT_BOLD = "ReceiptSans", "ReceiptSans-Bold"
# DejaVu Sans (Debian's fonts-dejavu-core) extends Vera with the same metrics, so the layout
# is identical either way; Vera ships with reportlab and is the fallback everywhere else.
FONT_FILES = fonts.CANDIDATES
GLYPH_FALLBACKS = fonts.GLYPH_FALLBACKS  # stand-ins for what Vera lacks

INK = colors.HexColor("#1B2631")
MUTED = colors.HexColor("#5D6D7E")
FAINT = colors.HexColor("#95A5A6")
ACCENT = colors.HexColor("#1F3A5F")
RULE = colors.HexColor("#C8D0D8")
STRIPE = colors.HexColor("#F2F5F8")
HEADER_BG = colors.HexColor("#E4EAF1")
ALERT_INK = colors.HexColor("#A93226")
ALERT_BG = colors.HexColor("#FBEAE8")

SIZE_TITLE, SIZE_BODY, SIZE_SMALL, SIZE_TABLE = 16, 9, 8, 7
SIZE_FOOTER, SIZE_LEDGER = 7, 6

STYLE_BODY = ParagraphStyle("body", fontName=FONT, fontSize=SIZE_BODY, leading=12, textColor=INK)
STYLE_ORG = ParagraphStyle("org", STYLE_BODY, fontName=FONT_BOLD, textColor=ACCENT, leading=13)
STYLE_TITLE = ParagraphStyle(
    "title", STYLE_BODY, fontName=FONT_BOLD, fontSize=SIZE_TITLE, leading=20, spaceBefore=2
)
STYLE_META = ParagraphStyle("meta", STYLE_BODY, textColor=MUTED)
STYLE_H2 = ParagraphStyle(
    "h2",
    STYLE_BODY,
    fontName=FONT_BOLD,
    fontSize=10.5,
    leading=14,
    textColor=ACCENT,
    spaceBefore=10,
)
STYLE_PROVISIONAL = ParagraphStyle(
    "provisional", STYLE_BODY, fontName=FONT_BOLD, textColor=ALERT_INK
)
STYLE_NOTE = ParagraphStyle("note", STYLE_BODY, fontSize=SIZE_SMALL, leading=10.5, spaceBefore=5)
# embeddedHyphenation: "Hewlett-Packard" may break after its hyphen rather than mid-word.
STYLE_CELL = ParagraphStyle(
    "cell", STYLE_BODY, fontSize=SIZE_TABLE, leading=8.5, embeddedHyphenation=1
)
STYLE_CELL_BOLD = ParagraphStyle("cell_bold", STYLE_CELL, fontName=FONT_BOLD)

# Device table: (header, width in points); the model column takes what is left. Headers
# and texts that fit are plain strings, drawn in the table's FONT: Paragraphs cost more.
DEVICE_COLUMNS = (
    ("N°", 30.0), ("Code", 64.0), ("Catégorie", 76.0), ("Marque", 66.0), ("Modèle", 0.0),
    ("N° de série", 74.0), ("N° d’inventaire", 66.0),
)  # fmt: skip
DEVICE_WIDTHS = [w or CONTENT_WIDTH - sum(w for _, w in DEVICE_COLUMNS) for _, w in DEVICE_COLUMNS]
SUMMARY_WIDTHS = [CONTENT_WIDTH - 3 * 62.0, 62.0, 62.0, 62.0]
_PADDINGS = ("LEFTPADDING", "RIGHTPADDING", "TOPPADDING", "BOTTOMPADDING")
_GRID = [
    ("FONT", (0, 0), (-1, -1), FONT, SIZE_TABLE, STYLE_CELL.leading),
    ("FONT", (0, 0), (-1, 0), FONT_BOLD, SIZE_TABLE, STYLE_CELL.leading),
    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
    ("TEXTCOLOR", (0, 0), (-1, 0), ACCENT),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    *[(side, (0, 0), (-1, -1), CELL_PADDING) for side in _PADDINGS],
    ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
    ("LINEBELOW", (0, 0), (-1, 0), 0.75, ACCENT),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
]
DEVICE_STYLE = TableStyle(
    [
        *_GRID,
        ("ALIGN", (0, 0), (0, -1), "RIGHT"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, STRIPE]),
    ]
)
SUMMARY_STYLE = TableStyle(
    [*_GRID, ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("FONT", (0, -1), (-1, -1), FONT_BOLD)]
)
INFO_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("LINEABOVE", (0, 0), (-1, 0), 0.75, ACCENT),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
    ]
)
BANNER_STYLE = TableStyle(
    [("BACKGROUND", (0, 0), (-1, -1), ALERT_BG), ("BOX", (0, 0), (-1, -1), 0.75, ALERT_INK)]
    + [(side, (0, 0), (-1, -1), 6) for side in _PADDINGS]
)
SIGNATURE_STYLE = TableStyle(
    [("BOX", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP")]
)
