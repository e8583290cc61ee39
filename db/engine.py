"""Engines and transactions, for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on and a busy timeout. Writers are
serialised by starting every write transaction with `BEGIN IMMEDIATE`: a deferred
transaction that reads and then writes can fail with SQLITE_BUSY after another
writer committed, and the busy timeout cannot save it. Read-only work asks for
`read_only=True` and gets a plain `BEGIN`, so readers never wait for writers.
PostgreSQL needs nothing of the kind: the ledger takes its own lock (see
`db.ledger`). Only this module knows how writers are serialised.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000
_READ_ONLY = "remise_read_only"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for `postgresql://` URLs; leave others as they are."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, sqlite_synchronous: str = "NORMAL", echo: bool = False) -> Engine:
    """Build the engine for `url`, creating the SQLite file's folder if needed."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pool_pre_ping: it costs a round trip per transaction, and SQLAlchemy
        # already drops the whole pool on the first disconnect after a server restart.
        return create_engine(url, echo=echo, pool_recycle=3600)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )
    _configure_sqlite(engine, synchronous=sqlite_synchronous)
    return engine


def _configure_sqlite(engine: Engine, *, synchronous: str) -> None:
    if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"unknown SQLite synchronous mode {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        # Straight to the driver: this runs once per transaction, on every request.
        connection.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")


def new_session(engine: Engine, *, read_only: bool = False) -> Session:
    """A session on `engine`; `read_only` sessions never take SQLite's write lock."""
    bind = engine.execution_options(**{_READ_ONLY: True}) if read_only else engine
    return Session(bind=bind, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls back if it raises.

    This is the transaction owner for the CLI, jobs and tests; requests get the
    same behaviour from `remise.deps`. Services only flush.
    """
    session = new_session(engine, read_only=read_only)
    try:
        yield session
        if not read_only:  # read-only work just closes: the pool rolls the connection back
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
