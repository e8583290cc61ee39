"""Read a donated batch's asset list, CSV or XLSX, one row at a time.

`open_table` recognises the format by content, decodes CSV (UTF-8 with or without BOM,
else Windows-1252 as French Excel saves it) and guesses its delimiter, finds the header
row under any title rows, maps its columns to canonical fields (`intake.columns`) and
yields the rows numbered as the spreadsheet shows them. Nothing here holds the whole
file in memory, and nothing checks values: that is the intake service's job.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from typing import Any, BinaryIO

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from db.errors import Message
from intake.columns import FIELD_LABELS, field_for
from intake.file_errors import (
    BrokenRow,
    CellTooLong,
    DamagedWorkbook,
    DuplicateColumn,
    EmptyFile,
    NoHeader,
    NotATable,
    NulCharacter,
    OldExcelFile,
    RowTooLong,
)
from intake.file_errors import UnreadableFile as UnreadableFile  # callers catch it here
from intake.workbook_check import check_workbook

HEADER_SEARCH_ROWS = 30  # a header further down is not a header
SAMPLE_CHARS = 16 * 1024  # a hundred lines or so; the sniffer slows down fast past that
CHUNK_BYTES = 64 * 1024
DELIMITERS = ";,\t|"
IDENTIFIERS = frozenset({"serial", "imei"})  # a header has one of these
UNNAMED_COLUMN = "Colonne %d"  # an extra column with an empty header, 1-based

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls, and also any password-protected .xlsx
NOT_TEXT_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # Excel's "Unicode text"


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one asset list may hold; the importer builds it from `Settings`."""

    max_unpacked_mb: int = 200  # an .xlsx's parts, all unpacked (REMISE_MAX_XLSX_UNCOMPRESSED_MB)
    max_ratio: int = 100  # unpacked to packed, for a part over 1 MB (REMISE_MAX_XLSX_RATIO)
    max_cell_chars: int = 32_767  # Excel's own limit for a cell (REMISE_MAX_CELL_CHARS)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One non-blank row below the header, numbered as the spreadsheet shows it."""

    number: int
    values: dict[str, str]  # canonical field -> cell text
    extras: dict[str, str]  # header as written -> cell text, for the other columns


@dataclass(frozen=True)
class TableInfo:
    """How the file was read, to show the volunteer and to keep with the import."""

    format: str
    encoding: str | None
    delimiter: str | None
    header_row: int
    columns: dict[str, str | None]
    sheet: str | None


@dataclass(frozen=True)
class _Layout:
    """Where each column's cells go, worked out once from the header row."""

    number: int
    width: int
    fields: tuple[tuple[int, str], ...]
    extras: tuple[tuple[int, str], ...]
    columns: dict[str, str | None]


Record = tuple[int, Sequence[Any]]
Table = tuple[TableInfo, Iterator[SourceRow]]


@contextmanager
def open_table(
    stream: BinaryIO, filename: str = "", *, limits: Limits = Limits()
) -> Iterator[Table]:
    """The table's description and its rows, read lazily from `stream` (seekable).

    The format is recognised by content; `filename` is not trusted for it. Raises an
    `UnreadableFile` when the file cannot be an asset list or holds more than `limits`
    allow, before any row is read; `BrokenRow`, `CellTooLong`, `NulCharacter` or
    `DamagedWorkbook` can still come while iterating, at the row concerned.
    """
    stream.seek(0)
    head = stream.read(len(ZIP_MAGIC))
    stream.seek(0)
    if not head:
        raise EmptyFile()
    if head.startswith(OLE_MAGIC):
        raise OldExcelFile()
    if head.startswith(NOT_TEXT_MAGIC):
        raise NotATable()
    reader = _open_xlsx if head.startswith(ZIP_MAGIC) else _open_csv
    with reader(stream, limits) as table:
        yield table


# --- CSV -------------------------------------------------------------------------


@contextmanager
def _open_csv(stream: BinaryIO, limits: Limits) -> Iterator[Table]:
    encoding = _encoding(stream)
    # errors="replace": Windows-1252 leaves five bytes undefined; a stray one must not
    # stop the import, the volunteer sees a "�" in that cell instead. newline="": the
    # csv module reads CRLF, LF and old Macs' CR-only ends, and keeps a line break
    # inside a quoted cell as written.
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
    try:
        delimiter = _delimiter(_sample(text))
        lines = _Lines(text)
        # strict: a quote left open would otherwise swallow every row after it, silently.
        # Excel, LibreOffice, GLPI and Snipe-IT all write files that pass.
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        records = _csv_records(reader, lines, limits.max_cell_chars)
        layout = _header([records], str.strip)[1]
        info = TableInfo("csv", encoding, delimiter, layout.number, layout.columns, None)
        yield info, _rows(records, layout, str.strip)
    finally:
        text.detach()  # the caller's stream stays open


def _encoding(stream: BinaryIO) -> str:
    """UTF-8 (with or without BOM) when every byte says so, else Windows-1252."""
    first = stream.read(CHUNK_BYTES)
    stream.seek(0)
    if first.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if first.startswith(UTF16_BOMS):
        return "utf-16"
    if b"\x00" in first:
        raise NotATable()
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: stream.read(CHUNK_BYTES), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        stream.seek(0)
    return "utf-8"


def _sample(text: io.TextIOWrapper) -> str:
    """The first lines of the text, cut after a whole line; the text is rewound."""
    sample = text.read(SAMPLE_CHARS)
    text.seek(0)
    if not sample.strip():
        raise EmptyFile()
    end = max(sample.rfind("\n"), sample.rfind("\r"))
    if len(sample) == SAMPLE_CHARS and end > 0:
        sample = sample[: end + 1]
    return sample


def _delimiter(sample: str) -> str:
    """The first delimiter under which the sample has a header row, trying the sniffer's
    guess first, then the others from the most even split to the least."""
    try:
        ranked = sorted(DELIMITERS, key=lambda sign: _evenness(sample, sign), reverse=True)
        # The sniffer alone is not enough: it prefers "," to ";" when both split every
        # line evenly, as in a French list whose remarks all hold a comma, and it gives
        # up on quoted cells holding line breaks.
        with suppress(csv.Error):
            ranked.insert(0, csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter)
        for delimiter in ranked:
            records = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            if any(_is_header(cells) for cells in islice(records, HEADER_SEARCH_ROWS)):
                return delimiter
    except csv.Error as error:  # the csv module's last word on text it cannot split
        raise NotATable() from error
    return ranked[0]


def _evenness(sample: str, delimiter: str) -> int:
    """How many records of the sample split into the most common number of cells (> 1)."""
    records = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    widths = Counter(len(cells) for cells in records)
    return max((count for width, count in widths.items() if width > 1), default=0)


class _Lines:
    """The text's lines for `csv.reader`, so that no row is held whole past a bound.

    A row is refused (RowTooLong) once it runs over `csv.field_size_limit()` characters,
    however its line breaks fall: no cell can be longer, and the csv module would
    otherwise read a line of a gigabyte whole before looking at it.
    """

    def __init__(self, text: io.TextIOWrapper) -> None:
        self.text = text
        self.limit = csv.field_size_limit()
        self.row = 1  # the record being read, as numbered by `_csv_records`
        self.used = 0  # characters read for it so far

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.limit - self.used + 1)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > self.limit:
            raise RowTooLong(row=self.row, limit=self.limit)
        if "\x00" in line:  # the csv module's own error would blame the quotes
            raise NulCharacter(row=self.row)
        return line

    def next_record(self, number: int) -> None:
        self.row, self.used = number + 1, 0


def _csv_records(reader: Iterator[list[str]], lines: _Lines, max_cell: int) -> Iterator[Record]:
    """Records numbered from 1: a quoted cell holding line breaks is still one row."""
    number = 0
    try:
        for number, cells in enumerate(reader, 1):
            if cells and max(map(len, cells)) > max_cell:
                column = next(n for n, cell in enumerate(cells, 1) if len(cell) > max_cell)
                raise CellTooLong(row=number, column=get_column_letter(column), limit=max_cell)
            lines.next_record(number)
            yield number, cells
    except csv.Error as error:  # bad quotes
        raise BrokenRow(row=number + 1) from error


# --- XLSX ------------------------------------------------------------------------

# What openpyxl raises on a part it cannot make sense of, at load or while reading rows.
OPENPYXL_ERRORS = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    SyntaxError,  # xml.etree.ElementTree.ParseError
)


@contextmanager
def _open_xlsx(stream: BinaryIO, limits: Limits) -> Iterator[Table]:
    check_workbook(stream, limits)
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except OPENPYXL_ERRORS as error:
        raise NotATable() from error
    try:
        sheets = book.worksheets
        sources = [_sheet_records(sheet) for sheet in sheets]
        index, layout = _header(sources, _cell_text)
        info = TableInfo("xlsx", None, None, layout.number, layout.columns, sheets[index].title)
        yield info, _rows(sources[index], layout, _cell_text)
    finally:
        book.close()


def _sheet_records(sheet: Any) -> Iterator[Record]:
    """The sheet's rows numbered from 1, missing rows included (as empty tuples)."""
    # Some tools write a wrong <dimension> (often "A1"), which would make the
    # read-only reader stop early: read the rows that are actually there.
    sheet.reset_dimensions()
    number = 0
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, cells
    except OPENPYXL_ERRORS as error:  # a cell "n" whose value is no number, and such
        raise DamagedWorkbook(part=f"{sheet.title}, row {number + 1}") from error


def _cell_text(value: object) -> str:
    """A cell as the volunteer reads it: numbers typed for serials and IMEIs stay whole."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        # Whole numbers without ".0" or exponent (356938035643809.0 -> "356938035643809"),
        # to the 15 significant digits Excel keeps, so no digit shows that Excel lost.
        return format(Decimal(format(value, ".15g")), "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


# --- header and rows, whatever the format -----------------------------------------


def _header(sources: Sequence[Iterator[Record]], text: Callable[[Any], str]) -> tuple[int, _Layout]:
    """The first source (sheet) with a header among its first rows, and that header's layout.

    Raises EmptyFile when no source has anything in it, NoHeader otherwise.
    """
    blank = True
    for index, records in enumerate(sources):
        scanned = 0
        for number, cells in islice(records, HEADER_SEARCH_ROWS):
            headers = [text(cell) for cell in cells]
            if _is_header(headers):
                return index, _layout(number, headers)
            blank = blank and not any(headers)
            scanned += 1
        if scanned == HEADER_SEARCH_ROWS:
            blank = False  # something may lie further down; it is not a header
    raise EmptyFile() if blank else NoHeader()


def _is_header(headers: Sequence[str]) -> bool:
    """Two cells or more name fields, one of them the serial number or the IMEI."""
    fields = [field for header in headers if header and (field := field_for(header.strip()))]
    return len(fields) >= 2 and not IDENTIFIERS.isdisjoint(fields)


def _layout(number: int, headers: list[str]) -> _Layout:
    fields: dict[str, tuple[int, str]] = {}
    extras: list[tuple[int, str]] = []
    columns: dict[str, str | None] = {}
    for index, header in enumerate(headers):
        field = field_for(header) if header else None
        if field in fields:
            first = fields[field][1]
            raise DuplicateColumn(field=Message(FIELD_LABELS[field]), first=first, second=header)
        if field is not None:
            fields[field] = (index, header)
            columns[header] = field
            continue
        name = _extra_name(index, header, columns)
        extras.append((index, name))
        if header:
            columns[name] = None
    return _Layout(
        number=number,
        width=len(headers),
        fields=tuple((index, field) for field, (index, _) in fields.items()),
        extras=tuple(extras),
        columns=columns,
    )


def _extra_name(index: int, header: str, taken: dict[str, str | None]) -> str:
    """The header as written, made unique; "Colonne 7" for a column without one."""
    unnamed = UNNAMED_COLUMN % (index + 1)
    if not header:
        return unnamed
    return f"{header} ({unnamed})" if header in taken else header


def _rows(
    records: Iterator[Record], layout: _Layout, text: Callable[[Any], str]
) -> Iterator[SourceRow]:
    """The non-blank rows below the header; cells past the header's last column are kept."""
    fields, extras, width = layout.fields, layout.extras, layout.width
    for number, cells in records:
        size = len(cells)
        values = {
            field: value
            for index, field in fields
            if index < size and (value := text(cells[index]))
        }
        others = {
            name: value for index, name in extras if index < size and (value := text(cells[index]))
        }
        if size > width:
            others.update(_overflow(cells, width, text))
        if values or others:
            yield SourceRow(number, values, others)


def _overflow(
    cells: Sequence[Any], width: int, text: Callable[[Any], str]
) -> Iterator[tuple[str, str]]:
    for index in range(width, len(cells)):
        value = text(cells[index])
        if value:
            yield UNNAMED_COLUMN % (index + 1), value
