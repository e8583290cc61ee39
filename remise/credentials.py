"""Who a request's bearer token or session cookie stands for, remembered a few seconds.

Every API call names its sender by a token, every page by a session cookie; looking it
up is a query, the only one some requests would make before their own. Once a token or
cookie has been found to work, `CredentialCache` answers for it without the database for
`credential_cache_seconds` (a setting, 5 s by default; 0 turns the cache off), never
past the token's or session's own expiry, and, for an API token, only within the minute
whose use is recorded (`remise.tokens` writes the last use once a minute: the first
request of each minute goes to the database and records it). Refusals are never kept:
an unknown, revoked or expired credential is looked up every time, and says why.

Any change to a user, an API token or a web session that this process commits clears
every cache of the process at once: a revoked token, a deactivated account, a changed
role, locale or password, a sign-out. A session event notes such changes as they are
flushed or executed (`_note_changes`) and clears on commit (`_cleared_on_commit`); a
look-up that began before the clearing does not store its older answer (`generation`).
A change made by another process (the CLI, another worker) is seen within the cache's
lifetime, at most `credential_cache_seconds` later.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Delete, Engine, Update, event
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from db.clock import Clock, iso, utcnow
from db.engine import transaction
from db.errors import Unauthorized
from db.models import ApiToken, User, WebSession
from remise import tokens
from remise.accounts import web_session_holder
from remise.auth import Actor
from remise.security import token_digest
from remise.tokens import check_token

BEARER, COOKIE = "bearer", "cookie"
MAX_ENTRIES = 10_000  # more working credentials than that at once: start again empty
_WATCHED = frozenset({User, ApiToken, WebSession})
_WATCHED_TABLES = frozenset(model.__tablename__ for model in _WATCHED)  # type: ignore[attr-defined]
_CHANGED = "remise_credentials_changed"
UNCHANGED = tokens.CREDENTIALS_UNCHANGED
_caches: weakref.WeakSet[CredentialCache] = weakref.WeakSet()


@dataclass(frozen=True)
class _Entry:
    actor: Actor
    expires_at: str | None  # the credential's own expiry, ISO UTC; None: until revoked
    used_minute: str | None  # API tokens: the minute of the last use recorded
    until: float  # `time.monotonic()` after which it is looked up again


class CredentialCache:
    """The working credentials of one app, by kind (`BEARER`, `COOKIE`) and digest."""

    def __init__(
        self,
        seconds: float,
        *,
        clock: Clock = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds, self._clock, self._monotonic = seconds, clock, monotonic
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()
        self.generation = 0  # counts the clearings
        _caches.add(self)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    # --- without the database: a hit, or None ---------------------------------------

    def bearer(self, token: str, *, record_use: bool = True) -> Actor | None:
        """The actor of a token that worked moments ago; None: ask the database
        (`check_bearer`), which also records a new minute's use when `record_use`."""
        now = self._clock()
        minute = iso(now.replace(second=0, microsecond=0)) if record_use else None
        return self._hit(BEARER, token, now, minute)

    def cookie(self, token: str) -> Actor | None:
        """The actor of a session cookie that worked moments ago; None: ask the database."""
        return self._hit(COOKIE, token, self._clock(), None)

    def _hit(self, kind: str, token: str, now: datetime, minute: str | None) -> Actor | None:
        if self.seconds <= 0:
            return None
        entry = self._entries.get((kind, token_digest(token)))
        if entry is None or entry.until <= self._monotonic():
            return None
        if entry.expires_at is not None and entry.expires_at <= iso(now):
            return None  # the database says how it expired
        if minute is not None and (entry.used_minute is None or entry.used_minute < minute):
            return None  # this minute's use is still to be recorded
        return entry.actor

    # --- with the database: what `remise.tokens` and `remise.accounts` say ------------

    def check_bearer(
        self, session: Session, token: str, *, record_use: bool = True
    ) -> tokens.TokenHolder:
        """Who the token stands for, from the database (Unauthorized saying why),
        remembered; with `record_use=False`, a use due is left to the caller."""
        generation = self.generation
        holder = check_token(session, token, clock=self._clock, record_use=record_use)
        self._put(BEARER, token, generation, holder.actor, holder.expires_at, holder.last_used_at)
        return holder

    def check_cookie(self, session: Session, token: str) -> Actor | None:
        """The session cookie's actor from the database, remembered; None if it is unknown,
        expired or its user deactivated."""
        generation = self.generation
        holder = web_session_holder(session, token, clock=self._clock)
        if holder is None:
            return None
        self._put(COOKIE, token, generation, holder.actor, holder.expires_at, None)
        return holder.actor

    def bearer_from(
        self, engine: Engine, token: str, *, record_use: bool = True
    ) -> tokens.TokenHolder:
        """`check_bearer` in a short read-only transaction of its own, which gives its
        connection back at once (a use is recorded by a short write of its own)."""
        with transaction(engine, read_only=True) as session:
            return self.check_bearer(session, token, record_use=record_use)

    def cookie_from(self, engine: Engine, token: str) -> Actor | None:
        """`check_cookie` in a short read-only transaction of its own."""
        with transaction(engine, read_only=True) as session:
            return self.check_cookie(session, token)

    def remembered(self, kind: str, token: str) -> bool:
        """Whether a token (`BEARER`) or cookie (`COOKIE`) worked moments ago, whatever
        the use to record: the look-ahead of `remise.limits`, before a body is read."""
        found = self.bearer(token, record_use=False) if kind == BEARER else self.cookie(token)
        return found is not None

    def known(self, engine: Engine, kind: str, token: str) -> bool:
        """Whether it works, from the database, without recording a use (the request
        records it), and remembered for the request's own check."""
        if kind == COOKIE:
            return self.cookie_from(engine, token) is not None
        try:
            self.bearer_from(engine, token, record_use=False)
        except Unauthorized:
            return False
        return True

    def used(self, token: str, minute: str) -> None:
        """The token's use of `minute` was recorded: its entry answers for that minute."""
        key = (BEARER, token_digest(token))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (entry.used_minute is None or entry.used_minute < minute):
                self._entries[key] = replace(entry, used_minute=minute)

    def _put(
        self,
        kind: str,
        token: str,
        generation: int,
        actor: Actor,
        expires_at: str | None,
        used_minute: str | None,
    ) -> None:
        if self.seconds <= 0:
            return
        entry = _Entry(actor, expires_at, used_minute, self._monotonic() + self.seconds)
        with self._lock:
            if generation != self.generation:  # cleared meanwhile: this answer may be older
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[(kind, token_digest(token))] = entry


def clear_all() -> None:
    """Forget every credential remembered in this process."""
    for cache in list(_caches):
        cache.clear()


# --- clearing on commit ---------------------------------------------------------------


def _touches_credentials(objects: Any) -> bool:
    return any(type(obj) in _WATCHED for obj in objects)


@event.listens_for(OrmSession, "after_flush")
def _note_flushed(session: OrmSession, _flush: UOWTransaction) -> None:
    """Rows changed or deleted (a new token or session changes nothing remembered)."""
    if _touches_credentials(session.dirty) or _touches_credentials(session.deleted):
        session.info[_CHANGED] = True


@event.listens_for(OrmSession, "do_orm_execute")
def _note_changes(state: ORMExecuteState) -> None:
    """Bulk UPDATE and DELETE statements (`revoke_all`, signing every browser out), but
    for those that say they change nothing a cache keeps (`UNCHANGED`: a last use)."""
    statement = state.statement
    if not isinstance(statement, Update | Delete) or state.execution_options.get(UNCHANGED):
        return
    if getattr(statement.table, "name", None) in _WATCHED_TABLES:
        state.session.info[_CHANGED] = True


@event.listens_for(OrmSession, "after_commit")
def _cleared_on_commit(session: OrmSession) -> None:
    if session.info.pop(_CHANGED, False):
        clear_all()
