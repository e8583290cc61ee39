"""Checklist steps: what they are, how a recorded value is judged, and the defaults.

A template is a list of steps for one device category; coordinators publish new
versions, and a run keeps the version it started with. This module is pure: the
step model, the judgement of a value, and the templates Remise ships with, which
follow what refurbishing workshops check on a computer or a phone.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from babel.numbers import format_decimal
from pydantic import BaseModel, ConfigDict, Field, model_validator

from db.enums import Category
from db.errors import N_
from refurbish.defaults import DEFAULTS


class Kind(StrEnum):
    YES_NO = "yes_no"  # true passes, false fails
    MEASURE = "measure"  # a number in `unit`, passing within [min, max]
    CHOICE = "choice"  # one of `options`, each passing or failing
    NOTE = "note"  # free text
    PHOTO = "photo"  # a photo's reference, from POST /runs/{id}/photos


class State(StrEnum):
    MISSING = "missing"
    PASSED = "passed"
    FAILED = "failed"
    RECORDED = "recorded"  # a note or a photo: nothing to pass or fail


Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")]
# Beyond 10^15 a float keeps no exact units and no bench measures anything that large:
# the bound of a step's range and of a value recorded (the ledger would refuse 1e308).
MAX_MEASURE = 10**15
Bound = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_MEASURE, le=MAX_MEASURE)]
# The longest text a note step, or the note of any step, holds: a few paragraphs, which
# keeps each ledger event small. Longer text is refused, never cut.
MAX_TEXT = 2000
# The yes/no step that checklists had before erasure records: kept in stored versions,
# it no longer decides anything (db.media does), and new versions may not have it.
SUPERSEDED_ERASURE_STEP = "data_erasure"


class Text(BaseModel):
    """A label in both languages of the interface."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    fr: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)

    def in_(self, locale: str) -> str:
        return self.en if locale == "en" else self.fr


class Option(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: Key
    label: Text
    passes: bool = True


class Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: Key
    label: Text
    kind: Kind
    required: bool = False
    unit: str | None = Field(default=None, max_length=20)
    min: Bound | None = None
    max: Bound | None = None
    options: tuple[Option, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        if self.kind == Kind.MEASURE:
            if not self.unit:
                raise ValueError(f"step “{self.key}”: a measure needs a unit")
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError(f"step “{self.key}”: min is above max")
        elif self.unit or self.min is not None or self.max is not None:
            raise ValueError(f"step “{self.key}”: only a measure has a unit and a range")
        if self.kind == Kind.CHOICE:
            keys = [o.key for o in self.options]
            if len(keys) < 2 or len(set(keys)) != len(keys):
                raise ValueError(f"step “{self.key}”: a choice needs two or more distinct options")
            if not any(o.passes for o in self.options):
                raise ValueError(f"step “{self.key}”: at least one option must pass")
        elif self.options:
            raise ValueError(f"step “{self.key}”: only a choice has options")
        return self


class Template(BaseModel):
    """What a coordinator publishes: the steps, in the order volunteers follow them."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    steps: tuple[Step, ...] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _unique_keys(self) -> Template:
        keys = [s.key for s in self.steps]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"step keys must be unique: {', '.join(twice)}")
        return self

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)


class BadValue(ValueError):
    """A value that does not suit its step; `reason` is a translatable message."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason % params if params else reason)
        self.reason, self.params = reason, params


@dataclass(frozen=True)
class Quantity:
    """A count inside a message, written the reader's way: 2,000 in English, 2 000 in French
    (`remise.i18n.localise` calls `in_`)."""

    value: int

    def __str__(self) -> str:
        return f"{self.value:,}"

    def in_(self, locale: str) -> str:
        return str(format_decimal(self.value, locale=locale))


TOO_LONG = N_("%(max)s characters at most: this text has %(count)s")


def text_within(text: str, limit: int = MAX_TEXT) -> str:
    """`text` without the spaces around it; BadValue naming the limit if it is longer."""
    kept = text.strip()
    if len(kept) > limit:
        raise BadValue(TOO_LONG, max=Quantity(limit), count=Quantity(len(kept)))
    return kept


# Spaces a French writer puts between thousands: a space, a no-break space, a narrow
# no-break space (what babel writes for fr), a thin space.
_THOUSANDS = " \u00a0\u202f\u2009"
_TYPED_NUMBER = re.compile(rf"[+-]?(?:\d{{1,3}}(?:[{_THOUSANDS}]\d{{3}})+|\d+)(?:[.,]\d+)?")


def parse_number(text: str, unit: str | None = None) -> float:
    """A number as a person types it: `85`, `85,5`, `85.5`, `1 234,5` (thousands apart by
    a space or a no-break space), `−3`, with the step's `unit` after it or not (`85 %`);
    what programs send (`8.55e1`) too. BadValue if it is no number."""
    cleaned = text.strip().replace("\u2212", "-")
    if unit and cleaned.lower().endswith(unit.lower()):
        cleaned = cleaned[: -len(unit)].rstrip()
    if _TYPED_NUMBER.fullmatch(cleaned):
        return float(re.sub(f"[{_THOUSANDS}]", "", cleaned).replace(",", "."))
    try:
        return float(cleaned.replace(",", "."))
    except ValueError as exc:
        raise BadValue(N_("a number is expected")) from exc


def _number(value: Any, unit: str | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadValue(N_("a number is expected"))
    return parse_number(value, unit) if isinstance(value, str) else float(value)


def normalise(step: Step, value: Any) -> Any:
    """The value as stored for `step`, or BadValue saying what the step expects."""
    if step.kind == Kind.YES_NO:
        if not isinstance(value, bool):
            raise BadValue(N_("yes (true) or no (false) is expected"))
        return value
    if step.kind == Kind.MEASURE:  # ints, or decimal strings: the ledger holds no floats
        number = _number(value, step.unit)
        if not math.isfinite(number) or abs(number) > MAX_MEASURE:
            raise BadValue(
                N_("this is no measure in %(unit)s (the step passes from %(min)s to %(max)s)"),
                unit=step.unit,
                min=bound_text(step.min),
                max=bound_text(step.max),
            )
        return int(number) if number.is_integer() else f"{number:.6g}"
    if step.kind == Kind.CHOICE:
        keys = [o.key for o in step.options]
        if value not in keys:
            raise BadValue(N_("one of these is expected: %(options)s"), options=", ".join(keys))
        return value
    if not isinstance(value, str) or not value.strip():
        raise BadValue(N_("some text is expected"))
    return text_within(value)


def bound_text(value: float | None) -> str:
    """A range bound as a volunteer reads it: 60, 3.5, or … when there is none."""
    if value is None:
        return "…"
    return str(int(value)) if float(value).is_integer() else str(value)


YES = frozenset({"oui", "o", "yes", "y", "true", "vrai", "1", "ok"})
NO = frozenset({"non", "n", "no", "false", "faux", "0"})


def from_text(step: Step, text: str) -> Any:
    """A value typed on a command line or in a form, as `normalise` takes it."""
    if step.kind == Kind.YES_NO:
        word = text.strip().lower()
        if word in YES or word in NO:
            return word in YES
        raise BadValue(N_("yes (true) or no (false) is expected"))
    return text


def judge(step: Step, value: Any) -> State:
    """Whether a recorded (normalised) value passes its step."""
    if value is None:
        return State.MISSING
    if step.kind == Kind.YES_NO:
        return State.PASSED if value else State.FAILED
    if step.kind == Kind.MEASURE:
        low = step.min if step.min is not None else float("-inf")
        high = step.max if step.max is not None else float("inf")
        return State.PASSED if low <= float(value) <= high else State.FAILED
    if step.kind == Kind.CHOICE:
        option = next(o for o in step.options if o.key == value)
        return State.PASSED if option.passes else State.FAILED
    return State.RECORDED


def blocking(step: Step, state: State) -> bool:
    """True if this step keeps a run from finishing `refurbished`.

    A required step must be recorded and not failed; any measure out of its range
    blocks, required or not.
    """
    if state == State.FAILED and (step.required or step.kind == Kind.MEASURE):
        return True
    return step.required and state == State.MISSING


def default_template(category: Category) -> Template:
    """The checklist Remise ships with for `category` (version 1)."""
    return Template.model_validate({"steps": DEFAULTS[category]})
