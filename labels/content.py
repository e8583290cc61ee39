"""What a label says, as plain text: the view model every renderer draws."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency

from db import codes
from db.enums import CATEGORY_LABELS, Category
from db.errors import N_

SEPARATOR = " · "


@dataclass(frozen=True)
class LabelContent:
    code: str  # canonical, what the barcode carries
    code_display: str  # what people read: XXXX-XXXX
    headline: str  # brand and model
    detail: str  # category, batch, donor
    grading: str | None  # grade and solidarity price, once graded
    grade_words: str | None = None  # what the grade means, and why, in a few words


def label_content(
    *,
    code: str,
    category: str,
    brand: str | None,
    model: str | None,
    batch_id: int | None,
    donor: str | None,
    grade: str | None,
    price_cents: int | None,
    locale: str,
    translate: Callable[[str], str],
    graded: dict[str, Any] | None = None,
) -> LabelContent:
    """The texts of a device's label, in `locale` (`translate` turns a msgid into it).
    `graded` is what grading left on the device (`attributes.grading`): the grade's
    meaning in a few words and its short reasons, printed with it (a bare « grade A »
    tells a buyer nothing)."""
    category_label = translate(CATEGORY_LABELS.get(Category(category), N_("Other")))
    headline = " ".join(part.strip() for part in (brand, model) if part and part.strip())
    batch = translate(N_("Batch %(id)s")) % {"id": batch_id} if batch_id is not None else ""
    detail = SEPARATOR.join(p for p in (category_label, batch, (donor or "").strip()) if p)
    grading = None
    if grade:
        grading = translate(N_("Grade %(grade)s")) % {"grade": grade}
        if price_cents is not None:
            price = format_currency(Decimal(price_cents) / 100, "EUR", locale=locale)
            grading += SEPARATOR + price
    return LabelContent(
        code=code,
        code_display=codes.display(code),
        headline=headline or category_label,
        detail=detail,
        grading=grading,
        grade_words=_grade_words(graded, grade, locale),
    )


def _grade_words(graded: dict[str, Any] | None, grade: str | None, locale: str) -> str | None:
    if not graded or not grade or graded.get("grade") != grade:
        return None  # graded again since, by hand: its words are not this grade's
    said = graded.get(locale) or graded.get("fr") or {}
    parts = [said.get("words"), *(said.get("reasons") or [])]
    return SEPARATOR.join(p for p in parts if isinstance(p, str) and p) or None


def location_content(
    *, code: str, name: str, kind_label: str | None, translate: Callable[[str], str]
) -> LabelContent:
    """The texts of a location's label: its `LOC-…` code under the bars, then its name.

    `kind_label` is the msgid of « Shelf » or « Room », if the location says which.
    """
    kind = translate(kind_label) if kind_label else translate(N_("Location"))
    hint = translate(N_("scan first to take stock here"))
    return LabelContent(
        code=code,
        code_display=code,
        headline=" ".join(name.split()),
        detail=SEPARATOR.join((kind, hint)),
        grading=None,
    )
