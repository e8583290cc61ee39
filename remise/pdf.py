"""What every PDF Remise prints shares (receipts, certificates): pages that know their
count, text made drawable in the font at hand, and French dates and numbers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
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


_SPACES = re.compile(r"[^\S\u00a0\u202f\u2007]+")


def one_line(text: str) -> str:
    """Runs of spaces and newlines made one space; no-break spaces (in « 50,00 € », a
    SIRET, « 10 h 30 ») are kept, where `str.split()` would take them as spaces."""
    return _SPACES.sub(" ", text).strip()


def grouped_siret(siret: str) -> str:
    """73282932000074 → 732 829 320 00074 (no-break spaces); anything else is kept as is."""
    digits = "".join(siret.split())
    if len(digits) != 14 or not digits.isdigit():
        return siret
    return "\u00a0".join((digits[:3], digits[3:6], digits[6:9], digits[9:]))


def french_date(day: date) -> str:
    """2 novembre 2026; the first of the month is "1er", as French usage wants."""
    ordinal = "1er" if day.day == 1 else str(day.day)
    return f"{ordinal} {format_date(day, 'MMMM y', locale='fr_FR')}"


def french_datetime(moment: datetime) -> str:
    """23 novembre 2026 à 10 h 30, in the moment's own time zone."""
    return f"{french_date(moment.date())} à {moment.hour}\u00a0h\u00a0{moment.minute:02d}"
