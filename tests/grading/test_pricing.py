"""Solidarity prices (grading/pricing.py) with the grid Remise ships
(grading/default_grid.json): within the legal caps, tiers, waivers, refusals. Pure.

Caps (reference-data §2.1, décret of 7 November 2022, art. L. 3212-2 CG3P): laptop 180 €,
desktop with screen, keyboard and mouse 150 €, tablet 100 €, smartphone 100 €. Emmaüs
Connect was reported (§2.2, ~2022) at « jusqu'à 150 € pour les ordinateurs portables les
plus performants, et pas plus de 100 € pour les smartphones ».
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import ValidationError

from grading.documents import HERE, shipped_grid
from grading.pricing import (
    LEGAL_CAPS_CENTS,
    GridDocument,
    OverCap,
    highest,
    over_caps,
    price_for,
)
from grading.rules import GRADES

GRID = shipped_grid()
EMMAUS_CONNECT_CENTS = {"laptop": 15_000, "smartphone": 10_000}
RICH = {"ram_gb": 16.0, "storage_gb": 512.1, "has_ssd": True}  # every tier holds


def shipped_json() -> dict[str, Any]:
    return json.loads((HERE / "default_grid.json").read_text())


def test_the_legal_caps_are_the_decrees() -> None:
    assert LEGAL_CAPS_CENTS == {
        "laptop": 18_000,
        "desktop": 15_000,
        "tablet": 10_000,
        "smartphone": 10_000,
    }


@pytest.mark.parametrize("category", sorted(LEGAL_CAPS_CENTS))
def test_the_shipped_grid_stays_within_every_legal_cap(category: str) -> None:
    assert category in GRID.prices
    assert highest(GRID, category) <= LEGAL_CAPS_CENTS[category]
    assert over_caps(GRID) == [] and GRID.waivers == []


@pytest.mark.parametrize("category", sorted(EMMAUS_CONNECT_CENTS))
def test_the_shipped_grid_stays_within_what_emmaus_connect_charges(category: str) -> None:
    assert highest(GRID, category) <= EMMAUS_CONNECT_CENTS[category]
    dearest = price_for(GRID, category, "A", RICH)
    assert dearest is not None and dearest.cents <= EMMAUS_CONNECT_CENTS[category]


@pytest.mark.parametrize("category", sorted(GRID.prices))
def test_a_better_grade_never_costs_less(category: str) -> None:
    prices = [GRID.prices[category][g] for g in GRADES]  # type: ignore[index]
    assert prices == sorted(prices, reverse=True)


def grid(**changes: Any) -> GridDocument:
    return GridDocument.model_validate({**shipped_json(), **changes})


def test_over_caps_finds_a_grid_above_a_cap() -> None:
    prices = shipped_json()["prices"] | {"laptop": {"A": 17_500, "B": 15_000, "C": 9_000}}
    dear = grid(prices=prices)
    assert over_caps(dear) == [OverCap("laptop", 17_500 + 2_000 + 1_000, 18_000)]
    assert highest(dear, "laptop") == 20_500


def test_a_phone_at_the_cap_is_within_it_and_one_cent_more_is_not() -> None:
    prices = shipped_json()["prices"]
    at_cap = prices | {"smartphone": {"A": 9_000, "B": 7_000, "C": 5_000}}
    assert over_caps(grid(prices=at_cap)) == []  # 90 € + 10 € for 64 GB
    above = prices | {"smartphone": {"A": 9_001, "B": 7_000, "C": 5_000}}
    assert over_caps(grid(prices=above)) == [OverCap("smartphone", 10_001, 10_000)]


def test_a_waiver_with_its_reason_lifts_the_cap() -> None:
    prices = shipped_json()["prices"] | {"laptop": {"A": 20_000, "B": 15_000, "C": 9_000}}
    reason = "Portables achetés par l'association, pas donnés par une collectivité"
    waived = grid(prices=prices, waivers=[{"category": "laptop", "reason": reason}])
    assert over_caps(waived) == []
    price = price_for(waived, "laptop", "A", RICH)
    assert price is not None and (price.cents, price.cap_cents) == (23_000, None)
    other = price_for(waived, "desktop", "A", RICH)
    assert other is not None and other.cap_cents == 15_000  # only the waived category


@pytest.mark.parametrize("reason", ["", "parce que"])
def test_a_waiver_needs_a_reason(reason: str) -> None:
    with pytest.raises(ValidationError):
        grid(waivers=[{"category": "laptop", "reason": reason}])


@pytest.mark.parametrize(
    ("category", "grade", "facts", "cents", "tiers"),
    [
        ("laptop", "A", RICH, 12_000 + 2_000 + 1_000, ["ram_8", "ssd_240"]),
        ("laptop", "B", {"ram_gb": 8, "storage_gb": 240, "has_ssd": True}, 13_000,
         ["ram_8", "ssd_240"]),
        ("laptop", "B", {"ram_gb": 7.9, "storage_gb": 239.9, "has_ssd": True}, 10_000, []),
        ("laptop", "C", {"ram_gb": 8, "storage_gb": 500.1, "has_ssd": False}, 9_000, ["ram_8"]),
        ("laptop", "C", {"ram_gb": None, "storage_gb": 500.1, "has_ssd": None}, 7_000, []),
        ("laptop", "A", {}, 12_000, []),  # nothing measured: no tier
        ("desktop", "A", RICH, 12_000, ["ram_8"]),  # the SSD tier is the laptops'
        ("smartphone", "A", {"storage_gb": 64}, 10_000, ["storage_64"]),
        ("smartphone", "B", {"storage_gb": 63.9}, 7_000, []),
        ("tablet", "C", {"storage_gb": 128}, 5_000, ["storage_64"]),
        ("tablet", "C", {"storage_gb": None}, 4_000, []),
        ("basic_phone", "A", {"storage_gb": 64, "ram_gb": 8}, 2_000, []),
    ],
)  # fmt: skip
def test_tiers_add_when_their_condition_holds(
    category: str, grade: str, facts: dict[str, Any], cents: int, tiers: list[str]
) -> None:
    price = price_for(GRID, category, grade, facts)
    assert price is not None
    assert price.cents == cents
    assert [t[0] for t in price.tiers] == tiers
    assert price.base_cents == GRID.prices[category][grade]  # type: ignore[index]
    assert price.cap_cents == LEGAL_CAPS_CENTS.get(category)


def test_a_tier_adds_what_its_label_says() -> None:
    price = price_for(GRID, "laptop", "A", RICH)
    assert price is not None
    assert [(t[1].fr, t[2]) for t in price.tiers] == [
        ("8 Go de RAM ou plus", 2_000),
        ("SSD de 240 Go ou plus", 1_000),
    ]


def test_a_price_is_never_below_zero() -> None:
    discount = {
        "id": "parts_missing",
        "categories": ["basic_phone"],
        "when": {"fact": "charger_missing", "op": "==", "value": True},
        "add_cents": -5_000,
        "label": {"fr": "sans chargeur", "en": "no charger"},
    }
    cheap = grid(tiers=[*shipped_json()["tiers"], discount])
    price = price_for(cheap, "basic_phone", "C", {"charger_missing": True})
    assert price is not None and (price.cents, price.base_cents) == (0, 1_000)
    assert highest(cheap, "basic_phone") == 2_000  # a discount does not raise the highest


@pytest.mark.parametrize(("category", "grade"), [("other", "A"), ("desktop", "D"), ("cpu", "A")])
def test_no_price_for_what_the_grid_does_not_price(category: str, grade: str) -> None:
    assert price_for(GRID, category, grade, RICH) is None


def test_a_category_without_a_price_is_none() -> None:
    prices = {k: v for k, v in shipped_json()["prices"].items() if k != "tablet"}
    assert price_for(grid(prices=prices), "tablet", "A", {"storage_gb": 128}) is None


def changed(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(shipped_json())
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["prices"].update(fridge={"A": 1, "B": 1, "C": 1}), "fridge"),
        (lambda d: d["prices"]["laptop"].pop("C"), "no price for grade C"),
        (lambda d: d["prices"]["laptop"].update(A=-1), "greater than or equal to 0"),
        (lambda d: d["prices"]["laptop"].update(A=1_000_001), "less than or equal to"),
        (lambda d: d["prices"]["laptop"].update(A="120 €"), "valid integer"),
        (lambda d: d["tiers"][0].update(categories=["fridge"]), "fridge"),
        (lambda d: d["tiers"][0]["when"].update(value="8"), "with a number"),
        (lambda d: d.update(currency="USD"), "EUR"),
        (lambda d: d.update(effective_from="1er janvier"), "date"),
        (lambda d: d.update(note="extra"), "note"),
    ],
)
def test_an_invalid_grid_is_refused(change: Any, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        GridDocument.model_validate(changed(change))
    assert message in str(refused.value)
