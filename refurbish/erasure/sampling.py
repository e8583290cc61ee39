"""Independent verification, as R2v3 asks: a sample of each week's erasures, checked again
by another operator.

Each week (a scheduled job, `draw`), at least `percent` % of the media whose erasure
passed that week (one at least, if any) are drawn at random and queued. The draw is
reproducible: its seed, the records it drew from and those it drew are a ledger event
(`erasure.sample_drawn`), and `drawn_from(seed, population, percent)` gives them again.
A re-verification (`reverify`) is a new record of the medium, by an operator other than
the one who erased it; a failure is the medium's newest record, so the device is blocked
again (db.media) until the medium is erased again or destroyed.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlmodel import Session, col, select

from db import codes, ledger
from db.clock import now_iso, utcnow
from db.errors import N_, Conflict, Invalid, NotFound
from db.events import EventType
from db.media import ErasureRecord, ErasureSample, Level, StorageMedium, describe
from db.models import Device, LedgerEvent
from refurbish.erasure import service
from refurbish.erasure.models import ErasureIn, ReverifyIn, SampleItemRead
from remise.auth import Actor

STATES = ("queued", "passed", "failed")


class ErasureNotFound(NotFound):
    code = "erasure_not_found"
    message = N_("No erasure record number %(id)s.")


class SameOperator(Conflict):
    code = "reverify_by_another_operator"
    message = N_(
        "Erasure %(id)s was done by %(who)s: another person must check it again (R2v3 asks "
        "for an independent verification)."
    )


class NothingToReverify(Invalid):
    code = "nothing_to_reverify"
    message = N_("Erasure %(id)s cannot be checked again: it did not pass.")
    destroyed = N_("Erasure %(id)s cannot be checked again: the medium was destroyed.")


class WeekNotOver(Invalid):
    code = "week_not_over"
    message = N_(
        "Week %(week)s is not over yet: its sample is drawn once it has ended, so that "
        "every erasure of the week may be drawn."
    )


class NotAWeek(Invalid):
    code = "not_a_week"
    message = N_("“%(week)s” is not an ISO week: write it as 2026-W48.")


def ended_week(week: str, today: date) -> str:
    """`week` checked: an ISO week (`2026-W48`) that has ended by `today`."""
    try:
        start = datetime.strptime(week + "-1", "%G-W%V-%u").date()
    except ValueError:
        raise NotAWeek(week=week[:20]) from None
    if week_of(start) != week:  # strptime takes W53 of a year that has 52, and W7
        raise NotAWeek(week=week[:20])
    if start + timedelta(days=7) > today:
        raise WeekNotOver(week=week)
    return week


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def bounds(week: str) -> tuple[str, str]:
    """The ISO times [start, end) of an ISO week `2026-W48`, in UTC."""
    start = datetime.strptime(week + "-1", "%G-W%V-%u").date()
    end = start + timedelta(days=7)
    return f"{start.isoformat()}T00:00:00", f"{end.isoformat()}T00:00:00"


def drawn_from(seed: int, population: list[int], percent: int) -> list[int]:
    """The records a draw with `seed` takes from `population` (record ids): reproducible."""
    ordered = sorted(population)
    if not ordered:
        return []
    size = max(1, math.ceil(len(ordered) * percent / 100))
    return sorted(random.Random(seed).sample(ordered, size))


@dataclass(frozen=True)
class Draw:
    week: str
    seed: int
    percent: int
    population: list[int]
    drawn: list[int]
    already: bool  # this week was drawn before: nothing new


def drawn_before(session: Session, week: str) -> dict[str, Any] | None:
    """The `erasure.sample_drawn` payload of `week`, with when it was drawn (`at`), or
    None if it was not drawn. A week is drawn once it has ended: its draw is recorded
    after its start."""
    start, _end = bounds(week)
    rows = session.exec(
        select(col(LedgerEvent.at), col(LedgerEvent.payload))
        .where(
            col(LedgerEvent.type) == EventType.ERASURE_SAMPLE_DRAWN,
            col(LedgerEvent.at) >= start,
        )
        .order_by(col(LedgerEvent.seq))
    ).all()
    for at, payload in rows:
        body = payload if isinstance(payload, dict) else orjson.loads(payload)
        if body.get("week") == week:
            return {"at": at, **body}
    return None


def draw(
    session: Session,
    actor: Actor,
    *,
    percent: int,
    week: str | None = None,
    seed: int | None = None,
    today: date | None = None,
) -> Draw:
    """Draw the sample of `week` (by default the last full week) and queue it; a week is
    drawn once (a second call answers the first draw)."""
    week = week or week_of((today or utcnow().date()) - timedelta(days=7))
    ledger.lock(session)
    earlier = session.exec(select(ErasureSample).where(col(ErasureSample.week) == week)).all()
    start, end = bounds(week)
    population = [
        r.id or 0
        for r in session.exec(
            select(ErasureRecord).where(
                col(ErasureRecord.passed),
                col(ErasureRecord.reverifies_id).is_(None),
                col(ErasureRecord.level) != Level.DESTROY.value,
                col(ErasureRecord.recorded_at) >= start,
                col(ErasureRecord.recorded_at) < end,
            )
        ).all()
    ]
    before = drawn_before(session, week)
    if earlier or before is not None:  # a week with nothing to draw has an event, no rows
        drawn = sorted(s.erasure_id for s in earlier)
        seed = before["seed"] if before is not None else 0
        return Draw(week, seed, percent, sorted(population), drawn, already=True)
    seed = seed if seed is not None else secrets.randbits(63)
    drawn = drawn_from(seed, population, percent)
    now = now_iso()
    records = {
        r.id: r
        for r in session.exec(select(ErasureRecord).where(col(ErasureRecord.id).in_(drawn))).all()
    }
    for erasure_id in drawn:
        record = records[erasure_id]
        session.add(
            ErasureSample(
                week=week,
                erasure_id=erasure_id,
                device_id=record.device_id,
                medium_id=record.medium_id,
                drawn_at=now,
            )
        )
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.ERASURE_SAMPLE_DRAWN,
        payload={
            "week": week,
            "seed": seed,
            "percent": percent,
            "population": sorted(population),
            "drawn": drawn,
        },
    )
    return Draw(week, seed, percent, sorted(population), drawn, already=False)


def queue(session: Session, *, state: str | None = "queued") -> list[SampleItemRead]:
    """The sampled erasures, oldest week first; `state` None for every one."""
    query = select(ErasureSample, ErasureRecord, StorageMedium, Device).where(
        col(ErasureSample.erasure_id) == col(ErasureRecord.id),
        col(ErasureSample.medium_id) == col(StorageMedium.id),
        col(ErasureSample.device_id) == col(Device.id),
    )
    if state is not None:
        query = query.where(col(ErasureSample.state) == state)
    rows = session.exec(query.order_by(col(ErasureSample.week), col(ErasureSample.id))).all()
    return [
        SampleItemRead(
            id=sample.id or 0,
            week=sample.week,
            erasure_id=record.id or 0,
            device_code=codes.display(device.code),
            medium_id=medium.id or 0,
            medium=describe(medium),
            level=record.level,
            method=record.method,
            pattern=record.pattern,
            erased_at=record.finished_at or record.recorded_at,
            erased_by=record.operator,
            drawn_at=sample.drawn_at,
            state=sample.state,
            reverify_id=sample.reverify_id,
            checked_at=sample.checked_at,
            checked_by=sample.checked_by,
        )
        for sample, record, medium, device in rows
    ]


def reverify(session: Session, actor: Actor, *, erasure_id: int, data: ReverifyIn) -> ErasureRecord:
    """Record a re-verification of erasure `erasure_id` by `actor`, who did not erase it.

    Raises ErasureNotFound, SameOperator, NothingToReverify."""
    original = session.get(ErasureRecord, erasure_id)
    if original is None:
        raise ErasureNotFound(id=erasure_id)
    if original.reverifies_id is not None:
        original = session.get(ErasureRecord, original.reverifies_id) or original
    if not original.passed or original.level == Level.DESTROY:
        why = NothingToReverify.destroyed if original.passed else NothingToReverify.message
        raise NothingToReverify(why, id=erasure_id)
    me = service.operator_name(session, actor)
    if actor.ledger_name == original.recorded_by or me == original.operator:
        raise SameOperator(id=original.id, who=original.operator)
    device = session.get(Device, original.device_id)
    assert device is not None
    entered = ErasureIn(
        medium_id=original.medium_id,
        level=Level(original.level),
        method=original.method,
        pattern=original.pattern,
        passes=original.passes,
        tool=data.tool or original.tool,
        tool_version=data.tool_version,
        verification=data.verification,
        comment=data.comment,
    )
    record = service.record_erasure(
        session,
        actor,
        code=device.code,
        data=entered,
        source="reverify",
        device=device,
        reverifies=original,
    )
    for sample in session.exec(
        select(ErasureSample).where(
            col(ErasureSample.erasure_id) == original.id, col(ErasureSample.state) == "queued"
        )
    ).all():
        sample.state = "passed" if record.passed else "failed"
        sample.reverify_id, sample.checked_at, sample.checked_by = record.id, record.recorded_at, me
        session.add(sample)
    return record
