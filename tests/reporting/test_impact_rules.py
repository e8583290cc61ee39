"""The impact rules as tables: counts and factors in, estimated amounts out, rounded as
the module says (exact products, half up at the end), categories without a factor left
uncounted; and the shipped factors are reference-data.md's figures with their vintages."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from reporting import impact_factors
from reporting.impact_rules import (
    INDICATORS,
    Factor,
    Indicator,
    Measure,
    estimate,
    estimate_all,
    per_device,
    rounded,
    sources,
)

SOURCE_A, SOURCE_B = "ADEME Impact CO2", "ADEME 2022"


def f(value: str, source: str = SOURCE_A, vintage: str = "2025") -> Factor:
    return Factor(Decimal(value), source, vintage, None)


TABLE = {
    Measure.MANUFACTURING: {"laptop": f("170"), "smartphone": f("77"), "basic_phone": f("23.3")},
    Measure.DISTRIBUTION: {"laptop": f("12.3"), "smartphone": f("2.27")},
    Measure.CO2E_PER_YEAR: {"laptop": f("27", SOURCE_B, "2022")},
    Measure.EWASTE_PER_YEAR: {"laptop": f("0.314", SOURCE_B, "2022")},
}


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        ("0.5", 0, "1"),
        ("1.49", 0, "1"),
        ("2.5", 0, "3"),  # half up, not to even
        ("527.80", 0, "528"),
        ("0.628", 1, "0.6"),
        ("0.65", 1, "0.7"),
        ("0.942", 1, "0.9"),
        ("0", 0, "0"),
    ],
)
def test_rounding_is_half_up_to_the_indicators_decimals(
    value: str, decimals: int, shown: str
) -> None:
    assert rounded(Decimal(value), decimals) == Decimal(shown)


@pytest.mark.parametrize(
    ("indicator", "category", "factor"),
    [
        (Indicator.CO2E, "laptop", "182.3"),  # manufacturing and distribution added up
        (Indicator.CO2E, "smartphone", "79.27"),
        (Indicator.CO2E, "basic_phone", "23.3"),  # no distribution figure: manufacturing only
        (Indicator.CO2E, "other", None),
        (Indicator.CO2E, "tablet", None),
        (Indicator.CO2E_PER_YEAR, "laptop", "27"),
        (Indicator.CO2E_PER_YEAR, "smartphone", None),
        (Indicator.EWASTE_PER_YEAR, "laptop", "0.314"),
    ],
)
def test_a_devices_factor_adds_up_its_indicators_measures(
    indicator: Indicator, category: str, factor: str | None
) -> None:
    found = per_device(INDICATORS[indicator], TABLE, category)
    assert found == (Decimal(factor) if factor is not None else None)


@pytest.mark.parametrize(
    ("counts", "lines", "total", "shown", "not_counted"),
    [
        ({}, [], "0", "0", {}),
        ({"laptop": 1}, [("laptop", 1, "182.3", "182")], "182.3", "182", {}),
        (
            {"laptop": 2, "smartphone": 1},
            [("laptop", 2, "364.6", "365"), ("smartphone", 1, "79.27", "79")],
            "443.87",
            "444",
            {},
        ),
        ({"basic_phone": 0, "smartphone": 0}, [], "0", "0", {}),
        ({"other": 3, "laptop": 1}, [("laptop", 1, "182.3", "182")], "182.3", "182", {"other": 3}),
        ({"tablet": 2}, [], "0", "0", {"tablet": 2}),
        (
            {"fridge": 1, "basic_phone": 3},
            [("basic_phone", 3, "69.9", "70")],
            "69.9",
            "70",
            {"fridge": 1},
        ),
    ],
)
def test_the_co2e_avoided_is_count_times_factor_per_category(
    counts: dict[str, int],
    lines: list[tuple[str, int, str, str]],
    total: str,
    shown: str,
    not_counted: dict[str, int],
) -> None:
    found = estimate(Indicator.CO2E, counts, TABLE)
    assert [(x.category, x.devices, x.amount, x.shown) for x in found.lines] == [
        (c, n, Decimal(a), Decimal(s)) for c, n, a, s in lines
    ]
    assert (found.total, found.shown) == (Decimal(total), Decimal(shown))
    assert found.not_counted == not_counted
    assert found.counted == sum(n for _c, n, _a, _s in lines)
    assert found.unit == "kg CO2e" and not found.per_year


def test_the_total_is_rounded_from_the_exact_sum_not_from_rounded_lines() -> None:
    halves = {
        Measure.MANUFACTURING: {"laptop": f("0.5"), "smartphone": f("0.5"), "tablet": f("0.5")}
    }
    found = estimate(Indicator.CO2E, {"laptop": 1, "smartphone": 1, "tablet": 1}, halves)
    assert [line.shown for line in found.lines] == [Decimal(1)] * 3
    assert found.shown == Decimal(2)  # 1.5 → 2, not 3


@pytest.mark.parametrize(
    ("counts", "indicators"),
    [
        ({}, [Indicator.CO2E]),  # always the first, so that a report says none
        ({"smartphone": 4}, [Indicator.CO2E]),
        ({"laptop": 2}, [Indicator.CO2E, Indicator.CO2E_PER_YEAR, Indicator.EWASTE_PER_YEAR]),
    ],
)
def test_only_the_indicators_that_count_a_device_are_given(
    counts: dict[str, int], indicators: list[Indicator]
) -> None:
    assert [i.indicator for i in estimate_all(counts, TABLE)] == indicators


def test_each_source_and_vintage_is_listed_once_in_order() -> None:
    assert sources(TABLE) == [(SOURCE_A, "2025", None), (SOURCE_B, "2022", None)]


REFERENCE = {  # reference-data.md §1.1 and §1.2, with their vintages
    (Measure.MANUFACTURING, "laptop"): ("170", "2025"),
    (Measure.MANUFACTURING, "desktop"): ("203", "2025"),  # « professionnel », without screen
    (Measure.MANUFACTURING, "smartphone"): ("77", "2025"),
    (Measure.MANUFACTURING, "tablet"): ("80.5", "2025"),
    (Measure.MANUFACTURING, "basic_phone"): ("23.3", "2025"),
    (Measure.DISTRIBUTION, "laptop"): ("12.3", "2025"),
    (Measure.DISTRIBUTION, "desktop"): ("1.85", "2025"),
    (Measure.DISTRIBUTION, "smartphone"): ("2.27", "2025"),
    (Measure.DISTRIBUTION, "tablet"): ("3.43", "2025"),
    (Measure.CO2E_PER_YEAR, "laptop"): ("27", "2022"),
    (Measure.CO2E_PER_YEAR, "smartphone"): ("24.6", "2022"),
    (Measure.CO2E_PER_YEAR, "tablet"): ("20", "2022"),
    (Measure.MATERIALS_PER_YEAR, "laptop"): ("127", "2022"),
    (Measure.MATERIALS_PER_YEAR, "smartphone"): ("76.9", "2022"),
    (Measure.MATERIALS_PER_YEAR, "tablet"): ("80", "2022"),
    (Measure.EWASTE_PER_YEAR, "laptop"): ("0.314", "2022"),
}


def test_the_shipped_factors_are_the_reference_figures_with_source_and_vintage() -> None:
    table = impact_factors.shipped().table()
    found = {(m, c): (f.value, f.vintage) for m, by in table.items() for c, f in by.items()}
    assert found == {key: (Decimal(v), vintage) for key, (v, vintage) in REFERENCE.items()}
    raw = json.loads(impact_factors.SHIPPED_FILE.read_text(encoding="utf-8"))["factors"]
    for by_category in raw.values():
        assert "other" not in by_category  # too diverse for one factor: not counted
        for factor in by_category.values():
            assert factor["source"].startswith("ADEME") and factor["url"].startswith("https://")
            assert factor["unit"]
