"""What a structure types in the portal's catalogue: the filters of the listing and the
criteria of a request by quantity, read from text into values, or a problem per field
in the reader's language. Pure: no session, no clock.

Numbers are read as people write them in French or English: « 8 », « 1 000 », « 49,90 »,
« 49.90 € ». Nothing typed is cut: a value too long or too large is refused, saying the
limit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement

from db.enums import GRADES, Category
from db.errors import N_
from distribution import catalog
from distribution.models import CLAIM_MAX_DEVICES, Criteria
from remise.i18n import number, translate

RAM_MAX = 4096  # as `Criteria` allows
STORAGE_MAX = 1_000_000
PRICE_MAX = 100_000  # euros
OS_MAX = 20
FIELDS = ("category", "min_grade", "min_ram_gb", "min_storage_gb", "os", "max_price")

WHOLE = N_("Write a whole number, such as 8.")
AT_MOST = N_("At most %(max)s.")
AT_MOST_EUROS = N_("At most %(max)s €.")
AT_LEAST_ONE = N_("At least 1.")
EUROS = N_("Write an amount in euros, such as 50 or 49,90.")
CHOOSE = N_("Choose one of the list.")
TOO_LONG = N_("At most %(max_length)s characters.")
CATEGORY_NEEDED = N_("Choose the category of the devices you need.")
QUANTITY_NEEDED = N_("Say how many devices you need.")

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_WHOLE = re.compile(r"^\d{1,9}$")
_EUROS = re.compile(r"^\d{1,9}([.,]\d{1,2})?$")


class Problem(ValueError):
    """A field's value that cannot be used, and why (an English msgid, its params)."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message, self.params = message, params


def whole(text: str, *, maximum: int, minimum: int = 0) -> int | None:
    """The whole number typed (None if nothing), or Problem."""
    cleaned = _SPACES.sub("", text)
    if not cleaned:
        return None
    if not _WHOLE.match(cleaned):
        raise Problem(WHOLE)
    value = int(cleaned)
    if value > maximum:
        raise Problem(AT_MOST, max=maximum)
    if value < minimum:
        raise Problem(AT_LEAST_ONE)
    return value


def euros(text: str) -> Decimal | None:
    """The amount in euros typed (None if nothing), to the cent, or Problem."""
    cleaned = _SPACES.sub("", text).removesuffix("€").removesuffix("EUR")
    if not cleaned:
        return None
    if not _EUROS.match(cleaned):
        raise Problem(EUROS)
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:  # the pattern lets none through; kept for safety
        raise Problem(EUROS) from exc
    if value > PRICE_MAX:
        raise Problem(AT_MOST_EUROS, max=PRICE_MAX)
    return value


def choice(text: str, allowed: tuple[str, ...]) -> str | None:
    value = text.strip()
    if not value:
        return None
    if value not in allowed:
        raise Problem(CHOOSE)
    return value


def os_name(text: str) -> str | None:
    value = text.strip()
    if len(value) > OS_MAX:
        raise Problem(TOO_LONG, max_length=OS_MAX)
    return value or None


@dataclass(frozen=True)
class Wanted:
    """Devices asked for: the listing's filters, or a request's criteria."""

    category: str | None = None
    min_grade: str | None = None
    min_ram_gb: int | None = None
    min_storage_gb: int | None = None
    os: str | None = None
    max_price: Decimal | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        return catalog.conditions(
            category=self.category,
            min_grade=self.min_grade,
            min_ram_gb=self.min_ram_gb,
            min_storage_gb=self.min_storage_gb,
            max_price_cents=catalog.cents(self.max_price),
            os=self.os,
        )

    def criteria(self) -> Criteria:
        """As a request's criteria (`category` is set: `read_wanted` with `need_category`)."""
        assert self.category is not None
        return Criteria(
            category=Category(self.category),
            min_grade=self.min_grade,
            min_ram_gb=self.min_ram_gb,
            min_storage_gb=self.min_storage_gb,
            max_price=self.max_price,
            os=self.os,
        )


_READERS = {
    "category": lambda text: choice(text, tuple(c.value for c in Category)),
    "min_grade": lambda text: choice(text, GRADES),
    "min_ram_gb": lambda text: whole(text, maximum=RAM_MAX),
    "min_storage_gb": lambda text: whole(text, maximum=STORAGE_MAX),
    "os": os_name,
    "max_price": euros,
}


def said(locale: str, problem: Problem) -> str:
    params = {k: number(locale, v) if isinstance(v, int) else v for k, v in problem.params.items()}
    return translate(locale, problem.message, **params)


def read_wanted(
    locale: str, typed: Mapping[str, str], *, prefix: str = "", need_category: bool = False
) -> tuple[Wanted, dict[str, str]]:
    """The devices asked for in `typed` (its keys: `prefix` + a name of FIELDS), and the
    problems by key. With `need_category`, a missing category is a problem."""
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        key = prefix + name
        try:
            values[name] = _READERS[name](typed.get(key, ""))
        except Problem as problem:
            errors[key] = said(locale, problem)
    if need_category and values.get("category") is None and prefix + "category" not in errors:
        errors[prefix + "category"] = translate(locale, CATEGORY_NEEDED)
    if errors:
        return Wanted(), errors
    return Wanted(**values), {}  # type: ignore[arg-type]


def read_quantity(locale: str, text: str) -> tuple[int | None, str | None]:
    """How many devices a request asks for (1 … CLAIM_MAX_DEVICES), or the problem."""
    try:
        value = whole(text, maximum=CLAIM_MAX_DEVICES, minimum=1)
    except Problem as problem:
        return None, said(locale, problem)
    if value is None:
        return None, translate(locale, QUANTITY_NEEDED)
    return value, None
