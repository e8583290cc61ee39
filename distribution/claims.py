"""Claims: a structure reserves devices, all or nothing, within its quota.

No device is ever reserved twice, and no quota exceeded, whatever runs at once:
- the devices are picked in the catalogue (`db.catalog`), on PostgreSQL with
  `FOR UPDATE SKIP LOCKED` for a claim by criteria (claimants take different rows
  rather than queueing on the same ones) and `FOR UPDATE` for named devices;
- then the ledger's lock is taken (`db.ledger.lock`: SQLite's `BEGIN IMMEDIATE`,
  PostgreSQL's advisory lock), after which every statement sees each earlier claim
  committed: the structure's status and its quota use are read there, inside the
  transaction that reserves;
- each device moves through `db.lifecycle.move`, whose compare-and-set on the status
  refuses a device another transaction took meanwhile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col
from sqlmodel import select as select_devices

from db import codes, ledger, lifecycle
from db.clock import iso, utcnow
from db.devices import InvalidCode
from db.enums import CATEGORY_LABELS, STRUCTURE_STATUS_LABELS, Category, Status, StructureStatus
from db.errors import N_, Message
from db.events import EventType
from db.models import CatalogItem, Device, Structure
from distribution import catalog, rules, service
from distribution.errors import (
    DeviceUnavailable,
    NotEnoughStock,
    QuotaExceeded,
    StructureNeeded,
    StructureNotActive,
)
from distribution.models import (
    Claim,
    ClaimCreate,
    ClaimItem,
    ClaimState,
    Criteria,
    ItemState,
    WaitlistEntry,
    WaitState,
)
from remise.auth import Actor


@dataclass(frozen=True)
class ClaimPolicy:
    """The settings a claim follows, and the clock it reads (tests turn it)."""

    quotas: service.QuotaPolicy = field(default_factory=service.QuotaPolicy)
    hold_days: int = 14
    reminder_days: int = 3
    warranty_months: int = 12
    clock: Callable[[], datetime] = utcnow


@dataclass(frozen=True)
class Outcome:
    """A claim made (`claim`), or a place taken on the waitlist (`waiting`)."""

    claim: Claim | None = None
    waiting: WaitlistEntry | None = None
    found: int = 0  # how many matched, when it waits


def waiting_reason(found: int, asked: int) -> Message:
    """Why a claim joined the waitlist rather than reserving."""
    return Message(
        N_(
            "Only %(found)s available device(s) meet these criteria, and %(asked)s were "
            "asked for: nothing was reserved, and the request waits in line. Devices are "
            "reserved for it as they become available, within the quota."
        ),
        {"found": found, "asked": asked},
    )


def structure_of(session: Session, actor: Actor, structure_id: int | None) -> Structure:
    """The structure a claim is for: the caller's own, or the one a coordinator names."""
    if actor.is_structure:
        return service.structure_for(session, actor, actor.structure_id or 0)
    if structure_id is None:
        raise StructureNeeded()
    return service.structure_for(session, actor, structure_id)


def create_claim(
    session: Session, actor: Actor, *, data: ClaimCreate, policy: ClaimPolicy
) -> Outcome:
    """Reserve the named devices, or `quantity` devices meeting `criteria`, for the
    structure; or, when the stock has too few and `waitlist` is asked, take a place in
    line. Raises StructureNotActive, QuotaExceeded, DeviceUnavailable, NotEnoughStock."""
    structure = structure_of(session, actor, data.structure_id)
    # Checked first without any lock, so that a claim bound to fail does not hold
    # catalogue rows that other claims would skip meanwhile; checked again below, under
    # the ledger's lock, where it counts.
    _check_active(session, structure, again=False)
    if data.device_codes is not None:
        wanted = _parsed(data.device_codes)
        found = _named(session, wanted)
        missing = [codes.display(c) for c in wanted if c not in found]
        if missing:
            error = DeviceUnavailable(devices=missing)
            error.extra = {"devices": missing}
            raise error
        items = [found[c] for c in wanted]
        prepared = prepare(session, actor, structure, items, policy=policy)
        ledger.lock(session)
        _check_active(session, structure)
        counted = Counter(i.category for i in items)
        _check_quota(session, structure, counted, policy, mine=prepared.claim.id)
        return Outcome(claim=finish(session, actor, prepared))
    assert data.quantity is not None and data.criteria is not None
    asked = Counter({data.criteria.category.value: data.quantity})
    _check_quota(session, structure, asked, policy)
    items = pick(session, data.criteria, data.quantity)
    enough = len(items) >= data.quantity
    prepared = prepare(session, actor, structure, items, policy=policy) if enough else None
    ledger.lock(session)
    _check_active(session, structure)
    _check_quota(session, structure, asked, policy, mine=prepared.claim.id if prepared else None)
    if prepared is not None:
        return Outcome(claim=finish(session, actor, prepared))
    if not data.waitlist:
        error = NotEnoughStock(found=len(items), asked=data.quantity)
        error.extra = {"found": len(items), "asked": data.quantity}
        raise error
    entry = join_waitlist(session, actor, structure, data.criteria, data.quantity, policy)
    return Outcome(waiting=entry, found=len(items))


def _parsed(texts: Sequence[str]) -> list[str]:
    found: list[str] = []
    for text in texts:
        try:
            code = codes.parse(text)
        except codes.CodeError as exc:
            raise InvalidCode(text=text.strip()[:40], reason=exc.message) from exc
        if code not in found:
            found.append(code)
    return found


def _named(session: Session, wanted: list[str]) -> dict[str, CatalogItem]:
    """The named devices still in the catalogue, locked (PostgreSQL) in a fixed order so
    that two claims naming the same devices wait for each other, never deadlock."""
    rows = session.execute(
        select(CatalogItem)
        .where(col(CatalogItem.code).in_(wanted))
        .order_by(col(CatalogItem.device_id))
        .with_for_update()
    ).scalars()
    return {row.code: row for row in rows}


def pick(session: Session, criteria: Criteria, quantity: int) -> list[CatalogItem]:
    """Up to `quantity` available devices meeting `criteria`, cheapest and longest in
    stock first; on PostgreSQL, rows another claim is taking are skipped, not waited for."""
    return list(
        session.execute(
            select(CatalogItem)
            .where(*catalog.criteria_conditions(criteria))
            .order_by(*catalog.CLAIM_ORDER)
            .limit(quantity)
            .with_for_update(skip_locked=True)
        ).scalars()
    )


def _check_active(session: Session, structure: Structure, *, again: bool = True) -> None:
    """StructureNotActive unless it is active; `again` reads its status and quotas anew
    (under the ledger's lock: a suspension or a quota just changed counts)."""
    if again:
        row = session.execute(
            select(col(Structure.status), col(Structure.quotas)).where(
                col(Structure.id) == structure.id
            )
        ).one()
        set_committed_value(structure, "status", row[0])
        set_committed_value(structure, "quotas", row[1])
    if structure.status != StructureStatus.ACTIVE:
        label = STRUCTURE_STATUS_LABELS[StructureStatus(structure.status)]
        raise StructureNotActive(name=structure.name, status=Message(label))


def _check_quota(
    session: Session,
    structure: Structure,
    asked: Counter[str],
    policy: ClaimPolicy,
    *,
    mine: int | None = None,
) -> None:
    """QuotaExceeded unless `asked` fits in what the quota leaves; the claim being made
    (`mine`, written already) is not counted twice."""
    now = policy.clock()
    period = policy.quotas.period(now.astimezone(policy.quotas.zone).date())
    taken = service.used(session, structure.id or 0, period, policy.quotas.zone, excluding=mine)
    for category, count in sorted(asked.items()):
        quota = structure.quotas.get(category, 0)
        left = rules.remaining(quota, taken.get(category, 0))
        if count > left:
            error = QuotaExceeded(
                asked=count,
                category=Message(CATEGORY_LABELS[Category(category)]),
                remaining=left,
                end=period.end.isoformat(),
                quota=quota,
                used=taken.get(category, 0),
            )
            error.extra = {"category": category, "remaining": left, "quota": quota}
            raise error


def remaining_quota(
    session: Session, structure: Structure, category: str, policy: ClaimPolicy
) -> int:
    now = policy.clock()
    period = policy.quotas.period(now.astimezone(policy.quotas.zone).date())
    taken = service.used(session, structure.id or 0, period, policy.quotas.zone)
    return rules.remaining(structure.quotas.get(category), taken.get(category, 0))


@dataclass(frozen=True)
class Prepared:
    """A claim written with its devices' rows, before the ledger's lock: what remains to
    do under the lock is to move the devices and record it (`finish`)."""

    claim: Claim
    devices: list[Device]
    prices: list[int]
    codes: list[str]


def prepare(
    session: Session,
    actor: Actor,
    structure: Structure,
    items: Sequence[CatalogItem],
    *,
    policy: ClaimPolicy,
    entry: WaitlistEntry | None = None,
    free: bool = False,
    fault_id: int | None = None,
) -> Prepared:
    """Write the claim and its items for `items` (their catalogue rows are locked, so
    their devices cannot move meanwhile), at their prices (nothing if `free`: a
    replacement under warranty, outside the quota). Done before the ledger's lock, so
    that claimants hold it only for what must be serialised."""
    now = policy.clock()
    prices = [0 if free else item.price_cents or 0 for item in items]
    claim = Claim(
        structure_id=structure.id or 0,
        state=ClaimState.RESERVED.value,
        created_at=iso(now),
        created_by=actor.ledger_name,
        expires_at=iso(rules.expiry(now, hold_days=policy.hold_days)),
        waitlist_entry_id=entry.id if entry else None,
        fault_id=fault_id,
        total_cents=sum(prices),
    )
    session.add(claim)
    session.flush()
    session.add_all(
        ClaimItem(
            claim_id=claim.id or 0,
            device_id=item.device_id,
            structure_id=structure.id or 0,
            category=item.category,
            price_cents=price,
            state=ItemState.RESERVED.value,
            counts_in_quota=not free,
            reserved_at=claim.created_at,
        )
        for item, price in zip(items, prices, strict=True)
    )
    ids = [item.device_id for item in items]
    loaded = {d.id: d for d in session.exec(select_devices(Device).where(col(Device.id).in_(ids)))}
    session.flush()
    return Prepared(claim, [loaded[i] for i in ids], prices, [item.code for item in items])


def finish(session: Session, actor: Actor, prepared: Prepared) -> Claim:
    """Under the ledger's lock: `claim.created`, then the devices reserved together
    (`device.reserved` each). Raises StaleDevice if one was taken meanwhile."""
    claim = prepared.claim
    created = ledger.NewEvent(
        EventType.CLAIM_CREATED,
        {
            "claim_id": claim.id,
            "structure_id": claim.structure_id,
            "devices": prepared.codes,
            "total_cents": claim.total_cents,
            "expires_at": claim.expires_at,
            "waitlist_entry_id": claim.waitlist_entry_id,
            "fault_id": claim.fault_id,
        },
    )
    lifecycle.move_many(
        session,
        prepared.devices,
        to=Status.RESERVED,
        actor=actor.ledger_name,
        fields={"structure_id": claim.structure_id},
        extra_each=[{"claim_id": claim.id, "price_cents": price} for price in prepared.prices],
        preceded_by=[created],
    )
    return claim


def reserve(
    session: Session,
    actor: Actor,
    structure: Structure,
    items: Sequence[CatalogItem],
    *,
    policy: ClaimPolicy,
    entry: WaitlistEntry | None = None,
    free: bool = False,
    fault_id: int | None = None,
) -> Claim:
    """`prepare` then `finish`, for callers that already hold the ledger's lock (the
    waitlist's job, a fault's replacement)."""
    prepared = prepare(
        session, actor, structure, items, policy=policy, entry=entry, free=free, fault_id=fault_id
    )
    return finish(session, actor, prepared)


def join_waitlist(
    session: Session,
    actor: Actor,
    structure: Structure,
    criteria: Criteria,
    quantity: int,
    policy: ClaimPolicy,
) -> WaitlistEntry:
    """Take a place in line for `quantity` devices meeting `criteria` (`claim.waitlisted`)."""
    entry = WaitlistEntry(
        structure_id=structure.id or 0,
        state=WaitState.WAITING.value,
        category=criteria.category.value,
        criteria=criteria.model_dump(mode="json", exclude_none=True),
        quantity=quantity,
        created_at=iso(policy.clock()),
        created_by=actor.ledger_name,
    )
    session.add(entry)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.CLAIM_WAITLISTED,
        payload={
            "waitlist_entry_id": entry.id,
            "structure_id": structure.id,
            "criteria": entry.criteria,
            "quantity": quantity,
        },
    )
    return entry
