"""The answers of distribution's routes and pages, built from its tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from db import codes
from db.models import Device, Structure
from distribution import holding, service, waitlist
from distribution.models import (
    Claim,
    ClaimDevice,
    ClaimItem,
    ClaimRead,
    ClaimState,
    FaultRead,
    FaultReport,
    ItemState,
    Period,
    StructureRead,
    StructureRef,
    WaitlistEntry,
    WaitlistRead,
)
from remise.auth import Actor


def structure_read(
    session: Session, structure: Structure, policy: service.QuotaPolicy, today: date
) -> StructureRead:
    return StructureRead(
        id=structure.id or 0,
        name=structure.name,
        status=structure.status,  # type: ignore[arg-type]
        address=structure.address,
        postcode=structure.postcode,
        city=structure.city,
        departement=structure.departement,
        public_category=structure.public_category,  # type: ignore[arg-type]
        public_description=structure.public_description,
        contact_name=structure.contact_name,
        contact_email=structure.contact_email,
        contact_phone=structure.contact_phone,
        quotas=dict(structure.quotas),
        quota_use=service.quota_use(session, structure, policy, today),
        period=period_read(policy, today),
        created_at=structure.created_at,
        updated_at=structure.updated_at,
    )


def period_read(policy: service.QuotaPolicy, today: date) -> Period:
    period = policy.period(today)
    return Period(start=period.start.isoformat(), end=period.end.isoformat())


def _ref(session: Session, structure_id: int) -> StructureRef:
    structure = session.get(Structure, structure_id)
    return StructureRef(id=structure_id, name=structure.name if structure else "?")


def claim_read(session: Session, claim: Claim) -> ClaimRead:
    return claims_read(session, [claim])[0]


def claims_read(session: Session, claims: Sequence[Claim]) -> list[ClaimRead]:
    """The answers for `claims`, their devices and structures read in two queries."""
    items = holding.items_of_many(session, [c.id or 0 for c in claims])
    ids = {c.structure_id for c in claims}
    names = {
        s.id: s.name for s in session.exec(select(Structure).where(col(Structure.id).in_(ids)))
    }
    return [_claim_read(c, items.get(c.id or 0, []), names) for c in claims]


def _claim_read(
    claim: Claim, items: list[tuple[ClaimItem, Device]], names: dict[int | None, str]
) -> ClaimRead:
    shown = [
        ClaimDevice(
            code=codes.display(device.code),
            category=item.category,
            brand=device.brand,
            model=device.model,
            grade=device.grade,
            price_cents=item.price_cents,
            state=ItemState(item.state),
            scanned=item.scanned_at is not None,
        )
        for item, device in items
    ]
    held = sum(
        item.price_cents
        for item, _d in items
        if item.state in (ItemState.RESERVED, ItemState.HANDED_OVER)
    )
    return ClaimRead(
        id=claim.id or 0,
        structure=StructureRef(id=claim.structure_id, name=names.get(claim.structure_id, "?")),
        state=ClaimState(claim.state),
        created_at=claim.created_at,
        created_by=claim.created_by,
        expires_at=claim.expires_at,
        devices=shown,
        total_cents=0 if claim.fault_id else held,
        collector=claim.collector,
        handed_over_at=claim.handed_over_at,
        waitlist_entry_id=claim.waitlist_entry_id,
    )


def claims_for(
    session: Session,
    actor: Actor,
    *,
    structure_id: int | None = None,
    state: ClaimState | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Claim]:
    """The caller's structure's claims; every claim for staff (of one structure, in one
    state, if asked), newest first."""
    query = select(Claim).order_by(col(Claim.id).desc())
    if actor.is_structure:
        query = query.where(col(Claim.structure_id) == actor.structure_id)
    elif structure_id is not None:
        query = query.where(col(Claim.structure_id) == structure_id)
    if state is not None:
        query = query.where(col(Claim.state) == state.value)
    return session.exec(query.limit(limit).offset(offset)).all()


def waitlist_read(session: Session, entry: WaitlistEntry) -> WaitlistRead:
    return WaitlistRead(
        id=entry.id or 0,
        structure=_ref(session, entry.structure_id),
        state=entry.state,  # type: ignore[arg-type]
        criteria=dict(entry.criteria),
        quantity=entry.quantity,
        served=entry.served,
        position=waitlist.position(session, entry),
        created_at=entry.created_at,
    )


def fault_read(session: Session, report: FaultReport) -> FaultRead:
    device = session.get(Device, report.device_id)
    return FaultRead(
        id=report.id or 0,
        device=codes.display(device.code) if device else "?",
        structure=_ref(session, report.structure_id),
        claim_id=report.claim_id,
        description=report.description,
        reported_at=report.reported_at,
        reported_by=report.reported_by,
        state=report.state,  # type: ignore[arg-type]
        decision_note=report.decision_note,
        replacement_claim_id=report.replacement_claim_id,
    )
