"""Storage media and erasure records: added, recorded and read, each change in the ledger.

A medium comes from a probe snapshot (`media_from_snapshot`), from a person
(`add_medium`), from an imported report naming a disk entered inline, or from a part
fitted in place of a destroyed one. Each is a `device.medium_added` event. Each erasure
record is a `device.erasure_recorded` event carrying what a certificate later shows of
it, so that the certificate can be checked against the ledger alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from db import codes, devices, lifecycle
from db.clock import now_iso
from db.errors import N_, Message
from db.events import EventType
from db.media import (
    HOLDS_DATA,
    LEVELS_OF,
    NO_MEDIUM,
    ErasureRecord,
    Level,
    Standing,
    StorageMedium,
    Verification,
    describe,
    described,
    media_of,
    records_of,
    standings,
)
from db.models import Device, User
from refurbish.erasure.errors import BadTimes, LevelNotOfMethod, MediumKnown, MediumNotFound
from refurbish.erasure.models import (
    ErasureIn,
    ErasureRead,
    MediumErasures,
    MediumIn,
    MediumRead,
    MissingErasure,
)
from refurbish.hardware.snapshot import Snapshot
from refurbish.models import RefurbishmentRun
from remise.auth import Actor

# What the probe calls a disk's kind, as a medium's type.
_KINDS = {"hdd": "hdd", "ssd": "ssd", "nvme": "nvme"}


def same_serial(a: str | None, b: str | None) -> bool:
    return bool(a and b) and (a or "").strip().upper() == (b or "").strip().upper()


def medium_of(session: Session, device: Device, medium_id: int) -> StorageMedium:
    found = session.get(StorageMedium, medium_id)
    if found is None or found.device_id != device.id:
        raise MediumNotFound(
            device=codes.display(device.code),
            id=medium_id,
            media=listed(media_of(session, device.id or 0)),
        )
    return found


def listed(media: Sequence[StorageMedium]) -> list[Message]:
    """The media, as an error message lists them (translated with it)."""
    if not media:
        return [Message(N_("none"))]
    return [Message("#%(id)s %(medium)s", {"id": m.id, "medium": described(m)}) for m in media]


def add_medium(
    session: Session,
    actor: Actor,
    device: Device,
    data: MediumIn,
    *,
    source: str = "manual",
    snapshot_id: int | None = None,
    replaces_id: int | None = None,
) -> StorageMedium:
    """Add a medium to the device; MediumKnown if one with the same serial is there."""
    assert device.id is not None
    serial = (data.serial or "").strip() or None
    for known in media_of(session, device.id):
        if same_serial(known.serial, serial):
            raise MediumKnown(device=codes.display(device.code), serial=serial, id=known.id)
    now, who = now_iso(), actor.ledger_name
    medium = StorageMedium(
        device_id=device.id,
        type=data.type.value,
        manufacturer=(data.manufacturer or "").strip() or None,
        model=(data.model or "").strip() or None,
        serial=serial,
        size_bytes=data.size_bytes,
        name=(data.name or "").strip() or None,
        source=source,
        snapshot_id=snapshot_id,
        replaces_id=replaces_id,
        created_at=now,
        created_by=who,
    )
    session.add(medium)
    session.flush()
    lifecycle.record(
        session,
        device,
        actor=who,
        event=EventType.DEVICE_MEDIUM_ADDED,
        extra={"medium_id": medium.id, "source": source, **_medium_facts(medium)},
    )
    return medium


def _medium_facts(medium: StorageMedium) -> dict[str, Any]:
    return {
        "type": medium.type,
        "manufacturer": medium.manufacturer,
        "model": medium.model,
        "serial": medium.serial,
        "size_bytes": medium.size_bytes,
        **({"replaces_id": medium.replaces_id} if medium.replaces_id else {}),
    }


def media_from_snapshot(
    session: Session, actor: Actor, device: Device, taken: Snapshot, snapshot_id: int
) -> list[StorageMedium]:
    """The disks of a snapshot that the device did not have yet, added as its media.

    A disk with a serial is the medium of that serial. One without is the same as a
    serial-less medium probed before with the same name, model and size; any other is
    new. The machine's own removable disks (the stick it booted from) are not its media;
    a disk plugged in while watching (`source` watch) is, as that is how a disk taken
    out of a desktop is read.
    """
    assert device.id is not None
    known = list(media_of(session, device.id))
    added: list[StorageMedium] = []
    unmatched = [m for m in known if m.serial is None]
    for disk in taken.disks:
        if disk.removable and taken.source != "watch":
            continue
        serial = (disk.serial or "").strip() or None
        if serial and any(same_serial(m.serial, serial) for m in known):
            continue
        if serial is None:
            twin = next(
                (
                    m
                    for m in unmatched
                    if (m.name, m.model, m.size_bytes) == (disk.name, disk.model, disk.size_bytes)
                ),
                None,
            )
            if twin is not None:
                unmatched.remove(twin)
                continue
        data = MediumIn(
            type=_KINDS.get(disk.kind, "usb" if disk.bus == "usb" else "other"),
            model=(disk.model or None) and disk.model[:120],
            serial=serial and serial[:120],
            size_bytes=disk.size_bytes or None,
            name=disk.name[:40],
        )
        medium = add_medium(session, actor, device, data, source="probe", snapshot_id=snapshot_id)
        known.append(medium)
        added.append(medium)
    return added


def _checked_time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        error = BadTimes(field=field, reason="write it as 2026-12-02T14:30:00")
        error.extra = {"errors": [{"field": field, "message": error.render()}]}
        raise error from None


def _check(data: ErasureIn) -> None:
    if data.level not in LEVELS_OF[data.method]:
        levels = ", ".join(sorted(level.value for level in LEVELS_OF[data.method]))
        error = LevelNotOfMethod(method=data.method.value, levels=levels, level=data.level.value)
        error.extra = {"errors": [{"field": "level", "message": error.render()}]}
        raise error
    started = _checked_time(data.started_at, "started_at")
    finished = _checked_time(data.finished_at, "finished_at")
    if started and finished:
        if (started.tzinfo is None) != (finished.tzinfo is None):
            raise BadTimes(field="finished_at", reason="give both times with a zone, or neither")
        if finished < started:
            error = BadTimes(field="finished_at", reason="it is before started_at")
            error.extra = {"errors": [{"field": "finished_at", "message": error.render()}]}
            raise error


def passes_as_evidence(level: Level, verification: Verification, passed: bool | None) -> bool:
    """Whether a record counts: a sanitization whose verification passed (NIST SP 800-88
    §4.5 asks to verify every one), or a destruction nobody found incomplete."""
    if level == Level.DESTROY:
        return passed is not False
    return verification != Verification.NONE and passed is True


def operator_name(session: Session, actor: Actor) -> str:
    user = session.get(User, actor.user_id) if actor.user_id else None
    return user.display_name if user is not None else actor.username


def _open_run_id(session: Session, device_id: int) -> int | None:
    return session.exec(
        select(RefurbishmentRun.id).where(
            col(RefurbishmentRun.device_id) == device_id, col(RefurbishmentRun.open)
        )
    ).first()


def record_erasure(
    session: Session,
    actor: Actor,
    *,
    code: str,
    data: ErasureIn,
    source: str = "api",
    report: dict[str, Any] | None = None,
    report_sha256: str | None = None,
    report_name: str | None = None,
    device: Device | None = None,
    reverifies: ErasureRecord | None = None,
) -> ErasureRecord:
    """Record one erasure of one medium of device `code` (a new medium given inline is
    added first). Raises MediumNotFound, MediumKnown, LevelNotOfMethod, BadTimes."""
    device = device or devices.by_code(session, code)
    assert device.id is not None
    _check(data)
    if data.medium is not None:
        medium = add_medium(session, actor, device, data.medium, source="report")
    else:
        medium = medium_of(session, device, data.medium_id or 0)
    passed = passes_as_evidence(data.level, data.verification.method, data.verification.passed)
    record = ErasureRecord(
        device_id=device.id,
        medium_id=medium.id or 0,
        run_id=_open_run_id(session, device.id),
        level=data.level.value,
        method=data.method.value,
        pattern=data.pattern,
        passes=data.passes,
        tool=data.tool,
        tool_version=data.tool_version,
        started_at=data.started_at,
        finished_at=data.finished_at,
        verification_method=data.verification.method.value,
        verification_passed=data.verification.passed,
        passed=passed,
        hidden_areas=data.hidden_areas,
        errors=list(data.errors),
        comment=(data.comment or "").strip() or None,
        operator=operator_name(session, actor),
        source=source,
        report=report or {},
        report_sha256=report_sha256,
        report_name=report_name,
        reverifies_id=reverifies.id if reverifies is not None else None,
        recorded_at=now_iso(),
        recorded_by=actor.ledger_name,
    )
    session.add(record)
    session.flush()
    appended = lifecycle.record(
        session,
        device,
        actor=actor.ledger_name,
        event=EventType.DEVICE_ERASURE_REVERIFIED
        if reverifies is not None
        else EventType.DEVICE_ERASURE_RECORDED,
        extra=evidence(record, medium),
    )
    record.ledger_seq = appended.seq
    session.add(record)
    return record


def evidence(record: ErasureRecord, medium: StorageMedium) -> dict[str, Any]:
    """What the ledger keeps of a record: all that a certificate shows of it."""
    return {
        "erasure_id": record.id,
        "medium_id": medium.id,
        "medium": _medium_facts(medium),
        "run_id": record.run_id,
        "level": record.level,
        "method": record.method,
        "pattern": record.pattern,
        "passes": record.passes,
        "tool": record.tool,
        "tool_version": record.tool_version,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "verification": {
            "method": record.verification_method,
            "passed": record.verification_passed,
        },
        "passed": record.passed,
        "operator": record.operator,
        "source": record.source,
        **({"report_sha256": record.report_sha256} if record.report_sha256 else {}),
        **({"reverifies_id": record.reverifies_id} if record.reverifies_id else {}),
    }


def erasure_read(record: ErasureRecord) -> ErasureRead:
    return ErasureRead(
        verification={"method": record.verification_method, "passed": record.verification_passed},
        **record.model_dump(
            exclude={"verification_method", "verification_passed", "device_id", "ledger_seq"}
        ),
    )


def medium_read(standing: Standing) -> MediumRead:
    medium = standing.medium
    return MediumRead(
        state=standing.state,
        described=describe(medium),
        **medium.model_dump(exclude={"device_id", "snapshot_id"}),
    )


def media_view(session: Session, code: str) -> list[MediumRead]:
    device = devices.by_code(session, code)
    found = standings(media_of(session, device.id or 0), records_of(session, device.id or 0))
    return [medium_read(s) for s in found]


def erasures_view(session: Session, code: str) -> list[MediumErasures]:
    """Each medium with its records, newest first."""
    device = devices.by_code(session, code)
    records = records_of(session, device.id or 0)
    found = standings(media_of(session, device.id or 0), records)
    return [
        MediumErasures(
            medium=medium_read(s),
            erasures=[erasure_read(r) for r in records if r.medium_id == s.medium.id],
        )
        for s in found
    ]


def missing_view(session: Session, device: Device, localise: Any) -> list[MissingErasure]:
    """What keeps the device's data from counting as erased, medium by medium."""
    device_id = device.id or 0
    found = standings(media_of(session, device_id), records_of(session, device_id))
    if not found and device.category in HOLDS_DATA:
        reason = localise(Message(NO_MEDIUM))
        return [MissingErasure(medium_id=None, state="no_medium", reason=reason)]
    return [
        MissingErasure(medium_id=s.medium.id, state=s.state.value, reason=localise(s.reason))
        for s in found
        if not s.done
    ]
