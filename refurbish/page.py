"""What the bench's device page shows, as a view model: no ORM row reaches the template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from db import codes, devices, ledger
from db.enums import CATEGORY_LABELS, STATUS_LABELS, Category, Status
from db.events import EVENT_LABELS
from db.models import Batch, Device
from refurbish import probing, queries, service
from refurbish.hardware import summary
from refurbish.hardware.snapshot import Snapshot
from refurbish.models import RefurbishmentRun, RunRead

# Fields of the device a history line shows, in this order; the rest is in the API.
_SHOWN_EXTRAS = (
    "step",
    "value",
    "state",
    "note",
    "comment",
    "layout",
    "shelf",
    "batch_id",
    "kind",
    "expected",
    "found",
    "run_id",
    "outcome",
)
HISTORY_SHOWN = 50


@dataclass
class HistoryLine:
    when: str
    who: str
    what: str
    details: list[tuple[str, str]]


@dataclass
class ProbeView:
    version: str
    taken_at: str | None = None
    taken_by: str | None = None
    rows: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DevicePage:
    device: Device
    code: str
    category: str
    status: str
    batch: Batch | None
    run: RunRead | None
    past_runs: list[RunRead]
    can_start: bool
    start_needs_comment: bool
    probe: ProbeView
    history: list[HistoryLine]
    focus: str | None  # what the keyboard starts on: the first step to do, or "finish"


def _text(value: Any) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{_text(value[0])} → {_text(value[1])}"
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def history(session: Session, device: Device, translate: Any) -> list[HistoryLine]:
    """The device's ledger events, newest first, each with its changes and key facts."""
    assert device.id is not None
    lines = []
    for row in reversed(ledger.history(session, device.id)[-HISTORY_SHOWN:]):
        payload = ledger.payload_of(row)
        details = [
            (name, _text(change))
            for name, change in payload.get("changes", {}).items()
            if name != "attributes"
        ]
        details += [(k, _text(payload[k])) for k in _SHOWN_EXTRAS if k in payload]
        label = EVENT_LABELS.get(row.type)
        lines.append(
            HistoryLine(row.at, row.actor, translate(label) if label else row.type, details)
        )
    return lines


def probe_view(session: Session, code: str, translate: Any) -> ProbeView:
    """The newest snapshot as lines, and every flag, with a version that changes with them."""
    snapshots = probing.snapshots_of(session, code)
    flags = probing.flags_of(session, code)
    newest = snapshots[-1] if snapshots else None
    version = f"{newest.id if newest else 0}-{len(flags)}-{sum(1 for f in flags if f.open)}"
    view = ProbeView(version=version)
    if newest is not None:
        taken = Snapshot.model_validate(newest.body)
        view.taken_at, view.taken_by = newest.taken_at, newest.taken_by
        view.rows = summary.rows(taken, translate)
        view.warnings = list(taken.warnings)
    view.flags = [
        {"open": f.open, "message": probing.message_of(f), "resolution": f.resolution}
        for f in flags
    ]
    return view


def device_page(session: Session, code: str, locale: str, translate: Any) -> DevicePage:
    """Everything the bench page shows of the device `code` (DeviceNotFound if none)."""
    device = devices.by_code(session, code)
    runs = list(
        session.exec(
            select(RefurbishmentRun)
            .where(col(RefurbishmentRun.device_id) == device.id)
            .order_by(col(RefurbishmentRun.id).desc())
        ).all()
    )
    views = [queries.run_view(session, r, locale) for r in runs]
    open_run = next((v for v in views if v.open), None)
    status = Status(device.status)
    return DevicePage(
        device=device,
        code=codes.display(device.code),
        category=translate(CATEGORY_LABELS[Category(device.category)]),
        status=translate(STATUS_LABELS[status]),
        batch=session.get(Batch, device.batch_id) if device.batch_id else None,
        run=open_run,
        past_runs=[v for v in views if not v.open],
        can_start=open_run is None and service.can_start(status),
        start_needs_comment=service.start_needs_comment(status),
        probe=probe_view(session, code, translate),
        history=history(session, device, translate),
        focus=(open_run.blocking[0] if open_run.blocking else "finish") if open_run else None,
    )


def run_code(session: Session, run_id: int) -> str:
    """The display code of the device a run is about (RunNotFound if there is no such run)."""
    found = service.run(session, run_id)
    device = session.get(Device, found.device_id)
    assert device is not None
    return codes.display(device.code)
