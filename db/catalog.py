"""The catalogue: the `available` devices, one `catalog_item` row each, for browsing.

It is a projection of the device table that `db.lifecycle` keeps in the same
transaction as each move: a device that becomes `available` gets its row, one that
leaves `available` loses it, an available device whose fields change has it redrawn.
So the catalogue never shows a reserved device, and a claim that reads it sees what
the device table says. The specs come from what grading wrote with the grade
(`attributes.grading.specs`, see `grading.service.summary`), never from the bench's
raw measures, which hold disk serials. `rebuild` draws it again from the devices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from db.clock import now_iso
from db.enums import GRADES, Status
from db.models import CatalogItem, Device

UNGRADED_RANK = 9
_TABLE = CatalogItem.__table__  # type: ignore[attr-defined]
_DEVICES = Device.__table__  # type: ignore[attr-defined]


def grade_rank(grade: str | None) -> int:
    """1 for A, 2 for B, 3 for C: a filter `min_grade=B` keeps the ranks up to 2."""
    return GRADES.index(grade) + 1 if grade in GRADES else UNGRADED_RANK


def _whole(value: Any) -> int | None:
    """A spec as a whole number (7.45 GiB of RAM is 7; "512" GB is 512), or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(Decimal(str(value).replace(",", ".")).to_integral_value())
    except (InvalidOperation, ValueError):
        return None


def _text(value: Any, length: int) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:length]


def _sentence(grading: Any, locale: str) -> str | None:
    said = (grading or {}).get(locale) or {}
    return said.get("sentence") if isinstance(said, Mapping) else None


def row_of(device: Mapping[str, Any], *, since: str) -> dict[str, Any]:
    """The catalogue row of a device (its columns as a mapping)."""
    attributes = device.get("attributes") or {}
    grading = attributes.get("grading") if isinstance(attributes, Mapping) else None
    specs = (grading or {}).get("specs") or {}
    return {
        "device_id": device["id"],
        "code": device["code"],
        "category": device["category"],
        "brand": device.get("brand"),
        "model": device.get("model"),
        "grade": device.get("grade"),
        "grade_rank": grade_rank(device.get("grade")),
        "price_cents": device.get("price_cents"),
        "ram_gb": _whole(specs.get("ram_gb")),
        "storage_gb": _whole(specs.get("storage_gb")),
        "storage_type": _text(specs.get("storage_type"), 12),
        "screen_in": _text(specs.get("screen_in"), 8),
        "cpu": _text(specs.get("cpu"), 200),
        "os": (_text(specs.get("os"), 20) or "").lower() or None,
        "battery_percent": _whole(specs.get("battery_percent")),
        "definition_fr": _sentence(grading, "fr"),
        "definition_en": _sentence(grading, "en"),
        "since": since,
    }


def _columns(device: Device) -> dict[str, Any]:
    return {
        name: getattr(device, name)
        for name in ("id", "code", "category", "brand", "model", "grade", "price_cents")
    } | {"attributes": device.attributes}


def follow(session: Session, device: Device, *, before: Status, after: Status) -> None:
    """Keep the device's catalogue row in step with a change from `before` to `after`
    (the device holds its new fields): the lifecycle calls it after each update."""
    if before == Status.AVAILABLE:
        session.execute(delete(_TABLE).where(_TABLE.c.device_id == device.id))
    if after == Status.AVAILABLE:
        session.execute(insert(_TABLE).values(row_of(_columns(device), since=now_iso())))


def follow_many(
    session: Session, devices: Sequence[Device], *, before: Status, after: Status
) -> None:
    """`follow` for devices moved together, one statement each way."""
    if before == Status.AVAILABLE:
        ids = [device.id for device in devices]
        session.execute(delete(_TABLE).where(_TABLE.c.device_id.in_(ids)))
    if after == Status.AVAILABLE:
        since = now_iso()
        session.execute(insert(_TABLE), [row_of(_columns(d), since=since) for d in devices])


def add_many(session: Session, devices: Iterable[Mapping[str, Any]], *, since: str) -> int:
    """Catalogue rows for devices made available in bulk (the demo's seeding)."""
    rows = [row_of(device, since=since) for device in devices]
    if rows:
        session.execute(insert(_TABLE), rows)
    return len(rows)


def rebuild(session: Session) -> int:
    """Draw the catalogue again from the devices that are `available`; returns its size."""
    session.execute(delete(_TABLE))
    found = session.execute(select(_DEVICES).where(_DEVICES.c.status == Status.AVAILABLE.value))
    return add_many(session, (dict(row._mapping) for row in found), since=now_iso())
