"""The receipt's long device table, laid out a page at a time, and its page-numbering canvas."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    Flowable,
    Paragraph,
    Table,
)

from intake.receipt_style import (
    CELL_PADDING,
    CONTENT_HEIGHT,
    CONTENT_WIDTH,
    DEVICE_COLUMNS,
    DEVICE_STYLE,
    DEVICE_WIDTHS,
    FONT,
    SIZE_TABLE,
    STYLE_CELL,
)


class DeviceRows:
    """The device table's texts; each distinct text is measured once (batches repeat models)."""

    def __init__(self, texts: list[tuple[str, ...]]) -> None:
        self.texts = texts
        self.header = [label for label, _ in DEVICE_COLUMNS]
        self.header_height = STYLE_CELL.leading + 2 * CELL_PADDING
        self._cache: dict[tuple[str, float], tuple[str | Paragraph, float]] = {}

    def height(self, index: int) -> float:
        return 2 * CELL_PADDING + max(height for _, height in self.cells(index))

    def cells(self, index: int) -> list[tuple[str | Paragraph, float]]:
        """Each cell of row `index` and its height."""
        pairs = zip(self.texts[index], DEVICE_WIDTHS, strict=True)
        return [self._cell(text, width) for text, width in pairs]

    def _cell(self, text: str, width: float) -> tuple[str | Paragraph, float]:
        """`text` as a plain string if it fits on one line, else as a Paragraph; its height.

        Paragraphs are shared by the cells with the same text: a Table wraps each cell
        just before drawing it, so sharing is safe, and parsing them is what costs.
        """
        key = (text, width)
        if key not in self._cache:
            inner = width - 2 * CELL_PADDING
            if pdfmetrics.stringWidth(text, FONT, SIZE_TABLE) <= inner:
                self._cache[key] = (text, STYLE_CELL.leading)
            else:
                paragraph = Paragraph(escape(text), STYLE_CELL)
                self._cache[key] = (paragraph, paragraph.wrap(inner, CONTENT_HEIGHT)[1])
        return self._cache[key]


class PagedTable(Flowable):
    """The device table from row `start` on, laid out one page at a time.

    reportlab's Table (and LongTable, whose shortcut only works with row spans) measures
    all remaining rows at every page break: quadratic, minutes for 50,000 devices. This
    measures only the rows that fit and hands them to a Table with fixed row heights.
    """

    def __init__(self, rows: DeviceRows, start: int = 0) -> None:
        super().__init__()
        self._rows, self._start = rows, start
        self._measured: tuple[float, list[float]] = (-1.0, [])

    def _heights(self, avail_height: float) -> list[float]:
        """Heights of the header and of the rows that fit in `avail_height`, plus one more."""
        if self._measured[0] != avail_height:
            heights, used = [self._rows.header_height], self._rows.header_height
            for index in range(self._start, len(self._rows.texts)):
                heights.append(self._rows.height(index))
                used += heights[-1]
                if used > avail_height:
                    break
            self._measured = (avail_height, heights)
        return self._measured[1]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return CONTENT_WIDTH, sum(self._heights(availHeight))

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        heights = self._heights(availHeight)
        if sum(heights) > availHeight:
            heights = heights[:-1]  # without the row that overflows
        end = self._start + len(heights) - 1
        if end == self._start:
            return []  # not even one row: the frame moves on to the next page
        rest = [PagedTable(self._rows, end)] if end < len(self._rows.texts) else []
        return [self._table(heights), *rest]

    def draw(self) -> None:
        heights = self._heights(self._measured[0])
        table = self._table(heights)
        table.wrapOn(self.canv, CONTENT_WIDTH, sum(heights))
        table.drawOn(self.canv, 0, 0)

    def _table(self, heights: list[float]) -> Table:
        end = self._start + len(heights) - 1
        cells = [[cell for cell, _ in self._rows.cells(i)] for i in range(self._start, end)]
        return Table(
            [self._rows.header, *cells], colWidths=DEVICE_WIDTHS, rowHeights=heights,
            style=DEVICE_STYLE, repeatRows=1,
        )  # fmt: skip
