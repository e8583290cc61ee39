"""What the distribution pages share: who may open them, the policy claims follow, and
the words of their states and categories in the reader's language. Pure but for the
clock the policy reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Annotated, Any

from babel.numbers import format_currency
from fastapi import Depends

from db.enums import CATEGORY_LABELS, PUBLIC_LABELS, STRUCTURE_STATUS_LABELS, Category
from db.errors import N_
from distribution.api import PolicyDep
from distribution.claims import ClaimPolicy
from distribution.models import WAIT_STATE_LABELS, ClaimState, ItemState
from remise.auth import Actor, Permission
from remise.i18n import number, translate, translate_plural
from remise.pages import page_require

__all__ = ["Canceller", "Coordinator", "Giver", "PolicyDep"]

# The coordinators manage structures; the coordinators and the bench hand claims over
# (and so read them); cancelling is a claimant's right, which the bench does not have.
Coordinator = Annotated[Actor, Depends(page_require(Permission.STRUCTURES_MANAGE))]
Giver = Annotated[Actor, Depends(page_require(Permission.CLAIMS_HANDOVER))]
Canceller = Annotated[Actor, Depends(page_require(Permission.CLAIMS_MAKE))]

# A claim's state in the pages' own words: at the counter, a held claim is one to hand
# over. (`CLAIM_STATE_LABELS` shares its words with the devices' statuses, whose French
# agrees with « appareil », not with « réservation ».)
CLAIM_WORDS: dict[str, str] = {
    ClaimState.RESERVED: N_("to hand over"),
    ClaimState.HANDED_OVER: N_("collected"),
    ClaimState.CANCELLED: N_("cancelled"),
    ClaimState.EXPIRED: N_("expired"),
}
ITEM_STATE_LABELS: dict[str, str] = {
    ItemState.RESERVED: N_("held"),
    ItemState.HANDED_OVER: N_("handed over"),
    ItemState.RELEASED: N_("back in stock"),
}
GRADE_OR_BETTER = N_("grade %(grade)s or better")
RAM_AT_LEAST = N_("at least %(gb)s GB of RAM")
STORAGE_AT_LEAST = N_("at least %(gb)s GB of storage")
PRICE_AT_MOST = N_("at most %(euros)s €")
SYSTEM = N_("system %(os)s")


def today(policy: ClaimPolicy) -> date:
    """The day in the association's time zone, as quotas count it."""
    return policy.clock().astimezone(policy.quotas.zone).date()


def last_day(end: date | str) -> date:
    """The last day of a period whose `end` is the next one's first day."""
    return (date.fromisoformat(end) if isinstance(end, str) else end) - timedelta(days=1)


def euros(locale: str, cents: int) -> str:
    return format_currency(cents / 100, "EUR", locale=locale)


def label(locale: str, table: Mapping[str, str], value: str | None) -> str:
    """The words for `value` in `table`, translated; the value itself if it has none."""
    if value is None:
        return ""
    words = table.get(value)
    return translate(locale, words) if words else value


def category_text(locale: str, category: str) -> str:
    return label(locale, CATEGORY_LABELS, category)


def structure_status_text(locale: str, status: str) -> str:
    return label(locale, STRUCTURE_STATUS_LABELS, status)


def public_text(locale: str, category: str | None) -> str:
    return label(locale, PUBLIC_LABELS, category)


def claim_state_text(locale: str, state: str) -> str:
    return label(locale, CLAIM_WORDS, state)


def wait_state_text(locale: str, state: str) -> str:
    return label(locale, WAIT_STATE_LABELS, state)


def item_state_text(locale: str, state: str) -> str:
    return label(locale, ITEM_STATE_LABELS, state)


def categories(locale: str) -> list[tuple[str, str]]:
    """Every device category with its words, in the order of the catalogue."""
    return [(c.value, category_text(locale, c.value)) for c in Category]


def criteria_text(locale: str, criteria: Mapping[str, Any]) -> str:
    """What a waitlist entry asks for, as a line: « Ordinateur portable, grade B or … »."""
    parts = [category_text(locale, str(criteria.get("category", "")))]
    if grade := criteria.get("min_grade"):
        parts.append(translate(locale, GRADE_OR_BETTER, grade=grade))
    if (ram := criteria.get("min_ram_gb")) is not None:
        parts.append(translate(locale, RAM_AT_LEAST, gb=number(locale, ram)))
    if (storage := criteria.get("min_storage_gb")) is not None:
        parts.append(translate(locale, STORAGE_AT_LEAST, gb=number(locale, storage)))
    if (price := criteria.get("max_price")) is not None:
        parts.append(translate(locale, PRICE_AT_MOST, euros=number(locale, str(price))))
    if os := criteria.get("os"):
        parts.append(translate(locale, SYSTEM, os=os))
    return ", ".join(p for p in parts if p)


def plurals(locale: str) -> Callable[..., str]:
    """`ngettext(singular, plural, count, **params)` in `locale`, named so that
    `make messages` finds what it says."""

    def ngettext(singular: str, plural: str, count: int, **params: Any) -> str:
        return translate_plural(locale, singular, plural, count, num=count, **params)

    return ngettext
