"""What the API answers about devices and ledger events."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from db import codes
from db.models import Device, LedgerEvent

# What a partner structure may see of a device: no donor, batch or asset data.
PUBLIC_FIELDS = frozenset(
    {"code", "category", "brand", "model", "status", "grade", "price_cents", "structure_id"}
)


class CatalogueDevice(BaseModel):
    """A device as a partner structure sees it."""

    code: str
    code_display: str
    category: str
    brand: str | None
    model: str | None
    status: str
    grade: str | None
    price_cents: int | None

    @classmethod
    def of(cls, device: Device) -> CatalogueDevice:
        return cls(code_display=codes.display(device.code), **device.model_dump())


class DeviceRead(CatalogueDevice):
    """A device as staff see it."""

    id: int
    batch_id: int | None
    serial: str | None
    imei: str | None
    asset_tag: str | None
    location: str | None
    structure_id: int | None
    attributes: dict[str, Any]


def device_for(actor: Any, device: Device) -> DeviceRead | CatalogueDevice:
    """The device as this actor may see it: a partner structure gets the catalogue view."""
    if actor.is_structure:
        return CatalogueDevice.of(device)
    return DeviceRead(code_display=codes.display(device.code), **device.model_dump())


class DevicePage(BaseModel):
    items: list[DeviceRead] | list[CatalogueDevice]
    total: int
    limit: int
    offset: int


class EventRead(BaseModel):
    seq: int
    at: str
    actor: str
    type: str
    payload: dict[str, Any]
    hash: str

    @classmethod
    def of(cls, row: LedgerEvent, payload: dict[str, Any]) -> EventRead:
        return cls(
            seq=row.seq, at=row.at, actor=row.actor, type=row.type, payload=payload, hash=row.hash
        )


class VerificationRead(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None
    reason: str | None
