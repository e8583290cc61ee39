"""A table as a CSV or an XLSX download, every cell formula-safe (`remise.spreadsheet`).

For any page that shows a table and offers it as a file: the dashboard's panels, the
inventory search. `headers` is the first row, `rows` the others, each a sequence of
cells: text, numbers (`int`, `float`, `Decimal`, kept as numbers), dates, `None`.

The CSV is `;`-separated UTF-8 with a BOM and CRLF line ends, as French Excel opens it
by double click, sent a few hundred rows at a time. The XLSX is built in memory by
openpyxl's write-only workbook (one row at a time, no cell objects kept).

The request's session ends before the response is sent (`remise.deps`): pass rows
already read (a list, or a generator over fetched results), never a lazy query.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum

from fastapi.responses import Response, StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet as Worksheet

from remise.spreadsheet import csv_writer, neutralise

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS_PER_CHUNK = 500
SHEET_TITLE_MAX = 31  # Excel refuses a longer sheet name
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Cell = object
Row = Sequence[Cell]


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Row]) -> Response:
    """The table as a `;` CSV download named `filename` (`.csv` added if missing)."""
    return StreamingResponse(
        csv_chunks(headers, rows),
        media_type=CSV_MEDIA_TYPE,
        headers=_attachment(filename, ".csv"),
    )


def xlsx_response(
    filename: str, headers: Sequence[str], rows: Iterable[Row], sheet: str = "Export"
) -> Response:
    """The table as an XLSX download named `filename` (`.xlsx` added if missing): one
    sheet titled `sheet`, the headers in bold, numbers as numbers, text formula-safe."""
    return Response(
        xlsx_bytes(headers, rows, sheet=sheet),
        media_type=XLSX_MEDIA_TYPE,
        headers=_attachment(filename, ".xlsx"),
    )


def csv_chunks(
    headers: Sequence[str], rows: Iterable[Row], *, rows_per_chunk: int = ROWS_PER_CHUNK
) -> Iterator[bytes]:
    """The CSV's bytes, a BOM first, then `rows_per_chunk` rows at a time."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv_writer(buffer)
    writer.writerow(headers)
    for count, row in enumerate(rows, start=1):
        writer.writerow(_csv_cell(cell) for cell in row)
        if count % rows_per_chunk == 0:
            yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Row], *, sheet: str = "Export") -> bytes:
    """The workbook's bytes: one write-only sheet, headers then rows."""
    book = Workbook(write_only=True)
    page = book.create_sheet(title=sheet_title(sheet))
    bold = Font(bold=True)
    page.append([_header_cell(page, text, bold) for text in headers])
    for row in rows:
        page.append([_xlsx_cell(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_title(text: str) -> str:
    """`text` as Excel accepts a sheet name: no `[]:*?/\\`, at most 31 characters."""
    title = _SHEET_FORBIDDEN.sub("-", text).strip("'") or "Export"
    return title[:SHEET_TITLE_MAX]


def safe_filename(filename: str, suffix: str) -> str:
    """`filename` reduced to `A-Z a-z 0-9 . _ -`, ending in `suffix`."""
    stem = filename.removesuffix(suffix)
    stem = _FILENAME_UNSAFE.sub("-", stem).strip(".-") or "export"
    return stem + suffix


def _attachment(filename: str, suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{safe_filename(filename, suffix)}"'}


def _plain(cell: Cell) -> Cell:
    """A cell as both formats hold it: enums by value, aware datetimes in naive UTC."""
    if isinstance(cell, Enum):
        return cell.value
    if isinstance(cell, datetime) and cell.tzinfo is not None:
        return cell.astimezone(UTC).replace(tzinfo=None)
    return cell


def _csv_cell(cell: Cell) -> Cell:
    cell = _plain(cell)
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ", timespec="seconds")
    if isinstance(cell, date | time):
        return cell.isoformat()
    return cell


def _xlsx_cell(cell: Cell) -> Cell:
    cell = _plain(cell)
    if cell is None or isinstance(cell, int | float | Decimal | bool | date | time):
        return cell
    # Control characters make openpyxl refuse the whole workbook: drop them.
    text = ILLEGAL_CHARACTERS_RE.sub("", str(cell))
    return neutralise(text)


def _header_cell(page: Worksheet, text: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(page, value=_xlsx_cell(text))
    cell.font = font
    return cell


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")
