"""The API's routes and the pages' are grouped by where their paths start: a request
is tried only against its own group, and every path still reaches its route."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Match

from remise.routing import API_PATHS, PathRouter
from tests.factories import auth, make_token


def test_a_group_turns_away_the_paths_it_does_not_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    tried: list[str] = []

    def routes_tried(self: Any, scope: Any) -> tuple[Match, dict[str, Any]]:
        tried.append(scope["path"])
        return Match.FULL, {}

    monkeypatch.setattr("fastapi.routing.APIRouter.matches", routes_tried)
    api, pages = PathRouter(under=API_PATHS), PathRouter(outside=API_PATHS)
    assert api.matches({"type": "http", "path": "/bench/devices/AB12-CD34"})[0] is Match.NONE
    assert pages.matches({"type": "http", "path": "/api/v1/devices/AB12-CD34"})[0] is Match.NONE
    assert tried == []  # not one of their routes was tried
    assert api.matches({"type": "http", "path": "/api/v1/health"})[0] is Match.FULL
    assert pages.matches({"type": "http", "path": "/login"})[0] is Match.FULL
    assert tried == ["/api/v1/health", "/login"]


def test_every_kind_of_path_still_reaches_its_answer(client: TestClient) -> None:
    token = make_token(client.app.state.engine)  # type: ignore[attr-defined]
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 200
    unknown = client.get("/api/v1/no-such-thing", headers=auth(token))
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith(
        "application/json"
    )
    assert client.get("/login").status_code == 200
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert client.get("/openapi.json").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/devices/{code}" in paths and "/api/v1/scan/{text}" in paths
    assert not any(path.startswith(("/bench", "/login")) for path in paths)
