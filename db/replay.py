"""Rebuild device rows from the ledger alone and compare them with the tables.

The ledger is the record; the `device` table is a projection of it. Replaying every
device event's `changes` in sequence order must give back each device's row field
for field. A difference means a row was changed without its event (a bug, or a
hand edit): `remise ledger replay` lists them, and `--repair` sets the rows back
to what the ledger says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text, update
from sqlmodel import Session, col, select

from db import catalog
from db.events import PROJECTED_FIELDS
from db.lifecycle import state_of
from db.models import Device

_EVENTS = text(
    "SELECT device_id, payload FROM ledger_event WHERE device_id IS NOT NULL ORDER BY seq"
)
_DEFAULTS: dict[str, Any] = {name: None for name in PROJECTED_FIELDS} | {"attributes": {}}


@dataclass(frozen=True)
class Difference:
    device_id: int
    code: str
    field: str
    table: Any
    ledger: Any


def project(session: Session) -> dict[int, dict[str, Any]]:
    """Every device's fields as its events leave them, keyed by device id."""
    states: dict[int, dict[str, Any]] = {}
    streamed = {"stream_results": True, "yield_per": 5000}
    for device_id, payload in session.connection().execute(_EVENTS, execution_options=streamed):
        state = states.setdefault(device_id, dict(_DEFAULTS))
        for name, (_before, after) in orjson.loads(payload).get("changes", {}).items():
            state[name] = after
    return states


def _devices(session: Session) -> Iterator[Device]:
    yield from session.exec(
        select(Device).order_by(col(Device.id)).execution_options(yield_per=5000)
    )


def differences(session: Session) -> list[Difference]:
    """Every field where a device row and its replayed events disagree."""
    projected = project(session)
    found: list[Difference] = []
    for device in _devices(session):
        assert device.id is not None
        expected = projected.pop(device.id, None)
        if expected is None:
            found.append(Difference(device.id, device.code, "*", "present", "no event"))
            continue
        actual = state_of(device)
        found.extend(
            Difference(device.id, device.code, name, actual[name], expected[name])
            for name in PROJECTED_FIELDS
            if actual[name] != expected[name]
        )
    found.extend(
        Difference(device_id, state.get("code") or "?", "*", "missing", "has events")
        for device_id, state in projected.items()
    )
    return found


def repair(session: Session, found: list[Difference]) -> int:
    """Set each differing field back to the ledger's value, then draw the catalogue again
    from the devices as they now are; returns the rows changed."""
    fixes: dict[int, dict[str, Any]] = {}
    for diff in found:
        if diff.field != "*":
            fixes.setdefault(diff.device_id, {})[diff.field] = diff.ledger
    for device_id, values in fixes.items():
        session.execute(update(Device).where(col(Device.id) == device_id).values(**values))
    if fixes:
        catalog.rebuild(session)
    return len(fixes)
