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

from sqlmodel import Session, col, select

from db import codes, ledger
from db.clock import now_iso, utcnow
from db.errors import N_, Conflict, Invalid, NotFound
from db.events import EventType
from db.media import ErasureRecord, ErasureSample, Level, StorageMedium, describe
from db.models import Device
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
    message = N_("Erasure %(id)s cannot be checked again: %(reason)s.")


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
    if earlier:
        drawn = sorted(s.erasure_id for s in earlier)
        return Draw(week, 0, percent, sorted(population), drawn, already=True)
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
        why = "it did not pass" if not original.passed else "the medium was destroyed"
        raise NothingToReverify(id=erasure_id, reason=why)
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
