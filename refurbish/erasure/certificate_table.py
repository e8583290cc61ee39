"""The certificate's media table, laid out a page at a time, and its page-numbering canvas.

A batch certificate may list a thousand devices and three times as many media. reportlab's
Table measures every remaining row at each page break (quadratic), and Paragraph cells are
slow to parse: here each cell is plain text, wrapped once by string widths, and the table is
cut into one fixed-height Table per page, with the header on each. A page never ends on a
device's title alone; one that starts inside a device's media repeats its title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Table, TableStyle

from refurbish.erasure.certificate_style import (
    ACCENT,
    CELL_PADDING,
    CONTENT_WIDTH,
    DEVICE_BG,
    FONT,
    FONT_BOLD,
    MAX_CELL_CHARS,
    MEDIA_STYLE,
    MEDIA_WIDTHS,
    RESULT_COLUMN,
    SIZE_TABLE,
    STATUS_INK,
    TABLE_LEADING,
)


@dataclass(frozen=True)
class MediumLine:
    """One medium's cells, in MEDIA_COLUMNS order, and its status (passed, failed…)."""

    cells: tuple[str, ...]
    status: str | None


@dataclass(frozen=True)
class DeviceBlock:
    """A device: its one-line description (spanning the table), then its media."""

    title: str
    media: Sequence[MediumLine]


@dataclass(frozen=True)
class _Row:
    cells: tuple[str, ...]  # wrapped: lines joined by "\n"
    height: float
    device: bool
    status: str | None


class Wrapper:
    """Plain-text wrapping by string widths; each distinct text is wrapped once."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, float, str], str] = {}

    def __call__(self, text: str, width: float, font: str = FONT) -> str:
        key = (text, width, font)
        if key not in self._cache:
            inner = width - 2 * CELL_PADDING
            lines = [line for part in text.split("\n") for line in _wrap(part, inner, font)]
            self._cache[key] = "\n".join(lines)
        return self._cache[key]


def _wrap(text: str, width: float, font: str) -> list[str]:
    """`text` cut into lines no wider than `width`: at spaces, else inside a long word."""
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    measure = pdfmetrics.stringWidth
    if measure(text, font, SIZE_TABLE) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if measure(candidate, font, SIZE_TABLE) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while measure(line, font, SIZE_TABLE) > width and len(line) > 1:
            cut = _longest_prefix(line, width, font)
            lines.append(line[:cut])
            line = line[cut:]
    return [*lines, line] if line else lines


def _longest_prefix(word: str, width: float, font: str) -> int:
    cut = len(word) - 1
    while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, SIZE_TABLE) > width:
        cut -= 1
    return cut


class MediaRows:
    """The table's rows, wrapped and measured, with running heights for quick page cuts."""

    def __init__(self, header: Sequence[str], blocks: Sequence[DeviceBlock], continued: str):
        self._wrap = wrap = Wrapper()
        self._continued = continued
        self.header = self._row(
            tuple(wrap(h, w, FONT_BOLD) for h, w in zip(header, MEDIA_WIDTHS, strict=True))
        )
        rows: list[_Row] = []
        self.block_of: list[int] = []  # for each row, the index of its device's title row
        for block in blocks:
            rows.append(self._title(block.title))
            for medium in block.media:
                pairs = zip(medium.cells, MEDIA_WIDTHS, strict=True)
                cells = tuple(wrap(text, width) for text, width in pairs)
                rows.append(self._row(cells, status=medium.status))
            self.block_of += [len(rows) - len(block.media) - 1] * (len(block.media) + 1)
        self.rows = rows
        self.ends = [0.0, *accumulate(row.height for row in rows)]  # ends[i]: rows before i

    def _title(self, text: str) -> _Row:
        return self._row((self._wrap(text, CONTENT_WIDTH, FONT_BOLD),), device=True)

    def continued(self, index: int) -> _Row:
        """The title row that opens a page in the middle of row `index`'s device."""
        title = self.rows[self.block_of[index]]
        text = title.cells[0].replace("\n", " ")
        return self._title(f"{text} {self._continued}")

    @staticmethod
    def _row(cells: tuple[str, ...], device: bool = False, status: str | None = None) -> _Row:
        lines = max(cell.count("\n") + 1 for cell in cells)
        return _Row(cells, lines * TABLE_LEADING + 2 * CELL_PADDING, device, status)

    def height(self, start: int, end: int) -> float:
        return self.header.height + self.ends[end] - self.ends[start]


class MediaTable(Flowable):
    """Rows `start` to `end` (None: to the last) of the media table, header first; a page
    that starts inside a device's media repeats its title, marked as continued."""

    def __init__(self, rows: MediaRows, start: int = 0, end: int | None = None) -> None:
        super().__init__()
        self._rows, self._start = rows, start
        self._end = len(rows.rows) if end is None else end
        self._lead = None if rows.rows[start].device else rows.continued(start)

    def _height(self, end: int) -> float:
        lead = self._lead.height if self._lead else 0.0
        return lead + self._rows.height(self._start, end)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return CONTENT_WIDTH, self._height(self._end)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        end = self._start
        while end < self._end and self._height(end + 1) <= availHeight:
            end += 1
        if end == self._end:
            return [self]
        cut = self._cut(end)
        if cut <= self._start:
            return []  # not even a device's title and first medium: on to the next page
        return [MediaTable(self._rows, self._start, cut), MediaTable(self._rows, cut, self._end)]

    def _cut(self, end: int) -> int:
        """Where the page ends: before a device, or inside one once its title and a first
        medium are on the page (a lone title at the foot of a page says nothing)."""
        rows = self._rows
        if rows.rows[end].device:
            return end
        first = max(rows.block_of[end], self._start)  # the device's first row on this page
        needed = 2 if rows.rows[first].device else 1
        return end if end - first >= needed else first

    def draw(self) -> None:
        table = self._table()
        table.wrapOn(self.canv, CONTENT_WIDTH, self._height(self._end))
        table.drawOn(self.canv, 0, 0)

    def _table(self) -> Table:
        chosen = [
            *([self._lead] if self._lead else []),
            *self._rows.rows[self._start : self._end],
        ]
        style = TableStyle(MEDIA_STYLE)
        data: list[list[str]] = [list(self._rows.header.cells)]
        for index, row in enumerate(chosen, start=1):
            if row.device:
                data.append([*row.cells, *[""] * (len(MEDIA_WIDTHS) - 1)])
                style.add("SPAN", (0, index), (-1, index))
                style.add("BACKGROUND", (0, index), (-1, index), DEVICE_BG)
                style.add("FONT", (0, index), (-1, index), FONT_BOLD, SIZE_TABLE, TABLE_LEADING)
                style.add("TEXTCOLOR", (0, index), (-1, index), ACCENT)
                continue
            data.append(list(row.cells))
            ink = STATUS_INK.get(row.status or "")
            if ink is not None:
                result = (RESULT_COLUMN, index)
                style.add("TEXTCOLOR", result, result, ink)
                style.add("FONT", result, result, FONT_BOLD, SIZE_TABLE, TABLE_LEADING)
        heights = [self._rows.header.height, *(row.height for row in chosen)]
        return Table(data, colWidths=MEDIA_WIDTHS, rowHeights=heights, style=style)
