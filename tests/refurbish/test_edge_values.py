"""Values the ledger cannot hold are refused at the edge, each a 422 naming its field:
step values, snapshots, checklist bounds; and good values still go through."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db import ledger
from db.engine import transaction
from db.enums import Category, Role, Status
from tests.factories import auth, make_device, make_token

DEEP = "[" * 300 + "]" * 300  # 300 levels of nesting
HUGE = str(2**70)
LONG = json.dumps("x" * 2001)


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


@pytest.fixture
def code(engine: Engine) -> str:
    with transaction(engine) as session:
        return make_device(session, status=Status.LABELLED, category=Category.LAPTOP).code


@pytest.fixture
def run_id(client: TestClient, bench: dict[str, str], code: str) -> int:
    started = client.post(f"/api/v1/devices/{code}/runs", headers=bench, json={})
    assert started.status_code == 201, started.text
    return int(started.json()["id"])


def raw(client: TestClient, method: str, url: str, headers: dict[str, str], body: str) -> Any:
    """A JSON body as written, NaN and all (httpx would refuse to encode it)."""
    headers = {**headers, "Content-Type": "application/json"}
    return client.request(method, url, headers=headers, content=body.encode())


def obj(**members: str) -> str:
    """A JSON object from members already written as JSON text."""
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in members.items()) + "}"


def assert_refused(answer: Any, field: str, words: str = "") -> None:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert {"detail", "code", "errors"} <= body.keys(), body
    fields = [e["field"] for e in body["errors"]]
    assert any(f == field or f.startswith(f"{field}.") for f in fields), (field, fields)
    messages = " ".join(e["message"] for e in body["errors"]).lower()
    assert words.lower() in messages, (words, messages)


# --- step values --------------------------------------------------------------------

BAD_STEP_VALUES = [
    # (step, the JSON value as sent, a few words of the French reason)
    ("battery_health", "1e308", "pas une mesure en %"),
    ("battery_health", '"1e308"', "pas une mesure en %"),
    ("battery_health", "-1e300", "pas une mesure en %"),
    ("battery_health", '"1e400"', "pas une mesure en %"),
    ("battery_health", '"nan"', "pas une mesure en %"),
    ("battery_health", "NaN", "NaN et l'infini"),
    ("battery_health", "Infinity", "NaN et l'infini"),
    ("battery_health", "-Infinity", "NaN et l'infini"),
    ("battery_health", HUGE, "nombres entiers"),
    ("battery_health", "-" + HUGE, "nombres entiers"),
    ("battery_health", LONG, "2000 caractères"),
    ("battery_health", "[85]", "une seule valeur"),
    ("battery_health", DEEP, "une seule valeur"),
    ("notes", "NaN", "NaN et l'infini"),
    ("notes", HUGE, "nombres entiers"),
    ("notes", LONG, "2000 caractères"),
    ("notes", '{"a": 1}', "une seule valeur"),
    ("os_install", "1e308", "l'une de ces valeurs"),
    ("os_install", HUGE, "nombres entiers"),
    ("os_install", "Infinity", "NaN et l'infini"),
]


@pytest.mark.parametrize(("key", "value", "words"), BAD_STEP_VALUES)
def test_a_step_value_the_ledger_cannot_hold_is_a_422_naming_value(
    client: TestClient,
    engine: Engine,
    bench: dict[str, str],
    run_id: int,
    key: str,
    value: str,
    words: str,
) -> None:
    with transaction(engine, read_only=True) as session:
        before = ledger.head(session)
    url = f"/api/v1/runs/{run_id}/steps/{key}"
    answer = raw(client, "PUT", url, bench, obj(value=value))
    assert_refused(answer, "value", words)
    with transaction(engine, read_only=True) as session:
        assert ledger.head(session) == before


@pytest.mark.parametrize(
    ("key", "value", "stored", "state"),
    [
        ("battery_health", "85", 85, "passed"),
        ("battery_health", "85.5", "85.5", "passed"),
        ("battery_health", '"85,5"', "85.5", "passed"),
        ("battery_health", "101", 101, "failed"),
        ("battery_health", "1e3", 1000, "failed"),
        ("notes", '"RAS, rayure au dos"', "RAS, rayure au dos", "recorded"),
    ],
)
def test_good_step_values_are_recorded(
    client: TestClient,
    engine: Engine,
    bench: dict[str, str],
    run_id: int,
    key: str,
    value: str,
    stored: Any,
    state: str,
) -> None:
    answer = raw(client, "PUT", f"/api/v1/runs/{run_id}/steps/{key}", bench, obj(value=value))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["value"], answer.json()["state"]) == (stored, state)
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok


# --- snapshots ----------------------------------------------------------------------


def battery(health: str) -> str:
    return obj(batteries="[" + obj(name='"BAT0"', health_percent=health) + "]")


BAD_SNAPSHOTS = [
    (battery('"abc"'), "batteries.0.health_percent", "entre 0 et 1000"),
    (battery('"NaN"'), "batteries.0.health_percent", "entre 0 et 1000"),
    (battery("NaN"), "batteries.0.health_percent", "entre 0 et 1000"),
    (battery('"Infinity"'), "batteries.0.health_percent", "entre 0 et 1000"),
    (battery("Infinity"), "batteries.0.health_percent", "entre 0 et 1000"),
    (battery('"-5"'), "batteries.0.health_percent", "entre 0 et 1000"),
    (battery('"1000.01"'), "batteries.0.health_percent", "entre 0 et 1000"),
    (battery("true"), "batteries.0.health_percent", "entre 0 et 1000"),
    (obj(memory=obj(total_bytes=HUGE)), "memory.total_bytes", "ou moins"),
    ('{"disks": [{"name": "sda", "size_bytes": -1}]}', "disks.0.size_bytes", "ou plus"),
    ('{"cpu": {"cores": 1e308}}', "cpu.cores", ""),
    (obj(system=obj(vendor=json.dumps("v" * 501))), "system.vendor", "500 caractères"),
    (obj(memory=obj(modules="[" + obj(**{"k" * 101: '"x"'}) + "]")), "memory.modules.0", ""),
    (obj(warnings=json.dumps(["w"] * 201)), "warnings", ""),
    (obj(disks=DEEP), "disks.0", ""),
]


@pytest.mark.parametrize(("body", "field", "words"), BAD_SNAPSHOTS)
def test_a_snapshot_the_ledger_cannot_hold_is_a_422_naming_the_field(
    client: TestClient,
    engine: Engine,
    bench: dict[str, str],
    code: str,
    body: str,
    field: str,
    words: str,
) -> None:
    with transaction(engine, read_only=True) as session:
        before = ledger.head(session)
    answer = raw(client, "POST", f"/api/v1/devices/{code}/snapshots", bench, body)
    assert_refused(answer, field, words)
    with transaction(engine, read_only=True) as session:
        assert ledger.head(session) == before


@pytest.mark.parametrize(
    ("health", "kept"), [('"87.5"', "87.50"), ("87", "87.00"), ("55.255", "55.26"), ('"0"', "0.00")]
)
def test_good_battery_health_is_kept_as_decimal_text(
    client: TestClient, engine: Engine, bench: dict[str, str], code: str, health: str, kept: str
) -> None:
    answer = raw(client, "POST", f"/api/v1/devices/{code}/snapshots", bench, battery(health))
    assert answer.status_code == 201, answer.text
    [snapshot] = client.get(f"/api/v1/devices/{code}/snapshots", headers=bench).json()
    assert snapshot["body"]["batteries"][0]["health_percent"] == kept
    device = client.get(f"/api/v1/devices/{code}", headers=bench).json()
    assert device["attributes"]["specs"]["battery_health_percent"] == kept
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok


# --- checklist bounds, and bodies nested too deep ----------------------------------


@pytest.mark.parametrize(
    ("bound", "words"),
    [("NaN", "NaN et l'infini"), ("Infinity", "NaN et l'infini"), ("1e308", "ou moins")],
)
def test_a_checklist_bound_must_be_a_finite_number(
    client: TestClient, engine: Engine, bound: str, words: str
) -> None:
    coordinator = auth(make_token(engine, role=Role.COORDINATOR))
    label = obj(fr='"Batterie"', en='"Battery"')
    step = obj(key='"battery"', label=label, kind='"measure"', unit='"%"', min=bound, max="100")
    body = obj(steps=f"[{step}]")
    answer = raw(client, "PUT", "/api/v1/checklists/laptop", coordinator, body)
    assert_refused(answer, "steps.0.min", words)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("PUT", "/api/v1/runs/{run}/steps/notes", DEEP),
        ("PUT", "/api/v1/runs/{run}/steps/notes", obj(value="[" * 5000 + "]" * 5000)),
        ("POST", "/api/v1/devices/{code}/snapshots", DEEP),
        ("POST", "/api/v1/devices/{code}/snapshots", obj(memory=obj(modules=DEEP))),
        ("POST", "/api/v1/devices/{code}/snapshots", "[" * 100_000 + "]" * 100_000),
    ],
    ids=["step-body", "step-value-5000", "snapshot-body", "snapshot-modules", "body-100000"],
)
def test_deeply_nested_bodies_are_refused_not_a_server_error(
    client: TestClient,
    bench: dict[str, str],
    code: str,
    run_id: int,
    method: str,
    url: str,
    body: str,
) -> None:
    answer = raw(client, method, url.format(run=run_id, code=code), bench, body)
    assert answer.status_code in (400, 413, 422), answer.text[:300]
    assert {"detail", "code"} <= answer.json().keys()
