"""What the grading forms' fields mean: the API's own `GradeIn` from the grading step's
choices, a price grid from the prices typed in euros, and where each refusal of
grading shows, beside the field or step it is about. Pure: no session.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import FormData

from db.errors import N_, DomainError
from grading import rules
from grading.documents import Euros
from grading.errors import (
    GridOverCap,
    InvalidDocument,
    OverrideNeedsReason,
    OverrideSameGrade,
    OverrideWithoutGrade,
    ZoneNotOfCategory,
    ZonesNotJudged,
)
from grading.models import REASON_MAX, GradeIn, Override
from grading.pricing import PRICE_MAX_CENTS, GridDocument
from grading.views import category_label
from remise.i18n import number, translate

NOTE_MAX = 500  # as the API's `note`
DOCUMENT_MAX = 200_000  # characters of a rules document or a JSON part of the grid
TPM_VALUES = {"yes": True, "no": False, "unknown": None, "": None}
GRADE_FIELDS = ("tpm2", "override_grade", "reason")

CHOOSE_GRADE = N_("Choose A, B or C.")
NOT_JUDGED = N_("Not judged yet: choose A, B or C.")
CHOOSE_TPM = N_("Answer yes, no or not checked.")
CHOOSE_OVERRIDE = N_("Choose the grade to set by hand.")
TOO_LONG = N_("At most %(max_length)s characters.")
BAD_PRICE = N_("Write a price in euros, such as 120 or 99,50.")
NO_PRICE = N_("Every grade needs a price: write one, such as 120 or 99,50.")
PRICE_TOO_HIGH = N_("At most %(max)s: this is a typo, not a solidarity price.")
BAD_DATE = N_("Choose the date the grid takes effect.")
NOT_JSON = N_("This is not valid JSON, line %(line)s, column %(column)s (%(problem)s).")
NOT_A_LIST = N_("Write a JSON list, between [ and ]; [] for none.")
OVER_CAP = N_(
    "Up to %(highest)s with every tier, above the legal cap of %(cap)s: lower these prices "
    "or the tiers, or, if these devices were not donated by a public body, add a waiver "
    "for “%(category)s” with its reason (at least 10 characters)."
)
_EUROS = re.compile(
    r"^(\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,](\d{1,2}))?\s*(?:€|eur)?$", re.I
)


# The grading step.
def grade_typed(form: FormData) -> tuple[dict[str, str], dict[str, str]]:
    """What was chosen: each zone's grade (zone → grade), and the other fields."""
    zones = {z: str(form.get(f"zone.{z}") or "").strip() for z in rules.ZONES}
    others = {name: str(form.get(name) or "").strip() for name in GRADE_FIELDS}
    return {z: g for z, g in zones.items() if g}, others


def grade_in(
    locale: str, zones: dict[str, str], typed: dict[str, str], *, override: bool
) -> tuple[GradeIn | None, dict[str, str]]:
    """The grading step's `GradeIn`, or every problem by field. A zone left unjudged is
    not a problem here: the rules say whether it is needed (ZonesNotJudged)."""
    errors: dict[str, str] = {}
    for zone, grade in zones.items():
        if grade not in rules.GRADES:
            errors[f"zone.{zone}"] = translate(locale, CHOOSE_GRADE)
    if typed.get("tpm2", "") not in TPM_VALUES:
        errors["tpm2"] = translate(locale, CHOOSE_TPM)
    hand = None
    if override:
        if typed.get("override_grade") not in rules.GRADES:
            errors["override_grade"] = translate(locale, CHOOSE_OVERRIDE)
        if len(typed.get("reason", "")) > REASON_MAX:
            errors["reason"] = translate(locale, TOO_LONG, max_length=number(locale, REASON_MAX))
        if not errors:
            hand = Override(grade=typed["override_grade"], reason=typed.get("reason", ""))  # type: ignore[arg-type]
    if errors:
        return None, errors
    tpm2 = TPM_VALUES[typed.get("tpm2", "")]
    return GradeIn(cosmetic=zones, override=hand, tpm2=tpm2), {}  # type: ignore[arg-type]


def grading_refused(locale: str, error: DomainError, said: str) -> dict[str, str]:
    """Where a refusal of grading shows: beside the zone, the override's grade or reason,
    or (`form`) above the step."""
    if isinstance(error, ZonesNotJudged):
        missing = list(error.extra.get("missing") or [])
        found = {f"zone.{z}": translate(locale, NOT_JUDGED) for z in missing}
        if missing:
            found[f"zone.{missing[0]}"] = said
        return found or {"form": said}
    if isinstance(error, ZoneNotOfCategory):
        fields = [e["field"] for e in error.extra.get("errors") or []]
        zone = fields[0].removeprefix("cosmetic.") if fields else ""
        return {f"zone.{zone}": said} if zone else {"form": said}
    if isinstance(error, OverrideNeedsReason):
        return {"reason": said}
    if isinstance(error, OverrideSameGrade | OverrideWithoutGrade):
        return {"override_grade": said}
    return {"form": said}


# The coordinators' documents.
def parsed_json(locale: str, text: str) -> tuple[Any, str | None]:
    """`text` as JSON, or why not (where, and Python's own words for it)."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        message = translate(locale, NOT_JSON, line=exc.lineno, column=exc.colno, problem=exc.msg)
        return None, message


def problems_of(error: InvalidDocument) -> list[dict[str, str]]:
    return [
        {"field": str(p.get("field", "")), "message": str(p.get("message", ""))}
        for p in error.extra.get("errors") or []
    ]


def cents_of(text: str) -> int:
    """`120`, `99,50`, `99.5`, `1 200 €` as cents; ValueError if it is not a price."""
    found = _EUROS.match(text.strip())
    if found is None:
        raise ValueError(text)
    whole = re.sub(r"[ \u00a0\u202f]", "", found.group(1))
    try:
        euros = Decimal(whole) + Decimal("0." + (found.group(2) or "0").ljust(2, "0"))
    except InvalidOperation:
        raise ValueError(text) from None
    return int(euros * 100)


def euros_typed(locale: str, cents: int) -> str:
    """A price as the grid's editor shows it, to be sent back as it is: 120, 99,50."""
    whole, rest = divmod(cents, 100)
    if not rest:
        return str(whole)
    return f"{whole}{',' if locale == 'fr' else '.'}{rest:02d}"


def grid_typed(form: FormData, categories: list[str]) -> dict[str, str]:
    names = [f"price.{c}.{g}" for c in categories for g in rules.GRADES]
    names += ["effective_from", "note", "tiers", "waivers"]
    return {name: str(form.get(name) or "").strip() for name in names}


def _prices(
    locale: str, typed: dict[str, str], categories: list[str], errors: dict[str, str]
) -> dict[str, dict[str, int]]:
    prices: dict[str, dict[str, int]] = {}
    for category in categories:
        for grade in rules.GRADES:
            name = f"price.{category}.{grade}"
            text = typed.get(name, "")
            try:
                cents = cents_of(text)
            except ValueError:
                errors[name] = translate(locale, BAD_PRICE if text else NO_PRICE)
                continue
            if cents > PRICE_MAX_CENTS:
                errors[name] = translate(
                    locale, PRICE_TOO_HIGH, max=euros_typed(locale, PRICE_MAX_CENTS) + " €"
                )
                continue
            prices.setdefault(category, {})[grade] = cents
    return prices


def _list(locale: str, typed: dict[str, str], name: str, errors: dict[str, str]) -> list[Any]:
    text = typed.get(name, "") or "[]"
    if len(text) > DOCUMENT_MAX:
        errors[name] = translate(locale, TOO_LONG, max_length=number(locale, DOCUMENT_MAX))
        return []
    value, problem = parsed_json(locale, text)
    if problem is not None:
        errors[name] = problem
    elif not isinstance(value, list):
        errors[name] = translate(locale, NOT_A_LIST)
    return value if isinstance(value, list) else []


def grid_document(
    locale: str, typed: dict[str, str], current: GridDocument, categories: list[str]
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The grid a coordinator typed (its title kept from the grid in force), or every
    problem by field."""
    errors: dict[str, str] = {}
    prices = _prices(locale, typed, categories, errors)
    try:
        effective = date.fromisoformat(typed.get("effective_from", ""))
    except ValueError:
        errors["effective_from"] = translate(locale, BAD_DATE)
    if len(typed.get("note", "")) > NOTE_MAX:
        errors["note"] = translate(locale, TOO_LONG, max_length=number(locale, NOTE_MAX))
    tiers = _list(locale, typed, "tiers", errors)
    waivers = _list(locale, typed, "waivers", errors)
    if errors:
        return None, errors
    document = {
        "schema_version": 1,
        "title": current.title,
        "effective_from": effective.isoformat(),
        "currency": current.currency,
        "prices": prices,
        "tiers": tiers,
        "waivers": waivers,
    }
    return document, {}


def grid_refused(
    locale: str, error: DomainError, said: str, categories: list[str]
) -> dict[str, str]:
    """Where a refused grid's problems show: a price beside its input, a cap beside its
    category's row, the tiers and waivers beside their own text, the rest above."""
    found: dict[str, list[str]] = {}
    if isinstance(error, GridOverCap):
        for over in error.extra.get("over_caps") or []:
            category = over["category"]
            message = translate(
                locale,
                OVER_CAP,
                highest=Euros(over["highest_cents"]),
                cap=Euros(over["cap_cents"]),
                category=category_label(locale, category),
            )
            found.setdefault(f"row.{category}", []).append(message)
    elif isinstance(error, InvalidDocument):
        for problem in problems_of(error):
            name = _field_of(problem["field"], categories)
            found.setdefault(name, []).append(f"{problem['field']} : {problem['message']}")
    found["form"] = [said, *found.get("form", [])]
    return {name: " ".join(messages) for name, messages in found.items()}


def _field_of(place: str, categories: list[str]) -> str:
    parts = place.split(".")
    if parts[0] == "prices" and len(parts) >= 3 and parts[1] in categories:
        return f"price.{parts[1]}.{parts[2]}" if parts[2] in rules.GRADES else f"row.{parts[1]}"
    if parts[0] == "prices" and len(parts) == 2 and parts[1] in categories:
        return f"row.{parts[1]}"
    head = re.split(r"[.\[]", place, maxsplit=1)[0]
    if head in ("tiers", "waivers", "effective_from"):
        return head
    return "form"
