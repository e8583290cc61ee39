"""Intake use cases: donors, batches, receiving devices, closing a batch."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from db import batches as batches_
from db import codes, ledger, lifecycle
from db.clock import now_iso, utcnow
from db.devices import identifier_is
from db.enums import CATEGORY_LABELS, Category
from db.errors import N_, Conflict, Invalid, NotFound
from db.events import EventType
from db.models import Batch, Device, Donor
from intake import refused, rules
from intake.models import (
    BatchCreate,
    BatchRead,
    CategoryCounts,
    DeviceIntake,
    DonorCreate,
    ImportRecord,
)
from intake.receipt import CategoryCount, ReceiptLine, ReceiptView
from remise.auth import Actor


class DonorNotFound(NotFound):
    field: ClassVar[str] = "donor_id"
    code = "donor_not_found"
    message = N_("No donor number %(id)s.")


class BadSiret(Invalid):
    field: ClassVar[str] = "siret"  # the form field a page shows the message beside
    code = "bad_siret"
    message = N_("“%(siret)s” is not a valid SIRET: 14 digits, the last one being the check digit.")


class BadImei(Invalid):
    field: ClassVar[str] = "imei"
    code = "bad_imei"
    message = N_("“%(value)s” is not a valid IMEI: 15 digits, the last one being the check digit.")


class BatchClosed(Conflict):
    code = "batch_closed"
    message = N_("Batch %(id)s is closed: reopen it or use another batch.")


class SerialTaken(Conflict):
    field: ClassVar[str] = "serial"
    code = "serial_taken"
    message = N_("Serial %(serial)s is already in Remise, in batch %(batch)s (device %(code)s).")


class CommentRequired(Invalid):
    code = "closing_comment_required"
    message = N_(
        "Received and declared counts differ (%(differences)s): "
        "say why in a comment to close the batch."
    )


def normalised_siret(text: str) -> str:
    """The SIRET without its spaces; BadSiret unless it passes its check digit."""
    siret = "".join(text.split())
    if not rules.siret_valid(siret):
        raise BadSiret(siret=text)
    return siret


def donors_with_siret(session: Session, siret: str) -> Sequence[Donor]:
    """The donors already recorded with this (normalised) SIRET, oldest first: a second
    one is most often the same company typed again."""
    query = select(Donor).where(col(Donor.siret) == siret).order_by(col(Donor.id))
    return session.exec(query).all()


def create_donor(session: Session, actor: Actor, *, data: DonorCreate) -> Donor:
    """Record a donor; a SIRET, if given, must pass its check digit."""
    siret = normalised_siret(data.siret) if data.siret else None
    donor = Donor(**data.model_dump(exclude={"siret"}), siret=siret, created_at=now_iso())
    session.add(donor)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.DONOR_CREATED,
        payload={"donor_id": donor.id, "name": donor.name, "siret": siret},
    )
    return donor


def donors(session: Session) -> Sequence[Donor]:
    return session.exec(select(Donor).order_by(col(Donor.name))).all()


def donor(session: Session, donor_id: int) -> Donor:
    found = session.get(Donor, donor_id)
    if found is None:
        raise DonorNotFound(id=donor_id)
    return found


def create_batch(session: Session, actor: Actor, *, data: BatchCreate) -> Batch:
    """Record a donation lot with the counts the donor declared per category."""
    donor(session, data.donor_id)
    batch = Batch(
        donor_id=data.donor_id,
        pickup_date=data.pickup_date,
        site=data.site.strip(),
        declared={c.value: n for c, n in data.declared.items() if n},
        workshop=data.workshop,
        created_at=now_iso(),
        created_by=actor.ledger_name,
    )
    session.add(batch)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.BATCH_CREATED,
        payload={
            "batch_id": batch.id,
            "donor_id": batch.donor_id,
            "site": batch.site,
            "pickup_date": batch.pickup_date.isoformat(),
            "declared": batch.declared,
        },
    )
    return batch


def batch(session: Session, batch_id: int) -> Batch:
    return batches_.by_id(session, batch_id)


def open_batch(session: Session, batch_id: int) -> Batch:
    found = batch(session, batch_id)
    if found.closed:
        raise BatchClosed(id=batch_id)
    return found


def batches(
    session: Session, *, donor_id: int | None = None, closed: bool | None = None
) -> Sequence[Batch]:
    query = select(Batch).order_by(col(Batch.id).desc())
    if donor_id is not None:
        query = query.where(Batch.donor_id == donor_id)
    if closed is not None:
        query = query.where(Batch.closed == closed)
    return session.exec(query).all()


def received_counts(session: Session, batch_id: int) -> dict[str, int]:
    rows = session.exec(
        select(Device.category, func.count())
        .where(Device.batch_id == batch_id)
        .group_by(Device.category)
    ).all()
    return {category: count for category, count in rows}


def counts(declared: dict[str, int], received: dict[str, int]) -> dict[str, CategoryCounts]:
    """Declared against received, per category, in the life cycle's category order."""
    return {
        c.value: CategoryCounts(
            declared=declared.get(c.value, 0),
            received=received.get(c.value, 0),
            difference=received.get(c.value, 0) - declared.get(c.value, 0),
        )
        for c in Category
        if declared.get(c.value) or received.get(c.value)
    }


def batch_view(session: Session, found: Batch) -> BatchRead:
    assert found.id is not None
    received = received_counts(session, found.id)
    table = counts(found.declared, received)
    return BatchRead(
        **found.model_dump(exclude={"declared"}),
        declared=found.declared,
        donor_name=donor(session, found.donor_id).name,
        received=received,
        counts=table,
        balanced=all(c.difference == 0 for c in table.values()),
    )


def receive_device(session: Session, actor: Actor, *, batch_id: int, data: DeviceIntake) -> Device:
    """Register one device into an open batch; it gets its code and a `received` event."""
    found = open_batch(session, batch_id)
    imei = normalised_imei(data.imei) if data.imei else None
    serial = data.serial.strip()
    taken = session.exec(select(Device).where(identifier_is(Device.serial, serial.upper()))).first()
    if taken is not None:
        raise SerialTaken(serial=serial, batch=taken.batch_id, code=codes.display(taken.code))
    device = Device(
        batch_id=batch_id,
        category=data.category.value,
        brand=data.brand,
        model=data.model,
        serial=serial,
        imei=imei,
        asset_tag=data.asset_tag,
        attributes=data.attributes,
    )
    lifecycle.register(
        session, actor=actor.ledger_name, devices=[device], extra={"where": found.site}
    )
    return device


def normalised_imei(text: str) -> str:
    """The IMEI as stored; BadImei unless it has 15 digits passing the check digit."""
    if not rules.imei_valid(text):
        raise BadImei(value=text)
    return rules.normalise_imei(text)


def batch_device(session: Session, batch_id: int, text: str) -> Device | None:
    """The device of this batch whose code `text` spells, else None (mistyped or another
    batch's): the batch page shows the one just registered."""
    try:
        code = codes.parse(text)
    except codes.CodeError:
        return None
    query = select(Device).where(col(Device.batch_id) == batch_id, col(Device.code) == code)
    return session.exec(query).first()


def close_batch(session: Session, actor: Actor, *, batch_id: int, comment: str | None) -> Batch:
    """Close a batch; differences between declared and received counts need a comment."""
    found = open_batch(session, batch_id)
    table = counts(found.declared, received_counts(session, batch_id))
    differences = {c: t for c, t in table.items() if t.difference}
    if differences and not (comment and comment.strip()):
        summary = ", ".join(f"{c}: {t.received}/{t.declared}" for c, t in differences.items())
        raise CommentRequired(differences=summary)
    found.closed, found.closing_comment = True, (comment or "").strip() or None
    found.closed_at, found.closed_by = now_iso(), actor.ledger_name
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.BATCH_CLOSED,
        payload={
            "batch_id": batch_id,
            "comment": found.closing_comment,
            "counts": {c: [t.declared, t.received] for c, t in table.items()},
        },
    )
    return found


class ImportNotFound(NotFound):
    code = "import_not_found"
    message = N_("No import number %(id)s.")


def import_record(session: Session, import_id: int) -> ImportRecord:
    found = session.get(ImportRecord, import_id)
    if found is None:
        raise ImportNotFound(id=import_id)
    return found


class RefusedRowsRemoved(NotFound):
    status = 410
    code = "refused_rows_removed"
    message = N_(
        "The refused rows of import %(id)s are no longer kept: they are removed "
        "%(days)s days after their batch is closed."
    )


def refused_rows(
    session: Session, import_id: int, *, data_dir: Path, days: int
) -> tuple[list[str], Iterator[refused.Row]]:
    """An import's refused rows (its headers, then cells and reasons), read as they are
    needed; RefusedRowsRemoved once the retention has passed (`intake.jobs`)."""
    record = import_record(session, import_id)
    if record.refused_csv is not None:  # recorded before migration 0009
        return refused.document_rows(record.refused_csv)
    if record.refused_file is None:
        return refused.document_rows(None)
    path = refused.folder(data_dir) / record.refused_file
    try:
        return refused.file_rows(path)
    except FileNotFoundError as exc:
        raise RefusedRowsRemoved(id=import_id, days=days) from exc


def imports_with_refused_rows(session: Session, batch_id: int) -> Sequence[ImportRecord]:
    """The batch's imports that left rows out, newest first (the page links their CSV)."""
    return session.exec(
        select(ImportRecord)
        .where(ImportRecord.batch_id == batch_id, col(ImportRecord.skipped) > 0)
        .order_by(col(ImportRecord.id).desc())
    ).all()


def batch_devices(
    session: Session,
    batch_id: int,
    *,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[Device]:
    """The batch's devices in the order they were registered (or the newest first), all of
    them or the `limit` after `offset`."""
    order = col(Device.id).desc() if newest_first else col(Device.id)
    query = select(Device).where(col(Device.batch_id) == batch_id).order_by(order)
    return session.exec(query.offset(offset).limit(limit)).all()


def receipt_view(
    session: Session, batch_id: int, *, organisation: str, label: Callable[[str], str], head: str
) -> ReceiptView:
    """What the donor's receipt shows; `label` translates category names."""
    found = batch(session, batch_id)
    giver = donor(session, found.donor_id)
    devices = session.exec(
        select(Device).where(Device.batch_id == batch_id).order_by(col(Device.id))
    )
    lines = [
        ReceiptLine(
            code=codes.display(d.code),
            category=label(CATEGORY_LABELS[Category(d.category)]),
            brand=d.brand,
            model=d.model,
            serial=d.serial,
            asset_tag=d.asset_tag,
        )
        for d in devices
    ]
    table = counts(found.declared, received_counts(session, batch_id))
    contact = " — ".join(x for x in (giver.contact_name, giver.contact_email) if x) or None
    return ReceiptView(
        organisation=organisation,
        donor_name=giver.name,
        donor_siret=giver.siret,
        donor_contact=contact,
        batch_id=batch_id,
        pickup_date=found.pickup_date,
        site=found.site,
        workshop=found.workshop,
        lines=lines,
        closed=found.closed,
        counts=[
            CategoryCount(label(CATEGORY_LABELS[Category(c)]), t.declared, t.received)
            for c, t in table.items()
        ],
        closing_comment=found.closing_comment,
        issued_at=utcnow(),
        ledger_head=head,
    )
