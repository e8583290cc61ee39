"""Write the seeded network into a migrated database, fast.

PostgreSQL: the secondary indexes and foreign keys the migrations made are read
from the catalogue and dropped, every table is filled by COPY (the ledger streamed
from `history`), then they are made again from their own definitions, so that the
schema ends as `remise db upgrade` left it; the ids' sequences are moved past the
rows, and `VACUUM ANALYZE` runs, as autovacuum would after such a load (it also
sets the visibility map that index-only scans need). SQLite: `executemany`, its
indexes dropped and made again likewise, and no ANALYZE (Remise runs none).

Then, on both: `flow_day` counted from the seeded ledger in one INSERT … SELECT …
GROUP BY (migration 0015's), a coordinator made through `remise.accounts` (its
events appended by `db.ledger`), and the job cursor `reporting.flows` at the head.

`database` gives the benchmark its database: a SQLite file, or a scratch PostgreSQL
database `remise_bench_dashboard_<pid>_<random>` on 127.0.0.1, dropped at the end.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import text

from bench.dashboard_seed import history, plan, workshop
from bench.dashboard_seed.bench_tables import Row, Table
from bench.dashboard_seed.tables import tables
from bench.ledger import local_url
from db.engine import make_engine, transaction
from db.enums import Role
from remise import accounts, migrate
from remise.auth import system_actor
from reporting.flows import CURSOR
from reporting.models import FLOW_OF_EVENT

USER, PASSWORD = "coordination", "pw-coord-tournesol-19"
_FLOW = "CASE type " + " ".join(f"WHEN '{t}' THEN '{f.value}'" for t, f in FLOW_OF_EVENT.items())
_TYPES = ", ".join(f"'{t}'" for t in FLOW_OF_EVENT)
FLOWS = (
    f"INSERT INTO flow_day (day, flow, devices) SELECT substr(at, 1, 10), {_FLOW} END, count(*) "
    f"FROM ledger_event WHERE type IN ({_TYPES}) GROUP BY substr(at, 1, 10), {_FLOW} END"
)
HEAD = "UPDATE job_cursor SET seq = (SELECT coalesce(max(seq), 0) FROM ledger_event) WHERE name = "
_SECONDARY = """
SELECT pg_get_indexdef(i.indexrelid), i.indexrelid::regclass::text FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND NOT EXISTS
  (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""
_FOREIGN = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE contype = 'f' AND connamespace = 'public'::regnamespace
"""
_SERIAL = """
SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), 'id') FROM
information_schema.columns WHERE table_schema = 'public' AND column_name = 'id'
"""

_SQLITE_INDEXES = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"


@dataclass
class Seeded:
    """What was written, and how long each part took (seconds)."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def timed(self, name: str, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return work()
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


@dataclass(frozen=True)
class Prepared:
    """The network drawn, with its bench facts: drawn once, written into each database."""

    network: plan.Network
    known: list[workshop.Fact]
    seconds: float


def prepare(scale: plan.Scale, *, end: datetime | None = None) -> Prepared:
    start = time.perf_counter()
    network = plan.draw(scale, end)
    workshop.calibrate(network)
    return Prepared(network, workshop.facts(network), time.perf_counter() - start)


def seed(url: str, prepared: Prepared) -> Seeded:
    """The network in the (empty) database at `url`, built by the migrations."""
    seeded = Seeded(seconds={"plan": prepared.seconds})
    network, known = prepared.network, prepared.known
    engine = make_engine(url)
    try:
        seeded.timed("migrations", lambda: migrate.upgrade(engine))
        every = [*tables(network, known), ("ledger_event", history.COLUMNS, ledger(network, known))]
        if engine.dialect.name == "postgresql":
            _into_postgres(url_of(engine), every, seeded)
        else:
            _into_sqlite(engine.url.database or "", every, seeded)
        with transaction(engine) as session:
            seeded.timed("flow_day", lambda: session.execute(text(FLOWS)))
            accounts.create_user(
                session, system_actor("bench"), username=USER, role=Role.COORDINATOR,
                password=PASSWORD,
            )  # fmt: skip
            session.execute(text(HEAD + ":name"), {"name": CURSOR})
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                seeded.timed("vacuum analyze", lambda: c.execute(text("VACUUM ANALYZE")))
    finally:
        engine.dispose()
    return seeded


def ledger(network: plan.Network, known: list[workshop.Fact]) -> Callable[[], Iterator[Row]]:
    return lambda: history.rows(network, known)


def url_of(engine: Any) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _counted(rows: Iterable[Row], seeded: Seeded, table: str) -> Iterator[Row]:
    n = 0
    for n, row in enumerate(rows, start=1):  # noqa: B007 (n counts the rows)
        yield row
    seeded.rows[table] = n


def _into_postgres(url: str, every: list[Table], seeded: Seeded) -> None:
    with psycopg.connect(url) as connection:
        connection.execute("SET synchronous_commit = off")
        connection.execute("SET maintenance_work_mem = '512MB'")
        indexes = connection.execute(_SECONDARY).fetchall()
        foreign = connection.execute(_FOREIGN).fetchall()
        for table, name, _definition in foreign:
            connection.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for _definition, name in indexes:
            connection.execute(f"DROP INDEX {name}")
        for table, columns, rows in every:
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
            )

            def copy(statement: sql.Composed = statement, rows: Any = rows, t: str = table) -> None:
                with connection.cursor().copy(statement) as writer:
                    for row in _counted(rows(), seeded, t):
                        writer.write_row(row)

            seeded.timed("ledger" if table == "ledger_event" else "tables", copy)
        seeded.timed("indexes", lambda: [connection.execute(d) for d, _name in indexes])
        for table, name, definition in foreign:
            alter = f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            seeded.timed("foreign keys", lambda alter=alter: connection.execute(alter))
        for table, sequence in connection.execute(_SERIAL).fetchall():
            if sequence and table in seeded.rows:
                connection.execute(
                    f"SELECT setval('{sequence}', (SELECT coalesce(max(id), 0) + 1 FROM {table}),"
                    " false)"
                )


def _into_sqlite(path: str, every: list[Table], seeded: Seeded) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")  # 256 MiB: every index stays in memory
        connection.execute("BEGIN")
        indexes = connection.execute(_SQLITE_INDEXES).fetchall()
        for name, _definition in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        for table, columns, rows in every:
            names = ", ".join(f'"{c}"' for c in columns)
            statement = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
            seeded.timed(
                "ledger" if table == "ledger_event" else "tables",
                lambda s=statement, r=rows, t=table: connection.executemany(
                    s, _counted(r(), seeded, t)
                ),
            )
        seeded.timed("indexes", lambda: [connection.execute(d) for _name, d in indexes])
        connection.execute("COMMIT")


@contextmanager
def database(backend: str, folder: Path, admin_url: str) -> Iterator[str]:
    """A SQLite file in `folder`, or a scratch PostgreSQL database dropped at the end."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'remise.db'}"
        return
    name = f"remise_bench_dashboard_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(local_url(admin_url), autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield local_url(admin_url, name)
        finally:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))
