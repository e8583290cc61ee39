"""What the API answers about devices and ledger events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import BaseModel, Field
from sqlalchemy import Row

from db import codes
from db.models import Device, LedgerEvent


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
    def of(cls, device: Device | Row[Any]) -> CatalogueDevice:
        return cls(code_display=codes.display(device.code), **_fields(device))


def _fields(device: Device | Row[Any]) -> Mapping[str, Any]:
    """A device's columns: of an ORM object, or of a row read without the ORM."""
    return device._mapping if isinstance(device, Row) else device.model_dump()


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


def device_for(actor: Any, device: Device | Row[Any]) -> DeviceRead | CatalogueDevice:
    """The device as this actor may see it: a partner structure gets the catalogue view."""
    if actor.is_structure:
        return CatalogueDevice.of(device)
    return DeviceRead(code_display=codes.display(device.code), **_fields(device))


class DevicePage(BaseModel):
    items: list[DeviceRead] | list[CatalogueDevice]
    total: int
    limit: int
    offset: int


# What a partner structure reads of a device's events, a whitelist: the catalogue
# fields an event changed, its own structure's id, and the kind of part replaced.
# The rest (serial, IMEI, asset tag, batch, pickup site, attributes and probed
# specs, file digests, run and snapshot ids, comments, notes, step values, flags and
# what they found, collectors) may name a person, the donor or a hidden identifier.
PUBLIC_FIELDS = frozenset(CatalogueDevice.model_fields) - {"code_display"}
PUBLIC_EXTRAS = frozenset({"part"})
# Who a structure reads as the actor of an event not done by one of its own users.
NEUTRAL_ACTOR = "Remise"


def _shown_to(structure_id: int | None, field: str, change: list[Any]) -> bool:
    if field == "structure_id":  # another structure's id says who held it before
        return all(value is None or value == structure_id for value in change)
    return field in PUBLIC_FIELDS


def structure_payload(payload: dict[str, Any], structure_id: int | None) -> dict[str, Any]:
    """The part of an event's payload a structure may read (see PUBLIC_FIELDS)."""
    changes = payload.get("changes", {})
    shown = {k: v for k, v in changes.items() if _shown_to(structure_id, k, v)}
    return {"changes": shown, **{k: v for k, v in payload.items() if k in PUBLIC_EXTRAS}}


class EventRead(BaseModel):
    seq: int
    at: str
    actor: str = Field(
        description=f"who did it; “{NEUTRAL_ACTOR}” when a partner structure reads an event "
        "not done by one of its own users"
    )
    type: str
    payload: dict[str, Any]
    hash: str | None = Field(
        description="the ledger row's hash; none for a partner structure, since the hash of "
        "known fields would let it test guesses of the hidden ones"
    )

    @classmethod
    def for_staff(cls, row: LedgerEvent) -> EventRead:
        """The event whole, as the ledger holds it."""
        payload = orjson.loads(row.payload)
        return cls(
            seq=row.seq, at=row.at, actor=row.actor, type=row.type, payload=payload, hash=row.hash
        )

    @classmethod
    def for_structure(
        cls, row: LedgerEvent, *, structure_id: int | None, own_users: frozenset[str]
    ) -> EventRead:
        """The event as a structure reads it: its own users named, no hidden field."""
        payload = structure_payload(orjson.loads(row.payload), structure_id)
        actor = row.actor if row.actor in own_users else NEUTRAL_ACTOR
        return cls(seq=row.seq, at=row.at, actor=actor, type=row.type, payload=payload, hash=None)


class VerificationRead(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None
    reason: str | None
