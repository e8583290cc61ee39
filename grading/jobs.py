"""Grading's scheduler job: a device is available exactly while its data is erased.

A device graded while one of its media still waited (an erasure to verify again, a
re-verification that failed) stays `graded`. The job reads the erasure events past its
cursor (`grading.available`), and for each device that is graded, whose newest grading
gave it a grade and whose every medium now counts, prices it with the grid in force
and makes it `available`, as grading it would have. The other way, an available device
one of whose media no longer counts (the R2v3 re-verification failed) is withdrawn
(`graded`) until it is erased again: no structure may claim it meanwhile. Idempotent: a
device already where it should be is left as it is; the cursor moves in the same
transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from db import ledger, lifecycle, media
from db.enums import Status
from db.events import EventType
from db.models import Device
from grading import documents, pricing
from grading.models import GradeDecision
from remise.auth import Actor

CURSOR = "grading.available"
ERASURE_EVENTS = (EventType.DEVICE_ERASURE_RECORDED, EventType.DEVICE_ERASURE_REVERIFIED)
NUMBERS = ("battery_percent", "ram_gb", "storage_gb", "functions_failed")


def revived(facts: dict[str, Any]) -> dict[str, Any]:
    """A decision's facts as the rules compare them (the ledger keeps 7.45 as "7.45")."""
    found = dict(facts)
    for key in NUMBERS:
        if isinstance(found.get(key), str):
            found[key] = float(found[key])
    return found


def make_available(session: Session, actor: Actor, *, today: date) -> list[int]:
    """Make available the graded devices whose data is now erased; returns their ids."""
    events = ledger.events_after(session, CURSOR, types=[e.value for e in ERASURE_EVENTS])
    if not events:
        return []
    made = []
    for device_id in sorted({e.device_id for e in events if e.device_id is not None}):
        if _make_available(session, actor, device_id, today):
            made.append(device_id)
    ledger.advance(session, CURSOR, events[-1].seq)
    return made


def _make_available(session: Session, actor: Actor, device_id: int, today: date) -> bool:
    device = session.get(Device, device_id)
    if device is not None and device.status == Status.AVAILABLE:
        _withdraw_if_unerased(session, actor, device)
        return False
    if device is None or device.status != Status.GRADED or device.grade is None:
        return False
    decision = session.exec(
        select(GradeDecision)
        .where(col(GradeDecision.device_id) == device_id)
        .order_by(col(GradeDecision.id).desc())
        .limit(1)
    ).first()
    if decision is None or decision.grade != device.grade:
        return False
    if media.outstanding(session, device_id, device.category):
        return False
    grid_version, grid, _row = documents.current_grid(session, today)
    price = pricing.price_for(grid, device.category, device.grade, revived(decision.facts))
    if price is None:
        return False
    lifecycle.move(
        session,
        device,
        to=Status.AVAILABLE,
        actor=actor.ledger_name,
        fields={"price_cents": price.cents},
        extra={
            "decision_id": decision.id,
            "grid_version": grid_version,
            "base_cents": price.base_cents,
            "tiers": [{"id": t, "add_cents": c} for t, _, c in price.tiers],
            "why": "data erased",
        },
    )
    return True


def _withdraw_if_unerased(session: Session, actor: Actor, device: Device) -> None:
    unerased = media.outstanding(session, device.id or 0, device.category)
    if not unerased:
        return
    lifecycle.move(
        session,
        device,
        to=Status.GRADED,
        actor=actor.ledger_name,
        fields={"price_cents": None},
        extra={"why": "data no longer erased", "erasure": [str(m) for m in unerased]},
    )
