"""An import never blocks everyone else: it checks without the write lock, writes in chunks.

The live test runs a real `remise serve` on SQLite (where one writer at a time is the
rule) and a 300,000-row import through it; while it writes, a coordinator signs in and
records a donor, several times, each within a second. Before chunked imports the
import held SQLite's write lock for the whole request: the login waited 15 s and the
donor got a 500 "database is locked" after 30 s.
"""

from __future__ import annotations

import http.client
import io
import re
import sqlite3
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

import db.engine
from db import ledger
from db.engine import Transactions, make_engine, transaction
from db.enums import Role
from db.models import Batch
from intake import importer, service
from intake.models import BatchCreate, DonorCreate
from remise.auth import system_actor
from tests.factories import auth, make_token
from tests.intake.samples import delimited, french_rows
from tests.liveserver import LiveServer, live_server, multipart

ROWS = 300_000
PROBES = 5
# The bound: an import adds under a second to a login or a small write. Each
# probe is compared with the same request on the same server just before the import,
# so that a machine busy with other work does not count against the import; a single
# probe may take up to SPIKE_SECONDS more (the old code took 15 to 30 s).
FAST_SECONDS = 1.0
SPIKE_SECONDS = 3.0
DEADLINE = 600  # the import itself, on a busy 2-core machine
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def write_big_csv(path: Path, rows: int) -> None:
    """A valid asset list of `rows` laptops, written line by line (a second or two)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("N° de série;Marque;Modèle;Catégorie\r\n")
        out.writelines(
            f"LOCK{n:08d};Dell;Latitude 5490;Ordinateur portable\r\n" for n in range(rows)
        )


def _http(
    server: LiveServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request without following redirects (a login answers 303)."""
    host, port = server.base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def timed_login(server: LiveServer) -> float:
    status, headers, page = _http(server, "GET", "/login")
    assert status == 200
    cookie = headers["set-cookie"].split(";")[0]
    found = CSRF.search(page.decode())
    assert found is not None
    form = f"username=coordinatrice&password=demo-coordinatrice-remise&csrf_token={found.group(1)}"
    start = time.monotonic()
    status, _headers, body = _http(
        server,
        "POST",
        "/login",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    took = time.monotonic() - start
    assert status == 303, body[:300]
    return took


def timed_donor(server: LiveServer, n: int) -> float:
    start = time.monotonic()
    status, _headers, body = server.request(
        "POST",
        "/api/v1/donors",
        body=orjson.dumps({"name": f"Donateur pendant l'import {n}"}),
        headers={"Content-Type": "application/json"},
        token=server.token,
        timeout=60,
    )
    took = time.monotonic() - start
    assert status == 201, body[:300]
    return took


def devices_in(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as connection:
        return int(connection.execute("SELECT count(*) FROM device").fetchone()[0])


def writing(path: Path, before: int) -> bool:
    """Whether the import is writing: its first rows are in, or some writer holds the
    lock (a single-transaction import shows no row until its very end)."""
    if devices_in(path) > before:
        return True
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        connection.close()


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_logins_and_small_writes_stay_under_a_second_during_a_big_import(
    tmp_path: Path, sqlite_template: Path
) -> None:
    database = tmp_path / "remise.db"
    database.write_bytes(sqlite_template.read_bytes())
    csv_path = tmp_path / "parc-300000.csv"
    write_big_csv(csv_path, ROWS)
    body, boundary = multipart(csv_path)
    env = {"REMISE_MAX_UPLOAD_MB": "200", "REMISE_MAX_IMPORT_ROWS": str(ROWS)}
    with live_server(f"sqlite:///{database}", tmp_path / "data", env=env) as server:
        batch_id = server.new_batch()
        before = devices_in(database)
        idle = {"login": max(timed_login(server) for _ in range(3))}
        idle["donor"] = max(timed_donor(server, 100 + n) for n in range(3))
        result: dict[str, Any] = {}

        def run_import() -> None:
            result["answer"] = server.request(
                "POST",
                f"/api/v1/batches/{batch_id}/import",
                body=body,
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                token=server.token,
                timeout=DEADLINE,
            )

        importing = threading.Thread(target=run_import)
        importing.start()
        wait_for(lambda: writing(database, before), DEADLINE, "the import to start writing")
        timings = []
        for n in range(PROBES):
            timings.append(("login", timed_login(server)))
            timings.append(("donor", timed_donor(server, n)))
        still_writing = devices_in(database) < before + ROWS
        importing.join(DEADLINE)
    added = sorted(took - idle[what] for what, took in timings)
    figures = f"idle worst {idle}, during the import {timings}"
    print(figures)
    assert added[len(added) // 2] < FAST_SECONDS, figures
    assert added[-1] < SPIKE_SECONDS, figures
    assert still_writing, "the import ended before the probes: they measured nothing"
    status, _h, answer = result["answer"]
    assert status == 200, answer[:500]
    assert orjson.loads(answer)["created"] == ROWS
    engine = make_engine(f"sqlite:///{database}")
    try:
        with transaction(engine, read_only=True) as session:
            assert ledger.verify(session).ok
            done = session.execute(text("SELECT state, created FROM import_record")).all()
        assert done == [("done", ROWS)]
    finally:
        engine.dispose()


# --- a writer that cannot get the lock in time: 503 with Retry-After, never a 500 ----------


def _hold_write_lock(session: Session) -> None:
    ledger.lock(session)  # SQLite: BEGIN IMMEDIATE; PostgreSQL: the ledger's advisory lock
    session.execute(text("SELECT 1"))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_writer_kept_waiting_gets_503_busy_with_retry_after(
    client: Any, engine: Engine, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    headers = auth(make_token(engine, role=Role.COORDINATOR)) | {"Accept-Language": language}
    monkeypatch.setattr(db.engine, "SQLITE_BUSY_TIMEOUT_MS", 300)
    with transaction(engine) as holder:
        _hold_write_lock(holder)
        answer = client.post("/api/v1/donors", json={"name": "ACME"}, headers=headers)
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "busy" and answer.headers["retry-after"] == "5"
    expected = "réessayez dans quelques secondes" if language == "fr" else "try again in a few"
    assert expected in answer.json()["detail"]
    again = client.post("/api/v1/donors", json={"name": "ACME"}, headers=headers)
    assert again.status_code == 201, again.text


def make_batch(engine: Engine) -> Batch:
    actor = system_actor("test")
    with transaction(engine) as session:
        donor = service.create_donor(session, actor, data=DonorCreate(name="ACME"))
        data = BatchCreate(donor_id=donor.id or 0, pickup_date=date(2026, 12, 1), site="Rezé")
        return service.create_batch(session, actor, data=data)


def test_a_dry_run_takes_no_write_lock(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """While another transaction holds the write lock, checking a file still goes through."""
    monkeypatch.setattr(db.engine, "SQLITE_BUSY_TIMEOUT_MS", 300)
    batch = make_batch(engine)
    stream = io.BytesIO(delimited(french_rows(30)))
    with transaction(engine) as holder:
        _hold_write_lock(holder)
        outcome = importer.import_rows(
            Transactions(engine),
            system_actor("test"),
            batch=batch,
            stream=stream,
            options=importer.Options("parc.csv", dry_run=True),
        )
    assert (outcome.rows, outcome.created, outcome.import_id) == (30, 30, None)
