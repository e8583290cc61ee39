"""What a partner structure may learn: no serial oracle, and no staff in the histories it reads.

Serial numbers, IMEIs and asset tags are not public (an asset tag names the donor).
A structure finds the devices on offer by code, brand or model, and by those
identifiers only the devices it holds; probing them on any other device answers,
byte for byte, what a value that exists nowhere answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db import codes, lifecycle
from db.engine import transaction
from db.enums import Role, Status
from db.models import Device, Structure
from remise.api.schemas import CatalogueDevice
from tests.factories import auth, make_device, make_token
from tests.refurbish.walking import erase_every_medium, fill

SERIAL, IMEI, TAG = "X000000059", "490154203237518", "BSO-1006"
HELD_SERIAL, HELD_IMEI, HELD_TAG = "PF1HELD77", "356938035643809", "BSO-2001"
CODE_SHAPED_SERIAL = "ABCD-EFGH"  # reads as a device code whose check symbol is wrong
CATALOGUE_KEYS = set(CatalogueDevice.model_fields)


@dataclass
class World:
    mine: dict[str, str]
    theirs: dict[str, str]
    coordinator: dict[str, str]
    my_id: int
    their_id: int
    held: str


def _structure_ids(engine: Engine) -> dict[str, int]:
    with transaction(engine, read_only=True) as session:
        return {s.name: s.id or 0 for s in session.exec(select(Structure))}


@pytest.fixture
def world(engine: Engine) -> World:
    mine = make_token(engine, role=Role.STRUCTURE, structure="La Passerelle")
    theirs = make_token(engine, role=Role.STRUCTURE, structure="Mission locale")
    coordinator = make_token(engine, role=Role.COORDINATOR)
    ids = _structure_ids(engine)
    with transaction(engine) as session:
        held = make_device(
            session,
            status=Status.RESERVED,
            structure_id=ids["La Passerelle"],
            serial=HELD_SERIAL,
            imei=HELD_IMEI,
            asset_tag=HELD_TAG,
        ).code
    return World(
        auth(mine),
        auth(theirs),
        auth(coordinator),
        ids["La Passerelle"],
        ids["Mission locale"],
        held,
    )


# Where the probed device stands: on offer, held by another structure, in the workshop.
PLACES: dict[str, Callable[[World], dict[str, Any]]] = {
    "offered": lambda w: {"status": Status.AVAILABLE},
    "theirs": lambda w: {"status": Status.HANDED_OVER, "structure_id": w.their_id},
    "in_workshop": lambda w: {"status": Status.IN_REFURBISHMENT},
}


def _add_device(engine: Engine, world: World, place: str, **fields: Any) -> str:
    with transaction(engine) as session:
        return make_device(session, **PLACES[place](world), **fields).code


def _answer(client: TestClient, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    answer = client.get(url, headers=headers)
    return answer.status_code, answer.content


SEARCHES = {
    "serial prefix": "X0000000",
    "full serial": SERIAL,
    "serial in lower case": SERIAL.lower(),
    "IMEI": IMEI,
    "IMEI part": IMEI[:8],
    "asset tag": TAG,
    "asset tag prefix": "BSO-10",
}


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("probe", SEARCHES.values(), ids=SEARCHES.keys())
def test_a_search_by_a_hidden_identifier_answers_as_an_unknown_value(
    client: TestClient, engine: Engine, world: World, place: str, probe: str
) -> None:
    url = f"/api/v1/devices?q={probe}"
    unknown = _answer(client, url, world.mine)
    code = _add_device(engine, world, place, serial=SERIAL, imei=IMEI, asset_tag=TAG)
    assert _answer(client, url, world.mine) == unknown  # same status, same bytes
    assert unknown[0] == 200 and client.get(url, headers=world.mine).json()["total"] == 0
    staff = client.get(url, headers=world.coordinator).json()
    assert [d["code"] for d in staff["items"]] == [code]  # staff search is unchanged


SCANS = {
    "serial": SERIAL,
    "serial in lower case with Enter": f"{SERIAL.lower()}%0A",
    "IMEI": IMEI,
    "IMEI with spaces": "4901%2054203%20237518",
    "asset tag": TAG.lower(),
}


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("probe", SCANS.values(), ids=SCANS.keys())
def test_a_scan_of_a_hidden_identifier_answers_as_an_unknown_value(
    client: TestClient, engine: Engine, world: World, place: str, probe: str
) -> None:
    url = f"/api/v1/scan/{probe}"
    unknown = _answer(client, url, world.mine)
    code = _add_device(engine, world, place, serial=SERIAL, imei=IMEI, asset_tag=TAG)
    assert _answer(client, url, world.mine) == unknown
    assert unknown[0] == 404
    assert client.get(url, headers=world.coordinator).json()["code"] == code


def test_the_issues_oracle_is_closed(client: TestClient, engine: Engine, world: World) -> None:
    """`X000000059` exists on offer, `X000000099` nowhere: the answers differ only by the echo."""
    _add_device(engine, world, "offered", serial=SERIAL)
    for url in ("/api/v1/devices?q={}", "/api/v1/scan/{}"):
        hidden = client.get(url.format(SERIAL), headers=world.mine)
        unknown = client.get(url.format("X000000099"), headers=world.mine)
        assert hidden.status_code == unknown.status_code
        assert hidden.content.replace(SERIAL.encode(), b"?") == unknown.content.replace(
            b"X000000099", b"?"
        )


def test_the_mistyped_code_hint_does_not_tell_a_hidden_serial_apart(
    client: TestClient, engine: Engine, world: World
) -> None:
    url = f"/api/v1/scan/{CODE_SHAPED_SERIAL}"
    unknown = client.get(url, headers=world.mine)
    assert unknown.status_code == 404 and unknown.json()["code"] == "scan_mistyped_code"
    _add_device(engine, world, "offered", serial=CODE_SHAPED_SERIAL)
    assert client.get(url, headers=world.mine).content == unknown.content
    assert client.get(url, headers=world.coordinator).status_code == 200


def test_a_hidden_devices_code_scans_as_an_unknown_code(
    client: TestClient, engine: Engine, world: World
) -> None:
    """A structure's held serial that reads as a hidden device's code still finds its device."""
    hidden = _add_device(engine, world, "in_workshop")
    with transaction(engine) as session:
        mine = make_device(
            session, status=Status.RESERVED, structure_id=world.my_id, serial=hidden
        ).code
    answer = client.get(f"/api/v1/scan/{hidden}", headers=world.mine)
    assert answer.status_code == 200 and answer.json()["code"] == mine


@pytest.mark.parametrize("probe", [HELD_SERIAL, HELD_SERIAL.lower(), HELD_IMEI, HELD_TAG.lower()])
def test_a_structure_finds_the_devices_it_holds_by_their_identifiers(
    client: TestClient, world: World, probe: str
) -> None:
    found = client.get(f"/api/v1/devices?q={probe}", headers=world.mine).json()
    assert [d["code"] for d in found["items"]] == [world.held] and found["total"] == 1
    assert set(found["items"][0]) == CATALOGUE_KEYS
    scanned = client.get(f"/api/v1/scan/{probe}", headers=world.mine)
    assert scanned.status_code == 200 and scanned.json()["code"] == world.held
    assert set(scanned.json()) == CATALOGUE_KEYS
    other = client.get(f"/api/v1/devices?q={probe}", headers=world.theirs).json()
    assert other["total"] == 0


def test_a_structure_searches_its_own_identifiers_by_exact_value_only(
    client: TestClient, world: World
) -> None:
    """Prefixes would read a removed asset tag (the donor's) off a device it holds."""
    for part in (HELD_SERIAL[:5], HELD_IMEI[:10], "BSO-20"):
        assert client.get(f"/api/v1/devices?q={part}", headers=world.mine).json()["total"] == 0
        assert client.get(f"/api/v1/scan/{part}", headers=world.mine).status_code == 404


def test_codes_brands_and_models_stay_searchable(
    client: TestClient, engine: Engine, world: World
) -> None:
    offered = _add_device(engine, world, "offered", brand="Fairphone", model="Fairphone 4")
    display = codes.display(offered).lower()
    for probe in (offered, display, "fairph", "PHONE 4"):
        found = client.get(f"/api/v1/devices?q={probe}", headers=world.mine).json()
        assert [d["code"] for d in found["items"]] == [offered], probe
    scanned = client.get(f"/api/v1/scan/{display}", headers=world.mine)
    assert scanned.status_code == 200 and set(scanned.json()) == CATALOGUE_KEYS
    listed = client.get("/api/v1/devices?q=thinkpad", headers=world.mine).json()
    assert [d["code"] for d in listed["items"]] == [world.held]


def test_staff_still_search_identifiers_by_substring(
    client: TestClient, engine: Engine, world: World
) -> None:
    bench = auth(make_token(engine, role=Role.BENCH))
    for probe in ("HELD7", HELD_IMEI[3:12], "bso-20"):
        found = client.get(f"/api/v1/devices?q={probe}", headers=bench).json()
        assert [d["code"] for d in found["items"]] == [world.held], probe
        assert found["items"][0]["serial"] == HELD_SERIAL
    scanned = client.get(f"/api/v1/scan/{HELD_TAG}", headers=bench).json()
    assert scanned["code"] == world.held and scanned["asset_tag"] == HELD_TAG


def test_a_structure_cannot_read_the_ledger(client: TestClient, world: World) -> None:
    for path in ("/api/v1/ledger/head", "/api/v1/ledger/verify"):
        assert client.get(path, headers=world.mine).status_code == 403
        assert client.get(path, headers=world.coordinator).status_code == 200


# --- histories ----------------------------------------------------------------------

DONOR, SITE = "Banque Solidaire de l'Ouest", "Nantes, 3e étage, bureau de Mme Le Goff"
# What the staff's history of the walked device holds and a structure must not read.
SECRETS = [SERIAL, TAG, SITE, "Jean Dupont", "M471A5244CB0", "PF9ZZZ99", "Rayures", "tiroir"]


def _username(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.get("/api/v1/me", headers=headers).json()["username"])


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def _received(client: TestClient, coordinator: dict[str, str]) -> str:
    donor = _ok(client.post("/api/v1/donors", headers=coordinator, json={"name": DONOR}), 201)
    batch = {"donor_id": donor["id"], "pickup_date": "2026-11-02", "site": SITE}
    batch_id = _ok(client.post("/api/v1/batches", headers=coordinator, json=batch), 201)["id"]
    device = {
        "category": "laptop",
        "brand": "Lenovo",
        "model": "ThinkPad T480",
        "serial": SERIAL,
        "asset_tag": TAG,
        "attributes": {"Utilisateur": "Jean Dupont", "État": "Rayures"},
    }
    url = f"/api/v1/batches/{batch_id}/devices"
    return str(_ok(client.post(url, headers=coordinator, json=device), 201)["code"])


def _refurbished(
    client: TestClient, bench: dict[str, str], coordinator: dict[str, str], code: str
) -> None:
    assert client.get(f"/api/v1/devices/{code}/label.png", headers=bench).status_code == 200
    run = _ok(client.post(f"/api/v1/devices/{code}/runs", headers=bench, json={}), 201)
    fill(client, bench, run["id"])
    note = {"value": True, "note": "clé USB oubliée dans le tiroir"}
    steps = _ok(client.get(f"/api/v1/runs/{run['id']}", headers=bench))["steps"]
    yes_no = next(s["key"] for s in steps if s["kind"] == "yes_no")
    _ok(client.put(f"/api/v1/runs/{run['id']}/steps/{yes_no}", headers=bench, json=note))
    part = {"part": "ram", "removed": "4 GB M471A5244CB0-CRC", "fitted": "8 GB DDR4"}
    _ok(client.post(f"/api/v1/runs/{run['id']}/parts", headers=bench, json=part), 201)
    snapshot = {"schema_version": 1, "source": "live", "system": {"serial": "PF9ZZZ99"}}
    flags = _ok(client.post(f"/api/v1/devices/{code}/snapshots", headers=bench, json=snapshot), 201)
    resolved = {"comment": "Vu avec Jean Dupont : carte mère changée"}
    flag = f"/api/v1/flags/{flags['flags'][0]['id']}/resolve"
    _ok(client.post(flag, headers=coordinator, json=resolved))
    erase_every_medium(client, bench, code)
    _ok(
        client.post(
            f"/api/v1/runs/{run['id']}/finish", headers=bench, json={"outcome": "refurbished"}
        )
    )


def _distributed(engine: Engine, world: World, code: str, coordinator: str, own: str) -> None:
    """Graded, offered, reserved by another structure, released, then handed over to mine."""
    steps: list[tuple[Status, str, dict[str, Any]]] = [
        (Status.GRADED, coordinator, {"grade": "B", "price_cents": 5000}),
        (Status.AVAILABLE, coordinator, {}),
        (Status.RESERVED, coordinator, {"structure_id": world.their_id}),
        (Status.AVAILABLE, coordinator, {"structure_id": None}),
        (Status.RESERVED, own, {"structure_id": world.my_id}),
        (Status.HANDED_OVER, own, {}),
    ]
    with transaction(engine) as session:
        device = session.exec(select(Device).where(Device.code == code)).one()
        for status, actor, fields in steps:  # distribution has no claim service yet
            lifecycle.move(session, device, to=status, actor=actor, fields=fields)


def test_a_structure_reads_a_history_without_staff_or_hidden_identifiers(
    client: TestClient, engine: Engine, world: World
) -> None:
    bench = auth(make_token(engine, role=Role.BENCH))
    staff = {_username(client, world.coordinator), _username(client, bench), "tests"}
    own = _username(client, world.mine)
    code = _received(client, world.coordinator)
    _refurbished(client, bench, world.coordinator, code)
    _distributed(engine, world, code, _username(client, world.coordinator), own)

    answer = client.get(f"/api/v1/devices/{code}/history", headers=world.mine)
    events = _ok(answer)
    text = answer.text
    assert not [name for name in staff if name in text]
    assert not [secret for secret in [*SECRETS, DONOR] if secret in text]
    assert {e["actor"] for e in events} == {"Remise", own}
    assert [e["actor"] for e in events if e["type"] == "device.handed_over"] == [own]
    assert all(e["hash"] is None for e in events)
    assert all(set(e["payload"]) <= {"changes", "part"} for e in events)
    changed = {field for e in events for field in e["payload"]["changes"]}
    assert changed <= CATALOGUE_KEYS - {"code_display"} | {"structure_id"}
    held = [e["payload"]["changes"].get("structure_id") for e in events]
    assert [h for h in held if h] == [[None, world.my_id]]  # never the other structure's id
    statuses = [
        e["payload"]["changes"]["status"][1] for e in events if "status" in e["payload"]["changes"]
    ]
    assert statuses[0] == "received" and statuses[-1] == "handed_over"
    assert [e["payload"]["part"] for e in events if e["type"] == "device.part_replaced"] == ["ram"]

    full_answer = client.get(f"/api/v1/devices/{code}/history", headers=world.coordinator)
    assert [secret for secret in SECRETS if secret not in full_answer.text] == []
    full = _ok(full_answer)
    assert staff - {"tests"} <= {e["actor"] for e in full}
    assert all(e["hash"] for e in full) and len(full) == len(events)
    assert full[0]["payload"]["changes"]["serial"] == [None, SERIAL]


def test_another_structures_history_stays_unknown(client: TestClient, world: World) -> None:
    mine = client.get(f"/api/v1/devices/{world.held}/history", headers=world.theirs)
    nowhere = client.get("/api/v1/devices/0000-0000/history", headers=world.theirs)
    assert mine.status_code == nowhere.status_code == 404
    assert mine.json()["code"] == nowhere.json()["code"] == "device_not_found"
