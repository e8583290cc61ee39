"""What the bench's device page shows, as a view model: no ORM row reaches the template."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Row, Select, Table, bindparam, exists, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from db import codes, devices, ledger
from db.enums import CATEGORY_LABELS, STATUS_LABELS, Category, Status
from db.errors import N_
from db.events import EVENT_LABELS
from db.models import Batch, Device
from refurbish import probing, queries, service
from refurbish.checklists import State
from refurbish.erasure import page as erasure_page
from refurbish.hardware import compare, summary
from refurbish.hardware.snapshot import Snapshot
from refurbish.models import DeviceFlag, DeviceSnapshot, RefurbishmentRun, RunRead
from remise import i18n

# What a history line shows of an event, in this order, with the name it is shown
# under; the rest (snapshot ids, digests…) is in the API.
_FIELD_NAMES = {
    "status": N_("status"),
    "category": N_("category"),
    "brand": N_("brand"),
    "model": N_("model"),
    "serial": N_("serial number"),
    "imei": N_("IMEI"),
    "asset_tag": N_("asset tag"),
    "code": N_("code"),
    "batch_id": N_("batch"),
    "location": N_("place"),
    "grade": N_("grade"),
    "step": N_("step"),
    "value": N_("value"),
    "state": N_("result"),
    "note": N_("note"),
    "comment": N_("comment"),
    "layout": N_("label format"),
    "shelf": N_("shelf"),
    "part": N_("part"),
    "removed": N_("removed"),
    "fitted": N_("fitted"),
    "run_id": N_("run"),
    "outcome": N_("outcome"),
}
_STATE_NAMES = {
    State.PASSED: N_("Passed"),
    State.FAILED: N_("Failed"),
    State.RECORDED: N_("Recorded"),
    State.MISSING: N_("To do"),
}
HISTORY_SHOWN = 50


@dataclass
class HistoryLine:
    when: str
    who: str
    what: str
    details: list[tuple[str, str]]


@dataclass
class PastRun:
    id: int
    outcome: str
    finished_at: str | None
    finished_by: str | None
    steps: list[tuple[str, str, str]]  # label, value in words, state


@dataclass
class ProbeView:
    version: str
    taken_at: str | None = None
    taken_by: str | None = None
    rows: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BatchShown:
    id: int
    site: str


@dataclass
class DevicePage:
    device: Row[Any]  # the device table's columns, and its batch's `batch_site`…
    code: str
    category: str
    status: str
    batch: BatchShown | None
    run: RunRead | None
    past_runs: list[PastRun]
    can_start: bool
    starts_again: bool  # it has been through the bench already: no Enter-to-start
    start_needs_comment: bool
    probe: ProbeView
    history: list[HistoryLine]
    focus: str | None  # what the keyboard starts on: the first step to do, or "finish"
    erasure: erasure_page.ErasureSection  # its storage media, where each stands


# Values shown by their name in the page's language (StrEnum members equal their values).
_VALUE_NAMES: dict[str, dict[Any, str]] = {
    "status": dict(STATUS_LABELS),
    "outcome": dict(STATUS_LABELS),
    "category": dict(CATEGORY_LABELS),
    "state": dict(_STATE_NAMES),
}


class _Wording:
    """Ledger payload values in the page's words: statuses, categories, steps, yes/no."""

    def __init__(self, runs: list[RunRead], translate: Any, locale: str) -> None:
        self.translate = translate
        self.locale = locale
        self.steps = {step.key: step for run in runs for step in run.steps}

    def value(self, name: str, value: Any, step: str | None = None) -> str:
        if isinstance(value, list) and len(value) == 2:  # a change: before → after
            return f"{self.value(name, value[0], step)} → {self.value(name, value[1], step)}"
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return str(self.translate(N_("yes") if value else N_("no")))
        if isinstance(value, list | dict):  # anything else structured: compact, untranslated
            return json.dumps(value, ensure_ascii=False, default=str)
        if (labels := _VALUE_NAMES.get(name)) and value in labels:
            return str(self.translate(labels[value]))
        if name == "code" and isinstance(value, str):
            return codes.display(value)
        if name == "step" and value in self.steps:
            return self.steps[value].label
        if name == "value" and step in self.steps:
            return self._step_value(self.steps[step], value)
        return str(value)

    def _step_value(self, step: Any, value: Any) -> str:
        if step.kind == "measure":  # stored "85.5", read « 85,5 » on a French page
            return self._number(value)
        options = {o["key"]: o["label"] for o in step.options}
        return str(options.get(value, value))

    def _number(self, value: Any) -> str:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)
        return i18n.number(self.locale, int(number) if number.is_integer() else number)

    def past_run(self, run: RunRead) -> PastRun:
        steps = []
        for step in run.steps:
            value = self.value("value", step.value, step.key)
            if step.unit and step.value is not None:
                value = f"{value} {step.unit}"
            steps.append((step.label, value, step.state))
        outcome = self.value("outcome", run.outcome)
        return PastRun(run.id, outcome, run.finished_at, run.finished_by, steps)

    def line(self, row: Any) -> HistoryLine:
        payload = ledger.payload_of(row)
        step = payload.get("step")
        facts = {k: v for k, v in payload.get("changes", {}).items() if k != "attributes"}
        facts |= {k: payload[k] for k in _FIELD_NAMES if k in payload and k not in facts}
        details = [
            (str(self.translate(_FIELD_NAMES[name])), self.value(name, value, step))
            for name, value in sorted(facts.items(), key=lambda item: _ORDER.get(item[0], 99))
            if name in _FIELD_NAMES
        ]
        if payload.get("kind") in compare.MESSAGES:  # a probe flag: its sentence says it all
            message = compare.MESSAGES[payload["kind"]]
            found = {"expected": payload.get("expected"), "found": payload.get("found")}
            details.insert(0, (str(self.translate(N_("flag"))), self.translate(message, **found)))
        label = EVENT_LABELS.get(row.type)
        what = self.translate(label) if label else row.type
        return HistoryLine(row.at, row.actor, what, details)


_ORDER = {name: place for place, name in enumerate(_FIELD_NAMES)}


def history(device: Row[Any], wording: _Wording) -> list[HistoryLine]:
    """The device's newest ledger events (read with its row), newest first, each with its
    changes and key facts."""
    return [wording.line(event) for event in reversed(ledger.lines_of(device.events))]


OLD_SNAPSHOT = N_(
    "This reading was stored before Remise checked readings more strictly and holds a "
    "value it no longer accepts: probe the device again."
)

# What the page reads, as rows (no ORM object is built). The device's row says, in the
# same query, its batch's site, its newest events and what else there is to read: the
# newest snapshot (older ones are in the API), how many flags, whether it has runs or
# storage media; the rest is read only if there is any (a device's media and their
# erasure records in one statement: refurbish.erasure.page).
_SNAPSHOTS: Table = DeviceSnapshot.__table__  # type: ignore[attr-defined]
_FLAGS: Table = DeviceFlag.__table__  # type: ignore[attr-defined]
_RUNS: Table = RefurbishmentRun.__table__  # type: ignore[attr-defined]
_BATCHES: Table = Batch.__table__  # type: ignore[attr-defined]
_DEVICE_ID = devices.DEVICE_TABLE.c.id


def _about_device(column: Any, table: Table) -> Any:
    return select_columns(column).where(table.c.device_id == _DEVICE_ID).scalar_subquery()


_PROBE_FACTS = (
    _about_device(func.max(_SNAPSHOTS.c.id), _SNAPSHOTS).label("snapshot_id"),
    _about_device(func.count(), _FLAGS).label("flag_count"),
)
_PROBE_ROW = devices.by_code_with(*_PROBE_FACTS)


@functools.cache
def _device_row(dialect: str) -> Select[Any]:
    """The device's row with its batch's site, what else there is to read, and its newest
    events (in the SQL of `dialect`)."""
    return devices.by_code_with(
        select_columns(_BATCHES.c.site)
        .where(_BATCHES.c.id == devices.DEVICE_TABLE.c.batch_id)
        .scalar_subquery()
        .label("batch_site"),
        exists().where(_RUNS.c.device_id == _DEVICE_ID).label("has_runs"),
        erasure_page.HAS_MEDIA.label("has_media"),
        *_PROBE_FACTS,
        ledger.newest_column(_DEVICE_ID, HISTORY_SHOWN, dialect).label("events"),
    )


_SNAPSHOT = select_columns(_SNAPSHOTS).where(_SNAPSHOTS.c.id == bindparam("id"))
_FLAGS_OF = (
    select_columns(_FLAGS).where(_FLAGS.c.device_id == bindparam("device_id")).order_by(_FLAGS.c.id)
)


def probe_view(connection: Connection, code: str | Row[Any], translate: Any) -> ProbeView:
    """The newest snapshot as lines, and every flag, with a version that changes with them:
    of the device with this code (DeviceNotFound), or of its row read with `_PROBE_FACTS`."""
    device = devices.row_by_code(connection, code, _PROBE_ROW) if isinstance(code, str) else code
    newest = None
    if device.snapshot_id is not None:
        newest = connection.execute(_SNAPSHOT, {"id": device.snapshot_id}).first()
    flags = []
    if device.flag_count:
        flags = connection.execute(_FLAGS_OF, {"device_id": device.id}).all()
    version = f"{device.snapshot_id or 0}-{len(flags)}-{sum(1 for f in flags if f.open)}"
    view = ProbeView(version=version)
    if newest is not None:
        view.taken_at, view.taken_by = newest.taken_at, newest.taken_by
        # Stored before today's stricter schema, a snapshot may hold a value it now
        # refuses: say so rather than fail the device page.
        try:
            taken = Snapshot.model_validate(newest.body)
        except ValidationError:
            view.warnings = [translate(OLD_SNAPSHOT)]
        else:
            view.rows = summary.rows(taken, translate)
            view.warnings = list(taken.warnings)
    view.flags = [
        {"open": f.open, "message": probing.message_of(f), "resolution": f.resolution}
        for f in flags
    ]
    return view


def _runs(session: Session, device_id: int, locale: str) -> list[RunRead]:
    """The device's runs, newest first, as the API shows them."""
    query = select(RefurbishmentRun).where(col(RefurbishmentRun.device_id) == device_id)
    runs = session.exec(query.order_by(col(RefurbishmentRun.id).desc()))
    return [queries.run_view(session, run, locale) for run in runs]


def device_page(
    connection: Connection,
    code: str,
    locale: str,
    translate: Any,
    *,
    session: Session | None = None,
) -> DevicePage:
    """Everything the bench page shows of the device `code` (DeviceNotFound if none), read
    on `connection` as rows; its runs, if it has any, through `session` (one is made on
    the connection if none is given), as the API shows them."""
    device = devices.row_by_code(connection, code, _device_row(connection.dialect.name))
    views: list[RunRead] = []
    if device.has_runs and session is not None:
        views = _runs(session, device.id, locale)
    elif device.has_runs:
        with Session(bind=connection) as own:
            views = _runs(own, device.id, locale)
    open_run = next((v for v in views if v.open), None)
    status = Status(device.status)
    wording = _Wording(views, translate, locale)
    return DevicePage(
        device=device,
        code=codes.display(device.code),
        category=translate(CATEGORY_LABELS[Category(device.category)]),
        status=translate(STATUS_LABELS[status]),
        batch=BatchShown(device.batch_id, device.batch_site) if device.batch_id else None,
        run=open_run,
        past_runs=[wording.past_run(v) for v in views if not v.open],
        can_start=open_run is None and service.can_start(status),
        starts_again=service.starts_again(status),
        start_needs_comment=service.start_needs_comment(status),
        probe=probe_view(connection, device, translate),
        history=history(device, wording),
        focus=(open_run.blocking[0] if open_run.blocking else "finish") if open_run else None,
        erasure=erasure_page.section(connection, device, locale),
    )


def run_code(session: Session, run_id: int) -> str:
    """The display code of the device a run is about (RunNotFound if there is no such run)."""
    found = service.run(session, run_id)
    device = session.get(Device, found.device_id)
    assert device is not None
    return codes.display(device.code)
