"""Refurbishment runs through the HTTP API, on SQLite and PostgreSQL, ledger checked."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import select

from db import ledger, replay
from db.engine import transaction
from db.enums import Category, Role, Status
from db.models import Device
from tests.factories import auth, make_device, make_structure, make_token
from tests.refurbish.walking import erase_every_medium, fill, history


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.COORDINATOR))


def labelled(engine: Engine, category: Category = Category.LAPTOP, **fields: Any) -> str:
    with transaction(engine) as session:
        return make_device(session, status=Status.LABELLED, category=category, **fields).code


def start(client: TestClient, headers: dict[str, str], code: str, **body: Any) -> dict[str, Any]:
    answer = client.post(f"/api/v1/devices/{code}/runs", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def finish(client: TestClient, headers: dict[str, str], run_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/runs/{run_id}/finish", headers=headers, json=body)


def device(engine: Engine, code: str) -> Device:
    with transaction(engine, read_only=True) as session:
        return session.exec(select(Device).where(Device.code == code)).one()


def assert_ledger_sound(engine: Engine) -> None:
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok
        assert replay.differences(session) == []


@pytest.mark.parametrize("category", [Category.LAPTOP, Category.SMARTPHONE])
def test_a_volunteer_takes_a_device_to_refurbished(
    client: TestClient, engine: Engine, bench: dict[str, str], category: Category
) -> None:
    code = labelled(engine, category)
    run = start(client, bench, code)
    assert device(engine, code).status == Status.IN_REFURBISHMENT
    assert run["checklist_version"] == 1 and run["open"] and run["blocking"]
    assert {s["state"] for s in run["steps"]} == {"missing"}
    done = fill(client, bench, run["id"])
    assert done["blocking"] == []
    erase_every_medium(client, bench, code)
    answer = finish(client, bench, run["id"], outcome="refurbished")
    assert answer.status_code == 200 and answer.json()["outcome"] == "refurbished"
    assert device(engine, code).status == Status.REFURBISHED
    events = history(engine, code)
    types = [t for t, _ in events]
    assert types[:3] == ["device.received", "device.labelled", "device.refurbishment_started"]
    assert types[-1] == "device.refurbished"
    recorded = [p for t, p in events if t == "run.step_recorded"]
    assert len(recorded) == len([s for s in done["steps"] if s["value"] is not None])
    assert all(p["run_id"] == run["id"] and p["value"][0] is None for p in recorded)
    assert events[2][1]["run_id"] == run["id"] and events[2][1]["checklist_version"] == 1
    assert_ledger_sound(engine)


def test_refurbished_is_refused_while_steps_block_it(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = labelled(engine)
    run = start(client, bench, code)
    fill(client, bench, run["id"], skip=frozenset({"wifi"}), values={"keyboard": False})
    client.put(f"/api/v1/runs/{run['id']}/steps/battery_health", headers=bench, json={"value": 120})
    refused = finish(client, bench, run["id"], outcome="refurbished")
    assert refused.status_code == 409 and refused.json()["code"] == "run_blocked"
    blocking = {b["key"]: b for b in refused.json()["blocking"]}
    assert set(blocking) == {"keyboard", "wifi", "battery_health"}
    assert blocking["wifi"]["state"] == "missing" and blocking["keyboard"]["state"] == "failed"
    detail = refused.json()["detail"]
    assert "Santé de la batterie (120 %, hors de 0–100)" in detail and "Wi-Fi (pas fait)" in detail
    english = finish(client, {**bench, "Accept-Language": "en"}, run["id"], outcome="refurbished")
    assert "Battery health (120 %, outside 0–100)" in english.json()["detail"]
    assert device(engine, code).status == Status.IN_REFURBISHMENT
    # fixing them, with a re-recorded value each, unblocks it
    for key, value in (("keyboard", True), ("wifi", True), ("battery_health", 91)):
        client.put(f"/api/v1/runs/{run['id']}/steps/{key}", headers=bench, json={"value": value})
    erase_every_medium(client, bench, code)
    assert finish(client, bench, run["id"], outcome="refurbished").status_code == 200
    keyboard = [p for t, p in history(engine, code) if p.get("step") == "keyboard"]
    assert [p["value"] for p in keyboard] == [[None, False], [False, True]]


def test_an_optional_measure_out_of_range_blocks_too(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    steps = [
        {"key": "cleaning", "label": {"fr": "Nettoyage", "en": "Cleaning"}, "kind": "yes_no"},
        {
            "key": "noise",
            "label": {"fr": "Bruit du ventilateur", "en": "Fan noise"},
            "kind": "measure",
            "unit": "dB",
            "max": 45,
        },
    ]
    published = client.put("/api/v1/checklists/desktop", headers=coordinator, json={"steps": steps})
    assert published.status_code == 200 and published.json()["version"] == 2
    run = start(client, bench, labelled(engine, Category.DESKTOP))
    assert run["checklist_version"] == 2
    client.put(f"/api/v1/runs/{run['id']}/steps/noise", headers=bench, json={"value": 52})
    refused = finish(client, bench, run["id"], outcome="refurbished")
    assert [b["key"] for b in refused.json()["blocking"]] == ["noise"]


def test_a_run_keeps_its_checklist_version(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    old_run = start(client, bench, labelled(engine))
    v1 = client.get("/api/v1/checklists/laptop", headers=bench).json()
    steps = [s for s in v1["steps"] if s["key"] != "webcam"]
    steps.append(
        {
            "key": "bios_password",
            "label": {"fr": "Mot de passe BIOS retiré", "en": "BIOS password removed"},
            "kind": "yes_no",
            "required": True,
        }
    )
    v2 = client.put("/api/v1/checklists/laptop", headers=coordinator, json={"steps": steps})
    assert v2.json()["version"] == 2
    kept = client.get(f"/api/v1/runs/{old_run['id']}", headers=bench).json()
    keys = [s["key"] for s in kept["steps"]]
    assert kept["checklist_version"] == 1 and "webcam" in keys and "bios_password" not in keys
    refused = client.put(
        f"/api/v1/runs/{old_run['id']}/steps/bios_password", headers=bench, json={"value": True}
    )
    assert refused.status_code == 404 and refused.json()["code"] == "unknown_step"
    done = fill(client, bench, old_run["id"])
    erase_every_medium(client, bench, old_run["device_code"])
    assert finish(client, bench, done["id"], outcome="refurbished").status_code == 200
    new_run = start(client, bench, labelled(engine))
    assert new_run["checklist_version"] == 2
    assert "bios_password" in [s["key"] for s in new_run["steps"]]
    old = client.get("/api/v1/checklists/laptop?version=1", headers=bench).json()
    assert old["version"] == 1 and old["steps"] == v1["steps"]
    missing = client.get("/api/v1/checklists/laptop?version=9", headers=bench)
    assert missing.status_code == 404


def test_parts_and_recycled_outcomes(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    donor_code, broken_code = labelled(engine), labelled(engine, Category.BASIC_PHONE)
    run = start(client, bench, donor_code)
    empty = finish(client, bench, run["id"], outcome="parts")
    assert empty.status_code == 422 and empty.json()["code"] == "parts_required"
    parts = [
        {"kind": "ram", "description": "8 Go DDR4 2400"},
        {"kind": "ssd", "description": "256 Go"},
    ]
    unerased = finish(client, bench, run["id"], outcome="parts", parts=parts)
    assert unerased.status_code == 409 and unerased.json()["code"] == "disks_not_erased"
    erase_every_medium(client, bench, donor_code)  # an SSD sold on holds no donor's data
    done = finish(client, bench, run["id"], outcome="parts", parts=parts)
    assert done.status_code == 200 and device(engine, donor_code).status == Status.PARTS
    stock = client.get("/api/v1/parts", headers=bench).json()
    assert sorted(p["kind"] for p in stock) == ["ram", "ssd"]
    other = start(client, bench, broken_code)
    nobody = finish(client, bench, other["id"], outcome="recycled")
    assert nobody.status_code == 422 and nobody.json()["code"] == "collector_required"
    recycled = finish(client, bench, other["id"], outcome="recycled", collector="Ecosystem")
    assert recycled.status_code == 200 and device(engine, broken_code).status == Status.RECYCLED
    last_type, last = history(engine, broken_code)[-1]
    assert last_type == "device.recycled" and last["collector"] == "Ecosystem"
    assert history(engine, donor_code)[-1][1]["parts"][0]["kind"] == "ram"
    assert_ledger_sound(engine)


def test_parts_replaced_change_the_specs_with_before_and_after(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = labelled(engine, attributes={"specs": {"ram": "4 Go"}, "RAM d'origine": "4 Go"})
    run = start(client, bench, code)
    for part, fitted in (("ram", "8 Go DDR4"), ("battery", "Batterie neuve 45 Wh")):
        answer = client.post(
            f"/api/v1/runs/{run['id']}/parts",
            headers=bench,
            json={"part": part, "removed": "d'origine", "fitted": fitted},
        )
        assert answer.status_code == 201
    specs = device(engine, code).attributes["specs"]
    assert specs == {"ram": "8 Go DDR4", "battery": "Batterie neuve 45 Wh"}
    replaced = [p for t, p in history(engine, code) if t == "device.part_replaced"]
    before, after = replaced[0]["changes"]["attributes"]
    assert before["specs"] == {"ram": "4 Go"} and after["specs"] == {"ram": "8 Go DDR4"}
    assert [p["part"] for p in answer.json()["parts"]] == ["ram", "battery"]
    assert_ledger_sound(engine)


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("cleaning", "yes", "oui (true) ou non (false)"),
        ("battery_health", "beaucoup", "un nombre est attendu"),
        ("screen", "rayé", "l'une de ces valeurs est attendue : perfect, scratches, cracked"),
        ("notes", "   ", "un texte est attendu"),
    ],
)
def test_bad_values_are_refused_saying_what_the_step_expects(
    client: TestClient, engine: Engine, bench: dict[str, str], key: str, value: Any, says: str
) -> None:
    run = start(client, bench, labelled(engine))
    answer = client.put(
        f"/api/v1/runs/{run['id']}/steps/{key}", headers=bench, json={"value": value}
    )
    assert answer.status_code == 422 and answer.json()["code"] == "bad_step_value"
    assert says in answer.json()["detail"]


def test_refusals_on_starting_and_on_finished_runs(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = labelled(engine)
    run = start(client, bench, code)
    twice = client.post(f"/api/v1/devices/{code}/runs", headers=bench, json={})
    assert twice.status_code == 409 and twice.json()["code"] == "run_already_open"
    finish(client, bench, run["id"], outcome="recycled", collector="Ecologic")
    late = client.put(
        f"/api/v1/runs/{run['id']}/steps/cleaning", headers=bench, json={"value": True}
    )
    assert late.status_code == 409 and late.json()["code"] == "run_closed"
    assert "recyclé" in late.json()["detail"]
    with transaction(engine) as session:
        received = make_device(session).code
    too_early = client.post(f"/api/v1/devices/{received}/runs", headers=bench, json={})
    assert too_early.status_code == 409 and too_early.json()["code"] == "illegal_transition"
    assert client.get("/api/v1/runs/999", headers=bench).status_code == 404


def test_a_returned_device_comes_back_with_its_history(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    with transaction(engine) as session:
        structure = make_structure(session)
        code = make_device(session, status=Status.HANDED_OVER, structure_id=structure).code
    silent = client.post(f"/api/v1/devices/{code}/runs", headers=bench, json={})
    assert silent.status_code == 422 and silent.json()["code"] == "run_comment_required"
    run = start(client, bench, code, comment="L'écran clignote depuis une semaine")
    assert device(engine, code).status == Status.IN_REFURBISHMENT
    last_type, last = history(engine, code)[-1]
    assert last_type == "device.returned" and last["comment"].startswith("L'écran")
    assert last["run_id"] == run["id"]
    runs = client.get(f"/api/v1/devices/{code}/runs", headers=bench).json()
    assert [r["id"] for r in runs] == [run["id"]]


def test_structures_cannot_work_runs_and_only_coordinators_publish(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    structure = auth(make_token(engine, role=Role.STRUCTURE, structure="Centre social"))
    code = labelled(engine)
    assert (
        client.post(f"/api/v1/devices/{code}/runs", headers=structure, json={}).status_code == 403
    )
    steps = {"steps": [{"key": "x1", "label": {"fr": "x", "en": "x"}, "kind": "yes_no"}]}
    assert client.put("/api/v1/checklists/laptop", headers=bench, json=steps).status_code == 403


def test_a_retried_start_with_the_same_key_does_not_start_twice(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = labelled(engine)
    headers = {**bench, "Idempotency-Key": "bench-42-start"}
    first = client.post(f"/api/v1/devices/{code}/runs", headers=headers, json={})
    again = client.post(f"/api/v1/devices/{code}/runs", headers=headers, json={})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]


def test_photos_are_kept_and_checked(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    run = start(client, bench, labelled(engine))
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(image, format="JPEG")
    sent = client.post(
        f"/api/v1/runs/{run['id']}/photos",
        headers=bench,
        files={"file": ("rayure.jpg", image.getvalue(), "image/jpeg")},
    )
    assert sent.status_code == 201
    photo = sent.json()
    fetched = client.get(photo["url"], headers=bench)
    assert fetched.status_code == 200  # re-encoded: the same picture, not the same bytes
    assert Image.open(io.BytesIO(fetched.content)).size == (40, 30)
    step = client.put(
        f"/api/v1/runs/{run['id']}/steps/photo", headers=bench, json={"value": photo["photo"]}
    )
    assert step.status_code == 200 and step.json()["state"] == "recorded"
    junk = client.post(
        f"/api/v1/runs/{run['id']}/photos",
        headers=bench,
        files={"file": ("notes.txt", b"not a picture", "text/plain")},
    )
    assert junk.status_code == 422 and junk.json()["code"] == "bad_photo"


def test_reading_a_checklist_writes_nothing(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    with transaction(engine, read_only=True) as session:
        before = ledger.head(session)
    shown = client.get("/api/v1/checklists/tablet", headers=bench)
    assert shown.status_code == 200 and shown.json()["version"] == 1
    assert client.get("/api/v1/checklists/tablet?version=2", headers=bench).status_code == 404
    with transaction(engine, read_only=True) as session:
        assert ledger.head(session) == before
