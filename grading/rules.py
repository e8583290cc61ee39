"""The grading rules as a document, and the one engine that evaluates them. Pure: no
session, no clock, no I/O.

A rules document (JSON, `default_rules.json` ships with Remise; coordinators publish
new versions) says, per category, which cosmetic zones are judged and what each grade
means in each zone, how the checklist's answers read as zone grades, and the rules:
a condition over the device's facts (`grading.facts`) and its effect. Effects:

- `no_grade`: the device gets no grade until what the rule names is fixed (a phone's
  worn battery is replaced); it goes back to refurbishment, to parts or to recycling.
- `not_sold`: the device is not worth selling as it is (a computer under the minimum
  of any maintained system).
- `max_grade`: the grade is at most this one (a hard disk and no SSD: not A).
- `os`: the system the computer ships with; the first `os` rule that applies decides,
  and a category that `needs_os` gets no grade when none applies.

Conditions are tri-state: a fact nobody measured is unknown, and a rule whose condition
is unknown does not apply (unless it asks about `known` or `unknown` facts): a rule
decides only on what was measured. Every rule that applies is a `Reason`, with the
values measured and the thresholds they were compared with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

GRADES: tuple[str, ...] = ("A", "B", "C")  # best first
CATEGORIES = ("laptop", "desktop", "smartphone", "tablet", "basic_phone", "other")
ZONES = ("screen", "casing", "keyboard", "buttons")
OPS = ("<", "<=", ">", ">=", "==", "!=", "in", "known", "unknown")
OS_CHOICES = ("windows", "linux")
FACT_NAME = r"^[a-z][a-z0-9_]{0,47}$"
TEXT_MAX = 500

Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
Scalar = bool | int | float | str


def _known_category(value: str) -> str:
    if value not in CATEGORIES:
        raise ValueError(f"unknown category {value!r}: one of {', '.join(CATEGORIES)}")
    return value


KnownCategory = Annotated[str, AfterValidator(_known_category)]
Categories = Annotated[list[KnownCategory], Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(Strict):
    """A text in each language of the pages: French first, English beside it."""

    fr: Text
    en: Text

    def in_(self, locale: str) -> str:
        return self.en if locale == "en" else self.fr


class Leaf(Strict):
    fact: Annotated[str, Field(pattern=FACT_NAME)]
    op: Literal["<", "<=", ">", ">=", "==", "!=", "in", "known", "unknown"]
    value: Any = None

    @model_validator(mode="after")
    def _value_fits(self) -> Leaf:
        items = self.value if isinstance(self.value, list) else [self.value]
        if not all(v is None or isinstance(v, bool | int | float | str) for v in items):
            raise ValueError("a value is a number, a text, true or false, or a list of them")
        if self.op in ("known", "unknown"):
            if self.value is not None:
                raise ValueError(f"“{self.op}” takes no value")
        elif self.op == "in":
            if not isinstance(self.value, list) or not self.value:
                raise ValueError("“in” takes a non-empty list of values")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"“{self.op}” takes one value")
        elif self.op in ("<", "<=", ">", ">=") and (
            isinstance(self.value, bool) or not isinstance(self.value, int | float)
        ):
            raise ValueError(f"“{self.op}” compares with a number")
        return self


class All(Strict):
    all: Annotated[list[Condition], Field(min_length=1, max_length=20)]


class AnyOf(Strict):
    any: Annotated[list[Condition], Field(min_length=1, max_length=20)]


class Not(Strict):
    not_: Condition = Field(alias="not")


def _kind(value: Any) -> str:
    """Which kind of condition a document's value is, by its key: a condition is told
    apart before it is checked, so that its problems name its own places only."""
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return f"condition:{key}"
    elif isinstance(value, All | AnyOf | Not):
        return {All: "condition:all", AnyOf: "condition:any", Not: "condition:not"}[type(value)]
    return "condition:leaf"


Condition = Annotated[
    Annotated[Leaf, Tag("condition:leaf")]
    | Annotated[All, Tag("condition:all")]
    | Annotated[AnyOf, Tag("condition:any")]
    | Annotated[Not, Tag("condition:not")],
    Discriminator(_kind),
]
All.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()


class Effect(Strict):
    no_grade: bool = False
    not_sold: bool = False
    max_grade: Literal["A", "B", "C"] | None = None
    os: Literal["windows", "linux"] | None = None

    @model_validator(mode="after")
    def _one_effect(self) -> Effect:
        chosen = [self.no_grade, self.not_sold, self.max_grade is not None, self.os is not None]
        if sum(chosen) != 1:
            raise ValueError("an effect is exactly one of no_grade, not_sold, max_grade, os")
        return self


class Rule(Strict):
    id: Annotated[str, Field(pattern=FACT_NAME)]
    categories: Categories
    when: Condition
    effect: Effect
    reason: Words  # {value} and {threshold} are the decisive measure and its limit
    short: Words | None = None  # a few words for the label: « Linux maintenu »
    source: Text  # where the figure comes from, or "association's choice"


class StepGrades(Strict):
    """How a checklist step's answers read as a zone's grade (`worn` → B)."""

    step: Annotated[str, Field(pattern=FACT_NAME)]
    values: dict[str, Literal["A", "B", "C"]]


class CategoryZones(Strict):
    zones: Annotated[list[Literal["screen", "casing", "keyboard", "buttons"]], Field(min_length=1)]
    # grade → zone → what it means for this category's devices
    definitions: dict[Literal["A", "B", "C"], dict[str, Words]]

    @model_validator(mode="after")
    def _every_zone_defined(self) -> CategoryZones:
        for grade in GRADES:
            zones = self.definitions.get(grade)  # type: ignore[call-overload]
            if zones is None:
                raise ValueError(f"grade {grade} has no definitions")
            missing = [z for z in self.zones if z not in zones]
            if missing:
                raise ValueError(f"grade {grade} has no definition for zone {missing[0]}")
        return self


class RulesDocument(Strict):
    schema_version: Literal[1] = 1
    title: Text
    grades: dict[Literal["A", "B", "C"], Words]  # the scale in a sentence each
    grades_short: dict[Literal["A", "B", "C"], Words]  # the same in a few words, for labels
    categories: dict[str, CategoryZones]
    from_steps: dict[str, StepGrades] = Field(default_factory=dict)  # zone → step
    needs_os: list[str] = Field(default_factory=list)
    rules: Annotated[list[Rule], Field(max_length=200)]

    @model_validator(mode="after")
    def _consistent(self) -> RulesDocument:
        unknown = [c for c in (*self.categories, *self.needs_os) if c not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown category {unknown[0]!r}")
        unknown_zones = [z for z in self.from_steps if z not in ZONES]
        if unknown_zones:
            raise ValueError(
                f"from_steps names zone {unknown_zones[0]!r}: one of {', '.join(ZONES)}"
            )
        if set(self.grades) != set(GRADES) or set(self.grades_short) != set(GRADES):
            raise ValueError("grades and grades_short name A, B and C, each once")
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        return self


@dataclass(frozen=True)
class Compared:
    """One measure a rule looked at: `battery_percent` 74 < 80."""

    fact: str
    value: Any
    op: str
    threshold: Any


@dataclass(frozen=True)
class Reason:
    rule: str
    effect: str  # no_grade, not_sold, max_grade, os
    detail: str | None  # the grade of max_grade, the system of os
    text: Words
    source: str
    measured: tuple[Compared, ...]
    short: Words | None = None

    def said(self, locale: str) -> str:
        first = self.measured[0] if self.measured else None
        return _fill(self.text.in_(locale), first, locale)

    def said_short(self, locale: str) -> str | None:
        first = self.measured[0] if self.measured else None
        return _fill(self.short.in_(locale), first, locale) if self.short else None


def _fill(template: str, first: Compared | None, locale: str) -> str:
    values = {
        "value": _shown(first.value, locale) if first else "?",
        "threshold": _shown(first.threshold, locale) if first else "?",
    }
    return re.sub(r"\{(value|threshold)\}", lambda m: values[m.group(1)], template)


def _shown(value: Any, locale: str) -> str:
    if isinstance(value, bool):
        return {True: "oui", False: "non"}[value] if locale != "en" else str(value).lower()
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if locale != "en" else text
    if isinstance(value, list):
        return ", ".join(_shown(v, locale) for v in value)
    return str(value)


@dataclass(frozen=True)
class Outcome:
    """What the rules make of a device: a grade, or why none."""

    outcome: Literal["graded", "no_grade", "not_sold"]
    grade: str | None  # after the rules' caps, before any override
    cosmetic: str | None  # the worst zone's grade
    os: str | None
    zones: dict[str, str]
    reasons: tuple[Reason, ...]
    missing: tuple[str, ...] = field(default=())  # zones nobody judged


def _compare(op: str, value: Any, threshold: Any) -> bool:
    if op == "==":
        return bool(value == threshold)
    if op == "!=":
        return bool(value != threshold)
    if op == "in":
        return value in threshold
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return {
        "<": value < threshold,
        "<=": value <= threshold,
        ">": value > threshold,
        ">=": value >= threshold,
    }[op]


def evaluate(condition: Condition, facts: dict[str, Any]) -> tuple[bool | None, list[Compared]]:
    """Whether `condition` holds on `facts` (None: unknown), with the comparisons that
    decided it."""
    if isinstance(condition, Leaf):
        value = facts.get(condition.fact)
        if condition.op in ("known", "unknown"):
            holds = (value is not None) == (condition.op == "known")
            return holds, [Compared(condition.fact, value, condition.op, None)]
        if value is None:
            return None, []
        try:
            holds = _compare(condition.op, value, condition.value)
        except TypeError:
            return None, []  # a measure of another kind than the rule expects
        return holds, [Compared(condition.fact, value, condition.op, condition.value)]
    if isinstance(condition, Not):
        holds, seen = evaluate(condition.not_, facts)
        return (None if holds is None else not holds), seen
    parts = [
        evaluate(c, facts) for c in (condition.all if isinstance(condition, All) else condition.any)
    ]
    wanted = isinstance(condition, AnyOf)  # any: one True decides; all: one False decides
    deciding = [seen for holds, seen in parts if holds is wanted]
    if deciding:
        return wanted, [c for seen in deciding for c in seen]
    if any(holds is None for holds, _ in parts):
        return None, []
    return not wanted, [c for _, seen in parts for c in seen]


def _reason(rule: Rule, measured: list[Compared]) -> Reason:
    effect = rule.effect
    kind, detail = (
        ("no_grade", None)
        if effect.no_grade
        else ("not_sold", None)
        if effect.not_sold
        else ("max_grade", effect.max_grade)
        if effect.max_grade
        else ("os", effect.os)
    )
    return Reason(rule.id, kind, detail, rule.reason, rule.source, tuple(measured), rule.short)


def zone_grades(
    document: RulesDocument, category: str, steps: dict[str, Any], judged: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Each zone's grade: as judged at the grading step, else as the checklist answered
    it; and the zones still unjudged."""
    zones = document.categories.get(category)
    if zones is None:
        return {}, []
    grades: dict[str, str] = {}
    for zone in zones.zones:
        if zone in judged:
            grades[zone] = judged[zone]
        elif (mapped := document.from_steps.get(zone)) is not None:
            answer = steps.get(mapped.step)
            if isinstance(answer, str) and answer in mapped.values:
                grades[zone] = mapped.values[answer]
    return grades, [z for z in zones.zones if z not in grades]


def worst(grades: list[str]) -> str:
    return max(grades, key=GRADES.index)


def decide(
    document: RulesDocument,
    category: str,
    facts: dict[str, Any],
    steps: dict[str, Any],
    judged: dict[str, str],
) -> Outcome:
    """The grade (or why none) of a device of `category` with these facts, checklist
    answers and zones judged. Every rule that applies is among the reasons."""
    zones, missing = zone_grades(document, category, steps, judged)
    applying: list[Reason] = []
    os_reason: Reason | None = None
    for rule in document.rules:
        if category not in rule.categories:
            continue
        holds, measured = evaluate(rule.when, facts)
        if holds is not True:
            continue
        reason = _reason(rule, measured)
        if reason.effect == "os":
            if os_reason is None:
                os_reason = reason
                applying.append(reason)
            continue
        applying.append(reason)
    if category not in document.categories:
        applying.append(Reason("category_not_graded", "no_grade", None, NOT_GRADED, "", ()))
    stops = [r for r in applying if r.effect in ("no_grade", "not_sold")]
    if not stops and category in document.needs_os and os_reason is None:
        stops.append(Reason("system_unknown", "no_grade", None, NO_SYSTEM, "", ()))
        applying.append(stops[-1])
    cosmetic = worst(list(zones.values())) if zones else None
    if stops:
        kind = "no_grade" if any(r.effect == "no_grade" for r in stops) else "not_sold"
        return Outcome(kind, None, cosmetic, None, zones, tuple(applying), tuple(missing))
    if cosmetic is None or missing:  # zones still to judge: the caller asks for them
        return Outcome(
            "graded", None, cosmetic, _os(os_reason), zones, tuple(applying), tuple(missing)
        )
    caps = [r.detail for r in applying if r.effect == "max_grade" and r.detail]
    grade = worst([cosmetic, *caps])
    return Outcome("graded", grade, cosmetic, _os(os_reason), zones, tuple(applying), ())


# Reasons the engine gives itself, whatever the document says.
NOT_GRADED = Words(
    fr="les règles ne donnent pas de grade à cette catégorie d'appareil",
    en="the rules grade no device of this category",
)
NO_SYSTEM = Words(
    fr="aucun système ne peut être choisi : RAM ou stockage inconnus (sondez l'appareil au poste)",
    en="no system can be chosen: RAM or storage unknown (probe the device at the bench)",
)


def _os(reason: Reason | None) -> str | None:
    return reason.detail if reason is not None else None


def definitions(document: RulesDocument, category: str) -> dict[str, dict[str, Words]]:
    """grade → zone → its definition, for the zones of `category` (none if not graded)."""
    zones = document.categories.get(category)
    return {} if zones is None else {g: dict(zones.definitions[g]) for g in GRADES}  # type: ignore[index]
