"""Grading routes: grade a device (or preview it), the rules and the price grid with
their versions, and the grades set by hand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request

from db import codes
from db.clock import utcnow
from grading import documents, service
from grading.models import (
    DocumentRead,
    GradeIn,
    GradeRead,
    OverrideRead,
    VersionRead,
)
from remise.auth import Actor, Permission
from remise.deps import SessionDep, require
from remise.errors import locale_of
from remise.idempotency import IdempotencyDep, fingerprint

router = APIRouter(prefix="/api/v1", tags=["grading and pricing"])
Worker = Annotated[Actor, Depends(require(Permission.RUNS_WORK))]
Manager = Annotated[Actor, Depends(require(Permission.GRADING_MANAGE))]
NOTE = Query(max_length=500, description="what changed and why, kept with the version")


@router.post("/devices/{code}/grade", response_model=GradeRead)
def grade(
    code: str,
    request: Request,
    session: SessionDep,
    actor: Worker,
    idem: IdempotencyDep,
    body: GradeIn | None = None,
    preview: Annotated[bool, Query(description="compute only: nothing is written")] = False,
) -> Any:
    """Compute the device's grade from the rules (its checklist, newest probe and the
    zones judged here), with every reason, and its price. Unless `preview`, apply it:
    the device becomes `graded`, then `available` once every storage medium's erasure
    passed and the grid has a price; `waiting_for` says what it still waits for. A
    device the rules give no grade (`outcome` no_grade or not_sold) stays where it is,
    with the reasons recorded: fix it, or finish it as parts or recycling."""
    data = body or GradeIn()

    def work() -> GradeRead:
        return service.grade_device(
            session,
            actor,
            code=code,
            data=data,
            preview=preview,
            today=utcnow().date(),
            locale=locale_of(request),
        )

    if preview:
        return work()
    return idem.once(session, fingerprint(code, data), work, status_code=200)


def _document(version: int, document: Any, row: Any) -> DocumentRead:
    return DocumentRead(
        version=version,
        created_at=row.created_at if row else None,
        created_by=row.created_by if row else None,
        note=row.note if row else None,
        document=document.model_dump(mode="json", by_alias=True),
    )


@router.get("/grading/rules", response_model=DocumentRead)
def rules_in_force(session: SessionDep, _actor: Worker) -> DocumentRead:
    """The grading rules in force (version 0: as shipped), each rule with its source."""
    return _document(*documents.current_rules(session))


@router.put("/grading/rules", response_model=DocumentRead)
def publish_rules(
    session: SessionDep,
    actor: Manager,
    document: Annotated[dict[str, Any], Body(description="a whole rules document")],
    note: Annotated[str | None, NOTE] = None,
) -> DocumentRead:
    """Publish a new version of the rules (coordinators). An invalid document is refused
    (422) with every problem named by its place (`rules[2].when.value`); nothing changes."""
    documents.publish_rules(session, actor, document, note)
    return _document(*documents.current_rules(session))


@router.get("/grading/rules/versions", response_model=list[VersionRead])
def rules_versions(session: SessionDep, _actor: Worker) -> list[VersionRead]:
    """Every published version of the rules, oldest first, after the shipped one (0)."""
    shipped = VersionRead(version=0, created_at=None, created_by=None, note=None, sha256=None)
    return [shipped] + [_version(r) for r in documents.rules_versions(session)]


def _version(row: Any) -> VersionRead:
    return VersionRead(
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        note=row.note,
        sha256=row.sha256,
        effective_from=getattr(row, "effective_from", None),
    )


@router.get("/grading/overrides", response_model=list[OverrideRead])
def grading_overrides(session: SessionDep, _actor: Manager) -> list[OverrideRead]:
    """Every grade set by hand against the rules, newest first, with its written reason."""
    return [
        OverrideRead(
            decision_id=decision.id or 0,
            device=codes.display(device.code),
            category=device.category,
            computed_grade=decision.computed_grade,
            grade=decision.grade,
            reason=decision.override_reason,
            decided_at=decision.decided_at,
            decided_by=decision.decided_by,
        )
        for decision, device in service.overrides(session)
    ]


@router.get("/pricing/grid", response_model=DocumentRead)
def grid_in_force(session: SessionDep, _actor: Worker) -> DocumentRead:
    """The price grid in force today (version 0: as shipped), prices in cents."""
    return _document(*documents.current_grid(session, utcnow().date()))


@router.put("/pricing/grid", response_model=DocumentRead)
def publish_grid(
    session: SessionDep,
    actor: Manager,
    document: Annotated[dict[str, Any], Body(description="a whole price grid")],
    note: Annotated[str | None, NOTE] = None,
) -> DocumentRead:
    """Publish a new version of the grid, in force from its `effective_from`
    (coordinators). Refused (422) if invalid, every problem named by its place, or if a
    category's highest price is above its legal cap without a waiver stating why."""
    row = documents.publish_grid(session, actor, document, note)
    grid = documents.validated(documents.GridDocument, row.document, documents.GRID_WORDS)
    return DocumentRead(
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        note=row.note,
        document=grid.model_dump(mode="json", by_alias=True),
    )


@router.get("/pricing/grid/versions", response_model=list[VersionRead])
def grid_versions(session: SessionDep, _actor: Worker) -> list[VersionRead]:
    """Every published version of the grid, oldest first, with the date it takes effect."""
    return [_version(r) for r in documents.grid_versions(session)]
