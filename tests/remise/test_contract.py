"""The API contract: every integer a route reads is bounded to the database's range, and
the OpenAPI document declares the error answers really given."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import annotated_types
import jsonschema_rs
import pytest
from fastapi import FastAPI, Query, routing
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from db.bounds import INT64_MAX, OFFSET_MAX, ROW_ID_MAX, RowId
from db.engine import make_engine, transaction
from db.enums import Role
from remise import accounts
from remise.app import create_app
from remise.auth import system_actor
from remise.settings import Settings
from tests.factories import auth, make_token

INT64_MIN = -(2**63)
TOO_BIG = 2**63  # SQLite: "Python int too large"; PostgreSQL: NumericValueOutOfRange
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "contract tester passphrase 13"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp("contract")
    shutil.copyfile(sqlite_template, folder / "remise.db")
    url = f"sqlite:///{folder / 'remise.db'}"
    engine = make_engine(url)
    settings = Settings(database_url=url, data_dir=folder / "data", scheduler_enabled=False)
    yield create_app(settings, engine=engine)
    engine.dispose()


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    with TestClient(app) as client:
        answer = client.get("/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


# --- every integer of every route is bounded -------------------------------------------


def _parameters(dependant: Dependant) -> Iterator[Any]:
    """The path, query, form and body parameters of a route and of all its dependencies."""
    pending = [dependant]
    while pending:
        current = pending.pop()
        yield from current.path_params
        yield from current.query_params
        yield from current.body_params
        pending.extend(current.dependencies)


def _is_integer(annotation: Any) -> bool:
    return annotation is int or int in getattr(annotation, "__args__", ())  # int | None


def _bounds(metadata: list[Any]) -> tuple[int | None, int | None]:
    low = high = None
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            low = int(item.ge)  # type: ignore[call-overload]
        elif isinstance(item, annotated_types.Gt):
            low = int(item.gt) + 1  # type: ignore[call-overload]
        elif isinstance(item, annotated_types.Le):
            high = int(item.le)  # type: ignore[call-overload]
        elif isinstance(item, annotated_types.Lt):
            high = int(item.lt) - 1  # type: ignore[call-overload]
    return low, high


def _within_64_bits(low: Any, high: Any) -> bool:
    return low is not None and high is not None and low >= INT64_MIN and high <= INT64_MAX


def _loose_integers(schema: Any, where: str) -> Iterator[str]:
    """Where a JSON schema (a body model's) takes an integer without 64-bit bounds."""
    if isinstance(schema, list):
        for item in schema:
            yield from _loose_integers(item, where)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if not _within_64_bits(low, high):
            yield where
    for key, value in schema.items():
        inside = f"{where}.{key}" if key not in ("anyOf", "items", "$defs") else where
        yield from _loose_integers(value, inside)


def _api_routes(app: FastAPI) -> list[routing.RouteContext]:
    return [
        context
        for context in routing.iter_route_contexts(app.routes)
        if isinstance(context.original_route, routing.APIRoute)
    ]


def _unbounded_integers(app: FastAPI) -> list[str]:
    found = []
    for context in _api_routes(app):
        for parameter in _parameters(context.dependant):
            annotation = parameter.field_info.annotation
            where = f"{context.path} {parameter.name}"
            if _is_integer(annotation):
                if not _within_64_bits(*_bounds(parameter.field_info.metadata)):
                    found.append(where)
            elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
                found.extend(_loose_integers(annotation.model_json_schema(), where))
    return sorted(set(found))


def test_every_integer_a_route_reads_is_bounded(app: FastAPI) -> None:
    """Walks every route, API and pages, and its dependencies: a route added later with
    a bare `int` in its path, query, form or body model fails here (`remise.deps.IdPath`,
    `IdQuery`, `OffsetQuery`, `IdForm`; `db.bounds.RowId` and `db.jsonvalue.Count` in body
    models; `Field(ge=…, le=…)` for the others)."""
    assert len(_api_routes(app)) > 60  # the walk sees the included routers' routes
    assert _unbounded_integers(app) == []


class Part(BaseModel):
    count: Annotated[int, Field(ge=0)]
    sizes: dict[str, int] = {}


class Order(BaseModel):
    parts: list[Part]
    batch_id: RowId | None = None


def test_the_walk_finds_a_bare_or_too_wide_integer() -> None:
    probe = FastAPI()

    @probe.get("/things/{thing_id}")
    def thing(thing_id: int, offset: int = 0, page: int | None = None) -> None: ...

    @probe.get("/wide")
    def wide(n: Annotated[int, Query(ge=0, le=2**64)] = 0) -> None: ...

    @probe.post("/orders")
    def order(body: Order) -> None: ...

    assert _unbounded_integers(probe) == [
        "/orders body.Part.properties.count",
        "/orders body.Part.properties.sizes.additionalProperties",
        "/things/{thing_id} offset",
        "/things/{thing_id} page",
        "/things/{thing_id} thing_id",
        "/wide n",
    ]


# --- out of range: an address that names nothing, or a query that says which field -----


def _coordinator(engine: Engine) -> str:
    return make_token(engine, role=Role.COORDINATOR)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"/api/v1/batches/{TOO_BIG}", 404, "http_404"),
        (f"/api/v1/batches/{-TOO_BIG - 1}", 404, "http_404"),
        (f"/api/v1/batches/{ROW_ID_MAX + 1}", 404, "http_404"),  # PostgreSQL's `integer`
        (f"/api/v1/batches/{ROW_ID_MAX}", 404, "batch_not_found"),  # in range: looked up
        ("/api/v1/batches/0", 404, "http_404"),
        ("/api/v1/batches/abc", 404, "http_404"),
        (f"/api/v1/runs/{TOO_BIG}", 404, "http_404"),
        (f"/api/v1/imports/{TOO_BIG}/refused.csv", 404, "http_404"),
        (f"/api/v1/structures/{TOO_BIG}", 404, "http_404"),
        (f"/api/v1/devices?offset={TOO_BIG}", 422, "invalid_request"),
        (f"/api/v1/devices?offset={OFFSET_MAX + 1}", 422, "invalid_request"),
        (f"/api/v1/devices?batch_id={TOO_BIG}", 422, "invalid_request"),
        (f"/api/v1/batches?donor_id={ROW_ID_MAX + 1}", 422, "invalid_request"),
        (f"/api/v1/checklists/laptop?version={TOO_BIG}", 422, "invalid_request"),
        (f"/api/v1/devices?offset={OFFSET_MAX}", 200, None),
    ],
)
def test_an_integer_out_of_range_is_refused_not_a_500(
    client: TestClient, engine: Engine, path: str, status: int, code: str | None
) -> None:
    answer = client.get(path, headers=auth(_coordinator(engine), **{"Accept-Language": "en"}))
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    if code is not None:
        assert answer.json()["code"] == code


def test_an_offset_out_of_range_names_the_field_and_its_bound(
    client: TestClient, engine: Engine
) -> None:
    answer = client.get(f"/api/v1/devices?offset={TOO_BIG}", headers=auth(_coordinator(engine)))
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "offset", "message": f"Doit valoir {OFFSET_MAX} ou moins."}
    ]


def _signed_in(client: TestClient, engine: Engine) -> str:
    """Signs a coordinator in on `client`; returns a CSRF token for its forms."""
    with transaction(engine) as session:
        accounts.create_user(
            session,
            system_actor("tests"),
            username="contrat",
            role=Role.COORDINATOR,
            password=PASSWORD,
        )
    csrf = CSRF.search(client.get("/login").text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"username": "contrat", "password": PASSWORD, "next": "/", "csrf_token": csrf[1]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    csrf = CSRF.search(client.get("/intake/batches/new").text)
    assert csrf is not None
    return csrf[1]


@pytest.mark.parametrize("number", [TOO_BIG, ROW_ID_MAX + 1, 0])
def test_a_page_for_an_id_out_of_range_is_the_404_page(
    client: TestClient, engine: Engine, number: int
) -> None:
    csrf = _signed_in(client, engine)
    answers = [
        client.get(f"/intake/batches/{number}"),
        client.get(f"/intake/batches/{number}/receipt.pdf"),
        client.post(f"/bench/runs/{number}/checklist", data={"csrf_token": csrf}),
        client.post(f"/intake/batches/{number}/close", data={"csrf_token": csrf}),
    ]
    for answer in answers:
        assert answer.status_code == 404, (answer.request.url, answer.text)
        assert answer.headers["content-type"].startswith("text/html")
        assert "Il n&#39;y a rien à cette adresse." in answer.text or "rien à cette adresse" in (
            answer.text
        )


# --- the OpenAPI document declares the errors --------------------------------------------


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_every_api_operation_declares_its_error_answers(document: dict[str, Any]) -> None:
    operations = list(_operations(document))
    assert len(operations) > 40
    for method, path, operation in operations:
        responses = operation["responses"]
        where = (method, path, sorted(responses))
        assert responses["default"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }, where
        if operation.get("security"):
            assert {"401", "403"} <= set(responses), where
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in responses, where
        if operation.get("parameters") or "requestBody" in operation:
            assert "InvalidRequest" in str(responses["422"]), where
        if "requestBody" in operation:
            assert {"400", "413"} <= set(responses), where
        if method not in ("get", "head"):
            assert {"409", "503"} <= set(responses), where
            assert "Retry-After" in responses["503"]["headers"], where


def test_fastapis_own_validation_body_is_not_declared(document: dict[str, Any]) -> None:
    """FastAPI's `HTTPValidationError` is never what Remise sends: a client generated from
    the document would fail to read our 422s."""
    assert "HTTPValidationError" not in str(document)
    assert {"Error", "InvalidRequest", "FieldProblem"} <= set(document["components"]["schemas"])


def _declared(document: dict[str, Any], method: str, path: str, status: int) -> Any:
    responses = document["paths"][path][method]["responses"]
    answer = responses.get(str(status), responses["default"])
    schema = answer["content"]["application/json"]["schema"]
    return jsonschema_rs.validator_for(schema | {"components": document["components"]})


@pytest.mark.parametrize(
    ("method", "path", "url", "status"),
    [
        ("get", "/api/v1/batches/{batch_id}", "/api/v1/batches/5", 404),
        ("get", "/api/v1/batches/{batch_id}", f"/api/v1/batches/{TOO_BIG}", 404),
        ("get", "/api/v1/devices", f"/api/v1/devices?offset={TOO_BIG}&limit=0", 422),
        ("post", "/api/v1/donors", "/api/v1/donors", 422),
        ("post", "/api/v1/batches", "/api/v1/batches", 422),
        ("get", "/api/v1/structures", "/api/v1/structures", 403),
    ],
)
def test_the_errors_really_given_match_their_declaration(
    client: TestClient, engine: Engine, method: str, path: str, url: str, status: int
) -> None:
    document = client.get("/openapi.json").json()
    role = Role.BENCH if status == 403 else Role.COORDINATOR
    token = make_token(engine, role=role)
    answer = client.request(method, url, headers=auth(token), json={"name": ""})
    assert answer.status_code == status, answer.text
    problems = [
        e.message for e in _declared(document, method, path, status).iter_errors(answer.json())
    ]
    assert problems == [], answer.json()
    anonymous = client.request(method, url, json={})
    assert anonymous.status_code == 401
    assert _declared(document, method, path, 401).is_valid(anonymous.json())
