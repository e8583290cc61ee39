"""User accounts: creation, passwords, deactivation, signing in with a password or a token.

Tokens live in `remise.tokens`, the password policy in `remise.passwords`, the rule that
slows down guessing in `remise.lockout`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from db import ledger
from db.clock import Clock, iso, now_iso, utcnow
from db.enums import Role
from db.errors import N_, Conflict, DomainError, Invalid, NotFound, Unauthorized
from db.events import EventType, changes
from db.models import Structure, User, WebSession
from remise import lockout, tokens
from remise.auth import Actor
from remise.passwords import check_password
from remise.security import KnownDevice, hash_password, new_token, token_digest, verify_password

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
DISPLAY_NAME_MAX = 200  # as `User.display_name` holds


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


class StructureNotAllowed(Invalid):
    code = "structure_not_allowed"
    message = N_("Only a structure user belongs to a structure: choose none for this role.")


class UnknownStructure(Invalid):
    code = "unknown_structure"
    message = N_("There is no structure %(id)s: choose one from the list.")


class BadDisplayName(Invalid):
    code = "bad_display_name"
    message = N_("A name shown in the pages has at most %(max)s characters.")


def add_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    role: Role,
    display_name: str | None = None,
    structure_id: int | None = None,
    password: str | None = None,
    locale: str = "fr",
) -> User:
    """Create a user, without an API token (`user.created`). Raises BadUsername,
    StructureRequired, StructureNotAllowed, UnknownStructure, BadDisplayName,
    WeakPassword, UsernameTaken."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise BadUsername(username=username)
    check_structure(session, role, structure_id)
    display_name = _display_name(display_name, username)
    if password is not None:
        check_password(password, user_inputs=(username, display_name))
    if session.exec(select(User).where(User.username == username)).first():
        raise UsernameTaken(username=username)
    user = User(
        username=username,
        display_name=display_name,
        role=role.value,
        structure_id=structure_id,
        password_hash=hash_password(password) if password else None,
        locale=locale,
        created_at=now_iso(),
    )
    session.add(user)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.USER_CREATED,
        payload={"user": username, "role": role.value, "structure_id": user.structure_id},
    )
    return user


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
    expires_days: int | None = None,
) -> tuple[User, str]:
    """`add_user`, with a first API token (expiring after `expires_days` if given);
    returns both (the token is shown once)."""
    user = add_user(
        session,
        actor,
        username=username,
        role=role,
        display_name=display_name,
        structure_id=structure_id,
        password=password,
        locale=locale,
    )
    _row, token = tokens.issue_token(
        session, user, label="created with the account", expires_days=expires_days
    )
    return user, token


def check_structure(session: Session, role: Role, structure_id: int | None) -> None:
    """A structure user belongs to a structure that exists; the other roles to none."""
    if role != Role.STRUCTURE:
        if structure_id is not None:
            raise StructureNotAllowed()
        return
    if structure_id is None:
        raise StructureRequired()
    if session.get(Structure, structure_id) is None:
        raise UnknownStructure(id=structure_id)


def _display_name(display_name: str | None, username: str) -> str:
    shown = (display_name or "").strip() or username
    if len(shown) > DISPLAY_NAME_MAX:
        raise BadDisplayName(max=DISPLAY_NAME_MAX)
    return shown


class UnknownUser(DomainError):
    status = 404
    code = "unknown_user"
    message = N_("There is no user “%(username)s”.")


class AlreadyDeactivated(Conflict):
    code = "already_deactivated"
    message = N_("The user “%(username)s” is already deactivated.")


def user_named(session: Session, username: str) -> User:
    """The user of that name (any case); UnknownUser if there is none."""
    name = username.strip().lower()
    user = session.exec(select(User).where(User.username == name)).first()
    if user is None:
        raise UnknownUser(username=name[:80])
    return user


def set_password(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    keep_tokens: bool = False,
    keep_session: str | None = None,
    clock: Clock = utcnow,
) -> int:
    """Give a user a new password for the pages: its browsers are signed out (but the
    one whose session cookie is `keep_session`: a user changing their own), the wrong
    passwords counted against it are forgotten, its API tokens are revoked unless
    `keep_tokens` (an off-boarding must end them too), and the ledger records who did it.
    Returns how many tokens were revoked. Raises WeakPassword, UnknownUser."""
    user = user_named(session, username)
    assert user.id is not None
    check_password(password, user_inputs=(user.username, user.display_name))
    user.password_hash = hash_password(password)
    session.add(user)
    ended = delete(WebSession).where(col(WebSession.user_id) == user.id)
    if keep_session is not None:
        ended = ended.where(col(WebSession.token_hash) != token_digest(keep_session))
    session.execute(ended)
    lockout.forget_user(session, user.username)
    revoked = 0 if keep_tokens else tokens.revoke_all(session, user.id, now=clock())
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.USER_PASSWORD_SET,
        payload={"user": user.username},
    )
    session.flush()
    return revoked


@dataclass(frozen=True)
class Deactivation:
    sessions_ended: int
    tokens_revoked: int


def deactivate_user(
    session: Session, actor: Actor, *, username: str, clock: Clock = utcnow
) -> Deactivation:
    """The user can no longer sign in nor use the API: its browsers are signed out and
    its tokens revoked at once; the ledger records it. Raises AlreadyDeactivated,
    NotOnYourself (the actor's own account), LastCoordinator."""
    user = user_named(session, username)
    assert user.id is not None
    if not user.active:
        raise AlreadyDeactivated(username=user.username)
    if user.id == actor.user_id:
        raise NotOnYourself()
    keep_a_coordinator(session, user)
    user.active = False
    session.add(user)
    ended = session.execute(delete(WebSession).where(col(WebSession.user_id) == user.id))
    done = Deactivation(
        sessions_ended=int(ended.rowcount),  # type: ignore[attr-defined]
        tokens_revoked=tokens.revoke_all(session, user.id, now=clock()),
    )
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.USER_DEACTIVATED,
        payload={"user": user.username, "tokens_revoked": done.tokens_revoked},
    )
    session.flush()
    return done


class UnknownUserId(NotFound):
    code = "unknown_user"
    message = N_("There is no user %(id)s.")


class NotOnYourself(Conflict):
    code = "not_on_yourself"
    message = N_(
        "You cannot deactivate your own account nor change your own role: ask another coordinator."
    )


class LastCoordinator(Conflict):
    code = "last_coordinator"
    message = N_(
        "“%(username)s” is the last active coordinator: make another user a coordinator "
        "first, so that someone can still manage the accounts."
    )


class AlreadyActive(Conflict):
    code = "already_active"
    message = N_("The user “%(username)s” is already active.")


def user_by_id(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UnknownUserId(id=user_id)
    return user


def keep_a_coordinator(session: Session, user: User) -> None:
    """LastCoordinator if `user` is the only active coordinator. The ledger's lock is
    taken first: two coordinators removing each other at once are counted in turn."""
    if not user.active or user.role != Role.COORDINATOR.value:
        return
    ledger.lock(session)
    others = session.exec(
        select(func.count(col(User.id))).where(
            User.role == Role.COORDINATOR.value, col(User.active).is_(True), User.id != user.id
        )
    ).one()
    if not others:
        raise LastCoordinator(username=user.username)


def update_user(
    session: Session,
    actor: Actor,
    *,
    user_id: int,
    display_name: str | None,
    role: Role,
    structure_id: int | None,
) -> dict[str, list[object]]:
    """Change a user's shown name, role and structure (`user.updated`, with what changed,
    before and after); a new role holds at its next request. Returns the changes.
    Raises UnknownUserId, NotOnYourself, LastCoordinator, as `add_user` does."""
    user = user_by_id(session, user_id)
    if role.value != user.role:
        if user.id == actor.user_id:
            raise NotOnYourself()
        keep_a_coordinator(session, user)
    check_structure(session, role, structure_id)
    after = {
        "display_name": _display_name(display_name, user.username),
        "role": role.value,
        "structure_id": structure_id,
    }
    changed = changes({key: getattr(user, key) for key in after}, after)
    if changed:
        for key, value in after.items():
            setattr(user, key, value)
        session.add(user)
        payload = {"user": user.username, "changes": changed}
        ledger.append(
            session, actor=actor.ledger_name, type=EventType.USER_UPDATED, payload=payload
        )
        session.flush()
    return changed


def reactivate_user(session: Session, actor: Actor, *, user_id: int) -> User:
    """The user may sign in again with its password (`user.reactivated`); the tokens
    revoked with its deactivation stay revoked. Raises UnknownUserId, AlreadyActive."""
    user = user_by_id(session, user_id)
    if user.active:
        raise AlreadyActive(username=user.username)
    user.active = True
    session.add(user)
    payload = {"user": user.username}
    ledger.append(
        session, actor=actor.ledger_name, type=EventType.USER_REACTIVATED, payload=payload
    )
    session.flush()
    return user


def actor_for(user: User) -> Actor:
    assert user.id is not None
    return Actor(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        structure_id=user.structure_id,
        locale=user.locale,
    )


def authenticate_token(
    session: Session, token: str, *, clock: Clock = utcnow, record_use: bool = True
) -> Actor:
    """The actor a bearer token stands for; Unauthorized (saying why) if unknown, revoked,
    expired or its user deactivated. `record_use=False`: do not note its last use."""
    return tokens.check_token(session, token, clock=clock, record_use=record_use).actor


def authenticate_password(session: Session, username: str, password: str) -> Actor:
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    matches = verify_password(user.password_hash if user else None, password)
    if user is None or not user.active or not matches:
        raise Unauthorized(N_("Wrong user name or password."))
    return actor_for(user)


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    device: KnownDevice | None = None,
    clock: Clock = utcnow,
) -> Actor:
    """Check a password typed at /login from `address`, in a browser that showed `device`
    (its known-device cookie), if any. Raises TooManyAttempts, before the password is
    checked, when `remise.lockout`'s rule says so; Unauthorized for a wrong password,
    which is counted. Success forgets this user's failures from there."""
    name, now = username.strip().lower()[:80], clock()
    known = device is not None and name in device.users
    attempt = lockout.Attempt(name, address[:64], device.device if device and known else None)
    lockout.check(session, attempt, now=now)
    try:
        actor = authenticate_password(session, name, password)
    except Unauthorized:
        lockout.record_failure(session, attempt, now=now)
        raise
    lockout.forget(session, attempt)
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


@dataclass(frozen=True)
class SessionHolder:
    """Who a browser's session cookie stands for, until when."""

    actor: Actor
    expires_at: str


def web_session_holder(
    session: Session, token: str, *, clock: Clock = utcnow
) -> SessionHolder | None:
    """Who a session cookie stands for, or None if unknown, expired or deactivated: one
    indexed look-up of its digest, read as a plain row."""
    statement = (
        select_columns(*tokens.ACTOR_COLUMNS, col(WebSession.expires_at))
        .join(WebSession, col(WebSession.user_id) == col(User.id))
        .where(col(WebSession.token_hash) == token_digest(token))
    )
    row = session.execute(statement).first()
    if row is None:
        return None
    actor, active = tokens.row_actor(row[:6])
    expires_at = row[6]
    if not active or expires_at <= iso(clock()):
        return None
    return SessionHolder(actor, expires_at)


def web_session_actor(session: Session, token: str, *, clock: Clock = utcnow) -> Actor | None:
    """The actor of a browser's session cookie, or None if unknown, expired or deactivated."""
    holder = web_session_holder(session, token, clock=clock)
    return holder.actor if holder is not None else None


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
    lockout.forget_stale(session, now=now)
    session.flush()
    return len(rows)


def set_locale(session: Session, actor: Actor, locale: str) -> None:
    """Remember the language a user chose for the pages."""
    user = session.get(User, actor.user_id)
    if user is not None and user.locale != locale:
        user.locale = locale
        session.add(user)
        session.flush()
