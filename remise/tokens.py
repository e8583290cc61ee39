"""API tokens: issued with an optional expiry, listed, revoked, checked at every call.

A token is shown once, when issued; only its SHA-256 is kept. A token stops working
when it is revoked, when its expiry passes (`expires_at <= now`) or when its user is
deactivated, and the 401 says which, so that its holder knows what to do. When a token
was last used is kept to the minute: written at most once a minute per token, in a
short transaction of its own when the request only reads (GETs run on read-only
sessions, which never take SQLite's write lock), and skipped if the database is busy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Update, func, or_, update
from sqlalchemy import select as select_columns
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from db import ledger
from db.clock import Clock, iso, utcnow
from db.engine import DatabaseBusy, is_busy, is_read_only, is_sqlite, writable
from db.enums import Role
from db.errors import N_, Invalid, NotFound, Unauthorized
from db.events import EventType
from db.models import ApiToken, User
from remise.auth import Actor
from remise.security import new_token, token_digest

log = logging.getLogger(__name__)
MAX_EXPIRY_DAYS = 3650
MAX_LABEL = 120
# An execution option: this statement changes nothing `remise.credentials` remembers.
CREDENTIALS_UNCHANGED = "remise_credentials_unchanged"


class TokenExpired(Unauthorized):
    code = "token_expired"
    message = N_(
        "This API token expired on %(expired)s (UTC). Use a new one: a coordinator makes one "
        "with `remise user token NAME`, or make one at POST /api/v1/me/tokens with a "
        "token that still works."
    )


class TokenRevoked(Unauthorized):
    code = "token_revoked"
    message = N_(
        "This API token was revoked on %(revoked)s (UTC). Use a new one: a coordinator "
        "makes one with `remise user token NAME`."
    )


class AccountDeactivated(Unauthorized):
    code = "account_deactivated"
    message = N_("This account is deactivated: ask a coordinator if that is a mistake.")


class UnknownToken(NotFound):
    code = "unknown_token"
    message = N_("There is no API token %(id)s.")


class BadExpiry(Invalid):
    code = "bad_token_expiry"
    message = N_("A token expires after 1 to %(max)s days (or never, when none is given).")


@dataclass(frozen=True)
class TokenView:
    """What may be shown of a token: never the token or its hash."""

    id: int
    label: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenView:
        assert row.id is not None
        revoked_at = row.revoked_at or ("?" if row.revoked else None)
        return cls(row.id, row.label, row.created_at, row.expires_at, row.last_used_at, revoked_at)


def issue_token(
    session: Session,
    user: User,
    *,
    label: str,
    expires_days: int | None = None,
    not_after: str | None = None,
    actor: Actor | None = None,
    clock: Clock = utcnow,
) -> tuple[ApiToken, str]:
    """A new token for `user`, expiring after `expires_days` if given but never after
    `not_after`; returns the row and the token (shown once). With an `actor`, the ledger
    records who issued it. Raises BadExpiry."""
    assert user.id is not None
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise BadExpiry(max=MAX_EXPIRY_DAYS)
    token, now = new_token(), clock()
    expires_at = iso(now + timedelta(days=expires_days)) if expires_days else None
    if not_after is not None and (expires_at is None or expires_at > not_after):
        expires_at = not_after
    row = ApiToken(
        user_id=user.id,
        token_hash=token_digest(token),
        label=label.strip()[:MAX_LABEL],
        created_at=iso(now),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    if actor is not None:
        payload = {"user": user.username, "token_id": row.id, "expires_at": row.expires_at}
        _record(session, actor, EventType.USER_TOKEN_ISSUED, payload)
    return row, token


def issue_own_token(
    session: Session,
    actor: Actor,
    *,
    bearer: str,
    label: str,
    expires_days: int | None = None,
    clock: Clock = utcnow,
) -> tuple[ApiToken, str]:
    """A new token for the actor, made with its token `bearer`: it expires no later than
    `bearer` does, so that a token with an expiry cannot outlive it by making another."""
    user = session.get(User, actor.user_id)
    assert user is not None
    calling = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(bearer)))
    found = calling.first()
    not_after = found.expires_at if found is not None else None
    return issue_token(
        session,
        user,
        label=label,
        expires_days=expires_days,
        not_after=not_after,
        actor=actor,
        clock=clock,
    )


def tokens_of(session: Session, user_id: int) -> list[TokenView]:
    """A user's tokens, newest first, revoked and expired ones included."""
    rows = session.exec(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(col(ApiToken.id).desc())
    ).all()
    return [TokenView.of(row) for row in rows]


def revoke_token(
    session: Session, actor: Actor, *, token_id: int, owner_id: int | None = None, now: datetime
) -> TokenView:
    """Revoke a token at once (again: no change). With `owner_id`, only that user's
    tokens can be named: another's answers UnknownToken, as an unknown id does."""
    row = session.get(ApiToken, token_id)
    if row is None or (owner_id is not None and row.user_id != owner_id):
        raise UnknownToken(id=token_id)
    if not row.revoked:
        row.revoked, row.revoked_at = True, iso(now)
        session.add(row)
        session.flush()
        owner = session.get(User, row.user_id)
        username = owner.username if owner else str(row.user_id)
        payload = {"user": username, "token_id": row.id}
        _record(session, actor, EventType.USER_TOKEN_REVOKED, payload)
    return TokenView.of(row)


def revoke_all(session: Session, user_id: int, *, now: datetime) -> int:
    """Revoke every token of a user that still works; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked).is_(False))
        .values(revoked=True, revoked_at=iso(now))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _record(session: Session, actor: Actor, type: EventType, payload: dict[str, object]) -> None:
    ledger.append(session, actor=actor.ledger_name, type=type, payload=payload)


@dataclass(frozen=True)
class TokenHolder:
    """Who a working token stands for, and what of the token a cache needs to know."""

    actor: Actor
    token_id: int
    expires_at: str | None
    last_used_at: str | None  # to the minute, this request's use included if recorded
    unrecorded: str | None = None  # the minute of a use due but not recorded (record_use=False)

    @property
    def username(self) -> str:
        return self.actor.username


# What an Actor is made of, and whether the account is active, read as plain columns:
# the credential look-ups (`check_token`, `remise.accounts.web_session_holder`).
ACTOR_COLUMNS = (
    col(User.id),
    col(User.username),
    col(User.role),
    col(User.structure_id),
    col(User.locale),
    col(User.active),
)


def row_actor(values: Sequence[Any]) -> tuple[Actor, bool]:
    """The actor of `ACTOR_COLUMNS`' values, and whether its account is active."""
    user_id, username, role, structure_id, locale, active = values
    return Actor(user_id, username, Role(role), structure_id, locale), bool(active)


_HOLDER = (
    *ACTOR_COLUMNS,
    col(ApiToken.id),
    col(ApiToken.revoked),
    col(ApiToken.revoked_at),
    col(ApiToken.expires_at),
    col(ApiToken.last_used_at),
)


def check_token(
    session: Session, token: str, *, clock: Clock = utcnow, record_use: bool = True
) -> TokenHolder:
    """Who a bearer token stands for; an Unauthorized saying why if it may not act.
    One indexed look-up of its digest, read as a plain row (no ORM objects).
    `record_use=False` for a look-ahead (the body limit's check before a body is read),
    which must not record a use that the request itself will record, or for a request
    that records it itself, in its own transaction (`unrecorded`, `record_use_in`)."""
    statement = (
        select_columns(*_HOLDER)
        .join(ApiToken, col(ApiToken.user_id) == col(User.id))
        .where(col(ApiToken.token_hash) == token_digest(token))
    )
    row = session.execute(statement).first()
    if row is None:
        raise Unauthorized()
    actor, active = row_actor(row[:6])
    token_id, revoked, revoked_at, expires_at, last_used_at = row[6:]
    now = clock()
    if not active:  # first: its tokens are revoked too, but this says more
        raise AccountDeactivated()
    if revoked:
        raise TokenRevoked(revoked=_shown(revoked_at))
    if expires_at is not None and expires_at <= iso(now):
        raise TokenExpired(expired=_shown(expires_at))
    minute = iso(now.replace(second=0, microsecond=0))
    if last_used_at is not None and last_used_at >= minute:
        return TokenHolder(actor, token_id, expires_at, last_used_at)
    if not record_use:
        return TokenHolder(actor, token_id, expires_at, last_used_at, unrecorded=minute)
    _record_use(session, token_id, minute)
    return TokenHolder(actor, token_id, expires_at, minute)


def _shown(moment: str | None) -> str:
    return moment[:16].replace("T", " ") if moment else "?"


def _use(token_id: int, minute: str) -> Update:
    """Keep `minute` as the token's last use, unless a concurrent request already did."""
    stale = or_(col(ApiToken.last_used_at).is_(None), col(ApiToken.last_used_at) < minute)
    statement = update(ApiToken).where(col(ApiToken.id) == token_id, stale)
    return statement.values(last_used_at=minute).execution_options(**{CREDENTIALS_UNCHANGED: True})


def record_use_in(session: Session, token_id: int, minute: str) -> None:
    """Record a token's use (`TokenHolder.unrecorded`) in a writing transaction."""
    session.execute(_use(token_id, minute))


def _record_use(session: Session, token_id: int, minute: str) -> None:
    statement = _use(token_id, minute)
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    if not is_read_only(bind) and is_sqlite(bind):
        session.execute(statement)  # this request holds SQLite's write lock already
        return
    # A read-only request (or PostgreSQL, where a long request holding the row lock would
    # hold up the token's other requests): a short write of its own.
    record_use_alone(bind, token_id, minute)  # a busy database: recorded by a later use


def record_use_alone(engine: Engine, token_id: int, minute: str) -> bool:
    """Record a token's use in a short write of its own, committed at once, which waits
    its turn like any writer and is given up (False) if the database stays busy."""
    statement = _use(token_id, minute)
    try:
        with Session(bind=writable(engine)) as writer:
            writer.execute(statement)
            writer.commit()
    except (OperationalError, DatabaseBusy) as exc:
        if not is_busy(exc):
            raise
        log.info("last use of API token %s not recorded: the database is busy", token_id)
        return False
    return True


def live_counts(session: Session, *, now: datetime) -> dict[int, int]:
    """How many tokens of each user still work (neither revoked nor expired), by user id;
    a user without one is not named. (A deactivated user's are all revoked.)"""
    unexpired = or_(col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > iso(now))
    statement = (
        select_columns(col(ApiToken.user_id), func.count(col(ApiToken.id)))
        .where(col(ApiToken.revoked).is_(False), unexpired)
        .group_by(col(ApiToken.user_id))
    )
    return {int(user_id): int(count) for user_id, count in session.execute(statement)}
