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
from openpyxl.utils.exceptions import InvalidFileException

from db.errors import N_, Invalid, Message
from intake.columns import FIELD_LABELS, field_for

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
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class UnreadableFile(Invalid):
    code = "unreadable_file"
    message = N_("This file cannot be read as an asset list.")


class EmptyFile(UnreadableFile):
    message = N_("The file is empty.")


class NotATable(UnreadableFile):
    message = N_(
        "This is neither a CSV nor an Excel (.xlsx) file: "
        "open it in your spreadsheet and save it as .xlsx or CSV."
    )


class OldExcelFile(UnreadableFile):
    message = N_(
        "This is an old Excel file (.xls) or a password-protected one: open it in Excel "
        "or LibreOffice and save it as .xlsx (without a password) or CSV."
    )


class OpenDocumentFile(UnreadableFile):
    message = N_(
        "This is a LibreOffice spreadsheet (.ods): save it as .xlsx or CSV "
        "(File › Save as), then send that file."
    )


class NoHeader(UnreadableFile):
    message = N_(
        "No header row found in the first 30 rows: the file needs a column for the serial "
        "number or the IMEI (for example “N° de série”, “Serial” or “IMEI”) and at least "
        "one other known column, such as “Marque” or “Modèle”."
    )


class DuplicateColumn(UnreadableFile):
    message = N_(
        "Two columns are both read as “%(field)s”: “%(first)s” and “%(second)s”. "
        "Rename or remove one."
    )


class BrokenRow(UnreadableFile):
    message = N_(
        "Row %(row)s cannot be read as CSV: check its quotes. A cell that starts with a "
        'quote (") must end with one, and a quote inside such a cell is written twice ("").'
    )


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
def open_table(stream: BinaryIO, filename: str = "") -> Iterator[Table]:
    """The table's description and its rows, read lazily from `stream` (seekable).

    The format is recognised by content; `filename` is not trusted for it. Raises an
    `UnreadableFile` when the file cannot be an asset list, before any row is read;
    `BrokenRow` can still come while iterating, at a CSV row whose quotes are wrong.
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
    with reader(stream) as table:
        yield table


# --- CSV -------------------------------------------------------------------------


@contextmanager
def _open_csv(stream: BinaryIO) -> Iterator[Table]:
    encoding = _encoding(stream)
    # errors="replace": Windows-1252 leaves five bytes undefined; a stray one must not
    # stop the import, the volunteer sees a "�" in that cell instead.
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
    try:
        delimiter = _delimiter(_sample(text))
        # strict: a quote left open would otherwise swallow every row after it, silently.
        # Excel, LibreOffice, GLPI and Snipe-IT all write files that pass.
        records = _csv_records(csv.reader(text, delimiter=delimiter, strict=True))
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
    if len(sample) == SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    return sample


def _delimiter(sample: str) -> str:
    """The first delimiter under which the sample has a header row, trying the sniffer's
    guess first, then the others from the most even split to the least."""
    ranked = sorted(DELIMITERS, key=lambda delimiter: _evenness(sample, delimiter), reverse=True)
    # The sniffer alone is not enough: it prefers "," to ";" when both split every line
    # evenly, as in a French list whose remarks all hold a comma, and it gives up on
    # quoted cells holding line breaks.
    with suppress(csv.Error):
        ranked.insert(0, csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter)
    for delimiter in ranked:
        records = csv.reader(io.StringIO(sample), delimiter=delimiter)
        if any(_is_header(cells) for cells in islice(records, HEADER_SEARCH_ROWS)):
            return delimiter
    return ranked[0]


def _evenness(sample: str, delimiter: str) -> int:
    """How many records of the sample split into the most common number of cells (> 1)."""
    widths = Counter(len(cells) for cells in csv.reader(io.StringIO(sample), delimiter=delimiter))
    return max((count for width, count in widths.items() if width > 1), default=0)


def _csv_records(reader: Iterator[list[str]]) -> Iterator[Record]:
    """Records numbered from 1: a quoted cell holding line breaks is still one row."""
    number = 0
    try:
        for number, cells in enumerate(reader, 1):
            yield number, cells
    except csv.Error as error:  # bad quotes, or a cell over csv.field_size_limit()
        raise BrokenRow(row=number + 1) from error


# --- XLSX ------------------------------------------------------------------------


@contextmanager
def _open_xlsx(stream: BinaryIO) -> Iterator[Table]:
    _check_workbook(stream)
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as error:
        raise NotATable() from error
    try:
        sheets = book.worksheets
        sources = [_sheet_records(sheet) for sheet in sheets]
        index, layout = _header(sources, _cell_text)
        info = TableInfo("xlsx", None, None, layout.number, layout.columns, sheets[index].title)
        yield info, _rows(sources[index], layout, _cell_text)
    finally:
        book.close()


def _check_workbook(stream: BinaryIO) -> None:
    """Refuse, with the right advice, a zip that is not an Excel workbook."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype").strip() if "mimetype" in names else b""
    except zipfile.BadZipFile as error:
        raise NotATable() from error
    finally:
        stream.seek(0)
    if mimetype.startswith(ODS_MIMETYPE):
        raise OpenDocumentFile()
    if "xl/workbook.xml" not in names:
        raise NotATable()


def _sheet_records(sheet: Any) -> Iterator[Record]:
    """The sheet's rows numbered from 1, missing rows included (as empty tuples)."""
    # Some tools write a wrong <dimension> (often "A1"), which would make the
    # read-only reader stop early: read the rows that are actually there.
    sheet.reset_dimensions()
    return enumerate(sheet.iter_rows(values_only=True), 1)


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
