"""Donation receipt: the French PDF a donor company gets for a batch, from a plain view model.

No database here: the caller builds a `ReceiptView` (translated category labels, counts,
ledger head) and `render_receipt` turns it into a complete A4 PDF. An open batch gets a
provisional receipt, marked as such in the body and on every page's footer. The footer
also carries the ledger head at issue time, so a printed receipt can be checked later.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from intake.receipt_style import (
    ACCENT,
    ALERT_BG,
    ALERT_INK,
    BANNER_STYLE,
    CONTENT_HEIGHT,
    CONTENT_WIDTH,
    FAINT,
    FONT,
    FONT_BOLD,
    FONT_FILES,
    FOOTER_LEDGER_Y,
    FOOTER_LINE_Y,
    FOOTER_RULE_Y,
    GROUP_SEPARATOR,
    INFO_STYLE,
    KEEP_WITH_HEADING,
    MARGIN_BOTTOM,
    MARGIN_X,
    MAX_CELL_CHARS,
    MUTED,
    PARIS,
    RULE,
    SIGNATURE_STYLE,
    SIZE_FOOTER,
    SIZE_LEDGER,
    STYLE_BODY,
    STYLE_CELL,
    STYLE_CELL_BOLD,
    STYLE_H2,
    STYLE_META,
    STYLE_NOTE,
    STYLE_ORG,
    STYLE_PROVISIONAL,
    STYLE_TITLE,
    SUMMARY_STYLE,
    SUMMARY_WIDTHS,
)
from intake.receipt_table import DeviceRows, PagedTable
from remise import pdf


@dataclass(frozen=True)
class ReceiptLine:
    code: str
    category: str
    brand: str | None
    model: str | None
    serial: str | None
    asset_tag: str | None


@dataclass(frozen=True)
class CategoryCount:
    category: str
    declared: int
    received: int


@dataclass(frozen=True)
class ReceiptView:
    organisation: str
    donor_name: str
    donor_siret: str | None
    donor_contact: str | None
    batch_id: int
    pickup_date: date
    site: str
    workshop: str | None
    lines: Sequence[ReceiptLine]
    counts: Sequence[CategoryCount]
    closed: bool
    closing_comment: str | None
    issued_at: datetime
    ledger_head: str


PROVISIONAL_NOTE = (
    "Le lot est encore ouvert : la liste peut évoluer jusqu’à sa clôture, "
    "qui donnera lieu à un reçu définitif."
)


def render_receipt(view: ReceiptView) -> bytes:
    """The receipt as a complete PDF document. Raises ValueError if `issued_at` is naive."""
    if view.issued_at.tzinfo is None:
        raise ValueError("issued_at must be an aware datetime")
    _register_fonts()
    buffer = BytesIO()
    # invariant: no timestamp or random id in the file, so the same view gives the same bytes.
    document = BaseDocTemplate(
        buffer, pagesize=A4, title=f"Reçu de don de matériel — lot n° {view.batch_id}",
        author=view.organisation, creator="Remise", invariant=True,
    )  # fmt: skip
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, CONTENT_WIDTH, CONTENT_HEIGHT, 0, 0, 0, 0)
    document.addPageTemplates([PageTemplate("receipt", [frame])])
    story = [*_heading(view), *_summary(view), *_devices(view), _closing(view)]
    footer = functools.partial(_draw_footer, view=view)
    document.build(story, canvasmaker=functools.partial(pdf.NumberedCanvas, footer=footer))
    return buffer.getvalue()


def _heading(view: ReceiptView) -> list[Flowable]:
    when = pdf.french_datetime(view.issued_at.astimezone(PARIS))
    issued = f"Lot n° {view.batch_id} — émis le {when}"
    story: list[Flowable] = [
        _para(view.organisation, STYLE_ORG),
        _para("Reçu de don de matériel informatique", STYLE_TITLE),
        _para(issued, STYLE_META),
    ]
    if not view.closed:
        banner = [
            _para("PROVISOIRE — lot non clôturé", STYLE_PROVISIONAL),
            _para(PROVISIONAL_NOTE, STYLE_NOTE),
        ]
        story += [Spacer(1, 8), Table([[banner]], colWidths=[CONTENT_WIDTH], style=BANNER_STYLE)]
    donor = [_para(view.donor_name, STYLE_ORG)]
    if view.donor_siret:
        donor.append(_labelled("SIRET", pdf.grouped_siret(view.donor_siret)))
    if view.donor_contact:
        donor.append(_labelled("Contact", view.donor_contact))
    pickup = [
        _labelled("Date d’enlèvement", pdf.french_date(view.pickup_date)),
        _labelled("Lieu de collecte", view.site),
    ]
    if view.workshop:
        pickup.append(_labelled("Atelier partenaire", view.workshop))
    heads = [_para("Donateur", STYLE_H2), _para("Collecte", STYLE_H2)]
    info = Table([heads, [donor, pickup]], colWidths=[CONTENT_WIDTH / 2] * 2, style=INFO_STYLE)
    return [*story, Spacer(1, 8), info]


def _summary(view: ReceiptView) -> list[Flowable]:
    rows: list[list[Any]] = [["Catégorie", "Annoncé", "Reçu", "Écart"]]
    total = CategoryCount(
        "Total", sum(c.declared for c in view.counts), sum(c.received for c in view.counts)
    )
    style = TableStyle(SUMMARY_STYLE.getCommands())
    for index, count in enumerate([*view.counts, total], start=1):
        gap = count.received - count.declared
        figures = (_number(count.declared), _number(count.received), _signed(gap))
        label = _para(count.category, STYLE_CELL_BOLD if count is total else STYLE_CELL)
        rows.append([label, *map(_printable, figures)])
        if gap:
            style.add("BACKGROUND", (3, index), (3, index), ALERT_BG)
            style.add("TEXTCOLOR", (3, index), (3, index), ALERT_INK)
            style.add("FONT", (3, index), (3, index), FONT_BOLD)
    style.add("LINEABOVE", (0, -1), (-1, -1), 0.75, ACCENT)
    story: list[Flowable] = [
        CondPageBreak(KEEP_WITH_HEADING),
        _para("Récapitulatif par catégorie", STYLE_H2),
        Table(rows, colWidths=SUMMARY_WIDTHS, style=style, repeatRows=1),
    ]
    if view.closing_comment:  # printed even without differences: it may say something else
        story.append(_labelled("Commentaire de clôture", view.closing_comment, STYLE_NOTE))
    elif any(c.received != c.declared for c in view.counts):
        story.append(_missing_comment(view.closed))
    return story


def _missing_comment(closed: bool) -> Flowable:
    if closed:
        return _labelled("Commentaire de clôture", "non renseigné", STYLE_NOTE)
    return _para("Lot en cours de réception : les écarts peuvent encore évoluer.", STYLE_NOTE)


def _devices(view: ReceiptView) -> list[Flowable]:
    total = len(view.lines)
    title = f"Matériel reçu ({_number(total)} appareil{'s' if total > 1 else ''})"
    story: list[Flowable] = [CondPageBreak(KEEP_WITH_HEADING), _para(title, STYLE_H2)]
    if not total:
        return [*story, _para("Aucun appareil enregistré pour ce lot.", STYLE_BODY)]
    texts = [
        tuple(map(_cell_text, (_number(number), line.code, line.category, line.brand)))
        + tuple(map(_cell_text, (line.model, line.serial, line.asset_tag)))
        for number, line in enumerate(view.lines, start=1)
    ]
    return [*story, PagedTable(DeviceRows(texts))]


def _closing(view: ReceiptView) -> Flowable:
    attest = (
        "L’association atteste avoir reçu le matériel listé ci-dessus. Les données présentes "
        "sur les supports de stockage seront effacées selon une méthode certifiée avant tout "
        "réemploi."
    )
    story: list[Flowable] = [Spacer(1, 10), _para(attest, STYLE_BODY)]
    if not view.closed:
        story.append(_para(PROVISIONAL_NOTE, STYLE_NOTE))
    box = [
        _para(f"Fait le {pdf.french_date(view.issued_at.astimezone(PARIS).date())}", STYLE_BODY),
        _para(f"Pour {view.organisation}", STYLE_BODY),
        _para("Nom, qualité, signature et cachet :", STYLE_META),
        Spacer(1, 22 * mm),
    ]
    signature = Table([[box]], colWidths=[85 * mm], style=SIGNATURE_STYLE, hAlign="RIGHT")
    return KeepTogether([*story, Spacer(1, 10), signature])


def _draw_footer(canvas: Canvas, number: int, total: int, *, view: ReceiptView) -> None:
    left, right = MARGIN_X, A4[0] - MARGIN_X
    label = f"Reçu de don de matériel — lot n° {view.batch_id}"
    if not view.closed:
        label += " — PROVISOIRE"
    page = _printable(f"Page {_number(number)} / {_number(total)}")
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(left, FOOTER_RULE_Y, right, FOOTER_RULE_Y)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, SIZE_FOOTER)
    canvas.drawString(left, FOOTER_LINE_Y, _printable(label))
    canvas.drawRightString(right, FOOTER_LINE_Y, page)
    canvas.setFillColor(FAINT)
    canvas.setFont(FONT, SIZE_LEDGER)
    canvas.drawString(left, FOOTER_LEDGER_Y, _ledger_text(view.ledger_head, right - left))
    canvas.restoreState()


def _ledger_text(head: str, width: float) -> str:
    """The footer's ledger mention; the hash is cut to 16 characters if all does not fit."""
    text = _printable(f"Registre : {pdf.one_line(head)}")
    if pdfmetrics.stringWidth(text, FONT, SIZE_LEDGER) <= width:
        return text
    seq, _, digest = pdf.one_line(head).partition(":")
    return _printable(f"Registre : {seq}:{digest[:16]}…")


def _cell_text(value: str | None) -> str:
    text = _printable(pdf.one_line(value or "—"))
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(_printable(text)), style)


def _labelled(label: str, value: str, style: ParagraphStyle = STYLE_BODY) -> Paragraph:
    markup = f'<font color="#{MUTED.hexval()[2:]}">{escape(label)}\u00a0:</font> '
    return Paragraph(markup + escape(_printable(pdf.one_line(value))), style)


def _printable(text: str) -> str:
    """`text` with every character the font cannot draw replaced by a stand-in."""
    return pdf.printable(text, _register_fonts())


@functools.cache
def _register_fonts() -> frozenset[str]:
    """Registers the receipt's font family once; returns the characters it can draw."""
    regular, bold = next(files for files in FONT_FILES if all(f.exists() for f in files))
    pdfmetrics.registerFont(TTFont(FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)
    return frozenset(chr(code) for code in pdfmetrics.getFont(FONT).face.charToGlyph)


def _number(value: int) -> str:
    """12 345, as babel's format_decimal writes it for fr_FR, but 30 times faster."""
    return f"{value:,}".replace(",", GROUP_SEPARATOR)


def _signed(value: int) -> str:
    """+2, −3 (a true minus sign) or 0."""
    if value > 0:
        return f"+{_number(value)}"
    return f"\u2212{_number(-value)}" if value < 0 else "0"
