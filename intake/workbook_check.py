"""Check an .xlsx before openpyxl opens it: it may be a zip bomb, or hold a gigabyte cell.

An .xlsx is a zip of XML parts. openpyxl reads most parts whole, keeps every shared text
in a list and builds each cell's text in memory, so a 2 MB upload can unpack to gigabytes.
Here every part is streamed once through `zipfile` (which checks each part's CRC and never
inflates past its declared size) with a counter of the bytes actually inflated, and every
XML part through expat with counters of its own: no single text longer than a cell may be,
no tag of a megabyte, no cell outside Excel's grid, no DTD (hence no entity expansion).
Only then does openpyxl open the file, and what it reads has been measured.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, BinaryIO, ClassVar
from xml.parsers import expat

from openpyxl.utils import column_index_from_string, get_column_letter

from intake.file_errors import (
    CellTooLong,
    CompressedTooFar,
    DamagedWorkbook,
    NotATable,
    OpenDocumentFile,
    OutsideGrid,
    PartTooLarge,
    SharedTextTooLong,
    UnpacksTooLarge,
)

if TYPE_CHECKING:
    from intake.files import Limits

MIB = 1024 * 1024
CHUNK_BYTES = 64 * 1024
MIMETYPE_BYTES = 256  # "application/vnd.oasis.opendocument.spreadsheet" and some room
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
RATIO_FLOOR_BYTES = MIB  # small parts (styles, themes) compress very well, harmlessly
MAX_PARTS = 10_000
WHOLE_PART_BYTES = 16 * MIB  # parts openpyxl parses as one tree: workbook, styles, rels…
SHARED_TEXT_BYTES = 64 * MIB  # every shared text stays in memory as a Python str
MAX_SHARED_TEXTS = 1_000_000  # three distinct texts on each of 300,000 rows
MAX_TREE_ELEMENTS = 500_000  # elements openpyxl keeps as a tree: 64,000 styles and more
MAX_UNIT_BYTES = 16 * MIB  # one row (or shared text), built whole before it is read
MAX_UNIT_ELEMENTS = 16 * 16_384  # a full row of cells, each with a few children
MAX_DEPTH = 64  # a sheet nests 7 deep; expat and ElementTree keep every open element
MAX_MARKUP_BYTES = MIB  # expat holds a whole tag in memory: no "<" for this long is no XML
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
CELL_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
TEXT_ELEMENTS = frozenset({"v", "t"})  # a cell's value, an inline or shared text's runs


def check_workbook(stream: BinaryIO, limits: Limits) -> None:
    """Refuse, with the right advice, a zip that is not a workbook openpyxl may open safely.

    Raises NotATable, OpenDocumentFile, UnpacksTooLarge, CompressedTooFar, PartTooLarge,
    CellTooLong, SharedTextTooLong, OutsideGrid or DamagedWorkbook; rewinds `stream`.
    """
    part = "?"
    try:
        with zipfile.ZipFile(stream) as archive:
            entries = archive.infolist()
            _check_declared(entries, limits)
            _check_kind(archive)
            budget = _Budget(limits.max_unpacked_mb)
            for entry in entries:
                part = entry.filename
                _scan_entry(archive, entry, budget, limits.max_cell_chars)
    except zipfile.BadZipFile as error:  # also a part whose CRC does not match
        raise (NotATable() if part == "?" else DamagedWorkbook(part=part)) from error
    except (zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        # a broken deflate stream, a cut file, an unknown compression, an encrypted part
        raise DamagedWorkbook(part=part) from error
    finally:
        stream.seek(0)


def _check_declared(entries: list[zipfile.ZipInfo], limits: Limits) -> None:
    """What the zip's directory says of its parts, before inflating anything."""
    if len(entries) > MAX_PARTS:
        raise DamagedWorkbook(part=f"{len(entries)} parts")
    if sum(entry.file_size for entry in entries) > limits.max_unpacked_mb * MIB:
        raise UnpacksTooLarge(limit=limits.max_unpacked_mb)
    for entry in entries:
        ratio = entry.file_size // max(entry.compress_size, 1)
        if entry.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
            raise CompressedTooFar(part=entry.filename, ratio=ratio)


def _check_kind(archive: zipfile.ZipFile) -> None:
    names = set(archive.namelist())
    if "mimetype" in names:
        with archive.open("mimetype") as entry:
            if entry.read(MIMETYPE_BYTES).strip().startswith(ODS_MIMETYPE):
                raise OpenDocumentFile()
    if "xl/workbook.xml" not in names:
        raise NotATable()


class _Budget:
    """The bytes actually inflated, all parts together: declared sizes can lie."""

    def __init__(self, limit_mb: int) -> None:
        self.limit_mb = limit_mb
        self.left = limit_mb * MIB

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise UnpacksTooLarge(limit=self.limit_mb)


def _scan_entry(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: _Budget, max_cell: int
) -> None:
    """Inflate one part in chunks, counting; each part goes through `_XmlScan` too."""
    if entry.is_dir():
        return
    scan = _XmlScan(entry.filename, max_cell)
    with archive.open(entry) as source:
        for chunk in iter(lambda: source.read(CHUNK_BYTES), b""):
            budget.spend(len(chunk))
            scan.feed(chunk)
    scan.close()


class _XmlScan:
    """One part through expat, refusing what would make openpyxl hold too much.

    A part that is not XML (an image), or stops being well-formed, is scanned no further:
    openpyxl's parser (expat too) stops at the same byte, so nothing past it is ever read.
    A *unit* is what openpyxl builds and then frees: a sheet's row, a shared text.
    """

    def __init__(self, part: str, max_cell: int) -> None:
        self.part, self.max_cell = part, max_cell
        self.parser: expat.XMLParserType | None = expat.ParserCreate(namespace_separator=" ")
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.names: list[str] = []
        self.kind = ""  # the root element: worksheet, sst, or anything else
        self.fed = self.markup = self.tree = 0
        self.row = self.column = 0
        self.cell: str | None = None  # the cell (or shared text) being read, for messages
        self.cell_chars = self.run = 0
        self.units = self.unit_bytes = self.unit_elements = 0
        self.unit_start: int | None = None  # byte where the open unit began
        self.unit_depth = 0

    def feed(self, chunk: bytes) -> None:
        self.fed += len(chunk)
        if self.parser is None:
            return
        try:
            self.parser.Parse(chunk, False)
        except expat.ExpatError:
            self.parser = None
            return
        last = chunk.rfind(b"<")
        self.markup = self.markup + len(chunk) if last < 0 else len(chunk) - last - 1
        if self.markup > MAX_MARKUP_BYTES:
            raise DamagedWorkbook(part=self.part)
        self._check_size(self.fed)

    def close(self) -> None:
        if self.parser is not None:
            with suppress(expat.ExpatError):
                self.parser.Parse(b"", True)

    def _check_size(self, position: int) -> None:
        """Bytes openpyxl holds at once: the whole part but its units, and the open unit."""
        open_unit = 0 if self.unit_start is None else position - self.unit_start
        limit = SHARED_TEXT_BYTES if self.kind == "sst" else WHOLE_PART_BYTES
        held = position if self.kind == "sst" else position - self.unit_bytes - open_unit
        if held > limit or open_unit > MAX_UNIT_BYTES:
            raise PartTooLarge(part=self.part, limit=limit // MIB)

    def _doctype(self, *_: object) -> None:
        raise DamagedWorkbook(part=self.part)  # no spreadsheet writes a DTD; entities bomb

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        local = name[name.find(" ") + 1 :]
        names = self.names
        names.append(local)
        self.run = 0
        if len(names) > MAX_DEPTH:
            raise DamagedWorkbook(part=self.part)
        if not self.kind:
            self.kind = local
        opener = self._openers.get(local)
        if opener is not None and self.kind in opener[0]:
            opener[1](self, attributes)
        self._count_element()

    def _count_element(self) -> None:
        if self.unit_start is None:
            self.tree += 1
            if self.tree > MAX_TREE_ELEMENTS:
                raise PartTooLarge(part=self.part, limit=WHOLE_PART_BYTES // MIB)
            return
        self.unit_elements += 1  # the open unit's bytes are checked after each chunk
        if self.unit_elements > MAX_UNIT_ELEMENTS:
            raise PartTooLarge(part=self.part, limit=MAX_UNIT_BYTES // MIB)

    def _position(self) -> int:
        assert self.parser is not None  # only called from the parser's handlers
        return int(self.parser.CurrentByteIndex)

    def _end(self, _name: str) -> None:
        local = self.names.pop()
        self.run = 0
        if local == "c":
            self.cell = None
        if self.unit_start is not None and len(self.names) < self.unit_depth:
            self.unit_bytes += self._position() - self.unit_start
            self.unit_start, self.cell = None, None

    def _text(self, data: str) -> None:
        self.run += len(data)
        if self.cell is not None and self.names[-1] in TEXT_ELEMENTS:
            self.cell_chars += len(data)
            if self.cell_chars > self.max_cell:
                self._too_long()
        if self.run > self.max_cell:
            self._too_long()

    def _too_long(self) -> None:
        if self.kind == "sst" and self.cell is not None:
            raise SharedTextTooLong(index=self.units - 1, limit=self.max_cell)
        if self.cell is not None:
            column = self.cell.rstrip("0123456789")
            raise CellTooLong(row=self.row, column=column, limit=self.max_cell)
        raise DamagedWorkbook(part=self.part)  # a text that long outside any cell

    def _open_unit(self, limit: int) -> None:
        self.units += 1
        if self.units > limit:
            raise PartTooLarge(part=self.part, limit=SHARED_TEXT_BYTES // MIB)
        self.unit_start, self.unit_depth = self._position(), len(self.names)
        self.unit_elements = 0

    def _open_row(self, attributes: dict[str, str]) -> None:
        given = attributes.get("r")
        self.row = _row_number(given, self.part) if given is not None else self.row + 1
        self.column = 0
        if not 1 <= self.row <= EXCEL_ROWS:
            raise OutsideGrid(cell=f"A{self.row}")
        self._open_unit(EXCEL_ROWS)

    def _open_cell(self, attributes: dict[str, str]) -> None:
        given = attributes.get("r")
        if given is None:
            self.column += 1
        else:
            self.row, self.column = _cell_position(given, self.part)
        self.cell, self.cell_chars = f"{_letters(self.column)}{self.row}", 0
        if self.column > EXCEL_COLUMNS or not 1 <= self.row <= EXCEL_ROWS:
            raise OutsideGrid(cell=(given or self.cell).replace("$", "").upper())

    def _open_shared_text(self, _attributes: dict[str, str]) -> None:
        self._open_unit(MAX_SHARED_TEXTS)
        self.cell, self.cell_chars = f"#{self.units - 1}", 0

    _Opener = Callable[["_XmlScan", dict[str, str]], None]
    _openers: ClassVar[dict[str, tuple[tuple[str, ...], _Opener]]] = {
        "row": (("worksheet",), _open_row),
        "c": (("worksheet",), _open_cell),
        "si": (("sst",), _open_shared_text),
    }


def _row_number(text: str, part: str) -> int:
    """A row's `r`, as openpyxl reads it ("12", or "12.0" from some writers)."""
    try:
        number = float(text)
    except ValueError as error:
        raise DamagedWorkbook(part=part) from error
    if not number.is_integer():
        raise DamagedWorkbook(part=part)
    return int(number)


def _cell_position(reference: str, part: str) -> tuple[int, int]:
    """(row, column) of a cell reference such as "B7" or "$XFD$1048576"."""
    match = CELL_REFERENCE.fullmatch(reference)
    if match is None:
        raise DamagedWorkbook(part=part)
    return int(match[2]), column_index_from_string(match[1].upper())


def _letters(column: int) -> str:
    return get_column_letter(column) if 1 <= column <= EXCEL_COLUMNS else str(column)
