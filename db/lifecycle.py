"""The device life cycle as data, and the only functions that change a device.

received → labelled → in_refurbishment → refurbished → graded → available →
reserved → handed_over; side exits parts, recycled and lost; a returned device
goes back to in_refurbishment. Every change updates the row only if its status is
still the one read (so two concurrent claims cannot both win) and appends its
ledger event in the caller's transaction; an illegal move raises before anything
is written.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from db import bulk, canonical, catalog, codes, ledger
from db.clock import now_iso
from db.enums import STATUS_LABELS, Status
from db.errors import N_, Conflict, Invalid, Message
from db.events import PROJECTED_FIELDS, EventType, changes
from db.models import Device

S, E = Status, EventType
MAIN_PATH: tuple[Status, ...] = (
    S.RECEIVED,
    S.LABELLED,
    S.IN_REFURBISHMENT,
    S.REFURBISHED,
    S.GRADED,
    S.AVAILABLE,
    S.RESERVED,
    S.HANDED_OVER,
)
_LOSABLE = MAIN_PATH[:-1]  # every state but handed_over, before any exit
TRANSITIONS: dict[tuple[Status, Status], EventType] = {
    (S.RECEIVED, S.LABELLED): E.DEVICE_LABELLED,
    (S.LABELLED, S.IN_REFURBISHMENT): E.DEVICE_REFURBISHMENT_STARTED,
    (S.IN_REFURBISHMENT, S.REFURBISHED): E.DEVICE_REFURBISHED,
    (S.IN_REFURBISHMENT, S.PARTS): E.DEVICE_DISMANTLED,
    (S.IN_REFURBISHMENT, S.RECYCLED): E.DEVICE_RECYCLED,
    (S.REFURBISHED, S.GRADED): E.DEVICE_GRADED,
    (S.REFURBISHED, S.IN_REFURBISHMENT): E.DEVICE_REOPENED,
    (S.GRADED, S.AVAILABLE): E.DEVICE_MADE_AVAILABLE,
    (S.GRADED, S.IN_REFURBISHMENT): E.DEVICE_REOPENED,
    (S.AVAILABLE, S.RESERVED): E.DEVICE_RESERVED,
    (S.AVAILABLE, S.GRADED): E.DEVICE_WITHDRAWN,
    (S.RESERVED, S.HANDED_OVER): E.DEVICE_HANDED_OVER,
    (S.RESERVED, S.AVAILABLE): E.DEVICE_RELEASED,
    (S.HANDED_OVER, S.IN_REFURBISHMENT): E.DEVICE_RETURNED,
    **{(state, S.LOST): E.DEVICE_LOST for state in _LOSABLE},
}
TERMINAL: frozenset[Status] = frozenset({S.PARTS, S.RECYCLED, S.LOST})
_DEFAULTS: dict[str, Any] = {name: None for name in PROJECTED_FIELDS} | {"attributes": {}}


def path_to(target: Status) -> list[Status]:
    """The statuses a received device passes through to reach `target`, in order.

    Side exits (parts, recycled) leave from in_refurbishment; lost from received.
    """
    if target in MAIN_PATH:
        return list(MAIN_PATH[1 : MAIN_PATH.index(target) + 1])
    if target == S.LOST:
        return [S.LOST]
    return [S.LABELLED, S.IN_REFURBISHMENT, target]


def allowed_next(current: Status) -> list[Status]:
    """The states a device in `current` may move to, in life-cycle order."""
    return [to for (frm, to) in TRANSITIONS if frm == current]


class IllegalTransition(Conflict):
    code = "illegal_transition"
    message = N_(
        "Device %(device)s is “%(current)s”: it cannot become “%(target)s”. "
        "Possible next states: %(allowed)s."
    )


class StaleDevice(Conflict):
    code = "stale_device"
    message = N_(
        "Device %(device)s was changed by someone else meanwhile (it is now “%(current)s”). "
        "Reload it and try again."
    )


class ReservedField(Invalid):
    code = "reserved_field"
    message = N_("The field “%(field)s” cannot be changed this way.")


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Status) or hasattr(value, "value") else value


def state_of(device: Device) -> dict[str, Any]:
    """The device's projected fields as plain JSON values."""
    return {name: _plain(getattr(device, name)) for name in PROJECTED_FIELDS}


def register(
    session: Session,
    *,
    actor: str,
    devices: Sequence[Device],
    extra: dict[str, Any] | None = None,
    extra_each: Sequence[dict[str, Any]] | None = None,
) -> list[Device]:
    """Insert new devices as `received`, with fresh codes, and one event each.

    `extra` goes into every event, `extra_each[i]` into the i-th device's only.
    The devices get their `id`, `code` and `status`.
    """
    rows = [{name: _plain(getattr(d, name)) for name in _GIVEN} for d in devices]
    registered = register_rows(session, actor=actor, rows=rows, extra=extra, extra_each=extra_each)
    for device, (device_id, code) in zip(devices, registered, strict=True):
        device.id, device.code, device.status = device_id, code, Status.RECEIVED
    return list(devices)


_GIVEN = tuple(name for name in PROJECTED_FIELDS if name not in ("code", "status"))


_ATTEMPTS = 5
_COLUMNS = ("id", "status_since", *PROJECTED_FIELDS)


_HEAD = operator.itemgetter(*_COLUMNS[:-1])  # every column but attributes, the last
assert _COLUMNS[-1] == "attributes"


def _insert_devices(
    session: Session, rows: Sequence[dict[str, Any]], *, plain: bool
) -> list[dict[str, Any]]:
    """Insert the rows as received devices with reserved ids and fresh codes.

    Codes are drawn at random (35 bits) and not looked up first: a look-up per chunk
    scans the growing table. If one collides with an existing code, the unique index
    refuses the chunk, whose savepoint is rolled back, and it is retried with new codes.
    """
    encode = canonical.dumps_plain if plain else canonical.dumps
    since = now_iso()
    for _attempt in range(_ATTEMPTS):
        codes_ = {codes.new_code() for _ in range(len(rows) + 8)}
        fresh = list(codes_)[: len(rows)]
        if len(fresh) < len(rows):
            continue
        try:
            with session.begin_nested():
                records = [
                    _DEFAULTS
                    | row
                    | {"id": id_, "code": code, "status": Status.RECEIVED.value}
                    | {"status_since": since}
                    for row, code, id_ in zip(
                        rows, fresh, bulk.reserve_ids(session, "device", len(rows)), strict=True
                    )
                ]
                bulk.insert_rows(
                    session,
                    "device",
                    _COLUMNS,
                    [(*_HEAD(r), encode(r["attributes"]).decode()) for r in records],
                )
            return records
        except bulk.DuplicateKey:
            continue
    raise RuntimeError("could not draw unused device codes; is the code space exhausted?")


def _received(record: dict[str, Any]) -> dict[str, list[Any]]:
    """`changes(_DEFAULTS, fields)` of a new device, in one pass (imports run it per row)."""
    return {n: [_DEFAULTS[n], record[n]] for n in PROJECTED_FIELDS if record[n] != _DEFAULTS[n]}


def register_rows(
    session: Session,
    *,
    actor: str,
    rows: Sequence[dict[str, Any]],
    extra: dict[str, Any] | None = None,
    extra_each: Sequence[dict[str, Any]] | None = None,
    plain: bool = False,
) -> list[tuple[int, str]]:
    """The bulk path imports take: plain rows of device fields in, `(id, code)` out.

    One multi-row insert and one ledger append for all of them, in the caller's
    transaction; each device is `received` with a fresh code and its own event.
    `plain=True` says every value (rows and extras) is text, an integer or None, so
    that the ledger skips its scan for floats.
    """
    if not rows:
        return []
    ledger.lock(session)
    records = _insert_devices(session, rows, plain=plain)
    ids = {r["code"]: r["id"] for r in records}
    ledger.append_many(
        session,
        actor=actor,
        events=[
            ledger.NewEvent(
                E.DEVICE_RECEIVED,
                {"changes": _received(r), **(extra or {}), **own},
                ids[r["code"]],
                plain=plain,
            )
            for r, own in zip(records, extra_each or [{}] * len(records), strict=True)
        ],
    )
    return [(ids[r["code"]], r["code"]) for r in records]


Walk = Sequence[tuple[Status, dict[str, Any]]]


def register_walked(
    session: Session,
    *,
    actor: str,
    rows: Sequence[dict[str, Any]],
    walks: Sequence[Walk],
) -> list[tuple[int, str]]:
    """The bulk path seeding takes: register each row and walk it along `walks[i]` (each
    step a status and the fields it changes), with the events `move` would append, in
    one insert, one update per status reached and one ledger append. Raises
    IllegalTransition (nothing written) if a walk takes a step the life cycle forbids."""
    finals = [_walked(row, walk) for row, walk in zip(rows, walks, strict=True)]
    if not rows:
        return []
    ledger.lock(session)
    records = _insert_devices(session, finals, plain=False)
    by_status: dict[Status, list[int]] = {}
    events: list[ledger.NewEvent] = []
    for row, walk, record in zip(rows, walks, records, strict=True):
        initial = _DEFAULTS | row | {"code": record["code"], "status": Status.RECEIVED.value}
        received = _received(initial)
        events.append(ledger.NewEvent(E.DEVICE_RECEIVED, {"changes": received}, record["id"]))
        state, now = Status.RECEIVED, dict(initial)
        for to, fields in walk:
            after = {name: _plain(value) for name, value in fields.items()} | {"status": to.value}
            before = now | {"status": state.value}
            payload = {"changes": changes(before, after)}
            events.append(ledger.NewEvent(TRANSITIONS[(state, to)], payload, record["id"]))
            now.update(fields)
            state = to
        record["status"] = state.value
        by_status.setdefault(state, []).append(record["id"])
    for status, ids in by_status.items():
        if status != Status.RECEIVED:
            session.execute(
                update(Device)
                .where(col(Device.id).in_(ids))
                .values(status=status.value, status_since=records[0]["status_since"])
                .execution_options(synchronize_session=False)
            )
    ledger.append_many(session, actor=actor, events=events)
    shown = [r for r in records if r["status"] == Status.AVAILABLE.value]
    catalog.add_many(session, shown, since=now_iso())
    return [(r["id"], r["code"]) for r in records]


def _walked(row: dict[str, Any], walk: Walk) -> dict[str, Any]:
    """The row at the end of its walk (its status aside); IllegalTransition on a bad step."""
    state, final = Status.RECEIVED, dict(row)
    for to, fields in walk:
        if (state, to) not in TRANSITIONS:
            raise IllegalTransition(
                device="(new)",
                current=Message(STATUS_LABELS[state]),
                target=Message(STATUS_LABELS[to]),
                allowed=[Message(STATUS_LABELS[s]) for s in allowed_next(state)],
            )
        final.update(fields)
        state = to
    return final


def move(
    session: Session,
    device: Device,
    *,
    to: Status,
    actor: str,
    fields: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Device:
    """Move `device` to status `to`, changing `fields` with it, and record the event.

    Raises IllegalTransition (nothing written) if the life cycle forbids the move,
    StaleDevice if another transaction changed the status since it was read.
    """
    current = Status(device.status)
    event_type = TRANSITIONS.get((current, to))
    if event_type is None:
        nexts = allowed_next(current)
        error = IllegalTransition(
            device=codes.display(device.code),
            current=Message(STATUS_LABELS[current]),
            target=Message(STATUS_LABELS[to]),
            allowed=[Message(STATUS_LABELS[s]) for s in nexts] or Message(N_("none")),
        )
        error.extra = {"current": current.value, "allowed": [s.value for s in nexts]}
        raise error
    _apply(session, device, {**(fields or {}), "status": to}, actor, event_type, extra, current)
    return device


def move_many(
    session: Session,
    devices: Sequence[Device],
    *,
    to: Status,
    actor: str,
    fields: dict[str, Any] | None = None,
    extra_each: Sequence[dict[str, Any]] | None = None,
    preceded_by: Sequence[ledger.NewEvent] = (),
) -> None:
    """`move` for devices that share their status, changing the same `fields` on each:
    one update, one catalogue statement and one ledger append for them all, which is
    what keeps a claim's time under the ledger's lock short. The events are those
    `move` would append, one per device with its `extra_each[i]`, after `preceded_by`
    (an event that says why, such as the claim made). Raises
    IllegalTransition or StaleDevice as `move` does, before anything is written."""
    if not devices:
        ledger.append_many(session, actor=actor, events=list(preceded_by))
        return
    current = Status(devices[0].status)
    for device in devices:
        if Status(device.status) != current or (current, to) not in TRANSITIONS:
            move(session, device, to=to, actor=actor, fields=fields)  # raises, says why
    event_type = TRANSITIONS[(current, to)]
    after = {name: _plain(value) for name, value in (fields or {}).items()} | {"status": to.value}
    ledger.lock(session)
    session.flush()
    befores = [state_of(device) for device in devices]
    ids = [device.id for device in devices]
    since = now_iso()
    result = session.execute(
        update(Device)
        .where(col(Device.id).in_(ids), col(Device.status) == current.value)
        .values(**after, status_since=since)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(ids):  # type: ignore[attr-defined]
        statuses = select(col(Device.id), col(Device.status)).where(col(Device.id).in_(ids))
        found: dict[int | None, str] = {row[0]: row[1] for row in session.execute(statuses)}
        for device in devices:
            if found.get(device.id) != current.value:
                now = Message(STATUS_LABELS[Status(found.get(device.id, current.value))])
                raise StaleDevice(device=codes.display(device.code), current=now)
    for device in devices:
        for name, value in {**(fields or {}), "status": to, "status_since": since}.items():
            set_committed_value(device, name, value)
    catalog.follow_many(session, devices, before=current, after=to)
    extras = extra_each or [{}] * len(devices)
    ledger.append_many(
        session,
        actor=actor,
        events=[
            *preceded_by,
            *(
                ledger.NewEvent(event_type, {"changes": changes(before, after), **extra}, device.id)
                for device, before, extra in zip(devices, befores, extras, strict=True)
            ),
        ],
    )


def change(
    session: Session,
    device: Device,
    *,
    actor: str,
    fields: dict[str, Any],
    event: EventType = E.DEVICE_UPDATED,
    extra: dict[str, Any] | None = None,
) -> Device:
    """Change fields other than the status (specs, location…) and record the event."""
    if "status" in fields or "code" in fields:
        raise ReservedField(field="status" if "status" in fields else "code")
    _apply(session, device, fields, actor, event, extra, Status(device.status))
    return device


def _apply(
    session: Session,
    device: Device,
    fields: dict[str, Any],
    actor: str,
    event_type: EventType,
    extra: dict[str, Any] | None,
    expected: Status,
) -> None:
    unknown = set(fields) - set(PROJECTED_FIELDS)
    if unknown:
        raise ReservedField(field=sorted(unknown)[0])
    ledger.lock(session)
    session.flush()
    before = state_of(device)
    after = {name: _plain(value) for name, value in fields.items()}
    written = after | ({"status_since": now_iso()} if "status" in fields else {})
    result = session.execute(
        update(Device)
        .where(col(Device.id) == device.id, col(Device.status) == expected.value)
        .values(**written)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(device)
        now = Status(device.status)
        raise StaleDevice(device=codes.display(device.code), current=Message(STATUS_LABELS[now]))
    for name, value in fields.items():
        set_committed_value(device, name, value)
    if "status_since" in written:
        set_committed_value(device, "status_since", written["status_since"])
    if Status.AVAILABLE in (expected, Status(device.status)):
        catalog.follow(session, device, before=expected, after=Status(device.status))
    payload = {"changes": changes(before, after), **(extra or {})}
    ledger.append(session, actor=actor, type=event_type, payload=payload, device_id=device.id)


def record(
    session: Session,
    device: Device,
    *,
    actor: str,
    event: EventType,
    extra: dict[str, Any] | None = None,
) -> ledger.Appended:
    """Record an event about `device` that changes none of its fields (a label reprint…);
    returns the ledger row appended (its sequence number and hash)."""
    if event in TRANSITIONS.values():
        raise ReservedField(field="status")
    ledger.lock(session)
    session.flush()
    assert device.id is not None
    payload = {"changes": {}, **(extra or {})}
    return ledger.append(session, actor=actor, type=event, payload=payload, device_id=device.id)
