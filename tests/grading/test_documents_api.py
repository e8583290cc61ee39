"""The grading rules and the price grid as versioned documents, through the real HTTP API
on SQLite and PostgreSQL: the shipped version 0 until a coordinator publishes one; an
invalid document refused with every problem by its place, nothing changed; a grid above
a legal cap refused unless waived; a grid in force from its date, used by the next grade;
who may read and publish; a retried grade applied once."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db import lifecycle
from db.clock import utcnow
from db.engine import transaction
from db.enums import Role, Status
from db.models import Device
from remise.accounts import create_user
from tests.factories import ACTOR, auth, make_structure, make_token
from tests.grading.helpers import grade, refurbished
from tests.refurbish.test_runs_api import device
from tests.refurbish.walking import history

SHIPPED = Path(__file__).resolve().parents[2] / "grading"
EN = {"Accept-Language": "en"}
KEYBOARD_A = {"cosmetic": {"keyboard": "A"}}


def shipped(name: str) -> dict[str, Any]:
    """The document as it ships, read from the file (not from the code under test)."""
    found: dict[str, Any] = json.loads((SHIPPED / name).read_text(encoding="utf-8"))
    return found


def battery_rule(document: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [r for r in document["rules"] if r["id"] == "laptop_battery_a"]
    assert len(found) == 1
    return found[0]


def today_plus(days: int) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    with transaction(engine) as session:
        _user, token = create_user(session, ACTOR, username="camille", role=Role.COORDINATOR)
    return auth(token)


def test_published_rules_become_version_1_and_grade_the_next_device(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    answer = client.get("/api/v1/grading/rules", headers=bench)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["version"], body["created_by"], body["note"]) == (0, None, None)
    file = shipped("default_rules.json")
    assert body["document"]["title"] == file["title"]
    assert [r["id"] for r in body["document"]["rules"]] == [r["id"] for r in file["rules"]]
    assert battery_rule(body["document"])["when"] == {
        "fact": "battery_percent",
        "op": "<",
        "value": 60,
    }
    code = refurbished(client, engine, bench, values={"battery_health": 62})
    before = grade(client, bench, code, KEYBOARD_A, preview=True).json()
    assert (before["grade"], before["rules_version"]) == ("A", 0)  # 62 % is not below 60 %

    changed = copy.deepcopy(body["document"])
    battery_rule(changed)["when"]["value"] = 65
    note = "batteries under 65 % last less than a school day"
    put = client.put(
        "/api/v1/grading/rules", headers=coordinator, params={"note": note}, json=changed
    )
    assert put.status_code == 200, put.text
    published = put.json()
    assert (published["version"], published["created_by"], published["note"]) == (
        1,
        "camille",
        note,
    )
    assert battery_rule(published["document"])["when"]["value"] == 65
    now = client.get("/api/v1/grading/rules", headers=bench).json()
    assert now["version"] == 1 and now["document"] == published["document"]
    versions = client.get("/api/v1/grading/rules/versions", headers=bench).json()
    assert [(v["version"], v["created_by"], v["note"]) for v in versions] == [
        (0, None, None),
        (1, "camille", note),
    ]
    assert versions[0]["sha256"] is None and len(versions[1]["sha256"]) == 64

    after = grade(client, bench | EN, code, KEYBOARD_A)
    assert after.status_code == 200, after.text
    result = after.json()
    assert (result["grade"], result["computed_grade"], result["rules_version"]) == ("B", "B", 1)
    [reason] = [r for r in result["reasons"] if r["rule"] == "laptop_battery_a"]
    assert reason["text"] == "battery 62 % < 65 %: not grade A"
    assert reason["measured"][0]["threshold"] == 65
    graded = [p for t, p in history(engine, code) if t == "device.graded"]
    assert [p["rules_version"] for p in graded] == [1]


def test_an_invalid_rules_document_lists_every_problem_and_changes_nothing(
    client: TestClient, coordinator: dict[str, str]
) -> None:
    document = shipped("default_rules.json")
    document["title"] = ""
    document["categories"]["laptop"]["zones"][0] = "lid"
    document["rules"][2]["effect"]["max_grade"] = "D"
    document["rules"][4]["categories"].append("fridge")
    answer = client.put("/api/v1/grading/rules", headers=coordinator | EN, json=document)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "invalid_document"
    places = sorted(p["field"] for p in body["errors"])
    assert places == [
        "categories.laptop.zones[0]",
        "rules[2].effect.max_grade",
        "rules[4].categories[2]",  # the category that is not one
        "title",
    ]
    [fridge] = [p for p in body["errors"] if p["field"] == "rules[4].categories[2]"]
    assert "fridge" in fridge["message"]
    assert "(problems: 4)" in body["detail"]
    versions = client.get("/api/v1/grading/rules/versions", headers=coordinator).json()
    assert [v["version"] for v in versions] == [0]
    assert client.get("/api/v1/grading/rules", headers=coordinator).json()["version"] == 0


@pytest.mark.parametrize(
    ("change", "places", "message"),
    [
        ({"value": "sixty"}, {"rules[2].when", "rules[2].when.value"}, "compares with a number"),
        ({"op": "~"}, {"rules[2].when.op"}, "Input should be"),
    ],
    ids=["threshold-not-a-number", "unknown-operator"],
)
def test_a_wrong_condition_is_one_problem_named_by_its_place(
    client: TestClient,
    coordinator: dict[str, str],
    change: dict[str, Any],
    places: set[str],
    message: str,
) -> None:
    document = shipped("default_rules.json")
    document["rules"][2]["when"].update(change)
    answer = client.put("/api/v1/grading/rules", headers=coordinator | EN, json=document)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_document"
    problems = answer.json()["errors"]
    assert len(problems) == 1, problems  # one mistake: one problem, not one per union member
    assert problems[0]["field"] in places and message in problems[0]["message"], problems
    versions = client.get("/api/v1/grading/rules/versions", headers=coordinator).json()
    assert [v["version"] for v in versions] == [0]


def test_a_volunteer_cannot_publish_and_a_structure_cannot_read(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    structure = auth(make_token(engine, role=Role.STRUCTURE, structure="Centre social"))
    rules = client.get("/api/v1/grading/rules", headers=bench).json()["document"]
    grid = client.get("/api/v1/pricing/grid", headers=bench).json()["document"]
    assert client.put("/api/v1/grading/rules", headers=bench, json=rules).status_code == 403
    assert client.put("/api/v1/pricing/grid", headers=bench, json=grid).status_code == 403
    for path in ("grading/rules", "grading/rules/versions", "pricing/grid"):
        assert client.get(f"/api/v1/{path}", headers=structure).status_code == 403
    coordinator = auth(make_token(engine))
    versions = client.get("/api/v1/grading/rules/versions", headers=coordinator).json()
    assert [v["version"] for v in versions] == [0]
    assert client.get("/api/v1/pricing/grid/versions", headers=coordinator).json() == []


def test_a_grid_above_the_legal_cap_is_refused_unless_waived(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    shown = client.get("/api/v1/pricing/grid", headers=bench).json()
    file = shipped("default_grid.json")
    assert (shown["version"], shown["created_by"]) == (0, None)
    assert shown["document"]["prices"] == file["prices"]
    assert shown["document"]["effective_from"] == file["effective_from"]

    dear = copy.deepcopy(file) | {"effective_from": today_plus(0)}
    dear["prices"]["laptop"]["A"] = 16000  # + 20 € (8 GB) + 10 € (SSD): up to 190 €
    refused = client.put("/api/v1/pricing/grid", headers=coordinator | EN, json=dear)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "grid_over_cap"
    assert refused.json()["over_caps"] == [
        {"category": "laptop", "highest_cents": 19000, "cap_cents": 18000}
    ]
    assert all(w in refused.json()["detail"] for w in ("Laptop", "€190.00", "€180.00"))
    assert client.get("/api/v1/pricing/grid/versions", headers=coordinator).json() == []
    assert client.get("/api/v1/pricing/grid", headers=bench).json()["version"] == 0

    at_cap = copy.deepcopy(dear)
    at_cap["prices"]["laptop"]["A"] = 15000  # exactly 180 € with every tier
    assert client.put("/api/v1/pricing/grid", headers=coordinator, json=at_cap).status_code == 200

    reason = "Ordinateurs donnés par une entreprise privée, pas par un organisme public"
    waived = dear | {"waivers": [{"category": "laptop", "reason": reason}]}
    answer = client.put("/api/v1/pricing/grid", headers=coordinator, json=waived)
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2
    assert answer.json()["document"]["waivers"] == [{"category": "laptop", "reason": reason}]
    code = refurbished(client, engine, bench)
    price = grade(client, bench, code, KEYBOARD_A).json()["price"]
    assert (price["cents"], price["cap_cents"], price["grid_version"]) == (19000, None, 2)


def test_an_invalid_grid_names_its_places(client: TestClient, coordinator: dict[str, str]) -> None:
    grid = shipped("default_grid.json")
    del grid["prices"]["tablet"]["C"]
    grid["tiers"][0]["categories"] = ["laptop", "toaster"]
    grid["effective_from"] = "le 1er janvier"
    answer = client.put("/api/v1/pricing/grid", headers=coordinator | EN, json=grid)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_document"
    found = {p["field"]: p["message"] for p in answer.json()["errors"]}
    assert sorted(found) == ["effective_from", "prices", "tiers[0].categories[1]"]
    assert "tablet" in found["prices"] and "toaster" in found["tiers[0].categories[1]"]
    assert client.get("/api/v1/pricing/grid/versions", headers=coordinator).json() == []


def test_a_grid_is_in_force_from_its_date_and_prices_the_next_grade(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    sold = refurbished(client, engine, bench)
    first = grade(client, bench, sold, KEYBOARD_A).json()
    assert (first["status"], first["price"]["cents"]) == ("available", 12000 + 2000 + 1000)
    later = shipped("default_grid.json") | {"effective_from": today_plus(30)}
    later["prices"]["laptop"]["A"] = 11000
    planned = client.put("/api/v1/pricing/grid", headers=coordinator, json=later)
    assert planned.status_code == 200, planned.text
    assert client.get("/api/v1/pricing/grid", headers=bench).json()["version"] == 0
    listed = client.get("/api/v1/pricing/grid/versions", headers=bench).json()
    assert [(v["version"], v["effective_from"]) for v in listed] == [(1, today_plus(30))]
    waiting = refurbished(client, engine, bench)
    preview = grade(client, bench, waiting, KEYBOARD_A, preview=True).json()
    assert (preview["price"]["cents"], preview["price"]["grid_version"]) == (15000, 0)

    now = shipped("default_grid.json") | {"effective_from": today_plus(0)}
    now["prices"]["laptop"]["A"] = 10500
    put = client.put(
        "/api/v1/pricing/grid", headers=coordinator, params={"note": "hiver"}, json=now
    )
    assert put.status_code == 200 and put.json()["version"] == 2
    in_force = client.get("/api/v1/pricing/grid", headers=bench).json()
    assert (in_force["version"], in_force["note"]) == (2, "hiver")
    assert in_force["document"]["prices"]["laptop"]["A"] == 10500
    assert device(engine, sold).price_cents == 15000  # already available: its price stays

    graded = grade(client, bench, waiting, KEYBOARD_A).json()
    assert (graded["price"]["cents"], graded["price"]["grid_version"]) == (13500, 2)
    assert device(engine, waiting).price_cents == 13500
    again = grade(client, bench, sold, KEYBOARD_A).json()
    assert again["status"] == "available" and device(engine, sold).price_cents == 13500


def test_a_reserved_device_is_not_graded_again(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench)
    assert grade(client, bench, code, KEYBOARD_A).json()["status"] == "available"
    with transaction(engine) as session:
        structure_id = make_structure(session)
        row = session.exec(select(Device).where(Device.code == code)).one()
        lifecycle.move(
            session, row, to=Status.RESERVED, actor="tests", fields={"structure_id": structure_id}
        )
    before = history(engine, code)
    answer = grade(client, bench, code, {"cosmetic": {"keyboard": "C"}})
    assert answer.status_code == 409 and answer.json()["code"] == "not_gradable"
    stored = device(engine, code)
    assert (stored.status, stored.grade, stored.price_cents) == ("reserved", "A", 15000)
    assert history(engine, code) == before


def test_a_grid_tier_with_a_negation_is_accepted_and_priced(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    grid = shipped("default_grid.json") | {"effective_from": today_plus(0)}
    grid["tiers"].append(
        {
            "id": "no_hard_disk",
            "categories": ["laptop"],
            "when": {"not": {"fact": "has_hdd", "op": "==", "value": True}},
            "add_cents": 500,
            "label": {"fr": "sans disque dur", "en": "no hard disk"},
        }
    )
    answer = client.put("/api/v1/pricing/grid", headers=coordinator | EN, json=grid)
    assert answer.status_code == 200, answer.text
    assert client.get("/api/v1/pricing/grid", headers=bench).json()["version"] == 1
    code = refurbished(client, engine, bench)  # its one disk is an NVMe SSD
    price = grade(client, bench, code, KEYBOARD_A).json()["price"]
    assert price["cents"] == 12000 + 2000 + 1000 + 500
    assert [t["id"] for t in price["tiers"]] == ["ram_8", "ssd_240", "no_hard_disk"]


def test_a_retried_grade_is_applied_once(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench)
    keyed = bench | {"Idempotency-Key": "grade-1"}
    first = grade(client, keyed, code, KEYBOARD_A)
    second = grade(client, keyed, code, KEYBOARD_A)
    assert first.status_code == second.status_code == 200, second.text
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json() == first.json() and first.json()["decision_id"] is not None
    types = [t for t, _ in history(engine, code)]
    assert types.count("device.graded") == 1 and types[-1] == "device.made_available"
    other = grade(client, keyed, code, {"cosmetic": {"keyboard": "C"}})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert device(engine, code).grade == "A"


def test_a_grid_dated_before_the_one_in_force_is_refused(
    client: TestClient, coordinator: dict[str, str]
) -> None:
    """The newest date in force wins: a grid dated before it would never take effect."""
    now = shipped("default_grid.json") | {"effective_from": today_plus(0)}
    assert client.put("/api/v1/pricing/grid", headers=coordinator, json=now).status_code == 200
    earlier = shipped("default_grid.json") | {"effective_from": today_plus(-30)}
    refused = client.put("/api/v1/pricing/grid", headers=coordinator | EN, json=earlier)
    assert refused.status_code == 422 and refused.json()["code"] == "grid_before_in_force"
    assert today_plus(0) in refused.json()["detail"]
    versions = client.get("/api/v1/pricing/grid/versions", headers=coordinator).json()
    assert [v["version"] for v in versions] == [1]
