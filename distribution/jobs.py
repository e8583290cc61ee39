"""Distribution's scheduled work, one transaction a run: expired reservations go back
to stock, reservations about to end are reminded, the waitlist is served.

A run happens once even when the service runs as several worker processes: it first
takes the job's own lock (`db.joblock`: PostgreSQL's try-advisory lock; SQLite's
write transaction), and a worker that finds it taken skips that run. Every step is
also idempotent (a claim expires once, is reminded once), so a run repeated later
changes nothing. The clock is `ClaimPolicy.clock`: tests turn it, never sleep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, col, select

from db import codes, joblock, ledger
from db.clock import iso, parse_iso
from db.events import EventType
from db.models import Structure
from distribution import holding, inbox, rules, waitlist
from distribution.claims import ClaimPolicy
from distribution.models import Claim, ClaimState, ItemState
from remise.auth import Actor

JOB = "distribution.tick"


@dataclass
class Tick:
    ran: bool = True
    expired: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    served: list[waitlist.Served] = field(default_factory=list)


def tick(session: Session, actor: Actor, *, policy: ClaimPolicy, mail: bool) -> Tick:
    """One run of the job; `Tick(ran=False)` when another worker holds it."""
    if not joblock.try_lock(session, JOB):
        return Tick(ran=False)
    ledger.lock(session)
    done = Tick()
    done.expired = expire(session, actor, policy=policy, mail=mail)
    done.reminded = remind(session, actor, policy=policy, mail=mail)
    done.served = waitlist.serve(session, actor, policy=policy, mail=mail)
    return done


def _devices(session: Session, claim: Claim) -> list[str]:
    return [
        codes.display(device.code)
        for item, device in holding.items_of(session, claim.id or 0)
        if item.state == ItemState.RESERVED
    ]


def expire(session: Session, actor: Actor, *, policy: ClaimPolicy, mail: bool) -> list[int]:
    """End the reservations whose time is up; their structures are told."""
    now = iso(policy.clock())
    due = session.exec(
        select(Claim)
        .where(col(Claim.state) == ClaimState.RESERVED.value, col(Claim.expires_at) <= now)
        .order_by(col(Claim.id))
    ).all()
    for claim in due:
        devices = _devices(session, claim)
        holding.end_claim(session, actor, claim, state=ClaimState.EXPIRED, policy=policy)
        structure = session.get(Structure, claim.structure_id)
        assert structure is not None
        inbox.notify(
            session,
            structure,
            kind="claim.expired",
            params={"claim": claim.id, "devices": devices, "expires": claim.expires_at[:10]},
            now=iso(policy.clock()),
            claim_id=claim.id,
            mail=mail,
        )
    return [c.id or 0 for c in due]


def remind(session: Session, actor: Actor, *, policy: ClaimPolicy, mail: bool) -> list[int]:
    """Remind, once, each structure whose reservation ends within the reminder's days."""
    now = policy.clock()
    if policy.reminder_days <= 0:
        return []
    soon = iso(now + timedelta(days=policy.reminder_days))
    due = session.exec(
        select(Claim)
        .where(
            col(Claim.state) == ClaimState.RESERVED.value,
            col(Claim.reminded_at).is_(None),
            col(Claim.expires_at) <= soon,
        )
        .order_by(col(Claim.id))
    ).all()
    reminded = []
    for claim in due:
        expires = parse_iso(claim.expires_at)
        if not rules.reminder_due(expires, now=now, reminder_days=policy.reminder_days):
            continue
        claim.reminded_at = iso(now)
        session.add(claim)
        ledger.append(
            session,
            actor=actor.ledger_name,
            type=EventType.CLAIM_REMINDED,
            payload={
                "claim_id": claim.id,
                "structure_id": claim.structure_id,
                "expires_at": claim.expires_at,
            },
        )
        structure = session.get(Structure, claim.structure_id)
        assert structure is not None
        inbox.notify(
            session,
            structure,
            kind="claim.reminder",
            params={
                "claim": claim.id,
                "devices": _devices(session, claim),
                "expires": claim.expires_at[:10],
            },
            now=iso(policy.clock()),
            claim_id=claim.id,
            mail=mail,
        )
        reminded.append(claim.id or 0)
    session.flush()
    return reminded
