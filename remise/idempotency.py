"""`Idempotency-Key`: a retried POST gets the first answer back, never a second copy.

Workshops' scripts retry when a network drops. Every route that creates something
takes the header; the first successful answer is stored with the key (per user)
and a fingerprint of what was asked, in the same transaction as the creation. A
retry with the same key and the same request gets that answer again, marked
`Idempotent-Replayed: true`; the same key with a different request is refused (422),
since it is a client bug that would otherwise lose data. Failed requests store
nothing, so they can be retried. The ledger lock is taken before the look-up, which
serialises concurrent retries of one key on PostgreSQL as SQLite's write lock does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import delete
from sqlmodel import Session, col, select

from db import ledger
from db.clock import iso, now_iso
from db.errors import N_, Invalid
from db.models import IdempotencyRecord
from remise.auth import Actor
from remise.deps import ActorDep

MAX_KEY_LENGTH = 200
REPLAYED = "Idempotent-Replayed"


class KeyReused(Invalid):
    code = "idempotency_key_reused"
    message = N_(
        "The Idempotency-Key “%(key)s” was already used for a different request. "
        "Use a new key for each new request; reuse a key only to retry the same one."
    )


class BadKey(Invalid):
    code = "bad_idempotency_key"
    message = N_("An Idempotency-Key has 1 to 200 printable characters.")


def fingerprint(*parts: Any) -> str:
    """A stable digest of what a request asks for (its parsed body, file hash, options)."""
    return hashlib.sha256(
        orjson.dumps(jsonable_encoder(parts), option=orjson.OPT_SORT_KEYS)
    ).hexdigest()


@dataclass
class Idempotency:
    """One request's key, if it sent one; see the module docstring."""

    key: str | None
    actor: Actor
    method: str
    path: str

    def replay(self, session: Session, request_fingerprint: str) -> JSONResponse | None:
        """The stored answer for this key, or None when the request must run."""
        if self.key is None:
            return None
        ledger.lock(session)
        record = session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.user_id == self.actor.user_id, IdempotencyRecord.key == self.key
            )
        ).first()
        if record is None:
            return None
        if record.fingerprint != request_fingerprint or record.path != self.path:
            raise KeyReused(key=self.key)
        return JSONResponse(
            orjson.loads(record.body), status_code=record.status_code, headers={REPLAYED: "true"}
        )

    def once(
        self,
        session: Session,
        request_fingerprint: str,
        make: Callable[[], Any],
        *,
        status_code: int = 201,
        remember: bool = True,
    ) -> JSONResponse:
        """The one way a POST route runs: a retry gets the stored answer; otherwise `make()`
        does the work and its answer is stored under the key (unless `remember` is False,
        as for a dry run, which changes nothing and may be repeated freely)."""
        if (replayed := self.replay(session, request_fingerprint)) is not None:
            return replayed
        body = make()
        if not remember:
            return JSONResponse(jsonable_encoder(body), status_code=status_code)
        # A long import commits in chunks, so the lock taken by the first look-up is
        # gone by now: the same retry, run alongside, may have finished first.
        if (replayed := self.replay(session, request_fingerprint)) is not None:
            return replayed
        return self.answer(session, request_fingerprint, body, status_code=status_code)

    def answer(
        self, session: Session, request_fingerprint: str, body: Any, *, status_code: int = 201
    ) -> JSONResponse:
        """Answer the request, remembering the answer under the key if there is one."""
        content = jsonable_encoder(body)
        if self.key is not None and self.actor.user_id is not None:
            session.add(
                IdempotencyRecord(
                    user_id=self.actor.user_id,
                    key=self.key,
                    method=self.method,
                    path=self.path,
                    fingerprint=request_fingerprint,
                    status_code=status_code,
                    body=orjson.dumps(content).decode(),
                    created_at=now_iso(),
                )
            )
            session.flush()
        return JSONResponse(content, status_code=status_code)


def get_idempotency(
    request: Request,
    actor: ActorDep,
    idempotency_key: Annotated[
        str | None, Header(description="send the same key to retry safely")
    ] = None,
) -> Idempotency:
    key = idempotency_key.strip() if idempotency_key is not None else None
    if key is not None and (not key or len(key) > MAX_KEY_LENGTH or not key.isprintable()):
        raise BadKey()
    return Idempotency(key, actor, request.method, request.url.path)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]


def forget_older_than(session: Session, *, days: int, now: datetime) -> int:
    """Delete remembered answers older than `days`; returns how many went."""
    cutoff = iso(now - timedelta(days=days))
    result = session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < cutoff)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
