"""Category words that name more than one kind of device, and the evidence that decides.

In French « portable » is a laptop or a mobile phone, and « téléphone » a basic phone or
a smartphone. Reading them one way for every row gave a Galaxy S9 the basic phone's
checklist, which has no Google/iCloud lock step. So a row whose word is ambiguous is
read from its own evidence (a model known as a smartphone, a basic phone or a computer;
an IMEI, which a laptop never has) and otherwise waits for a person's answer, given per
value of the file. Data plus pure functions: no session, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

import orjson

from db.enums import CATEGORY_LABELS, Category
from db.errors import N_, Invalid, Message
from intake.columns import normalise_header

Answers = Mapping[str, Category]  # normalised value → the category a person chose
MAX_READING_ROWS = 20  # row numbers listed for each way a category value was read


class Evidence(StrEnum):
    """How a row's category was read (the API's `evidence`)."""

    NAME = "name"  # the word names one category
    DEFAULT = "default"  # no category: the one chosen for rows without one
    SMARTPHONE_MODEL = "smartphone_model"
    BASIC_PHONE_MODEL = "basic_phone_model"
    COMPUTER_MODEL = "computer_model"
    IMEI = "imei"
    ANSWER = "answer"  # a person said which


EVIDENCE_LABELS: dict[Evidence, str] = {
    Evidence.NAME: N_("the word says it"),
    Evidence.DEFAULT: N_("no category: the one chosen for rows without one"),
    Evidence.SMARTPHONE_MODEL: N_("the model is a smartphone"),
    Evidence.BASIC_PHONE_MODEL: N_("the model is a basic phone"),
    Evidence.COMPUTER_MODEL: N_("the model is a computer"),
    Evidence.IMEI: N_("it has an IMEI: a phone, not a laptop"),
    Evidence.ANSWER: N_("your answer"),
}

_PHONES = (Category.BASIC_PHONE, Category.SMARTPHONE)
# Normalised words (see `normalise_header`) and what each may mean, in the order offered.
AMBIGUOUS: dict[str, tuple[Category, ...]] = {
    "telephone": _PHONES,
    "tel": _PHONES,
    "phone": _PHONES,
    "mobile": _PHONES,
    "telephone mobile": _PHONES,
    "telephone portable": _PHONES,
    "gsm": _PHONES,  # Belgian French for any mobile phone
    "portable": (Category.LAPTOP, Category.SMARTPHONE, Category.BASIC_PHONE),
    "portables": (Category.LAPTOP, Category.SMARTPHONE, Category.BASIC_PHONE),
}

# --- words that name one category ---------------------------------------------------

_CATEGORY_WORDS: dict[Category, tuple[str, ...]] = {
    Category.LAPTOP: (
        "laptop",
        "pc portable",
        "ordinateur portable",
        "notebook",
        "ultraportable",
        "netbook",
        "chromebook",
        "macbook",
        "ordi portable",
    ),
    Category.DESKTOP: (
        "desktop",
        "fixe",
        "pc fixe",
        "ordinateur fixe",
        "unite centrale",
        "uc",
        "tour",
        "poste fixe",
        "poste de travail",
        "all in one",
        "tout en un",
        "mini pc",
        "pc",
        "workstation",
        "station de travail",
    ),
    Category.SMARTPHONE: (
        "smartphone",
        "smartphones",
        "iphone",
        "telephone intelligent",
        "android",
    ),
    Category.TABLET: ("tablet", "tablette", "tablettes", "ipad", "tablette tactile"),
    Category.BASIC_PHONE: (
        "basic phone",
        "basic_phone",
        "telephone basique",
        "feature phone",
        "mobile basique",
        "telephone simple",
    ),
    Category.OTHER: ("other", "autre", "autres", "divers"),
}
CATEGORY_SYNONYMS: dict[str, Category] = {
    word: category for category, words in _CATEGORY_WORDS.items() for word in words
}
assert not CATEGORY_SYNONYMS.keys() & AMBIGUOUS.keys(), "each word is read one way"


@cache  # a file repeats a handful of category names thousands of times
def category_for(text: str) -> Category | None:
    """The category a spreadsheet cell names, in French or English, or None."""
    return CATEGORY_SYNONYMS.get(normalise_header(text))


# Patterns on the normalised "brand model" text (lower case, no accents, punctuation as
# spaces: "Nokia 5.3" reads "nokia 5 3"). A row is decided only when one kind matches.
SMARTPHONE_MODELS: tuple[str, ...] = (
    r"\bgalaxy (s|a|m|j|z|note|xcover) ?\d*",
    r"\biphone\b",
    r"\bpixel \d",
    r"\bgoogle pixel\b",
    r"\bredmi\b",
    r"\bxiaomi mi\b",
    r"\bmi \d",
    r"\bpoco\b",
    r"\bhuawei (p|mate|nova|y) ?\d",
    r"\bhuawei p smart\b",
    r"\boneplus\b",
    r"\bfairphone\b",
    r"\bmoto [gexz] ?\d*\b",
    r"\bmotorola (moto|edge|razr)\b",
    r"\bxperia\b",
    r"\bnokia [gcx] ?\d+\b",
    r"\bnokia \d \d\b",  # Nokia 5.3, 7.2
    r"\bhonor \d+",
    r"\boppo (a|find|reno)\b",
    r"\brealme\b",
    r"\bcrosscall (core|action|trekker)\b",
)
BASIC_PHONE_MODELS: tuple[str, ...] = (
    r"\bnokia \d{3,4}\b",  # 105, 110, 215, 3310, 8110
    r"\bdoro\b",
    r"\bemporia\b",
    r"\balcatel [123]0\d\d\b",  # 2019, 2053, 3026
    r"\bwiko (lubi|riff|f\d00)\b",
    r"\bsamsung (gt )?e\d{4}\b",
    r"\bcrosscall spider\b",
    r"\bbeafon\b",
)
COMPUTER_MODELS: tuple[str, ...] = (
    r"\b(thinkpad|thinkbook|ideapad|latitude|inspiron|vostro|precision|xps)\b",
    r"\b(elitebook|probook|zbook|pavilion|envy|spectre|omen)\b",
    r"\b(macbook|zenbook|vivobook|expertbook|aspire|travelmate|extensa|chromebook)\b",
    r"\b(lifebook|toughbook|dynabook|satellite|tecra|portege|galaxy book|surface laptop)\b",
    # Makers of computers and no phones: their name alone says "not a phone".
    r"^(dell|hp|hewlett packard|toshiba|fujitsu|msi|medion)\b",
)
_KINDS: tuple[tuple[Category, Evidence, re.Pattern[str]], ...] = tuple(
    (category, evidence, re.compile("|".join(patterns)))
    for category, evidence, patterns in (
        (Category.SMARTPHONE, Evidence.SMARTPHONE_MODEL, SMARTPHONE_MODELS),
        (Category.BASIC_PHONE, Evidence.BASIC_PHONE_MODEL, BASIC_PHONE_MODELS),
        (Category.LAPTOP, Evidence.COMPUTER_MODEL, COMPUTER_MODELS),
    )
)


class BadCategoryAnswer(Invalid):
    code = "bad_category_answer"
    message = N_(
        "The answer for “%(value)s” is not valid: “%(answer)s” is not one of its categories. "
        "Answer with one of: %(choices)s (or leave it out to be asked)."
    )


def model_kind(brand: str | None, model: str | None) -> tuple[Category, Evidence] | None:
    """The kind of device a brand and model are known as, if exactly one table knows it."""
    text = normalise_header(f"{brand or ''} {model or ''}")
    if not text:
        return None
    found = [(category, evidence) for category, evidence, rx in _KINDS if rx.search(text)]
    return found[0] if len(found) == 1 else None


def read_ambiguous(
    key: str, *, brand: str | None, model: str | None, imei: str | None, answers: Answers
) -> tuple[Category | None, Evidence | None]:
    """An ambiguous word's category for one row: from its model, its IMEI, else the answer
    given for the word; (None, None) while nobody has said."""
    choices = AMBIGUOUS[key]
    kind = model_kind(brand, model)
    if kind is not None and kind[0] in choices:
        return kind
    if imei and Category.LAPTOP in choices:
        # A laptop has no IMEI: « portable » is then a mobile phone, read as a smartphone
        # unless its model is a known basic phone (above). The smartphone's checklist is
        # the one with the account-lock step, and the dry run shows every such reading.
        return Category.SMARTPHONE, Evidence.IMEI
    if key in answers:
        return answers[key], Evidence.ANSWER
    return None, None


def choices_text(key: str) -> Message:
    """The choices of an ambiguous word, as a sentence: « a » or « b » (or « c »)."""
    labels = [Message(CATEGORY_LABELS[c]) for c in AMBIGUOUS[key]]
    if len(labels) == 2:
        return Message(N_("“%(first)s” or “%(second)s”"), {"first": labels[0], "second": labels[1]})
    return Message(
        N_("“%(first)s”, “%(second)s” or “%(third)s”"),
        {"first": labels[0], "second": labels[1], "third": labels[2]},
    )


def waiting_message(value: str, key: str) -> Message:
    """Why a row waits: its word is ambiguous and nobody has said which it means."""
    return Message(
        N_("“%(value)s” can mean %(choices)s: say which for this value, then import again."),
        {"value": value, "choices": choices_text(key)},
    )


class UnreadableAnswers(Invalid):
    code = "unreadable_category_answers"
    message = N_(
        "The answers for ambiguous categories must be a JSON object of the file's values "
        'and the category each means, such as {"Téléphone": "smartphone"}.'
    )


def answers_from_json(text: str | None) -> dict[str, Category]:
    """`parse_answers` of a JSON object sent as text (the API's `categories` field)."""
    if not text or not text.strip():
        return {}
    try:
        given = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise UnreadableAnswers() from exc
    if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
        raise UnreadableAnswers()
    return parse_answers(given)


def _category_named(text: str) -> Category | None:
    """A category by its API name, as typed: "basic_phone", "Basic phone", "basic-phone"."""
    try:
        return Category(normalise_header(text).replace(" ", "_"))
    except ValueError:
        return None


def parse_answers(given: Mapping[str, str]) -> dict[str, Category]:
    """Answers as people give them (`{"Téléphone": "smartphone"}`), keyed by the normalised
    word; BadCategoryAnswer naming the value if it is not an ambiguous word or the answer
    not one of its categories."""
    parsed: dict[str, Category] = {}
    for value, answer in given.items():
        key = normalise_header(value)
        if key not in AMBIGUOUS:
            raise BadCategoryAnswer(
                N_(
                    "“%(value)s” is not a category value Remise asks about: answers are for "
                    "values such as “Téléphone” or “Portable”, which name two kinds of device."
                ),
                value=value,
            )
        category = _category_named(str(answer))
        choices = AMBIGUOUS[key]
        if category not in choices:
            raise BadCategoryAnswer(
                value=value, answer=answer, choices=", ".join(c.value for c in choices)
            )
        parsed[key] = category
    return parsed


# --- how a file's category column was read ---------------------------------------


@dataclass
class CategoryReading:
    """How one value of the category column was read, and for how many rows: `category`
    None (with its `choices`) while the value waits for an answer."""

    value: str  # the file's first spelling of it
    key: str
    category: Category | None
    evidence: Evidence | None
    choices: tuple[Category, ...] = ()
    count: int = 0
    rows: list[int] = field(default_factory=list)  # the first MAX_READING_ROWS


Tally = dict[tuple[str, Category | None, Evidence | None], CategoryReading]


def tally(
    readings: Tally,
    row: int,
    value: str,
    key: str,
    category: Category | None,
    evidence: Evidence | None,
) -> None:
    """Count row `row` under the way its category was read (its first spelling kept)."""
    found = readings.get((key, category, evidence))
    if found is None:
        choices = AMBIGUOUS[key] if category is None else ()
        found = readings[key, category, evidence] = CategoryReading(
            value, key, category, evidence, choices
        )
    found.count += 1
    if len(found.rows) < MAX_READING_ROWS:
        found.rows.append(row)


def question_json(reading: CategoryReading) -> dict[str, object]:
    """A value waiting for an answer, as an answer's JSON lists it."""
    return {
        "value": reading.value,
        "count": reading.count,
        "rows": reading.rows,
        "choices": [choice.value for choice in reading.choices],
    }
