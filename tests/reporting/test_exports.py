"""A table as a CSV or XLSX download (`reporting.exports`), served by a route as any
page serves it: every text a spreadsheet would run as a formula neutralised (OWASP),
numbers kept as numbers, the XLSX read back with openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.testclient import TestClient

from db.enums import Status
from reporting import exports

HEADERS = ["=Appareil", "Prix", "Quand"]
ATTACKS = [
    '=HYPERLINK("http://evil.example","clic")',
    "+33 6 12 34 56 78",
    "-2+3",
    "@SUM(A1:A2)",
    "\tindent",
    "\r=cmd|' /C calc'!A0",
]
ROWS: list[list[object]] = [
    *([text, -12, date(2026, 12, 4)] for text in ATTACKS),
    ["plain = text", Decimal("12.50"), datetime(2026, 12, 4, 9, 30, tzinfo=UTC)],
    [Status.AVAILABLE, None, None],
    ["bell\x07in the middle", 0, None],
]


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()

    @app.get("/table.csv")
    def as_csv() -> Response:
        return exports.csv_response("tableau de bord/stock é", HEADERS, ROWS)

    @app.get("/table.xlsx")
    def as_xlsx() -> Response:
        return exports.xlsx_response("stock.xlsx", HEADERS, ROWS, sheet="Stock: [par étape]?")

    return TestClient(app)


def test_the_csv_neutralises_formulas_and_opens_in_french_excel(client: TestClient) -> None:
    answer = client.get("/table.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        answer.headers["content-disposition"] == 'attachment; filename="tableau-de-bord-stock.csv"'
    )
    body = answer.content.decode("utf-8")
    assert body.startswith("\ufeff") and "\r\n" in body
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline=""), delimiter=";"))
    assert rows[0] == ["'=Appareil", "Prix", "Quand"]  # headers too
    for row, attack in zip(rows[1:], ATTACKS, strict=False):
        assert row == ["'" + attack, "-12", "2026-12-04"]  # a number stays a number
    assert rows[7] == ["plain = text", "12.50", "2026-12-04 09:30:00"]
    assert rows[8] == ["available", "", ""]
    assert len(rows) == 1 + len(ROWS)


def test_the_xlsx_holds_text_as_text_and_numbers_as_numbers(client: TestClient) -> None:
    answer = client.get("/table.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == exports.XLSX_MEDIA_TYPE
    assert answer.headers["content-disposition"] == 'attachment; filename="stock.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book.active
    assert sheet is not None and sheet.title == "Stock- -par étape--"
    header = next(sheet.iter_rows(min_row=1, max_row=1))
    assert [c.value for c in header] == ["'=Appareil", "Prix", "Quand"]
    assert all(c.font.bold for c in header)
    body = list(sheet.iter_rows(min_row=2))
    for row, attack in zip(body, ATTACKS, strict=False):
        # XML reads a carriage return as a line feed: still text, still quoted.
        assert row[0].value == "'" + attack.replace("\r", "\n") and row[0].data_type == "s"
        assert row[1].value == -12 and row[1].data_type == "n"
        assert row[2].value == datetime(2026, 12, 4)
    assert [c.value for c in body[6]] == ["plain = text", 12.5, datetime(2026, 12, 4, 9, 30)]
    assert body[7][0].value == "available"
    assert body[8][0].value == "bellin the middle"  # a control character would break the file
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_the_csv_is_sent_a_few_hundred_rows_at_a_time() -> None:
    rows = ([n, f"=row {n}"] for n in range(1, 1201))
    chunks = list(exports.csv_chunks(["n", "text"], rows, rows_per_chunk=500))
    assert len(chunks) == 3
    lines = b"".join(chunks).decode("utf-8").removeprefix("\ufeff").split("\r\n")
    assert lines[0] == "n;text" and lines[1200] == "1200;'=row 1200" and lines[-1] == ""


@pytest.mark.parametrize(
    ("given", "suffix", "sent"),
    [
        ("stock", ".csv", "stock.csv"),
        ("stock.csv", ".csv", "stock.csv"),
        ('a"; filename=evil.exe', ".csv", "a-filename-evil.exe.csv"),
        ("../../etc/passwd", ".xlsx", "etc-passwd.xlsx"),
        ("", ".xlsx", "export.xlsx"),
        ("réservations", ".csv", "r-servations.csv"),
    ],
)
def test_a_file_name_cannot_break_its_header(given: str, suffix: str, sent: str) -> None:
    assert exports.safe_filename(given, suffix) == sent


@pytest.mark.parametrize(
    ("given", "title"),
    [
        ("Stock", "Stock"),
        ("a/b\\c?d*e:f[g]h", "a-b-c-d-e-f-g-h"),
        ("x" * 40, "x" * 31),
        ("", "Export"),
    ],
)
def test_a_sheet_title_is_one_excel_accepts(given: str, title: str) -> None:
    assert exports.sheet_title(given) == title
