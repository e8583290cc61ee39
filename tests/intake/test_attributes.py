"""Device attributes sent to the API hold only what the ledger can: each other value is a
422 naming where it is, and nothing is registered; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db import ledger, replay
from db.canonical import MAX_INT, MIN_INT
from db.engine import transaction
from db.enums import Role
from db.jsonvalue import MAX_DEPTH, MAX_KEY, MAX_TEXT, MAX_VALUES
from db.models import Device
from tests.factories import auth, make_token


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.COORDINATOR))


@pytest.fixture
def batch_id(client: TestClient, coordinator: dict[str, str]) -> int:
    donor = client.post("/api/v1/donors", headers=coordinator, json={"name": "Banque Solidaire"})
    batch = client.post(
        "/api/v1/batches",
        headers=coordinator,
        json={"donor_id": donor.json()["id"], "pickup_date": "2026-11-02", "site": "Nantes"},
    )
    assert batch.status_code == 201, batch.text
    return int(batch.json()["id"])


def nested(levels: int) -> str:
    """`levels` lists, one inside the other, as JSON text."""
    return "[" * levels + "]" * levels


def receive(client: TestClient, headers: dict[str, str], batch: int, attributes: str) -> Any:
    body = '{"category": "laptop", "serial": "SN-ATTR-1", "attributes": ' + attributes + "}"
    return client.post(
        f"/api/v1/batches/{batch}/devices",
        headers={**headers, "Content-Type": "application/json"},
        content=body.encode(),
    )


BAD = [
    # (attributes as JSON text, the field the answer names, words of the French message)
    ('{"ecran": NaN}', "attributes.ecran", "NaN et l'infini"),
    ('{"ecran": Infinity}', "attributes.ecran", "NaN et l'infini"),
    (json.dumps({"ram": MAX_INT + 1}), "attributes.ram", "nombres entiers"),
    (json.dumps({"ram": MIN_INT - 1}), "attributes.ram", "nombres entiers"),
    (
        json.dumps({"specs": {"disks": [1, 2, 2**70]}}),
        "attributes.specs.disks[2]",
        "nombres entiers",
    ),
    ('{"a": ' + nested(300) + "}", "attributes.a" + "[0]" * (MAX_DEPTH - 1), "8 niveaux"),
    ('{"a": ' + nested(MAX_DEPTH) + "}", "attributes.a" + "[0]" * (MAX_DEPTH - 1), "8 niveaux"),
    (json.dumps({"note": "x" * (MAX_TEXT + 1)}), "attributes.note", "2000 caractères"),
    (json.dumps({"k" * (MAX_KEY + 1): 1}), "attributes." + "k" * 40, "100 caractères"),
    (json.dumps({f"k{i}": i for i in range(MAX_VALUES + 1)}), "attributes", "1000 valeurs"),
    (json.dumps({"l": list(range(MAX_VALUES))}), "attributes", "1000 valeurs"),
    ("[1, 2]", "attributes", "Un objet"),
    ('"text"', "attributes", "Un objet"),
]


@pytest.mark.parametrize(("attributes", "field", "words"), BAD, ids=range(len(BAD)))
def test_attributes_the_ledger_cannot_hold_are_a_422_naming_where(
    client: TestClient,
    engine: Engine,
    coordinator: dict[str, str],
    batch_id: int,
    attributes: str,
    field: str,
    words: str,
) -> None:
    with transaction(engine, read_only=True) as session:
        before = ledger.head(session)
    answer = receive(client, coordinator, batch_id, attributes)
    assert answer.status_code == 422, answer.text[:300]
    body = answer.json()
    assert body["code"] == "invalid_request"
    assert [e["field"] for e in body["errors"]] == [field]
    assert words in body["errors"][0]["message"]
    assert field in body["detail"]
    with transaction(engine, read_only=True) as session:
        assert ledger.head(session) == before
        assert session.exec(select(Device)).all() == []


def test_the_errors_are_in_english_when_asked(
    client: TestClient, coordinator: dict[str, str], batch_id: int
) -> None:
    answer = receive(client, {**coordinator, "Accept-Language": "en"}, batch_id, '{"x": NaN}')
    assert answer.json()["errors"] == [
        {
            "field": "attributes.x",
            "message": "NaN and infinity are not numbers: send a number or some text.",
        }
    ]


def test_good_attributes_are_kept_and_decimals_become_text(
    client: TestClient, engine: Engine, coordinator: dict[str, str], batch_id: int
) -> None:
    attributes = {
        "ecran_pouces": 15.6,
        "ram_go": 8,
        "grand": MAX_INT,
        "petit": MIN_INT,
        "clavier": "AZERTY",
        "tactile": False,
        "remarque": None,
        "specs": {"disques": [{"modele": "WD", "go": 500}], "note": "x" * MAX_TEXT},
        "profond": json.loads(nested(MAX_DEPTH - 1)),
    }
    answer = receive(client, coordinator, batch_id, json.dumps(attributes))
    assert answer.status_code == 201, answer.text[:300]
    expected = attributes | {"ecran_pouces": "15.6"}
    assert answer.json()["attributes"] == expected
    with transaction(engine, read_only=True) as session:
        [device] = session.exec(select(Device)).all()
        assert device.attributes == expected
        assert ledger.verify(session).ok
        assert replay.differences(session) == []
