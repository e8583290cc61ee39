"""What the bench measured of a device, read from the ledger as every stage reads another
stage's results: the checklist of the run that made it `refurbished` (that run's
`run.step_recorded` events, each step's newest value and state) and the measures of its
newest probe (`device.probed`'s `measured`; for a device probed before the event carried
them, the specs the probe filled in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from db import ledger
from db.events import EventType
from db.models import Device


@dataclass(frozen=True)
class BenchInputs:
    run_id: int | None
    steps: dict[str, Any]  # key → its newest value in that run
    failed: list[str]  # the steps whose newest answer failed
    probe: dict[str, Any] | None


def bench_inputs(session: Session, device: Device) -> BenchInputs:
    """The checklist of the run that made `device` refurbished, and its newest probe."""
    events = ledger.history(session, device.id or 0)
    run_id = None
    for event in reversed(events):
        if event.type == EventType.DEVICE_REFURBISHED:
            run_id = ledger.payload_of(event).get("run_id")
            break
    steps: dict[str, Any] = {}
    states: dict[str, str] = {}
    probe: dict[str, Any] | None = None
    for event in events:
        if event.type == EventType.RUN_STEP_RECORDED and run_id is not None:
            payload = ledger.payload_of(event)
            if payload.get("run_id") == run_id:
                key = payload["step"]
                steps[key] = (payload.get("value") or [None, None])[-1]
                states[key] = payload.get("state", "")
        elif event.type == EventType.DEVICE_PROBED:
            probe = ledger.payload_of(event).get("measured") or probe
    if probe is None:  # probed before the probe's measures came with its event: the specs
        specs = (device.attributes or {}).get("specs") or {}
        probe = _from_specs(specs) if specs else None
    failed = sorted(key for key, state in states.items() if state == "failed")
    return BenchInputs(run_id, steps, failed, probe)


def _from_specs(specs: dict[str, Any]) -> dict[str, Any]:
    return {
        "cpu": {"model": specs.get("cpu")},
        "memory": {"total_bytes": specs.get("ram_bytes")},
        "disks": [
            {"kind": d.get("kind"), "size_bytes": d.get("bytes")} for d in specs.get("disks") or []
        ],
        "batteries": [{"health_percent": specs.get("battery_health_percent")}]
        if specs.get("battery_health_percent")
        else [],
    }
