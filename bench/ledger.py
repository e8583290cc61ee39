"""Ledger benchmark: our append and verify paths against bare-driver baselines.

Three measurements, each against a baseline timed in the same run with the same
database settings (SQLite: WAL, synchronous=NORMAL, foreign keys on, the same busy
timeout, as `db.engine` sets them; PostgreSQL: the server's own settings):

1. append, one transaction per event (100,000 events). Ours, as the service does:
   `with db.engine.transaction(engine) as s: db.ledger.append(s, …)` per event.
   Baseline: a bare driver loop (sqlite3 with `BEGIN IMMEDIATE`/`COMMIT`, psycopg
   with a commit per row) inserting the same rows, precomputed. Target: within 2x.
2. append, one transaction (100,000 events): `db.ledger.append_many` in calls of
   10,000 events. Baseline: bare `executemany` of the same precomputed rows in the
   same chunks, in one transaction. Target: within 2x.
3. verify (1,000,000 events): `db.ledger.verify` in a read-only transaction over a
   database filled with valid chained rows (hashes from `db.canonical.row_hash`).
   Baseline: read the same rows in batches of 10,000 (a server-side cursor on
   PostgreSQL) and SHA-256 each row's fields joined with "|": reading and hashing
   without the canonical encoding. After one untimed warm-up read, each side runs
   twice and the best time counts. Target: within 1.5x.

The payloads (dicts) and baseline rows are built before the clock starts. Appends
run on fresh, migrated databases (`remise.migrate.upgrade`), one for ours and one for
the baseline, so both write into the same `ledger_event` table with the same
indexes; verify reads one filled database with both. SQLite databases are files in
a temporary folder; PostgreSQL ones live in a scratch database `remise_bench_<pid>`
(a fresh `public` schema per measurement), dropped at the end. Only 127.0.0.1 is
ever contacted; an unreachable PostgreSQL is skipped.

Run:  .venv/bin/python -m bench.ledger [--quick] [--backend sqlite|postgresql|both]
                                       [--pg-url postgresql://postgres@127.0.0.1:5432/test]
`--quick` divides every size by 10. `--pg-url` (default: $REMISE_TEST_PG_URL) is the
admin URL the scratch database is created from. Figures are printed as a table and
written to bench/results/ledger-<backend>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from db import canonical, ledger
from db.canonical import GENESIS_HASH
from db.clock import iso
from db.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine, transaction
from db.ledger import NewEvent
from remise.migrate import upgrade

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
ACTOR, TYPE = "bench", "device.updated"
CHUNK, BATCH, FILL_CHUNK = 10_000, 10_000, 100_000
COLUMNS = "seq, at, actor, device_id, type, payload, prev_hash, hash"
SELECT = f"SELECT {COLUMNS} FROM ledger_event ORDER BY seq"
INSERT_SQLITE = f"INSERT INTO ledger_event ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_PG = f"INSERT INTO ledger_event ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
COPY_PG = f"COPY ledger_event ({COLUMNS}) FROM STDIN"
EPOCH = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Sizes:
    append_each: int
    append_bulk: int
    verify: int


@dataclass
class Figure:
    """One measurement: our time against the baseline's, in seconds."""

    name: str
    events: int
    ours_s: float
    base_s: float
    target: float | None  # None: a reference line, not a measurement with a target
    ours_us: float = field(init=False)
    base_us: float = field(init=False)
    ratio: float = field(init=False)
    within_target: bool = field(init=False)

    def __post_init__(self) -> None:
        self.ours_us = self.ours_s / self.events * 1e6
        self.base_us = self.base_s / self.events * 1e6
        self.ratio = self.ours_s / self.base_s
        self.within_target = self.target is None or self.ratio <= self.target


# --- data -------------------------------------------------------------------


def payload(i: int) -> dict[str, Any]:
    """A realistic device event payload of about 300 bytes (no floats)."""
    return {
        "changes": {
            "status": ["labelled", "in_refurbishment"],
            "location": [None, "Atelier Nantes, établi 3"],
        },
        "run_id": i,
        "serial": f"PF-3KX{i:07d}",
        "operator": "jeanne.martin",
        "note": "Écran rayé côté gauche, clavier AZERTY complet",
        "checklist": {"version": 2, "steps": ["cleaning", "screen", "keyboard"]},
    }


def chained_rows(n: int) -> Iterator[Row]:
    """N valid ledger rows (seq 1…N), hashed with `db.canonical.row_hash`."""
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        at = iso(EPOCH + timedelta(milliseconds=seq))
        text_ = canonical.dumps(payload(seq)).decode()
        digest = canonical.row_hash(
            seq=seq, at=at, actor=ACTOR, device=None, type=TYPE, payload=text_, prev=prev
        )
        yield (seq, at, ACTOR, None, TYPE, text_, prev, digest)
        prev = digest


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def hash_rows(cursor: Any) -> int:
    """The verify baseline: SHA-256 of each row's fields joined with '|'."""
    sha256, count = hashlib.sha256, 0
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            sha256("|".join(map(str, row)).encode()).hexdigest()
        count += len(batch)
    return count


# --- backends: fresh databases and bare-driver baselines --------------------


class Sqlite:
    name = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.folder, self.count = folder, 0
        self.version = sqlite3.sqlite_version

    @contextmanager
    def fresh(self) -> Iterator[tuple[Engine, str]]:
        """A new migrated database file; yields our engine and the file's path."""
        self.count += 1
        path = self.folder / f"bench-{self.count}.db"
        engine = make_engine(f"sqlite:///{path}")
        try:
            upgrade(engine)
            yield engine, str(path)
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def connect(self, path: str) -> sqlite3.Connection:
        """A bare connection with the settings `db.engine` gives SQLite."""
        conn = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        return conn

    def insert_each(self, conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
        for row in rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT_SQLITE, row)
            conn.execute("COMMIT")

    def insert_bulk(self, conn: sqlite3.Connection, rows: Iterable[Row]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        for chunk in chunks(rows, CHUNK):
            conn.executemany(INSERT_SQLITE, chunk)
        conn.execute("COMMIT")

    def fill(self, conn: sqlite3.Connection, rows: Iterable[Row]) -> None:
        for chunk in chunks(rows, FILL_CHUNK):
            self.insert_bulk(conn, chunk)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def read_and_hash(self, conn: sqlite3.Connection) -> int:
        conn.execute("BEGIN")
        try:
            cursor = conn.cursor()
            cursor.arraysize = BATCH
            cursor.execute(SELECT)
            return hash_rows(cursor)
        finally:
            conn.execute("ROLLBACK")


class Postgres:
    name = "postgresql"

    def __init__(self, url: str, version: str) -> None:
        self.url, self.version = url, version

    @contextmanager
    def fresh(self) -> Iterator[tuple[Engine, str]]:
        """A new `public` schema in the scratch database, migrated; yields engine and URL."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        engine = make_engine(self.url)
        try:
            upgrade(engine)
            yield engine, self.url
        finally:
            engine.dispose()

    def connect(self, url: str) -> psycopg.Connection[Any]:
        return psycopg.connect(url)

    def insert_each(self, conn: psycopg.Connection[Any], rows: Sequence[Row]) -> None:
        with conn.cursor() as cursor:
            for row in rows:
                cursor.execute(INSERT_PG, row)
                conn.commit()

    def insert_bulk(self, conn: psycopg.Connection[Any], rows: Iterable[Row]) -> None:
        with conn.cursor() as cursor:
            for chunk in chunks(rows, CHUNK):
                cursor.executemany(INSERT_PG, chunk)
        conn.commit()

    def fill(self, conn: psycopg.Connection[Any], rows: Iterable[Row]) -> None:
        """COPY the rows in, then VACUUM so that no reader pays for hint bits."""
        with conn.cursor() as cursor, cursor.copy(COPY_PG) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM (FREEZE, ANALYZE) ledger_event")
        conn.autocommit = False

    def read_and_hash(self, conn: psycopg.Connection[Any]) -> int:
        with conn.transaction(), conn.cursor(name="bench_verify") as cursor:
            cursor.itersize = BATCH
            cursor.execute(SELECT)
            return hash_rows(cursor)


Backend = Sqlite | Postgres


@contextmanager
def sqlite_backend() -> Iterator[Sqlite]:
    folder = Path(tempfile.mkdtemp(prefix="remise-bench-"))
    try:
        yield Sqlite(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def local_url(url: str, database: str | None = None) -> str:
    """`url` as a libpq URL (optionally for another database); refuses any host but 127.0.0.1."""
    parsed = make_url(url)
    if parsed.host != "127.0.0.1" or {"host", "hostaddr"} & set(parsed.query):
        raise SystemExit(f"refusing {parsed.render_as_string()}: the benchmark only uses 127.0.0.1")
    parsed = parsed.set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


@contextmanager
def postgres_backend(admin_url: str) -> Iterator[Postgres | None]:
    """A scratch database `remise_bench_<pid>`, dropped at the end; None if unreachable."""
    name = f"remise_bench_{os.getpid()}"
    try:
        admin = psycopg.connect(local_url(admin_url), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL unreachable at {make_url(admin_url).render_as_string()}: skipped")
        print(f"  ({str(exc).strip().splitlines()[0]})")
        yield None
        return
    database = sql.Identifier(name)
    with admin:
        version = str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
        try:
            yield Postgres(local_url(admin_url, name), version)
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))


# --- our paths ---------------------------------------------------------------


def ours_append_each(engine: Engine, payloads: Sequence[dict[str, Any]]) -> None:
    for data in payloads:
        with transaction(engine) as session:
            ledger.append(session, actor=ACTOR, type=TYPE, payload=data, device_id=None)


def session_floor(engine: Engine, count: int) -> None:
    """What the service pays per transaction before any ledger work: a Session's round."""
    for _ in range(count):
        with transaction(engine) as session:
            session.connection()


def ours_append_bulk(engine: Engine, events: Sequence[NewEvent]) -> None:
    with transaction(engine) as session:
        for chunk in chunks(events, CHUNK):
            ledger.append_many(session, actor=ACTOR, events=chunk)


def ours_verify(engine: Engine, n: int) -> None:
    with transaction(engine, read_only=True) as session:
        result = ledger.verify(session)
    assert result.ok and result.checked == n, result


def check_ledger(engine: Engine, n: int) -> None:
    """Untimed: the database holds exactly N rows forming a valid chain."""
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM ledger_event")).scalar_one()
    assert count == n, f"{count} rows, expected {n}"
    ours_verify(engine, n)


def timed(run: Callable[..., Any], *args: Any) -> float:
    start = time.perf_counter()
    run(*args)
    return time.perf_counter() - start


# --- measurements ------------------------------------------------------------


def baseline_append(backend: Backend, rows: Sequence[Row], bulk: bool) -> float:
    with backend.fresh() as (engine, target), closing(backend.connect(target)) as conn:
        insert = backend.insert_bulk if bulk else backend.insert_each
        seconds = timed(insert, conn, rows)  # type: ignore[arg-type]
        check_ledger(engine, len(rows))
    return seconds


def measure_append_each(backend: Backend, n: int) -> list[Figure]:
    rows = list(chained_rows(n))
    base = baseline_append(backend, rows, bulk=False)
    payloads = [payload(i) for i in range(1, n + 1)]
    with backend.fresh() as (engine, _):
        ours = timed(ours_append_each, engine, payloads)
        check_ledger(engine, n)
        floor = timed(session_floor, engine, n)
    return [
        Figure("append, 1 transaction/event", n, ours, base, 2.0),
        Figure("(empty Session transaction)", n, floor, base, None),
    ]


def measure_append_bulk(backend: Backend, n: int) -> list[Figure]:
    rows = list(chained_rows(n))
    base = baseline_append(backend, rows, bulk=True)
    events = [NewEvent(TYPE, payload(i)) for i in range(1, n + 1)]
    with backend.fresh() as (engine, _):
        ours = timed(ours_append_bulk, engine, events)
        check_ledger(engine, n)
    return [Figure("append_many, 1 transaction", n, ours, base, 2.0)]


def measure_verify(backend: Backend, n: int) -> list[Figure]:
    with backend.fresh() as (engine, target), closing(backend.connect(target)) as conn:
        fill = timed(backend.fill, conn, chained_rows(n))  # type: ignore[arg-type]
        print(f"  (filled {n:,} chained rows in {fill:.1f} s)", flush=True)
        assert backend.read_and_hash(conn) == n  # type: ignore[arg-type]  # warm-up
        base, ours = [], []
        for _ in range(2):
            base.append(timed(backend.read_and_hash, conn))
            ours.append(timed(ours_verify, engine, n))
    return [Figure("verify", n, min(ours), min(base), 1.5)]


# --- report ------------------------------------------------------------------


def environment(backend: Backend) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": backend.version if isinstance(backend, Postgres) else None,
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        "cores": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}",
    }


def print_table(figures: Sequence[Figure]) -> None:
    head = ("measurement", "events", "ours s", "base s", "ours µs/ev", "base µs/ev", "ratio")
    print(f"  {head[0]:<28}{head[1]:>10}" + "".join(f"{h:>12}" for h in head[2:]) + "  target")
    for f in figures:
        verdict = "ok" if f.within_target else "OVER"
        bound = f"≤{f.target}x {verdict}" if f.target is not None else "reference"
        print(
            f"  {f.name:<28}{f.events:>10,}{f.ours_s:>12.2f}{f.base_s:>12.2f}"
            f"{f.ours_us:>12.1f}{f.base_us:>12.1f}{f.ratio:>11.2f}x  {bound}"
        )


def write_json(backend: Backend, env: dict[str, Any], figures: list[Figure], quick: bool) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"ledger-{backend.name}.json"
    document = {
        "backend": backend.name,
        "quick": quick,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": env,
        "measurements": [asdict(f) for f in figures],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path


def run_backend(backend: Backend, sizes: Sizes, quick: bool) -> None:
    env = environment(backend)
    print(f"\n== {backend.name} ==")
    print("  " + ", ".join(f"{key} {value}" for key, value in env.items()), flush=True)
    figures = []
    for measure, n in (
        (measure_append_each, sizes.append_each),
        (measure_append_bulk, sizes.append_bulk),
        (measure_verify, sizes.verify),
    ):
        for figure in measure(backend, n):
            figures.append(figure)
            print(f"  {figure.name}: ratio {figure.ratio:.2f}x", flush=True)
    print()
    print_table(figures)
    print(f"  written to {write_json(backend, env, figures, quick)}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="sizes divided by 10")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("REMISE_TEST_PG_URL", DEFAULT_PG_URL),
        help="admin URL the scratch database is created from (127.0.0.1 only)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    scale = 10 if args.quick else 1
    sizes = Sizes(100_000 // scale, 100_000 // scale, 1_000_000 // scale)
    print(f"Remise ledger benchmark ({'quick' if args.quick else 'full'} sizes: {sizes})")
    if args.backend in ("sqlite", "both"):
        with sqlite_backend() as backend:
            run_backend(backend, sizes, args.quick)
    if args.backend in ("postgresql", "both"):
        local_url(args.pg_url)  # refuse any host but 127.0.0.1 before connecting
        with postgres_backend(args.pg_url) as pg:
            if pg is not None:
                run_backend(pg, sizes, args.quick)


if __name__ == "__main__":
    main()
