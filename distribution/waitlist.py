"""The waitlist: first come, first served, within quota, as devices become available.

Entries are served in the order they joined: each takes what the stock has for its
criteria, up to what it still waits for and what its structure's quota leaves; an
entry partly served keeps its place for the rest, one whose structure has no quota
left this period (or is not active) keeps its place and is passed over for now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from db import codes, ledger
from db.clock import iso
from db.enums import StructureStatus
from db.errors import Message
from db.events import EventType
from db.models import Structure
from distribution import claims, inbox
from distribution.claims import ClaimPolicy
from distribution.errors import NotWaiting, WaitlistEntryNotFound
from distribution.models import WAIT_STATE_LABELS, Claim, Criteria, WaitlistEntry, WaitState
from remise.auth import Actor


@dataclass(frozen=True)
class Served:
    entry_id: int
    claim_id: int
    devices: int


def serve(
    session: Session, actor: Actor, *, policy: ClaimPolicy, mail: bool = False
) -> list[Served]:
    """Serve the waiting entries in order (`claim.served` with the claim made for each)."""
    ledger.lock(session)
    done: list[Served] = []
    waiting = session.exec(
        select(WaitlistEntry)
        .where(col(WaitlistEntry.state) == WaitState.WAITING.value)
        .order_by(col(WaitlistEntry.id))
    ).all()
    for entry in waiting:
        claim = _serve_one(session, actor, entry, policy, mail)
        if claim is not None:
            done.append(Served(entry.id or 0, claim.id or 0, entry.served))
    return done


def _serve_one(
    session: Session, actor: Actor, entry: WaitlistEntry, policy: ClaimPolicy, mail: bool
) -> Claim | None:
    structure = session.get(Structure, entry.structure_id)
    if structure is None or structure.status != StructureStatus.ACTIVE:
        return None
    need = entry.quantity - entry.served
    room = claims.remaining_quota(session, structure, entry.category, policy)
    if room <= 0 or need <= 0:
        return None
    items = claims.pick(session, Criteria.model_validate(entry.criteria), min(need, room))
    if not items:
        return None
    claim = claims.reserve(session, actor, structure, items, policy=policy, entry=entry)
    entry.served += len(items)
    if entry.served >= entry.quantity:
        entry.state = WaitState.SERVED.value
        entry.ended_at = iso(policy.clock())
    session.add(entry)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.CLAIM_SERVED,
        payload={
            "waitlist_entry_id": entry.id,
            "claim_id": claim.id,
            "structure_id": structure.id,
            "devices": [i.code for i in items],
            "served": entry.served,
            "still_waiting": entry.quantity - entry.served,
        },
    )
    inbox.notify(
        session,
        structure,
        kind="claim.served",
        params={
            "claim": claim.id,
            "devices": [codes.display(i.code) for i in items],
            "expires": claim.expires_at[:10],
            "left": entry.quantity - entry.served,
        },
        now=iso(policy.clock()),
        claim_id=claim.id,
        mail=mail,
    )
    return claim


def entry_for(session: Session, actor: Actor, entry_id: int) -> WaitlistEntry:
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or (actor.is_structure and entry.structure_id != actor.structure_id):
        raise WaitlistEntryNotFound(id=entry_id)
    return entry


def cancel_entry(
    session: Session, actor: Actor, entry_id: int, *, policy: ClaimPolicy
) -> WaitlistEntry:
    """Leave the line (`waitlist.cancelled`); devices already served stay reserved."""
    ledger.lock(session)
    entry = entry_for(session, actor, entry_id)
    session.refresh(entry)
    if entry.state != WaitState.WAITING:
        raise NotWaiting(id=entry_id, state=Message(WAIT_STATE_LABELS[WaitState(entry.state)]))
    entry.state = WaitState.CANCELLED.value
    entry.ended_at = iso(policy.clock())
    session.add(entry)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.WAITLIST_CANCELLED,
        payload={"waitlist_entry_id": entry.id, "structure_id": entry.structure_id},
    )
    return entry


def entries(
    session: Session, actor: Actor, *, structure_id: int | None = None, waiting_only: bool = True
) -> Sequence[WaitlistEntry]:
    query = select(WaitlistEntry).order_by(col(WaitlistEntry.id))
    if actor.is_structure:
        query = query.where(col(WaitlistEntry.structure_id) == actor.structure_id)
    elif structure_id is not None:
        query = query.where(col(WaitlistEntry.structure_id) == structure_id)
    if waiting_only:
        query = query.where(col(WaitlistEntry.state) == WaitState.WAITING.value)
    return session.exec(query).all()


def position(session: Session, entry: WaitlistEntry) -> int | None:
    """1 for the entry served first among those waiting for its category; None once it
    no longer waits."""
    if entry.state != WaitState.WAITING:
        return None
    ahead = session.exec(
        select(func.count())
        .select_from(WaitlistEntry)
        .where(
            col(WaitlistEntry.state) == WaitState.WAITING.value,
            col(WaitlistEntry.category) == entry.category,
            col(WaitlistEntry.id) < (entry.id or 0),
        )
    ).one()
    return int(ahead) + 1
