"""Erasure reports as tools wrote them (nwipe's logs and PDFs), turned into records.

Each drive of a report is matched to a medium of the device by its serial, never by
guesswork: a serial that nwipe printed empty, garbled or anonymised (`-q`) makes the
import ask which medium each drive is (`DRIVE:MEDIUM_ID`, the drive being the device
name nwipe printed, or its position, 1 first, in a system PDF that names none). A
report of a disk the device does not have is refused. A file imported before answers
its records again; the same erasure imported from another of its files (the log, then
nwipe's PDF) is not recorded twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session, col, select

from db import codes, devices
from db.errors import N_, Message
from db.media import ErasureRecord, Level, Method, StorageMedium, Verification, describe, media_of
from db.models import Device
from refurbish.erasure import nwipe, service
from refurbish.erasure.errors import (
    BadMatching,
    NotAReportFile,
    ReportDiskUnknown,
    ReportNeedsMatching,
    ReportVerifiesOnly,
)
from refurbish.erasure.models import ErasureIn, ImportAnswer, VerificationIn
from remise.auth import Actor

_VERIFIED = {"last": Verification.FULL, "all": Verification.FULL, "none": Verification.NONE}
_PATTERNS_CHECKED = {"verify_zero": "zeros", "verify_one": "ones"}
HAND_SIZE_TOLERANCE = 0.01  # a label's rounded size, typed by hand, against the exact one
# How a report shows a drive, and why its serial cannot tell which medium it is.
DRIVE = N_("%(drive)s (%(model)s, S/N %(serial)s)")
DRIVE_SIZED = N_("%(drive)s (%(model)s, S/N %(serial)s, %(size)s bytes)")
SERIAL_STATES = {
    "empty": N_("serial printed empty"),
    "garbled": N_("serial unreadable"),
    "anonymised": N_("serial hidden by nwipe -q"),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def choices(given: Iterable[str]) -> dict[str, int]:
    """`["sda:12", "sdb:13"]` as `{"sda": 12, "sdb": 13}`; BadMatching for a malformed one."""
    found: dict[str, int] = {}
    for text in given:
        drive, sep, number = text.strip().rpartition(":")
        drive = drive.strip().removeprefix("/dev/")
        if not sep or not drive or not number.strip().isdigit():
            raise BadMatching(given=text[:60], reason=Message(BadMatching.FORM))
        if drive in found:
            raise BadMatching(given=text[:60], reason=Message(BadMatching.TWICE, {"drive": drive}))
        found[drive] = int(number)
    return found


def drive_key(drive: nwipe.Drive, position: int) -> str:
    """How the import names a drive: nwipe's device name, else its position (1 first)."""
    return drive.name or str(position + 1)


def _drive_text(drive: nwipe.Drive, key: str) -> Message:
    serial = drive.serial or Message(SERIAL_STATES.get(drive.serial_state, N_("no serial")))
    facts = {"drive": key, "model": drive.model or "?", "serial": serial}
    if drive.size_bytes:
        return Message(DRIVE_SIZED, facts | {"size": drive.size_bytes})
    return Message(DRIVE, facts)


def parse(data: bytes, name: str) -> nwipe.Report:
    try:
        return nwipe.parse(data, name)
    except nwipe.NotAReport as exc:
        raise NotAReportFile(name=name[:120], reason=exc.message) from exc


def _match(
    device: Device,
    known: Sequence[StorageMedium],
    drives: Sequence[nwipe.Drive],
    given: dict[str, int],
) -> list[StorageMedium]:
    keys = [drive_key(d, i) for i, d in enumerate(drives)]
    for key in given:
        if key not in keys:
            reason = Message(BadMatching.NO_DRIVE, {"drive": key, "drives": ", ".join(keys)})
            raise BadMatching(given=key, reason=reason)
    by_id = {m.id: m for m in known}
    matched: list[StorageMedium | None] = []
    unsure: list[str] = []
    for drive, key in zip(drives, keys, strict=True):
        if key in given:
            medium = by_id.get(given[key])
            if medium is None:
                reason = Message(
                    BadMatching.NO_MEDIUM,
                    {"device": codes.display(device.code), "medium": given[key]},
                )
                raise BadMatching(given=f"{key}:{given[key]}", reason=reason)
            _agrees(drive, key, medium)
            matched.append(medium)
        elif drive.serial_state == "ok" and drive.serial:
            medium = next((m for m in known if service.same_serial(m.serial, drive.serial)), None)
            if medium is None:
                raise ReportDiskUnknown(
                    drive=_drive_text(drive, key),
                    device=codes.display(device.code),
                    media=service.listed(known),
                )
            _agrees(drive, key, medium)
            matched.append(medium)
        else:
            matched.append(None)
            unsure.append(key)
    if unsure:
        states = {d.serial_state for d, k in zip(drives, keys, strict=True) if k in unsure}
        why = [Message(SERIAL_STATES[state]) for state in sorted(states)]
        error = ReportNeedsMatching(
            why=why,
            drives=[_drive_text(d, k) for d, k in zip(drives, keys, strict=True)],
            device=codes.display(device.code),
            media=service.listed(known),
        )
        error.extra = {
            "drives": [
                {
                    "drive": k,
                    "model": d.model,
                    "serial": d.serial,
                    "serial_state": d.serial_state,
                    "size_bytes": d.size_bytes,
                }
                for d, k in zip(drives, keys, strict=True)
            ],
            "media": [
                {"id": m.id, "described": describe(m), "size_bytes": m.size_bytes} for m in known
            ],
            "unmatched": unsure,
        }
        raise error
    found = [m for m in matched if m is not None]
    twice = {m.id for m in found if sum(1 for n in found if n.id == m.id) > 1}
    if twice:
        reason = Message(BadMatching.TWO_DRIVES, {"medium": min(twice)})
        raise BadMatching(given=",".join(keys), reason=reason)
    return found


def _agrees(drive: nwipe.Drive, key: str, medium: StorageMedium) -> None:
    """A drive given (or matched) as a medium must not contradict it."""
    if (
        drive.serial_state == "ok"
        and medium.serial
        and not service.same_serial(drive.serial, medium.serial)
    ):
        reason = Message(
            BadMatching.OTHER_SERIAL,
            {"drive": key, "serial": drive.serial, "medium": medium.id, "other": medium.serial},
        )
        raise BadMatching(given=f"{key}:{medium.id}", reason=reason)
    if not same_size(drive.size_bytes, medium):
        reason = Message(
            BadMatching.OTHER_SIZE,
            {
                "drive": key,
                "size": drive.size_bytes,
                "medium": medium.id,
                "other": medium.size_bytes,
            },
        )
        raise BadMatching(given=f"{key}:{medium.id}", reason=reason)


def same_size(size_bytes: int | None, medium: StorageMedium) -> bool:
    """Whether a drive of `size_bytes` can be `medium`, as far as sizes tell. A size typed
    by hand is the label's ("250 GB" for 250,059,350,016 bytes): within 1 % it agrees.
    A size read by a tool (the probe, a report) is exact."""
    if not size_bytes or not medium.size_bytes:
        return True
    if medium.source == "manual":
        return abs(size_bytes - medium.size_bytes) <= medium.size_bytes * HAND_SIZE_TOLERANCE
    return size_bytes == medium.size_bytes


def _figures(report: nwipe.Report, drive: nwipe.Drive, name: str, digest: str) -> dict[str, Any]:
    """Every figure of the report about this drive, as JSON."""
    kept = dataclasses.asdict(drive)
    kept.pop("lines", None)
    return {
        "file": name,
        "sha256": digest,
        "kind": report.kind,
        "tool": report.tool,
        "version": report.version,
        "outcome": report.outcome,
        "final_message": report.final_message,
        "options": dict(report.options),
        "drive": kept,
        "lines": [str(line) for line in drive.lines][:200],
    }


def _record_of(
    report: nwipe.Report, drive: nwipe.Drive, medium_id: int, tool_version: str | None
) -> ErasureIn:
    verify = _VERIFIED.get(drive.verify or "none", Verification.NONE)
    passed = drive.passed if verify != Verification.NONE else None
    errors = [f"{line}"[:500] for line in drive.lines if _is_error(line)][:50]
    if drive.status == "aborted":
        errors.insert(0, "aborted by the user before the end")
    counts = [
        ("pass", drive.errors_pass),
        ("verify", drive.errors_verify),
        ("fdatasync", drive.errors_sync),
        ("retries", drive.errors_retries),
    ]
    errors += [f"{what} errors: {n}" for what, n in counts if n][: 50 - len(errors)]
    return ErasureIn(
        medium_id=medium_id,
        level=Level.CLEAR,
        method=Method.OVERWRITE,
        pattern=drive.method,
        passes=_passes(drive),
        tool=report.tool,
        tool_version=report.version or tool_version,
        started_at=drive.started_at or report.started_at,
        finished_at=drive.finished_at or report.finished_at,
        verification=VerificationIn(method=verify, passed=passed),
        hidden_areas=drive.hpa_dco,
        errors=errors,
    )


def _passes(drive: nwipe.Drive) -> int | None:
    """The overwrite passes done: counted in a log, from the method and rounds in a PDF."""
    if drive.passes_finished:
        return drive.passes_finished
    per_round = nwipe.PASSES.get(drive.method or "")
    return per_round * drive.rounds_completed if per_round and drive.rounds_completed else None


def _is_error(line: Any) -> bool:
    level = getattr(line, "level", None)
    return level in {"error", "fatal"} if level is not None else False


def _already(session: Session, device: Device, digest: str) -> list[ErasureRecord]:
    query = select(ErasureRecord).where(
        col(ErasureRecord.device_id) == device.id, col(ErasureRecord.report_sha256) == digest
    )
    return list(session.exec(query.order_by(col(ErasureRecord.id))).all())


def _same_erasure(session: Session, medium: StorageMedium, data: ErasureIn) -> ErasureRecord | None:
    """The record of the same run of the same tool on that medium, from another file."""
    query = select(ErasureRecord).where(
        col(ErasureRecord.medium_id) == medium.id,
        col(ErasureRecord.tool) == data.tool,
        col(ErasureRecord.pattern) == data.pattern,
        col(ErasureRecord.started_at) == data.started_at,
        col(ErasureRecord.finished_at) == data.finished_at,
    )
    return session.exec(query).first()


def already_imported(session: Session, code: str, data: bytes) -> ImportAnswer | None:
    """The answer of this very file's earlier import to this device, if it was imported."""
    device = devices.by_code(session, code)
    digest = sha256(data)
    found = _already(session, device, digest)
    if not found:
        return None
    meta = {"sha256": digest, **(found[0].report or {}).get("meta", {})}
    return ImportAnswer(
        report=meta, erasures=[service.erasure_read(r) for r in found], already_recorded=True
    )


def import_report(
    session: Session,
    actor: Actor,
    *,
    code: str,
    data: bytes,
    name: str,
    choices: dict[str, int],
    tool_version: str | None = None,
    source: str = "import",
) -> ImportAnswer:
    """Record each drive of the report `data` as an erasure of its medium of device `code`.

    Raises NotAReportFile, ReportVerifiesOnly, ReportDiskUnknown, ReportNeedsMatching,
    BadMatching; writes nothing unless every drive is matched."""
    device = devices.by_code(session, code)
    digest = sha256(data)
    if earlier := already_imported(session, code, data):
        return earlier
    report = parse(data, name)
    if report.drives and all(d.verify_only for d in report.drives):
        first = report.drives[0]
        raise ReportVerifiesOnly(
            name=name[:120],
            pattern=_PATTERNS_CHECKED.get(first.method, first.method),
            method=first.method_label,
        )
    drives = [d for d in report.drives if not d.verify_only]
    known = media_of(session, device.id or 0)
    matched = _match(device, known, drives, choices)
    meta = {
        "sha256": digest,
        "file": name,
        "tool": report.tool,
        "version": report.version or tool_version,
        "kind": report.kind,
        "outcome": report.outcome,
    }
    records = []
    for drive, medium in zip(drives, matched, strict=True):
        entered = _record_of(report, drive, medium.id or 0, tool_version)
        if (same := _same_erasure(session, medium, entered)) is not None:
            records.append(same)
            continue
        figures = {**_figures(report, drive, name, digest), "meta": meta}
        records.append(
            service.record_erasure(
                session,
                actor,
                code=code,
                data=entered,
                source=source,
                report=figures,
                report_sha256=digest,
                report_name=name[:255],
                device=device,
            )
        )
    return ImportAnswer(
        report=meta, erasures=[service.erasure_read(r) for r in records], already_recorded=False
    )
