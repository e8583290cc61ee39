"""Snapshots sent to the API: stored with the run, filling what intake left empty, and
flagging what differs, never overwriting it; a coordinator resolves each flag."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db import ledger, replay
from db.engine import transaction
from db.enums import Category, Role, Status
from db.models import Device
from refurbish.hardware import probe
from tests.factories import auth, make_device, make_token
from tests.refurbish.corpus import DUMPS, needs_corpus
from tests.refurbish.walking import history


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.COORDINATOR))


def device_in_bench(engine: Engine, **fields: Any) -> str:
    with transaction(engine) as session:
        return make_device(session, status=Status.LABELLED, **fields).code


def snapshot(**parts: Any) -> dict[str, Any]:
    return {"schema_version": 1, "source": "live", **parts}


def stored(engine: Engine, code: str) -> Device:
    with transaction(engine, read_only=True) as session:
        return session.exec(select(Device).where(Device.code == code)).one()


def test_a_matching_snapshot_fills_the_specs_and_flags_nothing(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = device_in_bench(engine, brand=None, model=None, serial=None)
    run = client.post(f"/api/v1/devices/{code}/runs", headers=bench, json={}).json()
    body = snapshot(
        system={"vendor": "LENOVO", "product": "20L7002AFR", "serial": "PF1ABC23"},
        cpu={"model": "Intel(R) Core(TM) i5-8350U", "cores": 8},
        memory={"total_bytes": 8 * 2**30},
        disks=[{"name": "nvme0n1", "model": "SAMSUNG MZVLB256", "size_bytes": 256_060_514_304,
                "kind": "nvme"}],
        batteries=[{"name": "BAT0", "health_percent": "88.10"}],
    )  # fmt: skip
    answer = client.post(f"/api/v1/devices/{code}/snapshots", headers=bench, json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["flags"] == [] and answer.json()["run_id"] == run["id"]
    assert answer.json()["filled"] == ["attributes", "brand", "model", "serial"]
    device = stored(engine, code)
    assert (device.brand, device.model, device.serial) == ("LENOVO", "20L7002AFR", "PF1ABC23")
    specs = device.attributes["specs"]
    assert specs["ram_bytes"] == 8 * 2**30 and specs["battery_health_percent"] == "88.10"
    assert specs["disks"][0]["bytes"] == 256_060_514_304
    types = [t for t, _ in history(engine, code)]
    assert types[-3:] == ["device.probed", "device.updated", "device.medium_added"]


def test_mismatches_are_flagged_not_overwritten_then_resolved(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    code = device_in_bench(
        engine, serial="PF1ABC23", attributes={"Disque": "1 To", "specs": {"cpu": "i5-8350U"}}
    )
    body = snapshot(
        system={"vendor": "LENOVO", "product": "20L7002AFR", "serial": "PF9ZZZ99"},
        cpu={"model": "Intel(R) Core(TM) i3-7100U", "cores": 4},
        disks=[{"name": "sda", "size_bytes": 500_107_862_016, "kind": "hdd"},
               {"name": "sdb", "size_bytes": 2_000_000_000_000, "removable": True}],
        batteries=[{"name": "BAT0", "health_percent": "54.20"}],
    )  # fmt: skip
    answer = client.post(f"/api/v1/devices/{code}/snapshots", headers=bench, json=body)
    flags = {f["kind"]: f for f in answer.json()["flags"]}
    assert set(flags) == {"serial_mismatch", "disk_smaller", "battery_low"}
    assert flags["serial_mismatch"]["expected"] == "PF1ABC23"
    assert "PF9ZZZ99" in flags["serial_mismatch"]["message"]
    assert (
        "54.20 %" in flags["battery_low"]["message"] and "60 %" in flags["battery_low"]["message"]
    )
    device = stored(engine, code)
    assert device.serial == "PF1ABC23"  # never silently overwritten
    assert device.attributes["specs"]["cpu"] == "i5-8350U"  # intake's value kept
    flagged = [p for t, p in history(engine, code) if t == "device.flagged"]
    assert sorted(p["kind"] for p in flagged) == sorted(flags)
    listed = client.get(f"/api/v1/devices/{code}/flags?open_only=true", headers=bench).json()
    assert len(listed) == 3
    flag_id = flags["battery_low"]["id"]
    by_bench = client.post(
        f"/api/v1/flags/{flag_id}/resolve", headers=bench, json={"comment": "ok"}
    )
    assert by_bench.status_code == 403
    comment = {"comment": "Batterie neuve commandée, à poser avant le classement"}
    resolved = client.post(f"/api/v1/flags/{flag_id}/resolve", headers=coordinator, json=comment)
    assert resolved.status_code == 200 and resolved.json()["open"] is False
    again = client.post(f"/api/v1/flags/{flag_id}/resolve", headers=coordinator, json=comment)
    assert again.status_code == 409 and again.json()["code"] == "flag_already_resolved"
    assert history(engine, code)[-1][0] == "device.flag_resolved"
    assert (
        len(client.get(f"/api/v1/devices/{code}/flags?open_only=true", headers=bench).json()) == 2
    )
    missing = client.post("/api/v1/flags/9999/resolve", headers=coordinator, json=comment)
    assert missing.status_code == 404
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok and replay.differences(session) == []


def test_a_phone_battery_has_a_higher_bar(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = device_in_bench(engine, category=Category.SMARTPHONE)
    body = snapshot(batteries=[{"name": "battery", "health_percent": "76.89"}])
    answer = client.post(f"/api/v1/devices/{code}/snapshots", headers=bench, json=body)
    [flag] = answer.json()["flags"]
    assert flag["kind"] == "battery_low" and flag["expected"] == "80"


def test_bad_snapshots_are_refused(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = device_in_bench(engine)
    bad = client.post(
        f"/api/v1/devices/{code}/snapshots", headers=bench, json={"disks": [{"size_bytes": "x"}]}
    )
    assert bad.status_code == 422
    unknown = client.post("/api/v1/devices/AAAA-AAAB/snapshots", headers=bench, json=snapshot())
    assert unknown.status_code == 422
    structure = auth(make_token(engine, role=Role.STRUCTURE, structure="Centre social"))
    forbidden = client.post(f"/api/v1/devices/{code}/snapshots", headers=structure, json=snapshot())
    assert forbidden.status_code == 403


@needs_corpus
def test_a_corpus_machine_round_trips_through_the_api(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    dell = next(d for d in DUMPS if d.name == "DELL_XPS1340.txt")
    with dell.open(encoding="utf-8", errors="replace") as lines:
        taken = probe.from_dump(lines)
    code = device_in_bench(engine, serial=None, attributes={"Disque dur": "500 Go"})
    answer = client.post(
        f"/api/v1/devices/{code}/snapshots", headers=bench, json=taken.model_dump(mode="json")
    )
    assert answer.status_code == 201 and answer.json()["flags"] == []  # 76.89 % ≥ 60 %
    kept = client.get(f"/api/v1/devices/{code}/snapshots", headers=bench).json()
    assert kept[0]["body"]["batteries"][0]["health_percent"] == "76.89"


def test_an_overlong_identifier_is_not_copied_into_the_device(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = device_in_bench(engine, serial=None)
    body = snapshot(system={"vendor": "LENOVO", "serial": "S" * 300})
    answer = client.post(f"/api/v1/devices/{code}/snapshots", headers=bench, json=body)
    assert answer.status_code == 201 and "serial" not in answer.json()["filled"]
    assert stored(engine, code).serial is None and stored(engine, code).brand == "Lenovo"
