"""Label use cases: which devices to print, what their labels say, recording each print.

The first print of a device's label moves it from received to labelled
(`device.labelled`); any later one is a `device.label_reprinted`, so a coordinator
sees which devices of a batch still wait for a label (those still `received`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from db import batches, codes, devices, lifecycle
from db.enums import Status
from db.errors import N_, Invalid, NotFound
from db.events import EventType
from db.models import Batch, Device, Donor
from labels.content import LabelContent, label_content
from remise.auth import Actor

MAX_LABELS = 5000  # one request; a batch larger than this is printed in parts


class NothingToPrint(Invalid):
    code = "nothing_to_print"
    message = N_("There is no label to print: give device codes or a batch with devices.")


class TooManyLabels(Invalid):
    code = "too_many_labels"
    message = N_("%(count)s labels at once is too many: print at most %(max)s per request.")


class UnknownCodes(NotFound):
    code = "unknown_device_codes"
    message = N_("No device has these codes: %(codes)s.")


@dataclass(frozen=True)
class Printed:
    labelled: int  # first prints: received → labelled
    reprinted: int


def devices_for(
    session: Session,
    *,
    device_codes: Sequence[str] = (),
    batch_id: int | None = None,
    unlabelled_only: bool = False,
) -> list[Device]:
    """The devices to label: those named by code (in that order), then a batch's by id.

    Raises UnknownCodes listing every code that is mistyped or unknown, BatchNotFound,
    NothingToPrint, TooManyLabels.
    """
    found = _by_codes(session, device_codes)
    if batch_id is not None:
        batches.by_id(session, batch_id)
        query = select(Device).where(col(Device.batch_id) == batch_id)
        found += session.exec(query.order_by(col(Device.id))).all()
    if unlabelled_only:
        found = [d for d in found if d.status == Status.RECEIVED.value]
    unique = list({d.id: d for d in found}.values())
    if not unique:
        raise NothingToPrint()
    if len(unique) > MAX_LABELS:
        raise TooManyLabels(count=len(unique), max=MAX_LABELS)
    return unique


def _by_codes(session: Session, device_codes: Sequence[str]) -> list[Device]:
    wanted, bad = [], []
    for text in device_codes:
        try:
            wanted.append(codes.parse(text))
        except codes.CodeError:
            bad.append(text.strip()[:20])
    rows = session.exec(select(Device).where(col(Device.code).in_(wanted))).all() if wanted else []
    by_code = {d.code: d for d in rows}
    bad += [codes.display(c) for c in wanted if c not in by_code]
    if bad:
        raise UnknownCodes(codes=", ".join(bad))
    return [by_code[c] for c in wanted]


def device(session: Session, code: str) -> Device:
    return devices.by_code(session, code)


def contents(
    session: Session,
    found: Sequence[Device],
    *,
    locale: str,
    translate: Callable[[str], str],
) -> list[LabelContent]:
    """What each device's label says, with its batch and donor looked up once."""
    batch_ids = {d.batch_id for d in found if d.batch_id is not None}
    donors: dict[int, str] = {}
    if batch_ids:
        query = select(Batch.id, Donor.name).join(Donor, col(Donor.id) == Batch.donor_id)
        rows = session.exec(query.where(col(Batch.id).in_(batch_ids))).all()
        donors = {batch_id: name for batch_id, name in rows if batch_id is not None}
    return [
        label_content(
            code=d.code,
            category=d.category,
            brand=d.brand,
            model=d.model,
            batch_id=d.batch_id,
            donor=donors.get(d.batch_id) if d.batch_id is not None else None,
            grade=d.grade,
            price_cents=d.price_cents,
            locale=locale,
            translate=translate,
            graded=(d.attributes or {}).get("grading"),
        )
        for d in found
    ]


def record_prints(
    session: Session, actor: Actor, *, printed: Sequence[Device], layout: str
) -> Printed:
    """Record that these labels were printed: `device.labelled` the first time, else a reprint."""
    first = 0
    for item in printed:
        extra = {"layout": layout}
        if item.status == Status.RECEIVED.value:
            lifecycle.move(session, item, to=Status.LABELLED, actor=actor.ledger_name, extra=extra)
            first += 1
        else:
            lifecycle.record(
                session,
                item,
                actor=actor.ledger_name,
                event=EventType.DEVICE_LABEL_REPRINTED,
                extra=extra,
            )
    return Printed(labelled=first, reprinted=len(printed) - first)
