"""The rules and the grid in force, their versions, and publishing new ones.

Version 0 of each is the document shipped with Remise (`default_rules.json`,
`default_grid.json`), in force until a coordinator publishes one. A published version
is never edited: a change is a new version with its author and date (and, for the grid,
the date it takes effect), and a `grading.rules_published` or `pricing.grid_published`
event. A document that does not validate is refused with every problem named by its
place in the document, and nothing changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from babel.numbers import format_currency
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, select

from db import canonical, ledger
from db.clock import now_iso, utcnow
from db.enums import CATEGORY_LABELS, Category
from db.errors import N_, Message
from db.events import EventType
from grading import pricing
from grading.errors import GridBeforeInForce, GridOverCap, InvalidDocument
from grading.models import GradingRulesVersion, PricingGridVersion
from grading.pricing import GridDocument
from grading.rules import RulesDocument
from remise.auth import Actor

HERE = Path(__file__).resolve().parent
RULES_WORDS = N_("rules document")
GRID_WORDS = N_("price grid")
Model = TypeVar("Model", bound=BaseModel)


@lru_cache(maxsize=1)
def shipped_rules() -> RulesDocument:
    return RulesDocument.model_validate(json.loads((HERE / "default_rules.json").read_text()))


@lru_cache(maxsize=1)
def shipped_grid() -> GridDocument:
    return GridDocument.model_validate(json.loads((HERE / "default_grid.json").read_text()))


@lru_cache(maxsize=64)
def _rules_of(sha256: str, text: str) -> RulesDocument:
    return RulesDocument.model_validate_json(text)


@lru_cache(maxsize=64)
def _grid_of(sha256: str, text: str) -> GridDocument:
    return GridDocument.model_validate_json(text)


def _digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical.dumps(document)).hexdigest()


def current_rules(session: Session) -> tuple[int, RulesDocument, GradingRulesVersion | None]:
    """The rules in force: the newest version published, else the shipped one (0)."""
    row = session.exec(
        select(GradingRulesVersion).order_by(col(GradingRulesVersion.version).desc()).limit(1)
    ).first()
    if row is None:
        return 0, shipped_rules(), None
    return row.version, _rules_of(row.sha256, json.dumps(row.document)), row


def rules_version(session: Session, version: int) -> RulesDocument | None:
    if version == 0:
        return shipped_rules()
    row = session.exec(
        select(GradingRulesVersion).where(col(GradingRulesVersion.version) == version)
    ).first()
    return _rules_of(row.sha256, json.dumps(row.document)) if row is not None else None


def current_grid(
    session: Session, today: date
) -> tuple[int, GridDocument, PricingGridVersion | None]:
    """The grid in force on `today`: the newest version already in effect, else the
    shipped one (0)."""
    row = session.exec(
        select(PricingGridVersion)
        .where(col(PricingGridVersion.effective_from) <= today.isoformat())
        .order_by(
            col(PricingGridVersion.effective_from).desc(), col(PricingGridVersion.version).desc()
        )
        .limit(1)
    ).first()
    if row is None:
        return 0, shipped_grid(), None
    return row.version, _grid_of(row.sha256, json.dumps(row.document)), row


def _problems(exc: ValidationError) -> list[dict[str, Any]]:
    """Each problem of a document, named by its place in it: `rules[2].when.value`."""
    found = []
    for problem in exc.errors(include_url=False):
        place = ""
        for part in problem["loc"]:
            if isinstance(part, int):
                place += f"[{part}]"
            elif str(part).startswith("condition:"):
                continue  # the kind of condition it was read as: not a place
            else:
                place += ("." if place else "") + str(part)
        message = problem["msg"].removeprefix("Value error, ")
        found.append({"field": place or "(document)", "message": message})
    return found


def validated(schema: type[Model], document: Any, what: str) -> Model:
    """`document` as `schema`, or InvalidDocument listing every problem by its place."""
    try:
        return schema.model_validate(document)
    except ValidationError as exc:
        problems = _problems(exc)
        error = InvalidDocument(what=Message(what), count=len(problems))
        error.extra = {"errors": problems}
        raise error from exc


def _publish(
    session: Session,
    actor: Actor,
    table: type[GradingRulesVersion] | type[PricingGridVersion],
    stored: dict[str, Any],
    note: str | None,
    event: EventType,
    payload: dict[str, Any],
    **fields: Any,
) -> Any:
    """Store `stored` as the next version in `table`, with its author, date and note, and
    its ledger event (`payload` plus the version and the document's SHA-256)."""
    ledger.lock(session)  # the next version number is ours until the transaction ends
    newest = session.exec(
        select(table.version).order_by(col(table.version).desc()).limit(1)  # type: ignore[arg-type]
    ).first()
    row = table(
        version=(newest or 0) + 1,
        document=stored,
        sha256=_digest(stored),
        note=(note or "").strip() or None,
        created_at=now_iso(),
        created_by=actor.ledger_name,
        **fields,
    )
    session.add(row)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=event,
        payload={"version": row.version, "sha256": row.sha256, **payload},
    )
    return row


def publish_rules(
    session: Session, actor: Actor, document: Any, note: str | None = None
) -> GradingRulesVersion:
    """Publish `document` as the next version of the rules. Raises InvalidDocument."""
    valid = validated(RulesDocument, document, RULES_WORDS)
    stored = valid.model_dump(mode="json", by_alias=True)
    payload = {"rules": len(valid.rules)}
    row: GradingRulesVersion = _publish(
        session,
        actor,
        GradingRulesVersion,
        stored,
        note,
        EventType.GRADING_RULES_PUBLISHED,
        payload,
    )
    return row


def publish_grid(
    session: Session, actor: Actor, document: Any, note: str | None = None
) -> PricingGridVersion:
    """Publish `document` as the next version of the grid, in force from its
    `effective_from`. Raises InvalidDocument, GridOverCap, GridBeforeInForce."""
    grid = validated(GridDocument, document, GRID_WORDS)
    over = pricing.over_caps(grid)
    if over:
        first = over[0]
        error = GridOverCap(
            category=Message(CATEGORY_LABELS[Category(first.category)]),
            highest=Euros(first.highest_cents),
            cap=Euros(first.cap_cents),
        )
        error.extra = {
            "over_caps": [
                {"category": o.category, "highest_cents": o.highest_cents, "cap_cents": o.cap_cents}
                for o in over
            ]
        }
        raise error
    ledger.lock(session)
    # A grid dated before the one in force would never take effect: the newest date wins.
    effective = grid.effective_from.isoformat()
    _, _, latest = current_grid(session, utcnow().date())
    if latest is not None and effective < latest.effective_from:
        raise GridBeforeInForce(date=effective, version=latest.version, other=latest.effective_from)
    stored = grid.model_dump(mode="json", by_alias=True)
    payload = {"effective_from": effective, "waivers": [w.model_dump() for w in grid.waivers]}
    row: PricingGridVersion = _publish(
        session,
        actor,
        PricingGridVersion,
        stored,
        note,
        EventType.PRICING_GRID_PUBLISHED,
        payload,
        effective_from=effective,
    )
    return row


def euros(cents: int, locale: str = "fr") -> str:
    """A price as the pages write it (babel): 130,00 € in French, €130.00 in English."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale)


@dataclass(frozen=True)
class Euros:
    """A price inside a message, written in the language it is translated to."""

    cents: int

    def in_(self, locale: str) -> str:
        return euros(self.cents, locale)

    def __str__(self) -> str:
        return euros(self.cents, "en")


def rules_versions(session: Session) -> list[GradingRulesVersion]:
    return list(
        session.exec(select(GradingRulesVersion).order_by(col(GradingRulesVersion.version))).all()
    )


def grid_versions(session: Session) -> list[PricingGridVersion]:
    return list(
        session.exec(select(PricingGridVersion).order_by(col(PricingGridVersion.version))).all()
    )


def current_rules_of(session: Session, _actor: Any = None) -> tuple[int, dict[str, Any], Any]:
    """The rules in force as JSON, for the command line."""
    version, document, row = current_rules(session)
    return version, document.model_dump(mode="json", by_alias=True), row


def current_grid_of(session: Session, today: date) -> tuple[int, dict[str, Any], Any]:
    """The grid in force on `today` as JSON, for the command line."""
    version, document, row = current_grid(session, today)
    return version, document.model_dump(mode="json", by_alias=True), row
