"""Thermal labels as bilevel PNG at the printer's own resolution, one dot a pixel.

Pillow draws; the PNG file around its pixels is written here. Pillow's own PNG
encoder packs a bilevel image eight pixels a byte in a loop that, measured with
`bench/label_drawing.py`, took more than half of a whole label; its bit-reversed packer
is three times faster, and a byte table puts the bits back in PNG's order. Each row
is drawn after eight black pixels, which pack to the zero byte that PNG wants in
front of every row (filter "None"), so the packed pixels are the image data as is.

Text is set glyph by glyph from a cache of glyphs that Pillow rasterised once per
font and size: a batch of labels repeats the same few dozen characters, and shaping
each line anew cost more than the rest of the label. Lines are measured with the
same advances they are drawn with, so a line that was found to fit is what prints.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from labels import plan
from labels.content import LabelContent
from labels.layouts import ThermalLayout
from remise import fonts


@dataclass(frozen=True)
class Glyph:
    mask: Image.Image | None  # None for blank glyphs (spaces)
    left: int  # mask's offset from the pen position on the baseline
    top: int
    advance: float


@lru_cache(maxsize=256)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    files = fonts.sans()
    return ImageFont.truetype(str(files.bold if bold else files.regular), size)


@lru_cache(maxsize=8192)
def _glyph(char: str, bold: bool, size: int) -> Glyph:
    font = _font(bold, size)
    left, top, right, bottom = font.getbbox(char, anchor="ls")
    advance = font.getlength(char)
    if right <= left or bottom <= top:
        return Glyph(None, 0, 0, advance)
    mask = Image.new("1", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), char, font=font, fill=1, anchor="ls")
    return Glyph(mask, left, top, advance)


class _Advances(dict[str, float]):
    def __init__(self, bold: bool, size: int) -> None:
        super().__init__()
        self.bold, self.size = bold, size

    def __missing__(self, char: str) -> float:
        advance = self[char] = _glyph(char, self.bold, self.size).advance
        return advance


@lru_cache(maxsize=256)
def _advances(bold: bool, size: int) -> _Advances:
    return _Advances(bold, size)


def measure(text: str, bold: bool, size: float) -> float:
    """Advance width in pixels of `text` as `draw` sets it (sizes are whole pixels)."""
    return sum(map(_advances(bold, int(size)).__getitem__, text))


def _set_text(image: Image.Image, text: plan.Text, left: int = 0) -> None:
    pen, baseline = left + text.x, round(text.baseline)
    size = int(text.line.size)
    core = image.im  # the core paste: Image.paste's checks cost more than the copy
    for char in text.line.text:
        glyph = _glyph(char, text.line.bold, size)
        if glyph.mask is not None:
            x, y = round(pen) + glyph.left, baseline + glyph.top
            width, height = glyph.mask.size
            core.paste(0, (x, y, x + width, y + height), glyph.mask.im)
        pen += glyph.advance


def box_of(layout: ThermalLayout) -> plan.Box:
    width, height = layout.size_dots
    return plan.Box(
        name=layout.name,
        width=width,
        height=height,
        per_mm=layout.dots_per_mm,
        dot=1,
        padding_mm=layout.padding_mm,
        barcode_mm=layout.barcode_mm,
        max_module_mm=layout.max_module_mm,
        code_pt=layout.code_pt,
        text_pt=layout.text_pt,
        min_text_pt=layout.min_text_pt,
    )


def arrange(layout: ThermalLayout, content: LabelContent) -> plan.Plan:
    """The label's plan in dots, measured with the glyphs `draw` sets."""
    return plan.arrange(box_of(layout), content, measure)


FILTER_PIXELS = 8  # one packed byte of black pixels before each row: PNG's filter byte 0
_REVERSED_BITS = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# str.translate tables turning "1"/"0" modules into `n` black/white 8-bit pixels.
_MODULES = {n: {ord("1"): "\x00" * n, ord("0"): "\xff" * n} for n in range(1, 65)}


@lru_cache(maxsize=32)
def _blank(size: tuple[int, int]) -> Image.Image:
    """A white canvas `size` big, behind a column of black filter pixels."""
    width, height = size
    canvas = Image.new("1", (FILTER_PIXELS + width, height), 1)
    canvas.paste(0, (0, 0, FILTER_PIXELS, height))
    return canvas


def _bars(bars: plan.Bars) -> Image.Image:
    """The bars as an image: one row of modules, stretched to the bars' height."""
    module = int(bars.module)
    row = bars.pattern.translate(_MODULES[module]).encode("latin-1")
    line = Image.frombytes("L", (len(row), 1), row).convert("1", dither=Image.Dither.NONE)
    return line.resize((len(row), round(bars.height)), Image.Resampling.NEAREST)


def _canvas(label: plan.Plan) -> Image.Image:
    """The plan drawn on a white canvas, after the column of filter pixels."""
    canvas = _blank((int(label.width), int(label.height))).copy()
    canvas.paste(_bars(label.bars), (FILTER_PIXELS + round(label.bars.x), round(label.bars.y)))
    for text in label.texts:
        _set_text(canvas, text, FILTER_PIXELS)
    return canvas


def draw(label: plan.Plan) -> Image.Image:
    """The plan drawn on a white bilevel image."""
    canvas = _canvas(label)
    return canvas.crop((FILTER_PIXELS, 0, canvas.width, canvas.height))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode(canvas: Image.Image, dpi: int) -> bytes:
    """A 1-bit greyscale PNG of a canvas that `_blank` made (filter pixels first)."""
    width, height = canvas.width - FILTER_PIXELS, canvas.height
    rows = canvas.tobytes("raw", "1;R").translate(_REVERSED_BITS)
    per_metre = round(dpi / 0.0254)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            _chunk(b"IDAT", zlib.compress(rows, 1)),
            _chunk(b"IEND", b""),
        )
    )


def render(layout: ThermalLayout, content: LabelContent) -> bytes:
    """A PNG of the label, tagged with the printer's resolution."""
    return encode(_canvas(arrange(layout, content)), layout.dpi)
