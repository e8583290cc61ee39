"""Solidarity prices: a grid per category and grade, with optional spec tiers, and the
legal caps it must stay within. Pure: no session, no clock, no I/O.

A grid (JSON, `default_grid.json` ships with Remise) gives each category's price per
grade in cents, and tiers that add to it when a fact holds (8 GB of RAM or more: +20 €).
A grid whose highest price of a category (its best grade with every tier) is above the
category's legal cap is refused, unless the coordinator states, with a reason, that the
cap does not apply (`waivers`): the caps bind devices that public bodies donated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from grading.rules import (
    CATEGORIES,
    GRADES,
    Categories,
    Condition,
    KnownCategory,
    Strict,
    Text,
    Words,
    evaluate,
)

PRICE_MAX_CENTS = 1_000_000  # 10,000 €: a typo, not a solidarity price

# Décret of 7 November 2022 (JO of 9 Nov 2022), art. L. 3212-2 CG3P: the highest price
# TTC at which such associations may resell IT equipment public bodies gave them
# (reference-data §2.1, medium-high; the décret's number was not read). A desktop's cap
# is for the set with screen, keyboard and mouse. Basic phones have no cap of their own.
LEGAL_CAPS_CENTS: dict[str, int] = {
    "laptop": 18_000,
    "desktop": 15_000,
    "tablet": 10_000,
    "smartphone": 10_000,
}
CAPS_SOURCE = (
    "décret du 7 novembre 2022 (JO du 9 novembre 2022), art. L. 3212-2 CG3P: portable 180 €, "
    "PC fixe avec écran, clavier et souris 150 €, tablette 100 €, smartphone 100 €"
)


class Tier(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    categories: Categories
    when: Condition
    add_cents: Annotated[int, Field(ge=-PRICE_MAX_CENTS, le=PRICE_MAX_CENTS)]
    label: Words


class Waiver(Strict):
    category: KnownCategory
    reason: Annotated[str, Field(min_length=10, max_length=500)]


Prices = dict[Literal["A", "B", "C"], Annotated[int, Field(ge=0, le=PRICE_MAX_CENTS)]]


class GridDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    title: Text
    effective_from: date
    currency: Literal["EUR"] = "EUR"
    prices: dict[str, Prices]
    tiers: Annotated[list[Tier], Field(max_length=50)] = Field(default_factory=list)
    waivers: list[Waiver] = Field(default_factory=list)

    @field_validator("prices")
    @classmethod
    def _every_grade(cls, value: dict[str, Prices]) -> dict[str, Prices]:
        for category, prices in value.items():
            if category not in CATEGORIES:
                raise ValueError(f"unknown category {category!r}: one of {', '.join(CATEGORIES)}")
            missing = [g for g in GRADES if g not in prices]
            if missing:
                raise ValueError(f"{category} has no price for grade {missing[0]}")
        return value


@dataclass(frozen=True)
class OverCap:
    category: str
    highest_cents: int
    cap_cents: int


def highest(grid: GridDocument, category: str) -> int:
    """The most a device of `category` can cost on `grid`: its dearest grade with every
    tier that adds to it."""
    base = max(grid.prices[category].values())  # type: ignore[type-var]
    extra = sum(t.add_cents for t in grid.tiers if category in t.categories and t.add_cents > 0)
    return int(base) + extra


def over_caps(grid: GridDocument) -> list[OverCap]:
    """The categories whose highest price is above the legal cap, waivers left aside."""
    waived = {w.category for w in grid.waivers}
    found = []
    for category in grid.prices:
        cap = LEGAL_CAPS_CENTS.get(category)
        if cap is not None and category not in waived and highest(grid, category) > cap:
            found.append(OverCap(category, highest(grid, category), cap))
    return found


@dataclass(frozen=True)
class Price:
    cents: int
    base_cents: int
    tiers: tuple[tuple[str, Words, int], ...]  # (id, label, cents added)
    cap_cents: int | None


def price_for(grid: GridDocument, category: str, grade: str, facts: dict[str, Any]) -> Price | None:
    """The price of a device of `category` graded `grade` on `grid`, or None when the
    grid has none for it. Never below zero; never above a cap that is not waived."""
    prices = grid.prices.get(category)
    if prices is None or grade not in prices:
        return None
    base = int(prices[grade])  # type: ignore[index]
    added = []
    for tier in grid.tiers:
        if category in tier.categories and evaluate(tier.when, facts)[0] is True:
            added.append((tier.id, tier.label, tier.add_cents))
    cents = max(0, base + sum(cents for _, _, cents in added))
    waived = any(w.category == category for w in grid.waivers)
    cap = None if waived else LEGAL_CAPS_CENTS.get(category)
    return Price(min(cents, cap) if cap is not None else cents, base, tuple(added), cap)
