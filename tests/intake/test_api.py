"""Intake through the HTTP API on SQLite and PostgreSQL: donors, batches, imports."""

from __future__ import annotations

import subprocess
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import select

from db import ledger
from db.engine import transaction
from db.enums import Role
from db.models import Device, Donor
from tests.factories import auth, make_token
from tests.intake.samples import delimited, french_rows, imei, xlsx

SIRET = "73282932000074"
CSV = "text/csv"


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.COORDINATOR))


@pytest.fixture
def workshop(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.WORKSHOP))


@pytest.fixture
def batch_id(client: TestClient, coordinator: dict[str, str]) -> int:
    donor = client.post(
        "/api/v1/donors",
        headers=coordinator,
        json={"name": "Banque Solidaire", "siret": "732 829 320 00074"},
    )
    assert donor.status_code == 201, donor.text
    batch = client.post(
        "/api/v1/batches",
        headers=coordinator,
        json={
            "donor_id": donor.json()["id"],
            "pickup_date": "2026-11-02",
            "site": "Nantes, siège",
            "declared": {"laptop": 4, "smartphone": 2},
        },
    )
    assert batch.status_code == 201, batch.text
    return int(batch.json()["id"])


def upload(
    client: TestClient,
    headers: dict[str, str],
    batch: int,
    data: bytes,
    name: str = "inventaire.csv",
    **params: Any,
):  # type: ignore[no-untyped-def]
    query = "&".join(f"{k}={str(v).lower()}" for k, v in params.items())
    return client.post(
        f"/api/v1/batches/{batch}/import?{query}",
        headers=headers,
        files={"file": (name, data, CSV)},
    )


def count_devices(engine: Engine) -> int:
    with transaction(engine, read_only=True) as session:
        return session.exec(select(func.count()).select_from(Device)).one()


# --- donors and batches ------------------------------------------------------------


def test_donor_siret_is_checked(client: TestClient, coordinator: dict[str, str]) -> None:
    bad = client.post(
        "/api/v1/donors", json={"name": "ACME", "siret": "73282932000075"}, headers=coordinator
    )
    assert bad.status_code == 422 and bad.json()["code"] == "bad_siret"
    assert "n'est pas un SIRET valide" in bad.json()["detail"]
    good = client.post("/api/v1/donors", json={"name": "ACME", "siret": SIRET}, headers=coordinator)
    assert good.status_code == 201 and good.json()["siret"] == SIRET


def test_bench_volunteers_read_but_do_not_create_donors(client: TestClient, engine: Engine) -> None:
    bench = auth(make_token(engine, role=Role.BENCH))
    assert client.post("/api/v1/donors", json={"name": "X Y"}, headers=bench).status_code == 403
    assert client.get("/api/v1/donors", headers=bench).status_code == 200


def test_batch_reconciles_declared_and_received(
    client: TestClient, coordinator: dict[str, str], batch_id: int
) -> None:
    received = client.post(
        f"/api/v1/batches/{batch_id}/devices",
        headers=coordinator,
        json={"category": "laptop", "brand": "Dell", "serial": "CN-0X1"},
    )
    assert received.status_code == 201, received.text
    assert len(received.json()["code"]) == 8
    batch = client.get(f"/api/v1/batches/{batch_id}", headers=coordinator).json()
    assert batch["counts"]["laptop"] == {"declared": 4, "received": 1, "difference": -3}
    assert batch["counts"]["smartphone"] == {"declared": 2, "received": 0, "difference": -2}
    assert batch["balanced"] is False and batch["donor_name"] == "Banque Solidaire"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"category": "smartphone", "serial": "S1", "imei": "356938035643808"}, 422, "bad_imei"),
        ({"category": "fridge", "serial": "S1"}, 422, "invalid_request"),
        ({"category": "laptop", "serial": ""}, 422, "invalid_request"),
    ],
)
def test_receiving_refuses_bad_devices(
    client: TestClient,
    coordinator: dict[str, str],
    batch_id: int,
    body: dict[str, str],
    status: int,
    code: str,
) -> None:
    answer = client.post(f"/api/v1/batches/{batch_id}/devices", json=body, headers=coordinator)
    assert answer.status_code == status and answer.json()["code"] == code


def test_a_serial_is_received_once(
    client: TestClient, coordinator: dict[str, str], batch_id: int
) -> None:
    body = {"category": "laptop", "serial": "PF-1XZ9"}
    first = client.post(f"/api/v1/batches/{batch_id}/devices", json=body, headers=coordinator)
    again = client.post(
        f"/api/v1/batches/{batch_id}/devices",
        json=body | {"serial": "pf-1xz9"},
        headers=coordinator,
    )
    assert again.status_code == 409 and again.json()["code"] == "serial_taken"
    assert first.json()["code_display"] in again.json()["detail"]


def test_closing_with_a_difference_needs_a_comment_then_prints_it(
    client: TestClient, coordinator: dict[str, str], batch_id: int
) -> None:
    url = f"/api/v1/batches/{batch_id}/close"
    refused = client.post(url, json={}, headers=coordinator)
    assert refused.status_code == 422 and refused.json()["code"] == "closing_comment_required"
    closed = client.post(
        url, json={"comment": "3 portables volés pendant le transport"}, headers=coordinator
    )
    assert closed.status_code == 200 and closed.json()["closed"] is True
    late = client.post(
        f"/api/v1/batches/{batch_id}/devices",
        headers=coordinator,
        json={"category": "laptop", "serial": "LATE-1"},
    )
    assert late.status_code == 409 and late.json()["code"] == "batch_closed"
    pdf = client.get(f"/api/v1/batches/{batch_id}/receipt.pdf", headers=coordinator)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Banque Solidaire" in text and "3 portables volés pendant le transport" in text


# --- idempotency -------------------------------------------------------------------


def test_same_idempotency_key_returns_the_first_answer(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers = coordinator | {"Idempotency-Key": "don-2026-11-acme"}
    first = client.post("/api/v1/donors", json={"name": "ACME"}, headers=headers)
    second = client.post("/api/v1/donors", json={"name": "ACME"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["idempotent-replayed"] == "true"
    with transaction(engine, read_only=True) as session:
        assert len(session.exec(select(Donor)).all()) == 1
    other = client.post("/api/v1/donors", json={"name": "ACME 2"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


def test_keys_belong_to_their_user(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    someone = auth(make_token(engine, role=Role.COORDINATOR))
    key = {"Idempotency-Key": "k1"}
    a = client.post("/api/v1/donors", json={"name": "A A"}, headers=coordinator | key)
    b = client.post("/api/v1/donors", json={"name": "B B"}, headers=someone | key)
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


def test_resent_device_with_same_key_is_created_once(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    headers = workshop | {"Idempotency-Key": "scan-0001"}
    body = {"category": "tablet", "serial": "DMPXK1"}
    codes = {
        client.post(f"/api/v1/batches/{batch_id}/devices", json=body, headers=headers).json()[
            "code"
        ]
        for _ in range(3)
    }
    assert len(codes) == 1 and count_devices(engine) == 1


# --- imports -------------------------------------------------------------------


def test_french_cp1252_semicolon_csv_imports(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    data = delimited(french_rows(6))
    report = upload(client, workshop, batch_id, data)
    assert report.status_code == 200, report.text
    assert report.json()["created"] == 6 and report.json()["rows"] == 6
    with transaction(engine, read_only=True) as session:
        phone = session.exec(select(Device).where(Device.serial == "R58PF0000003")).one()
        assert phone.category == "smartphone" and phone.imei == imei(3)
        assert phone.attributes == {"purchase_date": "2021-03-14", "description": "Écran fêlé"}
        assert phone.id is not None
        received = ledger.history(session, phone.id)[0]
    payload = orjson.loads(received.payload)
    assert payload["file_sha256"] == report.json()["file_sha256"] and payload["row"] == 4
    assert payload["where"] == "Nantes, siège"


def test_reimporting_the_same_file_creates_nothing(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    data = delimited(french_rows(5))
    assert upload(client, workshop, batch_id, data).json()["created"] == 5
    again = upload(client, workshop, batch_id, data).json()
    assert (again["created"], again["already_present"]) == (0, 5)
    assert count_devices(engine) == 5


def test_utf8_bom_comma_csv_and_xlsx_with_a_title_row(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    header = [
        "Category",
        "Manufacturer",
        "Model",
        "Serial",
        "IMEI",
        "Asset Tag",
        "Purchase Date",
        "Notes",
        "Location",
    ]
    rows = [["Laptop", "HP", "EliteBook 840", "5CG1", "", "T-1", "2020-01-31", "", "Rack 3"]]
    bom = delimited(rows, header=header, delimiter=",", encoding="utf-8-sig")
    assert upload(client, workshop, batch_id, bom, name="snipe.csv").json()["created"] == 1
    sheet = xlsx(
        [["Tablette", "Apple", "iPad 7", "DMPX1", None, "INV-9", None, "ok"]],
        title="Inventaire du parc – Banque Solidaire – novembre 2026",
    )
    assert upload(client, workshop, batch_id, sheet, name="parc.xlsx").json()["created"] == 1
    with transaction(engine, read_only=True) as session:
        laptop = session.exec(select(Device).where(Device.serial == "5CG1")).one()
    assert laptop.attributes["Location"] == "Rack 3"


BAD_ROWS = [
    ["Ordinateur portable", "Dell", "Latitude", "", "", "", "", ""],  # row 2: no serial
    ["Smartphone", "Apple", "iPhone 8", "F17X", "356938035643808", "", "", ""],  # 3: IMEI
    ["Frigo", "Brandt", "X", "FR-1", "", "", "", ""],  # 4: category
    ["Portable", "HP", "840", "DUP-1", "", "", "", ""],  # 5
    ["Portable", "HP", "840", "DUP-1", "", "", "", ""],  # 6: duplicate of 5
    ["Portable", "HP", "840", "DATE-1", "", "", "31/02/2020", ""],  # 7: date
    ["Portable", "HP", "840", "GOOD-1", "", "", "01/02/2020", ""],  # 8: good
]


def test_a_file_with_bad_rows_is_refused_whole_row_by_row(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    answer = upload(client, workshop, batch_id, delimited(BAD_ROWS))
    assert answer.status_code == 422 and answer.json()["code"] == "import_refused"
    found = {(e["row"], e["column"]) for e in answer.json()["errors"]}
    assert found == {
        (2, "N° de série"),
        (3, "IMEI"),
        (4, "Catégorie"),
        (6, "N° de série"),
        (7, "Date d'achat"),
    }
    messages = {e["row"]: e["message"] for e in answer.json()["errors"]}
    assert "déjà à la ligne 5" in messages[6]
    assert count_devices(engine) == 0
    dry = upload(client, workshop, batch_id, delimited(BAD_ROWS), dry_run=True)
    assert dry.status_code == 422 and count_devices(engine) == 0


def test_serial_already_in_another_batch_is_an_error(
    client: TestClient, coordinator: dict[str, str], workshop: dict[str, str], batch_id: int
) -> None:
    upload(client, workshop, batch_id, delimited(french_rows(2)))
    other = client.post(
        "/api/v1/batches",
        headers=coordinator,
        json={"donor_id": 1, "pickup_date": "2026-11-20", "site": "Rezé"},
    )
    answer = upload(client, workshop, other.json()["id"], delimited(french_rows(3)))
    assert answer.status_code == 422
    assert [e["row"] for e in answer.json()["errors"]] == [2, 3]
    assert f"lot {batch_id}" in answer.json()["errors"][0]["message"]


def test_skip_invalid_imports_the_rest_and_offers_the_refused_rows(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    report = upload(client, workshop, batch_id, delimited(BAD_ROWS), skip_invalid=True).json()
    assert (report["created"], report["skipped"]) == (2, 5)
    assert {r["row"] for r in report["skipped_rows"]} == {2, 3, 4, 6, 7}
    refused = client.get(report["refused_csv_url"], headers=workshop)
    assert refused.status_code == 200 and refused.content.startswith(b"\xef\xbb\xbf")
    lines = refused.content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(";Motif du refus") and len(lines) == 6
    assert "IMEI" in lines[2] and "356938035643808" in lines[2]
    fixed = refused.content.decode("utf-8-sig").replace("356938035643808", imei(8))
    again = upload(client, workshop, batch_id, fixed.encode("utf-8-sig"), skip_invalid=True).json()
    assert (again["created"], again["already_present"]) == (1, 1) and count_devices(engine) == 3
    with transaction(engine, read_only=True) as session:
        phone = session.exec(select(Device).where(Device.serial == "F17X")).one()
    assert "Motif du refus" not in phone.attributes


def test_glpi_descriptions_with_line_breaks_stay_one_row(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    header = [
        "Nom",
        "Fabricant",
        "Modèle",
        "Numéro de série",
        "Numéro d'inventaire",
        "Type",
        "Commentaires",
    ]
    rows = [
        [
            "PC-01",
            "Dell",
            "OptiPlex 7060",
            "7XK2",
            "INV-1",
            "Ordinateur fixe",
            "Ligne 1\nLigne 2; avec point-virgule",
        ],
        ["PC-02", "Dell", "OptiPlex 7060", "7XK3", "INV-2", "Ordinateur fixe", "RAS"],
    ]
    report = upload(client, workshop, batch_id, delimited(rows, header=header, encoding="utf-8"))
    assert report.status_code == 200 and report.json()["created"] == 2
    with transaction(engine, read_only=True) as session:
        first = session.exec(select(Device).where(Device.serial == "7XK2")).one()
    assert first.attributes["description"] == "Ligne 1\nLigne 2; avec point-virgule"
    assert first.attributes["Nom"] == "PC-01"


def test_resent_import_with_the_same_key_replays(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    data = delimited(french_rows(4))
    headers = workshop | {"Idempotency-Key": "import-lot-1"}
    first = upload(client, headers, batch_id, data)
    second = upload(client, headers, batch_id, data)
    assert first.json() == second.json() and second.headers["idempotent-replayed"] == "true"
    assert count_devices(engine) == 4


def test_unreadable_files_are_422(
    client: TestClient, workshop: dict[str, str], batch_id: int
) -> None:
    for data in (b"", b"\xd0\xcf\x11\xe0" + b"\0" * 100, b"bonjour\nau revoir\n"):
        answer = upload(client, workshop, batch_id, data)
        assert answer.status_code == 422, data[:10]
        assert answer.json()["code"] == "unreadable_file"


def test_fifty_thousand_rows_through_the_api(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    data = delimited(french_rows(50_000))
    report = upload(client, workshop, batch_id, data)
    assert report.status_code == 200, report.text[:500]
    assert report.json()["created"] == 50_000 and count_devices(engine) == 50_000
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok


def test_idempotency_keys_are_forgotten_after_their_time(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from remise.scheduler import forget_idempotency_keys

    headers = coordinator | {"Idempotency-Key": "old-key"}
    assert client.post("/api/v1/donors", json={"name": "ACME"}, headers=headers).status_code == 201
    soon = datetime.now(UTC) + timedelta(days=29)
    assert forget_idempotency_keys(engine, days=30, now=soon) == 0
    later = datetime.now(UTC) + timedelta(days=31)
    assert forget_idempotency_keys(engine, days=30, now=later) == 1
    again = client.post("/api/v1/donors", json={"name": "ACME"}, headers=headers)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
