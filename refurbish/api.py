"""Refurbishment routes: checklists, runs and their steps, parts, outcomes, photos."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from db.enums import Category
from refurbish import photos, queries, service
from refurbish.checklists import Template
from refurbish.models import (
    ChecklistRead,
    PartReplaced,
    RunFinish,
    RunRead,
    RunStart,
    StepRecord,
    StepView,
)
from remise.auth import Actor, Permission
from remise.deps import IdPath, IdQuery, SessionDep, get_settings, require
from remise.errors import locale_of
from remise.idempotency import IdempotencyDep, fingerprint
from remise.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["refurbishment"])
Worker = Annotated[Actor, Depends(require(Permission.RUNS_WORK))]
ChecklistReader = Annotated[Actor, Depends(require(Permission.CHECKLISTS_READ))]
ChecklistManager = Annotated[Actor, Depends(require(Permission.CHECKLISTS_MANAGE))]
SettingsDep = Annotated[Settings, Depends(get_settings)]


class PhotoRead(BaseModel):
    photo: str
    url: str


@router.get("/checklists/{category}", response_model=ChecklistRead)
def get_checklist(
    category: Category, session: SessionDep, _actor: ChecklistReader, version: IdQuery = None
) -> ChecklistRead:
    """The category's current checklist, or an older `version`."""
    return queries.checklist_view(service.shown_template(session, category, version))


@router.put("/checklists/{category}", response_model=ChecklistRead)
def put_checklist(
    category: Category, body: Template, session: SessionDep, actor: ChecklistManager
) -> ChecklistRead:
    """Publish a new version of the checklist; runs already started keep their version."""
    row = service.publish_template(session, actor, category=category, template=body)
    return queries.checklist_view(row)


@router.post("/devices/{code}/runs", response_model=RunRead, status_code=201)
def start_run(
    code: str,
    body: Annotated[RunStart, Body(default_factory=RunStart)],
    request: Request,
    session: SessionDep,
    actor: Worker,
    idem: IdempotencyDep,
) -> Any:
    """Start a refurbishment run; the device goes to in_refurbishment."""

    def start() -> RunRead:
        run = service.start_run(session, actor, code=code, comment=body.comment)
        return queries.run_view(session, run, locale_of(request))

    return idem.once(session, fingerprint(code, body), start)


@router.get("/devices/{code}/runs", response_model=list[RunRead])
def device_runs(code: str, request: Request, session: SessionDep, _actor: Worker) -> list[RunRead]:
    """Every run of the device, oldest first."""
    locale = locale_of(request)
    return [queries.run_view(session, r, locale) for r in service.runs_of_device(session, code)]


@router.get("/runs/{run_id}", response_model=RunRead)
def get_run(run_id: IdPath, request: Request, session: SessionDep, _actor: Worker) -> RunRead:
    """The run with every step of its checklist: definition, value, state."""
    return queries.run_view(session, service.run(session, run_id), locale_of(request))


@router.put("/runs/{run_id}/steps/{key}", response_model=StepView)
def record_step(
    run_id: IdPath,
    key: str,
    body: StepRecord,
    request: Request,
    session: SessionDep,
    actor: Worker,
    settings: SettingsDep,
) -> StepView:
    """Record a step's value (again, if need be); each recording is a ledger event.

    A photo step takes the `photo` reference that POST /runs/{id}/photos answered.
    """
    service.record_step(
        session,
        actor,
        run_id=run_id,
        key=key,
        value=body.value,
        note=body.note,
        data_dir=settings.data_dir,
    )
    view = queries.run_view(session, service.run(session, run_id), locale_of(request))
    return next(step for step in view.steps if step.key == key)


@router.post("/runs/{run_id}/parts", response_model=RunRead, status_code=201)
def replace_part(
    run_id: IdPath,
    body: PartReplaced,
    request: Request,
    session: SessionDep,
    actor: Worker,
    idem: IdempotencyDep,
) -> Any:
    """Record a part replaced (battery, SSD, RAM…); the device's specs change with it."""

    def replace() -> RunRead:
        service.replace_part(session, actor, run_id=run_id, data=body)
        return queries.run_view(session, service.run(session, run_id), locale_of(request))

    return idem.once(session, fingerprint(run_id, body), replace)


@router.post("/runs/{run_id}/finish", response_model=RunRead)
def finish_run(
    run_id: IdPath,
    body: RunFinish,
    request: Request,
    session: SessionDep,
    actor: Worker,
    idem: IdempotencyDep,
) -> Any:
    """Finish with `refurbished`, `parts` (with the parts) or `recycled` (with the collector).

    409 listing the blocking steps if the device is not ready to be `refurbished`.
    """

    def finish() -> RunRead:
        run = service.finish_run(session, actor, run_id=run_id, data=body)
        return queries.run_view(session, run, locale_of(request))

    return idem.once(session, fingerprint(run_id, body), finish, status_code=200)


@router.post("/runs/{run_id}/photos", response_model=PhotoRead, status_code=201)
def add_photo(
    run_id: IdPath,
    session: SessionDep,
    _actor: Worker,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="a JPEG, PNG or WebP photo")],
) -> PhotoRead:
    """Keep a photo for the open run, re-encoded as a JPEG without metadata (GPS…); record
    its `photo` reference in a photo step. 409 once the run is finished."""
    service.open_run(session, run_id)
    name = photos.keep(settings.data_dir, run_id, file.file.read(photos.MAX_PHOTO_BYTES + 1))
    return PhotoRead(photo=name, url=f"/api/v1/photos/{name}")


@router.get("/photos/run-{run_id}/{name}", response_class=FileResponse)
def get_photo(run_id: IdPath, name: str, _actor: Worker, settings: SettingsDep) -> FileResponse:
    """A photo kept for a run."""
    path = photos.path_of(settings.data_dir, run_id, name)
    return FileResponse(path)


@router.get("/parts", response_model=list[dict[str, Any]])
def parts_in_stock(session: SessionDep, _actor: Worker) -> list[dict[str, Any]]:
    """Parts harvested from dismantled devices and still in stock."""
    return [p.model_dump() for p in service.harvested_parts(session, in_stock=True)]
