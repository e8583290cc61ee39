"""Fifty claimants at once never reserve one device twice nor overrun a quota, and the
waitlist they leave is served first come, first served, within quota.

Threads on SQLite (one file, a connection each), an engine each on PostgreSQL; every
claim is its own committed transaction, tried again when the database says "busy",
while the scheduled job runs again and again beside them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from db import codes, ledger
from db.engine import is_busy, make_engine, transaction
from db.enums import Category, Role, Status, StructureStatus
from db.errors import DomainError
from db.models import CatalogItem, Device, LedgerEvent
from distribution import claims, holding
from distribution.api import policy_of
from distribution.claims import ClaimPolicy
from distribution.models import (
    Claim,
    ClaimCreate,
    ClaimItem,
    ClaimState,
    Criteria,
    StructureUpdate,
    WaitlistEntry,
    WaitState,
)
from distribution.service import update_structure
from remise.auth import Actor
from remise.scheduler import run_distribution
from remise.settings import Settings
from tests.factories import ACTOR, make_device, make_structure

CLAIMANTS, STRUCTURES, LAPTOPS, PHONES = 50, 20, 80, 20
RAM = (4, 8, 8, 16)  # laptop i has RAM[i % 4] GB: a quarter of them are the coveted 16 GB
NOW = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)  # mid-quarter: every claim in one period
REFUSALS = {"quota_exceeded", "device_unavailable", "not_enough_stock", "stale_device"}
HELD = ("reserved", "handed_over")


@dataclass
class Stock:
    laptops: list[str] = field(default_factory=list)  # codes, in the order made
    phones: list[str] = field(default_factory=list)
    specs: dict[int, tuple[str, int]] = field(default_factory=dict)  # id → category, RAM
    structures: list[int] = field(default_factory=list)
    quotas: dict[tuple[int, str], int] = field(default_factory=dict)


def quotas_of(n: int) -> dict[Category, int]:
    return {
        Category.LAPTOP: 4 if n < 15 else 2,
        Category.SMARTPHONE: 2 if n % 2 == 0 else 1,
    }


def seed(engine: Engine) -> Stock:
    stock = Stock()
    with transaction(engine) as session:
        for n in range(STRUCTURES):
            sid = make_structure(session)
            update = StructureUpdate(status=StructureStatus.ACTIVE, quotas=quotas_of(n))
            update_structure(session, ACTOR, sid, data=update)
            stock.structures.append(sid)
            stock.quotas |= {(sid, c.value): q for c, q in quotas_of(n).items()}
        for i in range(LAPTOPS + PHONES):
            category, ram = (
                (Category.LAPTOP, RAM[i % 4]) if i < LAPTOPS else (Category.SMARTPHONE, 4)
            )
            specs = {"grading": {"specs": {"ram_gb": ram, "storage_gb": 128}}}
            device = make_device(
                session, status=Status.AVAILABLE, category=category, attributes=specs
            )
            (stock.laptops if i < LAPTOPS else stock.phones).append(device.code)
            stock.specs[device.id or 0] = (category.value, ram)
    return stock


def plan(t: int, stock: Stock) -> list[ClaimCreate]:
    """Claimant t's three claims: three laptops named in a window that overlaps its
    neighbours' (and a phone, for some), 16 GB laptops by criteria, a phone."""
    named = [stock.laptops[(2 * t + k) % LAPTOPS] for k in range(3)]
    if t % 5 == 0:
        named.append(stock.phones[t % PHONES])
    coveted = Criteria(category=Category.LAPTOP, min_ram_gb=16)
    asks = [
        ClaimCreate(device_codes=[codes.display(c) for c in named]),
        ClaimCreate(quantity=1 + t % 2, criteria=coveted, waitlist=t % 3 == 0),
        ClaimCreate(
            quantity=1, criteria=Criteria(category=Category.SMARTPHONE), waitlist=t % 2 == 0
        ),
    ]
    return asks[t % 3 :] + asks[: t % 3]


def retried(work: Callable[[], str]) -> str:
    """`work` again while the database answers "busy, try again"."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return work()
        except Exception as exc:
            if not is_busy(exc) or time.monotonic() > deadline:
                raise


def attempt(engine: Engine, actor: Actor, data: ClaimCreate, policy: ClaimPolicy) -> str:
    """One claim in its own transaction: "reserved", "waitlisted" or why it was refused."""
    try:
        with transaction(engine) as session:
            outcome = claims.create_claim(session, actor, data=data, policy=policy)
        return "reserved" if outcome.claim is not None else "waitlisted"
    except DomainError as refused:
        if refused.code in REFUSALS:
            return refused.code
        raise


def claim_all(db_url: str, engine: Engine, stock: Stock, settings: Settings) -> Counter[str]:
    """The claimants, let loose together, while the job serves the waitlist meanwhile."""
    start, finished = threading.Barrier(CLAIMANTS + 1), threading.Event()
    policy = policy_of(settings, lambda: NOW)

    def own_engine() -> Engine:  # on PostgreSQL, a connection of its own to the server
        return make_engine(db_url, pool_size=1) if engine.dialect.name == "postgresql" else engine

    def claimant(t: int) -> list[str]:
        sid = stock.structures[t % STRUCTURES]
        actor = Actor(user_id=None, username=f"staff-{t}", role=Role.STRUCTURE, structure_id=sid)
        own = own_engine()
        own.connect().close()  # connected before the start, so that all start at once
        start.wait(timeout=60)
        done = [retried(lambda a=ask: attempt(own, actor, a, policy)) for ask in plan(t, stock)]
        if own is not engine:
            own.dispose()
        return done

    def scheduler() -> int:
        own, runs = own_engine(), 0
        start.wait(timeout=60)
        while not finished.is_set():
            retried(lambda: str(run_distribution(own, settings, clock=lambda: NOW).ran))
            runs += 1
        if own is not engine:
            own.dispose()
        return runs

    with ThreadPoolExecutor(CLAIMANTS + 1) as pool:
        job = pool.submit(scheduler)
        each = [pool.submit(claimant, t) for t in range(CLAIMANTS)]
        try:
            outcomes = Counter(o for future in each for o in future.result())
        finally:
            finished.set()
        assert job.result() > 0
    return outcomes


def _scalars(session: Session, statement: Any) -> list[Any]:
    return list(session.exec(statement).all())


def check_allocation(engine: Engine, stock: Stock) -> None:
    """No device held twice, each held device is its claim's structure's, every quota
    held, the catalogue is exactly the available devices, the ledger one linear chain."""
    with transaction(engine, read_only=True) as session:
        held = _scalars(
            session,
            select(ClaimItem, Claim, Device)
            .join(Claim, col(Claim.id) == col(ClaimItem.claim_id))
            .join(Device, col(Device.id) == col(ClaimItem.device_id))
            .where(col(ClaimItem.state) == "reserved"),
        )
        twice = Counter(item.device_id for item, _c, _d in held)
        assert [d for d, n in twice.items() if n > 1] == [], "a device reserved twice"
        for item, claim, device in held:
            assert claim.state == ClaimState.RESERVED
            assert device.status == Status.RESERVED
            assert device.structure_id == claim.structure_id == item.structure_id
        reserved = _scalars(session, select(Device.id).where(Device.status == "reserved"))
        assert set(reserved) == set(twice)
        used = Counter(
            (item.structure_id, item.category)
            for item in _scalars(session, select(ClaimItem).where(col(ClaimItem.state).in_(HELD)))
        )
        over = {key: n for key, n in used.items() if n > stock.quotas.get(key, 0)}
        assert over == {}, f"quotas overrun: {over}"
        available = _scalars(session, select(Device.id).where(Device.status == "available"))
        listed = _scalars(session, select(CatalogItem.device_id))
        assert sorted(listed) == sorted(available)
        assert len(available) + len(reserved) == len(stock.specs)
        check_ledger(session)


def check_ledger(session: Session) -> None:
    result = ledger.verify(session)
    seqs = [s for (s,) in session.connection().execute(text("SELECT seq FROM ledger_event"))]
    assert result.ok, result.reason
    assert sorted(seqs) == list(range(1, len(seqs) + 1)) and result.checked == len(seqs)
    moves = _scalars(
        session,
        select(LedgerEvent.device_id, LedgerEvent.type)
        .where(col(LedgerEvent.type).in_(["device.reserved", "device.released"]))
        .order_by(col(LedgerEvent.seq)),
    )
    last: dict[int, str] = {}
    for device_id, kind in moves:  # reserved, released, reserved…: never reserved twice
        assert last.get(device_id, "device.released") != kind, f"device {device_id}: {kind} twice"
        last[device_id] = kind


def matches(criteria: dict[str, Any], specs: tuple[str, int]) -> bool:
    category, ram = specs
    return category == criteria["category"] and ram >= criteria.get("min_ram_gb", 0)


@dataclass
class Before:
    """What the waitlist, the quotas and the claims were just before a run of the job."""

    waiting: list[WaitlistEntry]
    room: dict[tuple[int, str], int]
    last_claim: int


def before_tick(engine: Engine, stock: Stock) -> Before:
    with transaction(engine, read_only=True) as session:
        waiting = _scalars(
            session,
            select(WaitlistEntry)
            .where(col(WaitlistEntry.state) == WaitState.WAITING.value)
            .order_by(col(WaitlistEntry.id)),
        )
        items = _scalars(session, select(ClaimItem).where(col(ClaimItem.state).in_(HELD)))
        used = Counter((i.structure_id, i.category) for i in items)
        last = session.exec(select(func.max(Claim.id))).one() or 0
    room = {key: quota - used[key] for key, quota in stock.quotas.items()}
    return Before(waiting, room, last)


def check_served_in_order(engine: Engine, stock: Stock, before: Before) -> int:
    """Walk the entries as the job should have: each, in the order it joined, takes what
    matches up to its need and its structure's room; one left hungry (room, need) means
    no later entry got a device it could have had, and none is left in stock."""
    with transaction(engine, read_only=True) as session:
        given: dict[int, list[int]] = {}
        for claim, item in session.exec(
            select(Claim, ClaimItem)
            .join(ClaimItem, col(ClaimItem.claim_id) == col(Claim.id))
            .where(col(Claim.id) > before.last_claim)
        ).all():
            given.setdefault(claim.waitlist_entry_id or 0, []).append(item.device_id)
        assert 0 not in given, "a claim made by the job that serves no entry"
        now = {e.id: e for e in _scalars(session, select(WaitlistEntry))}
        left = [stock.specs[d] for d in _scalars(session, select(CatalogItem.device_id))]
    room, hungry, served = dict(before.room), [], 0
    for entry in before.waiting:
        took, key = given.get(entry.id or 0, []), (entry.structure_id, entry.category)
        for criteria in hungry:
            assert not any(matches(criteria, stock.specs[d]) for d in took), "served out of turn"
        need, after = entry.quantity - entry.served, now[entry.id]
        assert len(took) <= min(need, room[key]) and after.served == entry.served + len(took)
        assert (after.state == WaitState.SERVED) == (after.served == after.quantity)
        room[key] -= len(took)
        if len(took) < need and room[key] > 0:
            hungry.append(entry.criteria)
            assert not any(matches(entry.criteria, s) for s in left), "left waiting with stock"
        served += len(took)
    return served


def release_and_serve(
    engine: Engine, settings: Settings, stock: Stock, which: Callable[[int], bool]
) -> int:
    policy = policy_of(settings, lambda: NOW)
    with transaction(engine) as session:
        held = _scalars(session, select(Claim.id).where(Claim.state == "reserved"))
        for claim_id in filter(which, held):
            holding.cancel_claim(session, ACTOR, claim_id, policy=policy)
    before = before_tick(engine, stock)
    assert run_distribution(engine, settings, clock=lambda: NOW).ran
    served = check_served_in_order(engine, stock, before)
    check_allocation(engine, stock)
    return served


def test_fifty_claimants_never_share_a_device_and_the_waitlist_is_served_in_turn(
    db_url: str, engine: Engine, settings: Settings
) -> None:
    stock = seed(engine)
    outcomes = claim_all(db_url, engine, stock, settings)
    assert sum(outcomes.values()) == 3 * CLAIMANTS
    # The devices were contested: some claims won, others lost to a rival or a quota.
    assert outcomes["reserved"] > 0 and outcomes["device_unavailable"] > 0, outcomes
    assert outcomes["quota_exceeded"] > 0 and outcomes["waitlisted"] > 0, outcomes
    check_allocation(engine, stock)
    served = release_and_serve(engine, settings, stock, lambda _claim_id: False)
    served += release_and_serve(engine, settings, stock, lambda claim_id: claim_id % 3 == 0)
    served += release_and_serve(engine, settings, stock, lambda claim_id: claim_id % 3 == 1)
    assert served > 0, "the waitlist was never served: the test proves nothing"
