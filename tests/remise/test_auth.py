"""Every API route checks a permission, and tokens and passwords are stored safely."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db.engine import transaction
from db.enums import Role
from db.models import ApiToken, User
from remise import security
from remise.auth import POLICY, Permission
from tests.factories import auth, make_token

# Open to anyone: the service's health, and a certificate's public check and signing key
# (a donor checks a certificate without an account; nothing personal is shown).
OPEN_ROUTES = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/certificates/key"),
    ("get", "/api/v1/certificates/{code}"),
}
PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def test_every_api_operation_refuses_anonymous_callers(client: TestClient) -> None:
    """Walks the OpenAPI schema, so a route added later is checked without new code."""
    operations = [
        (method, path)
        for path, item in client.get("/openapi.json").json()["paths"].items()
        for method in item
        if path.startswith("/api/")
    ]
    assert len(operations) >= 8
    for method, path in operations:
        if (method, path) in OPEN_ROUTES:
            continue
        answer = client.request(method, PATH_PARAMETER.sub("1", path), json={})
        assert answer.status_code == 401, (method, path, answer.status_code)


def test_every_permission_names_its_roles() -> None:
    assert set(POLICY) == set(Permission)


def test_tokens_are_stored_hashed_and_work(engine: Engine, client: TestClient) -> None:
    token = make_token(engine, role=Role.BENCH)
    with transaction(engine, read_only=True) as session:
        stored = [t.token_hash for t in session.exec(select(ApiToken))]
    assert token not in stored and security.token_digest(token) in stored
    assert client.get("/api/v1/me", headers=auth(token)).json()["role"] == "bench"


def test_revoked_token_and_inactive_user_are_refused(engine: Engine, client: TestClient) -> None:
    token = make_token(engine, role=Role.BENCH)
    with transaction(engine) as session:
        row = session.exec(
            select(ApiToken).where(ApiToken.token_hash == security.token_digest(token))
        ).one()
        row.revoked = True
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
    other = make_token(engine, role=Role.BENCH)
    with transaction(engine) as session:
        for user in session.exec(select(User).where(User.role == "bench")):
            user.active = False
    assert client.get("/api/v1/me", headers=auth(other)).status_code == 401


@pytest.mark.parametrize(
    ("stored", "typed", "ok"), [("s3cret!", "s3cret!", True), ("s3cret!", "s3cret", False)]
)
def test_passwords_use_argon2(stored: str, typed: str, ok: bool) -> None:
    digest = security.hash_password(stored)
    assert digest.startswith("$argon2id$")
    assert security.verify_password(digest, typed) is ok


def test_garbage_password_hash_never_matches() -> None:
    assert not security.verify_password("not-a-hash", "x")
    assert not security.verify_password(None, "x")
