"""Pass 2 of an import: its record, then its rows chunk by chunk, each in its own transaction.

The record is written first ("writing"), so that an import cut short shows as such
and can be finished by sending the same file again (`begin` picks its record up).
Every chunk takes the ledger lock, checks its serials once more (a row another
import of the same file registered meanwhile is skipped, one registered in another
batch stops the import), registers its devices with their `device.received` events
and counts them on the record, and commits. `finish` marks the record "done" and
appends `batch.imported`. The transactions come from the caller's unit of work:
nothing here commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import func, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from db import ledger, lifecycle
from db.clock import now_iso
from db.devices import identifier_is
from db.engine import UnitOfWork
from db.errors import N_, Conflict, DomainError
from db.events import EventType
from db.models import Batch, Device
from intake import refused, rules, service
from intake.models import IMPORT_DONE, IMPORT_INTERRUPTED, IMPORT_WRITING, ImportRecord
from remise.auth import Actor

if TYPE_CHECKING:
    from intake.importer import Outcome

log = logging.getLogger("remise.intake")
Chunk = list[tuple[int, rules.Draft]]  # row number, what to register


class SerialTakenMeanwhile(Conflict):
    code = "serial_taken_meanwhile"
    message = N_(
        "Row %(row)s: serial %(serial)s was registered in batch %(batch)s while this file "
        "was being imported. The import stopped; the rows before it are registered. Fix the "
        "row and send the file again: the rows already registered will not be registered twice."
    )


def serials_in_remise(session: Session, keys: list[str]) -> dict[str, tuple[int, str]]:
    """Upper-cased serials among `keys` already in Remise: their batch and device code."""
    found = session.exec(
        select(func.upper(Device.serial), Device.batch_id, Device.code).where(
            identifier_is(Device.serial, keys)
        )
    ).all()
    return {serial: (batch_id, code) for serial, batch_id, code in found}


def begin(
    work: UnitOfWork, actor: Actor, *, batch: Batch, outcome: Outcome, filename: str
) -> tuple[int, int]:
    """The import's record, new or the unfinished one of the same file (and the devices
    it already registered); raises BatchClosed if the batch closed since pass 1."""
    assert batch.id is not None
    with work.writing() as session:
        ledger.lock(session)  # imports of one file take their turn here
        service.open_batch(session, batch.id)
        record = session.exec(
            select(ImportRecord)
            .where(
                ImportRecord.batch_id == batch.id,
                ImportRecord.file_sha256 == outcome.file_sha256,
                col(ImportRecord.state) != IMPORT_DONE,
            )
            .order_by(col(ImportRecord.id).desc())
        ).first()
        if record is None:
            record = ImportRecord(
                batch_id=batch.id,
                file_sha256=outcome.file_sha256,
                filename=filename[:255],
                rows=outcome.rows,
                created=0,
                already_present=0,
                skipped=outcome.skipped,
                actor=actor.ledger_name,
                created_at=now_iso(),
            )
        record.state = IMPORT_WRITING
        session.add(record)
        session.flush()
        assert record.id is not None
        record.refused_file = refused.kept_name(record.id) if outcome.skipped else None
        return record.id, record.created


def _register(session: Session, actor: Actor, batch: Batch, chunk: Chunk, sha: str) -> None:
    rows = [
        {
            "batch_id": batch.id,
            "category": d.category.value,
            "brand": d.brand,
            "model": d.model,
            "serial": d.serial,
            "imei": d.imei,
            "asset_tag": d.asset_tag,
            "attributes": d.attributes,
        }
        for _row, d in chunk
    ]
    lifecycle.register_rows(
        session,
        actor=actor.ledger_name,
        rows=rows,
        extra={"where": batch.site, "file_sha256": sha},
        extra_each=[{"row": row} for row, _d in chunk],
        plain=True,  # validated cells: text, and the batch id and row numbers
    )


def write_chunk(
    work: UnitOfWork, actor: Actor, *, batch: Batch, import_id: int, chunk: Chunk, sha: str
) -> int:
    """Register the chunk's rows not in this batch yet, in one transaction; how many."""
    with work.writing() as session:
        ledger.lock(session)
        where = serials_in_remise(session, [d.serial.upper() for _row, d in chunk])
        fresh: Chunk = []
        for row, draft in chunk:
            found = where.get(draft.serial.upper())
            if found is None:
                fresh.append((row, draft))
            elif found[0] != batch.id:
                raise SerialTakenMeanwhile(row=row, serial=draft.serial, batch=found[0])
        if fresh:
            _register(session, actor, batch, fresh, sha)
            session.execute(
                update(ImportRecord)
                .where(col(ImportRecord.id) == import_id)
                .values(created=col(ImportRecord.created) + len(fresh))
            )
        return len(fresh)


@contextmanager
def interrupted_on_failure(work: UnitOfWork, import_id: int) -> Iterator[None]:
    """Leave the record "interrupted" if writing fails (a crash leaves it "writing")."""
    try:
        yield
    except BaseException:
        try:
            with work.writing() as session:
                record = session.get(ImportRecord, import_id)
                if record is not None and record.state == IMPORT_WRITING:
                    record.state = IMPORT_INTERRUPTED
        except (SQLAlchemyError, DomainError):  # the database itself is failing: say so below
            log.exception("import %s stopped; its record still reads 'writing'", import_id)
        raise


def finish(
    work: UnitOfWork, actor: Actor, *, batch: Batch, import_id: int, outcome: Outcome, earlier: int
) -> None:
    """Mark the record done, with what the whole import registered, on the ledger too."""
    with work.writing() as session:
        record = session.get(ImportRecord, import_id)
        assert record is not None
        record.state = IMPORT_DONE
        record.rows, record.skipped = outcome.rows, outcome.skipped
        # Rows an earlier, interrupted attempt registered were "already present" this time.
        record.already_present = max(0, outcome.already_present - earlier)
        session.flush()
        ledger.append(
            session,
            actor=actor.ledger_name,
            type=EventType.BATCH_IMPORTED,
            payload={
                "batch_id": batch.id,
                "import_id": import_id,
                "file_sha256": outcome.file_sha256,
                "filename": record.filename,
                "rows": record.rows,
                "created": record.created,
                "already_present": record.already_present,
                "skipped": record.skipped,
            },
        )
