"""A scheduled job's run happens once, however many worker processes schedule it.

`try_lock` takes, for the rest of the transaction, a lock named after the job:
PostgreSQL's `pg_try_advisory_xact_lock`, which answers at once (False: another
worker is running it now, so this one skips its turn). On SQLite a writing
transaction already holds the database's write lock (`BEGIN IMMEDIATE`), so no two
runs overlap; the job's own idempotence makes a later repeat change nothing.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlmodel import Session


def key_of(name: str) -> int:
    """A stable signed 64-bit key for the job's name (PostgreSQL's advisory lock key)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def try_lock(session: Session, name: str) -> bool:
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return True
    statement = text("SELECT pg_try_advisory_xact_lock(:key)")
    return bool(connection.execute(statement, {"key": key_of(name)}).scalar_one())
