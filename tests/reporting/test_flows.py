"""The dashboard's flows per day: every moving event counted once, whoever runs the job."""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlmodel import col, select

from db import lifecycle
from db.engine import transaction
from db.enums import Category, Status
from db.models import Device, JobCursor, LedgerEvent
from reporting import flows
from reporting.models import FlowDay
from tests.factories import ACTOR, make_device, make_structure


def _counts(engine: Engine) -> dict[tuple[str, str], int]:
    with transaction(engine, read_only=True) as session:
        return {(r.day, r.flow): r.devices for r in session.scalars(select(FlowDay))}


def _by_flow(engine: Engine) -> dict[str, int]:
    totals: dict[str, int] = {}
    for (_day, flow), n in _counts(engine).items():
        totals[flow] = totals.get(flow, 0) + n
    return totals


def test_each_flow_is_counted_from_its_event(engine: Engine) -> None:
    with transaction(engine) as session:
        structure = make_structure(session)
        make_device(session, status=Status.HANDED_OVER, structure_id=structure)
        make_device(session, status=Status.REFURBISHED)
        dismantled = make_device(session, status=Status.IN_REFURBISHMENT)
        lifecycle.move(session, dismantled, to=Status.PARTS, actor=ACTOR.ledger_name)
        recycled = make_device(session, status=Status.IN_REFURBISHMENT, category=Category.TABLET)
        lifecycle.move(session, recycled, to=Status.RECYCLED, actor=ACTOR.ledger_name)
    with transaction(engine) as session:
        done = flows.count(session)
    assert done.ran and done.events == 4 + 2 + 1 + 1 + 1
    assert _by_flow(engine) == {
        "received": 4,
        "refurbished": 2,  # the handed-over device went through it too
        "handed_over": 1,
        "parts": 1,
        "recycled": 1,
    }


def test_a_second_run_counts_only_what_is_new(engine: Engine) -> None:
    with transaction(engine) as session:
        make_device(session)
    with transaction(engine) as session:
        assert flows.count(session).events == 1
    with transaction(engine) as session:
        again = flows.count(session)
    assert again.ran and again.events == 0
    with transaction(engine) as session:
        make_device(session)
        make_device(session)
    with transaction(engine) as session:
        assert flows.count(session).events == 2
    assert _by_flow(engine) == {"received": 3}
    with transaction(engine, read_only=True) as session:
        head = session.scalar(select(col(LedgerEvent.seq)).order_by(col(LedgerEvent.seq).desc()))
        assert session.get(JobCursor, flows.CURSOR).seq == head  # type: ignore[union-attr]


def test_events_are_counted_on_the_day_the_ledger_gives_them(engine: Engine) -> None:
    with transaction(engine) as session:
        first, second = make_device(session), make_device(session)
        # the events of another day, as a database migrated from older data holds them
        days = ((first, "2026-03-02T09:00:00+00:00"), (second, "2026-03-05T17:00:00+00:00"))
        for device, at in days:
            session.execute(
                update(LedgerEvent).where(col(LedgerEvent.device_id) == device.id).values(at=at)
            )
    with transaction(engine) as session:
        flows.count(session)
    assert _counts(engine) == {("2026-03-02", "received"): 1, ("2026-03-05", "received"): 1}


def test_a_device_reaching_a_status_records_when(engine: Engine) -> None:
    with transaction(engine) as session:
        device = make_device(session, status=Status.LABELLED)
        since = device.status_since
        assert since is not None
        lifecycle.move(session, device, to=Status.IN_REFURBISHMENT, actor=ACTOR.ledger_name)
        assert device.status_since is not None and device.status_since >= since
        stored = session.scalar(select(col(Device.status_since)).where(Device.id == device.id))
        assert stored == device.status_since
        lifecycle.change(session, device, actor=ACTOR.ledger_name, fields={"location": "Étagère 2"})
        assert (
            session.scalar(select(col(Device.status_since)).where(Device.id == device.id)) == stored
        )
