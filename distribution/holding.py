"""A claim's end: handed over (its devices scanned one by one), cancelled, or expired;
the devices not given go back to stock (`device.released`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from db import codes, ledger, lifecycle
from db.clock import iso
from db.enums import Status
from db.errors import N_, Message
from db.events import EventType
from db.models import Device
from distribution.claims import ClaimPolicy, _parsed
from distribution.errors import ClaimNotFound, ClaimNotHeld, NotInClaim, NotScanned
from distribution.models import (
    CLAIM_STATE_LABELS,
    Claim,
    ClaimItem,
    ClaimState,
    HandoverIn,
    ItemState,
)
from remise.auth import Actor


def claim_for(session: Session, actor: Actor, claim_id: int) -> Claim:
    """One claim; another structure's is ClaimNotFound, as if it did not exist."""
    claim = session.get(Claim, claim_id)
    if claim is None or (actor.is_structure and claim.structure_id != actor.structure_id):
        raise ClaimNotFound(id=claim_id)
    return claim


def items_of(session: Session, claim_id: int) -> list[tuple[ClaimItem, Device]]:
    return items_of_many(session, [claim_id]).get(claim_id, [])


def items_of_many(
    session: Session, claim_ids: Sequence[int]
) -> dict[int, list[tuple[ClaimItem, Device]]]:
    """The devices of each claim, in one query for them all (a listing's page)."""
    rows = session.exec(
        select(ClaimItem, Device)
        .join(Device, col(Device.id) == col(ClaimItem.device_id))
        .where(col(ClaimItem.claim_id).in_(claim_ids))
        .order_by(col(ClaimItem.id))
    ).all()
    found: dict[int, list[tuple[ClaimItem, Device]]] = {}
    for item, device in rows:
        found.setdefault(item.claim_id, []).append((item, device))
    return found


def _held(session: Session, actor: Actor, claim_id: int) -> Claim:
    ledger.lock(session)
    claim = claim_for(session, actor, claim_id)
    session.refresh(claim)  # read under the ledger's lock: the job may just have ended it
    if claim.state != ClaimState.RESERVED:
        raise ClaimNotHeld(id=claim_id, state=Message(CLAIM_STATE_LABELS[claim.state]))
    return claim


def release(
    session: Session,
    actor: Actor,
    claim: Claim,
    items: Sequence[tuple[ClaimItem, Device]],
    why: str,
) -> None:
    """Put the claim's held devices in `items` back in stock."""
    held = [(item, device) for item, device in items if item.state == ItemState.RESERVED]
    lifecycle.move_many(
        session,
        [device for _item, device in held],
        to=Status.AVAILABLE,
        actor=actor.ledger_name,
        fields={"structure_id": None},
        extra_each=[{"claim_id": claim.id, "why": why}] * len(held),
    )
    for item, _device in held:
        item.state = ItemState.RELEASED.value
        session.add(item)


def end_claim(
    session: Session, actor: Actor, claim: Claim, *, state: ClaimState, policy: ClaimPolicy
) -> None:
    """Cancel or expire a held claim: its devices go back to stock, then `claim.cancelled`
    or `claim.expired`."""
    items = items_of(session, claim.id or 0)
    release(session, actor, claim, items, state.value)
    claim.state = state.value
    claim.ended_at = iso(policy.clock())
    claim.ended_by = actor.ledger_name
    claim.total_cents = 0
    session.add(claim)
    session.flush()
    event = EventType.CLAIM_CANCELLED if state == ClaimState.CANCELLED else EventType.CLAIM_EXPIRED
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=event,
        payload={
            "claim_id": claim.id,
            "structure_id": claim.structure_id,
            "devices": [d.code for _i, d in items],
        },
    )


def cancel_claim(session: Session, actor: Actor, claim_id: int, *, policy: ClaimPolicy) -> Claim:
    """The structure (or a coordinator) gives up a held claim. Raises ClaimNotHeld."""
    claim = _held(session, actor, claim_id)
    end_claim(session, actor, claim, state=ClaimState.CANCELLED, policy=policy)
    return claim


def _item_for(
    session: Session, claim: Claim, items: Sequence[tuple[ClaimItem, Device]], text: str
) -> tuple[ClaimItem, Device]:
    code = _parsed([text])[0]
    for item, device in items:
        if device.code == code and item.state == ItemState.RESERVED:
            return item, device
    raise NotInClaim(device=codes.display(code), model=_model_of(session, code), id=claim.id)


def _model_of(session: Session, code: str) -> str | Message:
    """What the device in hand is, so that the volunteer knows which one to put aside."""
    device = session.exec(select(Device).where(col(Device.code) == code)).first()
    if device is None:
        return Message(N_("no device has this code"))
    return " ".join(filter(None, (device.brand, device.model))) or device.category


def scan(
    session: Session, actor: Actor, claim_id: int, text: str, *, policy: ClaimPolicy
) -> Device:
    """Tick one device of a held claim as given (the handover page's scan): a device
    that is not in the claim is refused by its code. Scanning it again changes nothing."""
    claim = _held(session, actor, claim_id)
    item, device = _item_for(session, claim, items_of(session, claim_id), text)
    if item.scanned_at is None:
        item.scanned_at = iso(policy.clock())
        item.scanned_by = actor.ledger_name
        session.add(item)
        session.flush()
    return device


def unscan(session: Session, actor: Actor, claim_id: int, text: str) -> None:
    claim = _held(session, actor, claim_id)
    item, _device = _item_for(session, claim, items_of(session, claim_id), text)
    item.scanned_at = item.scanned_by = None
    session.add(item)
    session.flush()


def hand_over(
    session: Session, actor: Actor, claim_id: int, *, data: HandoverIn, policy: ClaimPolicy
) -> Claim:
    """Give the scanned devices to the structure's collector: they become `handed_over`
    at the prices fixed at reservation (`device.handed_over`, then `claim.handed_over`).
    A code not in the claim is refused by name (NotInClaim); devices of the claim not
    scanned are refused (NotScanned) unless `release_missing` puts them back in stock."""
    claim = _held(session, actor, claim_id)
    items = items_of(session, claim_id)
    given = {
        pair[0].id: pair
        for pair in (_item_for(session, claim, items, t) for t in data.device_codes)
    }
    rest = [p for p in items if p[0].state == ItemState.RESERVED and p[0].id not in given]
    if rest and not data.release_missing:
        shown = [codes.display(d.code) for _i, d in rest]
        error = NotScanned(id=claim_id, devices=shown)
        error.extra = {"devices": shown}
        raise error
    release(session, actor, claim, rest, "not collected")
    now = iso(policy.clock())
    lifecycle.move_many(
        session,
        [device for _item, device in given.values()],
        to=Status.HANDED_OVER,
        actor=actor.ledger_name,
        extra_each=[
            {"claim_id": claim.id, "collector": data.collector, "price_cents": item.price_cents}
            for item, _device in given.values()
        ],
    )
    for item, _device in given.values():
        item.state = ItemState.HANDED_OVER.value
        item.scanned_at = item.scanned_at or now
        item.scanned_by = item.scanned_by or actor.ledger_name
        session.add(item)
    claim.state = ClaimState.HANDED_OVER.value
    claim.collector = data.collector
    claim.handed_over_at = now
    claim.handed_over_by = actor.ledger_name
    claim.total_cents = sum(item.price_cents for item, _d in given.values())
    session.add(claim)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.CLAIM_HANDED_OVER,
        payload={
            "claim_id": claim.id,
            "structure_id": claim.structure_id,
            "collector": data.collector,
            "devices": [d.code for _i, d in given.values()],
            "released": [d.code for _i, d in rest],
            "total_cents": claim.total_cents,
        },
    )
    return claim
