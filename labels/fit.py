"""Fitting text into a box: shrink, wrap, then ellipsise. Pure; widths come from `measure`.

`measure(text, bold, size)` answers the advance width of `text` at em size `size`, in
the same unit as the box (printer dots for raster labels, points for PDF), so that a
line is accepted only if the renderer that draws it says it fits. Widths add up (the
width of "ab" is that of "a" plus that of "b"): both renderers set text without
kerning, and wrapping measures each word once instead of every candidate line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

Measure = Callable[[str, bool, float], float]
ELLIPSIS = "…"


@dataclass(frozen=True)
class Item:
    """A piece of text to place: at most `max_lines` lines; lower `keep` is dropped first."""

    text: str
    bold: bool = False
    max_lines: int = 1
    keep: int = 1


@dataclass(frozen=True)
class Line:
    text: str
    bold: bool
    size: float
    width: float


def _break_word(word: str, width: float, fits: Callable[[str], bool]) -> list[str]:
    """Cut a word wider than the box into pieces that fit (serial numbers have no spaces)."""
    pieces, current = [], ""
    for char in word:
        if current and not fits(current + char):
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current] if current else pieces


def wrap(text: str, width: float, length: Callable[[str], float]) -> list[str]:
    """Greedy word wrap of `text` into lines no wider than `width` (`length` adds up)."""

    def fits(candidate: str) -> bool:
        return length(candidate) <= width

    lines: list[str] = []
    current, used, space = "", 0.0, length(" ")
    for word in text.split():
        size = length(word)
        if current and used + space + size <= width:
            current, used = f"{current} {word}", used + space + size
            continue
        if current:
            lines.append(current)
        pieces = _break_word(word, width, fits) if size > width else [word]
        lines.extend(pieces[:-1])
        current = pieces[-1]
        used = length(current)
    return [*lines, current] if current else lines


def ellipsise(text: str, fits: Callable[[str], bool]) -> str:
    """`text` cut and ended with an ellipsis so that it fits (or just the ellipsis)."""
    if fits(text):
        return text
    low, high = 0, len(text)  # the longest prefix whose ellipsised form fits
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + ELLIPSIS):
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


@lru_cache(maxsize=8192)
def lines_of(
    item: Item, width: float, size: float, measure: Measure, *, cut: bool
) -> tuple[Line, ...] | None:
    """The lines of `item` at `size`: None if it needs more than its lines and not `cut`.

    Cached: the labels of a batch repeat the same brands, models and donors.
    """

    def length(candidate: str) -> float:
        return measure(candidate, item.bold, size)

    def fits(candidate: str) -> bool:
        return length(candidate) <= width

    def placed(texts: list[str]) -> tuple[Line, ...]:
        return tuple(Line(t, item.bold, size, length(t)) for t in texts)

    lines = wrap(item.text, width, length)
    if len(lines) <= item.max_lines and all(fits(line) for line in lines):
        return placed(lines)
    if not cut:
        return None
    kept = lines[: item.max_lines]
    rest = " ".join([kept[-1], *lines[item.max_lines :]]) if kept else ""
    # A glyph wider than the box (a huge size, a tiny label) cannot be wrapped: its line
    # is ellipsised, and dropped if even the ellipsis does not fit.
    cut_lines = [ellipsise(line, fits) for line in [*kept[:-1], rest]]
    return placed([line for line in cut_lines if fits(line)])


def line_pitch(size: float) -> float:
    """Baseline-to-baseline distance for text of em size `size` (DejaVu's own line gap)."""
    return size * 1.17


def _place(
    items: Sequence[Item], width: float, size: float, measure: Measure, *, cut: bool
) -> list[Line] | None:
    placed: list[Line] = []
    for item in items:
        lines = lines_of(item, width, size, measure, cut=cut)
        if lines is None:  # only when not cutting: the item needs more room
            return None
        placed += lines
    return placed


def fit_block(
    items: Sequence[Item],
    *,
    width: float,
    height: float,
    sizes: Sequence[float],
    measure: Measure,
) -> list[Line]:
    """Lines for `items` inside `width` × `height`, at the largest of `sizes` that fits.

    `sizes` go from largest to smallest. If nothing fits whole at the smallest size,
    long items are ellipsised and, if still too tall, the items with the lowest `keep`
    are dropped; the answer may then be empty, never wider or taller than the box.
    """
    items = [i for i in items if i.text.strip()]

    def whole(size: float) -> list[Line] | None:
        lines = _place(items, width, size, measure, cut=False)
        return lines if lines is not None and len(lines) * line_pitch(size) <= height else None

    if (lines := whole(sizes[0])) is not None:
        return lines
    # Smaller text never needs more room, so the largest size that fits is found by
    # bisection: a label tries three sizes instead of every one.
    low, high, best = 1, len(sizes) - 1, None
    while low <= high:
        middle = (low + high) // 2
        if (lines := whole(sizes[middle])) is not None:
            best, high = lines, middle - 1
        else:
            low = middle + 1
    if best is not None:
        return best
    smallest = sizes[-1]
    room = max(0, int(height // line_pitch(smallest)))
    kept = list(items)
    while kept:
        lines = _place(kept, width, smallest, measure, cut=True) or []
        if len(lines) <= room:
            return lines
        if len(kept) == 1:  # the last item left: as many of its lines as there is room for
            only = replace(kept[0], max_lines=room)
            return (_place([only], width, smallest, measure, cut=True) or []) if room else []
        kept.remove(min(kept, key=lambda i: i.keep))
    return []


def sizes_between(largest: float, smallest: float, step: float) -> list[float]:
    """`largest`, `largest - step`, … down to `smallest` included."""
    count = int((largest - smallest) / step + 1e-9)
    return [largest - i * step for i in range(count + 1)] + (
        [smallest] if largest - count * step > smallest + 1e-9 else []
    )
