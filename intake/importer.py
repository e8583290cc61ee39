"""Bulk import of a batch's asset list (CSV or XLSX), all or nothing.

Pass 1 reads the file as a stream and checks every row: the row's own fields
(`rules.check_row`), duplicates within the file, and serials already in Remise
(in this batch: "already present", skipped quietly, which makes re-sending a file
harmless; in another batch: an error). A file with any bad row is refused whole,
every problem listed by row and column, unless the caller asked to skip invalid
rows. Pass 2 reads the file again and registers the good rows in chunks, each with
a `device.received` event naming the file's SHA-256 and its row. Both passes run in
the caller's transaction. Memory holds the serials seen and the refused rows, not
the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, BinaryIO

import orjson
from sqlalchemy import func
from sqlmodel import Session, select

from db import ledger, lifecycle
from db.clock import now_iso
from db.enums import Category
from db.errors import N_, Invalid, Message
from db.events import EventType
from db.models import Batch, Device
from intake import rules
from intake.files import SourceRow, TableInfo, open_table
from intake.models import ImportRecord
from remise.auth import Actor
from remise.i18n import LOCALES, translate

REASON_HEADER = N_("Reason refused")
CHUNK = 1000
MAX_REPORTED = 1000
_LOOKUP = 500


class ImportRefused(Invalid):
    code = "import_refused"
    message = N_(
        "The file was not imported: %(count)s problems in %(rows)s rows. Nothing was written. "
        "Fix them and send the file again, or import the valid rows only."
    )


@dataclass(frozen=True)
class RowIssue:
    row: int
    column: str
    message: Message


Progress = Callable[[str, int, int | None], None]  # phase ("checking", "writing"), done, total


@dataclass
class Options:
    filename: str = ""
    dry_run: bool = False
    skip_invalid: bool = False
    default_category: Category | None = None
    progress: Progress | None = None


@dataclass
class Outcome:
    """What an import did, or would do in a dry run."""

    file_sha256: str
    rows: int = 0
    created: int = 0
    already_present: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    issue_count: int = 0
    refused: dict[int, list[str]] = field(default_factory=dict)  # row -> cells
    headers: list[str] = field(default_factory=list)
    import_id: int | None = None

    @property
    def skipped(self) -> int:
        return len(self.refused)


@dataclass
class _Scan:
    """Pass 1's state: what was seen, what is wrong, what to leave out in pass 2."""

    batch_id: int
    outcome: Outcome
    info: TableInfo
    columns: dict[str, str]
    seen: dict[str, int] = field(default_factory=dict)
    present: set[int] = field(default_factory=set)
    pending: list[tuple[str, SourceRow]] = field(default_factory=list)


def file_sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _cells(info: TableInfo, row: SourceRow) -> list[str]:
    """The row's cells in the file's column order, for the CSV of refused rows."""
    return [
        row.values.get(name, "") if name else row.extras.get(header, "")
        for header, name in info.columns.items()
    ]


def _flag(scan: _Scan, row: SourceRow, problems: list[rules.Problem]) -> None:
    outcome = scan.outcome
    for problem in problems:
        outcome.issue_count += 1
        if len(outcome.issues) < MAX_REPORTED:
            column = scan.columns.get(problem.field, problem.field)
            outcome.issues.append(RowIssue(row.number, column, problem.message))
    outcome.refused.setdefault(row.number, _cells(scan.info, row))


def _check_against_remise(session: Session, scan: _Scan) -> None:
    """Serials of the pending rows already in Remise: here (present) or elsewhere (error)."""
    keys = [key for key, _row in scan.pending]
    found = session.exec(
        select(func.upper(Device.serial), Device.batch_id, Device.code).where(
            func.upper(Device.serial).in_(keys)
        )
    ).all()
    where = {serial: (batch_id, code) for serial, batch_id, code in found}
    for key, row in scan.pending:
        if key not in where:
            continue
        batch_id, code = where[key]
        if batch_id == scan.batch_id:
            scan.present.add(row.number)
        else:
            message = Message(
                N_("Serial %(serial)s is already in Remise, in batch %(batch)s (device %(code)s)."),
                {"serial": row.values["serial"], "batch": batch_id, "code": code},
            )
            _flag(scan, row, [rules.Problem("serial", message)])
    scan.pending.clear()


@cache
def _reason_headers() -> frozenset[str]:
    """Our own reason column, in every language: dropped when a refused-rows CSV comes back."""
    return frozenset(translate(locale, REASON_HEADER) for locale in LOCALES)


def _scan_row(scan: _Scan, row: SourceRow, options: Options) -> None:
    problems = rules.row_problems(row.values, default_category=options.default_category)
    if not problems:
        serial = row.values["serial"]
        key = serial.upper()
        first = scan.seen.setdefault(key, row.number)
        if first != row.number:
            problems = [
                rules.Problem(
                    "serial",
                    Message(
                        N_("Serial %(serial)s already appears on row %(row)s of this file."),
                        {"serial": serial, "row": first},
                    ),
                )
            ]
        else:
            scan.pending.append((key, row))
    if problems:
        _flag(scan, row, problems)


def _scan(
    session: Session, batch: Batch, stream: BinaryIO, options: Options, outcome: Outcome
) -> _Scan:
    assert batch.id is not None
    with open_table(stream, options.filename) as (info, rows):
        columns = {name: header for header, name in info.columns.items() if name}
        scan = _Scan(batch.id, outcome, info, columns)
        outcome.headers = list(info.columns)
        for row in rows:
            outcome.rows += 1
            _scan_row(scan, row, options)
            if len(scan.pending) >= _LOOKUP:
                _check_against_remise(session, scan)
                if options.progress:
                    options.progress("checking", outcome.rows, None)
        _check_against_remise(session, scan)
    return scan


def _drafts(stream: BinaryIO, options: Options, scan: _Scan) -> Iterator[tuple[int, rules.Draft]]:
    stream.seek(0)
    with open_table(stream, options.filename) as (_info, rows):
        for row in rows:
            if row.number in scan.outcome.refused or row.number in scan.present:
                continue
            extras = {k: v for k, v in row.extras.items() if k not in _reason_headers()}
            yield (
                row.number,
                rules.draft(row.values, extras, default_category=options.default_category),
            )


def _register(
    session: Session, actor: Actor, batch: Batch, chunk: list[tuple[int, rules.Draft]], sha: str
) -> None:
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


def import_rows(
    session: Session, actor: Actor, *, batch: Batch, stream: BinaryIO, options: Options
) -> Outcome:
    """Check, then (unless a dry run) register every good row; raises ImportRefused."""
    outcome = Outcome(file_sha256=file_sha256(stream))
    scan = _scan(session, batch, stream, options, outcome)
    outcome.already_present = len(scan.present)
    if outcome.issue_count and not options.skip_invalid:
        error = ImportRefused(count=outcome.issue_count, rows=len(outcome.refused))
        error.extra = {"errors": outcome.issues, "error_count": outcome.issue_count}
        raise error
    to_create = outcome.rows - outcome.skipped - outcome.already_present
    if options.dry_run:
        outcome.created = to_create
        return outcome
    chunk: list[tuple[int, rules.Draft]] = []
    for item in _drafts(stream, options, scan):
        chunk.append(item)
        if len(chunk) == CHUNK:
            _register(session, actor, batch, chunk, outcome.file_sha256)
            outcome.created += len(chunk)
            chunk = []
            if options.progress:
                options.progress("writing", outcome.created, to_create)
    if chunk:
        _register(session, actor, batch, chunk, outcome.file_sha256)
        outcome.created += len(chunk)
    outcome.import_id = _record(session, actor, batch, options, outcome)
    return outcome


def _record(
    session: Session, actor: Actor, batch: Batch, options: Options, outcome: Outcome
) -> int:
    assert batch.id is not None
    record = ImportRecord(
        batch_id=batch.id,
        file_sha256=outcome.file_sha256,
        filename=options.filename[:255],
        rows=outcome.rows,
        created=outcome.created,
        already_present=outcome.already_present,
        skipped=outcome.skipped,
        refused_csv=refused_document(outcome) if outcome.refused else None,
        actor=actor.ledger_name,
        created_at=now_iso(),
    )
    session.add(record)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.BATCH_IMPORTED,
        payload={
            "batch_id": batch.id,
            "import_id": record.id,
            "file_sha256": outcome.file_sha256,
            "filename": record.filename,
            "rows": outcome.rows,
            "created": outcome.created,
            "already_present": outcome.already_present,
            "skipped": outcome.skipped,
        },
    )
    assert record.id is not None
    return record.id


def _message_json(message: Message) -> dict[str, Any]:
    params = {
        key: _message_json(value) if isinstance(value, Message) else value
        for key, value in message.params.items()
    }
    return {"template": message.template, "params": params}


def message_from_json(data: dict[str, Any]) -> Message:
    params = {
        key: message_from_json(value) if isinstance(value, dict) and "template" in value else value
        for key, value in data["params"].items()
    }
    return Message(data["template"], params)


def refused_document(outcome: Outcome) -> str:
    """The refused rows and their reasons, kept as JSON to be rendered in any language."""
    reasons: dict[int, list[dict[str, Any]]] = {}
    for issue in outcome.issues:
        reasons.setdefault(issue.row, []).append(
            {"column": issue.column, "message": _message_json(issue.message)}
        )
    rows = [
        {"row": n, "cells": cells, "reasons": reasons.get(n, [])}
        for n, cells in sorted(outcome.refused.items())
    ]
    return orjson.dumps({"headers": outcome.headers, "rows": rows}).decode()


def refused_csv(
    document: str | None, translate: Callable[[Message], str], *, reason_header: str
) -> str:
    """The refused rows as a `;` CSV that French Excel opens: the file's columns, then why."""
    data = orjson.loads(document or '{"headers": [], "rows": []}')
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([*data["headers"], reason_header])
    for row in data["rows"]:
        reasons = " ; ".join(
            f"{reason['column']} : {translate(message_from_json(reason['message']))}"
            for reason in row["reasons"]
        )
        writer.writerow([*row["cells"], reasons])
    return out.getvalue()
