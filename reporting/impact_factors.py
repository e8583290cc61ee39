"""The impact factors in force, their versions, and storing a new one.

Version 1 is the set shipped with Remise (`default_impact_factors.json`: ADEME's figures
with their source and vintage), in force until a coordinator stores another. A stored
version is never edited: a change is the next version, with its author, date and note,
and a report names the version it used. The first version stored puts the shipped set
in the table as version 1 first, so that every version a report named stays readable.
A release that ships new default values must store them as a new version (a
migration), never change version 1 under reports that cite it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from db import ledger
from db.clock import now_iso
from db.errors import N_, NotFound
from remise.auth import Actor
from reporting.impact_rules import Factor, FactorTable, Measure
from reporting.impact_schemas import (
    FactorSetIn,
    FactorSetRead,
    FactorVersionRead,
    ImpactFactorsCreate,
)
from reporting.models import ImpactFactorSet

SHIPPED_FILE = Path(__file__).resolve().parent / "default_impact_factors.json"
SHIPPED_VERSION = 1
SHIPPED_BY = "remise"
SHIPPED_NOTE = "As shipped with Remise"


class FactorVersionNotFound(NotFound):
    code = "impact_factor_version_not_found"
    message = N_("There is no version %(version)s of the impact factors.")


@dataclass(frozen=True)
class FactorVersion:
    version: int
    document: FactorSetIn
    stored: bool
    created_at: str | None = None
    created_by: str | None = None
    note: str | None = None

    def table(self) -> FactorTable:
        """The factors as the rules read them, values as exact decimals."""
        return {
            Measure(measure): {
                category.value: Factor(Decimal(repr(f.value)), f.source, f.vintage, f.url)
                for category, f in by_category.items()
            }
            for measure, by_category in self.document.factors.items()
        }

    def read(self, *, current: bool) -> FactorSetRead:
        dumped = self.document.model_dump(mode="json")
        return FactorSetRead(
            version=self.version,
            current=current,
            stored=self.stored,
            created_at=self.created_at,
            created_by=self.created_by,
            note=self.note,
            title=self.document.title,
            factors=dumped["factors"],
        )

    def summary(self, *, current: bool) -> FactorVersionRead:
        return FactorVersionRead(
            version=self.version,
            current=current,
            stored=self.stored,
            created_at=self.created_at,
            created_by=self.created_by,
            note=self.note,
        )


@lru_cache(maxsize=1)
def shipped_document() -> FactorSetIn:
    return FactorSetIn.model_validate(json.loads(SHIPPED_FILE.read_text(encoding="utf-8")))


def shipped() -> FactorVersion:
    return FactorVersion(SHIPPED_VERSION, shipped_document(), stored=False)


def _of(row: ImpactFactorSet) -> FactorVersion:
    return FactorVersion(
        row.version,
        _document(json.dumps(row.factors, sort_keys=True)),
        stored=True,
        created_at=row.created_at,
        created_by=row.created_by,
        note=row.note,
    )


@lru_cache(maxsize=32)
def _document(text: str) -> FactorSetIn:
    return FactorSetIn.model_validate_json(text)


def current(session: Session) -> FactorVersion:
    """The factors in force: the newest version stored, else the shipped one (1)."""
    row = session.exec(
        select(ImpactFactorSet).order_by(col(ImpactFactorSet.version).desc()).limit(1)
    ).first()
    return _of(row) if row is not None else shipped()


def versions(session: Session) -> list[FactorVersion]:
    """Every version, newest first (the shipped one alone while none is stored)."""
    rows = session.exec(select(ImpactFactorSet).order_by(col(ImpactFactorSet.version).desc())).all()
    return [_of(row) for row in rows] or [shipped()]


def version(session: Session, number: int) -> FactorVersion:
    """Version `number`; raises FactorVersionNotFound."""
    row = session.exec(
        select(ImpactFactorSet).where(col(ImpactFactorSet.version) == number)
    ).first()
    if row is not None:
        return _of(row)
    if number == SHIPPED_VERSION and _newest(session) is None:
        return shipped()
    raise FactorVersionNotFound(version=number)


def _newest(session: Session) -> int | None:
    return session.exec(
        select(ImpactFactorSet.version).order_by(col(ImpactFactorSet.version).desc()).limit(1)
    ).first()


def create_version(session: Session, actor: Actor, *, data: ImpactFactorsCreate) -> FactorVersion:
    """Store `data` as the next version of the factors (the shipped set first, as
    version 1, if none is stored yet); it is in force from now on."""
    ledger.lock(session)  # the next version number is ours until the transaction ends
    newest = _newest(session)
    if newest is None:
        _store(session, shipped_document(), SHIPPED_VERSION, SHIPPED_BY, SHIPPED_NOTE)
        newest = SHIPPED_VERSION
    document = FactorSetIn.model_validate(data.model_dump(exclude={"note"}))
    row = _store(session, document, newest + 1, actor.ledger_name, data.note or None)
    return _of(row)


def _store(
    session: Session, document: FactorSetIn, number: int, by: str, note: str | None
) -> ImpactFactorSet:
    row = ImpactFactorSet(
        version=number,
        factors=_stored(document),
        note=note,
        created_at=now_iso(),
        created_by=by,
    )
    session.add(row)
    session.flush()
    return row


def _stored(document: FactorSetIn) -> dict[str, Any]:
    dumped: dict[str, Any] = document.model_dump(mode="json", exclude_none=True)
    return dumped
