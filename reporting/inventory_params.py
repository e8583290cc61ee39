"""The inventory search's parameters (`/devices?q=…&status=…&sort=…&page=…`), read.

Pure: `read` types what the page was sent and gives, for each bad parameter, the
message to show beside its field; nothing reaches a query untyped or out of range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from db.bounds import OFFSET_MAX, ROW_ID_MAX
from db.enums import GRADES, Category, Status
from db.errors import N_, Message

MAX_TEXT = 200
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_SIZE = 50
MAX_PAGE = OFFSET_MAX // max(PAGE_SIZES)
NO_GRADE = "none"


class SortKey(StrEnum):
    CODE = "code"
    CATEGORY = "category"
    BRAND = "brand"
    MODEL = "model"
    STATUS = "status"
    GRADE = "grade"
    STATUS_SINCE = "status_since"
    LOCATION = "location"


BAD = {
    "status": N_("Choose a status from the list."),
    "category": N_("Choose a category from the list."),
    "grade": N_("Choose a grade from the list."),
    "batch": N_("A batch number is a whole number, such as 12."),
    "sort": N_("This column cannot be sorted: choose one of the column headings."),
    "order": N_("The order is either ascending or descending."),
    "page": N_("A page number is a whole number from 1 to %(max)s."),
    "size": N_("Choose how many devices a page shows from the list."),
    "long": N_("At most %(max)s characters, please."),
}


@dataclass(frozen=True)
class Filters:
    """What the search form asks, typed. `donor` and `structure` are as typed (an id or
    a name): the page resolves them against their tables (`donor_ids`, `structure_ids`)."""

    q: str = ""
    status: Status | None = None
    category: Category | None = None
    grade: str | None = None  # A, B, C or NO_GRADE
    batch_id: int | None = None
    donor: str = ""
    structure: str = ""
    location: str = ""


@dataclass(frozen=True)
class Order:
    key: SortKey | None = None  # None: the newest devices first
    descending: bool = False


@dataclass(frozen=True)
class Window:
    page: int = 1
    size: int = DEFAULT_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class Asked:
    """The page's parameters, read: what to find, in what order, which page of it."""

    filters: Filters = field(default_factory=Filters)
    order: Order = field(default_factory=Order)
    window: Window = field(default_factory=Window)


def _tidy(text: str) -> str:
    return " ".join(text.split())


def _text(params: Mapping[str, str], name: str, errors: dict[str, Message]) -> str:
    text = _tidy(params.get(name, ""))
    if len(text) > MAX_TEXT:
        errors[name] = Message(BAD["long"], {"max": MAX_TEXT})
        return ""
    return text


def _choice(params: Mapping[str, str], name: str, allowed: Any, errors: dict[str, Message]) -> Any:
    text = params.get(name, "").strip()
    if not text:
        return None
    found = next((value for value in allowed if str(value) == text), None)
    if found is None:
        errors[name] = Message(BAD[name])
    return found


def whole_number(text: str, high: int) -> int | None:
    """`text` as an integer from 1 to `high`, or None."""
    text = text.strip()
    if not text.isdigit() or len(text) > len(str(high)):  # isdigit also takes "²"
        return None
    number = int(text) if text.isascii() else 0
    return number if 1 <= number <= high else None


def _number(
    params: Mapping[str, str], name: str, high: int, errors: dict[str, Message]
) -> int | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    number = whole_number(text, high)
    if number is None:
        errors[name] = Message(BAD[name], {"max": high})
    return number


def read(params: Mapping[str, str]) -> tuple[Asked, dict[str, Message]]:
    """The page's query parameters typed, and a message for each bad one (by its name)."""
    errors: dict[str, Message] = {}
    filters = Filters(
        q=_text(params, "q", errors),
        status=_choice(params, "status", Status, errors),
        category=_choice(params, "category", Category, errors),
        grade=_choice(params, "grade", (*GRADES, NO_GRADE), errors),
        batch_id=_number(params, "batch", ROW_ID_MAX, errors),
        donor=_text(params, "donor", errors),
        structure=_text(params, "structure", errors),
        location=_text(params, "location", errors),
    )
    key = _choice(params, "sort", SortKey, errors)
    direction = _choice(params, "order", ("asc", "desc"), errors)
    size = _choice(params, "size", [str(s) for s in PAGE_SIZES], errors)
    page = _number(params, "page", MAX_PAGE, errors) or 1
    order = Order(key, descending=direction == "desc")
    window = Window(page=page, size=int(size) if size else DEFAULT_SIZE)
    return Asked(filters, order, window), errors
