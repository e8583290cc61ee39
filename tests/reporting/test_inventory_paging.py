"""The inventory search's pages of results, over HTTP on SQLite and PostgreSQL: every
device on exactly one page, and a count that stops at its cap."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db import codes, lifecycle
from db.engine import transaction
from reporting import inventory
from tests.factories import make_device
from tests.reporting.test_inventory_pages import ROW_CODE, count_line, signed_in

__all__ = ["signed_in"]  # a fixture


def test_pages_cover_every_device_once(signed_in: TestClient, engine: Engine) -> None:
    with transaction(engine) as session:
        made = [codes.display(make_device(session).code) for _ in range(60)]
    seen: list[str] = []
    for page in (1, 2, 3):
        answer = signed_in.get("/devices", params={"size": 25, "page": page, "sort": "category"})
        seen += ROW_CODE.findall(answer.text)
        first = 25 * (page - 1) + 1
        assert count_line(answer.text) == f"Devices {first}–{min(first + 24, 60)} of 60"
        assert ('rel="next"' in answer.text) is (page < 3)
        assert ('rel="prev"' in answer.text) is (page > 1)
        assert f"Page {page} of 3" in answer.text
    assert sorted(seen) == sorted(made)  # all 60, none twice: ties are broken by id
    past = signed_in.get("/devices", params={"size": 25, "page": 4})
    assert past.status_code == 200 and ROW_CODE.findall(past.text) == []
    assert "the search has fewer pages" in count_line(past.text)


def test_the_count_stops_at_its_cap(signed_in: TestClient, engine: Engine) -> None:
    rows = [{"category": "laptop", "brand": "Acer", "model": "Aspire"}] * (inventory.COUNT_CAP + 1)
    with transaction(engine) as session:
        lifecycle.register_walked(session, actor="tests", rows=rows, walks=[[] for _ in rows])
    answer = signed_in.get("/devices", params={"q": "aspire"})
    assert count_line(answer.text) == "Devices 1–50 of more than 10,000 (the count stops there)"
    assert 'rel="next"' in answer.text and "Last page" not in answer.text
    assert "Page 1</span>" in answer.text
    for size, page in ((200, 51), (50, 201)):  # the last pages
        last = signed_in.get("/devices", params={"q": "aspire", "size": size, "page": page})
        assert len(ROW_CODE.findall(last.text)) == 1, size  # the 10,001st
        assert 'rel="next"' not in last.text
    full = signed_in.get("/devices", params={"q": "aspire", "size": 200, "page": 50})
    assert len(ROW_CODE.findall(full.text)) == 200 and 'rel="next"' in full.text
