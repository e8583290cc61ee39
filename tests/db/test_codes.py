"""Device codes: typable, case-insensitive, and a mistyped one never matches."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db import codes

data_strings = st.text(
    alphabet=codes.ALPHABET, min_size=codes.DATA_LENGTH, max_size=codes.DATA_LENGTH
)


def with_check(data: str) -> str:
    return data + codes.check_symbol(data)


def test_new_codes_are_valid_and_distinct() -> None:
    drawn = {codes.new_code() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(codes.is_valid(code) and len(code) == codes.LENGTH for code in drawn)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("K7M2-Q9XS", "K7M2Q9XS"),
        ("k7m2q9xs", "K7M2Q9XS"),
        ("  k7m2 q9xs\n", "K7M2Q9XS"),
        ("1oil-0000", "1011" + "0000"),  # Crockford reads o as 0, i and l as 1
    ],
)
def test_normalise_reads_what_people_and_scanners_type(typed: str, canonical: str) -> None:
    assert codes.normalise(typed) == canonical


@given(data_strings)
def test_every_code_with_its_check_symbol_parses(data: str) -> None:
    code = with_check(data)
    assert codes.parse(code.lower()) == code
    assert codes.parse(codes.display(code)) == code


@given(data_strings, st.integers(0, codes.LENGTH - 1), st.sampled_from(codes.ALPHABET))
def test_any_single_mistyped_symbol_is_rejected(data: str, position: int, symbol: str) -> None:
    code = with_check(data)
    typo = code[:position] + symbol + code[position + 1 :]
    if typo != code:
        assert not codes.is_valid(typo)


@given(data_strings, st.integers(0, codes.LENGTH - 2))
def test_swapped_neighbours_are_rejected_except_zero_and_z(data: str, position: int) -> None:
    code = with_check(data)
    a, b = code[position], code[position + 1]
    swapped = code[:position] + b + a + code[position + 2 :]
    if swapped != code and {a, b} != {"0", "Z"}:
        assert not codes.is_valid(swapped)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("K7M2Q9X", "8 characters, not 7"),
        ("K7M2Q9XSS", "8 characters, not 9"),
        ("K7M2Q9XU", "“U” cannot appear"),
        ("K7M2Q9X*", "“\\*” cannot appear"),
        ("", "8 characters, not 0"),
    ],
)
def test_malformed_codes_say_why(typed: str, reason: str) -> None:
    with pytest.raises(codes.CodeError, match=reason):
        codes.parse(typed)


def test_wrong_check_symbol_says_mistyped() -> None:
    code = codes.new_code()
    wrong = code[:-1] + next(s for s in codes.ALPHABET if s != code[-1])
    with pytest.raises(codes.CodeError, match="mistyped"):
        codes.parse(wrong)


def test_display_groups_by_four() -> None:
    assert codes.display("K7M2Q9XS") == "K7M2-Q9XS"
