"""Bulk import of a batch's asset list (CSV or XLSX): every row checked before any is written.

Pass 1 reads the file as a stream, in one read-only transaction (it takes no write
lock: a dry run never does), and checks every row: the row's own fields
(`rules.check_row`), duplicates within the file, and serials already in Remise (in
this batch: "already present", skipped quietly, which makes re-sending a file
harmless; in another batch: an error). A file with any bad row is refused whole,
unless the caller asked to skip invalid rows; the answer lists the first
`MAX_REPORTED` problems and counts them all, and every refused row goes to a file on
disk (`intake.refused`), never into memory. Files past `Options.max_rows` rows are
refused as soon as the row after the limit is read.

A category word that names two kinds of device (« Téléphone », « Portable ») is read
from the row's evidence (`intake.categories`), else from the answer given for that
value (`Options.answers`); rows still waiting are refused with why, and counted under
their value in `Outcome.readings`, which says how every value was read. A dry run asks
(it answers the questions), an import refuses them all (CategoryUnanswered) unless
told to skip invalid rows.

Pass 2 reads the file again and registers the good rows in chunks of `CHUNK`, each
in its own short write transaction from the caller's unit of work (`db.engine`), so
that logins and other writers get the lock between chunks. Each chunk's devices and
their `device.received` events (naming the file's SHA-256 and its row) commit
together. The import's `ImportRecord` is written first, in state "writing", and
becomes "done" with a `batch.imported` event; if writing stops half-way it is left
"interrupted" (or "writing" after a crash), and sending the same file again finishes
it: rows already in this batch are skipped, in pass 1 and again in each chunk.
Memory holds the serials seen (to find duplicates) and two bitmaps of row numbers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session

from db.engine import UnitOfWork
from db.enums import Category
from db.errors import N_, Invalid, Message
from db.models import Batch
from intake import categories, records, rules
from intake.categories import CategoryReading
from intake.files import Limits, SourceRow, TableInfo, open_table
from intake.refused import Reason, RefusedRows
from remise.auth import Actor
from remise.i18n import LOCALES, translate

REASON_HEADER = N_("Reason refused")
CHUNK = 1000  # rows a write transaction: about a tenth of a second of holding the lock
MAX_REPORTED = 200  # problems listed in an answer; all of them are counted
MAX_ROWS = 500_000
_LOOKUP = 500


class ImportRefused(Invalid):
    code = "import_refused"
    outcome: Outcome | None = None  # what pass 1 found, for a page to show
    message = N_(
        "The file was not imported: %(count)s problems in %(rows)s rows. Nothing was written. "
        "Fix them and send the file again, or import the valid rows only."
    )


class TooManyRows(Invalid):
    code = "too_many_rows"
    message = N_(
        "This file has more than %(limit)s rows, the most Remise imports from one file. "
        "Nothing was written: split it into several files and import them one after another."
    )


class CategoryUnanswered(Invalid):
    code = "category_unanswered"
    outcome: Outcome | None = None
    message = N_(
        "The file was not imported: %(rows)s rows wait for you to say which category they "
        "are (%(values)s). Nothing was written. Answer for each value, or import the other "
        "rows only."
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
    max_rows: int = MAX_ROWS
    refused_dir: Path | None = None  # where refused rows are kept; None keeps none
    limits: Limits = field(default_factory=Limits)  # what one file may hold (XLSX, cells)
    answers: categories.Answers = field(default_factory=dict)  # see `categories.parse_answers`


@dataclass
class Outcome:
    """What an import did, or would do in a dry run."""

    file_sha256: str
    rows: int = 0
    created: int = 0
    already_present: int = 0
    issues: list[RowIssue] = field(default_factory=list)  # the first MAX_REPORTED
    issue_count: int = 0
    skipped: int = 0  # rows refused
    headers: list[str] = field(default_factory=list)
    import_id: int | None = None
    refused_file: str | None = None
    # How the category column was read, for the rows to write or waiting for an answer.
    readings: list[CategoryReading] = field(default_factory=list)
    waiting: int = 0  # rows whose category waits for an answer (refused until given)

    def questions(self) -> list[CategoryReading]:
        """The values that wait for an answer."""
        return [reading for reading in self.readings if reading.category is None]


class RowSet:
    """Row numbers as a bitmap: an eighth of a byte a row, however many there are."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self.count = 0

    def add(self, number: int) -> None:
        index, bit = divmod(number, 8)
        if index >= len(self._bits):
            self._bits.extend(bytes(index + 1 - len(self._bits) + len(self._bits) // 2))
        if not self._bits[index] & (1 << bit):
            self._bits[index] |= 1 << bit
            self.count += 1

    def __contains__(self, number: int) -> bool:
        index, bit = divmod(number, 8)
        return index < len(self._bits) and bool(self._bits[index] & (1 << bit))


@dataclass
class _Scan:
    """Pass 1's state: what was seen, what is wrong, what to leave out in pass 2."""

    batch_id: int
    outcome: Outcome
    info: TableInfo
    columns: dict[str, str]
    kept: RefusedRows
    seen: dict[str, int] = field(default_factory=dict)
    readings: categories.Tally = field(default_factory=dict)
    present: RowSet = field(default_factory=RowSet)
    refused: RowSet = field(default_factory=RowSet)
    # Rows waiting for the look-up of their serial, and bad rows behind them, in file
    # order, so that the refused rows reach their file in row order.
    pending: list[tuple[SourceRow, list[rules.Problem], rules.Reading | None]] = field(
        default_factory=list
    )


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


def _read(scan: _Scan, row: SourceRow, reading: rules.Reading) -> None:
    """Count the row under the way its category was read; a waiting row is refused."""
    categories.tally(
        scan.readings, row.number, reading.value, reading.key, reading.category, reading.evidence
    )
    if reading.category is None:
        scan.outcome.waiting += 1
        message = categories.waiting_message(reading.value, reading.key)
        _flag(scan, row, [rules.Problem("category", message)])


def _flag(scan: _Scan, row: SourceRow, problems: list[rules.Problem]) -> None:
    outcome = scan.outcome
    reasons: list[Reason] = []
    for problem in problems:
        column = scan.columns.get(problem.field, problem.field)
        reasons.append((column, problem.message))
        outcome.issue_count += 1
        if len(outcome.issues) < MAX_REPORTED:
            outcome.issues.append(RowIssue(row.number, column, problem.message))
    scan.refused.add(row.number)
    scan.kept.add(row.number, _cells(scan.info, row), reasons)


def _elsewhere(row: SourceRow, batch_id: int, code: str) -> rules.Problem:
    message = Message(
        N_("Serial %(serial)s is already in Remise, in batch %(batch)s (device %(code)s)."),
        {"serial": row.values["serial"], "batch": batch_id, "code": code},
    )
    return rules.Problem("serial", message)


def _settle(session: Session, scan: _Scan) -> None:
    """Look the pending serials up (here: present; elsewhere: an error), in file order."""
    keys = [row.values["serial"].upper() for row, problems, _r in scan.pending if not problems]
    where = records.serials_in_remise(session, keys) if keys else {}
    for row, problems, reading in scan.pending:
        found = None if problems else where.get(row.values["serial"].upper())
        if found is not None and found[0] == scan.batch_id:
            scan.present.add(row.number)
        elif found is not None:
            _flag(scan, row, [_elsewhere(row, *found)])
        elif problems:
            _flag(scan, row, problems)
        elif reading is not None:
            _read(scan, row, reading)
    scan.pending.clear()


@cache
def _reason_headers() -> frozenset[str]:
    """Our own reason column, in every language: dropped when a refused-rows CSV comes back."""
    return frozenset(translate(locale, REASON_HEADER) for locale in LOCALES)


def _scan_row(scan: _Scan, row: SourceRow, options: Options) -> None:
    reading, problems = rules.read_row(
        row.values, default_category=options.default_category, answers=options.answers
    )
    if not problems:
        serial = row.values["serial"]
        first = scan.seen.setdefault(serial.upper(), row.number)
        if first != row.number:
            message = Message(
                N_("Serial %(serial)s already appears on row %(row)s of this file."),
                {"serial": serial, "row": first},
            )
            problems = [rules.Problem("serial", message)]
    scan.pending.append((row, problems, reading))


def _scan(session: Session, batch_id: int, stream: BinaryIO, options: Options) -> _Scan:
    outcome = Outcome(file_sha256=file_sha256(stream))
    with open_table(stream, options.filename, limits=options.limits) as (info, rows):
        columns = {name: header for header, name in info.columns.items() if name}
        scan = _Scan(batch_id, outcome, info, columns, RefusedRows(options.refused_dir))
        try:
            outcome.headers = list(info.columns)
            scan.kept.headers(outcome.headers)
            for row in rows:
                outcome.rows += 1
                if outcome.rows > options.max_rows:
                    raise TooManyRows(limit=options.max_rows)
                _scan_row(scan, row, options)
                if len(scan.pending) >= _LOOKUP:
                    _settle(session, scan)
                    if options.progress:
                        options.progress("checking", outcome.rows, None)
            _settle(session, scan)
        except BaseException:
            scan.kept.discard()
            raise
    scan.kept.close()
    outcome.skipped, outcome.already_present = scan.refused.count, scan.present.count
    outcome.readings = list(scan.readings.values())
    return scan


def _drafts(stream: BinaryIO, options: Options, scan: _Scan) -> Iterator[tuple[int, rules.Draft]]:
    stream.seek(0)
    with open_table(stream, options.filename, limits=options.limits) as (_info, rows):
        for row in rows:
            if row.number in scan.refused or row.number in scan.present:
                continue
            extras = {k: v for k, v in row.extras.items() if k not in _reason_headers()}
            draft = rules.draft(
                row.values,
                extras,
                default_category=options.default_category,
                answers=options.answers,
            )
            yield row.number, draft


def import_rows(
    work: UnitOfWork, actor: Actor, *, batch: Batch, stream: BinaryIO, options: Options
) -> Outcome:
    """Check every row, then (unless a dry run) register the good ones chunk by chunk.

    Raises ImportRefused (bad rows, unless `skip_invalid`) or TooManyRows before anything
    is written; BatchClosed if the batch closed meanwhile; SerialTakenMeanwhile if
    another import registered one of the serials between the passes (the import is then
    left "interrupted": send the file again to finish it).
    """
    assert batch.id is not None
    stream.seek(0)
    with work.reading() as session:
        scan = _scan(session, batch.id, stream, options)
    outcome = scan.outcome
    try:
        _refuse(outcome, options)
        if options.dry_run:
            outcome.created = outcome.rows - outcome.skipped - outcome.already_present
            return outcome
        _write(work, actor, batch, stream, options, scan)
    finally:
        scan.kept.discard()  # kept by now if the import needs it
    return outcome


def _refuse(outcome: Outcome, options: Options) -> None:
    """ImportRefused for bad rows; CategoryUnanswered for rows waiting for an answer, unless
    a dry run (which asks) or `skip_invalid` (which leaves them out, with why)."""
    if options.skip_invalid:
        return
    extra: dict[str, object] = {
        "errors": outcome.issues,
        "error_count": outcome.issue_count,
        "refused_rows": outcome.skipped,
        "questions": [categories.question_json(q) for q in outcome.questions()],
    }
    error: ImportRefused | CategoryUnanswered | None = None
    if outcome.issue_count > outcome.waiting:
        error = ImportRefused(count=outcome.issue_count, rows=outcome.skipped)
    elif outcome.waiting and not options.dry_run:
        values = [q.value for q in outcome.questions()]
        error = CategoryUnanswered(rows=outcome.waiting, values=values)
    if error is not None:
        error.extra, error.outcome = extra, outcome
        raise error


def _write(
    work: UnitOfWork, actor: Actor, batch: Batch, stream: BinaryIO, options: Options, scan: _Scan
) -> None:
    outcome = scan.outcome
    to_create = outcome.rows - outcome.skipped - outcome.already_present
    import_id, earlier = records.begin(
        work, actor, batch=batch, outcome=outcome, filename=options.filename
    )
    outcome.import_id = import_id
    outcome.refused_file = scan.kept.keep(import_id)

    def write(chunk: records.Chunk) -> None:
        created = records.write_chunk(
            work, actor, batch=batch, import_id=import_id, chunk=chunk, sha=outcome.file_sha256
        )
        outcome.created += created
        outcome.already_present += len(chunk) - created  # registered meanwhile, by a twin
        if options.progress:
            options.progress("writing", outcome.created, to_create)

    with records.interrupted_on_failure(work, import_id):
        chunk: records.Chunk = []
        for item in _drafts(stream, options, scan):
            chunk.append(item)
            if len(chunk) == CHUNK:
                write(chunk)
                chunk = []
        if chunk:
            write(chunk)
        records.finish(
            work, actor, batch=batch, import_id=import_id, outcome=outcome, earlier=earlier
        )
