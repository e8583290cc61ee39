"""Cells that open safely in a spreadsheet: the one function every export uses."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from remise.spreadsheet import csv_writer, neutralise, safe_row


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(1)", "'@SUM(1)"),
        ('=HYPERLINK("http://x","a")', '\'=HYPERLINK("http://x","a")'),
        ("+33612345678", "'+33612345678"),
        ("+", "'+"),
        ("-1", "'-1"),  # text that looks like a number is still text: see the module
        ("-3,5", "'-3,5"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("=", "'="),
        ("", ""),
        ("Dell Latitude 5490", "Dell Latitude 5490"),
        ("a=b+c", "a=b+c"),
        (" =1+1", " =1+1"),  # a leading space is text to Excel
        ("'=1+1", "'=1+1"),  # already quoted: shown as written, never run
        (None, None),
        (-1, -1),
        (42, 42),
        (-3.5, -3.5),
        (Decimal("-12.50"), Decimal("-12.50")),
        (True, True),
    ],
)
def test_neutralise(value: object, expected: object) -> None:
    result = neutralise(value)
    assert result == expected
    assert type(result) is type(expected)


def test_safe_row_neutralises_each_cell_and_keeps_the_others() -> None:
    assert safe_row(["=1+1", -1, None, "ok", "@x"]) == ["'=1+1", -1, None, "ok", "'@x"]


def test_csv_writer_writes_semicolons_crlf_and_neutralised_headers_and_rows() -> None:
    out = io.StringIO(newline="")
    writer = csv_writer(out)
    writer.writerow(['=HYPERLINK("http://x","a")', "Marque"])
    writer.writerows([["=1+1", "Dell"], [-1, "a;b"]])
    assert out.getvalue() == (
        '"\'=HYPERLINK(""http://x"",""a"")";Marque\r\n\'=1+1;Dell\r\n-1;"a;b"\r\n'
    )
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline=""), delimiter=";"))
    assert rows[1] == ["'=1+1", "Dell"]


def test_xlsx_rows_keep_negative_numbers_as_numbers_and_formulas_as_text() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(safe_row(["=1+1", -1, Decimal("-2.5"), "-1"]))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    cells = next(load_workbook(out).active.iter_rows())  # type: ignore[union-attr]
    assert [cell.data_type for cell in cells] == ["s", "n", "n", "s"]
    assert [cell.value for cell in cells] == ["'=1+1", -1, -2.5, "'-1"]
