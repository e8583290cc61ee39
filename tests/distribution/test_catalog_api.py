"""The catalogue through the real HTTP API, on SQLite and PostgreSQL: only `available`
devices, filtered on their specs, grade and price, paginated with the total, never a
serial, an IMEI, a donor or a batch; a reserved device leaves it and comes back when its
claim is cancelled; the summary counts the stock and what a structure's quota leaves."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from db import codes, lifecycle
from db.engine import transaction
from db.enums import Category, Role, Status
from db.models import Device
from tests.distribution.test_structures_api import ledger_ok, structure_id
from tests.factories import ACTOR, auth, make_device, make_token

API = "/api/v1/catalog"
PAGE_KEYS = {"total", "limit", "offset", "devices"}
DEVICE_KEYS = {
    "code",
    "category",
    "brand",
    "model",
    "grade",
    "grade_definition",
    "specs",
    "price_cents",
}
SPEC_KEYS = {"ram_gb", "storage_gb", "storage_type", "screen_in", "cpu", "os", "battery_percent"}


def grading_of(specs: dict[str, Any], grade: str = "B") -> dict[str, Any]:
    """`attributes` as grading leaves them: the specs and the grade's sentence."""
    return {
        "grading": {
            "specs": specs,
            "fr": {"sentence": f"Grade {grade} : bon état"},
            "en": {"sentence": f"Grade {grade}: good condition"},
        }
    }


def stock(
    session: Session,
    *,
    category: Category = Category.LAPTOP,
    grade: str = "B",
    price_cents: int = 5000,
    specs: dict[str, Any] | None = None,
    **fields: Any,
) -> str:
    """An available device of this grade, price and specs; returns its code as shown."""
    attributes = grading_of(specs, grade) if specs is not None else {}
    device = make_device(
        session, status=Status.GRADED, category=category, attributes=attributes, **fields
    )
    lifecycle.change(
        session,
        device,
        actor=ACTOR.ledger_name,
        fields={"grade": grade, "price_cents": price_cents},
    )
    lifecycle.move(session, device, to=Status.AVAILABLE, actor=ACTOR.ledger_name)
    return codes.display(device.code)


def active_structure(
    client: TestClient, engine: Engine, name: str = "La Passerelle", **quotas: int
) -> tuple[dict[str, str], int]:
    """A structure's user's headers and the structure's id, approved with these quotas."""
    headers = auth(make_token(engine, role=Role.STRUCTURE, structure=name))
    found = structure_id(engine, name)
    body = {"status": "active", "quotas": quotas or {"laptop": 10, "smartphone": 10}}
    answer = client.patch(f"/api/v1/structures/{found}", headers=staff(engine), json=body)
    assert answer.status_code == 200, answer.text
    return headers, found


def staff(engine: Engine, role: Role = Role.COORDINATOR) -> dict[str, str]:
    return auth(make_token(engine, role=role), **{"Accept-Language": "en"})


def browse(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = client.get(API, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def codes_in(page: dict[str, Any]) -> list[str]:
    return [d["code"] for d in page["devices"]]


@pytest.fixture
def shelf(engine: Engine) -> dict[str, str]:
    """Five available devices of different kinds, by nickname."""
    with transaction(engine) as session:
        return {
            "l1": stock(
                session,
                grade="A",
                price_cents=9000,
                specs={"ram_gb": 16, "storage_gb": 512, "storage_type": "ssd", "os": "linux"},
            ),
            "l2": stock(
                session,
                specs={"ram_gb": 8, "storage_gb": 256, "storage_type": "ssd", "os": "windows"},
            ),
            "l3": stock(
                session,
                grade="C",
                price_cents=3000,
                specs={"ram_gb": 4, "storage_gb": 128, "storage_type": "hdd", "os": "Linux"},
            ),
            "p1": stock(
                session,
                category=Category.SMARTPHONE,
                grade="A",
                price_cents=6000,
                specs={"ram_gb": 4, "storage_gb": 64, "os": "android", "battery_percent": 91},
                imei="356938035643809",
            ),
            "t1": stock(session, category=Category.TABLET, price_cents=4000),
        }


# A filter and the devices it keeps, in the listing's order (category, grade, price).
FILTERS: list[tuple[dict[str, Any], list[str]]] = [
    ({}, ["l1", "l2", "l3", "p1", "t1"]),
    ({"category": "laptop"}, ["l1", "l2", "l3"]),
    ({"category": "smartphone"}, ["p1"]),
    ({"category": "desktop"}, []),
    ({"min_grade": "A"}, ["l1", "p1"]),
    ({"min_grade": "B"}, ["l1", "l2", "p1", "t1"]),
    ({"min_grade": "C"}, ["l1", "l2", "l3", "p1", "t1"]),
    ({"min_ram_gb": 8}, ["l1", "l2"]),  # a device without specs never passes
    ({"min_ram_gb": 4}, ["l1", "l2", "l3", "p1"]),
    ({"min_ram_gb": 17}, []),
    ({"min_storage_gb": 256}, ["l1", "l2"]),
    ({"min_storage_gb": 0}, ["l1", "l2", "l3", "p1"]),
    ({"max_price": "50"}, ["l2", "l3", "t1"]),  # euros; 50.00 € itself is kept
    ({"max_price": "49.99"}, ["l3", "t1"]),
    ({"max_price": "30.00"}, ["l3"]),
    ({"max_price": "0"}, []),
    ({"os": "linux"}, ["l1", "l3"]),  # any case
    ({"os": "WINDOWS"}, ["l2"]),
    ({"os": "android"}, ["p1"]),
    ({"category": "laptop", "min_grade": "B", "min_ram_gb": 8}, ["l1", "l2"]),
    ({"category": "laptop", "max_price": "60", "os": "linux"}, ["l3"]),
]
BAD_PARAMS: list[dict[str, Any]] = [
    {"category": "spaceship"},
    {"min_grade": "D"},
    {"min_ram_gb": -1},
    {"max_price": "-1"},
    {"max_price": "1.234"},
    {"limit": 0},
    {"limit": 201},
    {"offset": -1},
]


def test_filters_keep_what_they_say(
    client: TestClient, engine: Engine, shelf: dict[str, str]
) -> None:
    coordinator = staff(engine)
    for params, kept in FILTERS:
        page = browse(client, coordinator, **params)
        assert codes_in(page) == [shelf[k] for k in kept], params
        assert page["total"] == len(kept), params


def test_bad_filters_are_refused(client: TestClient, engine: Engine) -> None:
    coordinator = staff(engine)
    for params in BAD_PARAMS:
        answer = client.get(API, headers=coordinator, params=params)
        assert answer.status_code == 422, params
        [name] = params
        assert [e["field"] for e in answer.json()["errors"]] == [name], params


def test_only_available_devices_are_listed(client: TestClient, engine: Engine) -> None:
    headers, mine = active_structure(client, engine)
    with transaction(engine) as session:
        on_offer = [stock(session), stock(session)]
        for status in (Status.RECEIVED, Status.IN_REFURBISHMENT, Status.GRADED):
            make_device(session, status=status)
        for status in (Status.RESERVED, Status.HANDED_OVER):
            make_device(session, status=status, structure_id=mine)
        withdrawn = make_device(session, status=Status.AVAILABLE)
        lifecycle.move(session, withdrawn, to=Status.GRADED, actor=ACTOR.ledger_name)
    page = browse(client, headers)
    assert sorted(codes_in(page)) == sorted(on_offer) and page["total"] == 2


def test_pages_add_up_to_the_listing(
    client: TestClient, engine: Engine, shelf: dict[str, str]
) -> None:
    coordinator = staff(engine)
    everything = codes_in(browse(client, coordinator))
    pages = [browse(client, coordinator, limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [(p["total"], p["limit"], p["offset"]) for p in pages] == [
        (5, 2, 0),
        (5, 2, 2),
        (5, 2, 4),
    ]
    assert [len(p["devices"]) for p in pages] == [2, 2, 1]
    assert [c for p in pages for c in codes_in(p)] == everything
    beyond = browse(client, coordinator, limit=2, offset=10)
    assert beyond["total"] == 5 and beyond["devices"] == []
    laptops = browse(client, coordinator, category="laptop", limit=1, offset=1)
    assert laptops["total"] == 3 and codes_in(laptops) == [shelf["l2"]]


def test_a_structure_never_reads_serials_imeis_donors_or_batches(
    client: TestClient, engine: Engine, shelf: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine)
    answer = client.get(API, headers=headers)
    page = answer.json()
    assert set(page) == PAGE_KEYS
    for device in page["devices"]:
        assert set(device) == DEVICE_KEYS, device
        assert set(device["specs"]) == SPEC_KEYS, device
    with transaction(engine, read_only=True) as session:
        serials = [d.serial for d in session.exec(select(Device)).all()]
    assert len(serials) == 5 and all(s and s not in answer.text for s in serials)
    assert "356938035643809" not in answer.text
    for hidden in ("serial", "imei", "donor", "batch", "attributes", "device_id", "structure"):
        assert hidden not in answer.text, hidden


def test_specs_and_grade_definition_come_from_grading(
    client: TestClient, engine: Engine, shelf: dict[str, str]
) -> None:
    coordinator = staff(engine)
    page = browse(client, coordinator, category="smartphone")
    [phone] = page["devices"]
    assert phone == {
        "code": shelf["p1"],
        "category": "smartphone",
        "brand": "Lenovo",
        "model": "ThinkPad T480",
        "grade": "A",
        "grade_definition": "Grade A: good condition",
        "specs": {
            "ram_gb": 4,
            "storage_gb": 64,
            "storage_type": None,
            "screen_in": None,
            "cpu": None,
            "os": "android",
            "battery_percent": 91,
        },
        "price_cents": 6000,
    }
    fr = client.get(API, headers=coordinator | {"Accept-Language": "fr"}, params={"os": "android"})
    assert fr.json()["devices"][0]["grade_definition"] == "Grade A : bon état"
    [tablet] = browse(client, coordinator, category="tablet")["devices"]
    assert tablet["grade_definition"] is None and set(tablet["specs"].values()) == {None}


def test_a_change_to_an_available_device_is_redrawn(client: TestClient, engine: Engine) -> None:
    coordinator = staff(engine)
    with transaction(engine) as session:
        code = stock(session, price_cents=5000)
        device = make_device(session, status=Status.AVAILABLE)
        lifecycle.change(session, device, actor="tests", fields={"price_cents": 3500})
    prices = {d["code"]: d["price_cents"] for d in browse(client, coordinator)["devices"]}
    assert prices == {code: 5000, codes.display(device.code): 3500}


def test_a_reserved_device_leaves_and_a_cancelled_claim_brings_it_back(
    client: TestClient, engine: Engine
) -> None:
    headers, _mine = active_structure(client, engine)
    _other, _theirs = active_structure(client, engine, "Mission locale")
    with transaction(engine) as session:
        kept, taken = stock(session), stock(session)
    claim = client.post("/api/v1/claims", headers=headers, json={"device_codes": [taken]})
    assert claim.status_code == 201, claim.text
    for reader in (headers, _other, staff(engine)):
        assert codes_in(browse(client, reader)) == [kept]  # nobody sees the reservation
    client.delete(f"/api/v1/claims/{claim.json()['id']}", headers=headers)
    assert sorted(codes_in(browse(client, _other))) == sorted([kept, taken])
    ledger_ok(client, staff(engine))


def test_the_summary_counts_the_stock_and_the_quota_left(
    client: TestClient, engine: Engine, shelf: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine, laptop=3, smartphone=1)
    client.post("/api/v1/claims", headers=headers, json={"device_codes": [shelf["l3"]]})
    summary = client.get(f"{API}/summary", headers=headers).json()
    assert summary["counts"] == [
        {"category": "laptop", "grade": "A", "count": 1},
        {"category": "laptop", "grade": "B", "count": 1},
        {"category": "smartphone", "grade": "A", "count": 1},
        {"category": "tablet", "grade": "B", "count": 1},
    ]
    assert summary["quota_use"] == {
        "laptop": {"quota": 3, "used": 1, "remaining": 2},
        "smartphone": {"quota": 1, "used": 0, "remaining": 1},
    }
    assert summary["period"]["start"] < summary["period"]["end"]
    for_staff = client.get(f"{API}/summary", headers=staff(engine)).json()
    assert for_staff["quota_use"] is None and for_staff["counts"] == summary["counts"]


def test_the_bench_does_not_browse_the_catalogue(client: TestClient, engine: Engine) -> None:
    bench = staff(engine, Role.BENCH)
    assert client.get(API, headers=bench).status_code == 403
    assert client.get(f"{API}/summary", headers=bench).status_code == 403
    assert client.get(API).status_code == 401
