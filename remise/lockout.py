"""Slowing down password guessing at /login without letting anyone lock anyone out.

Each wrong password is kept in `login_failure` (user name, where, when) for LOGIN_WINDOW.
Before a password is even checked, the attempt is refused (429, TooManyAttempts) when,
within that window, there were already:

- USER_ADDRESS_ATTEMPTS wrong passwords for this user from this address;
- ADDRESS_ATTEMPTS wrong passwords from this address, whatever the users (one guesser
  trying many names);
- USER_ATTEMPTS wrong passwords for this user, whatever the addresses (many guessers,
  or one with many addresses, after one person).

The lock lifts when the oldest of those failures is LOGIN_WINDOW old.

Behind a proxy every browser may share one address, and anyone may type wrong passwords
for someone else, so these locks alone would let anyone lock anyone out. Hence the
known-device cookie (OWASP's "device cookies"): after a correct password, the browser
gets a cookie, signed with the secret key, naming the users who signed in there (see
`remise.security.KnownDevice`). A browser showing it for the user it names is exempt
from the three locks above; its wrong passwords are counted apart, against that browser
alone (`device:<name>` in the address column), and DEVICE_ATTEMPTS of them lock only
that user on that browser. So a real user always gets in from a browser where they
signed in before, with the right password, whatever others typed; a guesser without
the cookie meets the locks. A right password forgets the failures of that user there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from db.clock import iso
from db.errors import N_, DomainError
from db.models import LoginFailure

LOGIN_WINDOW = timedelta(minutes=15)  # how long a failure counts, hence how long a lock lasts
USER_ADDRESS_ATTEMPTS = 5  # wrong passwords for one user from one address…
ADDRESS_ATTEMPTS = 30  # …from one address for any users (a shared proxy: several people)…
USER_ATTEMPTS = 20  # …for one user from any addresses…
DEVICE_ATTEMPTS = 5  # …and for one user on a browser where that user signed in before
DEVICE_PREFIX = "device:"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"
    message = N_(
        "Too many wrong passwords for this user from this computer. "
        "Try again in %(minutes)s min, or ask a coordinator to set a new password."
    )


class AddressLocked(TooManyAttempts):
    code = "too_many_attempts_from_address"
    message = N_(
        "Too many wrong passwords from this network address, for several users. "
        "Try again in %(minutes)s min, or from a browser where you signed in before."
    )


class UserLocked(TooManyAttempts):
    code = "too_many_attempts_for_user"
    message = N_(
        "Too many wrong passwords for this user, from several places. Try again in "
        "%(minutes)s min, or from a browser where you signed in before; a coordinator "
        "can also set a new password."
    )


@dataclass(frozen=True)
class Attempt:
    """Who tries to sign in, from where; `device` when the browser is known for that user."""

    username: str
    address: str
    device: str | None = None

    @property
    def place(self) -> str:
        """What the failure row records as its address."""
        return f"{DEVICE_PREFIX}{self.device}" if self.device else self.address


def check(session: Session, attempt: Attempt, *, now: datetime) -> None:
    """Raise the TooManyAttempts that applies to `attempt` at `now`, if one does."""
    user, place = col(LoginFailure.username), col(LoginFailure.address)
    limits: list[tuple[tuple[Any, ...], int, type[TooManyAttempts]]]
    if attempt.device:
        here = (user == attempt.username, place == attempt.place)
        limits = [(here, DEVICE_ATTEMPTS, TooManyAttempts)]
    else:
        here = (user == attempt.username, place == attempt.address)
        anywhere = (user == attempt.username, ~place.startswith(DEVICE_PREFIX))
        limits = [
            (here, USER_ADDRESS_ATTEMPTS, TooManyAttempts),
            ((place == attempt.address,), ADDRESS_ATTEMPTS, AddressLocked),
            (anywhere, USER_ATTEMPTS, UserLocked),
        ]
    for where, limit, refusal in limits:
        unlocked = _unlocked_at(session, where, limit=limit, now=now)
        if unlocked is not None:
            raise refusal(minutes=max(1, math.ceil((unlocked - now).total_seconds() / 60)))


def _unlocked_at(session: Session, where: Any, *, limit: int, now: datetime) -> datetime | None:
    """When the lock of these failures lifts, or None if fewer than `limit` count now."""
    recent = session.exec(
        select(LoginFailure.at)
        .where(*where, col(LoginFailure.at) > iso(now - LOGIN_WINDOW))
        .order_by(col(LoginFailure.at).desc())
        .limit(limit)
    ).all()
    if len(recent) < limit:
        return None
    return datetime.fromisoformat(recent[-1]) + LOGIN_WINDOW


def record_failure(session: Session, attempt: Attempt, *, now: datetime) -> None:
    session.add(LoginFailure(username=attempt.username, address=attempt.place, at=iso(now)))
    session.flush()


def forget(session: Session, attempt: Attempt) -> None:
    """A right password: this user's failures from this address and browser stop counting."""
    places = {attempt.address, attempt.place}
    session.execute(
        delete(LoginFailure).where(
            col(LoginFailure.username) == attempt.username, col(LoginFailure.address).in_(places)
        )
    )


def forget_user(session: Session, username: str) -> None:
    """A new password set by a coordinator: every failure counted against the user goes."""
    session.execute(delete(LoginFailure).where(col(LoginFailure.username) == username))


def forget_stale(session: Session, *, now: datetime) -> None:
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= iso(now - LOGIN_WINDOW)))
