"""What the inventory search refuses, over HTTP on SQLite and PostgreSQL: each bad
parameter said beside its field (never a 500), names that name nothing or too much,
and anyone but staff."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.engine import transaction
from db.enums import Role
from remise import accounts
from reporting import inventory
from tests.factories import ACTOR, make_structure
from tests.reporting.test_inventory_pages import ROW_CODE, Stock, signed_in, staff_user, stock
from tests.web.test_pages import sign_in

__all__ = ["signed_in", "stock"]  # fixtures


def test_bad_parameters_are_said_beside_their_fields(signed_in: TestClient) -> None:
    sent = {
        "status": "sold",
        "category": "phone",
        "grade": "Z",
        "batch": "99999999999999999999",
        "donor": "Nobody",
        "structure": "987654",
        "sort": "price",
        "order": "up",
        "size": "7",
        "page": "-1",
        "q": "x" * 300,
    }
    answer = signed_in.get("/devices", params=sent)
    assert answer.status_code == 422
    for name in sent:
        assert f'id="e-{name}" role="alert"' in answer.text, name
    for name in ("status", "category", "grade", "batch", "donor", "structure", "q"):
        assert re.search(rf'id="f-{name}"[^>]*aria-invalid="true"', answer.text), name
    assert 'value="Nobody"' in answer.text  # what was typed is kept
    assert ROW_CODE.findall(answer.text) == []
    for path in ("/devices.csv", "/devices.xlsx"):
        assert signed_in.get(path, params={"batch": "x"}).status_code == 422


def test_a_name_that_several_share_asks_for_more(signed_in: TestClient, stock: Stock) -> None:
    answer = signed_in.get("/devices", params={"donor": "a"})  # Mairie… and Banque…
    assert answer.status_code == 422
    assert "Several names contain “a”: Banque Alimentaire, Mairie de Rezé" in unescape(answer.text)


def test_an_unknown_batch_is_said(signed_in: TestClient, stock: Stock) -> None:
    answer = signed_in.get("/devices", params={"batch": "4242"})
    assert answer.status_code == 422 and "No batch has the number 4242." in answer.text


def test_staff_may_search(client: TestClient, engine: Engine) -> None:
    for role in (Role.BENCH, Role.WORKSHOP, Role.COORDINATOR):
        staff_user(engine, f"dominique-{role.value}", role)
        sign_in(client, f"dominique-{role.value}")
        assert client.get("/devices").status_code == 200, role


def test_a_structure_user_may_not_search(client: TestClient, engine: Engine) -> None:
    with transaction(engine) as session:
        structure = make_structure(session, name="La Passerelle")
        accounts.create_user(
            session,
            ACTOR,
            username="amina",
            role=Role.STRUCTURE,
            structure_id=structure,
            password="pw-amina-tournesol",
        )
    sign_in(client, "amina")
    for path in ("/devices", "/devices.csv", "/devices.xlsx", "/devices?q=PF-1A2B3C"):
        assert client.get(path).status_code == 403, path


def test_signed_out_the_search_asks_to_sign_in(client: TestClient) -> None:
    answer = client.get("/devices?q=x", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


def test_an_export_too_large_is_refused_with_a_message(
    signed_in: TestClient, stock: Stock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The caps, lowered: 100,001 devices would take minutes to make.
    monkeypatch.setattr(inventory, "EXPORT_CAP", 3)
    monkeypatch.setattr(inventory, "XLSX_CAP", 2)
    said = {
        "/devices.csv": "This search finds more than 3 devices, more than an export holds",
        "/devices.xlsx": "more than 2 devices, more than an Excel file holds here: narrow it "
        "down with the filters, or export it as CSV (up to 3 devices).",
    }
    for path, message in said.items():
        answer = signed_in.get(path, params={"sort": "code"})
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
        page = unescape(answer.text)
        assert 'id="e-export" role="alert"' in page and message in page, path
    assert signed_in.get("/devices.csv", params={"grade": "B"}).status_code == 200
    assert signed_in.get("/devices.xlsx", params={"grade": "B"}).status_code == 200
    assert signed_in.get("/devices.xlsx", params={"grade": "none"}).status_code == 200
