"""The catalogue structures browse: the `available` devices (`db.catalog`'s table),
filtered on indexed spec columns, never the donor, a serial or an IMEI."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from db import codes
from db.catalog import grade_rank
from db.models import CatalogItem
from distribution.models import CatalogCount, CatalogDevice, CatalogPage, Criteria, Specs

# The listing's order: category, best grade first, then the cheapest, then the device.
ORDER = (
    col(CatalogItem.category),
    col(CatalogItem.grade_rank),
    col(CatalogItem.price_cents),
    col(CatalogItem.device_id),
)
# What a claim by criteria takes first: the cheapest devices that meet them, the longest
# in stock among equals, so that stock turns over.
CLAIM_ORDER = (col(CatalogItem.price_cents), col(CatalogItem.since), col(CatalogItem.device_id))


def cents(euros: Decimal | None) -> int | None:
    return None if euros is None else int(euros * 100)


def conditions(
    *,
    category: str | None = None,
    min_grade: str | None = None,
    min_ram_gb: int | None = None,
    min_storage_gb: int | None = None,
    max_price_cents: int | None = None,
    os: str | None = None,
) -> list[ColumnElement[bool]]:
    """The filters, each on an indexed column of the catalogue."""
    found: list[ColumnElement[bool]] = []
    if category is not None:
        found.append(col(CatalogItem.category) == category)
    if min_grade is not None:
        found.append(col(CatalogItem.grade_rank) <= grade_rank(min_grade))
    if min_ram_gb is not None:
        found.append(col(CatalogItem.ram_gb) >= min_ram_gb)
    if min_storage_gb is not None:
        found.append(col(CatalogItem.storage_gb) >= min_storage_gb)
    if max_price_cents is not None:
        found.append(col(CatalogItem.price_cents) <= max_price_cents)
    if os is not None:
        found.append(col(CatalogItem.os) == os.strip().lower())  # stored in lower case
    return found


def criteria_conditions(criteria: Criteria) -> list[ColumnElement[bool]]:
    return conditions(
        category=criteria.category.value,
        min_grade=criteria.min_grade,
        min_ram_gb=criteria.min_ram_gb,
        min_storage_gb=criteria.min_storage_gb,
        max_price_cents=cents(criteria.max_price),
        os=criteria.os,
    )


def device_of(item: Any, locale: str) -> CatalogDevice:
    definition = item.definition_en if locale == "en" else item.definition_fr
    return CatalogDevice(
        code=codes.display(item.code),
        category=item.category,
        brand=item.brand,
        model=item.model,
        grade=item.grade,
        grade_definition=definition,
        specs=Specs(
            ram_gb=item.ram_gb,
            storage_gb=item.storage_gb,
            storage_type=item.storage_type,
            screen_in=item.screen_in,
            cpu=item.cpu,
            os=item.os,
            battery_percent=item.battery_percent,
        ),
        price_cents=item.price_cents,
    )


def listing(
    session: Session,
    *,
    filters: list[ColumnElement[bool]],
    limit: int,
    offset: int,
    locale: str,
) -> CatalogPage:
    """One page of the available devices that pass `filters`, with their total."""
    total = session.execute(
        select(func.count()).select_from(CatalogItem).where(*filters)
    ).scalar_one()
    rows = session.execute(
        select(CatalogItem).where(*filters).order_by(*ORDER).limit(limit).offset(offset)
    ).scalars()
    return CatalogPage(
        total=total,
        limit=limit,
        offset=offset,
        devices=[device_of(item, locale) for item in rows],
    )


def counts(session: Session) -> list[CatalogCount]:
    """How many devices are available, by category and grade."""
    rows = session.execute(
        select(col(CatalogItem.category), col(CatalogItem.grade), func.count())
        .group_by(col(CatalogItem.category), col(CatalogItem.grade))
        .order_by(col(CatalogItem.category), col(CatalogItem.grade))
    ).all()
    return [CatalogCount(category=c, grade=g, count=n) for c, g, n in rows]
