"""A donor's report said in the reader's language, as the page and the PDF both show it:
headings, sentences and tables of text (`ReportText`), from a `DonorReport`.

Every environmental figure is worded as an estimate ("about …", "estimated"), with the
method in a sentence and each factor's source and vintage; no claim of neutrality or
of a "green" product is made (Directive (EU) 2024/825 bans generic environmental claims).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from db.clock import parse_iso
from db.enums import CATEGORY_LABELS, PUBLIC_LABELS, Category, PublicCategory
from remise import pdf
from remise.i18n import translate
from reporting import donor_text as t
from reporting import impact_rules
from reporting.donor_queries import NOT_STATED, CertificateLine
from reporting.donor_report import DonorReport
from reporting.impact_rules import INDICATORS, MEASURE_LABELS, UNIT_LABELS, IndicatorImpact


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    total: list[str] | None = None
    figures: tuple[int, ...] = (1,)  # the columns of figures, aligned right


@dataclass
class ReportText:
    title: str
    donor: str
    period: str
    issued: str
    devices: Table
    device_notes: list[str]
    period_rule: str
    publics: Table | None
    publics_note: str
    method: str
    impact: Table
    impact_total: str
    per_year: Table | None
    impact_notes: list[str]
    factors_heading: str
    factors: Table
    sources: list[Source]
    certificates: Table | None
    certificates_note: str
    footer: str
    ledger: str
    headings: dict[str, str] = field(default_factory=dict)


class Words:
    """Translations and formats of one language."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, message: str, **params: Any) -> str:
        return translate(self.locale, message, **params)

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def day(self, value: date) -> str:
        if self.locale == "fr":
            return pdf.french_date(value)
        return format_date(value, "long", locale=self.locale)

    def category(self, value: str) -> str:
        try:
            return self(CATEGORY_LABELS[Category(value)])
        except ValueError:  # a category this version does not know: as stored
            return value

    def public(self, value: str) -> str:
        if value == NOT_STATED:
            return self(t.PUBLIC_NOT_STATED)
        try:
            return self(PUBLIC_LABELS[PublicCategory(value)])
        except ValueError:
            return value

    def unit(self, unit: str) -> str:
        return self(UNIT_LABELS[unit]) if unit in UNIT_LABELS else unit

    def about(self, amount: Decimal, unit: str) -> str:
        return self(t.ABOUT, amount=self.number(amount), unit=self.unit(unit))


def report_text(
    report: DonorReport, locale: str, *, public_url: str, issued_at: datetime
) -> ReportText:
    """`report` in `locale`; `issued_at` (aware, in the installation's zone) is when it
    is read."""
    w = Words(locale)
    seq, _, digest = report.ledger_head.partition(":")
    impact = report.impact[0]
    return ReportText(
        title=w(t.TITLE),
        donor=report.donor_name,
        period=w(t.PERIOD, start=w.day(report.period.start), end=w.day(report.period.end)),
        issued=w(t.ISSUED_ON, date=w.day(issued_at.date())),
        devices=_devices(report, w),
        device_notes=_device_notes(report, w),
        period_rule=w(t.PERIOD_RULE),
        publics=_publics(report, w),
        publics_note=w(t.PUBLICS_NOTE),
        method=w(t.METHOD, vintage=_vintages(report, impact_rules.Measure.MANUFACTURING)),
        impact=_impact_table(impact, w),
        impact_total=w(t.IMPACT_TOTAL, amount=w.about(impact.shown, impact.unit)),
        per_year=_per_year(report.impact[1:], w),
        impact_notes=_impact_notes(impact, w),
        factors_heading=w(t.FACTORS_HEADING, version=report.factors.version),
        factors=_factors(report, w),
        sources=_sources(report),
        certificates=_certificates(report.certificates, w, issued_at.tzinfo),
        certificates_note=w(t.CERTIFICATES_NOTE, url=public_url.rstrip("/") + "/verify"),
        footer=w(t.FOOTER, donor=report.donor_name),
        ledger=w(t.LEDGER, seq=seq, hash=digest),
        headings={key: w(message) for key, message in t.HEADINGS.items()},
    )


def _ordered(*by_category: dict[str, int]) -> list[str]:
    seen: set[str] = set().union(*by_category)
    return impact_rules.ordered(dict.fromkeys(seen))


def _devices(report: DonorReport, w: Words) -> Table:
    columns = (report.received, report.refurbished, report.reused, report.parts, report.recycled)
    rows = [
        [w.category(c), *(w.number(column.get(c, 0)) for column in columns)]
        for c in _ordered(*columns)
    ]
    total = [w(t.TOTAL), *(w.number(sum(column.values())) for column in columns)]
    header = [w(t.CATEGORY), *(w(h) for h in t.DEVICE_COLUMNS)]
    return Table(header, rows, total, figures=(1, 2, 3, 4, 5))


def _device_notes(report: DonorReport, w: Words) -> list[str]:
    notes = [w(t.HARVESTED, count=w.number(report.harvested_parts))]
    if report.returned_since:
        notes.append(w(t.RETURNED, count=w.number(report.returned_since)))
    notes.append(w(t.LOST, count=w.number(report.lost)))
    return notes


def _publics(report: DonorReport, w: Words) -> Table | None:
    if not report.reused_by_public:
        return None
    order = [p.value for p in PublicCategory] + [NOT_STATED]
    known = [p for p in order if p in report.reused_by_public]
    rows = [[w.public(p), w.number(report.reused_by_public[p])] for p in known]
    total = [w(t.TOTAL), w.number(sum(report.reused_by_public.values()))]
    return Table([w(t.PUBLIC), w(t.DEVICES_REUSED)], rows, total)


def _vintages(report: DonorReport, measure: impact_rules.Measure) -> str:
    found = report.factors.table().get(measure, {})
    return ", ".join(sorted({f.vintage for f in found.values()})) or "—"


def _impact_table(impact: IndicatorImpact, w: Words) -> Table:
    unit = impact.unit
    rows = [
        [
            w.category(line.category),
            w.number(line.devices),
            f"{w.number(line.per_device)} {w.unit(unit)}",
            w.about(line.shown, unit),
        ]
        for line in impact.lines
    ]
    total = [w(t.TOTAL), w.number(impact.counted), "", w.about(impact.shown, unit)]
    header = [w(t.CATEGORY), w(t.DEVICES_REUSED), w(t.FACTOR_PER_DEVICE), w(t.ESTIMATED_AVOIDED)]
    return Table(header, rows, total, figures=(1, 2, 3))


def _per_year(impacts: list[IndicatorImpact], w: Words) -> Table | None:
    if not impacts:
        return None
    rows = [
        [w(INDICATORS[i.indicator].label), w.number(i.counted), w.about(i.shown, i.unit)]
        for i in impacts
    ]
    header = [w(t.INDICATOR), w(t.DEVICES_COUNTED), w(t.ESTIMATED_PER_YEAR)]
    return Table(header, rows, figures=(1, 2))


def _impact_notes(impact: IndicatorImpact, w: Words) -> list[str]:
    notes = [w(t.PER_YEAR_NOTE)]
    if impact.not_counted:
        devices = ", ".join(
            f"{w.category(c)} ({w.number(n)})" for c, n in impact.not_counted.items()
        )
        notes.append(w(t.NOT_COUNTED, devices=devices))
    notes += [w(t.ROUNDING), w(t.ESTIMATES)]
    return notes


def _factors(report: DonorReport, w: Words) -> Table:
    """Each factor, its source by its number in `_sources`."""
    table = report.factors.table()
    numbers = {key: n for n, key in enumerate(impact_rules.sources(table), start=1)}
    rows = []
    for measure, by_category in table.items():
        for category in impact_rules.ordered(by_category):
            f = by_category[category]
            rows.append(
                [
                    w.category(category),
                    w(MEASURE_LABELS[measure]),
                    f"{w.number(f.value)} {w.unit(impact_rules.UNITS[measure])}",
                    f"[{numbers[(f.source, f.vintage, f.url)]}]",
                    f.vintage,
                ]
            )
    header = [w(t.CATEGORY), w(t.FACTOR), w(t.VALUE), w(t.SOURCE), w(t.VINTAGE)]
    return Table(header, rows, figures=(2,))


@dataclass(frozen=True)
class Source:
    number: int
    text: str  # the source and its vintage
    url: str | None


def _sources(report: DonorReport) -> list[Source]:
    found = impact_rules.sources(report.factors.table())
    return [
        Source(n, f"[{n}] {source} ({vintage})", url)
        for n, (source, vintage, url) in enumerate(found, start=1)
    ]


def _certificates(lines: list[CertificateLine], w: Words, zone: tzinfo | None) -> Table | None:
    if not lines:
        return None
    rows = [
        [
            c.code,
            w(t.COVERS_BATCH, id=c.batch_id)
            if c.scope == "batch"
            else w(t.COVERS_DEVICE, code=c.device_code or "—"),
            w.day(parse_iso(c.issued_at).astimezone(zone).date()),
            w.number(c.devices),
            w.number(c.pending),
        ]
        for c in lines
    ]
    header = [w(h) for h in t.CERTIFICATE_COLUMNS]
    return Table(header, rows, figures=(3, 4))
