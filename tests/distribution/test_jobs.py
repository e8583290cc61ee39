"""Distribution's scheduled job, run with a clock the test turns, never by sleeping:
reservations expire and are reminded once, the waitlist is served first come, first
served within quota, and a run happens once however many workers schedule it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from db import joblock, ledger
from db.engine import transaction
from db.enums import Category, Role, Status, StructureStatus
from db.models import CatalogItem, Device, LedgerEvent, Structure
from distribution import claims, holding
from distribution import jobs as distribution_jobs
from distribution.api import policy_of
from distribution.claims import ClaimPolicy
from distribution.models import (
    Claim,
    ClaimCreate,
    Criteria,
    InboxMessage,
    StructureCreate,
    StructureUpdate,
    WaitlistEntry,
)
from distribution.service import create_structure, set_status, update_structure
from remise.auth import Actor, system_actor
from remise.scheduler import run_distribution
from remise.settings import Settings
from tests.factories import ACTOR, make_device

T0 = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)
_numbers = itertools.count(1)
COVETED = Criteria(category=Category.LAPTOP, min_ram_gb=16)


class Clock:
    """The time the job reads; the test turns it."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def turn(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def policy(settings: Settings, clock: Clock) -> ClaimPolicy:
    return policy_of(settings, clock)


def active_structure(engine: Engine, *, laptops: int = 5, email: str | None = None) -> Actor:
    """A new active structure with a laptop quota; returns one of its staff."""
    with transaction(engine) as session:
        data = StructureCreate(name=f"Structure {next(_numbers)}", contact_email=email)
        sid = create_structure(session, ACTOR, data=data).id
        assert sid is not None
        update = StructureUpdate(status=StructureStatus.ACTIVE, quotas={Category.LAPTOP: laptops})
        update_structure(session, ACTOR, sid, data=update)
    return Actor(user_id=None, username=f"staff-{sid}", role=Role.STRUCTURE, structure_id=sid)


def stock(engine: Engine, count: int, *, ram: int = 8) -> list[str]:
    """`count` laptops made available with `ram` GB; returns their codes."""
    specs = {"grading": {"specs": {"ram_gb": ram}}}
    with transaction(engine) as session:
        made = [
            make_device(session, status=Status.AVAILABLE, attributes=specs) for _ in range(count)
        ]
    return [device.code for device in made]


def claim(engine: Engine, actor: Actor, policy: ClaimPolicy, **asked: Any) -> claims.Outcome:
    with transaction(engine) as session:
        return claims.create_claim(session, actor, data=ClaimCreate(**asked), policy=policy)


def wait(engine: Engine, actor: Actor, policy: ClaimPolicy, quantity: int) -> int:
    """A place in line for `quantity` 16 GB laptops; returns the entry's id."""
    outcome = claim(engine, actor, policy, quantity=quantity, criteria=COVETED, waitlist=True)
    assert outcome.waiting is not None and outcome.waiting.id is not None
    return outcome.waiting.id


def events(engine: Engine, kind: str) -> list[dict[str, Any]]:
    with transaction(engine, read_only=True) as session:
        rows = session.exec(select(LedgerEvent).where(LedgerEvent.type == kind)).all()
        return [ledger.payload_of(row) for row in rows]


def entry(engine: Engine, entry_id: int) -> WaitlistEntry:
    with transaction(engine, read_only=True) as session:
        found = session.get(WaitlistEntry, entry_id)
    assert found is not None
    return found


def served(done: distribution_jobs.Tick) -> list[tuple[int, int]]:
    """(entry, devices it has now) for each entry the run served, in the order served."""
    return [(s.entry_id, s.devices) for s in done.served]


def inbox(engine: Engine, actor: Actor) -> list[tuple[str, int | None]]:
    with transaction(engine, read_only=True) as session:
        rows = session.exec(
            select(InboxMessage).where(InboxMessage.structure_id == actor.structure_id)
        ).all()
        return [(m.kind, m.claim_id) for m in rows]


def statuses(engine: Engine, codes: Sequence[str]) -> dict[str, tuple[str, int | None]]:
    with transaction(engine, read_only=True) as session:
        rows = session.exec(select(Device).where(col(Device.code).in_(codes))).all()
        return {d.code: (d.status, d.structure_id) for d in rows}


def test_a_reservation_expires_after_the_hold_and_its_devices_return_to_stock(
    engine: Engine, settings: Settings, clock: Clock, policy: ClaimPolicy
) -> None:
    staff = active_structure(engine)
    codes = stock(engine, 2)
    made = claim(engine, staff, policy, device_codes=codes).claim
    assert made is not None and settings.claim_hold_days == 14
    clock.turn(days=14, seconds=-1)
    assert run_distribution(engine, settings, clock=clock).expired == []
    assert statuses(engine, codes) == {c: ("reserved", staff.structure_id) for c in codes}
    clock.turn(seconds=1)
    assert run_distribution(engine, settings, clock=clock).expired == [made.id]
    assert statuses(engine, codes) == {c: ("available", None) for c in codes}
    with transaction(engine, read_only=True) as session:
        ended = session.get(Claim, made.id)
        listed = session.exec(select(CatalogItem.code)).all()
        assert ledger.verify(session).ok
    assert ended is not None and ended.state == "expired" and sorted(listed) == sorted(codes)
    released = events(engine, "device.released")
    assert [(e["claim_id"], e["why"]) for e in released] == [(made.id, "expired")] * 2
    assert [e["claim_id"] for e in events(engine, "claim.expired")] == [made.id]
    assert ("claim.expired", made.id) in inbox(engine, staff)


def test_a_reminder_is_given_once_three_days_before_expiry(
    engine: Engine, settings: Settings, clock: Clock, policy: ClaimPolicy
) -> None:
    staff = active_structure(engine)
    made = claim(engine, staff, policy, device_codes=stock(engine, 1)).claim
    assert made is not None and settings.claim_reminder_days == 3
    clock.turn(days=11, minutes=-1)
    assert run_distribution(engine, settings, clock=clock).reminded == []
    assert events(engine, "claim.reminded") == []
    clock.turn(minutes=1)
    assert run_distribution(engine, settings, clock=clock).reminded == [made.id]
    clock.turn(days=1)
    assert run_distribution(engine, settings, clock=clock).reminded == []
    assert [e["claim_id"] for e in events(engine, "claim.reminded")] == [made.id]
    assert inbox(engine, staff) == [("claim.reminder", made.id)]


def test_the_waitlist_is_served_in_turn_and_a_partly_served_entry_keeps_its_place(
    engine: Engine, settings: Settings, clock: Clock, policy: ClaimPolicy
) -> None:
    first, second = active_structure(engine), active_structure(engine)
    early, late = wait(engine, first, policy, 3), wait(engine, second, policy, 1)
    stock(engine, 2, ram=16)
    assert served(run_distribution(engine, settings, clock=clock)) == [(early, 2)]
    stock(engine, 1, ram=16)
    assert served(run_distribution(engine, settings, clock=clock)) == [(early, 3)]
    assert entry(engine, early).state == "served" and entry(engine, late).served == 0
    stock(engine, 1, ram=16)
    assert served(run_distribution(engine, settings, clock=clock)) == [(late, 1)]
    assert [
        (e["waitlist_entry_id"], e["still_waiting"]) for e in events(engine, "claim.served")
    ] == [
        (early, 1),
        (early, 0),
        (late, 0),
    ]
    assert [kind for kind, _claim in inbox(engine, first)] == ["claim.served"] * 2


def test_a_cancelled_claim_serves_the_waitlist(
    engine: Engine, settings: Settings, clock: Clock, policy: ClaimPolicy
) -> None:
    holder, waiter = active_structure(engine), active_structure(engine)
    codes = stock(engine, 2, ram=16)
    made = claim(engine, holder, policy, quantity=2, criteria=COVETED).claim
    assert made is not None and made.id is not None
    waiting = wait(engine, waiter, policy, 1)
    assert run_distribution(engine, settings, clock=clock).served == []
    with transaction(engine) as session:
        holding.cancel_claim(session, holder, made.id, policy=policy)
    assert served(run_distribution(engine, settings, clock=clock)) == [(waiting, 1)]
    now = sorted(statuses(engine, codes).values(), key=str)
    assert now == [("available", None), ("reserved", waiter.structure_id)]


def test_the_waitlist_is_served_within_quota(
    engine: Engine, settings: Settings, clock: Clock, policy: ClaimPolicy
) -> None:
    small, other = active_structure(engine, laptops=3), active_structure(engine)
    early = wait(engine, small, policy, 3)
    plain_codes = stock(engine, 2)
    plain = claim(engine, small, policy, device_codes=plain_codes).claim  # 1 left
    assert plain is not None and plain.id is not None
    late = wait(engine, other, policy, 1)
    stock(engine, 3, ram=16)
    assert served(run_distribution(engine, settings, clock=clock)) == [(early, 1), (late, 1)]
    assert entry(engine, early).state == "waiting"
    with transaction(engine) as session:
        holding.cancel_claim(session, small, plain.id, policy=policy)
    assert served(run_distribution(engine, settings, clock=clock)) == [(early, 2)]
    with transaction(engine, read_only=True) as session:
        structure = session.get(Structure, small.structure_id)
        assert structure is not None
        assert claims.remaining_quota(session, structure, "laptop", policy) == 1
        assert sorted(session.exec(select(CatalogItem.code)).all()) == sorted(plain_codes)


def test_a_suspended_structure_is_passed_over_but_keeps_its_place(
    engine: Engine, settings: Settings, clock: Clock, policy: ClaimPolicy
) -> None:
    staff = [active_structure(engine) for _ in range(3)]
    entries = [wait(engine, s, policy, 1) for s in staff]
    assert staff[0].structure_id is not None
    with transaction(engine) as session:
        set_status(session, ACTOR, staff[0].structure_id, StructureStatus.SUSPENDED)
    stock(engine, 1, ram=16)
    assert served(run_distribution(engine, settings, clock=clock)) == [(entries[1], 1)]
    with transaction(engine) as session:
        set_status(session, ACTOR, staff[0].structure_id, StructureStatus.ACTIVE)
    stock(engine, 1, ram=16)
    assert served(run_distribution(engine, settings, clock=clock)) == [(entries[0], 1)]
    stock(engine, 1, ram=16)
    assert served(run_distribution(engine, settings, clock=clock)) == [(entries[2], 1)]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite: one writer anyway
def test_a_second_run_while_the_first_holds_its_transaction_is_skipped(
    engine: Engine, settings: Settings, clock: Clock, policy: ClaimPolicy
) -> None:
    staff = active_structure(engine)
    made = claim(engine, staff, policy, device_codes=stock(engine, 1)).claim
    assert made is not None
    clock.turn(days=15)
    job = system_actor("scheduler")
    with transaction(engine) as first:
        assert distribution_jobs.tick(first, job, policy=policy, mail=False).expired == [made.id]
        with transaction(engine) as second:
            assert not joblock.try_lock(second, distribution_jobs.JOB)
        assert run_distribution(engine, settings, clock=clock) == distribution_jobs.Tick(ran=False)
    assert len(events(engine, "claim.expired")) == 1
    assert run_distribution(engine, settings, clock=clock).ran  # the lock went with the commit


def test_a_rerun_changes_nothing(
    engine: Engine, settings: Settings, clock: Clock, policy: ClaimPolicy
) -> None:
    holder, waiter = active_structure(engine), active_structure(engine)
    soon = claim(engine, holder, policy, device_codes=stock(engine, 1)).claim
    clock.turn(days=3)
    later = claim(engine, holder, policy, device_codes=stock(engine, 1, ram=16)).claim
    waiting = wait(engine, waiter, policy, 2)
    assert soon is not None and later is not None
    clock.turn(days=11, hours=1)  # the first has expired, the second ends in 3 days
    done = run_distribution(engine, settings, clock=clock)
    assert (done.expired, done.reminded, served(done)) == ([soon.id], [later.id], [])
    with transaction(engine, read_only=True) as session:
        head = ledger.head(session)
    again = run_distribution(engine, settings, clock=clock)
    assert again == distribution_jobs.Tick(ran=True)
    with transaction(engine, read_only=True) as session:
        assert ledger.head(session) == head and ledger.verify(session).ok
    assert entry(engine, waiting).served == 0
