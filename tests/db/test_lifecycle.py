"""The life cycle: allowed moves, refused moves that leave nothing, replayable history."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import Engine, func, text
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import select

from db import ledger, lifecycle, replay
from db.engine import transaction
from db.enums import Status
from db.models import Device, LedgerEvent
from tests.factories import make_device, make_structure

S = Status
# The life cycle as the foundation issue states it, written out independently.
EXPECTED = {
    S.RECEIVED: {S.LABELLED, S.LOST},
    S.LABELLED: {S.IN_REFURBISHMENT, S.LOST},
    S.IN_REFURBISHMENT: {S.REFURBISHED, S.PARTS, S.RECYCLED, S.LOST},
    S.REFURBISHED: {S.GRADED, S.IN_REFURBISHMENT, S.LOST},
    S.GRADED: {S.AVAILABLE, S.IN_REFURBISHMENT, S.LOST},
    S.AVAILABLE: {S.RESERVED, S.GRADED, S.LOST},
    S.RESERVED: {S.HANDED_OVER, S.AVAILABLE, S.LOST},
    S.HANDED_OVER: {S.IN_REFURBISHMENT},
    S.PARTS: set(),
    S.RECYCLED: set(),
    S.LOST: set(),
}


@pytest.mark.parametrize("current", list(Status))
def test_allowed_next_states_match_the_issue(current: Status) -> None:
    assert set(lifecycle.allowed_next(current)) == EXPECTED[current]


def test_terminal_states_have_no_way_out() -> None:
    assert {s for s, nexts in EXPECTED.items() if not nexts} == lifecycle.TERMINAL


def event_count(engine: Engine) -> int:
    with transaction(engine, read_only=True) as session:
        return session.exec(select(func.count()).select_from(LedgerEvent)).one()


@pytest.mark.parametrize("target", list(Status))
def test_every_status_is_reachable_with_one_event_per_move(engine: Engine, target: Status) -> None:
    with transaction(engine) as session:
        structure = make_structure(session)
        device = make_device(session, status=target, structure_id=structure)
        assert device.id is not None
        events = ledger.history(session, device.id)
    assert device.status == target
    assert events[0].type == "device.received"
    assert len(events) == 1 + len(lifecycle.path_to(target))
    statuses = [orjson.loads(e.payload)["changes"]["status"][1] for e in events]
    assert statuses == ["received"] + [s.value for s in lifecycle.path_to(target)]


def test_illegal_move_is_refused_and_leaves_no_event(engine: Engine) -> None:
    with transaction(engine) as session:
        code = make_device(session, status=S.RECEIVED).code
    before = event_count(engine)
    with pytest.raises(lifecycle.IllegalTransition) as refused, transaction(engine) as session:
        device = session.exec(select(Device).where(Device.code == code)).one()
        lifecycle.move(session, device, to=S.AVAILABLE, actor="bénévole")
    assert refused.value.extra == {"current": "received", "allowed": ["labelled", "lost"]}
    assert str(refused.value).endswith(
        "is “received”: it cannot become “available”. Possible next states: labelled, lost."
    )
    assert event_count(engine) == before
    with transaction(engine, read_only=True) as session:
        assert session.exec(select(Device.status).where(Device.code == code)).one() == "received"


def test_failed_transaction_rolls_back_the_move_and_its_event(engine: Engine) -> None:
    with transaction(engine) as session:
        code = make_device(session, status=S.RECEIVED).code
    before = event_count(engine)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        device = session.exec(select(Device).where(Device.code == code)).one()
        lifecycle.move(session, device, to=S.LABELLED, actor="a")
        raise RuntimeError("printer jammed")
    assert event_count(engine) == before


def test_change_records_before_and_after_and_refuses_status(engine: Engine) -> None:
    with transaction(engine) as session:
        device = make_device(session, status=S.IN_REFURBISHMENT)
        lifecycle.change(
            session, device, actor="a", fields={"location": "Établi 2", "attributes": {"ram_gb": 8}}
        )
        with pytest.raises(lifecycle.ReservedField):
            lifecycle.change(session, device, actor="a", fields={"status": "available"})
        assert device.id is not None
        last = ledger.history(session, device.id)[-1]
    assert last.type == "device.updated"
    assert orjson.loads(last.payload)["changes"] == {
        "location": [None, "Établi 2"],
        "attributes": [{}, {"ram_gb": 8}],
    }


def test_stale_device_cannot_be_moved_twice(engine: Engine) -> None:
    """Two sessions read the same available device; the second move finds it changed."""
    with transaction(engine) as session:
        first, second = make_structure(session), make_structure(session)
        code = make_device(session, status=S.AVAILABLE).code
    with transaction(engine) as session:
        device = session.exec(select(Device).where(Device.code == code)).one()
        lifecycle.move(session, device, to=S.RESERVED, actor="a", fields={"structure_id": first})
    stale = Device.model_validate(device.model_dump() | {"status": "available"})
    make_transient_to_detached(stale)  # a copy read before the claim: still "available"
    with pytest.raises(lifecycle.StaleDevice), transaction(engine) as session:
        session.add(stale)
        lifecycle.move(session, stale, to=S.RESERVED, actor="b", fields={"structure_id": second})


def test_replay_agrees_with_the_tables_after_real_histories(engine: Engine) -> None:
    with transaction(engine) as session:
        structure = make_structure(session)
        for target in Status:
            make_device(session, status=target, structure_id=structure)
    with transaction(engine, read_only=True) as session:
        assert replay.differences(session) == []


def test_replay_finds_a_hand_edit_and_repair_sets_it_back(engine: Engine) -> None:
    with transaction(engine) as session:
        code = make_device(session, status=S.LABELLED).code
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE device SET status = 'available', grade = 'A' WHERE code = :c"), {"c": code}
        )
    with transaction(engine) as session:
        found = replay.differences(session)
        assert {(d.code, d.field, d.table, d.ledger) for d in found} == {
            (code, "status", "available", "labelled"),
            (code, "grade", "A", None),
        }
        assert replay.repair(session, found) == 1
    with transaction(engine, read_only=True) as session:
        assert replay.differences(session) == []
