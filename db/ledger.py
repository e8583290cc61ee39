"""The append-only, hash-chained ledger: the only module that writes ledger rows.

Each row holds a sequence number (1, 2, 3… with no gap), the time, the actor, the
device concerned (if any), the event type, the payload as canonical JSON, the hash
of the previous row and its own hash (`db.canonical.row_hash`). Any edit, deletion,
insertion or re-ordering of past rows breaks the chain at a sequence number that
`verify` reports; deleting the newest rows is caught only against a head kept
elsewhere (`verify(head=…)`).

Appends happen in the caller's transaction, after the state change they record,
so both commit or neither does. Writers are serialised so that two transactions
never take the same sequence number: SQLite by `BEGIN IMMEDIATE` (`db.engine`),
PostgreSQL by a transaction-scoped advisory lock taken before the first change
(`lock`), so that two writers cannot deadlock on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Table, event, func, select, text
from sqlmodel import Session, col

from db import bulk, canonical
from db.canonical import GENESIS_HASH
from db.clock import now_iso
from db.models import JobCursor, LedgerEvent

# Any constant will do; it names "the ledger" among PostgreSQL advisory locks.
_PG_LOCK_KEY = 0x52454D495345  # "REMISE"
_LOCKED = "remise_ledger_locked"
_COLUMN_NAMES = ("seq", "at", "actor", "device_id", "type", "payload", "prev_hash", "hash")
_COLUMNS = ", ".join(_COLUMN_NAMES)
_SORTED = orjson.OPT_SORT_KEYS
_HEAD = "SELECT seq, hash FROM ledger_event ORDER BY seq DESC LIMIT 1"
# Appends run on the driver's cursor, in the session's transaction: SQLAlchemy's
# statement machinery costs more than the insert itself (see bench/ledger.py).
_INSERT = {
    "qmark": f"INSERT INTO ledger_event ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "pyformat": f"INSERT INTO ledger_event ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
}


@dataclass(frozen=True)
class NewEvent:
    """An event to append: its type, payload and (optionally) the device it concerns."""

    type: str
    payload: dict[str, Any]
    device_id: int | None = None
    # True when the caller built the payload from text, integers and None only (a bulk
    # import's rows): the float scan of the canonical encoder is then skipped; the
    # bytes, and so the hash, are the same.
    plain: bool = False


@dataclass(frozen=True)
class Appended:
    seq: int
    hash: str
    at: str


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text_: str) -> Head:
        """Read `SEQ:HASH` as `remise ledger head` prints it."""
        seq, sep, digest = text_.strip().partition(":")
        if not sep or not seq.isdigit() or len(digest) != 64:
            raise ValueError("a ledger head reads SEQ:HASH, e.g. 1234:9f86d081…")
        return cls(int(seq), digest.lower())


@dataclass
class Verification:
    """What `verify` found: `ok`, or the first bad sequence number and why."""

    checked: int = 0
    head: Head = field(default_factory=lambda: Head(0, GENESIS_HASH))
    first_bad_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


@event.listens_for(Session, "after_transaction_end")
def _forget_lock(session: Session, transaction: Any) -> None:
    # Also at the end of a savepoint: a rolled-back savepoint releases the locks
    # taken inside it and undoes its appends, so both must be taken again.
    session.info.pop(_LOCKED, None)


def lock(session: Session) -> Head:
    """Take the ledger's write lock for the rest of the transaction; return its head.

    Call it before changing rows whose change will be recorded, so that every
    writer takes the ledger lock first and writers cannot deadlock. SQLite already
    holds its database write lock from `BEGIN IMMEDIATE`; PostgreSQL takes an
    advisory lock, then reads the head in a second statement, whose snapshot is
    taken after the lock is granted (one statement doing both could read a stale
    head). While the lock is held nobody else appends, so the head is kept until
    the transaction, or the savepoint, ends.
    """
    held: Head | None = session.info.get(_LOCKED)
    if held is not None:
        return held
    connection = session.connection()
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        if connection.dialect.name == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))
        cursor.execute(_HEAD)
        row = cursor.fetchone()
    finally:
        cursor.close()
    held = Head(row[0], row[1]) if row else Head(0, GENESIS_HASH)
    session.info[_LOCKED] = held
    return held


def head(session: Session) -> Head:
    """The newest row's sequence number and hash (0 and the genesis hash when empty)."""
    held: Head | None = session.info.get(_LOCKED)
    if held is not None:
        return held
    row = session.connection().execute(text(_HEAD)).first()
    return Head(row[0], row[1]) if row else Head(0, GENESIS_HASH)


def append(
    session: Session,
    *,
    actor: str,
    type: str,
    payload: dict[str, Any],
    device_id: int | None = None,
    at: str | None = None,
) -> Appended:
    """Append one event in the caller's transaction; raises NotCanonical for floats."""
    return append_many(session, actor=actor, events=[NewEvent(type, payload, device_id)], at=at)[0]


def append_many(
    session: Session, *, actor: str, events: Sequence[NewEvent], at: str | None = None
) -> list[Appended]:
    """Append events in order, in one statement: the path bulk imports take."""
    if not events:
        return []
    last = lock(session)
    at = at or now_iso()
    seq, prev = last.seq, last.hash
    rows, appended = [], []
    encode, plain, sha256, fragment = (
        canonical.dumps,
        canonical.dumps_plain,
        hashlib.sha256,
        orjson.Fragment,
    )
    for new in events:  # canonical.row_hash, inlined: bulk imports run this per row
        seq += 1
        payload = plain(new.payload) if new.plain else encode(new.payload)
        document = {
            "actor": actor,
            "at": at,
            "device": new.device_id,
            "payload": fragment(payload),
            "prev": prev,
            "seq": seq,
            "type": new.type,
        }
        digest = sha256(orjson.dumps(document, option=_SORTED)).hexdigest()
        rows.append((seq, at, actor, new.device_id, new.type, payload.decode(), prev, digest))
        appended.append(Appended(seq, digest, at))
        prev = digest
    if len(rows) == 1:  # the common case: one event with its change
        connection = session.connection()
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            cursor.execute(_INSERT[connection.dialect.paramstyle], rows[0])
        finally:
            cursor.close()
    else:
        bulk.insert_rows(session, "ledger_event", _COLUMN_NAMES, rows)
    session.info[_LOCKED] = Head(seq, prev)
    return appended


def _rows(connection: Connection, batch_size: int, after: int = 0) -> Iterator[tuple[Any, ...]]:
    """The ledger rows after `after`, in sequence order, streamed (a server-side cursor
    on PostgreSQL)."""
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    query = f"SELECT {_COLUMNS} FROM ledger_event WHERE seq > {int(after)} ORDER BY seq"
    if connection.dialect.name == "postgresql":
        cursor = dbapi.cursor(name="remise_ledger_verify")
        cursor.itersize = batch_size  # type: ignore[attr-defined]
    else:
        cursor = dbapi.cursor()
        cursor.arraysize = batch_size
    try:
        cursor.execute(query)
        while chunk := cursor.fetchmany(batch_size):
            yield from chunk
    finally:
        cursor.close()


def verify(
    session: Session,
    *,
    expected_head: Head | None = None,
    batch_size: int = 10_000,
    since: Head | None = None,
) -> Verification:
    """Walk the whole chain and report the first sequence number where it breaks.

    The chain breaks at the first row whose sequence number is not the next one,
    whose `prev_hash` is not the previous row's hash, or whose hash is not the hash
    of its content. With `expected_head`, a chain that no longer holds that row
    (or holds another hash there) fails too: that is how a truncated tail shows.
    With `since` (a head verified before), only the rows after it are walked, from its
    hash, once its row is found still holding that hash; otherwise the whole chain.
    """
    if since is not None and since.seq > 0:
        kept = (
            session.connection()
            .execute(text("SELECT hash FROM ledger_event WHERE seq = :seq"), {"seq": since.seq})
            .scalar()
        )
        if kept == since.hash:
            return _walk(session, expected_head, batch_size, since)
    return _walk(session, expected_head, batch_size, Head(0, GENESIS_HASH))


def _walk(
    session: Session, expected_head: Head | None, batch_size: int, start: Head
) -> Verification:
    result = Verification()
    sha256, dumps, fragment, sort = (
        hashlib.sha256,
        orjson.dumps,
        orjson.Fragment,
        orjson.OPT_SORT_KEYS,
    )
    expected_seq, prev = start.seq + 1, start.hash
    for seq, at, actor, device, type_, payload, prev_hash, digest in _rows(
        session.connection(), batch_size, start.seq
    ):
        if seq != expected_seq:
            return _broken(
                result, expected_seq, f"row {expected_seq} is missing (found {seq} next)"
            )
        if prev_hash != prev:
            return _broken(result, seq, "its previous hash is not the hash of the row before")
        document = {
            "actor": actor,
            "at": at,
            "device": device,
            "payload": fragment(payload),
            "prev": prev_hash,
            "seq": seq,
            "type": type_,
        }
        if sha256(dumps(document, option=sort)).hexdigest() != digest:
            return _broken(result, seq, "its hash does not match its content")
        if expected_head and seq == expected_head.seq and digest != expected_head.hash:
            return _broken(result, seq, "it is not the row of the published head")
        prev, expected_seq = digest, expected_seq + 1
        result.checked += 1
    result.head = Head(expected_seq - 1, prev)
    if expected_head and expected_head.seq > result.head.seq:
        return _broken(
            result,
            result.head.seq + 1,
            f"the ledger ends at {result.head.seq}, before the published head {expected_head.seq}",
        )
    return result


def _broken(result: Verification, seq: int, reason: str) -> Verification:
    result.first_bad_seq, result.reason = seq, reason
    return result


def history(session: Session, device_id: int) -> list[LedgerEvent]:
    """A device's events, oldest first."""
    query = select(LedgerEvent).where(col(LedgerEvent.device_id) == device_id)
    return list(session.scalars(query.order_by(col(LedgerEvent.seq))))


@dataclass(frozen=True)
class EventLine:
    """An event as a page shows it (`payload_of` reads it as it reads an event)."""

    seq: int
    at: str
    actor: str
    type: str
    payload: str


_EVENT_TABLE: Table = LedgerEvent.__table__  # type: ignore[attr-defined]
_LINE = ("seq", "at", "actor", "type", "payload")


def newest_column(device_id: ColumnElement[Any], newest: int, dialect: str) -> ColumnElement[Any]:
    """The `newest` events of the device `device_id` (a column of the query that reads
    the device: its history then comes in the same statement, one round trip instead of
    two) as one JSON array of lines, in the SQL of `dialect`; `lines_of` reads it."""
    events = _EVENT_TABLE.c
    latest = (
        select(*(events[name] for name in _LINE))
        .where(events.device_id == device_id)
        .order_by(events.seq.desc())
        .limit(newest)
        .correlate_except(_EVENT_TABLE)  # the device is the outer query's
        .subquery()
    )
    fields = [latest.c[name] for name in _LINE]
    if dialect == "postgresql":
        array = func.json_agg(func.json_build_array(*fields))
    else:
        array = func.json_group_array(func.json_array(*fields))
    return select(array).scalar_subquery()


def lines_of(value: str | list[list[Any]] | None) -> list[EventLine]:
    """The events of a `newest_column`, oldest first (the driver may have read the JSON
    already: psycopg does)."""
    found = orjson.loads(value) if isinstance(value, str | bytes) else value or []
    return sorted((EventLine(*line) for line in found), key=lambda line: line.seq)


def payload_of(event_row: LedgerEvent | EventLine) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(event_row.payload)
    return data


def events_after(
    session: Session, cursor: str, *, types: Iterable[str] | None = None, limit: int = 500
) -> list[LedgerEvent]:
    """Events past the named job cursor (see `advance`), oldest first."""
    position = session.get(JobCursor, cursor)
    query = select(LedgerEvent).where(col(LedgerEvent.seq) > (position.seq if position else 0))
    if types is not None:
        query = query.where(col(LedgerEvent.type).in_(list(types)))
    return list(session.scalars(query.order_by(col(LedgerEvent.seq)).limit(limit)))


def advance(session: Session, cursor: str, seq: int) -> None:
    """Move a job cursor to `seq`, in the job's transaction, so handled events stay handled."""
    position = session.get(JobCursor, cursor)
    if position is None:
        session.add(JobCursor(name=cursor, seq=seq))
    else:
        position.seq = max(position.seq, seq)
    session.flush()
