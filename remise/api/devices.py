"""Device look-up, listing and history, confined for partner structures.

A structure user sees the devices on offer (`available`) and those its own
structure holds; any other device answers 404, exactly as if it did not exist.
What it may search by, and read of a history, is ruled in `remise.api.scope` and
`remise.api.schemas`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from db import codes, devices, ledger, lifecycle
from db.enums import Category, Status
from db.models import Device, LedgerEvent, User
from remise.api.schemas import CatalogueDevice, DevicePage, DeviceRead, EventRead, device_for
from remise.api.scope import DeviceScope
from remise.auth import Actor, Permission
from remise.deps import IdQuery, OffsetQuery, SessionDep, in_thread, reading, require
from remise.idempotency import IdempotencyDep, fingerprint

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])
MAX_PAGE = 500


def seen_by(session: Session, actor: Actor, code: str) -> Device:
    """The device `code` names, if this actor may see it (404 otherwise)."""
    device = devices.by_code(session, code)
    if not DeviceScope.of(actor).may_see(device):
        raise devices.DeviceNotFound(code=codes.display(device.code))
    return device


async def visible_device(
    code: str,
    request: Request,
    session: SessionDep,
    actor: Annotated[Actor, Depends(require(Permission.DEVICES_READ))],
) -> Device:
    """The device `code` names, if this actor may see it (404 otherwise)."""
    return await in_thread(request, session, seen_by, session, actor, code)


@router.get("", response_model=DevicePage)
def list_devices(
    session: SessionDep,
    actor: Annotated[Actor, Depends(require(Permission.DEVICES_READ))],
    status: Status | None = None,
    category: Category | None = None,
    grade: Annotated[str | None, Query(max_length=8)] = None,
    batch_id: IdQuery = None,
    q: Annotated[
        str | None, Query(max_length=120, description="code, serial, IMEI, brand…")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: OffsetQuery = 0,
) -> DevicePage:
    """Devices, newest first, filtered by status, category, grade and free text.

    Staff search codes, brands, models, serials, IMEIs and asset tags (substrings); a
    partner structure searches codes, brands and models, and the exact serial, IMEI or
    asset tag of the devices it holds.
    """
    scope = DeviceScope.of(actor)
    where = [scope.visible()]
    if status:
        where.append(col(Device.status) == status.value)
    if category:
        where.append(col(Device.category) == category.value)
    if grade:
        where.append(col(Device.grade) == grade.upper())
    if batch_id is not None and not actor.is_structure:
        where.append(col(Device.batch_id) == batch_id)
    if q and q.strip():
        where.append(scope.search(q))
    total = session.exec(select(func.count()).select_from(Device).where(*where)).one()
    rows = session.exec(
        select(Device).where(*where).order_by(col(Device.id).desc()).limit(limit).offset(offset)
    ).all()
    items: Any = [device_for(actor, d) for d in rows]
    return DevicePage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{code}", response_model=DeviceRead | CatalogueDevice)
async def get_device(
    code: str,
    request: Request,
    actor: Annotated[Actor, Depends(require(Permission.DEVICES_READ))],
) -> DeviceRead | CatalogueDevice:
    """One device by its code (any case, with or without the hyphen)."""
    device = await reading(request, devices.row_by_code, code)
    if not DeviceScope.of(actor).may_see(device):
        raise devices.DeviceNotFound(code=codes.display(device.code))
    return device_for(actor, device)


@router.get("/{code}/history", response_model=list[EventRead])
def device_history(
    session: SessionDep,
    device: Annotated[Device, Depends(visible_device)],
    actor: Annotated[Actor, Depends(require(Permission.DEVICES_HISTORY))],
) -> list[EventRead]:
    """The device's ledger events, oldest first.

    A structure reads only the devices it holds, without the hidden fields, and sees
    the staff's actions signed by Remise (see `EventRead.for_structure`).
    """
    if not DeviceScope.of(actor).holds(device):
        raise devices.DeviceNotFound(code=codes.display(device.code))
    assert device.id is not None
    rows = ledger.history(session, device.id)
    if not actor.is_structure:
        return [EventRead.for_staff(row) for row in rows]
    return _for_structure(session, actor, rows)


def _for_structure(session: Session, actor: Actor, rows: list[LedgerEvent]) -> list[EventRead]:
    users = select(User.username).where(col(User.structure_id) == actor.structure_id)
    own = frozenset(session.exec(users).all()) if actor.structure_id is not None else frozenset()
    return [
        EventRead.for_structure(row, structure_id=actor.structure_id, own_users=own) for row in rows
    ]


class LostReport(BaseModel):
    comment: str = Field(
        min_length=3, max_length=1000, description="where it was last seen, who looked"
    )


@router.post("/{code}/lost", response_model=DeviceRead)
def report_lost(
    body: LostReport,
    device: Annotated[Device, Depends(visible_device)],
    actor: Annotated[Actor, Depends(require(Permission.DEVICES_REPORT_LOST))],
    session: SessionDep,
    idem: IdempotencyDep,
) -> Any:
    """Record that a device cannot be found (stock-take); 409 if its state does not allow it."""

    def report() -> DeviceRead | CatalogueDevice:
        extra = {"comment": body.comment}
        lifecycle.move(session, device, to=Status.LOST, actor=actor.ledger_name, extra=extra)
        return device_for(actor, device)

    return idem.once(session, fingerprint(device.code, body), report, status_code=200)
