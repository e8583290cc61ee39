"""What a donor's devices became over a period, read from the current tables.

Each figure applies the period to the date that says when it happened:
- received: the batch's pickup date;
- refurbished: the time of the device's `device.refurbished` event (the ledger is read
  here because a device's status moves on, and the events alone keep when it passed);
- reused: the claim's handover time, for the devices still with a structure (one
  handed over, then returned under warranty, is counted as returned since);
- dismantled for parts, recycled, lost: when the device reached that status (a final one);
- certificates: when they were issued (a certificate superseded by a later one of the
  period is left out: the later one says more).

A donor's devices are those of its batches; nothing names a structure or a person.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from db import codes
from db.enums import Status
from db.events import EventType
from db.media import ErasureCertificate
from db.models import Batch, Device, LedgerEvent, Structure
from distribution.models import Claim, ClaimItem, ItemState
from refurbish.models import HarvestedPart
from reporting.period import Period

NOT_STATED = "not_stated"  # a structure that did not say whom it serves


@dataclass(frozen=True)
class Reuse:
    by_category: dict[str, int]
    by_public: dict[str, int]  # PublicCategory value, or NOT_STATED
    returned_since: int


@dataclass(frozen=True)
class CertificateLine:
    code: str
    scope: str  # batch, device
    batch_id: int | None
    device_code: str | None  # as printed: XXXX-XXXX
    issued_at: str
    devices: int
    pending: int  # devices still waiting for an erasure when it was issued


def _donors_devices(donor_id: int) -> Any:
    return (
        select(col(Device.id))
        .join(Batch, col(Batch.id) == col(Device.batch_id))
        .where(col(Batch.donor_id) == donor_id)
    )


def received(session: Session, donor_id: int, period: Period) -> dict[str, int]:
    rows = session.execute(
        select(col(Device.category), func.count())
        .join(Batch, col(Batch.id) == col(Device.batch_id))
        .where(col(Batch.donor_id) == donor_id)
        .where(col(Batch.pickup_date) >= period.start, col(Batch.pickup_date) <= period.end)
        .group_by(col(Device.category))
    ).all()
    return {category: n for category, n in rows}


def refurbished(session: Session, donor_id: int, start: str, end: str) -> dict[str, int]:
    rows = session.execute(
        select(col(Device.category), func.count(func.distinct(col(Device.id))))
        .select_from(LedgerEvent)
        .join(Device, col(Device.id) == col(LedgerEvent.device_id))
        .join(Batch, col(Batch.id) == col(Device.batch_id))
        .where(col(Batch.donor_id) == donor_id)
        .where(col(LedgerEvent.type) == EventType.DEVICE_REFURBISHED.value)
        .where(col(LedgerEvent.at) >= start, col(LedgerEvent.at) < end)
        .group_by(col(Device.category))
    ).all()
    return {category: n for category, n in rows}


def reused(session: Session, donor_id: int, start: str, end: str) -> Reuse:
    """The devices handed over in the period, each once (its last handover in it)."""
    rows = session.execute(
        select(
            col(ClaimItem.device_id),
            col(Device.category),
            col(Device.status),
            col(Structure.public_category),
        )
        .join(Claim, col(Claim.id) == col(ClaimItem.claim_id))
        .join(Device, col(Device.id) == col(ClaimItem.device_id))
        .join(Batch, col(Batch.id) == col(Device.batch_id))
        .join(Structure, col(Structure.id) == col(ClaimItem.structure_id))
        .where(col(Batch.donor_id) == donor_id)
        .where(col(ClaimItem.state) == ItemState.HANDED_OVER.value)
        .where(col(Claim.handed_over_at) >= start, col(Claim.handed_over_at) < end)
        .order_by(col(Claim.handed_over_at), col(ClaimItem.id))
    ).all()
    last = {device_id: (category, status, public) for device_id, category, status, public in rows}
    kept = [(c, p) for c, s, p in last.values() if s == Status.HANDED_OVER.value]
    return Reuse(
        by_category=dict(Counter(category for category, _public in kept)),
        by_public=dict(Counter(public or NOT_STATED for _category, public in kept)),
        returned_since=len(last) - len(kept),
    )


def ended(session: Session, donor_id: int, status: Status, start: str, end: str) -> dict[str, int]:
    """The donor's devices that reached the final `status` in the period, by category."""
    rows = session.execute(
        select(col(Device.category), func.count())
        .join(Batch, col(Batch.id) == col(Device.batch_id))
        .where(col(Batch.donor_id) == donor_id, col(Device.status) == status.value)
        .where(col(Device.status_since) >= start, col(Device.status_since) < end)
        .group_by(col(Device.category))
    ).all()
    return {category: n for category, n in rows}


def harvested(session: Session, donor_id: int, start: str, end: str) -> int:
    """The parts taken from the donor's devices dismantled in the period."""
    dismantled = _donors_devices(donor_id).where(
        col(Device.status) == Status.PARTS.value,
        col(Device.status_since) >= start,
        col(Device.status_since) < end,
    )
    found = session.scalar(
        select(func.count())
        .select_from(HarvestedPart)
        .where(col(HarvestedPart.source_device_id).in_(dismantled))
    )
    return int(found or 0)


def certificates(session: Session, donor_id: int, start: str, end: str) -> list[CertificateLine]:
    """The erasure certificates of the donor's batches and devices issued in the period,
    oldest first; what each covers is read from its ledger event, not its envelope."""
    batches = select(col(Batch.id)).where(col(Batch.donor_id) == donor_id)
    rows = session.execute(
        select(ErasureCertificate, col(LedgerEvent.payload), col(Device.code))
        .join(LedgerEvent, col(LedgerEvent.seq) == col(ErasureCertificate.ledger_seq))
        .outerjoin(Device, col(Device.id) == col(ErasureCertificate.device_id))
        .where(
            or_(
                col(ErasureCertificate.batch_id).in_(batches),
                col(ErasureCertificate.device_id).in_(_donors_devices(donor_id)),
            )
        )
        .where(col(ErasureCertificate.issued_at) >= start, col(ErasureCertificate.issued_at) < end)
        .order_by(col(ErasureCertificate.issued_at), col(ErasureCertificate.id))
    ).all()
    superseded = {row.supersedes_id for row, _payload, _code in rows}
    lines = []
    for row, payload, device_code in rows:
        if row.id in superseded:
            continue
        said = orjson.loads(payload)
        lines.append(
            CertificateLine(
                code=row.code,
                scope=row.scope,
                batch_id=row.batch_id,
                device_code=codes.display(device_code) if device_code else None,
                issued_at=row.issued_at,
                devices=int(said.get("devices") or 0),
                pending=int(said.get("pending") or 0),
            )
        )
    return lines
