"""Free-form JSON that clients send (device attributes, step values), checked at the edge.

The ledger's canonical encoder (`db.canonical`) refuses floats, integers beyond 64 bits
and deep nesting; a value that reached it from a request would be a 500. So every
request model that takes free-form JSON declares it with `JsonObject` or `JsonScalar`,
and numbers it takes with `CanonicalInt`, `Count` or `decimal_text(…)`. What passes:

- text of at most `MAX_TEXT` characters, names (keys) of at most `MAX_KEY`;
- whole numbers within the canonical range, true/false, null;
- lists and objects nested at most `MAX_DEPTH` levels, `MAX_VALUES` values in all;
- a finite decimal number becomes its decimal text ("15.6", "1e+308"): canonical JSON
  holds no floats, and the text keeps what was written. NaN and infinities are refused.

Each refusal is a pydantic error whose type is a key of `FIELD_MESSAGES` (translated by
`remise.errors`) and whose `inside` (in its context) says where in the value it is, such
as `.specs.ram` or `[2]`, so that the answer names the field exactly.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from db.canonical import MAX_INT, MIN_INT
from db.errors import N_

MAX_TEXT = 2000
MAX_KEY = 100
MAX_DEPTH = 8
MAX_VALUES = 1000

FIELD_MESSAGES: dict[str, str] = {
    "json_not_finite": N_("NaN and infinity are not numbers: send a number or some text."),
    "json_int_range": N_(
        "Whole numbers must lie between %(min)s and %(max)s; send larger ones as text."
    ),
    "json_text_too_long": N_("At most %(max_length)s characters."),
    "json_key_too_long": N_("Names of at most %(max_length)s characters."),
    "json_too_deep": N_("Lists and objects nested at most %(max_depth)s levels deep."),
    "json_too_many": N_("At most %(max_values)s values in all."),
    "json_not_scalar": N_(
        "A single value is expected (text, a number, yes or no), not a list or an object."
    ),
    "json_type": N_("Text, a number, yes or no, a list or an object is expected."),
    "dict_type": N_("An object ({…}) is expected."),
    "decimal_text": N_("A number between %(min)s and %(max)s is expected, such as %(example)s."),
    "finite_number": N_("NaN and infinity are not numbers: send a number."),
}

CanonicalInt = Annotated[int, Field(ge=MIN_INT, le=MAX_INT)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]


def _refuse(kind: str, inside: str, **ctx: Any) -> PydanticCustomError:
    english = FIELD_MESSAGES[kind] % ctx if ctx else FIELD_MESSAGES[kind]
    return PydanticCustomError(kind, english, ctx | {"inside": inside})


def _scalar(value: Any, inside: str) -> Any:
    """The value as canonical JSON holds it; raises for what it cannot hold."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not MIN_INT <= value <= MAX_INT:
            raise _refuse("json_int_range", inside, min=MIN_INT, max=MAX_INT)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _refuse("json_not_finite", inside)
        return repr(value)
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise _refuse("json_text_too_long", inside, max_length=MAX_TEXT)
        return value
    raise _refuse("json_type", inside)


def _members(value: Any, inside: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) or len(key) > MAX_KEY:
                raise _refuse("json_key_too_long", f"{inside}.{str(key)[:40]}", max_length=MAX_KEY)
        return [(f"{inside}.{key}", item) for key, item in value.items()]
    return [(f"{inside}[{index}]", item) for index, item in enumerate(value)]


def _check(value: Any) -> None:
    """Walk the whole value without recursion (it may be nested thousands of levels)."""
    pending: list[tuple[Any, str, int]] = [(value, "", 0)]
    seen = 0
    while pending:
        item, inside, depth = pending.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise _refuse("json_too_many", "", max_values=MAX_VALUES)
        if isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise _refuse("json_too_deep", inside, max_depth=MAX_DEPTH)
            pending.extend((child, where, depth + 1) for where, child in _members(item, inside))
        else:
            _scalar(item, inside)


def _converted(value: Any) -> Any:
    """The checked value with its floats as decimal text (recursion bounded by MAX_DEPTH)."""
    if isinstance(value, dict):
        return {key: _converted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_converted(item) for item in value]
    return _scalar(value, "")


def canonical_value(value: Any) -> Any:
    """`value` as the ledger can hold it, or a pydantic error saying where and why not."""
    _check(value)
    return _converted(value)


def _only_scalar(value: Any) -> Any:
    if isinstance(value, dict | list):
        raise _refuse("json_not_scalar", "")
    return _scalar(value, "")


JsonObject = Annotated[dict[str, Any], AfterValidator(canonical_value)]
JsonScalar = Annotated[Any, BeforeValidator(_only_scalar)]


def decimal_text(low: int, high: int, *, places: int, example: str) -> BeforeValidator:
    """A validator for a number kept as decimal text with `places` decimals, within
    [low, high]: "87.5", 87.5 and 87 all become "87.50" (two places)."""
    step = Decimal(1).scaleb(-places)

    def parse(value: Any) -> str | None:
        if value is None:
            return None
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            number = Decimal("NaN")
        if isinstance(value, bool) or not number.is_finite() or not low <= number <= high:
            raise PydanticCustomError(
                "decimal_text",
                FIELD_MESSAGES["decimal_text"] % {"min": low, "max": high, "example": example},
                {"min": low, "max": high, "example": example},
            )
        return str(number.quantize(step))

    return BeforeValidator(parse)
