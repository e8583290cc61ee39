"""The estimated environmental impact of reuse: pure functions over counts and factors.

Method: each reused device is assumed to replace the purchase of a new device of the
same category, so the footprint of making and distributing that new device is counted
as avoided (ADEME's Impact CO2 figures, from the ADEME/Arcep study). ADEME's 2022 study
of refurbished products gives other figures per *year of use* of a refurbished device
instead of a new one (greenhouse gases, raw materials, e-waste): they are shown as they
are, per year, never multiplied by an assumed length of use, and never added to the
first figure (they overlap it).

A category without a factor for an indicator (`other`, or a figure ADEME does not give)
is not counted: its devices are listed as not counted, never given a guessed value.

Rounding: every amount is computed exactly (count × factor, in decimals), per category
and in total; only what is shown is rounded, half up, to the indicator's `decimals`
(whole kilograms; tenths of a kilogram for e-waste). The total is rounded from the exact
sum, so the rounded lines may differ from the rounded total by a unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from db.enums import Category
from db.errors import N_


class Measure(StrEnum):
    """What one factor gives, per device of a category (the factor set's keys)."""

    MANUFACTURING = "manufacturing"  # kg CO2e to make a new device (Impact CO2 "Construction")
    DISTRIBUTION = "distribution"  # kg CO2e to assemble and distribute it
    CO2E_PER_YEAR = "co2e_per_year"  # kg CO2e avoided per year of use, refurbished vs new
    MATERIALS_PER_YEAR = "materials_per_year"  # kg of raw materials avoided per year of use
    EWASTE_PER_YEAR = "ewaste_per_year"  # kg of e-waste avoided per year of use


UNITS: dict[Measure, str] = {
    Measure.MANUFACTURING: "kg CO2e",
    Measure.DISTRIBUTION: "kg CO2e",
    Measure.CO2E_PER_YEAR: "kg CO2e/year",
    Measure.MATERIALS_PER_YEAR: "kg/year",
    Measure.EWASTE_PER_YEAR: "kg/year",
}
# How a unit reads in a report (its msgid): stored units stay as above.
UNIT_LABELS: dict[str, str] = {
    "kg CO2e/year": N_("kg CO2e/year"),
    "kg/year": N_("kg/year"),
}
MEASURE_LABELS: dict[Measure, str] = {
    Measure.MANUFACTURING: N_("Manufacturing of a new device"),
    Measure.DISTRIBUTION: N_("Assembly and distribution of a new device"),
    Measure.CO2E_PER_YEAR: N_("Greenhouse gases avoided per year of use"),
    Measure.MATERIALS_PER_YEAR: N_("Raw materials avoided per year of use"),
    Measure.EWASTE_PER_YEAR: N_("E-waste avoided per year of use"),
}


class Indicator(StrEnum):
    CO2E = "co2e"
    CO2E_PER_YEAR = "co2e_per_year"
    MATERIALS_PER_YEAR = "materials_per_year"
    EWASTE_PER_YEAR = "ewaste_per_year"


@dataclass(frozen=True)
class IndicatorRule:
    measures: tuple[Measure, ...]  # added up per device
    unit: str
    decimals: int  # shown rounded to this many decimals
    label: str  # msgid
    per_year: bool


INDICATORS: dict[Indicator, IndicatorRule] = {
    Indicator.CO2E: IndicatorRule(
        (Measure.MANUFACTURING, Measure.DISTRIBUTION),
        "kg CO2e",
        0,
        N_("Greenhouse gas emissions avoided (manufacturing and distribution of new devices)"),
        per_year=False,
    ),
    Indicator.CO2E_PER_YEAR: IndicatorRule(
        (Measure.CO2E_PER_YEAR,),
        "kg CO2e",
        0,
        N_("Greenhouse gases avoided per year of use"),
        per_year=True,
    ),
    Indicator.MATERIALS_PER_YEAR: IndicatorRule(
        (Measure.MATERIALS_PER_YEAR,),
        "kg",
        0,
        N_("Raw materials avoided per year of use"),
        per_year=True,
    ),
    Indicator.EWASTE_PER_YEAR: IndicatorRule(
        (Measure.EWASTE_PER_YEAR,),
        "kg",
        1,
        N_("E-waste avoided per year of use"),
        per_year=True,
    ),
}
# The order categories are listed in, everywhere a report lists them.
CATEGORY_ORDER: tuple[str, ...] = tuple(c.value for c in Category)


@dataclass(frozen=True)
class Factor:
    value: Decimal
    source: str
    vintage: str
    url: str | None = None


FactorTable = Mapping[Measure, Mapping[str, Factor]]


@dataclass(frozen=True)
class CategoryImpact:
    category: str
    devices: int
    per_device: Decimal  # the factors of the indicator's measures, added up
    amount: Decimal  # exact
    shown: Decimal  # rounded


@dataclass(frozen=True)
class IndicatorImpact:
    indicator: Indicator
    unit: str
    per_year: bool
    lines: tuple[CategoryImpact, ...]
    total: Decimal  # exact
    shown: Decimal  # rounded
    counted: int  # devices counted
    not_counted: dict[str, int]  # devices of categories without a factor, by category


def rounded(value: Decimal, decimals: int) -> Decimal:
    """`value` half up to `decimals` decimals: 0.5 → 1, 2.45 → 2.5 (at 1)."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def per_device(rule: IndicatorRule, factors: FactorTable, category: str) -> Decimal | None:
    """The indicator's factor for one device of `category`: its measures' factors added
    up (a measure the set does not give for it adds nothing); None when it has none."""
    found = [factors.get(m, {}).get(category) for m in rule.measures]
    given = [f.value for f in found if f is not None]
    return sum(given, Decimal(0)) if given else None


def estimate(
    indicator: Indicator, counts: Mapping[str, int], factors: FactorTable
) -> IndicatorImpact:
    """The indicator for `counts` reused devices by category."""
    rule = INDICATORS[indicator]
    lines, not_counted = [], {}
    for category in ordered(counts):
        devices = counts[category]
        if devices <= 0:
            continue
        factor = per_device(rule, factors, category)
        if factor is None:
            not_counted[category] = devices
            continue
        amount = factor * devices
        lines.append(
            CategoryImpact(category, devices, factor, amount, rounded(amount, rule.decimals))
        )
    total = sum((line.amount for line in lines), Decimal(0))
    return IndicatorImpact(
        indicator=indicator,
        unit=rule.unit,
        per_year=rule.per_year,
        lines=tuple(lines),
        total=total,
        shown=rounded(total, rule.decimals),
        counted=sum(line.devices for line in lines),
        not_counted=not_counted,
    )


def estimate_all(counts: Mapping[str, int], factors: FactorTable) -> list[IndicatorImpact]:
    """Every indicator that counts at least one device, in `INDICATORS` order (the first
    always, even when nothing was reused, so that a report says so)."""
    found = [estimate(indicator, counts, factors) for indicator in INDICATORS]
    return [found[0], *(impact for impact in found[1:] if impact.lines)]


def sources(factors: FactorTable) -> list[tuple[str, str, str | None]]:
    """Each distinct (source, vintage, url) of the set, in the order first met."""
    seen: dict[tuple[str, str, str | None], None] = {}
    for measure in Measure:
        for category in ordered(factors.get(measure, {})):
            factor = factors[measure][category]
            seen.setdefault((factor.source, factor.vintage, factor.url), None)
    return list(seen)


def ordered(by_category: Mapping[str, object]) -> list[str]:
    known = [c for c in CATEGORY_ORDER if c in by_category]
    return known + sorted(c for c in by_category if c not in CATEGORY_ORDER)
