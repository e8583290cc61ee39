"""The typeface of everything Remise prints (receipts, labels), found once.

DejaVu Sans (Debian's fonts-dejavu-core) covers French and more; Bitstream Vera, which
ships inside reportlab, has the same metrics and is the fallback everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import reportlab

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_VERA = Path(reportlab.__file__).parent / "fonts"
CANDIDATES = (
    (_DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"),
    (_VERA / "Vera.ttf", _VERA / "VeraBd.ttf"),
)
# Stand-ins for characters Vera lacks (DejaVu has them all).
GLYPH_FALLBACKS = {"\u202f": "\u00a0", "\u2009": " ", "\u2212": "-", "\u2011": "-"}


@dataclass(frozen=True)
class FontFiles:
    regular: Path
    bold: Path

    @property
    def is_dejavu(self) -> bool:
        return self.regular.parent == _DEJAVU


@cache
def sans() -> FontFiles:
    """The regular and bold files of the first family installed."""
    for regular, bold in CANDIDATES:
        if regular.exists() and bold.exists():
            return FontFiles(regular, bold)
    raise FileNotFoundError("no usable font: install fonts-dejavu-core")  # reportlab ships Vera
