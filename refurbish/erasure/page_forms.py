"""What the erasure forms' fields mean: the API's own schemas (`MediumIn`, `ErasureIn`,
`ReverifyIn`) from what a person typed, each problem worded for its field, every
problem at once; a level the method cannot reach (db.media.LEVELS_OF) is one of them.
What each field may hold is the schemas' (`LIMITS`, given as `maxlength`).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel

from db.errors import N_
from db.media import (
    LEVELS_OF,
    Level,
    MediumType,
    Method,
    Verification,
)
from refurbish.erasure.models import MAX_SIZE, ErasureIn, MediumIn, ReverifyIn, VerificationIn
from refurbish.erasure.page import LEVEL_WORDS, METHOD_WORDS, levels_text, words
from remise.i18n import number, translate


# The forms: what each field may hold, from the API's schemas, and what they mean.
def max_length(model: type[BaseModel], name: str) -> int:
    for rule in model.model_fields[name].metadata:
        if getattr(rule, "max_length", None):
            return int(rule.max_length)
    raise KeyError(name)


SIZE_MAX_CHARS = 24
LIMITS = {
    "manufacturer": max_length(MediumIn, "manufacturer"),
    "model": max_length(MediumIn, "model"),
    "serial": max_length(MediumIn, "serial"),
    "size": SIZE_MAX_CHARS,
    "pattern": max_length(ErasureIn, "pattern"),
    "tool": max_length(ErasureIn, "tool"),
    "tool_version": max_length(ErasureIn, "tool_version"),
    "comment": max_length(ErasureIn, "comment"),
}
PASSES_MAX = 1000
MEDIUM_FIELDS = ("type", "manufacturer", "model", "serial", "size")
RECORD_FIELDS = (
    "medium_id",
    "method",
    "level",
    "pattern",
    "passes",
    "tool",
    "tool_version",
    "verification",
    "result",
    "comment",
)
REVERIFY_FIELDS = ("verification", "result", "tool", "comment")
_SIZE = re.compile(r"^(\d[\d\s\u00a0\u202f]*(?:[.,]\d+)?)\s*(go|gb|to|tb|)$", re.IGNORECASE)
_UNITS = {"": 10**9, "go": 10**9, "gb": 10**9, "to": 10**12, "tb": 10**12}

TOO_LONG = N_("At most %(max_length)s characters.")
CHOOSE_TYPE = N_("Choose the kind of medium.")
BAD_SIZE = N_("Write the size in GB, as on the disk's label: 250, 0,5 or 1 TB.")
CHOOSE_MEDIUM = N_("Choose the medium that was erased.")
CHOOSE_METHOD = N_("Choose the method used.")
CHOOSE_LEVEL = N_("“%(method)s” can reach %(levels)s: choose the level it reached.")
LEVEL_NOT_OF_METHOD = N_(
    "“%(method)s” reaches %(levels)s, not %(level)s (NIST SP 800-88): choose the level "
    "the method really reached."
)
BAD_PASSES = N_("A whole number of passes, from 1 to %(max)s.")
CHOOSE_VERIFICATION = N_("Say how the erasure was verified.")
CHOOSE_RESULT = N_("Say whether the verification passed.")
NO_RESULT_WITHOUT_CHECK = N_(
    "Without a verification there is no result: leave the result unanswered, or say how "
    "it was verified."
)
CHOOSE_READ_BACK = N_("Say how it was read back: in full, or a sample of sectors.")


def _texts(
    locale: str, typed: dict[str, str], names: tuple[str, ...], errors: dict[str, str]
) -> None:
    for name in names:
        if len(typed.get(name, "")) > LIMITS[name]:
            errors[name] = translate(locale, TOO_LONG, max_length=number(locale, LIMITS[name]))


def parse_size(text: str) -> int | None:
    """`250`, `0,5`, `1 TB` (GB unless said) as bytes; None if empty; ValueError if not
    a size."""
    text = text.strip()
    if not text:
        return None
    found = _SIZE.match(text)
    if found is None:
        raise ValueError(text)
    digits = re.sub(r"[\s\u00a0\u202f]", "", found.group(1)).replace(",", ".")
    try:
        size = int(Decimal(digits) * _UNITS[found.group(2).lower()])
    except InvalidOperation:
        raise ValueError(text) from None
    if not 1 <= size <= MAX_SIZE:
        raise ValueError(text)
    return size


def medium_from_form(locale: str, typed: dict[str, str]) -> tuple[MediumIn | None, dict[str, str]]:
    """The medium a person entered, or every problem by field."""
    errors: dict[str, str] = {}
    if typed.get("type") not in set(MediumType):
        errors["type"] = translate(locale, CHOOSE_TYPE)
    _texts(locale, typed, ("manufacturer", "model", "serial", "size"), errors)
    size = None
    if "size" not in errors:
        try:
            size = parse_size(typed.get("size", ""))
        except ValueError:
            errors["size"] = translate(locale, BAD_SIZE)
    if errors:
        return None, errors
    entered = MediumIn(
        type=MediumType(typed["type"]),
        manufacturer=typed.get("manufacturer") or None,
        model=typed.get("model") or None,
        serial=typed.get("serial") or None,
        size_bytes=size,
    )
    return entered, {}


def _level(locale: str, typed: dict[str, str], errors: dict[str, str]) -> Level | None:
    """The level given, or the only one the method reaches when none is."""
    method = typed.get("method", "")
    if method not in set(Method):
        errors["method"] = translate(locale, CHOOSE_METHOD)
        return None
    reached = LEVELS_OF[Method(method)]
    named = words(locale, METHOD_WORDS, method)
    given = typed.get("level", "")
    if not given:
        if len(reached) == 1:
            return next(iter(reached))
        errors["level"] = translate(
            locale, CHOOSE_LEVEL, method=named, levels=levels_text(locale, Method(method))
        )
        return None
    if given not in set(Level) or Level(given) not in reached:
        errors["level"] = translate(
            locale,
            LEVEL_NOT_OF_METHOD,
            method=named,
            levels=levels_text(locale, Method(method)),
            level=words(locale, LEVEL_WORDS, given),
        )
        return None
    return Level(given)


def _result(
    locale: str, typed: dict[str, str], errors: dict[str, str], *, none_allowed: bool
) -> VerificationIn | None:
    check, result = typed.get("verification", ""), typed.get("result", "")
    allowed = set(Verification) if none_allowed else {Verification.FULL, Verification.SAMPLED}
    if check not in allowed:
        errors["verification"] = translate(
            locale, CHOOSE_VERIFICATION if none_allowed else CHOOSE_READ_BACK
        )
        return None
    if check == Verification.NONE:
        if result:
            errors["result"] = translate(locale, NO_RESULT_WITHOUT_CHECK)
            return None
        return VerificationIn(method=Verification.NONE)
    if result not in ("passed", "failed"):
        errors["result"] = translate(locale, CHOOSE_RESULT)
        return None
    return VerificationIn(method=Verification(check), passed=result == "passed")


def erasure_from_form(
    locale: str, typed: dict[str, str], media: list[int]
) -> tuple[ErasureIn | None, dict[str, str]]:
    """The erasure a person entered, or every problem by field (a level the method cannot
    reach is one of them: db.media.LEVELS_OF)."""
    errors: dict[str, str] = {}
    medium = typed.get("medium_id", "")
    if not medium.isdigit() or int(medium) not in media:
        errors["medium_id"] = translate(locale, CHOOSE_MEDIUM)
    level = _level(locale, typed, errors)
    passes = typed.get("passes", "")
    if passes and not (passes.isdigit() and 1 <= int(passes) <= PASSES_MAX):
        errors["passes"] = translate(locale, BAD_PASSES, max=number(locale, PASSES_MAX))
    _texts(locale, typed, ("pattern", "tool", "tool_version", "comment"), errors)
    verification = _result(locale, typed, errors, none_allowed=True)
    if errors or level is None or verification is None:
        return None, errors
    entered = ErasureIn(
        medium_id=int(medium),
        level=level,
        method=Method(typed["method"]),
        pattern=typed.get("pattern") or None,
        passes=int(passes) if passes else None,
        tool=typed.get("tool") or None,
        tool_version=typed.get("tool_version") or None,
        verification=verification,
        comment=typed.get("comment") or None,
    )
    return entered, {}


def reverify_from_form(
    locale: str, typed: dict[str, str]
) -> tuple[ReverifyIn | None, dict[str, str]]:
    """A second person's check as entered, or every problem by field."""
    errors: dict[str, str] = {}
    verification = _result(locale, typed, errors, none_allowed=False)
    _texts(locale, typed, ("tool", "comment"), errors)
    if errors or verification is None:
        return None, errors
    checked = ReverifyIn(
        verification=verification,
        tool=typed.get("tool") or None,
        comment=typed.get("comment") or None,
    )
    return checked, {}
