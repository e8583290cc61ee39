"""One-time form keys: Back then submit again, or F5 on a page a POST led to, never does
the work twice; it shows what the first submission made.

Every page is rendered with a fresh random `form_key`, which its POST forms carry. When
a form's POST succeeds, `pages.redirect` stores "this key led to that page" in the same
transaction as the work (in `idempotency_record`, with the API's retried requests, under
a `form:` prefix, and forgotten with them). A form sent again with a used key is not
run: the browser is sent (303) to the page of the first result, with a word saying so.
A form that failed stores nothing, so it can be corrected and sent again. Sign-in,
sign-out and the language switch carry no key: sending them twice is harmless.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass

import orjson
from sqlmodel import Session, select

from db import ledger
from db.clock import now_iso
from db.models import IdempotencyRecord

FIELD = "form_key"
_PREFIX = "form:"
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class AlreadySent(Exception):
    """This form was sent before: answer with a 303 to `location`, its first result."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@dataclass
class _Pending:
    session: Session
    user_id: int
    key: str
    path: str


# Set while a keyed form's POST runs (the request's own context: FastAPI hands it to the
# thread the route runs in), read by `remember` when the route answers with a redirect.
_pending: ContextVar[_Pending | None] = ContextVar("remise_form_pending", default=None)


def look_up(
    session: Session, *, user_id: int | None, key: str | None, path: str
) -> _Pending | None:
    """Before a form's POST runs: AlreadySent if its key was used; else what `expect` is
    to remember, to store it (None for a form without a key). The write lock is taken
    first, so two copies sent at once run one after the other and the second finds the
    first's key; it waits for that lock, so it runs in a worker thread."""
    if user_id is None or not key or not _KEY.match(key):
        return None
    ledger.lock(session)
    stored = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == _PREFIX + key
        )
    ).first()
    if stored is not None:
        raise AlreadySent(str(orjson.loads(stored.body)["location"]))
    return _Pending(session, user_id, _PREFIX + key, path)


def expect(pending: _Pending | None) -> None:
    """Remember, in the request's own context (which the route's thread copies), the key
    to store when the form redirects (`remember`); None forgets any."""
    _pending.set(pending)


def remember(location: str) -> None:
    """The running form led to `location`: store it under the form's key, if it has one."""
    pending = _pending.get()
    if pending is None:
        return
    _pending.set(None)
    pending.session.add(
        IdempotencyRecord(
            user_id=pending.user_id,
            key=pending.key,
            method="FORM",
            path=pending.path[:300],
            fingerprint="-",
            status_code=303,
            body=orjson.dumps({"location": location}).decode(),
            created_at=now_iso(),
        )
    )
