"""The coordinator dashboard's figures: one function per panel, each a few bounded
queries over an index, returning view models; `overview` runs them all.

Budget: the page answers in under half a second with a million devices and ten million
ledger events (bench/dashboard.py times these same functions). So no query reads the
ledger but by its primary key; counts come from indexes (the stock from
`ix_device_stock` alone, the backlog's oldest devices from `ix_device_backlog`, a
LIMIT per stage); the flows per week from `flow_day`, a few hundred rows; every list is
LIMITed and says how many more there are (`count(*) OVER ()`, in the same query).
Only pages format: these return numbers, codes, ISO times and Messages.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, or_, select, text, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from db import media
from db.clock import iso
from db.enums import Category, Status, StructureStatus
from db.errors import Message
from db.media import ErasureRecord, Level, StorageMedium
from db.models import Batch, Device, Donor, JobCursor, LedgerEvent, Structure
from distribution import rules as distribution_rules
from distribution.models import Claim, ClaimItem, ClaimState, ItemState
from distribution.service import QuotaPolicy
from grading.models import GradeDecision
from intake.service import counts as batch_counts
from refurbish.models import DeviceFlag
from remise.settings import Settings
from reporting.dashboard_views import (
    PIPELINE,
    BatchGap,
    Blocked,
    CategoryGap,
    Expiring,
    Flagged,
    Listed,
    Override,
    Overview,
    Pending,
    QuotaLine,
    QuotaUse,
    Stage,
    Stock,
    StockCell,
    Structures,
    Stuck,
    Throughput,
    Waiting,
    Week,
    age_days,
)
from reporting.flows import CURSOR as FLOWS_CURSOR
from reporting.models import Flow, FlowDay

WEEKS = 12
OLDEST_PER_STAGE = 5
LIST_LIMIT = 10  # rows a panel's list shows, with "and N more"
EXPORT_LIMIT = 5000  # rows an export holds at most
OPEN_BATCHES_MAX = 200  # batches compared, open ones first, newest first
CLOSED_BATCH_DAYS = 30  # closed batches compared: those closed in this many days
ACTIVE_STRUCTURES_MAX = 2000
COUNT_MAX = 1000  # a list's "and N more" counts this many at most
T = TypeVar("T")
DESTROYED = Level.DESTROY.value


def planner(session: Session) -> None:
    """No JIT compilation on PostgreSQL for the rest of the transaction. Its planner
    prices the correlated subqueries of these queries high enough to compile them, which
    costs a second for a query that runs in a tenth of one."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def stock(session: Session, *, now: datetime) -> Stock:
    """The pipeline's devices per status, category and grade (one GROUP BY over the
    pipeline's part of ix_device_stock, index only); the devices through each flow since
    the start (`flow_day`, a few thousand rows) and the lost ones (ix_device_stock).

    Counting the devices handed over, dismantled or recycled would read nine tenths of
    the index (200 ms and more for a million devices): the flows say the same, up to the
    minute they were counted (a device handed over twice counts twice)."""
    planner(session)
    pipeline = [s.value for s in PIPELINE]
    rows = session.execute(
        select(col(Device.status), col(Device.category), col(Device.grade), func.count())
        .where(col(Device.status).in_(pipeline))
        .group_by(col(Device.status), col(Device.category), col(Device.grade))
    ).all()
    cells = [StockCell(s, c, g, n) for s, c, g, n in rows]
    order = {status: i for i, status in enumerate(pipeline)}
    cells.sort(key=lambda c: (order[c.status], c.category, c.grade or "~"))
    flows = dict.fromkeys((f.value for f in Flow), 0)
    for flow, devices in session.execute(
        select(col(FlowDay.flow), func.sum(col(FlowDay.devices))).group_by(col(FlowDay.flow))
    ):
        flows[flow] = int(devices or 0)
    lost = session.scalar(
        select(func.count()).select_from(Device).where(col(Device.status) == Status.LOST.value)
    )
    return Stock(cells, flows, lost or 0)


def throughput(session: Session, *, now: datetime, weeks: int = WEEKS) -> Throughput:
    """Devices per flow and ISO week (UTC days) for the last `weeks` weeks, from
    `flow_day` (a few hundred rows, by its primary key), and how far it was counted."""
    planner(session)
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=today.weekday(), weeks=weeks - 1)
    rows = session.execute(
        select(col(FlowDay.day), col(FlowDay.flow), col(FlowDay.devices)).where(
            col(FlowDay.day) >= first.isoformat()
        )
    ).all()
    mondays = [first + timedelta(weeks=n) for n in range(weeks)]
    found = {m: dict.fromkeys((f.value for f in Flow), 0) for m in mondays}
    for day, flow, devices in rows:
        on = date.fromisoformat(day)
        monday = on - timedelta(days=on.weekday())
        if monday in found and flow in found[monday]:
            found[monday][flow] += devices
    listed = [Week(*m.isocalendar()[:2], monday=m, devices=found[m]) for m in mondays]
    return Throughput(listed, _counted_to(session))


def _counted_to(session: Session) -> str | None:
    cursor = session.get(JobCursor, FLOWS_CURSOR)
    if cursor is None or not cursor.seq:
        return None
    return session.scalar(select(col(LedgerEvent.at)).where(col(LedgerEvent.seq) == cursor.seq))


def backlog(
    session: Session,
    *,
    now: datetime,
    per_stage: int = OLDEST_PER_STAGE,
    counted: dict[str, int] | None = None,
) -> list[Stage]:
    """For each pipeline stage: how many devices (`counted` if the stock was just read),
    and the `per_stage` there longest (ix_device_backlog, a LIMIT each, one statement)."""
    planner(session)
    stages = [s.value for s in PIPELINE]
    if counted is None:
        counted = dict(
            session.execute(
                select(col(Device.status), func.count())
                .where(col(Device.status).in_(stages))
                .group_by(col(Device.status))
            ).all()
        )
    parts = [
        select(col(Device.status), col(Device.code), col(Device.category), col(Device.status_since))
        .where(col(Device.status) == stage, col(Device.status_since).is_not(None))
        .order_by(col(Device.status_since), col(Device.id))
        .limit(per_stage)
        .subquery()
        for stage in stages
    ]
    rows = session.execute(union_all(*(select(part) for part in parts))).all()
    oldest: dict[str, list[Waiting]] = defaultdict(list)
    for status, code, category, since in rows:
        oldest[status].append(Waiting(code, category, since, age_days(since, now)))
    for found in oldest.values():
        found.sort(key=lambda w: w.since)
    return [Stage(s, counted.get(s, 0), oldest.get(s, [])) for s in stages]


def unreconciled_batches(
    session: Session, *, now: datetime, limit: int = LIST_LIMIT
) -> Listed[BatchGap]:
    """Batches whose received counts differ from the declared ones in some category
    (intake's rule: `intake.service.counts`), open ones first, newest first: every open
    batch (up to OPEN_BATCHES_MAX) and those closed in the last CLOSED_BATCH_DAYS."""
    planner(session)
    since = iso(now - timedelta(days=CLOSED_BATCH_DAYS))
    candidates = session.execute(
        select(
            col(Batch.id),
            col(Donor.name),
            col(Batch.pickup_date),
            col(Batch.site),
            col(Batch.closed),
            col(Batch.declared),
        )
        .join(Donor, col(Donor.id) == col(Batch.donor_id))
        .where(or_(col(Batch.closed).is_(False), col(Batch.closed_at) >= since))
        .order_by(col(Batch.closed), col(Batch.id).desc())
        .limit(OPEN_BATCHES_MAX)
    ).all()
    received: dict[int, dict[str, int]] = defaultdict(dict)
    if candidates:
        for batch_id, category, n in session.execute(
            select(col(Device.batch_id), col(Device.category), func.count())
            .where(col(Device.batch_id).in_([c.id for c in candidates]))
            .group_by(col(Device.batch_id), col(Device.category))
        ):
            received[batch_id][category] = n
    found = []
    for batch_id, donor, pickup, site, closed, declared in candidates:
        table = batch_counts(dict(declared or {}), received[batch_id])
        gaps = [CategoryGap(c, t.declared, t.received) for c, t in table.items() if t.difference]
        if gaps:
            found.append(BatchGap(batch_id, donor, pickup, site, closed, gaps))
    return Listed(found[:limit], len(found))


def stuck(session: Session, *, now: datetime, limit: int = LIST_LIMIT) -> Stuck:
    """Refurbished and graded devices whose data is not erased (`db.media`'s rule,
    longest waiting first), and the open flags of probing (oldest first)."""
    return Stuck(unerased(session, now=now, limit=limit), open_flags(session, now=now, limit=limit))


def unerased(session: Session, *, now: datetime, limit: int = LIST_LIMIT) -> Listed[Blocked]:
    """`db.media.outstanding` in SQL, for every refurbished or graded device at once,
    longest waiting first: no medium known (of a category that holds data), or a medium
    with no record, whose newest record did not pass, or that was destroyed with nothing
    fitted in its place. Costs a few index probes per refurbished or graded device."""
    planner(session)
    medium, fitted = aliased(StorageMedium, name="medium"), aliased(StorageMedium, name="fitted")
    replaced = (
        select(col(fitted.id))
        .where(
            col(fitted.device_id) == col(medium.device_id),
            col(fitted.replaces_id) == col(medium.id),
        )
        .correlate(medium)
        .exists()
    )
    # Whether the medium's newest record makes it count (1) or not (0); none: NULL.
    counts = (
        select(
            case(
                (and_(col(ErasureRecord.passed), col(ErasureRecord.level) != DESTROYED), 1),
                (and_(col(ErasureRecord.passed), replaced), 1),
                else_=0,
            )
        )
        .where(col(ErasureRecord.medium_id) == col(medium.id))
        .order_by(col(ErasureRecord.id).desc())
        .limit(1)
        .correlate(medium)
        .scalar_subquery()
    )
    # Per device, in one probe of its media: 1 if they all count, 0 if one does not,
    # and without any medium 0 for a category that holds data (nobody looked), else 1.
    worst = (
        select(func.min(func.coalesce(counts, 0)))
        .where(col(medium.device_id) == col(Device.id))
        .correlate(Device)
        .scalar_subquery()
    )
    holds = case((col(Device.category).in_(sorted(media.HOLDS_DATA)), 0), else_=1)
    rows = session.execute(
        select(
            col(Device.id),
            col(Device.code),
            col(Device.status),
            col(Device.category),
            col(Device.status_since),
            func.count().over(),
        )
        .where(
            col(Device.status).in_([Status.REFURBISHED.value, Status.GRADED.value]),
            func.coalesce(worst, holds) == 0,
        )
        .order_by(col(Device.status_since), col(Device.id))
        .limit(limit)
    ).all()
    reasons = _reasons(session, {row[0]: row[3] for row in rows})
    found = [Blocked(c, s, cat, since, reasons[i]) for i, c, s, cat, since, _n in rows]
    return Listed(found, rows[0][-1] if rows else 0)


def _reasons(session: Session, categories: dict[int, str]) -> dict[int, list[Message]]:
    """Why each of these devices' data is not erased, medium by medium, as the device
    page says it (`db.media.standings`): two queries for all of them."""
    ids = list(categories)
    known: dict[int, list[StorageMedium]] = defaultdict(list)
    records: dict[int, list[ErasureRecord]] = defaultdict(list)
    if ids:
        query = select(StorageMedium).where(col(StorageMedium.device_id).in_(ids))
        for one in session.scalars(query.order_by(col(StorageMedium.id))):
            known[one.device_id].append(one)
        for record in session.scalars(
            select(ErasureRecord).where(col(ErasureRecord.device_id).in_(ids))
        ):
            records[record.device_id].append(record)
    found = {}
    for device_id, category in categories.items():
        if not known[device_id]:
            found[device_id] = [Message(media.NO_MEDIUM)] if category in media.HOLDS_DATA else []
            continue
        standing = media.standings(known[device_id], records[device_id])
        found[device_id] = [s.reason for s in standing if not s.done]
    return found


def open_flags(session: Session, *, now: datetime, limit: int = LIST_LIMIT) -> Listed[Flagged]:
    """The flags of probing no coordinator resolved yet, oldest first."""
    planner(session)
    rows = session.execute(
        select(
            col(DeviceFlag.id),
            col(Device.code),
            col(Device.status),
            col(DeviceFlag.kind),
            col(DeviceFlag.expected),
            col(DeviceFlag.found),
            col(DeviceFlag.created_at),
        )
        .join(Device, col(Device.id) == col(DeviceFlag.device_id))
        .where(col(DeviceFlag.open).is_(True))
        .order_by(col(DeviceFlag.id))
        .limit(limit)
    ).all()
    counted = select(col(DeviceFlag.id)).where(col(DeviceFlag.open).is_(True))
    return counted_list(session, [Flagged(*row) for row in rows], counted, limit)


def counted_list(session: Session, rows: list[T], counted: Select[Any], limit: int) -> Listed[T]:
    """`rows` with how many `counted` selects, counted only if the list is full, and
    only up to COUNT_MAX (an index-only count of so many rows at most)."""
    if len(rows) < limit:
        return Listed(rows, len(rows))
    found = session.scalar(
        select(func.count()).select_from(counted.limit(COUNT_MAX + 1).subquery())
    )
    return Listed(rows, min(found or 0, COUNT_MAX), capped=(found or 0) > COUNT_MAX)


def expiring_claims(
    session: Session, *, now: datetime, reminder_days: int, limit: int = LIST_LIMIT
) -> Listed[Expiring]:
    """Held claims that end within the reminder window (`distribution.rules.reminder_due`:
    after now, at most `reminder_days` from now), soonest first, with their devices held."""
    planner(session)
    if reminder_days <= 0:
        return Listed()
    rows = session.execute(
        select(
            col(Claim.id),
            col(Claim.structure_id),
            col(Structure.name),
            col(Claim.expires_at),
            func.count().over(),
        )
        .join(Structure, col(Structure.id) == col(Claim.structure_id))
        .where(
            col(Claim.state) == ClaimState.RESERVED.value,
            col(Claim.expires_at) > iso(now),
            col(Claim.expires_at) <= iso(now + timedelta(days=reminder_days)),
        )
        .order_by(col(Claim.expires_at), col(Claim.id))
        .limit(limit)
    ).all()
    held = (
        dict(
            session.execute(
                select(col(ClaimItem.claim_id), func.count())
                .where(
                    col(ClaimItem.claim_id).in_([r[0] for r in rows]),
                    col(ClaimItem.state) == ItemState.RESERVED.value,
                )
                .group_by(col(ClaimItem.claim_id))
            ).all()
        )
        if rows
        else {}
    )
    found = [Expiring(i, s, name, at, held.get(i, 0)) for i, s, name, at, _n in rows]
    return Listed(found, rows[0][-1] if rows else 0)


def structures(
    session: Session, *, now: datetime, quotas: QuotaPolicy, limit: int = LIST_LIMIT
) -> Structures:
    """Structures waiting for approval (oldest first), and every active structure's
    quota use this period (`distribution.service.quota_use`'s count, for all of them in
    one GROUP BY over ix_claim_item_quota)."""
    planner(session)
    rows = session.execute(
        select(
            col(Structure.id),
            col(Structure.name),
            col(Structure.city),
            col(Structure.departement),
            col(Structure.created_at),
            func.count().over(),
        )
        .where(col(Structure.status) == StructureStatus.PENDING.value)
        .order_by(col(Structure.created_at), col(Structure.id))
        .limit(limit)
    ).all()
    pending = Listed([Pending(*r[:-1]) for r in rows], rows[0][-1] if rows else 0)
    period = quotas.period(now.astimezone(quotas.zone).date())
    uses = _quota_uses(session, period, quotas.zone)
    return Structures(pending, Listed(uses[:limit], len(uses)), period)


def _quota_uses(
    session: Session, period: distribution_rules.Period, zone: ZoneInfo
) -> list[QuotaUse]:
    active = session.execute(
        select(col(Structure.id), col(Structure.name), col(Structure.quotas))
        .where(col(Structure.status) == StructureStatus.ACTIVE.value)
        .order_by(col(Structure.name))
        .limit(ACTIVE_STRUCTURES_MAX)
    ).all()
    start, end = period.bounds(zone)
    # Every category named, so that the index is entered at (structure, category) and
    # read only over the period (rather than over each structure's whole history).
    taken: dict[int, dict[str, int]] = defaultdict(dict)
    for structure_id, category, n in session.execute(
        select(col(ClaimItem.structure_id), col(ClaimItem.category), func.count())
        .join(Structure, col(Structure.id) == col(ClaimItem.structure_id))
        .where(
            col(Structure.status) == StructureStatus.ACTIVE.value,
            col(ClaimItem.category).in_([c.value for c in Category]),
            col(ClaimItem.reserved_at) >= start,
            col(ClaimItem.reserved_at) < end,
            col(ClaimItem.state).in_([ItemState.RESERVED.value, ItemState.HANDED_OVER.value]),
            col(ClaimItem.counts_in_quota).is_(True),
        )
        .group_by(col(ClaimItem.structure_id), col(ClaimItem.category))
    ):
        taken[structure_id][category] = n
    found = []
    for structure_id, name, quota_of in active:
        used, quota_of = taken[structure_id], dict(quota_of or {})
        lines = [
            QuotaLine(c, quota_of.get(c, 0), used.get(c, 0),
                      distribution_rules.remaining(quota_of.get(c), used.get(c, 0)))
            for c in sorted(set(quota_of) | set(used))
        ]  # fmt: skip
        found.append(QuotaUse(structure_id, name, lines))
    found.sort(key=lambda u: (-u.fullest, u.name.lower()))
    return found


def overrides(session: Session, *, now: datetime, limit: int = LIST_LIMIT) -> Listed[Override]:
    """Grades a coordinator set by hand against the computed one, newest first."""
    planner(session)
    by_hand = col(GradeDecision.override_reason).is_not(None)
    rows = session.execute(
        select(
            col(GradeDecision.id),
            col(Device.code),
            col(Device.category),
            col(GradeDecision.computed_grade),
            col(GradeDecision.grade),
            col(GradeDecision.override_reason),
            col(GradeDecision.decided_at),
            col(GradeDecision.decided_by),
        )
        .join(Device, col(Device.id) == col(GradeDecision.device_id))
        .where(by_hand)
        .order_by(col(GradeDecision.id).desc())
        .limit(limit)
    ).all()
    counted = select(col(GradeDecision.id)).where(by_hand)
    return counted_list(session, [Override(*row) for row in rows], counted, limit)


def quota_policy(settings: Settings) -> QuotaPolicy:
    return QuotaPolicy(settings.quota_period, ZoneInfo(settings.timezone))


def overview(
    session: Session, *, now: datetime, settings: Settings, limit: int = LIST_LIMIT
) -> Overview:
    """Every panel of the dashboard at `now`."""
    found = stock(session, now=now)
    return Overview(
        now=now,
        stock=found,
        throughput=throughput(session, now=now),
        backlog=backlog(session, now=now, counted=found.by_status()),
        batches=unreconciled_batches(session, now=now, limit=limit),
        stuck=stuck(session, now=now, limit=limit),
        expiring=expiring_claims(
            session, now=now, reminder_days=settings.claim_reminder_days, limit=limit
        ),
        structures=structures(session, now=now, quotas=quota_policy(settings), limit=limit),
        overrides=overrides(session, now=now, limit=limit),
    )
