"""A structure never sees another structure's data, whatever address it tries."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db.engine import transaction
from db.enums import Role, Status
from db.models import Structure
from tests.factories import auth, make_device, make_token


@dataclass
class World:
    mine: dict[str, str]
    theirs: dict[str, str]
    my_id: int
    their_id: int
    my_device: str
    their_device: str
    on_offer: str
    in_workshop: str


@pytest.fixture
def world(engine: Engine) -> World:
    mine, theirs = (
        make_token(engine, role=Role.STRUCTURE, structure="La Passerelle"),
        make_token(engine, role=Role.STRUCTURE, structure="Mission locale"),
    )
    with transaction(engine) as session:
        ids = {s.name: s.id for s in session.exec(select(Structure))}
        my_id, their_id = ids["La Passerelle"], ids["Mission locale"]
        assert my_id is not None and their_id is not None
        my_device = make_device(session, status=Status.RESERVED, structure_id=my_id).code
        their_device = make_device(session, status=Status.HANDED_OVER, structure_id=their_id).code
        on_offer = make_device(session, status=Status.AVAILABLE).code
        in_workshop = make_device(session, status=Status.IN_REFURBISHMENT).code
    return World(
        auth(mine), auth(theirs), my_id, their_id, my_device, their_device, on_offer, in_workshop
    )


def test_listing_shows_the_offer_and_my_devices_only(client: TestClient, world: World) -> None:
    listed = client.get("/api/v1/devices", headers=world.mine).json()
    assert {d["code"] for d in listed["items"]} == {world.my_device, world.on_offer}
    assert listed["total"] == 2
    assert "serial" not in listed["items"][0] and "batch_id" not in listed["items"][0]


@pytest.mark.parametrize("path", ["/api/v1/devices/{code}", "/api/v1/devices/{code}/history"])
def test_another_structures_device_is_404(client: TestClient, world: World, path: str) -> None:
    for code in (world.their_device, world.in_workshop):
        answer = client.get(path.format(code=code), headers=world.mine)
        assert answer.status_code == 404, (path, code)
        assert answer.json()["code"] == "device_not_found"


def test_search_cannot_find_another_structures_device(client: TestClient, world: World) -> None:
    answer = client.get(f"/api/v1/devices?q={world.their_device}", headers=world.mine).json()
    assert answer["total"] == 0


def test_my_device_and_its_history_without_donor_data(client: TestClient, world: World) -> None:
    device = client.get(f"/api/v1/devices/{world.my_device}", headers=world.mine).json()
    assert device["status"] == "reserved" and "attributes" not in device
    history = client.get(f"/api/v1/devices/{world.my_device}/history", headers=world.mine).json()
    received = history[0]["payload"]["changes"]
    assert "serial" not in received and "batch_id" not in received and "status" in received


def test_offer_is_visible_but_its_history_is_not(client: TestClient, world: World) -> None:
    assert client.get(f"/api/v1/devices/{world.on_offer}", headers=world.mine).status_code == 200
    assert (
        client.get(f"/api/v1/devices/{world.on_offer}/history", headers=world.mine).status_code
        == 404
    )


def test_structures_see_only_their_own_structure(client: TestClient, world: World) -> None:
    listed = client.get("/api/v1/structures", headers=world.mine).json()
    assert [s["id"] for s in listed] == [world.my_id]
    assert client.get(f"/api/v1/structures/{world.their_id}", headers=world.mine).status_code == 404
    assert client.get(f"/api/v1/structures/{world.my_id}", headers=world.mine).status_code == 200


def test_structures_cannot_create_structures(client: TestClient, world: World) -> None:
    answer = client.post("/api/v1/structures", json={"name": "Nouvelle"}, headers=world.mine)
    assert answer.status_code == 403


def test_coordinator_creates_and_lists_structures(
    client: TestClient, engine: Engine, world: World
) -> None:
    coordinator = auth(make_token(engine, role=Role.COORDINATOR))
    created = client.post(
        "/api/v1/structures",
        headers=coordinator,
        json={"name": "Emmaüs Connect Lyon", "city": "Lyon"},
    )
    assert created.status_code == 201 and created.json()["city"] == "Lyon"
    again = client.post(
        "/api/v1/structures", json={"name": "emmaüs connect lyon"}, headers=coordinator
    )
    assert again.status_code == 409 and "existe déjà" in again.json()["detail"]
    bad = client.post(
        "/api/v1/structures", json={"name": "X", "contact_email": "nope"}, headers=coordinator
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"name", "contact_email"}
    names = [s["name"] for s in client.get("/api/v1/structures", headers=coordinator).json()]
    assert names == sorted(names) and len(names) == 3
