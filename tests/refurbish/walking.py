"""Filling a run's checklist the way a volunteer would, step by step from what the run shows."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db import ledger
from db.engine import transaction
from db.models import Device


def history(engine: Engine, code: str) -> list[tuple[str, dict[str, Any]]]:
    """The device's ledger events as (type, payload), oldest first."""
    with transaction(engine, read_only=True) as session:
        found = session.exec(select(Device).where(Device.code == code)).one()
        return [(e.type, orjson.loads(e.payload)) for e in ledger.history(session, found.id or 0)]


def passing_value(step: dict[str, Any]) -> Any:
    """A value that passes `step` as GET /runs/{id} describes it."""
    kind = step["kind"]
    if kind == "yes_no":
        return True
    if kind == "measure":
        low = step["min"] if step["min"] is not None else 0
        high = step["max"] if step["max"] is not None else low + 10
        return int((low + high) / 2)
    if kind == "choice":
        return next(o["key"] for o in step["options"] if o["passes"])
    if kind == "note":
        return "Android 13" if step["key"] == "os_version" else "RAS"
    return None  # photos stay optional


def fill(
    client: TestClient,
    headers: dict[str, str],
    run_id: int,
    *,
    skip: frozenset[str] = frozenset(),
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record every step but `skip`, with `values` where given; returns the run."""
    values = values or {}
    run = client.get(f"/api/v1/runs/{run_id}", headers=headers).json()
    for step in run["steps"]:
        if step["key"] in skip:
            continue
        value = values.get(step["key"], passing_value(step))
        if value is None:
            continue
        answer = client.put(
            f"/api/v1/runs/{run_id}/steps/{step['key']}", headers=headers, json={"value": value}
        )
        assert answer.status_code == 200, answer.text
    return client.get(f"/api/v1/runs/{run_id}", headers=headers).json()


def erase_every_medium(client: TestClient, headers: dict[str, str], code: str) -> list[int]:
    """Record a passed, verified erasure of each medium of the device (a disk entered by
    hand first if the device has none, as a laptop that was never probed); returns the
    records' ids."""
    media = client.get(f"/api/v1/devices/{code}/media", headers=headers).json()
    if not media:
        disk = {"type": "ssd", "manufacturer": "Samsung", "model": "SSD 860 EVO 250GB"}
        added = client.post(f"/api/v1/devices/{code}/media", headers=headers, json=disk)
        assert added.status_code == 201, added.text
        media = [added.json()]
    records = []
    for medium in media:
        internal = medium["type"] == "internal"
        body = {
            "medium_id": medium["id"],
            "level": "purge" if internal else "clear",
            "method": "crypto_erase" if internal else "overwrite",
            "pattern": None if internal else "zero",
            "passes": None if internal else 1,
            "tool": "Android" if internal else "nwipe",
            "verification": {"method": "sampled" if internal else "full", "passed": True},
        }
        answer = client.post(f"/api/v1/devices/{code}/erasures", headers=headers, json=body)
        assert answer.status_code == 201, answer.text
        records.append(answer.json()["id"])
    return records
