"""The reworked request path (issue 15), on SQLite and PostgreSQL: it never deadlocks
with few threads, its scan queries use the partial identifier indexes, and the routes
that read rows in one hop keep the answers and the scope rules of the ORM path.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, text
from sqlmodel import select

from db import codes, lifecycle
from db.devices import by_code, by_serial
from db.engine import transaction
from db.enums import Category, Role, Status
from db.models import Device, Structure
from labels import scan
from remise import __version__
from remise.api.schemas import device_for
from remise.api.scope import STAFF, DeviceScope
from remise.app import create_app
from remise.auth import Actor
from remise.settings import Settings
from tests.factories import ACTOR, auth, make_device, make_structure, make_token

# --- (a) few threads, many requests: every one is answered -----------------------------
#
# Before issue 15, 32 requests at once against 15 pooled connections deadlocked: threads
# waited for connections held by requests that waited for threads. An app of two threads
# (and so two pooled connections) must answer far more than that at once, each request
# as it would alone, and give every connection back.

THREADS = 2
READS, WRITES = 60, 20
DEADLINE_SECONDS = 120  # generous: a deadlock never ends, a slow machine does


@dataclass
class Served:
    answered: Counter[tuple[str, int, str]]  # method, status, the error's code if any
    checked_out: int  # connections still out of the pool once every answer is in


def _serve(db_url: str, tmp_path: Path, *, cache_seconds: float, writes: int) -> Served:
    """READS device look-ups and `writes` new donors, all at once, against an app of
    THREADS threads whose lifespan runs as a server's would."""
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        scheduler_enabled=False,
        threads=THREADS,
        credential_cache_seconds=cache_seconds,
    )
    app = create_app(settings)  # its own engine: a pool of THREADS connections
    engine: Engine = app.state.engine
    readers = [auth(make_token(engine, role=Role.BENCH)) for _ in range(3)]
    writers = [auth(make_token(engine, role=Role.COORDINATOR)) for _ in range(2)]
    with transaction(engine) as session:
        labelled = [make_device(session, status=Status.LABELLED).code for _ in range(6)]

    async def at_once(http: httpx.AsyncClient) -> Served:
        looked_up = zip(itertools.cycle(labelled), itertools.cycle(readers), range(READS))
        sent = [http.get(f"/api/v1/devices/{code}", headers=who) for code, who, _ in looked_up]
        sent += [
            http.post("/api/v1/donors", json={"name": f"Donateur {n}"}, headers=writers[n % 2])
            for n in range(writes)
        ]
        answers = await asyncio.wait_for(asyncio.gather(*sent), DEADLINE_SECONDS)
        answered = Counter(
            (a.request.method, a.status_code, "" if a.is_success else a.json().get("code"))
            for a in answers
        )
        return Served(answered, engine.pool.checkedout())

    async def run() -> Served:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
                return await at_once(http)

    try:
        return asyncio.run(run())
    finally:
        engine.dispose()


@pytest.mark.parametrize("cache_seconds", [0.0, 5.0], ids=["no-cache", "cache"])
def test_two_threads_answer_sixty_reads_at_once(
    db_url: str, tmp_path: Path, cache_seconds: float
) -> None:
    served = _serve(db_url, tmp_path, cache_seconds=cache_seconds, writes=0)
    assert served.answered == {("GET", 200, ""): READS}
    assert served.checked_out == 0


def test_two_threads_answer_sixty_reads_and_twenty_writes_at_once(
    db_url: str, tmp_path: Path
) -> None:
    """Each write holds its transaction (SQLite's write lock, a PostgreSQL connection)
    from its route to its commit: none may wait for a thread that waits for it."""
    served = _serve(db_url, tmp_path, cache_seconds=5.0, writes=WRITES)
    assert served.answered == {("GET", 200, ""): READS, ("POST", 201, ""): WRITES}
    assert served.checked_out == 0


# --- (b) a scan by an identifier is an index look-up, never a read of the whole table --

SCANNED_SERIAL, SCANNED_TAG, SCANNED_IMEI = "PLAN-SN-0042", "BSO-PLAN-7", "490154203237518"
# Devices as a real stock has them: an asset tag on one in a thousand, an IMEI on one in
# a hundred, no serial on one in five. With the full indexes of before 0011, ANALYZE made
# SQLite read the whole table for a scan of this stock (checked when this was written).
STOCK = 3000


def _stock(engine: Engine) -> int:
    """A stock shaped like a real one, ANALYZEd, and a structure (its id) to hold the
    scanned device."""
    with transaction(engine) as session:
        structure_id = make_structure(session, name="La Passerelle")
        devices = [
            Device(
                category=Category.LAPTOP,
                serial=None if n % 5 == 0 else f"SN-{n:06d}",
                asset_tag=f"BSO-{n:05d}" if n % 1000 == 0 else None,
                imei=f"35693803{n:07d}" if n % 100 == 0 else None,
            )
            for n in range(STOCK)
        ]
        devices.append(
            Device(
                category=Category.SMARTPHONE,
                serial=SCANNED_SERIAL,
                asset_tag=SCANNED_TAG,
                imei=SCANNED_IMEI,
            )
        )
        lifecycle.register(session, actor=ACTOR.ledger_name, devices=devices)
        lifecycle.move(session, devices[-1], to=Status.LABELLED, actor=ACTOR.ledger_name)
        session.exec(text("ANALYZE"))  # type: ignore[call-overload]
        return structure_id


@dataclass
class Sent:
    statement: str
    parameters: Any


@contextmanager
def _statements(engine: Engine) -> Iterator[list[Sent]]:
    """The SELECTs on the device table sent to the database within the block."""
    seen: list[Sent] = []

    def watch(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM device" in statement:
            seen.append(Sent(statement, parameters))

    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", watch)


def _plan(connection: Connection, sent: Sent) -> str:
    """The database's plan for a statement, as it would run it with its parameters."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sent.statement}", sent.parameters)
        return "\n".join(row[-1] for row in rows)
    # Without sequential scans, the planner uses an index wherever the query allows one,
    # a partial index only where the query implies its predicate (`serial IS NOT NULL`).
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = connection.exec_driver_sql(f"EXPLAIN {sent.statement}", sent.parameters)
    return "\n".join(row[0] for row in rows)


def _scan_plans(engine: Engine, text_scanned: str, scope: DeviceScope) -> list[str]:
    """The plans of the statements a scan of `text_scanned` runs, on a row connection
    (the API's path) and in an ORM session (the pages' path)."""
    with engine.connect() as connection, _statements(engine) as sent:
        found = scan.resolve(connection, text_scanned, scope=scope)
        assert found.serial == SCANNED_SERIAL
    with transaction(engine, read_only=True) as session, _statements(engine) as more:
        assert scan.resolve(session, text_scanned, scope=scope).serial == SCANNED_SERIAL
    assert sent and more
    with engine.connect() as connection:
        return [_plan(connection, one) for one in [*sent, *more]]


def _no_full_read(plan: str) -> None:
    lines = plan.splitlines()
    assert not [line for line in lines if line.lstrip().startswith("SCAN device")], plan
    assert "Seq Scan" not in plan, plan


SCANNED = {
    "serial": (SCANNED_SERIAL.lower(), ("ix_device_serial_upper", "ix_device_asset_tag_upper")),
    "asset tag": (SCANNED_TAG, ("ix_device_serial_upper", "ix_device_asset_tag_upper")),
    "IMEI": (SCANNED_IMEI, ("ix_device_serial_upper", "ix_device_imei")),
}


@pytest.mark.parametrize(("scanned", "indexes"), SCANNED.values(), ids=SCANNED.keys())
def test_a_staff_scan_by_an_identifier_uses_the_partial_indexes(
    engine: Engine, scanned: str, indexes: tuple[str, ...]
) -> None:
    _stock(engine)
    for plan in _scan_plans(engine, scanned, STAFF):
        _no_full_read(plan)
        for index in indexes:
            assert index in plan, plan


def test_a_structures_scan_of_its_device_reads_no_whole_table(engine: Engine) -> None:
    structure_id = _stock(engine)
    with transaction(engine) as session:
        held = session.exec(select(Device).where(Device.serial == SCANNED_SERIAL)).one()
        for step in lifecycle.path_to(Status.RESERVED)[1:]:  # labelled already
            fields: dict[str, Any] = {
                Status.GRADED: {"grade": "B", "price_cents": 5000},
                Status.RESERVED: {"structure_id": structure_id},
            }.get(step, {})
            lifecycle.move(session, held, to=step, actor=ACTOR.ledger_name, fields=fields)
    actor = Actor(user_id=None, username="s", role=Role.STRUCTURE, structure_id=structure_id)
    scope = DeviceScope.of(actor)
    for plan in _scan_plans(engine, SCANNED_SERIAL, scope):
        _no_full_read(plan)


def test_a_serial_look_up_at_intake_uses_the_partial_index(engine: Engine) -> None:
    _stock(engine)
    with transaction(engine, read_only=True) as session, _statements(engine) as sent:
        assert [d.asset_tag for d in by_serial(session, f" {SCANNED_SERIAL.lower()} ")] == [
            SCANNED_TAG
        ]
    with engine.connect() as connection:
        for plan in [_plan(connection, one) for one in sent]:
            _no_full_read(plan)
            assert "ix_device_serial_upper" in plan, plan


PARTIAL = {
    "ix_device_serial_upper": "serial",
    "ix_device_asset_tag_upper": "asset_tag",
    "ix_device_imei": "imei",
}


def test_the_identifier_indexes_hold_only_the_devices_that_have_one(engine: Engine) -> None:
    """PostgreSQL would use a full index as well (its plans cannot tell): the schema can."""
    if engine.dialect.name == "sqlite":
        found = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'device'"
    else:
        found = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'device'"
    with engine.connect() as connection:
        made = {name: sql for name, sql in connection.exec_driver_sql(found)}
    for name, column in PARTIAL.items():
        where = made[name].rsplit("WHERE", 1)[-1].strip(" ()").lower()
        assert where == f"{column} is not null", made[name]


# --- (c) the routes that read rows in one hop answer as the ORM path did ---------------

HELD_SERIAL, THEIR_SERIAL = "PF1HELD77", "PF2THEIRS88"


@dataclass
class Stock:
    offered: str  # available: anyone sees it, a structure in catalogue form
    held: str  # reserved for "mine"
    theirs: str  # reserved for another structure
    workshop: str  # still being refurbished
    staff: dict[str, str]
    mine: dict[str, str]
    my_id: int


@pytest.fixture
def stock(engine: Engine) -> Stock:
    staff = auth(make_token(engine, role=Role.BENCH))
    mine = auth(make_token(engine, role=Role.STRUCTURE, structure="La Passerelle"))
    make_token(engine, role=Role.STRUCTURE, structure="Mission locale")
    with transaction(engine) as session:
        ids = {s.name: s.id or 0 for s in session.exec(select(Structure))}
        attributes = {"RAM": "8 Go", "Écran": "14 pouces"}
        offered = make_device(session, status=Status.AVAILABLE, attributes=attributes)
        held = make_device(
            session,
            status=Status.RESERVED,
            structure_id=ids["La Passerelle"],
            serial=HELD_SERIAL,
            asset_tag="BSO-2001",
        )
        theirs = make_device(
            session, status=Status.RESERVED, structure_id=ids["Mission locale"], serial=THEIR_SERIAL
        )
        workshop = make_device(session, status=Status.IN_REFURBISHMENT)
        codes_ = (offered.code, held.code, theirs.code, workshop.code)
    return Stock(*codes_, staff=staff, mine=mine, my_id=ids["La Passerelle"])


def _as_orm_shows(engine: Engine, actor: Actor, code: str) -> dict[str, Any]:
    """The device as the ORM path (`device_for` of an ORM object) shows it to `actor`."""
    with transaction(engine, read_only=True) as session:
        return device_for(actor, by_code(session, code)).model_dump(mode="json")


STAFF_ACTOR = Actor(user_id=None, username="bench", role=Role.BENCH)


def _unknown_code() -> str:
    """A well-formed code that no device has (at these few devices, never drawn twice)."""
    return codes.new_code()


def _same_but_the_code(answer: httpx.Response, other: httpx.Response, a: str, b: str) -> None:
    assert answer.status_code == other.status_code
    assert answer.content.replace(a.encode(), b"?") == other.content.replace(b.encode(), b"?")


def test_staff_read_every_device_as_before(
    client: TestClient, engine: Engine, stock: Stock
) -> None:
    for code in (stock.offered, stock.held, stock.theirs, stock.workshop):
        for asked in (code, codes.display(code).lower()):
            answer = client.get(f"/api/v1/devices/{asked}", headers=stock.staff)
            assert answer.status_code == 200, answer.text
            assert answer.json() == _as_orm_shows(engine, STAFF_ACTOR, code)
    offered = client.get(f"/api/v1/devices/{stock.offered}", headers=stock.staff).json()
    assert offered["attributes"] == {"RAM": "8 Go", "Écran": "14 pouces"}
    assert offered["serial"] and offered["price_cents"] == 5000


def test_a_structure_reads_what_it_may_see_in_catalogue_form(
    client: TestClient, engine: Engine, stock: Stock
) -> None:
    structure = Actor(user_id=None, username="s", role=Role.STRUCTURE, structure_id=stock.my_id)
    for code in (stock.offered, stock.held):
        answer = client.get(f"/api/v1/devices/{code}", headers=stock.mine)
        assert answer.status_code == 200, answer.text
        assert answer.json() == _as_orm_shows(engine, structure, code)
        assert "serial" not in answer.json() and "attributes" not in answer.json()
    unknown = _unknown_code()
    nowhere = client.get(f"/api/v1/devices/{unknown}", headers=stock.mine)
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "device_not_found"
    for hidden in (stock.theirs, stock.workshop):
        answer = client.get(f"/api/v1/devices/{hidden}", headers=stock.mine)
        _same_but_the_code(answer, nowhere, codes.display(hidden), codes.display(unknown))
    mistyped = client.get("/api/v1/devices/ABCD-EFGH", headers=stock.mine)
    assert mistyped.status_code == 422 and mistyped.json()["code"] == "invalid_device_code"


def test_scans_answer_as_before_for_staff_and_for_a_structure(
    client: TestClient, engine: Engine, stock: Stock
) -> None:
    structure = Actor(user_id=None, username="s", role=Role.STRUCTURE, structure_id=stock.my_id)
    for scanned, code in ((HELD_SERIAL.lower(), stock.held), (THEIR_SERIAL, stock.theirs)):
        staff = client.get(f"/api/v1/scan/{scanned}", headers=stock.staff)
        assert staff.status_code == 200 and staff.json() == _as_orm_shows(engine, STAFF_ACTOR, code)
    held = client.get(f"/api/v1/scan/{HELD_SERIAL.lower()}", headers=stock.mine)
    assert held.status_code == 200 and held.json() == _as_orm_shows(engine, structure, stock.held)
    offered = client.get(f"/api/v1/scan/{codes.display(stock.offered)}", headers=stock.mine)
    assert offered.json() == _as_orm_shows(engine, structure, stock.offered)
    theirs = client.get(f"/api/v1/scan/{THEIR_SERIAL}", headers=stock.mine)
    nowhere = client.get("/api/v1/scan/PF3NOWHERE99", headers=stock.mine)
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "scan_no_match"
    _same_but_the_code(theirs, nowhere, THEIR_SERIAL, "PF3NOWHERE99")
    hidden_code = client.get(f"/api/v1/scan/{stock.workshop}", headers=stock.mine)
    unknown = _unknown_code()
    _same_but_the_code(
        hidden_code,
        client.get(f"/api/v1/scan/{unknown}", headers=stock.mine),
        stock.workshop,
        unknown,
    )


def test_health_answers_as_before(client: TestClient, engine: Engine) -> None:
    answer = client.get("/api/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "version": __version__,
        "database": engine.dialect.name,
    }
