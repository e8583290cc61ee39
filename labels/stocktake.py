"""Continuous scanning: a reception (scan a batch, then its devices) or a stock-take
(scan a known location's label, then what is there). Each device seen is recorded on
the ledger.

Only a batch label or the label of a location that exists opens either: a first scan
that is a mistyped device code or free text would otherwise open a stock-take of a
place that does not exist and move the next devices there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from db import batches, codes, lifecycle
from db.errors import N_, DomainError, Invalid, Message
from db.events import EventType
from db.models import Device, Location
from labels import locations, scan
from remise.auth import Actor

MAX_EXPECTED = 5000


class ScanContextFirst(Invalid):
    code = "scan_context_first"
    message = N_("This is a device: scan the batch or the location label first, then its devices.")


class NotAContextLabel(Invalid):
    code = "scan_not_a_context_label"
    message = N_(
        "“%(text)s” is neither a batch label (LOT-12) nor a location label (LOC-…): "
        "the first scan must be one of them."
    )


class UnknownContextLocation(Invalid):
    code = "scan_unknown_context_location"
    message = N_("The location %(code)s of this stock-take does not exist: scan its label again.")


@dataclass(frozen=True)
class Context:
    """Where the devices being scanned should be: one batch, or one known location."""

    batch_id: int | None = None
    location_code: str | None = None
    location_name: str | None = None


@dataclass
class Opened:
    context: Context
    title: Message
    expected: list[str] = field(default_factory=list)  # display codes


@dataclass
class Seen:
    ok: bool
    message: Message
    code: str | None = None  # display code of the device, when one was found


def _expected(session: Session, where: ColumnElement[bool]) -> list[str]:
    rows = session.exec(select(Device.code).where(where).order_by(col(Device.id))).all()
    return [codes.display(c) for c in rows[:MAX_EXPECTED]]


def _refusal(session: Session, text: str) -> DomainError:
    """Why `text` opens nothing: a device, or neither label (MistypedCode is raised)."""
    try:
        scan.resolve(session, text)
    except scan.AmbiguousScan:
        return ScanContextFirst()
    except scan.NoMatch:
        return NotAContextLabel(text=scan.clean(text)[:60])
    return ScanContextFirst()


def open_context(session: Session, text: str) -> Opened:
    """What a first scan names: `LOT-12` a batch, `LOC-XXXXX` a known location.

    Raises BatchNotFound, MistypedLocation or LocationNotFound for such labels;
    ScanContextFirst for a device, MistypedCode for a mistyped device code,
    NotAContextLabel for anything else, NothingScanned. Nothing is written.
    """
    cleaned = scan.clean(text)
    if not cleaned:
        raise scan.NothingScanned()
    if (number := scan.batch_number(cleaned)) is not None:
        batch = batches.by_id(session, number)
        title = Message(
            N_("Reception of batch %(batch)s (%(site)s)"), {"batch": batch.id, "site": batch.site}
        )
        expected = _expected(session, col(Device.batch_id) == batch.id)
        return Opened(Context(batch_id=batch.id), title, expected)
    if scan.location_code(cleaned) is not None:
        return _stock_take(session, locations.by_code(session, cleaned))
    raise _refusal(session, cleaned)


def _stock_take(session: Session, location: Location) -> Opened:
    title = Message(
        N_("Stock-take of “%(name)s” (%(code)s)"), {"name": location.name, "code": location.code}
    )
    context = Context(location_code=location.code, location_name=location.name)
    return Opened(context, title, _expected(session, col(Device.location) == location.name))


def context_for(session: Session, *, batch_id: int | None, location_code: str | None) -> Context:
    """The context a page sends back with each scan, checked: an unknown location is
    UnknownContextLocation (the page must not move devices to a place that is not)."""
    if location_code is None:
        return Context(batch_id=batch_id)
    try:
        location = locations.by_code(session, location_code)
    except (locations.LocationNotFound, scan.MistypedLocation) as exc:
        raise UnknownContextLocation(code=scan.clean(location_code)[:20]) from exc
    return Context(location_code=location.code, location_name=location.name)


def record_seen(
    session: Session, actor: Actor, *, context: Context, text: str, already: set[str]
) -> Seen:
    """Check one scanned device against the context; record it unless set aside.

    A location becomes the device's location (`device.updated`); a device already
    there, or received in the batch, gets `device.seen`. Unknown, ambiguous, duplicate
    or out-of-batch scans are set aside (ok False), with nothing written.
    """
    try:
        device = scan.resolve(session, text)
    except (scan.NoMatch, scan.MistypedCode, scan.AmbiguousScan, scan.NothingScanned) as exc:
        return Seen(False, Message(exc.template, exc.params))
    shown = codes.display(device.code)
    if shown in already:
        return Seen(False, Message(N_("%(code)s was already scanned."), {"code": shown}), shown)
    if context.batch_id is not None and device.batch_id != context.batch_id:
        other = Message(
            N_("%(code)s belongs to batch %(other)s, not to batch %(batch)s."),
            {"code": shown, "other": device.batch_id, "batch": context.batch_id},
        )
        return Seen(False, other, shown)
    who = actor.ledger_name
    place = context.location_name
    if place is not None and device.location != place:
        code = {"location_code": context.location_code}
        lifecycle.change(session, device, actor=who, fields={"location": place}, extra=code)
    else:
        where = (
            {"location": place, "location_code": context.location_code}
            if place is not None
            else {"batch_id": context.batch_id}
        )
        lifecycle.record(session, device, actor=who, event=EventType.DEVICE_SEEN, extra=where)
    what = " ".join(p for p in (device.brand, device.model) if p) or device.category
    done = Message(N_("%(code)s (%(what)s): recorded."), {"code": shown, "what": what})
    return Seen(True, done, shown)
