"""Reporting's API: a donor's impact report as JSON, and the versions of the impact
factors (coordinators)."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request

from db.clock import utcnow
from remise.auth import Actor, Permission
from remise.deps import IdPath, SessionDep, get_settings, require
from remise.idempotency import IdempotencyDep, fingerprint
from reporting import donor_report, impact_factors, period
from reporting.impact_schemas import FactorSetRead, FactorVersionRead, ImpactFactorsCreate

router = APIRouter(prefix="/api/v1", tags=["reports"])
Reader = Annotated[Actor, Depends(require(Permission.REPORTS_READ))]
FactorManager = Annotated[Actor, Depends(require(Permission.IMPACT_FACTORS_MANAGE))]


@router.get("/donors/{donor_id}/impact", response_model=dict[str, Any])
def donor_impact(
    donor_id: IdPath,
    request: Request,
    session: SessionDep,
    _actor: Reader,
    start: period.From = None,
    end: period.To = None,
) -> dict[str, Any]:
    """What the donor's devices became over the period (received by their batch's
    pickup date, refurbished, reused by handover date and by the public of the
    structures, dismantled, recycled, lost), its erasure certificates, and the
    *estimated* impact of reuse with the factors' version and sources. A period that
    ends before it starts is refused (422)."""
    settings = get_settings(request)
    zone = ZoneInfo(settings.timezone)
    chosen = period.checked(start, end, utcnow().astimezone(zone).date())
    report = donor_report.donor_report(session, donor_id=donor_id, period=chosen, zone=zone)
    return donor_report.as_json(report, public_url=settings.public_url)


@router.get("/impact-factors", response_model=list[FactorVersionRead])
def factor_versions(session: SessionDep, _actor: FactorManager) -> list[FactorVersionRead]:
    """Every version of the impact factors, newest (the one in force) first; version 1
    is the set shipped with Remise."""
    found = impact_factors.versions(session)
    return [v.summary(current=index == 0) for index, v in enumerate(found)]


@router.get("/impact-factors/current", response_model=FactorSetRead)
def current_factors(session: SessionDep, _actor: FactorManager) -> FactorSetRead:
    """The factors in force: for each measure and category, the value per device, its
    unit, source, URL and vintage."""
    return impact_factors.current(session).read(current=True)


@router.post("/impact-factors", response_model=FactorSetRead, status_code=201)
def create_factors(
    body: ImpactFactorsCreate, session: SessionDep, actor: FactorManager, idem: IdempotencyDep
) -> Any:
    """Store a whole set of factors as the next version, in force from now on (each value
    positive, each factor with its source and vintage; a measure's unit may be left
    out). Reports made from now on use it and say so."""

    def create() -> FactorSetRead:
        return impact_factors.create_version(session, actor, data=body).read(current=True)

    return idem.once(session, fingerprint(body), create)
