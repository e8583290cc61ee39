"""Cells that open safely in a spreadsheet: every CSV and XLSX that Remise writes goes through here.

A cell whose text begins with `=`, `+`, `-` or `@` is read by Excel and LibreOffice as a
formula, and so is one that begins with a tab or a carriage return once the spreadsheet
trims it; a donor's asset list can hold `=HYPERLINK("http://…","clic")` or a DDE call
that a volunteer then opens. Following OWASP's advice on CSV injection, such text gets a
leading `'`: the spreadsheet shows it as text, and the volunteer can still read it.

The rule for text is strict, on purpose: *any* string with one of those first characters
is neutralised, even one that looks like a plain number ("-12", "-3,5", "+33 6 12…").
Whether a spreadsheet reads "-3,5" as a number, a date or the start of a formula depends
on its language and version ("-1e3", "-1%", "-2+3" all parse differently), so an
allow-list of "harmless numbers" would itself be the hole. Values that really are numbers
reach the exports as `int`, `float` or `Decimal` and are left alone, so a negative number
stays a number in XLSX; text stays text, with its quote.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NEUTRAL_PREFIX = "'"
CSV_DELIMITER = ";"  # French Excel opens a ";" file by double click, not a "," one
CSV_LINE_END = "\r\n"


class _TextSink(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(value: object) -> object:
    """`value`, with a leading `'` when it is text a spreadsheet would run as a formula.

    Numbers (`int`, `float`, `Decimal`, `bool`), `None` and other non-text values are
    returned unchanged; so is text that merely holds a `=` further in.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return NEUTRAL_PREFIX + value
    return value


def safe_row(cells: Iterable[object]) -> list[object]:
    """The row's cells, each through `neutralise`: for `csv` writers and `Worksheet.append`."""
    return [neutralise(cell) for cell in cells]


class SafeCsvWriter:
    """A `csv.writer` that neutralises every cell it writes, headers included.

    Exports use this instead of `csv.writer`, so none can forget a row.
    """

    def __init__(self, stream: _TextSink) -> None:
        self._writer = csv.writer(stream, delimiter=CSV_DELIMITER, lineterminator=CSV_LINE_END)

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow(safe_row(cells))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for cells in rows:
            self.writerow(cells)


def csv_writer(stream: _TextSink) -> SafeCsvWriter:
    """A writer of `;`-separated, CRLF-ended rows, as French Excel opens them, every cell
    neutralised. `stream` is a text stream (opened with `newline=""` if it is a file)."""
    return SafeCsvWriter(stream)
