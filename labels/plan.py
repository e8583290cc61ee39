"""Where each bar and line of a label goes: one plan, drawn by every renderer.

A plan is computed in the renderer's unit (printer dots for PNG and ZPL, points for
PDF) with that renderer's own text measure, so what is checked to fit is what is
drawn. Bars are a whole number of printer dots wide and keep Code 128's quiet zone of
ten modules on each side; text is shrunk, wrapped, then ellipsised (`labels.fit`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from barcode.codex import Code128

from db.errors import N_, Invalid, Message
from labels import fit
from labels.content import LabelContent

QUIET_MODULES = 10  # Code 128's minimum quiet zone, in modules, on each side
# Widest 8-character device code: start, 8 symbols, one subset switch, check (11 modules
# each), stop (13). Every label of a layout gets the same bar width, whatever its code.
MAX_MODULES = 11 * 11 + 13
ASCENT, DESCENT = 0.928, 0.236  # DejaVu Sans / Vera, in ems
GAP_MM = 0.8
SIZE_STEP_PT = 0.5


class LayoutTooSmall(Invalid):
    code = "label_layout_too_small"
    message = N_("The label format “%(name)s” is too small for %(what)s.")


@dataclass(frozen=True)
class Bars:
    x: float  # left edge of the first bar
    y: float  # top of the bars
    module: float  # width of the narrowest bar: a whole number of printer dots
    height: float
    pattern: str  # python-barcode's modules, "1" for a bar

    @property
    def width(self) -> float:
        return len(self.pattern) * self.module

    def runs(self) -> list[tuple[float, float]]:
        """`(left, width)` of each bar, in the plan's unit."""
        x, module = self.x, self.module
        return [(x + start * module, length * module) for start, length in bar_runs(self.pattern)]


@dataclass(frozen=True)
class Text:
    x: float
    baseline: float
    line: fit.Line

    @property
    def top(self) -> float:
        return self.baseline - ASCENT * self.line.size

    @property
    def bottom(self) -> float:
        return self.baseline + DESCENT * self.line.size


@dataclass(frozen=True)
class Plan:
    width: float
    height: float
    bars: Bars
    texts: tuple[Text, ...]


@dataclass(frozen=True)
class Box:
    """A label's geometry in one unit: `per_mm` units a millimetre, `dot` units a dot."""

    name: str
    width: float
    height: float
    per_mm: float
    dot: float
    padding_mm: float
    barcode_mm: float
    max_module_mm: float
    code_pt: float
    text_pt: float
    min_text_pt: float


_BAR = re.compile("1+")


@lru_cache(maxsize=4096)
def bar_runs(pattern: str) -> tuple[tuple[int, int], ...]:
    """`(first module, modules)` of each bar of a pattern."""
    return tuple((m.start(), m.end() - m.start()) for m in _BAR.finditer(pattern))


class Code128Fixed(Code128):
    """python-barcode's Code 128, without the one optimisation that loses data.

    It folds "Start C, Code C" into "Start C" by looking at the second symbol, but
    when a code begins with two digits that symbol is the digit pair itself: "99"
    is value 99, the same as the Code C switch, and "99MK6J8V" came out as
    "MK6J8V". With two leading digits there is nothing to fold.
    """

    def _try_to_optimize(self, encoded: list[int]) -> list[int]:
        if self.code[:2].isdigit():
            return encoded
        optimised: list[int] = super()._try_to_optimize(encoded)
        return optimised


@lru_cache(maxsize=4096)
def pattern_of(code: str) -> str:
    """Code 128 modules of a device code, as python-barcode computes them."""
    return Code128Fixed(code).build()[0]


def _pt(box: Box, points: float) -> float:
    return points * box.per_mm * 25.4 / 72


def _bars(box: Box, pattern: str) -> Bars:
    pad = box.padding_mm * box.per_mm
    inner = box.width - 2 * pad
    fitting_dots = math.floor(inner / ((MAX_MODULES + 2 * QUIET_MODULES) * box.dot) + 1e-9)
    wanted_dots = max(1, math.floor(box.max_module_mm * box.per_mm / box.dot + 1e-9))
    module = min(fitting_dots, wanted_dots) * box.dot
    if module <= 0:
        raise LayoutTooSmall(name=box.name, what=Message(N_("its barcode")))
    left = pad + (inner - len(pattern) * module) / 2
    x = round(left / box.dot) * box.dot  # bars start on a printer dot
    return Bars(x, pad, module, box.barcode_mm * box.per_mm, pattern)


def _code_line(box: Box, display: str, top: float, measure: fit.Measure) -> Text:
    inner = box.width - 2 * box.padding_mm * box.per_mm
    sizes = fit.sizes_between(_pt(box, box.code_pt), _pt(box, box.min_text_pt), _pt(box, 0.5))
    for size in sizes:
        width = measure(display, True, size)
        if width <= inner:
            line = fit.Line(display, True, size, width)
            return Text((box.width - width) / 2, top + ASCENT * size, line)
    raise LayoutTooSmall(name=box.name, what=Message(N_("the device code")))


def _items(content: LabelContent) -> list[fit.Item]:
    return [
        fit.Item(content.headline, bold=True, max_lines=2, keep=3),
        fit.Item(content.detail, max_lines=2, keep=1),
        fit.Item(content.grading or "", bold=True, max_lines=1, keep=2),
        fit.Item(content.grade_words or "", max_lines=2, keep=0),  # dropped first
    ]


def arrange(box: Box, content: LabelContent, measure: fit.Measure) -> Plan:
    """The plan of `content`'s label in `box`; LayoutTooSmall if bars or code cannot fit."""
    pad = box.padding_mm * box.per_mm
    gap = GAP_MM * box.per_mm
    bars = _bars(box, pattern_of(content.code))
    code = _code_line(box, content.code_display, bars.y + bars.height + gap, measure)
    if code.bottom > box.height - pad:
        raise LayoutTooSmall(name=box.name, what=Message(N_("the device code")))
    top = code.bottom + gap
    sizes = fit.sizes_between(
        _pt(box, box.text_pt), _pt(box, box.min_text_pt), _pt(box, SIZE_STEP_PT)
    )
    lines = fit.fit_block(
        _items(content),
        width=box.width - 2 * pad,
        height=box.height - pad - top,
        sizes=sizes,
        measure=measure,
    )
    texts = [code]
    for line in lines:
        baseline = top + ASCENT * line.size
        texts.append(Text(pad, baseline, line))
        top += fit.line_pitch(line.size)
    return Plan(box.width, box.height, bars, tuple(texts))
