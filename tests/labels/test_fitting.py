"""Text fitting as a table of cases, with an additive measure: one unit a character."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labels import fit


def chars(text: str, bold: bool, size: float) -> float:
    return len(text) * size * (1.1 if bold else 1.0)


def width_of(text: str) -> float:
    return float(len(text))


def fits(limit: float) -> Callable[[str], bool]:
    return lambda text: len(text) <= limit


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("", 10, []),
        ("one", 10, ["one"]),
        ("one two three", 7, ["one two", "three"]),
        ("one two three", 13, ["one two three"]),
        ("  spaced   out  ", 20, ["spaced out"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),  # an unbreakable word is cut
        ("a abcdefgh b", 4, ["a", "abcd", "efgh", "b"]),
    ],
)
def test_wrap(text: str, width: float, lines: list[str]) -> None:
    assert fit.wrap(text, width, width_of) == lines


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("a little too long", 10, "a little…"),
        ("abcdef", 1, "…"),
        ("abcdef", 0, "…"),  # nothing fits: the ellipsis alone says text was there
    ],
)
def test_ellipsise(text: str, limit: float, expected: str) -> None:
    assert fit.ellipsise(text, fits(limit)) == expected


@pytest.mark.parametrize(
    ("largest", "smallest", "step", "sizes"),
    [
        (9, 6, 1, [9, 8, 7, 6]),
        (9, 6, 0.5, [9, 8.5, 8, 7.5, 7, 6.5, 6]),
        (9, 6.2, 1, [9, 8, 7, 6.2]),
        (6, 6, 1, [6]),
    ],
)
def test_sizes_between(largest: float, smallest: float, step: float, sizes: list[float]) -> None:
    assert fit.sizes_between(largest, smallest, step) == pytest.approx(sizes)


def test_block_keeps_the_largest_size_that_fits() -> None:
    items = [fit.Item("Lenovo ThinkPad", bold=True, max_lines=2), fit.Item("Laptop")]
    lines = fit.fit_block(items, width=40, height=100, sizes=[4, 3, 2, 1], measure=chars)
    assert [line.size for line in lines] == [4, 4, 4]  # the headline takes its second line
    assert [line.text for line in lines] == ["Lenovo", "ThinkPad", "Laptop"]


def test_block_shrinks_when_lines_run_out() -> None:
    items = [fit.Item("Lenovo ThinkPad", bold=True, max_lines=1), fit.Item("Laptop")]
    lines = fit.fit_block(items, width=40, height=100, sizes=[4, 3, 2, 1], measure=chars)
    assert [line.size for line in lines] == [2, 2]  # 15 bold chars: 66 at 4, 49.5 at 3, 33 at 2


def test_block_ellipsises_then_drops_the_least_kept_item() -> None:
    items = [
        fit.Item("a very long headline that needs many lines", max_lines=2, keep=3),
        fit.Item("detail that can go", keep=1),
        fit.Item("Grade A", keep=2),
    ]
    lines = fit.fit_block(items, width=20, height=3 * fit.line_pitch(1), sizes=[1], measure=chars)
    assert [line.text for line in lines] == [
        "a very long headline",
        "that needs many lin…",
        "Grade A",
    ]


def test_block_with_no_room_is_empty() -> None:
    lines = fit.fit_block([fit.Item("text")], width=50, height=0.5, sizes=[1], measure=chars)
    assert lines == []


@given(
    texts=st.lists(st.text(min_size=0, max_size=120), min_size=1, max_size=4),
    width=st.floats(min_value=1, max_value=200),
    height=st.floats(min_value=0, max_value=60),
    max_lines=st.integers(min_value=1, max_value=3),
)
def test_block_never_leaves_its_box(
    texts: list[str], width: float, height: float, max_lines: int
) -> None:
    items = [fit.Item(t, max_lines=max_lines, keep=i) for i, t in enumerate(texts)]
    lines = fit.fit_block(items, width=width, height=height, sizes=[3, 2, 1], measure=chars)
    for line in lines:
        assert line.width <= width + 1e-9
    assert sum(fit.line_pitch(line.size) for line in lines) <= height + 1e-9
