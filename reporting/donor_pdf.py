"""A donor's report as an A4 PDF, for its CSR report: from a `ReportText` (the report
said in one language, `reporting.donor_words`), no database here; the same text gives
the same bytes.

Its order: the association and the donor, the period; what became of the devices;
the publics served; the estimated impact, its method in a sentence, each factor with
its source and vintage; the erasure certificates and where to check them.
"""

from __future__ import annotations

import functools
from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Spacer,
    Table,
)

from remise import pdf
from reporting import donor_text as t
from reporting import pdf_style as s
from reporting.donor_words import ReportText, Words
from reporting.donor_words import Table as Rows

DEVICE_WIDTHS = [s.WIDTH - 5 * 26 * mm, *[26 * mm] * 5]
PUBLIC_WIDTHS = [s.WIDTH - 40 * mm, 40 * mm]
IMPACT_WIDTHS = [s.WIDTH - 112 * mm, 26 * mm, 40 * mm, 46 * mm]
PER_YEAR_WIDTHS = [s.WIDTH - 72 * mm, 26 * mm, 46 * mm]
FACTOR_WIDTHS = [38 * mm, s.WIDTH - 108 * mm, 34 * mm, 16 * mm, 20 * mm]
CERTIFICATE_WIDTHS = [30 * mm, s.WIDTH - 122 * mm, 36 * mm, 22 * mm, 34 * mm]


def render(text: ReportText, *, organisation: str, locale: str) -> bytes:
    """The report as a complete A4 PDF, in the language `text` is in."""
    s.glyphs()
    buffer = BytesIO()
    # invariant: no timestamp or random id in the file, so the same text gives the same bytes.
    document = BaseDocTemplate(
        buffer, pagesize=A4, title=f"{text.title} — {text.donor}", lang=locale,
        author=organisation, creator="Remise", invariant=True,
    )  # fmt: skip
    frame = Frame(s.MARGIN_X, s.MARGIN_BOTTOM, s.WIDTH, s.HEIGHT, 0, 0, 0, 0)
    document.addPageTemplates([PageTemplate("report", [frame])])
    w = Words(locale)
    story = [
        *_heading(text, organisation),
        *_devices(text, w),
        *_impact(text),
        *_factors(text),
        *_certificates(text, w),
    ]
    footer = functools.partial(_draw_footer, text=text, w=w)
    document.build(story, canvasmaker=functools.partial(pdf.NumberedCanvas, footer=footer))
    return buffer.getvalue()


def _heading(text: ReportText, organisation: str) -> list[Flowable]:
    return [
        s.para(organisation, s.ORG),
        s.para(text.title, s.TITLE),
        s.para(text.donor, s.DONOR),
        s.para(text.period, s.BODY),
        s.para(text.issued, s.META),
    ]


def _section(title: str) -> list[Flowable]:
    return [CondPageBreak(s.KEEP_WITH_HEADING), s.para(title, s.H2)]


def _table(rows: Rows, widths: list[float], *, small_from: int | None = None) -> Table:
    return s.table(
        rows.header,
        rows.rows,
        widths,
        total=rows.total,
        figures=rows.figures,
        small_from=small_from,
    )


def _devices(text: ReportText, w: Words) -> list[Flowable]:
    story = [*_section(text.headings["devices"])]
    story.append(
        _table(text.devices, DEVICE_WIDTHS) if text.devices.rows else s.para(w(t.NO_DEVICE))
    )
    story += [s.para(note, s.NOTE) for note in text.device_notes]
    story.append(s.para(text.period_rule, s.SMALL))
    story += _section(text.headings["publics"])
    if text.publics is None:
        return [*story, s.para(w(t.NO_REUSE))]
    return [*story, _table(text.publics, PUBLIC_WIDTHS), s.para(text.publics_note, s.SMALL)]


def _impact(text: ReportText) -> list[Flowable]:
    method = Table([[s.para(text.method, s.BODY)]], colWidths=[s.WIDTH], style=s.NOTE_BOX)
    story: list[Flowable] = [*_section(text.headings["impact"]), method, Spacer(1, 6)]
    if text.impact.rows:
        story.append(_table(text.impact, IMPACT_WIDTHS))
    story += [Spacer(1, 4), s.para(text.impact_total, s.ORG)]
    if text.per_year is not None:
        per_year = [s.para(text.headings["per_year"], s.H2), _table(text.per_year, PER_YEAR_WIDTHS)]
        story.append(KeepTogether(per_year))
    return [*story, *(s.para(note, s.NOTE) for note in text.impact_notes)]


def _factors(text: ReportText) -> list[Flowable]:
    story = [*_section(text.factors_heading), _table(text.factors, FACTOR_WIDTHS)]
    sources: list[Flowable] = [Spacer(1, 6), s.para(text.headings["sources"], s.CELL_BOLD)]
    for source in text.sources:
        sources.append(s.para(source.text, s.SMALL))
        if source.url:
            sources.append(s.para(source.url, s.URL))
    return [*story, *sources]


def _certificates(text: ReportText, w: Words) -> list[Flowable]:
    story = _section(text.headings["certificates"])
    if text.certificates is None:
        return [*story, s.para(w(t.NO_CERTIFICATE))]
    table = _table(text.certificates, CERTIFICATE_WIDTHS)
    return [*story, table, s.para(text.certificates_note, s.NOTE)]


def _draw_footer(canvas: Canvas, number: int, total: int, *, text: ReportText, w: Words) -> None:
    left, right = s.MARGIN_X, A4[0] - s.MARGIN_X
    page = w(t.PAGE, page=number, pages=total)
    canvas.saveState()
    canvas.setStrokeColor(s.RULE)
    canvas.setLineWidth(0.5)
    canvas.line(left, s.FOOTER_RULE_Y, right, s.FOOTER_RULE_Y)
    canvas.setFillColor(s.MUTED)
    canvas.setFont(s.FONT, s.SIZE_FOOTER)
    canvas.drawString(left, s.FOOTER_LINE_Y, s.printable(text.footer))
    canvas.drawRightString(right, s.FOOTER_LINE_Y, s.printable(page))
    canvas.setFillColor(s.FAINT)
    canvas.setFont(s.FONT, s.SIZE_LEDGER)
    canvas.drawString(left, s.FOOTER_LEDGER_Y, s.printable(text.ledger))
    canvas.restoreState()
