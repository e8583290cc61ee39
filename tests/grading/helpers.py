"""Devices taken through the bench with the real API, ready to grade."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.enums import Category
from tests.refurbish.test_runs_api import finish, labelled, start
from tests.refurbish.walking import erase_every_medium, fill

GIB = 2**30
LAPTOP_PROBE: dict[str, Any] = {
    "schema_version": 1,
    "source": "live",
    "system": {"vendor": "LENOVO", "product": "20L7002AFR"},
    "cpu": {"model": "Intel(R) Core(TM) i5-8350U CPU @ 1.70GHz", "cores": 8},
    "memory": {"total_bytes": 8 * GIB - 300 * 2**20},
    "disks": [
        {"name": "nvme0n1", "model": "SAMSUNG MZVLB256HAHQ", "serial": "S4DXNX0M123456",
         "size_bytes": 256_060_514_304, "kind": "nvme"}
    ],
    "batteries": [{"name": "BAT0", "health_percent": "88.10"}],
}  # fmt: skip


def probe(
    client: TestClient, headers: dict[str, str], code: str, body: dict[str, Any] | None = None
) -> None:
    answer = client.post(
        f"/api/v1/devices/{code}/snapshots", headers=headers, json=body or LAPTOP_PROBE
    )
    assert answer.status_code == 201, answer.text


def refurbished(
    client: TestClient,
    engine: Engine,
    headers: dict[str, str],
    category: Category = Category.LAPTOP,
    *,
    snapshot: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    erase: bool = True,
) -> str:
    """A device of `category` through a whole run to `refurbished`: probed (computers),
    its checklist filled (with `values` where given), its media erased."""
    code = labelled(engine, category)
    run = start(client, headers, code)
    if category in (Category.LAPTOP, Category.DESKTOP) or snapshot is not None:
        probe(client, headers, code, snapshot)
    fill(client, headers, run["id"], values={"battery_health": 90, **(values or {})})
    if erase:
        erase_every_medium(client, headers, code)
    if erase:
        done = finish(client, headers, run["id"], outcome="refurbished")
        assert done.status_code == 200, done.text
    return code


def grade(
    client: TestClient,
    headers: dict[str, str],
    code: str,
    body: dict[str, Any] | None = None,
    *,
    preview: bool = False,
) -> Any:
    url = f"/api/v1/devices/{code}/grade" + ("?preview=true" if preview else "")
    return client.post(url, headers=headers, json=body or {})
