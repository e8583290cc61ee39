"""Password guessing is slowed per user and address, per address, per user, and a known
browser lets its real user in whatever others typed (see remise.lockout)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from db.engine import transaction
from db.enums import Role
from db.errors import Unauthorized
from remise import accounts, lockout, security
from remise.security import KnownDevice
from tests.factories import ACTOR

PASSWORD = "pw-lucie-tournesol"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer attempts than in production, the same rule: each costs an argon2 check."""
    monkeypatch.setattr(lockout, "ADDRESS_ATTEMPTS", 9)
    monkeypatch.setattr(lockout, "USER_ATTEMPTS", 8)


@pytest.fixture
def lucie(engine: Engine) -> None:
    with transaction(engine) as session:
        accounts.create_user(session, ACTOR, username="lucie", role=Role.BENCH, password=PASSWORD)


def wrong(session: Session, *, name: str = "lucie", address: str, **options: object) -> None:
    with pytest.raises(Unauthorized):
        accounts.sign_in(session, name, "faux", address=address, **options)  # type: ignore[arg-type]


def at(minutes: float) -> object:
    return lambda: T0 + timedelta(minutes=minutes)


@pytest.mark.usefixtures("lucie")
def test_five_wrong_passwords_lock_the_user_at_that_address(engine: Engine) -> None:
    with transaction(engine) as session:
        for n in range(lockout.USER_ADDRESS_ATTEMPTS):
            wrong(session, address="10.0.0.7", clock=at(n))
        with pytest.raises(lockout.TooManyAttempts) as locked:
            accounts.sign_in(session, "lucie", PASSWORD, address="10.0.0.7", clock=at(5))
        assert type(locked.value) is lockout.TooManyAttempts and locked.value.params == {
            "minutes": 10
        }
        assert accounts.sign_in(session, "lucie", PASSWORD, address="10.0.0.8", clock=at(5))
        assert accounts.sign_in(session, "lucie", PASSWORD, address="10.0.0.7", clock=at(15.1))


@pytest.mark.usefixtures("lucie")
def test_many_users_guessed_from_one_address_lock_that_address(engine: Engine) -> None:
    with transaction(engine) as session:
        for n in range(lockout.ADDRESS_ATTEMPTS):
            wrong(session, name=f"user{n}", address="10.0.0.7", clock=at(1))
        with pytest.raises(lockout.AddressLocked):
            accounts.sign_in(session, "lucie", PASSWORD, address="10.0.0.7", clock=at(2))
        assert accounts.sign_in(session, "lucie", PASSWORD, address="10.0.0.8", clock=at(2))
        assert accounts.sign_in(session, "lucie", PASSWORD, address="10.0.0.7", clock=at(16.1))


@pytest.mark.usefixtures("lucie")
def test_one_user_guessed_from_many_addresses_is_locked_everywhere_new(engine: Engine) -> None:
    with transaction(engine) as session:
        for n in range(lockout.USER_ATTEMPTS):
            wrong(session, address=f"10.9.{n}.1", clock=at(1))  # X-Forwarded-For games
        with pytest.raises(lockout.UserLocked):
            accounts.sign_in(session, "lucie", PASSWORD, address="192.168.1.5", clock=at(2))
        wrong(session, name="autre", address="192.168.1.5", clock=at(2))  # others are not


@pytest.mark.usefixtures("lucie")
def test_a_browser_where_the_user_signed_in_before_is_never_locked_out(engine: Engine) -> None:
    known = security.new_known_device().remembering("lucie")
    shared, here = "10.0.0.1", lockout.USER_ADDRESS_ATTEMPTS
    with transaction(engine) as session:  # someone behind the same proxy, then everywhere
        for n in range(lockout.USER_ATTEMPTS):
            wrong(session, address=shared if n < here else f"10.9.{n}.1", clock=at(1))
        for n in range(lockout.ADDRESS_ATTEMPTS - here):
            wrong(session, name=f"user{n}", address=shared, clock=at(1))
        with pytest.raises(lockout.AddressLocked):
            accounts.sign_in(session, "marc", PASSWORD, address=shared, clock=at(2))
        with pytest.raises(lockout.UserLocked):
            accounts.sign_in(session, "lucie", PASSWORD, address="10.0.0.2", clock=at(2))
        with pytest.raises(lockout.TooManyAttempts):
            accounts.sign_in(session, "lucie", PASSWORD, address="10.0.0.1", clock=at(2))
        someone_else = KnownDevice(known.device, ("autre",))  # names another user: no help
        with pytest.raises(lockout.TooManyAttempts):
            accounts.sign_in(
                session, "lucie", PASSWORD, address="10.0.0.1", device=someone_else, clock=at(2)
            )
        actor = accounts.sign_in(
            session, "lucie", PASSWORD, address="10.0.0.1", device=known, clock=at(2)
        )
        assert actor.username == "lucie"


@pytest.mark.usefixtures("lucie")
def test_wrong_passwords_on_a_known_browser_lock_only_that_browser(engine: Engine) -> None:
    known = security.new_known_device().remembering("lucie")
    with transaction(engine) as session:
        for _ in range(lockout.DEVICE_ATTEMPTS):
            wrong(session, address="10.0.0.1", device=known, clock=at(1))
        with pytest.raises(lockout.TooManyAttempts):
            accounts.sign_in(
                session, "lucie", PASSWORD, address="10.0.0.1", device=known, clock=at(2)
            )
        assert accounts.sign_in(session, "lucie", PASSWORD, address="10.0.0.1", clock=at(2))


def test_the_known_device_cookie_cannot_be_forged() -> None:
    known = security.new_known_device().remembering("lucie").remembering("marc")
    sealed = security.seal_known_device("k" * 40, known)
    assert security.open_known_device("k" * 40, sealed) == known
    assert known.users == ("marc", "lucie")
    payload, _, mac = sealed.rpartition(".")
    forged = security.seal_known_device("other-key" * 5, KnownDevice(known.device, ("admin",)))
    for bad in (None, "", "garbage", f"{payload}.{'0' * len(mac)}", forged, "x." * 2000):
        assert security.open_known_device("k" * 40, bad) is None


def _log_in(client: TestClient, password: str) -> int:
    page = client.get("/login")
    found = CSRF.search(page.text)
    assert found is not None
    data = {"username": "lucie", "password": password, "csrf_token": found.group(1)}
    return client.post("/login", data=data, follow_redirects=False).status_code


@pytest.mark.usefixtures("lucie")
def test_behind_a_shared_address_a_guesser_cannot_lock_the_real_user_out(
    client: TestClient,
) -> None:
    assert _log_in(client, PASSWORD) == 303  # lucie's own browser, once
    assert "remise_device" in client.cookies
    client.post("/logout", data={"csrf_token": "x"})  # (refused without CSRF: harmless)
    with TestClient(client.app) as guesser:  # same address ("testclient"), no cookie
        assert [_log_in(guesser, f"guess-{n}") for n in range(5)] == [401] * 5
        assert _log_in(guesser, PASSWORD) == 429
    client.cookies.delete("remise_session")
    assert _log_in(client, PASSWORD) == 303  # old code: 429, locked out by the guesser
