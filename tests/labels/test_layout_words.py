"""How a print form words a label layout's size, in French and in English, and how
numbers read in each language (`remise.i18n.number`, which the wording uses)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.numbers import format_decimal

from labels import layouts
from labels.web import layout_size
from remise.i18n import number

BUILTIN = layouts.builtin()


@pytest.mark.parametrize(
    ("name", "locale", "words"),
    [
        ("a4-3x8", "fr", "3 × 8 étiquettes de 70 × 37 mm (Herma 4453, Avery 3484 ou compatible)"),
        ("a4-3x8", "en", "3 × 8 labels of 70 × 37 mm (Herma 4453, Avery 3484 or compatible)"),
        ("a4-2x7", "fr", "2 × 7 étiquettes de 99,1 × 38,1 mm (Avery L7163 ou compatible)"),
        ("a4-2x7", "en", "2 × 7 labels of 99.1 × 38.1 mm (Avery L7163 or compatible)"),
        ("thermal-62mm", "fr", "62 × 30 mm, 300 ppp (Brother QL, DK-22205)"),
        ("thermal-62mm", "en", "62 × 30 mm, 300 dpi (Brother QL, DK-22205)"),
        ("thermal-62x29mm", "fr", "62 × 29 mm, 300 ppp (Brother QL, DK-11209)"),
        ("thermal-50x25mm", "fr", "50 × 25 mm, 203 ppp (Zebra ou compatible)"),
        ("thermal-50x25mm", "en", "50 × 25 mm, 203 dpi (Zebra or compatible)"),
    ],
)
def test_a_builtin_layout_is_worded_in_the_page_language(
    name: str, locale: str, words: str
) -> None:
    assert layout_size(BUILTIN[name], locale) == words


def test_every_builtin_layout_is_worded_differently_in_each_language() -> None:
    for layout in BUILTIN.values():
        french, english = layout_size(layout, "fr"), layout_size(layout, "en")
        assert french != english, layout.name
        assert layout.description in french and layout.description in english


WORKSHOP = """
[dymo-54x25mm]
description = "Dymo 11352"
or_compatible = true
kind = "thermal"
width_mm = 54.5
height_mm = 25
dpi = 300

[brother-plain]
kind = "thermal"
width_mm = 62
height_mm = 100
dpi = 300

[sheet-odd]
description = "Agipa 119480"
kind = "sheet"
columns = 2
rows = 5
width_mm = 105
height_mm = 57.5
pitch_x_mm = 105
pitch_y_mm = 57.5
dpi = 300
"""


@pytest.fixture
def workshop(tmp_path: Path) -> dict[str, layouts.Layout]:
    path = tmp_path / "label-layouts.toml"
    path.write_text(WORKSHOP, encoding="utf-8")
    return layouts.load(path)


@pytest.mark.parametrize(
    ("name", "locale", "words"),
    [
        ("dymo-54x25mm", "fr", "54,5 × 25 mm, 300 ppp (Dymo 11352 ou compatible)"),
        ("dymo-54x25mm", "en", "54.5 × 25 mm, 300 dpi (Dymo 11352 or compatible)"),
        ("brother-plain", "fr", "62 × 100 mm, 300 ppp"),  # no description: no brackets
        ("sheet-odd", "fr", "2 × 5 étiquettes de 105 × 57,5 mm (Agipa 119480)"),
        ("sheet-odd", "en", "2 × 5 labels of 105 × 57.5 mm (Agipa 119480)"),
    ],
)
def test_a_workshop_layout_is_worded_the_same_way(
    workshop: dict[str, layouts.Layout], name: str, locale: str, words: str
) -> None:
    assert layout_size(workshop[name], locale) == words


def test_a_changed_workshop_layout_gets_its_new_wording(tmp_path: Path) -> None:
    """The wording is remembered per layout: a layout edited in the workshop's file is
    another layout, worded anew."""
    path = tmp_path / "label-layouts.toml"
    path.write_text(WORKSHOP, encoding="utf-8")
    before = layout_size(layouts.load(path)["dymo-54x25mm"], "fr")
    path.write_text(WORKSHOP.replace("Dymo 11352", "Dymo 99010"), encoding="utf-8")
    after = layout_size(layouts.load(path)["dymo-54x25mm"], "fr")
    assert "Dymo 11352" in before and "Dymo 99010" in after


def test_a_decimal_reads_with_a_comma_in_french() -> None:
    assert number("fr", 1.5) == "1,5"
    assert number("en", 1.5) == "1.5"
    assert number("fr", "85.5") == "85,5"  # a measure as stored


@pytest.mark.parametrize("value", [1, 1.0, "1.0", 99.1, "38.10", 0.25, 1234567, 1234567.5])
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_a_number_reads_as_babel_writes_it_with_every_decimal(
    locale: str, value: float | int | str
) -> None:
    assert number(locale, value) == format_decimal(value, locale=locale, decimal_quantization=False)


def test_equal_numbers_of_other_types_are_not_mixed_up() -> None:
    """1, 1.0 and "1.0" are equal or alike for a cache; each reads as babel reads it."""
    for value in (1, 1.0, "1.0", "1", 1.5, "1.50"):
        expected = format_decimal(value, locale="fr", decimal_quantization=False)
        assert number("fr", value) == expected, repr(value)


def test_a_large_number_gets_french_grouping() -> None:
    assert number("fr", 1234567) == "1\u202f234\u202f567"  # narrow no-break spaces
    assert number("en", 1234567) == "1,234,567"


def test_zero_reads_as_zero_after_minus_zero() -> None:
    # German: no other test formats a number in it, so the order here is the first one.
    assert number("de", -0.0) == format_decimal(-0.0, locale="de", decimal_quantization=False)
    assert number("de", 0.0) == format_decimal(0.0, locale="de", decimal_quantization=False)
