"""Device look-up, listing and history, confined for partner structures.

A structure user sees the devices on offer (`available`) and those its own
structure holds; any other device answers 404, exactly as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, false, func, or_
from sqlmodel import col, select

from db import codes, devices, ledger, lifecycle
from db.enums import Category, Status
from db.models import Device
from remise.api.schemas import (
    PUBLIC_FIELDS,
    CatalogueDevice,
    DevicePage,
    DeviceRead,
    EventRead,
    device_for,
)
from remise.auth import Actor, Permission
from remise.deps import SessionDep, require

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])
MAX_PAGE = 500


def _visible_to(actor: Actor) -> ColumnElement[bool]:
    if not actor.is_structure:
        return ~false()
    return or_(
        col(Device.status) == Status.AVAILABLE.value,
        col(Device.structure_id) == actor.structure_id,
    )


def _holds(actor: Actor, device: Device) -> bool:
    return not actor.is_structure or device.structure_id == actor.structure_id


def visible_device(
    code: str,
    session: SessionDep,
    actor: Annotated[Actor, Depends(require(Permission.DEVICES_READ))],
) -> Device:
    """The device `code` names, if this actor may see it (404 otherwise)."""
    device = devices.by_code(session, code)
    if actor.is_structure and not (_holds(actor, device) or device.status == Status.AVAILABLE):
        raise devices.DeviceNotFound(code=codes.display(device.code))
    return device


def _search(q: str) -> ColumnElement[bool]:
    text = q.strip().lower()
    matches = [
        func.lower(column).contains(text, autoescape=True)
        for column in (Device.serial, Device.imei, Device.brand, Device.model, Device.asset_tag)
    ]
    if codes.is_valid(q):
        matches.append(col(Device.code) == codes.parse(q))
    return or_(*matches)


@router.get("", response_model=DevicePage)
def list_devices(
    session: SessionDep,
    actor: Annotated[Actor, Depends(require(Permission.DEVICES_READ))],
    status: Status | None = None,
    category: Category | None = None,
    grade: Annotated[str | None, Query(max_length=8)] = None,
    batch_id: int | None = None,
    q: Annotated[
        str | None, Query(max_length=120, description="code, serial, IMEI, brand…")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DevicePage:
    """Devices, newest first, filtered by status, category, grade and free text."""
    where = [_visible_to(actor)]
    if status:
        where.append(col(Device.status) == status.value)
    if category:
        where.append(col(Device.category) == category.value)
    if grade:
        where.append(col(Device.grade) == grade.upper())
    if batch_id is not None and not actor.is_structure:
        where.append(col(Device.batch_id) == batch_id)
    if q and q.strip():
        where.append(_search(q))
    total = session.exec(select(func.count()).select_from(Device).where(*where)).one()
    rows = session.exec(
        select(Device).where(*where).order_by(col(Device.id).desc()).limit(limit).offset(offset)
    ).all()
    items: Any = [device_for(actor, d) for d in rows]
    return DevicePage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{code}", response_model=DeviceRead | CatalogueDevice)
def get_device(
    device: Annotated[Device, Depends(visible_device)],
    actor: Annotated[Actor, Depends(require(Permission.DEVICES_READ))],
) -> DeviceRead | CatalogueDevice:
    """One device by its code (any case, with or without the hyphen)."""
    return device_for(actor, device)


def _public(payload: dict[str, Any]) -> dict[str, Any]:
    changes = payload.get("changes", {})
    return {"changes": {k: v for k, v in changes.items() if k in PUBLIC_FIELDS}}


@router.get("/{code}/history", response_model=list[EventRead])
def device_history(
    session: SessionDep,
    device: Annotated[Device, Depends(visible_device)],
    actor: Annotated[Actor, Depends(require(Permission.DEVICES_HISTORY))],
) -> list[EventRead]:
    """The device's ledger events, oldest first (a structure sees only its own devices')."""
    if not _holds(actor, device):
        raise devices.DeviceNotFound(code=codes.display(device.code))
    assert device.id is not None
    events = []
    for row in ledger.history(session, device.id):
        payload = orjson.loads(row.payload)
        events.append(EventRead.of(row, _public(payload) if actor.is_structure else payload))
    return events


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
) -> DeviceRead | CatalogueDevice:
    """Record that a device cannot be found (stock-take); 409 if its state does not allow it."""
    lifecycle.move(
        session, device, to=Status.LOST, actor=actor.ledger_name, extra={"comment": body.comment}
    )
    return device_for(actor, device)
