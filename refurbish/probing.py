"""Snapshots from the bench: stored with the device's run, compared with intake, flagged.

Recording a snapshot appends `device.probed`; facts intake left empty are filled
(`device.updated`, with before and after); each mismatch is a `device.flagged`
event and an open flag, never an overwrite. A coordinator resolves a flag with a
comment (`device.flag_resolved`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from db import devices, lifecycle
from db.clock import now_iso
from db.errors import N_, Conflict, Message, NotFound
from db.events import EventType
from db.models import Device
from refurbish.erasure import service as erasure
from refurbish.hardware import compare
from refurbish.hardware.snapshot import Snapshot
from refurbish.models import DeviceFlag, DeviceSnapshot, RefurbishmentRun
from remise.auth import Actor


class FlagNotFound(NotFound):
    code = "flag_not_found"
    message = N_("No flag number %(id)s.")


class FlagResolved(Conflict):
    code = "flag_already_resolved"
    message = N_("Flag %(id)s was already resolved on %(when)s by %(who)s.")


def _open_run_id(session: Session, device_id: int) -> int | None:
    found = session.exec(
        select(RefurbishmentRun.id).where(
            col(RefurbishmentRun.device_id) == device_id, col(RefurbishmentRun.open)
        )
    ).first()
    return found


def _fields(device: Device) -> dict[str, Any]:
    return {
        "category": device.category,
        "brand": device.brand,
        "model": device.model,
        "serial": device.serial,
        "attributes": device.attributes or {},
    }


def record_snapshot(
    session: Session, actor: Actor, *, code: str, taken: Snapshot
) -> tuple[DeviceSnapshot, list[str], list[DeviceFlag]]:
    """Store the snapshot of device `code`, fill what intake left empty, flag mismatches."""
    device = devices.by_code(session, code)
    assert device.id is not None
    now, who = now_iso(), actor.ledger_name
    row = DeviceSnapshot(
        device_id=device.id,
        run_id=_open_run_id(session, device.id),
        source=taken.source[:20],
        body=taken.model_dump(mode="json"),
        taken_at=now,
        taken_by=who,
    )
    session.add(row)
    session.flush()
    summary = {
        "snapshot_id": row.id,
        "disks": len(taken.disks),
        "batteries": len(taken.batteries),
        "measured": compare.measured(taken),
    }
    lifecycle.record(session, device, actor=who, event=EventType.DEVICE_PROBED, extra=summary)
    current = _fields(device)
    fill = compare.filled(current, taken)
    if fill:
        lifecycle.change(session, device, actor=who, fields=fill, extra={"snapshot_id": row.id})
    raised = [_flag(session, device, row, flag, now, who) for flag in compare.flags(current, taken)]
    erasure.media_from_snapshot(session, actor, device, taken, row.id or 0)
    return row, sorted(fill), raised


def _flag(
    session: Session,
    device: Device,
    snapshot: DeviceSnapshot,
    flag: compare.Flag,
    now: str,
    who: str,
) -> DeviceFlag:
    row = DeviceFlag(
        device_id=device.id or 0,
        snapshot_id=snapshot.id or 0,
        run_id=snapshot.run_id,
        kind=flag.kind,
        expected=flag.expected[:200],
        found=flag.found[:200],
        created_at=now,
    )
    session.add(row)
    session.flush()
    extra = {"flag_id": row.id, "kind": flag.kind, "expected": row.expected, "found": row.found}
    lifecycle.record(session, device, actor=who, event=EventType.DEVICE_FLAGGED, extra=extra)
    return row


def message_of(flag: DeviceFlag) -> Message:
    """The flag's explanation, as a translatable message."""
    template = compare.MESSAGES[flag.kind]
    return Message(template, {"expected": flag.expected, "found": flag.found})


def resolve_flag(session: Session, actor: Actor, *, flag_id: int, comment: str) -> DeviceFlag:
    """Close a flag with what the coordinator found; FlagResolved if already closed."""
    flag = session.get(DeviceFlag, flag_id)
    if flag is None:
        raise FlagNotFound(id=flag_id)
    if not flag.open:
        raise FlagResolved(id=flag_id, when=flag.resolved_at, who=flag.resolved_by)
    flag.open, flag.resolution = False, comment.strip()
    flag.resolved_at, flag.resolved_by = now_iso(), actor.ledger_name
    session.add(flag)
    device = session.get(Device, flag.device_id)
    assert device is not None
    lifecycle.record(
        session,
        device,
        actor=actor.ledger_name,
        event=EventType.DEVICE_FLAG_RESOLVED,
        extra={"flag_id": flag_id, "kind": flag.kind, "comment": flag.resolution},
    )
    return flag


def flags_of(
    session: Session, code: str | Device, *, open_only: bool = False
) -> Sequence[DeviceFlag]:
    """A device's flags, oldest first: the device or its code (DeviceNotFound)."""
    device = code if isinstance(code, Device) else devices.by_code(session, code)
    query = select(DeviceFlag).where(col(DeviceFlag.device_id) == device.id)
    if open_only:
        query = query.where(col(DeviceFlag.open))
    return session.exec(query.order_by(col(DeviceFlag.id))).all()


def snapshots_of(session: Session, code: str | Device) -> Sequence[DeviceSnapshot]:
    """A device's probe snapshots, oldest first: the device or its code (DeviceNotFound)."""
    device = code if isinstance(code, Device) else devices.by_code(session, code)
    query = select(DeviceSnapshot).where(col(DeviceSnapshot.device_id) == device.id)
    return session.exec(query.order_by(col(DeviceSnapshot.id))).all()
