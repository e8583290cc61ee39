"""Erasure routes: a device's storage media, their erasure records, imported reports."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from db import devices
from db.clock import utcnow
from refurbish.erasure import reports, sampling, service
from refurbish.erasure.models import (
    DrawRead,
    ErasureIn,
    ErasureRead,
    ImportAnswer,
    MediumErasures,
    MediumIn,
    MediumRead,
    ReverifyIn,
    SamplingRead,
)
from remise.auth import Actor, Permission
from remise.deps import IdPath, SessionDep, get_settings, require
from remise.idempotency import IdempotencyDep, fingerprint
from remise.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["data erasure"])
SettingsDep = Annotated[Settings, Depends(get_settings)]


class SampleState(StrEnum):
    QUEUED = "queued"
    PASSED = "passed"
    FAILED = "failed"
    ALL = "all"


Worker = Annotated[Actor, Depends(require(Permission.RUNS_WORK))]
MAX_REPORT_BYTES = 20 * 1024 * 1024  # nwipe's PDFs are about 1 MB with several drives


@router.get("/devices/{code}/media", response_model=list[MediumRead])
def device_media(code: str, session: SessionDep, _actor: Worker) -> list[MediumRead]:
    """The device's storage media (found by the probe, entered by hand, fitted as parts),
    each with where its erasure stands: missing, erased, failed, destroyed."""
    return service.media_view(session, code)


@router.post("/devices/{code}/media", response_model=MediumRead, status_code=201)
def add_medium(
    code: str, body: MediumIn, session: SessionDep, actor: Worker, idem: IdempotencyDep
) -> Any:
    """Add a medium the probe did not see (a phone's `internal` storage, a disk read
    elsewhere). 409 if the device already has a medium with that serial."""

    def add() -> MediumRead:
        device = devices.by_code(session, code)
        medium = service.add_medium(session, actor, device, body)
        return next(m for m in service.media_view(session, code) if m.id == medium.id)

    return idem.once(session, fingerprint(code, body), add)


@router.get("/devices/{code}/erasures", response_model=list[MediumErasures])
def device_erasures(code: str, session: SessionDep, _actor: Worker) -> list[MediumErasures]:
    """Every medium with its erasure records, newest first."""
    return service.erasures_view(session, code)


@router.post("/devices/{code}/erasures", response_model=ErasureRead, status_code=201)
def record_erasure(
    code: str, body: ErasureIn, session: SessionDep, actor: Worker, idem: IdempotencyDep
) -> Any:
    """Record one erasure (NIST SP 800-88 level and method) of a known medium
    (`medium_id`) or of one given inline (`medium`). It counts as evidence once its
    verification passed; a failed one blocks the device until the medium is erased again
    or destroyed."""

    def record() -> ErasureRead:
        return service.erasure_read(service.record_erasure(session, actor, code=code, data=body))

    return idem.once(session, fingerprint(code, body), record)


@router.post("/devices/{code}/erasures/import", response_model=ImportAnswer, status_code=201)
def import_report(
    code: str,
    session: SessionDep,
    actor: Worker,
    idem: IdempotencyDep,
    file: Annotated[UploadFile, File(description="an nwipe log, or a PDF report of nwipe ≥ 0.35")],
    medium: Annotated[
        list[str] | None,
        Query(
            description="DRIVE:MEDIUM_ID, which medium a drive of the report is, when its "
            "serial cannot tell (empty, garbled, anonymised with -q); repeatable"
        ),
    ] = None,
) -> Any:
    """Import an erasure report as the tool wrote it: each drive becomes an erasure record
    of the medium with its serial, every figure kept, the file's SHA-256 in the ledger.
    409 when the report cannot say which medium a drive is (answer with `medium`); a file
    imported before answers its records again (200), creating nothing."""
    data = file.file.read(MAX_REPORT_BYTES + 1)
    if len(data) > MAX_REPORT_BYTES:
        raise reports.NotAReportFile(
            name=(file.filename or "report")[:120], reason="it is larger than 20 MB"
        )
    name = file.filename or "report"
    choices = reports.choices(medium or [])
    if (earlier := reports.already_imported(session, code, data)) is not None:
        return JSONResponse(jsonable_encoder(earlier), status_code=200)

    def record() -> ImportAnswer:
        return reports.import_report(
            session, actor, code=code, data=data, name=name, choices=choices
        )

    answer_fingerprint = fingerprint(code, reports.sha256(data), sorted(choices.items()))
    return idem.once(session, answer_fingerprint, record)


@router.get("/erasures/sampling", response_model=SamplingRead)
def sampling_queue(
    session: SessionDep,
    _actor: Worker,
    settings: SettingsDep,
    state: Annotated[
        SampleState | None, Query(description="queued (default), passed, failed, or all")
    ] = SampleState.QUEUED,
) -> SamplingRead:
    """The erasures drawn each week for re-verification by another operator (R2v3: at
    least 5 % of the media erased that week), oldest week first."""
    shown = None if state in (None, SampleState.ALL) else state.value
    return SamplingRead(
        percent=settings.erasure_sample_percent, items=sampling.queue(session, state=shown)
    )


@router.post("/erasures/sampling/draw", response_model=DrawRead)
def draw_sample(
    session: SessionDep,
    actor: Annotated[Actor, Depends(require(Permission.ERASURES_SAMPLE))],
    settings: SettingsDep,
    idem: IdempotencyDep,
    week: Annotated[
        str | None,
        Query(max_length=8, description="ISO week, e.g. 2026-W48 (default: last week)"),
    ] = None,
) -> Any:
    """Draw a week's sample now, as the weekly job does (coordinators). A week is drawn
    once: asking again answers the first draw (`already`). 422 for a week not over."""

    def drawn() -> DrawRead:
        today = utcnow().date()
        found = sampling.draw(
            session,
            actor,
            percent=settings.erasure_sample_percent,
            week=sampling.ended_week(week, today) if week else None,
            today=today,
        )
        return DrawRead(
            week=found.week,
            seed=None if found.already else found.seed,
            percent=found.percent,
            population=found.population,
            drawn=found.drawn,
            already=found.already,
        )

    return idem.once(session, fingerprint("sampling", week), drawn, status_code=200)


@router.post("/erasures/{erasure_id}/reverify", response_model=ErasureRead, status_code=201)
def reverify(
    erasure_id: IdPath, body: ReverifyIn, session: SessionDep, actor: Worker, idem: IdempotencyDep
) -> Any:
    """Record a second person's check of an erasure (409 for the person who erased it). A
    failed check blocks the device again until the medium is erased again or destroyed."""

    def check() -> ErasureRead:
        found = sampling.reverify(session, actor, erasure_id=erasure_id, data=body)
        return service.erasure_read(found)

    return idem.once(session, fingerprint(erasure_id, body), check)
