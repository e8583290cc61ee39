"""The dashboard's tables as files, over HTTP on SQLite and PostgreSQL: every table the
page shows downloads as CSV and XLSX with the page's columns and figures, a donor's or
a structure's name that a spreadsheet would run stays text, and a table that does not
exist answers 404 with the names of those that do."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.engine import transaction
from db.enums import Category, Status
from intake import service as intake
from intake.models import BatchCreate, DonorCreate
from tests.factories import ACTOR, make_device, make_structure
from tests.reporting.test_dashboard_pages import as_coordinator, shown, table_rows

TABLES = (
    "stock",
    "totals",
    "throughput",
    "backlog",
    "batches",
    "erasure",
    "flags",
    "claims",
    "pending",
    "quotas",
    "overrides",
)
FORMULA_DONOR = '=HYPERLINK("http://evil.example","Mairie")'


def csv_rows(client: TestClient, name: str) -> list[list[str]]:
    answer = client.get(f"/dashboard/{name}.csv")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def xlsx_rows(client: TestClient, name: str) -> list[list[object]]:
    answer = client.get(f"/dashboard/{name}.xlsx")
    assert answer.status_code == 200, answer.text
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def page_headers(page: str, name: str) -> list[str]:
    start = page.index(f'<table class="dashboard dashboard-{name}">')
    head = page[page.index("<thead>", start) : page.index("</thead>", start)]
    return re.findall(r'<th scope="col">(.*?)</th>', head)


def test_every_table_downloads_with_the_columns_and_figures_of_the_page(
    client: TestClient, engine: Engine
) -> None:
    with transaction(engine) as session:
        donor = intake.create_donor(session, ACTOR, data=DonorCreate(name=FORMULA_DONOR))
        batch = intake.create_batch(
            session,
            ACTOR,
            data=BatchCreate(
                donor_id=donor.id or 0,
                pickup_date=date(2026, 11, 2),
                site="-2+3",
                declared={Category.LAPTOP: 2},
            ),
        )
        make_device(session, batch_id=batch.id)
        make_device(session, status=Status.GRADED)  # no medium: held up
        make_device(session, status=Status.AVAILABLE, category=Category.SMARTPHONE)
        make_structure(session, name="@SUM(A1:A9)")
    as_coordinator(client, engine)
    page = shown(client.get("/dashboard").text)
    for name in TABLES:
        rows = csv_rows(client, name)
        if f"dashboard-{name}" in page:
            assert rows[0] == page_headers(page, name), name
        else:  # the page says the table is empty; the file holds its headers alone
            assert len(rows) == 1, name
        assert xlsx_rows(client, name)[0] == rows[0], name
        disposition = client.get(f"/dashboard/{name}.csv").headers["content-disposition"]
        assert disposition.startswith(f'attachment; filename="remise-{name}-')

    stock = csv_rows(client, "stock")
    assert stock[1:] == [
        ["received", "Laptop", "0", "0", "0", "1", "1"],
        ["graded", "Laptop", "0", "1", "0", "0", "1"],
        ["available", "Smartphone", "0", "1", "0", "0", "1"],
        ["Total", "", "0", "2", "0", "1", "3"],
    ]
    assert [r[:2] + r[-1:] for r in table_rows(page, "stock")] == [
        r[:2] + r[-1:] for r in stock[1:]
    ]
    assert xlsx_rows(client, "stock")[1] == ["received", "Laptop", 0, 0, 0, 1, 1]

    batches = csv_rows(client, "batches")
    assert batches[1][:2] == [str(batch.id), "'" + FORMULA_DONOR]
    assert batches[1][3] == "'-2+3"
    assert batches[1][5] == "Laptop: 1 received of 2 declared"
    exported = xlsx_rows(client, "batches")[1]  # a day reads back as midnight
    assert exported[:4] == [batch.id, "'" + FORMULA_DONOR, datetime(2026, 11, 2), "'-2+3"]
    assert csv_rows(client, "pending")[1][0] == "'@SUM(A1:A9)"

    erasure = csv_rows(client, "erasure")
    assert len(erasure) == 2 and erasure[1][1:3] == ["graded", "Laptop"]
    assert erasure[1][0] == table_rows(page, "erasure")[0][0]  # the code as printed


def test_a_table_that_does_not_exist_answers_404_with_those_that_do(
    client: TestClient, engine: Engine
) -> None:
    as_coordinator(client, engine)
    for path in ("/dashboard/nothing.csv", "/dashboard/devices.xlsx"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert "stock, totals, throughput" in shown(answer.text)
    assert client.get("/dashboard/" + "x" * 41 + ".csv").status_code in (404, 422)
    assert client.get("/dashboard/Stock.csv").status_code in (404, 422)
