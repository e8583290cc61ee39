"""Engines and transactions, for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on and a busy timeout. Writers are
serialised by starting every write transaction with `BEGIN IMMEDIATE`: a deferred
transaction that reads and then writes can fail with SQLITE_BUSY after another
writer committed, and the busy timeout cannot save it. Read-only work asks for
`read_only=True` and gets a plain `BEGIN`, so readers never wait for writers.

Within one process, SQLite writers also queue first come, first served
(`WriterQueue`) before `BEGIN IMMEDIATE`: SQLite's own busy handler polls
with growing sleeps, so a writer that commits and begins again at once (a bulk import,
chunk after chunk) would take the lock back before a waiting login ever saw it free.
A writer that waits longer than the busy timeout gets `DatabaseBusy` (a 503 that asks
to retry), as does one refused by SQLite's or PostgreSQL's lock timeout (`is_busy`).
PostgreSQL needs no queue: the ledger takes its own lock (see `db.ledger`), whose
waiters the server serves in order, and `lock_timeout` bounds the wait. Only `db/`
knows how writers are serialised.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from db.errors import N_, DomainError

# How long a writer waits for the lock before it is told to retry: long enough for a
# bulk import's chunk, short enough that a person is answered rather than left waiting.
SQLITE_BUSY_TIMEOUT_MS = 5_000
PG_LOCK_TIMEOUT_MS = 5_000
RETRY_AFTER_SECONDS = 5
# Connections kept per engine (as many as the threads that use them). Beyond them, a
# SQLite connection costs a file open and is never refused; PostgreSQL's are a server's
# resource: as many again may open (then close), and a thread that waits longer than
# PG_POOL_TIMEOUT_S for one is answered "busy, try again" (a 503), never left hanging.
POOL_SIZE = 16
PG_POOL_TIMEOUT_S = 10
_READ_ONLY = "remise_read_only"
_QUEUED = "remise_write_turn"
_SQLITE_BUSY = ("database is locked", "database table is locked")


class DatabaseBusy(DomainError):
    status = 503
    code = "busy"
    message = N_(
        "Remise is busy writing something else (a large import, perhaps). "
        "Nothing was saved: try again in a few seconds."
    )


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` is a writer that gave up waiting for a lock (SQLite busy timeout,
    PostgreSQL `lock_timeout`) or for a connection, rather than a real failure."""
    if isinstance(exc, DatabaseBusy | PoolTimeout):
        return True
    # The ledger and bulk inserts talk to the driver directly: its errors come unwrapped.
    orig = exc.orig if isinstance(exc, OperationalError) else exc
    if isinstance(orig, sqlite3.OperationalError):
        return str(orig).startswith(_SQLITE_BUSY)
    # A deadlock PostgreSQL broke (a claim holding catalogue rows while it waits for the
    # ledger, against a writer holding the ledger that waits for one of those rows):
    # the victim's transaction is rolled back whole, and trying again succeeds.
    return isinstance(orig, psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected)


# What a writer kept waiting may raise, as `is_busy` tells them from real failures.
BUSY_ERRORS: tuple[type[Exception], ...] = (
    DatabaseBusy,
    PoolTimeout,
    OperationalError,
    sqlite3.OperationalError,
    psycopg.errors.LockNotAvailable,
    psycopg.errors.DeadlockDetected,
)


class WriterQueue:
    """A lock handed to its waiters in the order they came (a plain lock lets the
    thread that just released it take it again first)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait ended
                return True
            self._waiting.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()  # stays held, by the next in line
            else:
                self._held = False


def normalise_url(url: str) -> str:
    """Use psycopg 3 for `postgresql://` URLs; leave others as they are."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_read_only(engine: Engine) -> bool:
    """Whether `engine` is the bind of a read-only session (see `new_session`)."""
    return bool(engine.get_execution_options().get(_READ_ONLY, False))


def writable(engine: Engine) -> Engine:
    """The same engine for a writing session, even from a read-only session's bind."""
    return engine.execution_options(**{_READ_ONLY: False})


def make_engine(
    url: str,
    *,
    sqlite_synchronous: str = "NORMAL",
    echo: bool = False,
    pool_size: int = POOL_SIZE,
) -> Engine:
    """Build the engine for `url`, creating the SQLite file's folder if needed.

    The pool keeps `pool_size` connections, as many as the threads that use them (the
    service's worker threads: `remise.settings.Settings.threads`), so that no thread
    waits for one; more may open, for the scheduler's jobs or a request that holds one
    between two hops to a thread, and are closed after (see POOL_SIZE)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pool_pre_ping: it costs a round trip per transaction, and SQLAlchemy
        # already drops the whole pool on the first disconnect after a server restart.
        return create_engine(
            url,
            echo=echo,
            pool_recycle=3600,
            # JIT compiling costs more than it saves on the dashboard's short aggregates
            # (a second added to a 200 ms query): off, as for most OLTP work.
            connect_args={"options": f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} -c jit=off"},
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_timeout=PG_POOL_TIMEOUT_S,
        )
    in_file = bool(parsed.database and parsed.database != ":memory:")
    if in_file:
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        # In memory: SQLAlchemy's own pool, of its one connection.
        **({"pool_size": pool_size, "max_overflow": -1} if in_file else {}),
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

    _queue_writers(engine)


def _queue_writers(engine: Engine) -> None:
    """Writers of this process take their turn in `WriterQueue` before `BEGIN IMMEDIATE`,
    and give it up when their transaction ends (or, failing that, when the connection
    goes back to the pool)."""
    queue = WriterQueue()

    def leave(info: dict[str, Any]) -> None:
        if info.pop(_QUEUED, False):
            queue.release()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        driver = connection.connection.driver_connection
        if connection.get_execution_options().get(_READ_ONLY, False):
            driver.execute("BEGIN")  # straight to the driver: this runs on every request
            return
        if not queue.acquire(SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise DatabaseBusy()
        connection.info[_QUEUED] = True
        try:
            driver.execute("BEGIN IMMEDIATE")
        except BaseException:
            leave(connection.info)
            raise

    # Released as the transaction ends, just before its COMMIT or ROLLBACK reaches the
    # driver: the next writer's BEGIN IMMEDIATE may wait those few milliseconds in
    # SQLite's busy handler, which is what it is for.
    event.listen(engine, "commit", lambda connection: leave(connection.info))
    event.listen(engine, "rollback", lambda connection: leave(connection.info))
    event.listen(engine, "checkin", lambda _dbapi, record: leave(record.info))


class UnitOfWork(Protocol):
    """Transactions on demand, for work that owns several in a row (a bulk import writes
    in chunks, each committed, so that others may write in between)."""

    def reading(self) -> AbstractContextManager[Session]: ...

    def writing(self) -> AbstractContextManager[Session]: ...


@dataclass(frozen=True)
class Transactions:
    """Each `reading()` or `writing()` is its own transaction on `engine`, committed when
    its block ends: the unit of work of routes, commands and jobs that run long."""

    engine: Engine

    def reading(self) -> AbstractContextManager[Session]:
        return transaction(self.engine, read_only=True)

    def writing(self) -> AbstractContextManager[Session]:
        return transaction(self.engine)


@dataclass(frozen=True)
class InSession:
    """Every block runs in `session`, whose owner commits or rolls back the lot: all or
    nothing, holding the write lock throughout (seeding, benchmarks, tests)."""

    session: Session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        yield self.session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        yield self.session


def reading_engine(engine: Engine) -> Engine:
    """`engine` for read-only sessions: made once per engine, not once per request (each
    `execution_options` call builds a new engine object and its option set)."""
    if is_read_only(engine):
        return engine
    found: Engine | None = engine.__dict__.get(_READ_ONLY)
    if found is None:
        found = engine.__dict__[_READ_ONLY] = engine.execution_options(**{_READ_ONLY: True})
    return found


_LOOKUP = "remise_lookup"


def lookup_engine(engine: Engine) -> Engine:
    """`engine` for look-ups of a statement or two on a connection of their own (a scan,
    a device, the bench's device page): read-only, and on PostgreSQL outside any
    transaction, each statement seeing the latest commits. A transaction would cost two
    more round trips to the server (BEGIN, then ROLLBACK as the connection goes back to
    the pool), more than the look-up itself: 0.84 ms a look-up with them, 0.51 without.
    SQLite keeps its read transaction (a call into the library, not a round trip)."""
    found: Engine | None = engine.__dict__.get(_LOOKUP)
    if found is None:
        found = reading_engine(engine)
        if engine.dialect.name == "postgresql":
            found = found.execution_options(isolation_level="AUTOCOMMIT")
        engine.__dict__[_LOOKUP] = found
    return found


def new_session(engine: Engine, *, read_only: bool = False) -> Session:
    """A session on `engine`; `read_only` sessions never take SQLite's write lock."""
    return Session(bind=reading_engine(engine) if read_only else engine, expire_on_commit=False)


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
