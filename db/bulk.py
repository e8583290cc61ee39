"""Many rows into one table, the fastest way each database offers, in the session's transaction.

PostgreSQL: `COPY … FROM STDIN` (psycopg runs an executemany as one INSERT per row,
which costs a server round of parse, plan and index update each). SQLite: the
driver's `executemany`, which already stays inside the library. Ids are reserved
before the insert, so that no query has to find the new rows again: on a table
growing inside one transaction, such look-ups turn into scans and the import into
a quadratic one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import psycopg
from sqlmodel import Session

SMALL = 32  # rows below which PostgreSQL gets one INSERT rather than a COPY


class DuplicateKey(Exception):
    """A unique index refused a row (the caller retries, e.g. with fresh codes)."""


def _driver(session: Session) -> tuple[Any, str]:
    connection = session.connection()
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    return dbapi, connection.dialect.name


def reserve_ids(session: Session, table: str, count: int) -> list[int]:
    """`count` unused ids for `table`'s `id` column; the caller holds the write lock."""
    dbapi, dialect = _driver(session)
    cursor = dbapi.cursor()
    try:
        if dialect == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                (table, count),
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # under BEGIN IMMEDIATE
        start = int(cursor.fetchone()[0]) + 1
        return list(range(start, start + count))
    finally:
        cursor.close()


def insert_rows(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (tuples in `columns` order); JSON columns take JSON text.

    Raises DuplicateKey if a unique index refuses a row; run it in a savepoint to retry.
    """
    if not rows:
        return
    dbapi, dialect = _driver(session)
    names = ", ".join(columns)
    cursor = dbapi.cursor()
    try:
        if dialect == "postgresql" and len(rows) <= SMALL:
            # A few rows (a claim's events): one INSERT is one round trip, where COPY
            # takes its start, its data and its end.
            marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
            flat = [value for row in rows for value in row]
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {marks}", flat)
        elif dialect == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    except (psycopg.errors.UniqueViolation, sqlite3.IntegrityError) as exc:
        if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" not in str(exc):
            raise
        raise DuplicateKey(str(exc)) from exc
    finally:
        cursor.close()
