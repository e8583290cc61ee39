"""Bench probing routes: snapshots sent by `remise bench probe --upload`, and their flags."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from refurbish import probing
from refurbish.hardware.snapshot import Snapshot
from refurbish.models import DeviceFlag, FlagRead, FlagResolve, SnapshotAnswer
from remise.auth import Actor, Permission
from remise.deps import IdPath, SessionDep, require
from remise.errors import locale_of
from remise.i18n import localise
from remise.idempotency import IdempotencyDep, fingerprint

router = APIRouter(prefix="/api/v1", tags=["bench probing"])
Worker = Annotated[Actor, Depends(require(Permission.RUNS_WORK))]
Resolver = Annotated[Actor, Depends(require(Permission.FLAGS_RESOLVE))]


def _flag(flag: DeviceFlag, locale: str) -> FlagRead:
    return FlagRead(
        message=localise(locale, probing.message_of(flag)),
        **flag.model_dump(exclude={"device_id", "snapshot_id"}),
    )


@router.post("/devices/{code}/snapshots", response_model=SnapshotAnswer, status_code=201)
def send_snapshot(
    code: str,
    body: Annotated[Snapshot, Body(default_factory=Snapshot)],
    request: Request,
    session: SessionDep,
    actor: Worker,
    idem: IdempotencyDep,
) -> Any:
    """Store what the bench read; fill specs intake left empty; flag what differs."""

    def record() -> SnapshotAnswer:
        row, filled, flags = probing.record_snapshot(session, actor, code=code, taken=body)
        shown = [_flag(f, locale_of(request)) for f in flags]
        return SnapshotAnswer(id=row.id or 0, run_id=row.run_id, filled=filled, flags=shown)

    return idem.once(session, fingerprint(code, body), record)


@router.get("/devices/{code}/snapshots", response_model=list[dict[str, Any]])
def device_snapshots(code: str, session: SessionDep, _actor: Worker) -> list[dict[str, Any]]:
    """Every snapshot of the device, oldest first."""
    return [s.model_dump() for s in probing.snapshots_of(session, code)]


@router.get("/devices/{code}/flags", response_model=list[FlagRead])
def device_flags(
    code: str, request: Request, session: SessionDep, _actor: Worker, open_only: bool = False
) -> list[FlagRead]:
    """The device's flags (mismatches with intake), open and resolved."""
    locale = locale_of(request)
    return [_flag(f, locale) for f in probing.flags_of(session, code, open_only=open_only)]


@router.post("/flags/{flag_id}/resolve", response_model=FlagRead)
def resolve_flag(
    flag_id: IdPath,
    body: FlagResolve,
    request: Request,
    session: SessionDep,
    actor: Resolver,
    idem: IdempotencyDep,
) -> Any:
    """Close a flag with a comment saying what was found (coordinator)."""

    def resolve() -> FlagRead:
        flag = probing.resolve_flag(session, actor, flag_id=flag_id, comment=body.comment)
        return _flag(flag, locale_of(request))

    return idem.once(session, fingerprint(flag_id, body), resolve, status_code=200)
