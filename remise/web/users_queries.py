"""The account pages' view models: the users listed (filtered by role, active or not,
and a search in their names), one user's details, and API tokens as they may be shown
(never a token nor its hash)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from db.clock import iso
from db.enums import Role
from db.errors import N_
from db.models import Structure, User
from remise import tokens
from remise.i18n import translate
from remise.web.users_forms import role_text

LIST_MAX = 200  # more than that: the search narrows it (an association has far fewer)
TOKEN_STATES = {
    "live": N_("works"),
    "expired": N_("past its expiry"),
    "revoked": N_("revoked"),
}


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    role_text: str
    structure_id: int | None
    structure_name: str | None
    active: bool
    created_at: str
    locale: str
    live_tokens: int


@dataclass(frozen=True)
class TokenRow:
    id: int
    label: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    state: str  # a key of TOKEN_STATES
    state_text: str


@dataclass(frozen=True)
class Filters:
    role: Role | None = None
    active: bool | None = None
    search: str = ""


def _folded(text: str) -> str:
    """`text` without case nor accents: « élodie » finds « Élodie » and « Elodie »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _rows(
    session: Session, locale: str, found: list[tuple[User, str | None]], now: datetime
) -> list[UserRow]:
    live = tokens.live_counts(session, now=now)
    return [_row(locale, user, name, live.get(user.id or 0, 0)) for user, name in found]


def _row(locale: str, user: User, structure_name: str | None, live: int) -> UserRow:
    assert user.id is not None
    return UserRow(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        role_text=role_text(locale, user.role),
        structure_id=user.structure_id,
        structure_name=structure_name,
        active=user.active,
        created_at=user.created_at,
        locale=user.locale,
        live_tokens=live,
    )


def _with_structure() -> Any:
    return select(User, Structure.name).outerjoin(
        Structure, col(Structure.id) == col(User.structure_id)
    )


def user_rows(
    session: Session, locale: str, filters: Filters, *, now: datetime
) -> tuple[list[UserRow], int]:
    """The users that pass `filters`, by user name (at most LIST_MAX), and how many pass.
    The search looks in the user name and the shown name, whatever the case and accents."""
    statement = _with_structure().order_by(col(User.username))
    if filters.role is not None:
        statement = statement.where(User.role == filters.role.value)
    if filters.active is not None:
        statement = statement.where(col(User.active).is_(filters.active))
    found = list(session.exec(statement).all())
    if filters.search:
        wanted = _folded(filters.search)
        found = [
            (user, name)
            for user, name in found
            if wanted in _folded(user.username) or wanted in _folded(user.display_name)
        ]
    return _rows(session, locale, found[:LIST_MAX], now), len(found)


def user_row(session: Session, locale: str, user_id: int, *, now: datetime) -> UserRow | None:
    found = session.exec(_with_structure().where(User.id == user_id)).first()
    return _rows(session, locale, [found], now)[0] if found else None


def token_rows(session: Session, locale: str, user_id: int, *, now: datetime) -> list[TokenRow]:
    """A user's API tokens, newest first, with whether each still works."""
    return [_token_row(locale, view, iso(now)) for view in tokens.tokens_of(session, user_id)]


def _token_row(locale: str, view: tokens.TokenView, now: str) -> TokenRow:
    state = "live"
    if view.revoked_at is not None:
        state = "revoked"
    elif view.expires_at is not None and view.expires_at <= now:
        state = "expired"
    return TokenRow(
        id=view.id,
        label=view.label,
        created_at=view.created_at,
        expires_at=view.expires_at,
        last_used_at=view.last_used_at,
        revoked_at=view.revoked_at if view.revoked_at != "?" else None,
        state=state,
        state_text=translate(locale, TOKEN_STATES[state]),
    )
