"""Concurrent writers never fork or gap the chain; two claims never both win.

Threads on SQLite (one file, many connections), separate connections on PostgreSQL.
Each test commits for real on its own database.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from db import ledger, lifecycle
from db.engine import transaction
from db.enums import Status
from db.errors import Conflict
from db.models import Device
from tests.factories import make_device, make_structure

WRITERS = 6
ROUNDS = 15


def work(engine: Engine, writer: int) -> None:
    for _ in range(ROUNDS):
        with transaction(engine) as session:
            device = make_device(session, status=Status.RECEIVED, serial=None)
        with transaction(engine) as session:
            fresh = session.get(Device, device.id)
            assert fresh is not None
            lifecycle.move(session, fresh, to=Status.LABELLED, actor=f"writer-{writer}")
        with transaction(engine) as session:
            ledger.append(session, actor=f"writer-{writer}", type="device.updated", payload={})


def test_concurrent_writers_keep_one_gapless_chain(engine: Engine) -> None:
    with ThreadPoolExecutor(WRITERS) as pool:
        for future in [pool.submit(work, engine, w) for w in range(WRITERS)]:
            future.result()
    expected = WRITERS * ROUNDS * 3
    with transaction(engine, read_only=True) as session:
        result = ledger.verify(session)
        seqs = [s for (s,) in session.connection().execute(text("SELECT seq FROM ledger_event"))]
    assert result.ok, result.reason
    assert result.checked == expected
    assert sorted(seqs) == list(range(1, expected + 1))


@pytest.mark.parametrize("claimants", [2, 5])
def test_only_one_of_concurrent_claims_wins(engine: Engine, claimants: int) -> None:
    with transaction(engine) as session:
        structures = [make_structure(session) for _ in range(claimants)]
        code = make_device(session, status=Status.AVAILABLE).code
    postgres = engine.dialect.name == "postgresql"
    # On PostgreSQL every claimant reads "available" before anyone writes; SQLite's
    # BEGIN IMMEDIATE already queues them, so waiting there would deadlock.
    everyone_read = threading.Barrier(claimants) if postgres else None

    def claim(structure_id: int) -> str:
        try:
            with transaction(engine) as session:
                device = session.exec(select(Device).where(Device.code == code)).one()
                if everyone_read:
                    everyone_read.wait(timeout=10)
                lifecycle.move(
                    session,
                    device,
                    to=Status.RESERVED,
                    actor=f"s{structure_id}",
                    fields={"structure_id": structure_id},
                )
            return "won"
        except Conflict as refused:
            return refused.code

    with ThreadPoolExecutor(claimants) as pool:
        outcomes = list(pool.map(claim, structures))
    assert outcomes.count("won") == 1
    assert set(outcomes) - {"won"} <= {"stale_device", "illegal_transition"}
    with transaction(engine, read_only=True) as session:
        device = session.exec(select(Device).where(Device.code == code)).one()
        assert device.id is not None
        reserved = [e for e in ledger.history(session, device.id) if e.type == "device.reserved"]
        assert len(reserved) == 1
        assert device.structure_id == structures[outcomes.index("won")]
        assert ledger.verify(session).ok
