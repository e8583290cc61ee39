"""What intake accepts: identifiers (IMEI, SIRET, both Luhn), categories and dates as
people write them, and the checks on one row of an asset list. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from db.enums import Category
from db.errors import N_, Message
from intake import categories
from intake.categories import Answers, Evidence, category_for
from intake.columns import normalise_header


def luhn_check_digit(digits: str) -> str:
    """The digit that makes `digits` + it pass the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def luhn_valid(digits: str) -> bool:
    return digits.isdigit() and len(digits) > 1 and luhn_check_digit(digits[:-1]) == digits[-1]


def normalise_imei(text: str) -> str:
    """Digits only: scanners and spreadsheets add spaces, hyphens or slashes."""
    return "".join(ch for ch in text if ch.isdigit())


def imei_valid(text: str) -> bool:
    """15 digits whose last is the Luhn check digit of the first 14."""
    digits = normalise_imei(text)
    return len(digits) == 15 and luhn_valid(digits)


def siret_valid(text: str) -> bool:
    """14 digits passing the Luhn check (La Poste's SIRETs follow another rule)."""
    digits = "".join(ch for ch in text if not ch.isspace())
    if len(digits) != 14 or not digits.isdigit():
        return False
    if digits.startswith("356000000"):  # La Poste: the digit sum is a multiple of 5
        return sum(int(d) for d in digits) % 5 == 0
    return luhn_valid(digits)


# --- dates as spreadsheets write them ----------------------------------------------

_DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d")
# The two spellings nearly every file uses, read without strptime (ten times slower).
_FRENCH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(text: str) -> date:
    """A French (31/12/2024) or ISO (2024-12-31) date, with or without a time after it."""
    day = text.strip().replace("T", " ").split(" ")[0]
    if match := _FRENCH.fullmatch(day):
        return date(int(match[3]), int(match[2]), int(match[1]))
    if match := _ISO.fullmatch(day):
        return date(int(match[1]), int(match[2]), int(match[3]))
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(day, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"unreadable date {text!r}")


# --- one row of an asset list ------------------------------------------------------

LIMITS = {"brand": 120, "model": 200, "serial": 120, "asset_tag": 120}
CATEGORY_HELP = N_(
    "use laptop, desktop, smartphone, tablet, basic phone or other "
    "(or ordinateur portable, fixe, tablette, téléphone basique, autre)"
)


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field of one row."""

    field: str
    message: Message


@dataclass(frozen=True)
class Draft:
    """A row that passed every check, ready to become a device."""

    category: Category
    serial: str
    brand: str | None = None
    model: str | None = None
    imei: str | None = None
    asset_tag: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """How a row's category cell was read: `category` None while its word waits for an
    answer (`key`, the normalised word, is what the answer is given for)."""

    value: str
    key: str
    category: Category | None
    evidence: Evidence | None


def read_category(
    values: Mapping[str, str], *, default: Category | None, answers: Answers
) -> Reading | Problem:
    """The row's category and how it was decided, or the problem that stops it."""
    text = values.get("category")
    if not text:
        if default is not None:
            return Reading("", "", default, Evidence.DEFAULT)
        return Problem(
            "category",
            Message(N_("The category is missing: %(help)s."), {"help": Message(CATEGORY_HELP)}),
        )
    key = normalise_header(text)
    if key in categories.AMBIGUOUS:
        category, evidence = categories.read_ambiguous(
            key,
            brand=values.get("brand"),
            model=values.get("model"),
            imei=values.get("imei"),
            answers=answers,
        )
        return Reading(text, key, category, evidence)
    found = category_for(text)
    if found is None:
        return Problem(
            "category",
            Message(
                N_("“%(value)s” is not a known category: %(help)s."),
                {"value": text, "help": Message(CATEGORY_HELP)},
            ),
        )
    return Reading(text, key, found, Evidence.NAME)


def _problems(values: Mapping[str, str]) -> list[Problem]:
    found = []
    if not values.get("serial"):
        found.append(Problem("serial", Message(N_("The serial number is missing."))))
    imei = values.get("imei")
    if imei and not imei_valid(imei):
        found.append(
            Problem(
                "imei",
                Message(
                    N_(
                        "“%(value)s” is not a valid IMEI: "
                        "15 digits, the last one being the check digit."
                    ),
                    {"value": imei},
                ),
            )
        )
    for name, limit in LIMITS.items():
        if len(values.get(name, "")) > limit:
            found.append(
                Problem(
                    name, Message(N_("At most %(max_length)s characters."), {"max_length": limit})
                )
            )
    bought = values.get("purchase_date")
    if bought:
        try:
            parse_date(bought)
        except ValueError:
            found.append(
                Problem(
                    "purchase_date",
                    Message(
                        N_("“%(value)s” is not a date: write it as 31/12/2024 or 2024-12-31."),
                        {"value": bought},
                    ),
                )
            )
    return found


def check_row(
    values: Mapping[str, str],
    extras: Mapping[str, str],
    *,
    default_category: Category | None,
    answers: Answers | None = None,
) -> tuple[Draft | None, list[Problem]]:
    """The device a row describes, or every problem that stops it (an ambiguous category
    nobody answered for among them)."""
    reading, problems = read_row(values, default_category=default_category, answers=answers)
    if reading is not None and reading.category is None:
        problems.append(Problem("category", categories.waiting_message(reading.value, reading.key)))
    if problems or reading is None or reading.category is None:
        return None, problems
    return _draft(values, extras, reading.category), []


def read_row(
    values: Mapping[str, str], *, default_category: Category | None, answers: Answers | None = None
) -> tuple[Reading | None, list[Problem]]:
    """How the row's category reads (None if it cannot), and every problem that stops the
    row, without building its device (an import's first pass). A category waiting for an
    answer is not a problem here: the importer asks for it."""
    category = read_category(values, default=default_category, answers=answers or {})
    problems = _problems(values)
    if isinstance(category, Problem):
        problems.insert(0, category)
        return None, problems
    return category, problems


def draft(
    values: Mapping[str, str],
    extras: Mapping[str, str],
    *,
    default_category: Category | None,
    answers: Answers | None = None,
) -> Draft:
    """The device of a row `read_row` accepted and read, built again without checking it."""
    reading = read_category(values, default=default_category, answers=answers or {})
    assert isinstance(reading, Reading) and reading.category is not None, "an accepted row"
    return _draft(values, extras, reading.category)


def _draft(values: Mapping[str, str], extras: Mapping[str, str], category: Category) -> Draft:
    attributes = dict(extras)
    if values.get("purchase_date"):
        attributes["purchase_date"] = parse_date(values["purchase_date"]).isoformat()
    if values.get("description"):
        attributes["description"] = values["description"]
    imei = values.get("imei")
    return Draft(
        category=category,
        serial=values["serial"],
        brand=values.get("brand"),
        model=values.get("model"),
        imei=normalise_imei(imei) if imei else None,
        asset_tag=values.get("asset_tag"),
        attributes=attributes,
    )
