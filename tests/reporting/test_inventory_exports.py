"""The inventory search as files, over HTTP on SQLite and PostgreSQL: every device of the
search (not only the page), staff identifiers and names included, formulas disarmed."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import openpyxl
from fastapi.testclient import TestClient

from tests.reporting.test_inventory_pages import FORMULA, Stock, signed_in, stock

__all__ = ["signed_in", "stock"]  # fixtures

HEADERS = [
    "Code",
    "Category",
    "Brand",
    "Model",
    "Serial number",
    "IMEI",
    "Asset tag",
    "Status",
    "Status since",
    "Grade",
    "Price (€)",
    "Location",
    "Batch",
    "Donor",
    "Structure",
]


def _csv(client: TestClient, **params: str) -> list[dict[str, str]]:
    answer = client.get("/devices.csv", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith('attachment; filename="inventory-')
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff")  # so that Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == HEADERS
    return [dict(zip(HEADERS, row, strict=True)) for row in rows[1:]]


def test_the_csv_holds_every_device_of_the_search_not_only_the_page(
    signed_in: TestClient, stock: Stock
) -> None:
    rows = _csv(signed_in, size="25", page="1", sort="code")
    assert [r["Code"] for r in rows] == sorted(stock.code.values())
    mairie = _csv(signed_in, donor="Mairie de Rezé", sort="code", order="desc")
    codes = [stock.code[k] for k in ("thinkpad", "formula", "reserved")]
    assert [r["Code"] for r in mairie] == sorted(codes, reverse=True)


def test_the_csv_names_identifiers_donor_and_structure(signed_in: TestClient, stock: Stock) -> None:
    rows = {r["Code"]: r for r in _csv(signed_in)}
    thinkpad, iphone = rows[stock.code["thinkpad"]], rows[stock.code["iphone"]]
    assert (thinkpad["Serial number"], thinkpad["Asset tag"]) == ("PF-1A2B3C", "MAIRIE-0042")
    assert (thinkpad["Donor"], thinkpad["Location"], thinkpad["Status"]) == (
        "Mairie de Rezé",
        "Étagère A1",
        "received",
    )
    assert (iphone["IMEI"], iphone["Category"], iphone["Grade"]) == (
        "356938035643809",
        "Smartphone",
        "B",
    )
    assert rows[stock.code["reserved"]]["Structure"] == "Les Pousses"
    assert rows[stock.code["tablet"]]["Price (€)"] == "90"
    assert datetime.fromisoformat(thinkpad["Status since"])


def test_a_formula_in_a_model_is_exported_as_text(signed_in: TestClient, stock: Stock) -> None:
    rows = {r["Code"]: r for r in _csv(signed_in, q="dell")}
    assert list(rows) == [stock.code["formula"]]
    assert rows[stock.code["formula"]]["Model"] == "'" + FORMULA


def test_the_xlsx_holds_the_same_rows_numbers_as_numbers_formulas_as_text(
    signed_in: TestClient, stock: Stock
) -> None:
    answer = signed_in.get("/devices.xlsx", params={"sort": "code"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book.active
    assert sheet is not None and sheet.title == "Devices"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    by_code = {row[0]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}
    assert list(by_code) == sorted(stock.code.values())
    formula = by_code[stock.code["formula"]]
    assert formula["Model"] == "'" + FORMULA
    cell = next(c for c in sheet.iter_rows(min_row=2) if c[0].value == stock.code["formula"])[3]
    assert cell.data_type == "s"  # text, not a formula
    tablet = by_code[stock.code["tablet"]]
    assert tablet["Price (€)"] == Decimal("90") and tablet["Batch"] == stock.batches["banque"]
    assert isinstance(tablet["Status since"], datetime)
    assert tablet["Grade"] == "A" and tablet["Donor"] == "Banque Alimentaire"


def test_the_export_links_carry_the_search(signed_in: TestClient, stock: Stock) -> None:
    page = signed_in.get("/devices", params={"status": "available", "sort": "brand", "page": "2"})
    assert 'href="/devices.csv?status=available&amp;sort=brand"' in page.text
    assert 'href="/devices.xlsx?status=available&amp;sort=brand"' in page.text
