"""Public device codes: short, typable, self-checking.

A code is 7 random symbols of Crockford's base32 alphabet (no I, L, O or U, so no
0/O or 1/I/L confusion) followed by one check symbol computed with the Luhn mod 32
algorithm, which rejects every single mistyped symbol and every swap of two
neighbouring symbols but one (0 and Z). It is printed as `XXXX-XXXX`; input is
case-insensitive, ignores spaces and hyphens, and reads O as 0 and I or L as 1,
as Crockford's encoding prescribes.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

from db.errors import N_, Message

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE = len(ALPHABET)
DATA_LENGTH = 7
LENGTH = DATA_LENGTH + 1
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_IGNORED = str.maketrans("", "", " -\t\r\n")


class CodeError(ValueError):
    """The text is not a well-formed device code (wrong length, symbol or check)."""

    def __init__(self, template: str, **params: Any) -> None:
        self.message = Message(template, params)
        super().__init__(str(self.message))


def _luhn_sum(values: Iterable[int], *, double_first: bool) -> int:
    total = 0
    double = double_first
    for value in values:
        addend = value * 2 if double else value
        total += addend // BASE + addend % BASE
        double = not double
    return total


def check_symbol(data: str) -> str:
    """The Luhn mod 32 check symbol for `data` (already normalised)."""
    total = _luhn_sum((_VALUE[ch] for ch in reversed(data)), double_first=True)
    return ALPHABET[(BASE - total % BASE) % BASE]


def normalise(text: str) -> str:
    """Canonical form of what a person or a scanner typed: upper case, no separators."""
    return text.translate(_IGNORED).upper().translate(_ALIASES)


def is_valid(text: str) -> bool:
    """True when `text` reads as a well-formed code whose check symbol matches."""
    try:
        parse(text)
    except CodeError:
        return False
    return True


def parse(text: str) -> str:
    """Return the canonical code for `text`, or raise CodeError saying what is wrong."""
    code = normalise(text)
    if len(code) != LENGTH:
        raise CodeError(
            N_("a device code has %(expected)s characters, not %(length)s"),
            expected=LENGTH,
            length=len(code),
        )
    return _checked(code, N_("“%(symbol)s” cannot appear in a device code"))


def _checked(code: str, bad_symbol: str) -> str:
    """`code` if all its symbols are of the alphabet and its check symbol matches, else
    CodeError (`bad_symbol` names the kind of code): device and location codes alike."""
    bad = [ch for ch in code if ch not in _VALUE]
    if bad:
        raise CodeError(bad_symbol, symbol=bad[0])
    if _luhn_sum((_VALUE[ch] for ch in reversed(code)), double_first=False) % BASE:
        raise CodeError(N_("the check character does not match: the code was mistyped"))
    return code


def _random_symbols(count: int) -> str:
    """`count` random symbols followed by their check symbol."""
    bits = secrets.randbits(5 * count)  # one call: imports draw thousands of codes
    data = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(count))
    return data + check_symbol(data)


def new_code() -> str:
    """A fresh random code (canonical form); callers ensure it is not taken yet."""
    return _random_symbols(DATA_LENGTH)


def display(code: str) -> str:
    """The printed form, `XXXX-XXXX`."""
    return f"{code[:4]}-{code[4:]}"


# Location codes: `LOC-` and 4 symbols of the same alphabet, then their check symbol.
# `LOC-XXXXX` is 9 characters, the widest a label's barcode holds (`labels.plan`);
# 32⁴ codes are plenty for an association's shelves and rooms. The dash stays in the
# canonical form, so a location code never reads as the 8 symbols of a device code.
LOCATION_PREFIX = "LOC"
LOCATION_DATA_LENGTH = 4
LOCATION_LENGTH = LOCATION_DATA_LENGTH + 1


_LOCATION_LIKE = re.compile(rf"{LOCATION_PREFIX}[\s-]*\S{{1,8}}", re.IGNORECASE)


def looks_like_location(text: str) -> bool:
    """True when `text` reads as a location label, well formed or not: `LOC`, a dash or
    not, then one short word (« Local technique » is a name, not a code)."""
    return _LOCATION_LIKE.fullmatch(text.strip()) is not None


def parse_location(text: str) -> str:
    """The canonical `LOC-XXXXX` for `text` (any case, spaces, dash or not), or CodeError."""
    squeezed = text.translate(_IGNORED).upper()
    if not squeezed.startswith(LOCATION_PREFIX):
        raise CodeError(N_("a location code begins with LOC-"))
    code = squeezed[len(LOCATION_PREFIX) :].translate(_ALIASES)
    if len(code) != LOCATION_LENGTH:
        raise CodeError(
            N_("a location code has %(expected)s characters after LOC-, not %(length)s"),
            expected=LOCATION_LENGTH,
            length=len(code),
        )
    checked = _checked(code, N_("“%(symbol)s” cannot appear in a location code"))
    return f"{LOCATION_PREFIX}-{checked}"


def new_location_code() -> str:
    """A fresh random location code, `LOC-XXXXX`; callers ensure it is not taken yet."""
    return f"{LOCATION_PREFIX}-{_random_symbols(LOCATION_DATA_LENGTH)}"
