"""User accounts and API tokens."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from db import ledger
from db.clock import Clock, iso, now_iso, utcnow
from db.enums import Role
from db.errors import N_, Conflict, DomainError, Invalid, Unauthorized
from db.events import EventType
from db.models import ApiToken, LoginFailure, User, WebSession
from remise.auth import Actor
from remise.security import hash_password, new_token, token_digest, verify_password

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


class UsernameTaken(Conflict):
    code = "username_taken"
    message = N_("The user name “%(username)s” is already taken.")


class BadUsername(Invalid):
    code = "bad_username"
    message = N_(
        "“%(username)s” cannot be a user name: use 2 to 80 lower-case letters, digits, "
        "dots, hyphens or underscores."
    )


class StructureRequired(Invalid):
    code = "structure_required"
    message = N_("A structure user must belong to a structure (give --structure).")


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    role: Role,
    display_name: str | None = None,
    structure_id: int | None = None,
    password: str | None = None,
    locale: str = "fr",
) -> tuple[User, str]:
    """Create a user and its first API token; returns both (the token is shown once)."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise BadUsername(username=username)
    if role == Role.STRUCTURE and structure_id is None:
        raise StructureRequired()
    if password is not None and len(password) < MIN_PASSWORD:
        raise WeakPassword(min=MIN_PASSWORD)
    if session.exec(select(User).where(User.username == username)).first():
        raise UsernameTaken(username=username)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        structure_id=structure_id if role == Role.STRUCTURE else None,
        password_hash=hash_password(password) if password else None,
        locale=locale,
        created_at=now_iso(),
    )
    session.add(user)
    session.flush()
    token = issue_token(session, user, label="created with the account")
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.USER_CREATED,
        payload={"user": username, "role": role.value, "structure_id": user.structure_id},
    )
    return user, token


class UnknownUser(DomainError):
    status = 404
    code = "unknown_user"
    message = N_("There is no user “%(username)s”.")


class WeakPassword(Invalid):
    code = "weak_password"
    message = N_("A password needs at least %(min)s characters.")


MIN_PASSWORD = 8


def set_password(session: Session, actor: Actor, *, username: str, password: str) -> User:
    """Give a user a new password for the pages: its browsers are signed out, the wrong
    passwords counted against it are forgotten, and the ledger records who did it."""
    name = username.strip().lower()
    user = session.exec(select(User).where(User.username == name)).first()
    if user is None:
        raise UnknownUser(username=name)
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(min=MIN_PASSWORD)
    user.password_hash = hash_password(password)
    session.add(user)
    session.execute(delete(WebSession).where(col(WebSession.user_id) == user.id))
    session.execute(delete(LoginFailure).where(col(LoginFailure.username) == name))
    ledger.append(
        session, actor=actor.ledger_name, type=EventType.USER_PASSWORD_SET, payload={"user": name}
    )
    session.flush()
    return user


def issue_token(session: Session, user: User, *, label: str) -> str:
    assert user.id is not None
    token = new_token()
    session.add(
        ApiToken(user_id=user.id, token_hash=token_digest(token), label=label, created_at=now_iso())
    )
    session.flush()
    return token


def actor_for(user: User) -> Actor:
    assert user.id is not None
    return Actor(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        structure_id=user.structure_id,
        locale=user.locale,
    )


def authenticate_token(session: Session, token: str) -> Actor:
    """The actor a bearer token stands for; Unauthorized if unknown, revoked or inactive."""
    row = session.exec(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)  # type: ignore[arg-type]
        .where(ApiToken.token_hash == token_digest(token))
    ).first()
    if row is None or row[1].revoked or not row[0].active:
        raise Unauthorized()
    return actor_for(row[0])


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"
    message = N_(
        "Too many wrong passwords for this user from this computer. "
        "Try again in %(minutes)s min, or ask a coordinator to set a new password."
    )


LOGIN_ATTEMPTS = 5  # wrong passwords allowed per user and address…
LOGIN_WINDOW = timedelta(minutes=15)  # …within this time, which is also how long a lock lasts


def authenticate_password(session: Session, username: str, password: str) -> Actor:
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    matches = verify_password(user.password_hash if user else None, password)
    if user is None or not user.active or not matches:
        raise Unauthorized(N_("Wrong user name or password."))
    return actor_for(user)


def sign_in(
    session: Session, username: str, password: str, *, address: str, clock: Clock = utcnow
) -> Actor:
    """Check a password typed at /login from `address`. After LOGIN_ATTEMPTS wrong ones
    within LOGIN_WINDOW, that user is refused from that address (TooManyAttempts) until the
    oldest of them is LOGIN_WINDOW old, whatever is typed. Success forgets the failures."""
    name, address, now = username.strip().lower()[:80], address[:64], clock()
    who = (col(LoginFailure.username) == name, col(LoginFailure.address) == address)
    recent = session.exec(
        select(LoginFailure.at)
        .where(*who, col(LoginFailure.at) > iso(now - LOGIN_WINDOW))
        .order_by(col(LoginFailure.at).desc())
        .limit(LOGIN_ATTEMPTS)
    ).all()
    if len(recent) >= LOGIN_ATTEMPTS:
        unlocked = datetime.fromisoformat(recent[-1]) + LOGIN_WINDOW
        raise TooManyAttempts(minutes=max(1, math.ceil((unlocked - now).total_seconds() / 60)))
    try:
        actor = authenticate_password(session, name, password)
    except Unauthorized:
        session.add(LoginFailure(username=name, address=address, at=iso(now)))
        session.flush()
        raise
    session.execute(delete(LoginFailure).where(*who))
    return actor


def open_web_session(
    session: Session, actor: Actor, *, lifetime: timedelta, clock: Clock = utcnow
) -> str:
    """Sign a browser in for `lifetime`; returns the cookie's token (only its hash is kept)."""
    assert actor.user_id is not None
    token, now = new_token(), clock()
    session.add(
        WebSession(
            user_id=actor.user_id,
            token_hash=token_digest(token),
            created_at=iso(now),
            expires_at=iso(now + lifetime),
        )
    )
    session.flush()
    return token


def web_session_actor(session: Session, token: str, *, clock: Clock = utcnow) -> Actor | None:
    """The actor of a browser's session cookie, or None if unknown, expired or deactivated."""
    row = session.exec(
        select(User, WebSession)
        .join(WebSession, WebSession.user_id == User.id)  # type: ignore[arg-type]
        .where(WebSession.token_hash == token_digest(token))
    ).first()
    if row is None or not row[0].active or row[1].expires_at <= iso(clock()):
        return None
    return actor_for(row[0])


def close_web_session(session: Session, token: str) -> None:
    """Sign the browser out: its token stops working at once."""
    found = session.exec(select(WebSession).where(WebSession.token_hash == token_digest(token)))
    for row in found.all():
        session.delete(row)
    session.flush()


def forget_expired_web_sessions(session: Session, *, now: datetime) -> int:
    """Drop the sessions that have expired, and the wrong passwords that no longer count."""
    rows = session.exec(select(WebSession).where(WebSession.expires_at <= iso(now))).all()
    for row in rows:
        session.delete(row)
    stale = col(LoginFailure.at) <= iso(now - LOGIN_WINDOW)
    session.execute(delete(LoginFailure).where(stale))
    session.flush()
    return len(rows)


def set_locale(session: Session, actor: Actor, locale: str) -> None:
    """Remember the language a user chose for the pages."""
    user = session.get(User, actor.user_id)
    if user is not None and user.locale != locale:
        user.locale = locale
        session.add(user)
        session.flush()
