"""Partner structures through the real HTTP API, on SQLite and PostgreSQL: created
`pending`, approved and given quotas by a coordinator (`structure.updated` with before and
after), a structure changing its own contact details but nothing a coordinator decides,
nor another structure's; validation naming the fields; quota use this period."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import col, select

from db.engine import transaction
from db.enums import Category, Role, Status
from db.models import LedgerEvent, Structure
from tests.factories import auth, make_device, make_token

API = "/api/v1/structures"
EN = {"Accept-Language": "en"}


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine), **EN)


def structure_id(engine: Engine, name: str) -> int:
    with transaction(engine, read_only=True) as session:
        found = session.exec(select(Structure).where(Structure.name == name)).one()
        assert found.id is not None
        return found.id


def ledger_events(engine: Engine, type_: str) -> list[tuple[str, dict[str, Any]]]:
    """The ledger's events of `type_` as (actor, payload), oldest first."""
    with transaction(engine, read_only=True) as session:
        rows = session.exec(
            select(LedgerEvent).where(LedgerEvent.type == type_).order_by(col(LedgerEvent.seq))
        ).all()
        return [(row.actor, orjson.loads(row.payload)) for row in rows]


def ledger_ok(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.get("/api/v1/ledger/verify", headers=headers)
    assert answer.status_code == 200 and answer.json()["ok"], answer.text


def create(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    answer = client.post(API, headers=headers, json={"name": "Emmaüs Connect", **fields})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_new_structure_is_pending_with_its_details(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    body = create(
        client,
        coordinator,
        departement=" 2A ",
        postcode="20000",
        city="Ajaccio",
        public_category="youth",
        contact_email="contact@example.org",
    )
    assert body["status"] == "pending" and body["departement"] == "2A"
    assert (body["quotas"], body["quota_use"]) == ({}, {})
    assert client.get(f"{API}/{body['id']}", headers=coordinator).json() == body
    [(_actor, created)] = ledger_events(engine, "structure.created")
    assert created == {"structure_id": body["id"], "name": "Emmaüs Connect", "status": "pending"}
    ledger_ok(client, coordinator)


def test_a_lower_case_corsican_departement_is_stored_upper_case(
    client: TestClient, coordinator: dict[str, str]
) -> None:
    assert create(client, coordinator, departement="2b")["departement"] == "2B"


def test_a_name_taken_in_another_case_is_refused(
    client: TestClient, coordinator: dict[str, str]
) -> None:
    create(client, coordinator)
    answer = client.post(API, headers=coordinator, json={"name": "EMMAÜS connect"})
    assert answer.status_code == 409 and answer.json()["code"] == "structure_exists"


def test_a_coordinator_approves_and_sets_quotas_with_before_and_after(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    made = create(client, coordinator)
    path = f"{API}/{made['id']}"
    body = {"status": "active", "quotas": {"laptop": 10, "smartphone": 20}}
    answer = client.patch(path, headers=coordinator, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "active"
    assert answer.json()["quotas"] == {"laptop": 10, "smartphone": 20}
    # Quotas sent are set, the others kept; 0 means none.
    answer = client.patch(path, headers=coordinator, json={"quotas": {"laptop": 0}})
    assert answer.json()["quotas"] == {"laptop": 0, "smartphone": 20}
    first, second = ledger_events(engine, "structure.updated")
    assert first[1] == {
        "structure_id": made["id"],
        "changes": {
            "status": ["pending", "active"],
            "quotas": [{}, {"laptop": 10, "smartphone": 20}],
        },
    }
    assert second[1]["changes"] == {
        "quotas": [{"laptop": 10, "smartphone": 20}, {"laptop": 0, "smartphone": 20}]
    }
    stored = client.get(path, headers=coordinator).json()
    assert stored["status"] == "active" and stored["updated_at"] is not None
    ledger_ok(client, coordinator)


def test_a_patch_that_changes_nothing_records_nothing(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    made = create(client, coordinator, city="Nantes")
    answer = client.patch(f"{API}/{made['id']}", headers=coordinator, json={"city": "Nantes"})
    assert answer.status_code == 200 and answer.json()["updated_at"] is None
    assert ledger_events(engine, "structure.updated") == []


def test_a_coordinator_suspends_a_structure(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    made = create(client, coordinator)
    path = f"{API}/{made['id']}"
    client.patch(path, headers=coordinator, json={"status": "active"})
    answer = client.patch(path, headers=coordinator, json={"status": "suspended"})
    assert answer.json()["status"] == "suspended"
    changes = [p["changes"] for _a, p in ledger_events(engine, "structure.updated")]
    assert changes == [{"status": ["pending", "active"]}, {"status": ["active", "suspended"]}]


def test_a_structure_user_created_for_a_new_name_is_pending(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    make_token(engine, role=Role.STRUCTURE, structure="Secours populaire")
    listed = client.get(API, headers=coordinator, params={"status": "pending"}).json()
    assert [s["name"] for s in listed] == ["Secours populaire"]


def test_structures_are_listed_by_status(client: TestClient, coordinator: dict[str, str]) -> None:
    ids = {name: create(client, coordinator, name=name)["id"] for name in ("Alpha", "Bravo")}
    client.patch(f"{API}/{ids['Bravo']}", headers=coordinator, json={"status": "active"})
    pending = client.get(API, headers=coordinator, params={"status": "pending"}).json()
    active = client.get(API, headers=coordinator, params={"status": "active"}).json()
    assert [s["name"] for s in pending] == ["Alpha"]
    assert [s["name"] for s in active] == ["Bravo"]
    assert {s["name"] for s in client.get(API, headers=coordinator).json()} == {"Alpha", "Bravo"}
    assert client.get(API, headers=coordinator, params={"status": "gone"}).status_code == 422


def test_a_structure_changes_its_own_contact_details(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    mine = auth(make_token(engine, role=Role.STRUCTURE, structure="La Passerelle"), **EN)
    my_id = structure_id(engine, "La Passerelle")
    details = {
        "contact_name": "Awa Diallo",
        "contact_email": "awa@passerelle.example",
        "contact_phone": "02 40 00 00 00",
        "address": "3 rue des Olivettes",
        "postcode": "44000",
    }
    answer = client.patch(f"{API}/{my_id}", headers=mine, json=details)
    assert answer.status_code == 200, answer.text
    assert {k: answer.json()[k] for k in details} == details
    [(actor, payload)] = ledger_events(engine, "structure.updated")
    assert payload["changes"]["contact_email"] == [None, "awa@passerelle.example"]
    assert actor.startswith("structure-")  # signed by the structure's own user
    listed = client.get(API, headers=mine).json()
    assert [s["id"] for s in listed] == [my_id]  # its own only
    ledger_ok(client, coordinator)


# What only coordinators decide: a structure sending any of them changes nothing.
STAFF_ONLY: list[tuple[str, Any]] = [
    ("status", "active"),
    ("quotas", {"laptop": 50}),
    ("name", "Autre nom"),
    ("status", None),
]


def test_a_structure_may_not_change_what_coordinators_decide(
    client: TestClient, engine: Engine
) -> None:
    mine = auth(make_token(engine, role=Role.STRUCTURE, structure="La Passerelle"), **EN)
    my_id = structure_id(engine, "La Passerelle")
    for field, value in STAFF_ONLY:
        body = {"city": "Nantes", field: value}  # nothing of it changes, the city neither
        answer = client.patch(f"{API}/{my_id}", headers=mine, json=body)
        assert answer.status_code == 403, (field, answer.text)
        assert answer.json()["code"] == "structure_field_staff_only"
        assert field in answer.json()["detail"]
    with transaction(engine, read_only=True) as session:
        stored = session.get(Structure, my_id)
        assert stored is not None
        assert (stored.status, stored.quotas, stored.name) == ("pending", {}, "La Passerelle")
        assert stored.city is None
    assert ledger_events(engine, "structure.updated") == []


def test_another_structure_is_404_to_read_and_to_change(client: TestClient, engine: Engine) -> None:
    mine = auth(make_token(engine, role=Role.STRUCTURE, structure="La Passerelle"))
    make_token(engine, role=Role.STRUCTURE, structure="Mission locale")
    theirs = structure_id(engine, "Mission locale")
    assert client.get(f"{API}/{theirs}", headers=mine).status_code == 404
    answer = client.patch(f"{API}/{theirs}", headers=mine, json={"city": "Brest"})
    assert answer.status_code == 404 and answer.json()["code"] == "structure_not_found"
    assert ledger_events(engine, "structure.updated") == []


def test_only_coordinators_create_structures(client: TestClient, engine: Engine) -> None:
    mine = auth(make_token(engine, role=Role.STRUCTURE, structure="La Passerelle"))
    bench = auth(make_token(engine, role=Role.BENCH))
    assert client.post(API, headers=mine, json={"name": "Nouvelle"}).status_code == 403
    assert client.post(API, headers=bench, json={"name": "Nouvelle"}).status_code == 403
    assert client.get(API, headers=bench).status_code == 403


# A bad value and the field the 422 names for it.
BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"departement": "4"}, "departement"),
    ({"departement": "1234"}, "departement"),
    ({"departement": "2C"}, "departement"),
    ({"postcode": "4400"}, "postcode"),
    ({"postcode": "44 000"}, "postcode"),
    ({"postcode": "ABCDE"}, "postcode"),
    ({"contact_email": "not-an-address"}, "contact_email"),
    ({"public_category": "pirates"}, "public_category"),
    ({"colour": "red"}, "colour"),
]
BAD_QUOTAS: list[tuple[dict[str, Any], str]] = [
    ({"quotas": {"laptop": -1}}, "quotas.laptop"),
    ({"quotas": {"laptop": 10_001}}, "quotas.laptop"),
    ({"quotas": {"spaceship": 3}}, "quotas.spaceship"),
    ({"quotas": {"laptop": "many"}}, "quotas.laptop"),
]


def _names(answer: Any, field: str) -> bool:
    return answer.status_code == 422 and any(
        e["field"].startswith(field) for e in answer.json()["errors"]
    )


def test_bad_fields_are_named_and_nothing_changes(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    made = create(client, coordinator)
    for body, field in BAD_FIELDS + BAD_QUOTAS:
        answer = client.patch(f"{API}/{made['id']}", headers=coordinator, json=body)
        assert _names(answer, field), (body, answer.text)
        assert answer.json()["code"] == "invalid_request"
    for body, field in BAD_FIELDS:  # creating checks the same fields
        created = client.post(API, headers=coordinator, json={"name": "Autre", **body})
        assert _names(created, field), (body, created.text)
    assert ledger_events(engine, "structure.updated") == []
    assert len(client.get(API, headers=coordinator).json()) == 1


def test_a_short_name_is_refused(client: TestClient, coordinator: dict[str, str]) -> None:
    answer = client.post(API, headers=coordinator, json={"name": " A "})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["name"]


def test_a_null_name_is_refused_not_a_server_error(
    client: TestClient, coordinator: dict[str, str]
) -> None:
    made = create(client, coordinator)
    answer = client.patch(f"{API}/{made['id']}", headers=coordinator, json={"name": None})
    assert answer.status_code in (200, 422), answer.text


def test_quota_use_counts_what_is_reserved_and_handed_over_this_period(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    mine = auth(make_token(engine, role=Role.STRUCTURE, structure="La Passerelle"))
    my_id = structure_id(engine, "La Passerelle")
    quotas = {"status": "active", "quotas": {"laptop": 3, "smartphone": 2}}
    client.patch(f"{API}/{my_id}", headers=coordinator, json=quotas)
    with transaction(engine) as session:
        codes = [make_device(session, status=Status.AVAILABLE).code for _ in range(2)]
        phone = make_device(session, status=Status.AVAILABLE, category=Category.SMARTPHONE).code
    claim = client.post("/api/v1/claims", headers=mine, json={"device_codes": codes}).json()
    client.post("/api/v1/claims", headers=mine, json={"device_codes": [phone]})
    handover = {"collector": "Awa Diallo", "device_codes": [codes[0]], "release_missing": True}
    given = client.post(
        f"/api/v1/claims/{claim['id']}/handover", headers=coordinator, json=handover
    )
    assert given.status_code == 200, given.text
    use = client.get(f"{API}/{my_id}", headers=mine).json()["quota_use"]
    assert use == {
        "laptop": {"quota": 3, "used": 1, "remaining": 2},  # one handed over, one released
        "smartphone": {"quota": 2, "used": 1, "remaining": 1},
    }
    period = client.get(f"{API}/{my_id}", headers=mine).json()["period"]
    assert period["start"] < period["end"]
    assert period["start"][5:] in ("01-01", "04-01", "07-01", "10-01")  # a calendar quarter
