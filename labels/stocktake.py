"""Continuous scanning: a reception (scan a batch, then its devices) or a stock-take
(scan a shelf, then what is on it). Each device seen is recorded on the ledger."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from db import batches, codes, lifecycle
from db.errors import N_, Invalid, Message
from db.events import EventType
from db.models import Device
from labels import scan
from remise.auth import Actor

BATCH_LABEL = re.compile(r"^\s*(?:LOT|BATCH)[\s\-_:]*(\d{1,9})\s*$", re.IGNORECASE)
MAX_EXPECTED = 5000


class ScanContextFirst(Invalid):
    code = "scan_context_first"
    message = N_("This is a device: scan the batch or the shelf first, then its devices.")


@dataclass(frozen=True)
class Context:
    """Where the devices being scanned should be: one batch, or one shelf."""

    batch_id: int | None = None
    shelf: str | None = None


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


def open_context(session: Session, text: str) -> Opened:
    """What a first scan names: `LOT-12` a batch, any other text that names no device a
    shelf. Raises ScanContextFirst for a device, BatchNotFound, NothingScanned."""
    cleaned = scan.clean(text)
    if not cleaned:
        raise scan.NothingScanned()
    if match := BATCH_LABEL.match(cleaned):
        batch = batches.by_id(session, int(match.group(1)))
        where = col(Device.batch_id) == batch.id
        title = Message(
            N_("Reception of batch %(batch)s (%(site)s)"), {"batch": batch.id, "site": batch.site}
        )
        context = Context(batch_id=batch.id)
    else:
        if scan.candidates(session, cleaned):
            raise ScanContextFirst()
        where = col(Device.location) == cleaned[:200]
        title = Message(N_("Stock-take of shelf “%(shelf)s”"), {"shelf": cleaned[:200]})
        context = Context(shelf=cleaned[:200])
    rows = session.exec(select(Device.code).where(where).order_by(col(Device.id))).all()
    return Opened(context, title, [codes.display(c) for c in rows[:MAX_EXPECTED]])


def record_seen(
    session: Session, actor: Actor, *, context: Context, text: str, already: set[str]
) -> Seen:
    """Check one scanned device against the context; record it unless set aside.

    A shelf becomes the device's location (`device.updated`); a device already there,
    or received in the batch, gets `device.seen`. Unknown, ambiguous, duplicate or
    out-of-batch scans are set aside (ok False), with nothing written.
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
    if context.shelf is not None and device.location != context.shelf:
        lifecycle.change(session, device, actor=who, fields={"location": context.shelf})
    else:
        where = {"shelf": context.shelf} if context.shelf else {"batch_id": context.batch_id}
        lifecycle.record(session, device, actor=who, event=EventType.DEVICE_SEEN, extra=where)
    what = " ".join(p for p in (device.brand, device.model) if p) or device.category
    done = Message(N_("%(code)s (%(what)s): recorded."), {"code": shown, "what": what})
    return Seen(True, done, shown)
