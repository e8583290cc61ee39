"""Properties of the engine and the grid Remise ships, over random devices (hypothesis):
a better measure never gives a worse result, every complete input gets exactly one
outcome, and no price goes over its legal cap. Pure: no database.

Facts are drawn around the shipped thresholds (80 % and 60 % of battery, 4 GB of RAM,
25 and 64 GB of storage, 8 GB and 240 GB for the price tiers) as well as anywhere in
their range, each possibly unknown (None), as `grading.facts.facts_of` leaves them.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from grading.documents import shipped_grid, shipped_rules
from grading.pricing import LEGAL_CAPS_CENTS, GridDocument, over_caps, price_for
from grading.rules import GRADES, ZONES, decide, worst

RULES = shipped_rules()
GRID = shipped_grid()
GRADED = sorted(RULES.categories)  # the categories the shipped rules grade
PRICED = sorted(GRID.prices)
BOUNDED = settings(max_examples=200, deadline=None)


def near(
    edges: list[float], common: list[float], low: float, high: float
) -> st.SearchStrategy[float]:
    """A value at or just beside a threshold, a common one, or anywhere in its range."""
    beside = [v for e in edges for v in (e - 0.1, e - 0.01, e, e + 0.01) if low <= v <= high]
    return st.one_of(
        st.sampled_from(beside), st.sampled_from(common), st.floats(low, high, allow_nan=False)
    )


MEASURES: dict[str, st.SearchStrategy[float]] = {
    "battery_percent": near([60, 80], [35.5, 55.0, 72.31, 88.1, 97.0], 0, 100),
    "ram_gb": near([4, 8], [2, 4, 6, 8, 16], 0.5, 64),
    "storage_gb": near([25, 64, 240], [16, 32, 128, 256.1, 500.1, 1000.2], 1, 4000),
}
MAXIMA = {"battery_percent": 100.0, "ram_gb": 64.0, "storage_gb": 4000.0}


def maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Unknown about one time in four."""
    return st.one_of(st.none(), values, values, values)


@st.composite
def facts(draw: st.DrawFn) -> dict[str, Any]:
    return {
        **{name: draw(maybe(values)) for name, values in MEASURES.items()},
        **{
            name: draw(maybe(st.booleans()))
            for name in ("has_ssd", "has_hdd", "smart_failing", "cpu_windows11", "tpm2")
        },
        "functions_failed": draw(maybe(st.sampled_from([0, 0, 0, 1, 3]))),
    }


@st.composite
def devices(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str]]:
    """Facts, and a grade for each zone the rules know (of any category: each test
    keeps the zones of its own)."""
    if draw(st.booleans()):  # one grade for every zone: an A device is not rare
        judged = dict.fromkeys(ZONES, draw(st.sampled_from(GRADES)))
    else:
        judged = {z: draw(st.sampled_from(GRADES)) for z in ZONES}
    return draw(facts()), judged


def zones_of(category: str, judged: dict[str, str]) -> dict[str, str]:
    return {z: judged[z] for z in RULES.categories[category].zones}


def worse(grade: str, than: str) -> bool:
    return GRADES.index(grade) > GRADES.index(than)


def assert_no_worse(before: Any, after: Any) -> None:
    if before.outcome == "graded":
        assert after.outcome == "graded", (before, after)
        assert after.grade is not None and not worse(after.grade, before.grade), (before, after)


@pytest.mark.parametrize("measure", sorted(MEASURES))
@pytest.mark.parametrize("category", GRADED)
@BOUNDED
@given(devices(), st.data())
def test_a_better_measure_never_gives_a_worse_result(
    category: str,
    measure: str,
    device: tuple[dict[str, Any], dict[str, str]],
    data: st.DataObject,
) -> None:
    known, judged = device[0], zones_of(category, device[1])
    if known[measure] is None:
        known[measure] = data.draw(MEASURES[measure])
    better = data.draw(st.floats(known[measure], MAXIMA[measure], allow_nan=False))
    assume(better > known[measure])
    before = decide(RULES, category, known, {}, judged)
    after = decide(RULES, category, {**known, measure: better}, {}, judged)
    assert_no_worse(before, after)


@pytest.mark.parametrize("category", GRADED)
@BOUNDED
@given(devices(), st.data())
def test_a_better_zone_never_gives_a_worse_result(
    category: str, device: tuple[dict[str, Any], dict[str, str]], data: st.DataObject
) -> None:
    known, judged = device[0], zones_of(category, device[1])
    zone = data.draw(st.sampled_from(sorted(judged)))
    assume(judged[zone] != "A")
    better = data.draw(st.sampled_from(GRADES[: GRADES.index(judged[zone])]))
    before = decide(RULES, category, known, {}, judged)
    after = decide(RULES, category, known, {}, {**judged, zone: better})
    assert_no_worse(before, after)
    if before.grade is not None:
        assert after.grade is not None and not worse(after.grade, before.grade)


@pytest.mark.parametrize("category", GRADED)
@BOUNDED
@given(devices())
def test_every_complete_input_gets_exactly_one_outcome(
    category: str, device: tuple[dict[str, Any], dict[str, str]]
) -> None:
    known, judged = device[0], zones_of(category, device[1])
    found = decide(RULES, category, known, {}, judged)
    stops = [r for r in found.reasons if r.effect in ("no_grade", "not_sold")]
    assert found.outcome in ("graded", "no_grade", "not_sold")
    assert found.missing == () and found.zones == judged
    assert found.cosmetic == worst(list(judged.values()))
    if found.outcome == "graded":
        assert found.grade in GRADES and not stops
        caps = [r.detail for r in found.reasons if r.effect == "max_grade"]
        assert found.grade == worst([found.cosmetic, *caps])  # never better than a zone
        assert (found.os is not None) == (category in RULES.needs_os)
    else:
        assert found.grade is None and found.os is None
        said_why = any(r.effect == found.outcome for r in stops)
        no_system = category in RULES.needs_os and not any(r.effect == "os" for r in found.reasons)
        assert said_why or (found.outcome == "not_sold" and no_system), found


def test_a_category_the_rules_do_not_grade_gets_no_grade() -> None:
    """`other` has no zones in the shipped rules: nothing can grade it, so it may not come
    out « graded » without a grade (the property above, for a category not graded)."""
    found = decide(RULES, "other", {"functions_failed": 0}, {}, {})
    assert found.outcome != "graded" or found.grade in GRADES, found


@BOUNDED
@given(st.sampled_from(PRICED), st.sampled_from(GRADES), facts())
def test_no_shipped_price_exceeds_its_legal_cap(
    category: str, grade: str, known: dict[str, Any]
) -> None:
    price = price_for(GRID, category, grade, known)
    assert price is not None
    assert price.cents >= 0
    assert price.cents == max(0, price.base_cents + sum(t[2] for t in price.tiers))  # no clamp
    cap = LEGAL_CAPS_CENTS.get(category)
    if cap is not None:
        assert price.cents <= cap


@BOUNDED
@given(
    st.sampled_from(PRICED),
    st.sampled_from(GRADES),
    facts(),
    st.sampled_from(["ram_gb", "storage_gb"]),
    st.data(),
)
def test_a_better_measure_never_costs_less_at_the_same_grade(
    category: str, grade: str, known: dict[str, Any], measure: str, data: st.DataObject
) -> None:
    if known[measure] is None:
        known[measure] = data.draw(MEASURES[measure])
    better = {**known, measure: data.draw(st.floats(known[measure], MAXIMA[measure]))}
    before, after = (
        price_for(GRID, category, grade, known),
        price_for(GRID, category, grade, better),
    )
    assert before is not None and after is not None and after.cents >= before.cents


TIER_FACTS = {"ram_gb": 8, "storage_gb": 64, "has_ssd": True}


@st.composite
def grids(draw: st.DrawFn) -> GridDocument:
    """A grid of random prices and tiers (discounts among them), without waivers."""
    prices = {
        c: {g: draw(st.integers(0, 25_000)) for g in GRADES} for c in sorted(LEGAL_CAPS_CENTS)
    }
    tiers = [
        {
            "id": f"tier_{n}",
            "categories": draw(st.lists(st.sampled_from(PRICED), min_size=1, unique=True)),
            "when": {"fact": fact, "op": ">=" if fact != "has_ssd" else "==", "value": value},
            "add_cents": draw(st.integers(-5_000, 10_000)),
            "label": {"fr": f"palier {n}", "en": f"tier {n}"},
        }
        for n, (fact, value) in enumerate(
            draw(st.lists(st.sampled_from(sorted(TIER_FACTS.items())), max_size=4))
        )
    ]
    return GridDocument.model_validate(
        {"title": "Grille tirée au sort", "effective_from": "2026-01-01", "prices": prices,
         "tiers": tiers}
    )  # fmt: skip


@BOUNDED
@given(grids(), st.sampled_from(sorted(LEGAL_CAPS_CENTS)), st.sampled_from(GRADES), facts())
def test_a_grid_over_caps_accepts_never_prices_above_a_cap(
    grid: GridDocument, category: str, grade: str, known: dict[str, Any]
) -> None:
    assume(category not in {o.category for o in over_caps(grid)})
    price = price_for(grid, category, grade, known)
    assert price is not None
    unclamped = max(0, price.base_cents + sum(t[2] for t in price.tiers))
    assert unclamped <= LEGAL_CAPS_CENTS[category]
