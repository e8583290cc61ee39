"""A location's page lists the devices kept there, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db import codes
from db.engine import transaction
from db.enums import Category, Role, Status
from labels.locations import LISTED_HERE, LocationCreate, create_location
from remise import accounts
from tests.factories import ACTOR, make_device
from tests.web.test_pages import sign_in

ROW_CODE = re.compile(r'<a class="code" href="/bench/devices/([0-9A-Z]{4}-[0-9A-Z]{4})">')


def _place(engine: Engine, name: str) -> str:
    with transaction(engine) as session:
        return create_location(session, ACTOR, data=LocationCreate(name=name)).code


def _sign_in(client: TestClient, engine: Engine, role: Role = Role.BENCH) -> None:
    with transaction(engine) as session:
        accounts.create_user(
            session, ACTOR, username="lucie", role=role, password="pw-lucie-tournesol", locale="en"
        )
    sign_in(client, "lucie")


def test_a_location_page_lists_the_devices_kept_there(client: TestClient, engine: Engine) -> None:
    here, elsewhere = _place(engine, "Étagère A1"), _place(engine, "Étagère B2")
    with transaction(engine) as session:
        kept = [
            make_device(session, location="Étagère A1", brand="Lenovo", model="ThinkPad T480"),
            make_device(
                session,
                status=Status.AVAILABLE,
                category=Category.SMARTPHONE,
                location="Étagère A1",
                brand="Apple",
                model="iPhone 8",
            ),
        ]
        away = make_device(session, location="Étagère B2")
        make_device(session)  # nowhere said
    _sign_in(client, engine)
    page = client.get(f"/locations/{here.lower().replace('-', '')}")  # as typed
    assert page.status_code == 200
    assert ROW_CODE.findall(page.text) == sorted(codes.display(d.code) for d in kept)
    assert "Apple iPhone 8" in page.text and "Smartphone" in page.text
    assert "available" in page.text and "received" in page.text
    assert "2 devices." in page.text
    assert f'href="/devices?location={quote("Étagère A1")}"' in page.text
    other = client.get(f"/locations/{elsewhere}")
    assert ROW_CODE.findall(other.text) == [codes.display(away.code)]
    listing = client.get("/locations")
    assert f'<a href="/locations/{here}">Étagère A1</a>' in listing.text


def test_a_crowded_location_shows_its_first_devices_and_links_to_them_all(
    client: TestClient, engine: Engine
) -> None:
    code = _place(engine, "Salle de stockage")
    with transaction(engine) as session:
        made = [make_device(session, location="Salle de stockage") for _ in range(LISTED_HERE + 3)]
    _sign_in(client, engine, Role.COORDINATOR)
    page = client.get(f"/locations/{code}")
    listed = ROW_CODE.findall(page.text)
    assert listed == sorted(codes.display(d.code) for d in made)[:LISTED_HERE]
    assert f"The first {LISTED_HERE} of {LISTED_HERE + 3} devices, by code." in page.text
    search = client.get("/devices", params={"location": "Salle de stockage", "size": "100"})
    assert len(ROW_CODE.findall(search.text)) == LISTED_HERE + 3


def test_an_empty_or_unknown_location(client: TestClient, engine: Engine) -> None:
    code = _place(engine, "Cave")
    _sign_in(client, engine)
    empty = client.get(f"/locations/{code}")
    assert empty.status_code == 200 and "No device is recorded here" in empty.text
    assert client.get("/locations/LOC-ZZZZZ").status_code == 404
    assert client.get("/locations/nothing-like-a-code").status_code == 404
