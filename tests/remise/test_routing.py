"""The API's routes and the pages' are grouped by where their paths start: a request
is tried only against its own group, and every path still reaches its route."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Match, Route

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


def stage_router() -> APIRouter:
    """A stage's router: two fixed paths and one with a parameter."""
    router = APIRouter()
    for path in ("/a", "/a/b", "/c/{id}"):
        router.add_api_route(path, lambda: {"ok": True}, methods=["GET"])
    return router


def record_tries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths a group tries against its routes (each then matches, as if it had)."""
    tried: list[str] = []

    def routes_tried(self: Any, scope: Any) -> tuple[Match, dict[str, Any]]:
        tried.append(scope["path"])
        return Match.FULL, {}

    monkeypatch.setattr("fastapi.routing.APIRouter.matches", routes_tried)
    return tried


def answers(router: APIRouter, prefix: str = "") -> TestClient:
    app = FastAPI()
    app.include_router(router, prefix=prefix)
    return TestClient(app)


def asked(path: str) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path}


def test_around_turns_away_paths_none_of_the_routes_can_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group = PathRouter.around(stage_router())
    tried = record_tries(monkeypatch)
    for path in ("/b", "/a/c", "/d/1", "/ab", "/c", "/"):
        assert group.matches(asked(path))[0] is Match.NONE, path
    assert tried == []  # not one of its routes was tried
    for path in ("/a", "/a/b", "/c/5", "/c/5/x"):
        assert group.matches(asked(path))[0] is Match.FULL, path
    assert tried == ["/a", "/a/b", "/c/5", "/c/5/x"]  # "/c/5/x" begins like "/c/{id}"


def test_around_still_lets_its_own_paths_reach_their_routes() -> None:
    client = answers(PathRouter.around(stage_router()))
    assert [client.get(path).status_code for path in ("/a", "/a/b", "/c/5")] == [200] * 3
    assert [client.get(path).status_code for path in ("/b", "/a/c", "/d/1")] == [404] * 3


def test_a_router_with_a_mount_or_a_route_without_a_path_is_always_tried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mounted = stage_router()
    mounted.mount("/files", Starlette())
    hosted = stage_router()
    hosted.host("files.example.org", Starlette())
    groups = [PathRouter.around(mounted), PathRouter.around(hosted)]
    tried = record_tries(monkeypatch)
    for group in groups:
        assert group.matches(asked("/elsewhere"))[0] is Match.FULL
    assert tried == ["/elsewhere", "/elsewhere"]


def test_a_mounted_app_is_still_reached_through_around() -> None:
    mounted = stage_router()
    inner = Starlette(routes=[Route("/x", lambda _request: PlainTextResponse("inside"))])
    mounted.mount("/files", inner)
    client = answers(PathRouter.around(mounted))
    assert client.get("/files/x").text == "inside"
    assert client.get("/a").status_code == 200


def test_the_paths_of_an_included_router_are_seen_with_its_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outer = APIRouter()
    outer.include_router(stage_router(), prefix="/p")
    group = PathRouter.around(outer)
    client = answers(group)
    assert [client.get(path).status_code for path in ("/p/a", "/p/a/b", "/p/c/5")] == [200] * 3
    assert [client.get(path).status_code for path in ("/a", "/c/5", "/p/b")] == [404] * 3
    tried = record_tries(monkeypatch)
    assert group.matches(asked("/a"))[0] is Match.NONE
    assert group.matches(asked("/p/d/1"))[0] is Match.NONE
    assert tried == []
    assert group.matches(asked("/p/c/5"))[0] is Match.FULL
    assert tried == ["/p/c/5"]


def test_a_router_declared_with_a_prefix_is_seen_with_it() -> None:
    prefixed = APIRouter(prefix="/q")
    prefixed.add_api_route("/r/{id}", lambda: {"ok": True}, methods=["GET"])
    client = answers(PathRouter.around(prefixed))
    assert client.get("/q/r/1").status_code == 200
    assert client.get("/r/1").status_code == 404


# What the app answers a path with a trailing slash, as it did before `around`: the
# redirect comes from the app's router trying the path without it, which every group
# must still accept; an unknown path stays a 404.
TRAILING_SLASHES = {
    "/intake/": 307,
    "/bench/": 307,
    "/login/": 307,
    "/bench/devices/AB12-CD34/": 307,
    "/api/v1/health/": 307,
    "/api/v1/devices/": 307,
    "/no-such-page/": 404,
    "/api/v1/no-such-thing/": 404,
}


def test_a_path_with_a_trailing_slash_is_still_redirected(client: TestClient) -> None:
    for path, status in TRAILING_SLASHES.items():
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == status, path
        if status == 307:
            assert answer.headers["location"] == f"http://testserver{path.rstrip('/')}"


def test_a_group_sees_the_path_without_the_root_path() -> None:
    """Behind a proxy that serves Remise under a sub-path, the routes see the path
    without it (Starlette's `root_path`): so does a group."""
    group = PathRouter(under=("/bench/devices/",), exactly=frozenset({"/bench"}))
    scope = {"type": "http", "path": "/remise/bench", "root_path": "/remise"}
    assert group.matches(scope)[0] is not Match.NONE or group.routes == []
    turned_away = {"type": "http", "path": "/remise/intake", "root_path": "/remise"}
    assert group.matches(turned_away)[0] is Match.NONE
