"""What every PDF Remise prints shares (receipts, certificates): pages that know their
count, and text made drawable in the font at hand."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from remise.fonts import GLYPH_FALLBACKS


class NumberedCanvas(Canvas):
    """Holds every page back until the end, so each footer can say "Page N / M"."""

    def __init__(self, *args: Any, footer: Callable[[Canvas, int, int], None], **kw: Any):
        super().__init__(*args, **kw)
        self._footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(self, number, total)
            super().showPage()
        super().save()


def printable(text: str, glyphs: frozenset[str]) -> str:
    """`text` with every character the font (whose `glyphs` these are) cannot draw replaced
    by a stand-in: a near glyph, the letter without its accent, else "?"."""
    if glyphs.issuperset(text):
        return text
    return "".join(ch if ch in glyphs else _stand_in(ch, glyphs) for ch in text)


def _stand_in(char: str, glyphs: frozenset[str]) -> str:
    if char == "\n":
        return char
    substitute = GLYPH_FALLBACKS.get(char)
    if substitute is None:  # "ř" → "r"; letters that do not decompose end as "?"
        decomposed = unicodedata.normalize("NFKD", char)
        substitute = "".join(c for c in decomposed if not unicodedata.combining(c))
    return substitute if substitute and glyphs.issuperset(substitute) else "?"
