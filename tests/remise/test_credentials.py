"""Remembered credentials (issue 15), on SQLite and PostgreSQL: a token or session cookie
that worked answers again without the database, and every change that matters to it,
committed in this process, is seen by the very next request.

The app's `CredentialCache` is replaced by one on a fake clock and a fake monotonic
timer, so that no minute turns and no entry ages unless a test says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event, func, update
from sqlmodel import select

from db.clock import iso
from db.engine import make_engine, transaction
from db.enums import Role
from db.models import ApiToken, Donor, LedgerEvent, User
from remise import accounts, tokens
from remise.app import create_app
from remise.credentials import BEARER, CredentialCache
from remise.security import new_token, token_digest
from remise.settings import Settings
from tests.factories import ACTOR, auth, make_token

# Today, 15 s into the current minute: sessions opened at T0 must still be open for the
# routes that read the real clock (a fixed date made the 12-hour sessions expire once
# the real clock passed it, and the tests failed from then on).
T0 = datetime.now(UTC).replace(second=15, microsecond=0)
LIFETIME = 5.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class FakeTime:
    """The cache's wall clock (minutes, expiries) and its monotonic timer (lifetimes)."""

    now: datetime = T0
    ticks: float = 1000.0

    def clock(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.ticks


@pytest.fixture
def frozen(client: TestClient) -> FakeTime:
    """The app's credentials remembered on a clock that moves only when told."""
    fake = FakeTime()
    app: Any = client.app
    app.state.credentials = CredentialCache(LIFETIME, clock=fake.clock, monotonic=fake.monotonic)
    return fake


@dataclass
class Sent:
    statement: str
    connection: Connection


@dataclass
class Statements:
    """What the app sent to its database, statement by statement."""

    sent: list[Sent] = field(default_factory=list)

    def clear(self) -> None:
        self.sent.clear()

    def about(self, table: str, verb: str = "SELECT") -> list[Sent]:
        return [
            one
            for one in self.sent
            if one.statement.lstrip().upper().startswith(verb)
            and re.search(rf"\b{table}\b", one.statement)
        ]


@pytest.fixture
def sql(engine: Engine) -> Iterator[Statements]:
    seen = Statements()

    def watch(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.sent.append(Sent(statement, conn))

    event.listen(engine, "before_cursor_execute", watch)
    yield seen
    event.remove(engine, "before_cursor_execute", watch)


def _cache(client: TestClient) -> CredentialCache:
    app: Any = client.app
    found: CredentialCache = app.state.credentials
    return found


def _me(client: TestClient, token: str, **headers: str) -> Any:
    return client.get("/api/v1/me", headers=auth(token, **headers))


def _username(client: TestClient, token: str) -> str:
    answer = _me(client, token)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["username"])


def _token_id(engine: Engine, token: str) -> int:
    with transaction(engine, read_only=True) as session:
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).one()
        assert row.id is not None
        return row.id


def _last_use(engine: Engine, token: str) -> str | None:
    with transaction(engine, read_only=True) as session:
        return session.exec(
            select(ApiToken.last_used_at).where(ApiToken.token_hash == token_digest(token))
        ).one()


def _minute(moment: datetime) -> str:
    return iso(moment.replace(second=0, microsecond=0))


# --- a credential that worked answers again without the database ----------------------


def test_a_token_that_worked_answers_again_without_the_database(
    client: TestClient, engine: Engine, frozen: FakeTime, sql: Statements
) -> None:
    token = make_token(engine)
    sql.clear()
    first = _me(client, token)
    assert first.status_code == 200 and len(sql.about("apitoken")) == 1
    sql.clear()
    again = _me(client, token)
    assert again.status_code == 200 and again.json() == first.json()
    assert sql.sent == []  # not one statement: GET /me needs nothing but its sender


def test_an_entry_is_looked_up_again_after_its_lifetime(
    client: TestClient, engine: Engine, frozen: FakeTime, sql: Statements
) -> None:
    token = make_token(engine)
    assert _me(client, token).status_code == 200
    # Another process (another worker, the CLI run elsewhere) revokes it: no event of
    # this process tells the cache, which sees it when its entry is looked up again.
    with engine.begin() as connection:
        connection.execute(
            update(ApiToken).where(ApiToken.token_hash == token_digest(token)).values(revoked=True)
        )
    sql.clear()
    frozen.ticks += LIFETIME - 0.01
    assert _me(client, token).status_code == 200 and sql.about("apitoken") == []
    frozen.ticks += 0.01
    refused = _me(client, token)
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert len(sql.about("apitoken")) == 1


def test_a_lifetime_of_zero_looks_the_token_up_every_time(
    settings: Settings, engine: Engine, sql: Statements
) -> None:
    app = create_app(settings.model_copy(update={"credential_cache_seconds": 0}), engine=engine)
    with TestClient(app) as client:
        token = make_token(engine)
        sql.clear()
        for _ in range(3):
            assert _me(client, token).status_code == 200
        assert len(sql.about("apitoken")) == 3
        assert len(_cache(client)) == 0


# --- refusals are never remembered --------------------------------------------------------


def test_a_refused_token_is_looked_up_every_time(
    client: TestClient, engine: Engine, frozen: FakeTime, sql: Statements
) -> None:
    unknown = new_token()
    sql.clear()
    for _ in range(2):
        assert _me(client, unknown).status_code == 401
    assert len(sql.about("apitoken")) == 2
    # The same token, now issued: it works at once, no refusal stood in its way.
    owner = make_token(engine)
    with transaction(engine) as session:
        user = session.exec(select(User).where(User.username == _username(client, owner))).one()
        assert user.id is not None
        session.add(
            ApiToken(
                user_id=user.id, token_hash=token_digest(unknown), label="late", created_at=iso(T0)
            )
        )
    assert _me(client, unknown).status_code == 200
    with transaction(engine) as session:
        tokens.revoke_token(session, ACTOR, token_id=_token_id(engine, unknown), now=T0)
    sql.clear()
    for _ in range(2):
        refused = _me(client, unknown)
        assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert len(sql.about("apitoken")) == 2 and _cache(client).bearer(unknown) is None


# --- a change committed in this process is seen by the very next request --------------


def test_a_token_revoked_through_the_api_is_refused_at_once(
    client: TestClient, engine: Engine, frozen: FakeTime, sql: Statements
) -> None:
    token = make_token(engine)
    spare = client.post("/api/v1/me/tokens", headers=auth(token), json={"label": "spare"})
    assert spare.status_code == 201, spare.text
    for _ in range(2):
        assert _me(client, spare.json()["token"]).status_code == 200
    sql.clear()
    assert _me(client, spare.json()["token"]).status_code == 200 and sql.sent == []  # cached
    gone = client.delete(f"/api/v1/me/tokens/{spare.json()['id']}", headers=auth(token))
    assert gone.status_code == 200
    refused = _me(client, spare.json()["token"])
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert _me(client, token).status_code == 200  # the caller's own token still works


def _deactivate(engine: Engine, username: str, _token_id: int) -> None:
    with transaction(engine) as session:
        accounts.deactivate_user(session, ACTOR, username=username)


def _revoke(engine: Engine, _username: str, token_id: int) -> None:
    with transaction(engine) as session:
        tokens.revoke_token(session, ACTOR, token_id=token_id, now=T0)


def _revoke_all(engine: Engine, username: str, _token_id: int) -> None:
    """A bulk UPDATE of the token table, as setting a password does."""
    with transaction(engine) as session:
        user_id = accounts.user_named(session, username).id
        assert user_id is not None
        assert tokens.revoke_all(session, user_id, now=T0) == 1


def _delete(engine: Engine, _username: str, token_id: int) -> None:
    with transaction(engine) as session:
        row = session.get(ApiToken, token_id)
        session.delete(row)


ENDINGS: dict[str, tuple[Callable[[Engine, str, int], None], str]] = {
    "deactivate the user": (_deactivate, "account_deactivated"),
    "revoke the token": (_revoke, "token_revoked"),
    "revoke all the user's tokens": (_revoke_all, "token_revoked"),
    "delete the token's row": (_delete, "unauthorized"),
}


@pytest.mark.parametrize(("end", "code"), ENDINGS.values(), ids=ENDINGS.keys())
def test_a_token_ended_by_a_command_in_this_process_is_refused_at_once(
    client: TestClient,
    engine: Engine,
    db_url: str,
    frozen: FakeTime,
    sql: Statements,
    end: Callable[[Engine, str, int], None],
    code: str,
) -> None:
    token = make_token(engine, role=Role.BENCH)
    username = _username(client, token)
    sql.clear()
    assert _me(client, token).status_code == 200 and sql.sent == []  # cached
    command = make_engine(db_url)  # a command builds its own engine (`remise.runtime`)
    try:
        end(command, username, _token_id(command, token))
    finally:
        command.dispose()
    refused = _me(client, token)
    assert refused.status_code == 401 and refused.json()["code"] == code


def test_a_new_role_is_seen_at_once(client: TestClient, engine: Engine, frozen: FakeTime) -> None:
    token = make_token(engine, role=Role.COORDINATOR)
    donor = client.post("/api/v1/donors", headers=auth(token), json={"name": "Avant"})
    assert donor.status_code == 201 and _me(client, token).json()["role"] == "coordinator"
    with transaction(engine) as session:
        user = accounts.user_named(session, _username(client, token))
        user.role = Role.BENCH.value
        session.add(user)
    assert _me(client, token).json()["role"] == "bench"
    refused = client.post("/api/v1/donors", headers=auth(token), json={"name": "Après"})
    assert refused.status_code == 403


def test_a_new_locale_is_seen_at_once(client: TestClient, engine: Engine, frozen: FakeTime) -> None:
    token = make_token(engine)
    before = _me(client, token)
    assert before.json()["locale"] == "fr" and before.headers["content-language"] == "fr"
    with transaction(engine) as session:
        user = accounts.user_named(session, _username(client, token))
        accounts.set_locale(session, accounts.actor_for(user), "en")
    after = _me(client, token)
    assert after.json()["locale"] == "en" and after.headers["content-language"] == "en"
    unknown = client.get("/api/v1/devices/ZZZZ-ZZZZ", headers=auth(token))
    assert (
        unknown.headers["content-language"] == "en"
        and "is not a valid device code" in unknown.json()["detail"]
    )


# --- session cookies --------------------------------------------------------------------


def _signed_in(client: TestClient, engine: Engine, *, lifetime: timedelta, opened: datetime) -> str:
    """A bench volunteer signed in on this client; returns the session cookie."""
    with transaction(engine) as session:
        actor, _token = accounts.create_user(
            session, ACTOR, username="lucie", role=Role.BENCH, password="pw-lucie-tournesol"
        )
        cookie = accounts.open_web_session(
            session, accounts.actor_for(actor), lifetime=lifetime, clock=lambda: opened
        )
    client.cookies.set("remise_session", cookie)
    return cookie


def _bench(client: TestClient) -> Any:
    return client.get("/bench", follow_redirects=False)


def test_signing_out_sends_the_cookie_to_login_at_once(
    client: TestClient, engine: Engine, frozen: FakeTime, sql: Statements
) -> None:
    cookie = _signed_in(client, engine, lifetime=timedelta(hours=12), opened=T0)
    page = _bench(client)
    assert page.status_code == 200
    sql.clear()
    assert _bench(client).status_code == 200 and sql.about("web_session") == []  # cached
    csrf = CSRF.search(page.text)
    assert csrf is not None
    out = client.post("/logout", data={"csrf_token": csrf[1]}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("remise_session", cookie)  # a copy of the cookie, kept by someone
    again = _bench(client)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_a_deactivated_users_cookie_goes_to_login_at_once(
    client: TestClient, engine: Engine, frozen: FakeTime
) -> None:
    _signed_in(client, engine, lifetime=timedelta(hours=12), opened=T0)
    assert _bench(client).status_code == 200
    with transaction(engine) as session:
        accounts.deactivate_user(session, ACTOR, username="lucie")
    assert _bench(client).status_code == 303


def test_a_new_page_language_is_seen_at_once(
    client: TestClient, engine: Engine, frozen: FakeTime
) -> None:
    _signed_in(client, engine, lifetime=timedelta(hours=12), opened=T0)
    page = _bench(client)
    assert '<html lang="fr">' in page.text
    csrf = CSRF.search(page.text)
    assert csrf is not None
    client.post("/language", data={"locale": "en", "next": "/bench", "csrf_token": csrf[1]})
    client.cookies.delete("remise_locale")  # the account's choice, not this browser's
    assert '<html lang="en">' in _bench(client).text


# --- expiry -----------------------------------------------------------------------------


def test_an_expired_token_is_refused_although_remembered(
    client: TestClient, engine: Engine, frozen: FakeTime, sql: Statements
) -> None:
    """It expires within the minute whose use is recorded: only its expiry stops it."""
    owner = make_token(engine)
    with transaction(engine) as session:
        user = accounts.user_named(session, _username(client, owner))
        _row, token = tokens.issue_token(
            session, user, label="day", expires_days=1, clock=lambda: T0 - timedelta(days=1)
        )
    frozen.now = T0 - timedelta(seconds=10)
    assert _me(client, token).status_code == 200
    sql.clear()
    frozen.now = T0 - timedelta(seconds=5)
    assert _me(client, token).status_code == 200 and sql.sent == []  # remembered
    frozen.now = T0  # the token's `expires_at`, to the microsecond
    assert not _cache(client).remembered(BEARER, token)  # nor for the body limit's look-ahead
    refused = _me(client, token)
    assert refused.status_code == 401 and refused.json()["code"] == "token_expired"


def test_an_expired_session_goes_to_login_although_remembered(
    client: TestClient, engine: Engine, frozen: FakeTime, sql: Statements
) -> None:
    _signed_in(client, engine, lifetime=timedelta(hours=1), opened=T0)
    frozen.now = T0 + timedelta(minutes=30)
    assert _bench(client).status_code == 200
    sql.clear()
    frozen.now = T0 + timedelta(minutes=59)
    assert _bench(client).status_code == 200 and sql.about("web_session") == []  # remembered
    frozen.now = T0 + timedelta(hours=1)
    answer = _bench(client)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


# --- a clearing during a look-up ----------------------------------------------------------


def test_an_answer_read_before_a_clearing_is_not_remembered(engine: Engine) -> None:
    """A revocation commits between the look-up's read and its `_put`: the look-up may
    answer with what it read, but must not keep it for the requests after."""
    token, other = make_token(engine), make_token(engine)
    token_id = _token_id(engine, token)
    revoked: list[bool] = []

    def clock() -> datetime:  # `check_token` reads the clock after the token's row
        if not revoked:
            revoked.append(True)
            with transaction(engine) as session:
                tokens.revoke_token(session, ACTOR, token_id=token_id, now=T0)
        return T0

    cache = CredentialCache(LIFETIME, clock=clock, monotonic=lambda: 1000.0)
    holder = cache.bearer_from(engine, token)
    assert revoked and holder.token_id == token_id  # what was read before the revocation
    assert len(cache) == 0 and cache.bearer(token) is None
    with pytest.raises(tokens.TokenRevoked):
        cache.bearer_from(engine, token)
    cache.bearer_from(engine, other)  # no clearing under way: remembered
    assert cache.bearer(other) is not None and len(cache) == 1


# --- the last use, once a minute ------------------------------------------------------------


def test_the_last_use_is_recorded_once_a_minute_by_reads(
    client: TestClient, engine: Engine, frozen: FakeTime, sql: Statements
) -> None:
    token = make_token(engine, role=Role.BENCH)
    sql.clear()
    assert _me(client, token).status_code == 200
    assert _last_use(engine, token) == _minute(T0)
    frozen.now = T0 + timedelta(seconds=40)  # the same minute: nothing to record
    assert _me(client, token).status_code == 200
    frozen.now = T0 + timedelta(seconds=50)  # the next minute
    assert _me(client, token).status_code == 200
    assert _last_use(engine, token) == _minute(frozen.now)
    assert len(sql.about("apitoken", "UPDATE")) == 2
    listed = client.get("/api/v1/me/tokens", headers=auth(token)).json()
    assert listed[0]["last_used_at"] == _minute(frozen.now)


def test_a_write_records_its_tokens_use_in_its_own_transaction(
    client: TestClient, engine: Engine, frozen: FakeTime, sql: Statements
) -> None:
    token = make_token(engine)
    sql.clear()
    made = client.post("/api/v1/donors", headers=auth(token), json={"name": "ACME"})
    assert made.status_code == 201, made.text
    assert _last_use(engine, token) == _minute(T0)
    [use] = sql.about("apitoken", "UPDATE")
    [donor] = sql.about("donor", "INSERT")
    if engine.dialect.name == "sqlite":
        # On SQLite the request holds the write lock: a write of its own would wait for it.
        assert use.connection is donor.connection
        assert sql.sent.index(use) > sql.sent.index(donor)  # at commit, with the donor
    sql.clear()
    assert _me(client, token).status_code == 200  # the same minute: recorded already
    assert sql.about("apitoken", "UPDATE") == []


def test_a_refused_write_writes_nothing(
    client: TestClient, engine: Engine, frozen: FakeTime
) -> None:
    token = make_token(engine)

    def counts() -> tuple[int, int]:
        with transaction(engine, read_only=True) as session:
            donors = session.exec(select(func.count()).select_from(Donor)).one()
            events = session.exec(select(func.count()).select_from(LedgerEvent)).one()
            return donors, events

    before = counts()
    bad = client.post(
        "/api/v1/donors", headers=auth(token), json={"name": "ACME", "siret": "73282932000075"}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "bad_siret"
    assert counts() == before
    if engine.dialect.name == "sqlite":  # its use was part of the transaction rolled back
        assert _last_use(engine, token) is None
    else:  # recorded by a short write of its own, as for a read
        assert _last_use(engine, token) == _minute(T0)
    # The cache did not take the use for recorded: the next request records it.
    assert _me(client, token).status_code == 200
    assert _last_use(engine, token) == _minute(T0)
