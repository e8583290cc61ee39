"""The rules and the price grid in force as coordinators read them: each rule as a
sentence (its condition, effect, categories, the reason a grading says and its source),
each category's zone definitions, the grid as rows, its tiers and the legal caps."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from db.errors import N_
from grading import pricing, rules
from grading.pricing import GridDocument
from grading.rules import RulesDocument
from grading.views import SYSTEM_WORDS, ZONE_TITLES, category_label, label
from remise.i18n import number, translate

FACT_WORDS = {
    "functions_failed": N_("functions failed at the check"),
    "battery_percent": N_("battery health, in percent"),
    "ram_gb": N_("RAM in GB"),
    "storage_gb": N_("storage in GB"),
    "has_ssd": N_("has an SSD"),
    "has_hdd": N_("has a hard disk"),
    "smart_failing": N_("a disk's SMART says it is failing"),
    "cpu_windows11": N_("processor supported by Windows 11"),
    "tpm2": N_("TPM 2.0 seen in the firmware"),
    "category": N_("category"),
}
OP_WORDS = {"in": N_("is one of"), "known": N_("is known"), "unknown": N_("is unknown")}
OP_SIGNS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


def _value(locale: str, value: Any) -> str:
    if isinstance(value, bool):
        return translate(locale, N_("yes") if value else N_("no"))
    if isinstance(value, int | float):
        return number(locale, value)
    if isinstance(value, list):
        return ", ".join(_value(locale, v) for v in value)
    return f"« {value} »" if locale == "fr" else f"“{value}”"


def condition_text(locale: str, condition: Any) -> str:
    """A rule's condition as a sentence: `RAM in GB ≥ 4 and storage in GB ≥ 25`."""
    if isinstance(condition, rules.Leaf):
        fact = label(locale, FACT_WORDS, condition.fact)
        if condition.op in ("known", "unknown"):
            return f"{fact} {label(locale, OP_WORDS, condition.op)}"
        if condition.op == "in":
            return f"{fact} {label(locale, OP_WORDS, 'in')} {_value(locale, condition.value)}"
        return f"{fact} {OP_SIGNS[condition.op]} {_value(locale, condition.value)}"
    if isinstance(condition, rules.Not):
        return translate(
            locale, N_("not (%(condition)s)"), condition=condition_text(locale, condition.not_)
        )
    parts = condition.all if isinstance(condition, rules.All) else condition.any
    joiner = translate(locale, N_("and") if isinstance(condition, rules.All) else N_("or"))
    texts = [condition_text(locale, part) for part in parts]
    inner = [
        f"({t})" if isinstance(p, rules.All | rules.AnyOf) else t
        for p, t in zip(parts, texts, strict=True)
    ]
    return f" {joiner} ".join(inner)


def effect_text(locale: str, effect: rules.Effect) -> str:
    if effect.no_grade:
        return translate(locale, N_("no grade until it is fixed"))
    if effect.not_sold:
        return translate(locale, N_("not sold as it is"))
    if effect.max_grade:
        return translate(locale, N_("at most grade %(grade)s"), grade=effect.max_grade)
    system = label(locale, SYSTEM_WORDS, effect.os)
    return translate(locale, N_("ships with %(system)s"), system=system)


def _first_threshold(condition: Any) -> Any:
    if isinstance(condition, rules.Leaf):
        return condition.value
    if isinstance(condition, rules.Not):
        return _first_threshold(condition.not_)
    parts = condition.all if isinstance(condition, rules.All) else condition.any
    return _first_threshold(parts[0])


def reason_text(locale: str, rule: rules.Rule) -> str:
    """The reason a grading says, its measure left as `…`: the threshold is the rule's."""
    threshold = _first_threshold(rule.when)
    shown = {"value": "…", "threshold": "…" if threshold is None else _value(locale, threshold)}
    return re.sub(r"\{(value|threshold)\}", lambda m: shown[m.group(1)], rule.reason.in_(locale))


@dataclass(frozen=True)
class RuleShown:
    id: str
    when: str
    effect: str
    categories: str
    reason: str
    source: str


def rules_shown(locale: str, document: RulesDocument) -> list[RuleShown]:
    return [
        RuleShown(
            id=rule.id,
            when=condition_text(locale, rule.when),
            effect=effect_text(locale, rule.effect),
            categories=", ".join(category_label(locale, c) for c in rule.categories),
            reason=reason_text(locale, rule),
            source=rule.source,
        )
        for rule in document.rules
    ]


@dataclass(frozen=True)
class CategoryWords:
    category: str
    title: str
    zones: list[tuple[str, list[tuple[str, str]]]]  # (zone title, [(grade, definition)])


def definitions_shown(locale: str, document: RulesDocument) -> list[CategoryWords]:
    found = []
    for category, own in document.categories.items():
        meanings = rules.definitions(document, category)
        zones = [
            (
                label(locale, ZONE_TITLES, zone),
                [(g, meanings[g][zone].in_(locale)) for g in rules.GRADES],
            )
            for zone in own.zones
        ]
        found.append(CategoryWords(category, category_label(locale, category), zones))
    return found


def pretty(document: Any) -> str:
    """A document as the editors show it: indented JSON, accents as they are."""
    return json.dumps(document, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class GridRow:
    category: str
    title: str
    prices: dict[str, int]  # grade → cents
    cap_cents: int | None
    highest_cents: int
    waived: bool


def grid_rows(locale: str, grid: GridDocument) -> list[GridRow]:
    waived = {w.category for w in grid.waivers}
    return [
        GridRow(
            category=category,
            title=category_label(locale, category),
            prices={g: int(prices[g]) for g in rules.GRADES},  # type: ignore[index]
            cap_cents=pricing.LEGAL_CAPS_CENTS.get(category),
            highest_cents=pricing.highest(grid, category),
            waived=category in waived,
        )
        for category, prices in grid.prices.items()
    ]


@dataclass(frozen=True)
class TierShown:
    label: str
    categories: str
    when: str
    add_cents: int


def tiers_shown(locale: str, grid: GridDocument) -> list[TierShown]:
    return [
        TierShown(
            label=tier.label.in_(locale),
            categories=", ".join(category_label(locale, c) for c in tier.categories),
            when=condition_text(locale, tier.when),
            add_cents=tier.add_cents,
        )
        for tier in grid.tiers
    ]


def caps_shown(locale: str) -> list[tuple[str, int]]:
    return [(category_label(locale, c), cents) for c, cents in pricing.LEGAL_CAPS_CENTS.items()]


def day_text(locale: str, iso: str) -> str:
    return format_date(date.fromisoformat(iso), "long", locale=locale)
