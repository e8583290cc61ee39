"""Migration 0015 fills what the ledger already says: each device's last move and the
flows so far, so that a database upgraded with years of history shows them at once."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlmodel import select

from db import lifecycle
from db.engine import transaction
from db.enums import Status
from db.models import JobCursor
from remise import migrate
from reporting import flows
from reporting.models import FlowDay
from tests.factories import ACTOR, make_device


def test_upgrade_backfills_status_dates_and_flows_from_the_ledger(engine: Engine) -> None:
    with transaction(engine) as session:
        make_device(session, status=Status.REFURBISHED)
        broken = make_device(session, status=Status.IN_REFURBISHMENT)
        lifecycle.move(session, broken, to=Status.RECYCLED, actor=ACTOR.ledger_name)
    migrate.downgrade(engine, "0014")
    migrate.upgrade(engine)
    with transaction(engine) as session:
        last_moves = session.execute(
            text(
                "SELECT d.status_since, (SELECT max(at) FROM ledger_event e "
                "WHERE e.device_id = d.id AND e.type LIKE 'device.%' "
                "AND e.type NOT IN ('device.updated', 'device.seen')) FROM device d"
            )
        ).all()
        assert last_moves and all(since == last for since, last in last_moves)
        totals = {r.flow: r.devices for r in session.scalars(select(FlowDay))}
        assert totals == {"received": 2, "refurbished": 1, "recycled": 1}
        cursor = session.get(JobCursor, flows.CURSOR)
        assert cursor is not None and cursor.seq == session.scalar(
            text("SELECT max(seq) FROM ledger_event")
        )
        assert flows.count(session).events == 0  # nothing counted twice
