"""The pipeline's flows per day, counted from the ledger once, so that the dashboard
reads a few hundred rows instead of scanning millions of events per request.

`count` reads the events past its cursor, up to the ledger's head at that moment, in
one aggregate over the ledger's primary key (the events since the last run: a
minute's worth), adds them to `flow_day` and moves the cursor, in one transaction.
A second worker running it at the same time skips its turn (`db.joblock`), and a run
repeated changes nothing: each event is counted exactly once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from db import joblock, ledger
from db.models import JobCursor, LedgerEvent
from reporting.models import FLOW_OF_EVENT, FlowDay

CURSOR = "reporting.flows"
JOB = "reporting.flows"


@dataclass(frozen=True)
class Counted:
    ran: bool
    events: int = 0
    head: int = 0


def count(session: Session) -> Counted:
    """Count the flows of the events not counted yet; `Counted(ran=False)` when another
    worker is counting now."""
    if not joblock.try_lock(session, JOB):
        return Counted(ran=False)
    position = session.get(JobCursor, CURSOR)
    start = position.seq if position else 0
    head = session.scalar(select(func.max(col(LedgerEvent.seq)))) or 0
    if head <= start:
        return Counted(ran=True, head=start)
    day = func.substr(col(LedgerEvent.at), 1, 10)
    rows = session.execute(
        select(day, col(LedgerEvent.type), func.count())
        .where(col(LedgerEvent.seq) > start, col(LedgerEvent.seq) <= head)
        .where(col(LedgerEvent.type).in_(list(FLOW_OF_EVENT)))
        .group_by(day, col(LedgerEvent.type))
    ).all()
    found: Counter[tuple[str, str]] = Counter()
    for on, type_, n in rows:
        found[(on, FLOW_OF_EVENT[type_].value)] += n
    _add(session, found)
    ledger.advance(session, CURSOR, head)
    return Counted(ran=True, events=sum(found.values()), head=head)


def _add(session: Session, found: Counter[tuple[str, str]]) -> None:
    if not found:
        return
    days = sorted({on for on, _flow in found})
    known = {
        (row.day, row.flow): row
        for row in session.scalars(select(FlowDay).where(col(FlowDay.day).in_(days)))
    }
    for (on, flow), n in found.items():
        row = known.get((on, flow))
        if row is None:
            session.add(FlowDay(day=on, flow=flow, devices=n))
        else:
            row.devices += n
    session.flush()
