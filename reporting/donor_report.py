"""A donor's report over a period: what its devices became, the erasure certificates,
and the estimated impact of their reuse, as plain data (`DonorReport`).

`donor_report` reads it (see `reporting.donor_queries` for how the period applies to
each figure); `as_json` is the API's answer; `reporting.donor_words` says it in the
reader's language for the page and the PDF. No structure's name, no person, no serial
number is in it: the publics served, counts, and the certificates' public codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from db import ledger
from db.enums import Status
from intake import service as intake
from reporting import donor_queries, impact_factors, impact_rules
from reporting.donor_queries import CertificateLine
from reporting.impact_factors import FactorVersion
from reporting.impact_rules import IndicatorImpact
from reporting.period import Period


@dataclass(frozen=True)
class DonorReport:
    donor_id: int
    donor_name: str
    period: Period
    received: dict[str, int]
    refurbished: dict[str, int]
    reused: dict[str, int]
    reused_by_public: dict[str, int]
    returned_since: int
    parts: dict[str, int]
    harvested_parts: int
    recycled: dict[str, int]
    lost: int
    certificates: list[CertificateLine]
    factors: FactorVersion
    impact: list[IndicatorImpact]
    ledger_head: str  # `seq:hash` when the report was read


def donor_report(session: Session, *, donor_id: int, period: Period, zone: ZoneInfo) -> DonorReport:
    """The report of donor `donor_id` over `period`, with the factors in force. Raises
    intake's DonorNotFound."""
    donor = intake.donor(session, donor_id)
    start, end = period.bounds(zone)
    reuse = donor_queries.reused(session, donor_id, start, end)
    factors = impact_factors.current(session)
    return DonorReport(
        donor_id=donor_id,
        donor_name=donor.name,
        period=period,
        received=donor_queries.received(session, donor_id, period),
        refurbished=donor_queries.refurbished(session, donor_id, start, end),
        reused=reuse.by_category,
        reused_by_public=reuse.by_public,
        returned_since=reuse.returned_since,
        parts=donor_queries.ended(session, donor_id, Status.PARTS, start, end),
        harvested_parts=donor_queries.harvested(session, donor_id, start, end),
        recycled=donor_queries.ended(session, donor_id, Status.RECYCLED, start, end),
        lost=sum(donor_queries.ended(session, donor_id, Status.LOST, start, end).values()),
        certificates=donor_queries.certificates(session, donor_id, start, end),
        factors=factors,
        impact=impact_rules.estimate_all(reuse.by_category, factors.table()),
        ledger_head=str(ledger.head(session)),
    )


def as_json(report: DonorReport, *, public_url: str) -> dict[str, Any]:
    """The report as the API answers it: counts by category key, amounts as numbers
    rounded as shown (`estimated`), with the exact ones beside."""
    verify = public_url.rstrip("/") + "/verify/"
    return {
        "donor": {"id": report.donor_id, "name": report.donor_name},
        "period": {"from": report.period.start.isoformat(), "to": report.period.end.isoformat()},
        "received": report.received,
        "refurbished": report.refurbished,
        "reused": {
            "by_category": report.reused,
            "by_public": report.reused_by_public,
            "returned_since": report.returned_since,
        },
        "parts": {"by_category": report.parts, "harvested_parts": report.harvested_parts},
        "recycled": report.recycled,
        "lost": report.lost,
        "certificates": [
            {
                "code": c.code,
                "scope": c.scope,
                "batch_id": c.batch_id,
                "device": c.device_code,
                "issued_at": c.issued_at,
                "devices": c.devices,
                "pending": c.pending,
                "verify_url": verify + c.code,
            }
            for c in report.certificates
        ],
        "impact": {
            "estimate": True,
            "factors_version": report.factors.version,
            "indicators": [_indicator(i) for i in report.impact],
            "sources": [
                {"source": source, "vintage": vintage, "url": url}
                for source, vintage, url in impact_rules.sources(report.factors.table())
            ],
        },
    }


def _indicator(impact: IndicatorImpact) -> dict[str, Any]:
    return {
        "indicator": impact.indicator.value,
        "unit": impact.unit,
        "per_year_of_use": impact.per_year,
        "estimated": float(impact.shown),
        "exact": float(impact.total),
        "devices_counted": impact.counted,
        "not_counted": impact.not_counted,
        "by_category": [
            {
                "category": line.category,
                "devices": line.devices,
                "per_device": float(line.per_device),
                "estimated": float(line.shown),
            }
            for line in impact.lines
        ],
    }
