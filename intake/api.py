"""Intake routes: donors, batches, devices received one by one or from a file."""

from __future__ import annotations

from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Body, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import Engine
from sqlmodel import Session

from db import codes, ledger
from db.engine import Transactions
from db.enums import Category
from db.models import Batch, Device
from intake import categories as categories_rules
from intake import importer, receipt, refused, service
from intake.categories import answers_from_json
from intake.files import Limits
from intake.models import (
    BatchClose,
    BatchCreate,
    BatchRead,
    CategoryReading,
    DeviceIntake,
    DonorCreate,
    DonorCreated,
    DonorRead,
    ImportReport,
    RowError,
)
from remise.api.schemas import DeviceRead
from remise.auth import Actor, Permission
from remise.deps import IdPath, IdQuery, SessionDep, get_engine, get_settings, require
from remise.errors import locale_of
from remise.i18n import localise, translate
from remise.idempotency import IdempotencyDep, fingerprint
from remise.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["intake"])
DonorReader = Annotated[Actor, Depends(require(Permission.DONORS_READ))]
DonorManager = Annotated[Actor, Depends(require(Permission.DONORS_MANAGE))]
BatchReader = Annotated[Actor, Depends(require(Permission.BATCHES_READ))]
BatchManager = Annotated[Actor, Depends(require(Permission.BATCHES_MANAGE))]
Receiver = Annotated[Actor, Depends(require(Permission.DEVICES_RECEIVE))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


@router.post("/donors", response_model=DonorCreated, status_code=201)
def create_donor(
    body: DonorCreate, session: SessionDep, actor: DonorManager, idem: IdempotencyDep
) -> Any:
    """Record a donor (a company); the SIRET, if given, is checked."""

    def create() -> DonorCreated:
        donor = service.create_donor(session, actor, data=body)
        same = service.donors_with_siret(session, donor.siret) if donor.siret else []
        created = DonorCreated.model_validate(donor, from_attributes=True)
        return created.model_copy(update={"same_siret": [d.id for d in same if d.id != donor.id]})

    return idem.once(session, fingerprint(body), create)


@router.get("/donors", response_model=list[DonorRead])
def list_donors(session: SessionDep, _actor: DonorReader) -> list[DonorRead]:
    return [DonorRead.model_validate(d, from_attributes=True) for d in service.donors(session)]


@router.get("/donors/{donor_id}", response_model=DonorRead)
def get_donor(donor_id: IdPath, session: SessionDep, _actor: DonorReader) -> DonorRead:
    return DonorRead.model_validate(service.donor(session, donor_id), from_attributes=True)


@router.post("/batches", response_model=BatchRead, status_code=201)
def create_batch(
    body: BatchCreate, session: SessionDep, actor: BatchManager, idem: IdempotencyDep
) -> Any:
    """Record a donation lot: donor, pickup date, site, declared counts per category."""

    def create() -> BatchRead:
        return service.batch_view(session, service.create_batch(session, actor, data=body))

    return idem.once(session, fingerprint(body), create)


@router.get("/batches", response_model=list[BatchRead])
def list_batches(
    session: SessionDep,
    _actor: BatchReader,
    donor_id: IdQuery = None,
    closed: bool | None = None,
) -> list[BatchRead]:
    return [
        service.batch_view(session, b)
        for b in service.batches(session, donor_id=donor_id, closed=closed)
    ]


@router.get("/batches/{batch_id}", response_model=BatchRead)
def get_batch(batch_id: IdPath, session: SessionDep, _actor: BatchReader) -> BatchRead:
    """A batch with its declared and received counts per category."""
    return service.batch_view(session, service.batch(session, batch_id))


@router.post("/batches/{batch_id}/devices", response_model=DeviceRead, status_code=201)
def receive_device(
    batch_id: IdPath, body: DeviceIntake, session: SessionDep, actor: Receiver, idem: IdempotencyDep
) -> Any:
    """Register one device into the batch; the answer carries its new `code`."""

    def receive() -> DeviceRead:
        return _device(service.receive_device(session, actor, batch_id=batch_id, data=body))

    return idem.once(session, fingerprint(batch_id, body), receive)


def _device(device: Device) -> DeviceRead:
    return DeviceRead(code_display=codes.display(device.code), **device.model_dump())


@router.post("/batches/{batch_id}/import", response_model=ImportReport)
def import_file(
    batch_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: Receiver,
    idem: IdempotencyDep,
    engine: EngineDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV or XLSX asset list")],
    dry_run: Annotated[bool, Query(description="check and report, write nothing")] = False,
    skip_invalid: Annotated[bool, Query(description="import the valid rows only")] = False,
    category: Annotated[Category | None, Query(description="for rows with no category")] = None,
    categories: Annotated[
        str | None,
        Form(
            max_length=10_000,
            description="answers for category values that name two kinds of device "
            '(« Téléphone », « Portable »), a JSON object: `{"Téléphone": "smartphone"}`',
        ),
    ] = None,
) -> Any:
    """Import an asset list; a file with bad rows is refused whole (422), row by row.

    The answer lists the first 200 problems (`skipped_rows`) and counts them all
    (`problem_count`); `refused_csv_url` gives every refused row. The file is checked
    without holding the write lock, then written in chunks: other users keep working.

    `category_readings` says how each category value was read. A value that names two
    kinds of device (« Téléphone »: basic phone or smartphone; « Portable »: laptop or
    phone) is read from each row's model or IMEI, else waits for an answer in
    `categories`: a dry run lists it (category null, with its rows and `choices`), an
    import is refused (422 `category_unanswered`, its `questions`) unless `skip_invalid`,
    which leaves those rows out with why.
    """
    batch = service.open_batch(session, batch_id)
    answers = answers_from_json(categories)
    options = import_options(
        settings, file.filename or "", dry_run, skip_invalid, category, answers=answers
    )
    sha = importer.file_sha256(file.file)
    asked = fingerprint(batch_id, sha, dry_run, skip_invalid, category, sorted(answers.items()))
    if replayed := idem.replay(session, asked):
        return replayed
    outcome = run_import(session, engine, actor, batch, file.file, options)
    report = _report(outcome, batch_id, dry_run, locale_of(request))
    if dry_run:
        return JSONResponse(report.model_dump(), status_code=200)
    if replayed := idem.replay(session, asked):  # the same retry, run alongside, won
        return replayed
    return idem.answer(session, asked, report, status_code=200)


def import_options(
    settings: Settings,
    filename: str,
    dry_run: bool,
    skip_invalid: bool,
    category: Category | None,
    *,
    answers: categories_rules.Answers | None = None,
) -> importer.Options:
    return importer.Options(
        filename,
        dry_run,
        skip_invalid,
        category,
        max_rows=settings.max_import_rows,
        refused_dir=refused.folder(settings.data_dir),
        limits=file_limits(settings),
        answers=answers or {},
    )


def file_limits(settings: Settings) -> Limits:
    """What one asset list may hold, from the settings."""
    return Limits(
        max_unpacked_mb=settings.max_xlsx_uncompressed_mb,
        max_ratio=settings.max_xlsx_ratio,
        max_cell_chars=settings.max_cell_chars,
    )


def run_import(
    session: Session,
    engine: Engine,
    actor: Actor,
    batch: Batch,
    stream: BinaryIO,
    options: importer.Options,
) -> importer.Outcome:
    """The import, in transactions of its own; the API's and the page's way to run one.

    The request's transaction (which signed the user in) ends first: held through the
    import, it would keep SQLite's write lock, and every other user waiting, until the
    last row. The importer then checks the file in a read-only transaction and writes
    it in short ones.
    """
    session.commit()
    return importer.import_rows(
        Transactions(engine), actor, batch=batch, stream=stream, options=options
    )


def _report(outcome: importer.Outcome, batch_id: int, dry_run: bool, locale: str) -> ImportReport:
    url = (
        f"/api/v1/imports/{outcome.import_id}/refused.csv"
        if outcome.refused_file and not dry_run
        else None
    )
    return ImportReport(
        import_id=outcome.import_id,
        dry_run=dry_run,
        file_sha256=outcome.file_sha256,
        rows=outcome.rows,
        created=outcome.created,
        already_present=outcome.already_present,
        skipped=outcome.skipped,
        problem_count=outcome.issue_count,
        refused_csv_url=url,
        devices_url=f"/api/v1/devices?batch_id={batch_id}",
        skipped_rows=[
            RowError(row=i.row, column=i.column, message=localise(locale, i.message))
            for i in outcome.issues
        ],
        waiting_rows=outcome.waiting,
        category_readings=[reading_model(r, locale) for r in outcome.readings],
    )


def reading_model(reading: categories_rules.CategoryReading, locale: str) -> CategoryReading:
    """How a category value was read, as the API answers it (and the page shows it)."""
    evidence = reading.evidence
    return CategoryReading(
        value=reading.value,
        category=reading.category,
        count=reading.count,
        rows=reading.rows,
        evidence=evidence.value if evidence else None,
        explanation=translate(locale, categories_rules.EVIDENCE_LABELS[evidence])
        if evidence
        else None,
        choices=list(reading.choices),
    )


@router.get("/imports/{import_id}/refused.csv", response_class=Response)
def refused_rows(
    import_id: IdPath,
    request: Request,
    session: SessionDep,
    _actor: Receiver,
    settings: SettingsDep,
) -> Response:
    """The rows an import left out, with a reason column: fix them in Excel, import again.
    Every cell is formula-safe (a leading `'` before `=`, `+`, `-`, `@`)."""
    return refused_response(session, import_id, locale_of(request), settings)


def refused_response(session: Session, import_id: int, locale: str, settings: Settings) -> Response:
    """The refused rows' CSV, streamed, as both the API and the batch page answer it."""
    headers, rows = service.refused_rows(
        session, import_id, data_dir=settings.data_dir, days=settings.refused_rows_days
    )
    record = service.import_record(session, import_id)
    chunks = refused.csv_chunks(
        headers,
        rows,
        lambda m: localise(locale, m),
        reason_header=translate(locale, importer.REASON_HEADER),
    )
    name = f"lot-{record.batch_id}-lignes-refusees-{import_id}.csv"
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/batches/{batch_id}/close", response_model=BatchRead)
def close_batch(
    batch_id: IdPath,
    body: Annotated[BatchClose, Body(default_factory=BatchClose)],
    session: SessionDep,
    actor: BatchManager,
    idem: IdempotencyDep,
) -> Any:
    """Close a batch; a difference between declared and received counts needs a comment."""

    def close() -> BatchRead:
        batch = service.close_batch(session, actor, batch_id=batch_id, comment=body.comment)
        return service.batch_view(session, batch)

    return idem.once(session, fingerprint(batch_id, body), close, status_code=200)


@router.get("/batches/{batch_id}/receipt.pdf", response_class=Response)
def batch_receipt(
    batch_id: IdPath, session: SessionDep, _actor: BatchReader, settings: SettingsDep
) -> Response:
    """The donor's receipt for the batch, a PDF in French (provisional until closed)."""
    return receipt_response(session, batch_id, organisation=settings.organisation)


def receipt_response(session: Any, batch_id: int, *, organisation: str) -> Response:
    """The receipt PDF as both the API and the intake page answer it."""
    view = service.receipt_view(
        session,
        batch_id,
        organisation=organisation,
        label=lambda m: translate("fr", m),
        head=str(ledger.head(session)),
    )
    return Response(
        receipt.render_receipt(view),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="recu-lot-{batch_id}.pdf"'},
    )
