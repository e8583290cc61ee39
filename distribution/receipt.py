"""The structure's receipt of a handed-over claim: « Bon de remise de matériel
reconditionné », the French A4 PDF the collector and the association sign.

`view_of` reads the tables into a plain `ReceiptView`; `render_receipt` turns it into a
PDF, the same view giving the same bytes. Only the devices actually handed over are
listed, at the price fixed when they were reserved.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from sqlmodel import Session

from db import codes, ledger
from db.clock import parse_iso
from db.enums import CATEGORY_LABELS, Category
from db.errors import Message
from db.models import Structure
from distribution.errors import ReceiptNotYet
from distribution.holding import items_of
from distribution.models import CLAIM_STATE_LABELS, Claim, ClaimState, ItemState
from remise import fonts, pdf
from remise.i18n import translate
from remise.settings import Settings

LOCALE = "fr_FR"
TITLE = "Bon de remise de matériel reconditionné"
# Décret n° 2022-190 du 17 février 2022 (art. R. 122-4 du code de la consommation): a
# device may be called « reconditionné » only once all its functions were tested and
# the data of any previous user erased; « comme neuf », « état neuf » are forbidden.
RECONDITIONED = (
    "Les appareils listés ci-dessus sont des produits reconditionnés au sens de "
    "l’article R. 122-4 du code de la consommation (décret n° 2022-190 du 17 février "
    "2022) : chacun a subi des tests portant sur toutes ses fonctionnalités, afin "
    "d’établir qu’il répond aux obligations légales de sécurité et à l’usage auquel on "
    "peut légitimement s’attendre ; le cas échéant, il a fait l’objet d’interventions "
    "pour lui restituer ses fonctionnalités ; toutes les données enregistrées ou "
    "conservées en lien avec un précédent usage ou un précédent utilisateur ont été "
    "supprimées avant ce changement de propriétaire."
)
ACKNOWLEDGED = (
    "La structure bénéficiaire reconnaît avoir reçu, en état de fonctionnement, le "
    "matériel listé ci-dessus, au prix solidaire indiqué."
)

MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 15 * mm, 14 * mm, 22 * mm
WIDTH = A4[0] - 2 * MARGIN_X
FOOTER_RULE_Y, FOOTER_LINE_Y, FOOTER_LEDGER_Y = 15 * mm, 11 * mm, 7.5 * mm
FONT, FONT_BOLD = "DistributionSans", "DistributionSans-Bold"
INK, MUTED = colors.HexColor("#1B2631"), colors.HexColor("#5D6D7E")
ACCENT, RULE = colors.HexColor("#1F3A5F"), colors.HexColor("#C8D0D8")
STRIPE, HEADER_BG = colors.HexColor("#F2F5F8"), colors.HexColor("#E4EAF1")
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, textColor=INK)
BOLD = ParagraphStyle("bold", BODY, fontName=FONT_BOLD)
ORG = ParagraphStyle("org", BOLD, textColor=ACCENT, leading=13)
H1 = ParagraphStyle("h1", BOLD, fontSize=16, leading=20, spaceBefore=2)
H2 = ParagraphStyle("h2", BOLD, fontSize=10.5, leading=14, textColor=ACCENT, spaceBefore=10)
META = ParagraphStyle("meta", BODY, textColor=MUTED)
NOTE = ParagraphStyle("note", BODY, fontSize=8, leading=10.5, spaceBefore=6)
CELL = ParagraphStyle("cell", BODY, fontSize=8, leading=10)
CELL_BOLD = ParagraphStyle("cell_bold", CELL, fontName=FONT_BOLD)
HEAD_RIGHT = ParagraphStyle("head_right", CELL_BOLD, alignment=2)
CELL_RIGHT = ParagraphStyle("cell_right", CELL, alignment=2)
TOTAL = ParagraphStyle("total", CELL_RIGHT, fontName=FONT_BOLD, fontSize=9.5, leading=12)
# Code, device (category, brand and model), grade and its definition, price.
COLUMNS = ("Code", "Appareil", "Grade", "Prix")
WIDTHS = [74.0, 160.0, WIDTH - 74.0 - 160.0 - 64.0, 64.0]  # a code of eight W fits
PADDINGS = [(f"{side}PADDING", (0, 0), (-1, -1), 3) for side in ("LEFT", "RIGHT", "TOP", "BOTTOM")]
DEVICE_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *PADDINGS,
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, ACCENT),
        ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE),
        ("ROWBACKGROUNDS", (0, 1), (-1, -2), [None, STRIPE]),
        ("SPAN", (0, -1), (2, -1)),  # « Montant dû » spans code, device and grade
        ("LINEABOVE", (0, -1), (-1, -1), 0.75, ACCENT),
    ]
)
INFO_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("LINEABOVE", (0, 0), (-1, 0), 0.75, ACCENT),
    ]
)
SIGNATURE_STYLE = TableStyle(
    [("VALIGN", (0, 0), (-1, -1), "TOP"), *PADDINGS]
    + [("BOX", (column, 0), (column, 0), 0.5, RULE) for column in (0, 2)]
)


@dataclass(frozen=True)
class ReceiptLine:
    code: str  # as printed, XXXX-XXXX
    category: str  # in French
    device: str | None  # brand and model
    grade: str | None
    definition: str | None  # what the grade means, as grading wrote it in French
    price_cents: int


@dataclass(frozen=True)
class ReceiptView:
    organisation: str
    organisation_siret: str | None
    claim_id: int
    structure_name: str
    structure_address: str | None
    structure_postcode: str | None
    structure_city: str | None
    structure_contact: str | None
    handed_over_at: datetime  # aware, in the association's time zone
    collector: str
    handed_over_by: str | None
    lines: Sequence[ReceiptLine]
    total_cents: int
    ledger_head: str


def view_of(session: Session, claim: Claim, settings: Settings) -> ReceiptView:
    """The receipt of a handed-over claim, read from the tables. Raises ReceiptNotYet
    for a claim not handed over."""
    if claim.state != ClaimState.HANDED_OVER or claim.handed_over_at is None:
        raise ReceiptNotYet(id=claim.id, state=Message(CLAIM_STATE_LABELS[claim.state]))
    structure = session.get(Structure, claim.structure_id)
    assert structure is not None  # claim.structure_id is a foreign key
    lines = [
        ReceiptLine(
            code=codes.display(device.code),
            category=_category(device.category),
            device=" ".join(filter(None, (device.brand, device.model))) or None,
            grade=device.grade,
            definition=_definition(device.attributes),
            price_cents=item.price_cents,
        )
        for item, device in items_of(session, claim.id or 0)
        if item.state == ItemState.HANDED_OVER
    ]
    return ReceiptView(
        organisation=settings.organisation,
        organisation_siret=settings.organisation_siret,
        claim_id=claim.id or 0,
        structure_name=structure.name,
        structure_address=structure.address,
        structure_postcode=structure.postcode,
        structure_city=structure.city,
        structure_contact=structure.contact_name,
        handed_over_at=parse_iso(claim.handed_over_at).astimezone(ZoneInfo(settings.timezone)),
        collector=claim.collector or "",
        handed_over_by=claim.handed_over_by,
        lines=lines,
        total_cents=claim.total_cents,
        ledger_head=str(ledger.head(session)),
    )


def _category(value: str) -> str:
    try:
        return translate("fr", CATEGORY_LABELS[Category(value)])
    except (ValueError, KeyError):  # a category this version does not know: as stored
        return value


def _definition(attributes: Any) -> str | None:
    grading = attributes.get("grading") if isinstance(attributes, Mapping) else None
    french = grading.get("fr") if isinstance(grading, Mapping) else None
    sentence = french.get("sentence") if isinstance(french, Mapping) else None
    return sentence if isinstance(sentence, str) and sentence.strip() else None


def render_receipt(view: ReceiptView) -> bytes:
    """The receipt as a complete A4 PDF. Raises ValueError if `handed_over_at` is naive."""
    if view.handed_over_at.tzinfo is None:
        raise ValueError("handed_over_at must be an aware datetime")
    _glyphs()
    buffer = BytesIO()
    # invariant: no timestamp or random id in the file, so the same view gives the same bytes.
    document = BaseDocTemplate(
        buffer, pagesize=A4, title=f"{TITLE} — n° {view.claim_id}",
        author=view.organisation, creator="Remise", invariant=True,
    )  # fmt: skip
    height = A4[1] - MARGIN_TOP - MARGIN_BOTTOM
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, WIDTH, height, 0, 0, 0, 0)
    document.addPageTemplates([PageTemplate("receipt", [frame])])
    story = [*_heading(view), *_devices(view), _closing(view)]
    footer = functools.partial(_draw_footer, view=view)
    document.build(story, canvasmaker=functools.partial(pdf.NumberedCanvas, footer=footer))
    return buffer.getvalue()


def _heading(view: ReceiptView) -> list[Flowable]:
    place = " ".join(filter(None, (view.structure_postcode, view.structure_city)))
    structure = [_para(view.structure_name, ORG)]
    structure += [_para(text, BODY) for text in (view.structure_address, place) if text]
    if view.structure_contact:
        structure.append(_labelled("Contact", view.structure_contact))
    handover = [
        _labelled("Date", _when(view)),
        _labelled("Matériel retiré par", view.collector),
    ]
    if view.handed_over_by:
        handover.append(_labelled("Remis par", view.handed_over_by))
    heads = [_para("Structure bénéficiaire", H2), _para("Remise du matériel", H2)]
    info = Table([heads, [structure, handover]], colWidths=[WIDTH / 2] * 2, style=INFO_STYLE)
    return [
        _para(view.organisation, ORG),
        _para(TITLE, H1),
        _para(f"Bon n° {view.claim_id} — remis le {_when(view)}", META),
        Spacer(1, 8),
        info,
    ]


def _devices(view: ReceiptView) -> list[Flowable]:
    count = len(view.lines)
    title = f"Matériel remis ({count} appareil{'s' if count > 1 else ''})"
    header = [_para(label, CELL_BOLD) for label in COLUMNS[:-1]]
    rows: list[list[Any]] = [[*header, _para(COLUMNS[-1], HEAD_RIGHT)]]
    for line in view.lines:
        device = f"<b>{_text(line.category)}</b><br/>{_text(line.device or '—')}"
        grade = f"<b>{_text(line.grade or '—')}</b>"
        if line.definition:
            grade += f" — {_text(line.definition)}"
        rows.append(
            [
                _para(line.code, CELL),
                Paragraph(device, CELL),
                Paragraph(grade, CELL),
                _para(euros(line.price_cents), CELL_RIGHT),
            ]
        )
    rows.append([_para("Montant dû", TOTAL), "", "", _para(euros(view.total_cents), TOTAL)])
    table = Table(rows, colWidths=WIDTHS, style=DEVICE_STYLE, repeatRows=1)
    return [_para(title, H2), Spacer(1, 3), table]


def _closing(view: ReceiptView) -> Flowable:
    siret = pdf.grouped_siret(view.organisation_siret) if view.organisation_siret else None
    association = [
        _para("Association", H2),
        _para(view.organisation, ORG),
        _labelled("SIRET", siret or "non renseigné"),
        _para(RECONDITIONED, NOTE),
        _para(ACKNOWLEDGED, NOTE),
    ]
    day = pdf.french_date(view.handed_over_at.date())
    who = f"{view.collector}, pour {view.structure_name}"
    collector = _signing("Pour la structure bénéficiaire", who, f"Le {day}, signature :")
    prompt = f"Le {day}, nom, qualité et signature :"
    giver = _signing("Pour l’association", view.organisation, prompt)
    half = (WIDTH - 10) / 2
    boxes = Table([[collector, "", giver]], colWidths=[half, 10, half], style=SIGNATURE_STYLE)
    return KeepTogether([*association, Spacer(1, 12), boxes])


def _signing(title: str, who: str, prompt: str) -> list[Flowable]:
    """A signature box's content: whose it is, and room to sign."""
    return [_para(title, BOLD), _para(who, BODY), _para(prompt, META), Spacer(1, 20 * mm)]


def _draw_footer(canvas: Canvas, number: int, total: int, *, view: ReceiptView) -> None:
    left, right = MARGIN_X, A4[0] - MARGIN_X
    label = _printable(f"{TITLE} — n° {view.claim_id}")
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(left, FOOTER_RULE_Y, right, FOOTER_RULE_Y)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 7)
    canvas.drawString(left, FOOTER_LINE_Y, label)
    canvas.drawRightString(right, FOOTER_LINE_Y, f"Page {number} / {total}")
    canvas.setFont(FONT, 6)
    canvas.drawString(left, FOOTER_LEDGER_Y, _printable(f"Registre : {view.ledger_head}"))
    canvas.restoreState()


def _text(value: str) -> str:
    """User text as Paragraph markup: on one line, escaped, drawable."""
    return escape(_printable(pdf.one_line(value)))


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_text(text), style)


def _labelled(label: str, value: str) -> Paragraph:
    markup = f'<font color="#{MUTED.hexval()[2:]}">{escape(label)}\u00a0:</font> '
    return Paragraph(markup + _text(value), BODY)


def _printable(text: str) -> str:
    return pdf.printable(text, _glyphs())


@functools.cache
def _glyphs() -> frozenset[str]:
    """Registers the receipt's font family once; returns the characters it can draw."""
    family = fonts.sans()
    pdfmetrics.registerFont(TTFont(FONT, str(family.regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(family.bold)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)
    return frozenset(chr(code) for code in pdfmetrics.getFont(FONT).face.charToGlyph)


def euros(cents: int) -> str:
    """5000 → 50,00 € (French grouping and spaces)."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=LOCALE)


def _when(view: ReceiptView) -> str:
    return pdf.french_datetime(view.handed_over_at)
