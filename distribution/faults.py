"""Faults under warranty: a structure reports a handed-over device faulty, the device
goes back to refurbishment with its history, and a coordinator decides whether to
replace it (a device reserved for the structure at no cost, outside its quota)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from db import codes, devices, ledger, lifecycle
from db.clock import iso, parse_iso
from db.enums import STATUS_LABELS, Status
from db.errors import N_, Message
from db.events import EventType
from db.models import CatalogItem, Device, Structure
from distribution import claims, inbox, rules
from distribution.claims import ClaimPolicy
from distribution.errors import (
    DeviceUnavailable,
    FaultDecided,
    FaultNotFound,
    NotHandedOver,
    NotYourDevice,
    ReplacementNeeded,
    WarrantyOver,
)
from distribution.models import (
    FAULT_STATE_LABELS,
    Claim,
    ClaimItem,
    FaultDecision,
    FaultIn,
    FaultReport,
    FaultState,
    ItemState,
)
from remise.auth import Actor

REPLACED = N_("a replacement device is reserved for you, at no cost")
NOT_REPLACED = N_("no replacement")


def _handed_over_item(session: Session, device_id: int) -> tuple[ClaimItem, Claim] | None:
    row = session.exec(
        select(ClaimItem, Claim)
        .join(Claim, col(Claim.id) == col(ClaimItem.claim_id))
        .where(
            col(ClaimItem.device_id) == device_id,
            col(ClaimItem.state) == ItemState.HANDED_OVER.value,
        )
        .order_by(col(ClaimItem.id).desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def report_fault(
    session: Session, actor: Actor, code: str, *, data: FaultIn, policy: ClaimPolicy
) -> FaultReport:
    """Record the fault (`device.fault_reported`) and send the device back to
    refurbishment (`device.returned`). Raises NotHandedOver, NotYourDevice, WarrantyOver."""
    ledger.lock(session)
    device = devices.by_code(session, code)
    shown = codes.display(device.code)
    status = Status(device.status)
    if status != Status.HANDED_OVER:
        if actor.is_structure and device.structure_id != actor.structure_id:
            raise NotYourDevice(device=shown)
        raise NotHandedOver(device=shown, status=Message(STATUS_LABELS[status]))
    if actor.is_structure and device.structure_id != actor.structure_id:
        raise NotYourDevice(device=shown)
    found = _handed_over_item(session, device.id or 0)
    assert found is not None, "a handed-over device has its claim"
    _item, claim = found
    handed_at = parse_iso(claim.handed_over_at or claim.created_at)
    handed = handed_at.astimezone(policy.quotas.zone).date()  # the day as people lived it
    today = policy.clock().astimezone(policy.quotas.zone).date()
    if not rules.under_warranty(handed, today, months=policy.warranty_months):
        end = rules.warranty_end(handed, months=policy.warranty_months)
        raise WarrantyOver(
            device=shown,
            handed_over=handed.isoformat(),
            months=policy.warranty_months,
            end=end.isoformat(),
        )
    report = FaultReport(
        device_id=device.id or 0,
        structure_id=device.structure_id or 0,
        claim_id=claim.id,
        description=data.description,
        reported_at=iso(policy.clock()),
        reported_by=actor.ledger_name,
        state=FaultState.OPEN.value,
    )
    session.add(report)
    session.flush()
    extra = {"fault_id": report.id, "claim_id": claim.id, "structure_id": report.structure_id}
    lifecycle.record(
        session,
        device,
        actor=actor.ledger_name,
        event=EventType.DEVICE_FAULT_REPORTED,
        extra={**extra, "description": data.description},
    )
    lifecycle.move(
        session,
        device,
        to=Status.IN_REFURBISHMENT,
        actor=actor.ledger_name,
        fields={"structure_id": None, "price_cents": None},
        extra={**extra, "why": "fault under warranty"},
    )
    return report


def fault_for(session: Session, actor: Actor, fault_id: int) -> FaultReport:
    report = session.get(FaultReport, fault_id)
    if report is None or (actor.is_structure and report.structure_id != actor.structure_id):
        raise FaultNotFound(id=fault_id)
    return report


def faults(
    session: Session, actor: Actor, *, state: FaultState | None = None
) -> Sequence[FaultReport]:
    query = select(FaultReport).order_by(col(FaultReport.id).desc())
    if actor.is_structure:
        query = query.where(col(FaultReport.structure_id) == actor.structure_id)
    if state is not None:
        query = query.where(col(FaultReport.state) == state.value)
    return session.exec(query).all()


def decide_fault(
    session: Session,
    actor: Actor,
    fault_id: int,
    *,
    data: FaultDecision,
    policy: ClaimPolicy,
    mail: bool,
) -> FaultReport:
    """A coordinator's decision (`fault.decided`): a replacement device reserved for the
    structure at no cost, or none, with a note. Raises FaultDecided, ReplacementNeeded,
    DeviceUnavailable."""
    ledger.lock(session)
    report = fault_for(session, actor, fault_id)
    if report.state != FaultState.OPEN:
        raise FaultDecided(id=fault_id, state=Message(FAULT_STATE_LABELS[report.state]))
    structure = session.get(Structure, report.structure_id)
    assert structure is not None
    if data.replace:
        if not data.device_code:
            raise ReplacementNeeded()
        code = claims._parsed([data.device_code])[0]
        item = session.execute(
            select_rows(CatalogItem).where(col(CatalogItem.code) == code).with_for_update()
        ).scalar_one_or_none()
        if item is None:
            error = DeviceUnavailable(devices=[codes.display(code)])
            error.extra = {"devices": [codes.display(code)]}
            raise error
        claim = claims.reserve(
            session, actor, structure, [item], policy=policy, free=True, fault_id=report.id
        )
        report.replacement_claim_id = claim.id
    report.state = (FaultState.REPLACED if data.replace else FaultState.NOT_REPLACED).value
    report.decision_note = data.note
    report.decided_at = iso(policy.clock())
    report.decided_by = actor.ledger_name
    session.add(report)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.FAULT_DECIDED,
        payload={
            "fault_id": report.id,
            "structure_id": report.structure_id,
            "decision": report.state,
            "replacement_claim_id": report.replacement_claim_id,
            "note": data.note,
        },
    )
    device = session.get(Device, report.device_id)
    decision = {"msgid": REPLACED if data.replace else NOT_REPLACED}
    inbox.notify(
        session,
        structure,
        kind="fault.decided",
        params={
            "fault": report.id,
            "device": codes.display(device.code) if device else "?",
            "decision": decision,
            "note": data.note or "",
        },
        now=iso(policy.clock()),
        claim_id=report.replacement_claim_id,
        mail=mail,
    )
    return report
