"""Storage media and erasure records through the HTTP API, on SQLite and PostgreSQL.

A laptop probed from a real recording (two disks) and a phone go to `refurbished` only
once each medium has a passed, verified erasure record; every refusal says which medium
and why; each change is a ledger event that replay and verification accept.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db import codes
from db.enums import Category, Role
from refurbish.hardware import probe
from tests.factories import auth, make_token
from tests.refurbish.corpus import FACTS, ROOT, needs_corpus
from tests.refurbish.test_runs_api import (
    assert_ledger_sound,
    device,
    finish,
    labelled,
    start,
)
from tests.refurbish.walking import erase_every_medium, fill, history


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.COORDINATOR))


TWO_DISKS = ROOT / "udevadm-export-db" / "CAPTURE_METADATA.txt"
SERIALS = {disk["serial"] for disk in FACTS[TWO_DISKS.name]["disks"]}


def probed_laptop(client: TestClient, engine: Engine, headers: dict[str, str]) -> tuple[str, int]:
    """A laptop with a run in progress, probed from a real two-disk recording."""
    code = labelled(engine, Category.LAPTOP)
    run = start(client, headers, code)
    with TWO_DISKS.open(encoding="utf-8", errors="replace") as lines:
        body = probe.from_dump(lines).model_dump(mode="json")
    sent = client.post(f"/api/v1/devices/{code}/snapshots", headers=headers, json=body)
    assert sent.status_code == 201, sent.text
    return code, run["id"]


def zero_fill(medium_id: int, passed: bool = True, **more: Any) -> dict[str, Any]:
    return {
        "medium_id": medium_id,
        "level": "clear",
        "method": "overwrite",
        "pattern": "zero",
        "passes": 1,
        "tool": "nwipe",
        "tool_version": "0.33",
        "started_at": "2026-12-02T10:00:00",
        "finished_at": "2026-12-02T10:41:12",
        "verification": {"method": "full", "passed": passed},
        **more,
    }


def post_erasure(client: TestClient, headers: dict[str, str], code: str, body: Any) -> Any:
    return client.post(f"/api/v1/devices/{code}/erasures", headers=headers, json=body)


@needs_corpus
def test_a_laptop_with_two_disks_is_refurbished_once_both_are_erased(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code, run_id = probed_laptop(client, engine, bench)
    media = client.get(f"/api/v1/devices/{code}/media", headers=bench).json()
    assert {m["serial"] for m in media} == SERIALS
    assert {m["source"] for m in media} == {"probe"} and {m["state"] for m in media} == {"missing"}
    assert {m["type"] for m in media} == {"hdd", "nvme"}
    fill(client, bench, run_id)
    run = client.get(f"/api/v1/runs/{run_id}", headers=bench).json()
    assert run["blocking"] == []
    assert {e["medium_id"] for e in run["erasure"]} == {m["id"] for m in media}
    assert all(e["state"] == "missing" and "S/N" in e["reason"] for e in run["erasure"])

    refused = finish(client, bench, run_id, outcome="refurbished")
    assert refused.status_code == 409
    assert all(serial in refused.json()["detail"] for serial in SERIALS)
    first, second = media
    assert post_erasure(client, bench, code, zero_fill(first["id"])).status_code == 201
    still = finish(client, bench, run_id, outcome="refurbished")
    assert still.status_code == 409 and second["serial"] in still.json()["detail"]
    assert first["serial"] not in still.json()["detail"]
    assert post_erasure(client, bench, code, zero_fill(second["id"])).status_code == 201
    assert finish(client, bench, run_id, outcome="refurbished").status_code == 200

    listed = client.get(f"/api/v1/devices/{code}/erasures", headers=bench).json()
    assert [len(m["erasures"]) for m in listed] == [1, 1]
    record = listed[0]["erasures"][0]
    assert record["run_id"] == run_id and record["passed"] and record["operator"]
    events = history(engine, code)
    recorded = [p for t, p in events if t == "device.erasure_recorded"]
    assert [p["medium"]["serial"] for p in recorded] == [first["serial"], second["serial"]]
    assert [t for t, _ in events].count("device.medium_added") == 2
    assert_ledger_sound(engine)


def test_a_phone_gets_its_internal_storage_as_a_medium(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = labelled(engine, Category.SMARTPHONE, model="Galaxy A52")
    run = start(client, bench, code)
    [medium] = client.get(f"/api/v1/devices/{code}/media", headers=bench).json()
    assert medium["type"] == "internal" and medium["model"] == "Galaxy A52"
    assert medium["source"] == "built_in"
    fill(client, bench, run["id"])
    assert finish(client, bench, run["id"], outcome="refurbished").status_code == 409
    reset = {
        "medium_id": medium["id"],
        "level": "purge",
        "method": "factory_reset",
        "tool": "Android 13 settings",
        "verification": {"method": "sampled", "passed": True},
        "comment": "chiffrement actif, réinitialisation depuis les paramètres",
    }
    assert post_erasure(client, bench, code, reset).status_code == 201
    assert finish(client, bench, run["id"], outcome="refurbished").status_code == 200


def test_a_laptop_nobody_probed_is_not_erased(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = labelled(engine, Category.LAPTOP)
    run = start(client, bench, code)
    fill(client, bench, run["id"])
    view = client.get(f"/api/v1/runs/{run['id']}", headers=bench).json()
    assert [e["state"] for e in view["erasure"]] == ["no_medium"]
    refused = finish(client, bench, run["id"], outcome="refurbished")
    assert refused.status_code == 409 and "sondez" in refused.json()["detail"]
    erase_every_medium(client, bench, code)
    assert finish(client, bench, run["id"], outcome="refurbished").status_code == 200


def test_a_disk_entered_inline_with_its_erasure(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = labelled(engine, Category.DESKTOP)
    disk = {
        "type": "ssd",
        "manufacturer": "Samsung",
        "model": "SSD 860 EVO 250GB",
        "serial": "S3Z1NB0K123456A",
        "size_bytes": 250059350016,
    }
    body = zero_fill(0, medium=disk)
    del body["medium_id"]
    answer = post_erasure(client, bench, code, body)
    assert answer.status_code == 201, answer.text
    [medium] = client.get(f"/api/v1/devices/{code}/media", headers=bench).json()
    assert medium["serial"] == "S3Z1NB0K123456A" and medium["size_bytes"] == 250059350016
    assert medium["state"] == "erased" and answer.json()["medium_id"] == medium["id"]
    again = client.post(f"/api/v1/devices/{code}/media", headers=bench, json=disk)
    assert again.status_code == 409 and str(medium["id"]) in again.json()["detail"]


def test_a_failed_verification_blocks_until_erased_again(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code, run_id = probed_laptop(client, engine, bench)
    media = client.get(f"/api/v1/devices/{code}/media", headers=bench).json()
    fill(client, bench, run_id)
    failed = post_erasure(client, bench, code, zero_fill(media[0]["id"], passed=False))
    assert failed.status_code == 201 and failed.json()["passed"] is False
    post_erasure(client, bench, code, zero_fill(media[1]["id"]))
    view = client.get(f"/api/v1/runs/{run_id}", headers=bench).json()
    assert [(e["medium_id"], e["state"]) for e in view["erasure"]] == [(media[0]["id"], "failed")]
    assert finish(client, bench, run_id, outcome="refurbished").status_code == 409
    again = post_erasure(client, bench, code, zero_fill(media[0]["id"]))
    assert again.status_code == 201
    assert finish(client, bench, run_id, outcome="refurbished").status_code == 200
    listed = client.get(f"/api/v1/devices/{code}/erasures", headers=bench).json()
    assert [e["passed"] for e in listed[0]["erasures"]] == [True, False]  # newest first


def test_a_destroyed_disk_needs_a_replacement_with_its_own_record(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = labelled(engine, Category.LAPTOP)
    run = start(client, bench, code)
    fill(client, bench, run["id"])
    erase_every_medium(client, bench, code)  # a disk entered by hand, then erased
    [old] = client.get(f"/api/v1/devices/{code}/media", headers=bench).json()
    shred = {
        "medium_id": old["id"],
        "level": "destroy",
        "method": "shred",
        "tool": "broyeur du partenaire DEEE",
        "verification": {"method": "none"},
    }
    assert post_erasure(client, bench, code, shred).status_code == 201
    view = client.get(f"/api/v1/runs/{run['id']}", headers=bench).json()
    assert [e["state"] for e in view["erasure"]] == ["needs_replacement"]
    assert finish(client, bench, run["id"], outcome="refurbished").status_code == 409
    new_disk = {
        "part": "ssd",
        "removed": "SSD détruit",
        "fitted": "Crucial MX500 250 Go",
        "medium": {
            "type": "ssd",
            "manufacturer": "Crucial",
            "model": "CT250MX500SSD1",
            "serial": "2034E4A1B2C3",
            "size_bytes": 250059350016,
        },
    }
    fitted = client.post(f"/api/v1/runs/{run['id']}/parts", headers=bench, json=new_disk)
    assert fitted.status_code == 201, fitted.text
    media = client.get(f"/api/v1/devices/{code}/media", headers=bench).json()
    assert [(m["state"], m["replaces_id"]) for m in media] == [
        ("destroyed", None),
        ("missing", old["id"]),
    ]
    assert finish(client, bench, run["id"], outcome="refurbished").status_code == 409
    assert post_erasure(client, bench, code, zero_fill(media[1]["id"])).status_code == 201
    assert finish(client, bench, run["id"], outcome="refurbished").status_code == 200
    assert_ledger_sound(engine)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"level": "purge"}, "level", "overwrite"),
        ({"level": "destroy", "method": "factory_reset"}, "level", "factory_reset"),
        ({"verification": {"method": "full"}}, "verification", "passed"),
        ({"verification": {"method": "none", "passed": True}}, "verification", "none"),
        ({"finished_at": "2026-12-02T09:00:00"}, "finished_at", "before"),
        ({"started_at": "hier"}, "started_at", "2026-12-02T14:30:00"),
        ({"medium_id": None}, None, "medium_id"),
        ({"passes": 0}, "passes", "1"),
        ({"errors": ["x" * 501]}, None, "500"),
        ({"method": "degauss"}, "method", "overwrite"),
    ],
)
def test_a_bad_record_is_refused_naming_the_field(
    client: TestClient,
    engine: Engine,
    bench: dict[str, str],
    change: dict[str, Any],
    field: str | None,
    words: str,
) -> None:
    code = labelled(engine, Category.DESKTOP)
    medium = client.post(
        f"/api/v1/devices/{code}/media", headers=bench, json={"type": "hdd", "serial": "WD-1"}
    ).json()
    answer = post_erasure(client, bench, code, {**zero_fill(medium["id"]), **change})
    assert answer.status_code == 422, answer.text
    assert words in answer.text
    if field:
        assert any(field in str(e.get("field", "")) for e in answer.json()["errors"])
    assert client.get(f"/api/v1/devices/{code}/erasures", headers=bench).json()[0]["erasures"] == []


def test_a_medium_of_another_device_is_not_found(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    mine, theirs = labelled(engine, Category.DESKTOP), labelled(engine, Category.DESKTOP)
    medium = client.post(
        f"/api/v1/devices/{theirs}/media", headers=bench, json={"type": "hdd", "serial": "Z1"}
    ).json()
    answer = post_erasure(client, bench, mine, zero_fill(medium["id"]))
    assert answer.status_code == 404 and answer.json()["code"] == "medium_not_found"
    unknown = "ABCD-EFG" + codes.check_symbol("ABCDEFG")
    assert client.get(f"/api/v1/devices/{unknown}/media", headers=bench).status_code == 404


def test_a_retried_record_is_recorded_once(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = labelled(engine, Category.DESKTOP)
    medium = client.post(
        f"/api/v1/devices/{code}/media", headers=bench, json={"type": "hdd", "serial": "R1"}
    ).json()
    headers = {**bench, "Idempotency-Key": "erase-r1-once"}
    first = post_erasure(client, headers, code, zero_fill(medium["id"]))
    second = post_erasure(client, headers, code, zero_fill(medium["id"]))
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    listed = client.get(f"/api/v1/devices/{code}/erasures", headers=bench).json()
    assert len(listed[0]["erasures"]) == 1


def test_a_checklist_may_not_bring_back_the_yes_no_erasure_step(
    client: TestClient, coordinator: dict[str, str]
) -> None:
    current = client.get("/api/v1/checklists/laptop", headers=coordinator).json()
    assert "data_erasure" not in {s["key"] for s in current["steps"]}
    steps = [
        *current["steps"],
        {
            "key": "data_erasure",
            "kind": "yes_no",
            "label": {"fr": "Données effacées", "en": "Data erased"},
        },
    ]
    answer = client.put("/api/v1/checklists/laptop", headers=coordinator, json={"steps": steps})
    assert answer.status_code == 422 and "support de stockage" in answer.json()["detail"]


def test_a_structure_cannot_see_media(client: TestClient, engine: Engine) -> None:
    code = labelled(engine, Category.DESKTOP)
    structure = auth(make_token(engine, role=Role.STRUCTURE, structure="Mission locale"))
    assert client.get(f"/api/v1/devices/{code}/media", headers=structure).status_code == 403
    assert device(engine, code).status == "labelled"
