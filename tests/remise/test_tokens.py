"""API tokens on SQLite and PostgreSQL: listed, made, revoked, expiring, ended with the user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import select

from db import ledger
from db.engine import transaction
from db.enums import Role
from db.errors import Unauthorized
from db.models import ApiToken, LedgerEvent
from remise import accounts, tokens
from tests.factories import ACTOR, auth, make_token

SHOWN = {"id", "label", "created_at", "expires_at", "last_used_at", "revoked_at"}
T0 = datetime(2026, 12, 1, 9, 30, 15, tzinfo=UTC)


def new_user(engine: Engine, name: str, **options: Any) -> str:
    with transaction(engine) as session:
        _user, token = accounts.create_user(
            session, ACTOR, username=name, role=Role.BENCH, **options
        )
    return token


def test_my_tokens_are_listed_without_the_token_or_its_hash(client: TestClient) -> None:
    token = make_token(client.app.state.engine)  # type: ignore[attr-defined]
    answer = client.get("/api/v1/me/tokens", headers=auth(token))
    assert answer.status_code == 200
    [listed] = answer.json()
    assert set(listed) == SHOWN and listed["label"] == "created with the account"
    assert "rms_" not in answer.text and token.removeprefix("rms_") not in answer.text


def test_a_new_token_is_shown_once_and_works(client: TestClient) -> None:
    token = make_token(client.app.state.engine)  # type: ignore[attr-defined]
    made = client.post("/api/v1/me/tokens", headers=auth(token), json={"label": "scanner"})
    assert made.status_code == 201, made.text
    new = made.json()
    assert new["token"].startswith("rms_") and new["expires_at"] is None
    assert client.get("/api/v1/me", headers=auth(new["token"])).status_code == 200
    listing = client.get("/api/v1/me/tokens", headers=auth(token))
    assert [row["label"] for row in listing.json()] == ["scanner", "created with the account"]
    assert new["token"] not in listing.text


def test_a_retried_creation_never_shows_the_token_again(client: TestClient) -> None:
    token = make_token(client.app.state.engine)  # type: ignore[attr-defined]
    headers = auth(token, **{"Idempotency-Key": "k-1"})
    body = {"label": "script", "expires_days": 30}
    first = client.post("/api/v1/me/tokens", headers=headers, json=body)
    assert first.status_code == 201
    again = client.post("/api/v1/me/tokens", headers=headers, json=body)
    assert again.status_code == 409 and again.json()["code"] == "token_already_issued"
    assert "rms_" not in again.text and str(first.json()["id"]) in again.json()["detail"]
    assert len(client.get("/api/v1/me/tokens", headers=auth(token)).json()) == 2  # not three
    other = client.post("/api/v1/me/tokens", headers=headers, json={"label": "autre"})
    assert other.status_code == 422  # the same key for another request stays a client bug
    with transaction(client.app.state.engine, read_only=True) as session:  # type: ignore[attr-defined]
        stored = session.exec(select(ApiToken.token_hash)).all()
        assert first.json()["token"] not in repr(stored)


def test_revoking_my_token_stops_it_at_once(client: TestClient) -> None:
    token = make_token(client.app.state.engine)  # type: ignore[attr-defined]
    spare = client.post("/api/v1/me/tokens", headers=auth(token), json={"label": "spare"}).json()
    gone = client.delete(f"/api/v1/me/tokens/{spare['id']}", headers=auth(token))
    assert gone.status_code == 200 and gone.json()["revoked_at"]
    refused = client.get("/api/v1/me", headers=auth(spare["token"]))
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert "révoqué" in refused.json()["detail"]
    assert client.delete(f"/api/v1/me/tokens/{spare['id']}", headers=auth(token)).is_success


def test_another_users_token_answers_404_like_an_unknown_one(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    mine, theirs = make_token(engine), make_token(engine)
    [their_token] = client.get("/api/v1/me/tokens", headers=auth(theirs)).json()
    their_id, unknown_id = their_token["id"], their_token["id"] + 1000
    answers = [
        client.delete(f"/api/v1/me/tokens/{token_id}", headers=auth(mine))
        for token_id in (their_id, unknown_id)
    ]
    assert [answer.status_code for answer in answers] == [404, 404]
    theirs_said, unknown_said = (answer.json() for answer in answers)
    assert theirs_said["detail"] == f"Il n'y a pas de jeton d'API {their_id}."
    assert theirs_said["code"] == "unknown_token"
    detail = unknown_said["detail"].replace(str(unknown_id), str(their_id))
    assert theirs_said == {**unknown_said, "detail": detail}
    assert client.get("/api/v1/me", headers=auth(theirs)).status_code == 200


def test_an_expired_token_answers_401_saying_it_expired(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    token = new_user(engine, "lucie")
    with transaction(engine) as session:
        user = accounts.user_named(session, "lucie")
        _row, old = tokens.issue_token(
            session, user, label="old", expires_days=1, clock=lambda: T0 - timedelta(days=3)
        )
    answer = client.get("/api/v1/me", headers=auth(old))
    assert answer.status_code == 401 and answer.json()["code"] == "token_expired"
    assert "a expiré le 2026-11-29 09:30" in answer.json()["detail"]
    english = client.get("/api/v1/me", headers=auth(old, **{"Accept-Language": "en"}))
    assert "expired on 2026-11-29 09:30 (UTC)" in english.json()["detail"]
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 200


@pytest.mark.parametrize(
    ("after", "works"),
    [(timedelta(days=7) - timedelta(microseconds=1), True), (timedelta(days=7), False)],
)
def test_a_token_stops_working_when_its_expiry_comes(
    engine: Engine, after: timedelta, works: bool
) -> None:
    with transaction(engine) as session:
        _user, token = accounts.create_user(
            session, ACTOR, username="lucie", role=Role.BENCH, expires_days=7
        )
    with transaction(engine) as session:  # the clock was the real one: move to its creation
        created = datetime.fromisoformat(session.exec(select(ApiToken.created_at)).one())
    with transaction(engine, read_only=True) as session:
        if works:
            tokens.check_token(session, token, clock=lambda: created + after)
        else:
            with pytest.raises(tokens.TokenExpired):
                tokens.check_token(session, token, clock=lambda: created + after)


def test_a_token_made_with_an_expiring_token_expires_no_later(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    short = new_user(engine, "lucie", expires_days=2)
    headers = auth(short)
    longer = client.post(
        "/api/v1/me/tokens", headers=headers, json={"label": "a", "expires_days": 90}
    )
    forever = client.post("/api/v1/me/tokens", headers=headers, json={"label": "b"})
    [*_, first] = client.get("/api/v1/me/tokens", headers=headers).json()
    assert longer.json()["expires_at"] == forever.json()["expires_at"] == first["expires_at"]
    sooner = client.post(
        "/api/v1/me/tokens", headers=headers, json={"label": "c", "expires_days": 1}
    )
    assert sooner.json()["expires_at"] < first["expires_at"]


@pytest.fixture
def updates(engine: Engine) -> Iterator[list[str]]:
    """The UPDATE statements sent to the database while the test runs."""
    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", watch)
    yield seen
    event.remove(engine, "before_cursor_execute", watch)


def test_last_use_is_written_at_most_once_a_minute_even_on_reads(
    engine: Engine, updates: list[str]
) -> None:
    token = new_user(engine, "lucie")

    def use(at: datetime) -> None:
        with transaction(engine, read_only=True) as session:  # a GET: never committed
            accounts.authenticate_token(session, token, clock=lambda: at)

    def last_use() -> str | None:
        with transaction(engine, read_only=True) as session:
            return session.exec(select(ApiToken.last_used_at)).one()

    use(T0)
    assert last_use() == "2026-12-01T09:30:00.000000Z" and len(updates) == 1
    use(T0 + timedelta(seconds=40))  # same minute: nothing is written
    assert len(updates) == 1
    use(T0 + timedelta(seconds=50))  # the next minute
    assert last_use() == "2026-12-01T09:31:00.000000Z" and len(updates) == 2
    with transaction(engine) as session:  # a writing request records it in its own work
        accounts.authenticate_token(session, token, clock=lambda: T0 + timedelta(minutes=5))
    assert last_use() == "2026-12-01T09:35:00.000000Z"


def test_a_deactivated_users_token_and_session_stop_at_once(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    token = new_user(engine, "lucie", password="pw-lucie-tournesol")
    with transaction(engine) as session:
        actor = accounts.authenticate_password(session, "lucie", "pw-lucie-tournesol")
        browser = accounts.open_web_session(session, actor, lifetime=timedelta(hours=1))
    client.cookies.set("remise_session", browser)
    assert client.get("/", follow_redirects=False).status_code == 200
    with transaction(engine) as session:
        done = accounts.deactivate_user(session, ACTOR, username="Lucie")
    assert done == accounts.Deactivation(sessions_ended=1, tokens_revoked=1)
    refused = client.get("/api/v1/me", headers=auth(token))
    assert refused.status_code == 401 and refused.json()["code"] == "account_deactivated"
    assert client.get("/", follow_redirects=False).status_code == 303  # back to /login
    with transaction(engine) as session:
        assert accounts.web_session_actor(session, browser) is None
        assert session.exec(select(ApiToken.revoked)).all() == [True]
        with pytest.raises(Unauthorized):
            accounts.authenticate_password(session, "lucie", "pw-lucie-tournesol")
        with pytest.raises(accounts.AlreadyDeactivated):
            accounts.deactivate_user(session, ACTOR, username="lucie")
        recorded = session.exec(
            select(LedgerEvent).where(LedgerEvent.type == "user.deactivated")
        ).one()
        assert ledger.payload_of(recorded) == {"user": "lucie", "tokens_revoked": 1}
        assert recorded.actor == ACTOR.ledger_name


@pytest.mark.parametrize(("keep_tokens", "status"), [(False, 401), (True, 200)])
def test_a_password_set_by_a_coordinator_revokes_the_users_tokens(
    client: TestClient, keep_tokens: bool, status: int
) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    token = new_user(engine, "lucie", password="pw-lucie-tournesol")
    with transaction(engine) as session:
        revoked = accounts.set_password(
            session,
            ACTOR,
            username="lucie",
            password="nouveau-mdp-2024",
            keep_tokens=keep_tokens,
        )
    assert revoked == (0 if keep_tokens else 1)
    assert client.get("/api/v1/me", headers=auth(token)).status_code == status
