"""Idempotency is handled in one place (`Idempotency.once`), and no POST of the API can
forget it: a workshop's script that retries after a dropped connection never creates
a second donor, batch, device, run, snapshot or structure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db.engine import transaction
from db.models import Donor
from remise.idempotency import get_idempotency
from tests.factories import auth, make_token

# POSTs of the API that answer a file, not a JSON answer a retry could be given back:
# a retried print prints again, which is what a retry of a printer job means.
ANSWER_FILES = {"/api/v1/labels/sheet", "/api/v1/labels/roll"}
# Content-addressed: the same photo sent twice is stored once, under its SHA-256.
SAME_BY_CONTENT = {"/api/v1/runs/{run_id}/photos"}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _api_posts(app: FastAPI) -> dict[str, bool]:
    found = {}
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        api = isinstance(route, routing.APIRoute) and context.path.startswith("/api/")
        if api and "POST" in route.methods:
            found[context.path] = get_idempotency in set(_calls(context.dependant))
    return found


def test_every_post_of_the_api_takes_an_idempotency_key(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    posts = _api_posts(app)
    assert len(posts) >= 15  # the walk sees every router's POSTs
    forgot = sorted(
        path
        for path, keyed in posts.items()
        if not keyed and path not in ANSWER_FILES | SAME_BY_CONTENT
    )
    assert forgot == [], "take `idem: IdempotencyDep` and answer with idem.once(…)"
    assert set(posts) >= ANSWER_FILES | SAME_BY_CONTENT, "an exemption names a route now gone"


def test_a_retried_structure_gives_the_first_answer(client: TestClient, engine: Engine) -> None:
    headers = auth(make_token(engine))
    body = {"name": "Maison de quartier des Ponts", "city": "Rennes"}
    keyed = headers | {"Idempotency-Key": "structure-1"}
    first = client.post("/api/v1/structures", json=body, headers=keyed)
    again = client.post("/api/v1/structures", json=body, headers=keyed)
    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = client.get("/api/v1/structures", headers=headers).json()
    assert [s["name"] for s in listed].count(body["name"]) == 1


def test_a_retried_donor_is_created_once(client: TestClient, engine: Engine) -> None:
    headers = auth(make_token(engine))
    keyed = headers | {"Idempotency-Key": "donor-once"}
    for _ in range(3):
        answer = client.post("/api/v1/donors", json={"name": "Acme Retry"}, headers=keyed)
        assert answer.status_code == 201, answer.text
    with transaction(engine) as session:
        rows = session.exec(select(Donor).where(Donor.name == "Acme Retry")).all()
    assert len(rows) == 1
