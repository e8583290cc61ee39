"""Demo devices at the bench: the refurbishment runs that their statuses imply.

A demo device that reached in_refurbishment or beyond got there through a real run
(`refurbish.service`): steps recorded with passing values, a part replaced on some,
and the run finished with its outcome, so that its history reads like a real one.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from db import devices
from db.enums import Status
from db.media import Level, MediumType, Method, Verification, media_of
from db.models import Device
from refurbish import checklists, probing, service
from refurbish.erasure import service as erasure
from refurbish.erasure.models import ErasureIn, MediumIn, VerificationIn
from refurbish.hardware.snapshot import Snapshot
from refurbish.models import HarvestedPartIn, PartReplaced, RunFinish
from remise.auth import Actor

STARTED_STEPS = 5  # a run in progress: the first steps done, the rest to do
OUTCOMES = {Status.REFURBISHED: "refurbished", Status.PARTS: "parts", Status.RECYCLED: "recycled"}
HARVEST = [
    HarvestedPartIn(kind="ram", description="4 Go DDR4 2400"),
    HarvestedPartIn(kind="screen", description="Dalle 15,6 pouces HD"),
]


def passing(step: checklists.Step) -> Any:
    """A value that passes `step` (None for a photo, which the demo leaves out)."""
    if step.kind == checklists.Kind.YES_NO:
        return True
    if step.kind == checklists.Kind.MEASURE:
        return int(step.max if step.max is not None else (step.min or 0) + 10)
    if step.kind == checklists.Kind.CHOICE:
        return next(o.key for o in step.options if o.passes)
    if step.kind == checklists.Kind.NOTE:
        return "Android 13" if step.key == "os_version" else "RAS"
    return None


def _record(
    session: Session,
    actor: Actor,
    run_id: int,
    steps: list[checklists.Step],
    values: dict[str, Any],
) -> None:
    for step in steps:
        value = values.get(step.key, passing(step))
        if value is not None:
            service.record_step(session, actor, run_id=run_id, key=step.key, value=value, note=None)


def run_through(
    session: Session,
    actor: Actor,
    code: str,
    target: Status,
    values: dict[str, Any] | None = None,
) -> Device:
    """Start a run on device `code`, probe it if it is a computer, record its steps as far
    as `target` needs (with `values` where given), and finish it if `target` is an
    outcome; returns the device as the session now holds it."""
    run_id = service.start_run(session, actor, code=code).id or 0
    device = devices.by_code(session, code)
    if device.category in COMPUTERS:
        probing.record_snapshot(session, actor, code=code, taken=demo_probe(device))
    _work(session, actor, device, run_id, target, values or {})
    return device


# What the bench station reads of a demo computer: an 8th-generation Core i5 with 8 GB
# of RAM and a 256 GB SSD (a laptop adds its battery), each disk with its own serial.
COMPUTERS = ("laptop", "desktop")


def demo_probe(device: Device) -> Snapshot:
    laptop = device.category == "laptop"
    return Snapshot.model_validate(
        {
            "source": "live",
            "system": {"vendor": device.brand, "product": device.model},
            "cpu": {"model": "Intel(R) Core(TM) i5-8350U CPU @ 1.70GHz", "cores": 8},
            "memory": {"total_bytes": 8 * 2**30 - 300 * 2**20},
            "disks": [
                {
                    "name": "nvme0n1" if laptop else "sda",
                    "model": "SAMSUNG MZVLB256HAHQ" if laptop else "Samsung SSD 860 EVO 250GB",
                    "serial": f"S4DXNX0M{device.id or 0:06d}",
                    "size_bytes": 256_060_514_304 if laptop else 250_059_350_016,
                    "kind": "nvme" if laptop else "ssd",
                }
            ],
            "batteries": [{"name": "BAT0", "health_percent": "83.40"}] if laptop else [],
        }
    )


def _work(
    session: Session,
    actor: Actor,
    device: Device,
    run_id: int,
    target: Status,
    values: dict[str, Any],
) -> None:
    steps = list(service.template_of_run(session, service.run(session, run_id)).steps)
    if target not in OUTCOMES:
        _record(session, actor, run_id, steps[:STARTED_STEPS], values)
        return
    if target == Status.REFURBISHED:
        _record(session, actor, run_id, steps, values)
        if device.category in ("smartphone", "tablet") and "battery_health" not in values:
            part = PartReplaced(part="battery", removed="d'origine, 71 %", fitted="neuve, 100 %")
            service.replace_part(session, actor, run_id=run_id, data=part)
        erase(session, actor, device)
    finish = RunFinish(
        outcome=OUTCOMES[target],
        parts=HARVEST if target == Status.PARTS else [],
        collector="Ecosystem (DEEE)" if target == Status.RECYCLED else None,
    )
    service.finish_run(session, actor, run_id=run_id, data=finish)


# A disk for the demo's computers, and how each kind of medium is erased at the bench.
DEMO_DISK = MediumIn(
    type=MediumType.SSD, manufacturer="Samsung", model="SSD 860 EVO 250GB", size_bytes=250059350016
)


def erase(session: Session, actor: Actor, device: Device) -> None:
    """Erase each medium of the device the way the bench does: nwipe's zero fill verified
    by reading it back for a disk, a factory reset of the encrypted storage for a phone."""
    media = list(media_of(session, device.id or 0))
    if not media:
        serial = f"S3Z1NB0K{device.id or 0:06d}A"
        disk = DEMO_DISK.model_copy(update={"serial": serial})
        media = [erasure.add_medium(session, actor, device, disk, source="probe")]
    for medium in media:
        if medium.type == MediumType.INTERNAL:
            done = ErasureIn(
                medium_id=medium.id,
                level=Level.PURGE,
                method=Method.FACTORY_RESET,
                tool="réinitialisation du système (stockage chiffré)",
                verification=VerificationIn(method=Verification.SAMPLED, passed=True),
            )
        else:
            done = ErasureIn(
                medium_id=medium.id,
                level=Level.CLEAR,
                method=Method.OVERWRITE,
                pattern="zero",
                passes=1,
                tool="nwipe",
                tool_version="0.33",
                verification=VerificationIn(method=Verification.FULL, passed=True),
            )
        erasure.record_erasure(session, actor, code=device.code, data=done, device=device)
