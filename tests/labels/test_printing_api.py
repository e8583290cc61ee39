"""Labels and scans through the HTTP API, on SQLite and PostgreSQL, with the ledger checked."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db import codes, ledger, replay
from db.engine import transaction
from db.enums import Role, Status
from db.models import Batch, Device, Donor, LedgerEvent
from labels import layouts, zpl
from tests.factories import auth, make_device, make_token
from tests.labels.decoding import cell, decode, decode_png, needs_poppler, pdf_pages

IMEI = "490154203237518"


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


@pytest.fixture
def batch(engine: Engine) -> dict[str, Any]:
    """A batch of five devices: three received, one labelled, one in refurbishment."""
    with transaction(engine) as session:
        donor = Donor(name="Banque Solidaire", created_at="2026-11-23T08:00:00Z")
        # a batch made directly: the labels stage reads shared tables, not intake's API
        session.add(donor)
        session.flush()
        found = Batch(
            donor_id=donor.id or 0,
            pickup_date=date(2026, 11, 2),
            site="Nantes",
            declared={},
            created_at="2026-11-23T08:00:00Z",
        )
        session.add(found)
        session.flush()
        statuses = [Status.RECEIVED] * 3 + [Status.LABELLED, Status.IN_REFURBISHMENT]
        made = [make_device(session, status=s, batch_id=found.id) for s in statuses]
        return {"id": found.id, "codes": [d.code for d in made]}


def events(engine: Engine, code: str) -> list[tuple[str, dict[str, Any]]]:
    with transaction(engine, read_only=True) as session:
        device = session.exec(select(Device).where(Device.code == code)).one()
        return [(e.type, orjson.loads(e.payload)) for e in ledger.history(session, device.id or 0)]


def status(engine: Engine, code: str) -> str:
    with transaction(engine, read_only=True) as session:
        return session.exec(select(Device.status).where(Device.code == code)).one()


def assert_chain_ok(engine: Engine) -> None:
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok


def test_first_print_labels_the_device_and_later_ones_are_reprints(
    client: TestClient, engine: Engine, bench: dict[str, str], batch: dict[str, Any]
) -> None:
    code = batch["codes"][0]
    first = client.get(f"/api/v1/devices/{codes.display(code).lower()}/label.png", headers=bench)
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.headers["cache-control"] == "no-store"
    assert decode_png(first.content) == [code]
    assert status(engine, code) == Status.LABELLED
    again = client.get(f"/api/v1/devices/{code}/label.zpl", headers=bench)
    assert again.status_code == 200 and f"^FD{zpl.barcode_data(code)}^FS" in again.text
    types = [t for t, _ in events(engine, code)]
    assert types[-2:] == ["device.labelled", "device.label_reprinted"]
    assert events(engine, code)[-2][1]["layout"] == "thermal-62mm"
    assert events(engine, code)[-1][1]["layout"] == "thermal-50x25mm"
    assert status(engine, code) == Status.LABELLED
    assert_chain_ok(engine)


def test_preview_records_nothing(
    client: TestClient, engine: Engine, bench: dict[str, str], batch: dict[str, Any]
) -> None:
    code = batch["codes"][0]
    before = events(engine, code)
    answer = client.get(
        f"/api/v1/devices/{code}/label.png?format=thermal-50x25mm&preview=true", headers=bench
    )
    assert answer.status_code == 200 and decode_png(answer.content) == [code]
    assert events(engine, code) == before and status(engine, code) == Status.RECEIVED


@pytest.mark.parametrize(
    ("path", "status_code", "error"),
    [
        ("/api/v1/devices/{code}/label.png?format=a4-3x8", 422, "wrong_label_layout_kind"),
        ("/api/v1/devices/{code}/label.png?format=thermal-99mm", 404, "unknown_label_layout"),
        ("/api/v1/devices/AAAA-AAAB/label.png", 422, "invalid_device_code"),
        ("/api/v1/devices/{other}/label.png", 404, "device_not_found"),
    ],
)
def test_label_refusals(
    client: TestClient,
    bench: dict[str, str],
    batch: dict[str, Any],
    path: str,
    status_code: int,
    error: str,
) -> None:
    other = "0000000" + codes.check_symbol("0000000")
    url = path.format(code=batch["codes"][0], other=other)
    answer = client.get(url, headers=bench)
    assert answer.status_code == status_code and answer.json()["code"] == error
    assert answer.json()["detail"]


def test_structures_may_not_print(
    client: TestClient, engine: Engine, batch: dict[str, Any]
) -> None:
    structure = auth(make_token(engine, role=Role.STRUCTURE, structure="Centre social"))
    answer = client.get(f"/api/v1/devices/{batch['codes'][0]}/label.png", headers=structure)
    assert answer.status_code == 403


@needs_poppler
def test_sheet_for_a_batch_from_a_start_position(
    client: TestClient,
    engine: Engine,
    bench: dict[str, str],
    batch: dict[str, Any],
    tmp_path: Path,
) -> None:
    answer = client.post(
        "/api/v1/labels/sheet", headers=bench, json={"batch_id": batch["id"], "start": 5}
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    layout = layouts.builtin()["a4-3x8"]
    [page] = pdf_pages(answer.content, tmp_path)
    assert [decode(cell(page, layout, i)) for i in range(4)] == [[]] * 4  # positions 1–4 left
    assert [decode(cell(page, layout, i)) for i in range(4, 9)] == [[c] for c in batch["codes"]]
    assert [status(engine, c) for c in batch["codes"]] == [
        "labelled",
        "labelled",
        "labelled",
        "labelled",
        "in_refurbishment",
    ]
    assert [t for t, _ in events(engine, batch["codes"][3])][-1] == "device.label_reprinted"
    assert_chain_ok(engine)


def test_unlabelled_only_prints_the_devices_still_received(
    client: TestClient, engine: Engine, bench: dict[str, str], batch: dict[str, Any]
) -> None:
    answer = client.post(
        "/api/v1/labels/roll",
        headers=bench,
        json={"batch_id": batch["id"], "unlabelled_only": True, "output": "zip"},
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = sorted(archive.namelist())
    assert names == sorted(f"{codes.display(c)}.png" for c in batch["codes"][:3])
    for name in names:
        assert decode_png(archive.read(name)) == [name[:9].replace("-", "")]
    nothing = client.post(
        "/api/v1/labels/roll",
        headers=bench,
        json={"batch_id": batch["id"], "unlabelled_only": True},
    )
    assert nothing.status_code == 422 and nothing.json()["code"] == "nothing_to_print"


def test_roll_as_zpl_and_sheet_refusals(
    client: TestClient, bench: dict[str, str], batch: dict[str, Any]
) -> None:
    wanted = batch["codes"][:2]
    zpl = client.post("/api/v1/labels/roll", headers=bench, json={"codes": wanted, "output": "zpl"})
    assert zpl.status_code == 200 and zpl.text.count("^XA") == 2
    cases = [
        ({"codes": [*wanted, "ZZZZ-ZZZZ"]}, 404, "unknown_device_codes"),
        ({}, 422, "nothing_to_print"),
        ({"batch_id": 9999}, 404, "batch_not_found"),
        ({"batch_id": batch["id"], "start": 25}, 422, "bad_label_start"),
        ({"batch_id": batch["id"], "format": "thermal-62mm"}, 422, "wrong_label_layout_kind"),
    ]
    for body, status_code, error in cases:
        answer = client.post("/api/v1/labels/sheet", headers=bench, json=body)
        assert (answer.status_code, answer.json()["code"]) == (status_code, error), body


def test_layouts_are_listed(client: TestClient, bench: dict[str, str]) -> None:
    answer = client.get("/api/v1/labels/layouts", headers=bench)
    by_name = {layout["name"]: layout for layout in answer.json()}
    assert by_name["a4-3x8"]["labels_per_sheet"] == 24
    assert by_name["thermal-62mm"]["dpi"] == 300 and by_name["thermal-50x25mm"]["dpi"] == 203


# --- scan-to-open --------------------------------------------------------------------

# What a QWERTY-configured scanner types on an AZERTY computer.
AZERTY = str.maketrans("1234567890aqzwm", "&é\"'(-è_çàqawz,")


@pytest.fixture
def scanned(engine: Engine) -> dict[str, str]:
    with transaction(engine) as session:
        phone = make_device(session, serial="R58M12ABCDE", imei=IMEI, asset_tag="INV-0042")
        twin_a = make_device(session, serial="DUP-001")
        twin_b = make_device(session, serial="dup-001")
        offered = make_device(session, status=Status.AVAILABLE, serial="OFFER-1")
        return {
            "phone": phone.code,
            "twin_a": twin_a.code,
            "twin_b": twin_b.code,
            "offered": offered.code,
        }


@pytest.mark.parametrize(
    ("typed", "which"),
    [
        ("{phone_lower}%0A", "phone"),
        ("%20{phone_display}%20", "phone"),
        ("r58m12abcde", "phone"),
        ("4901%2054203%20237518", "phone"),
        (IMEI, "phone"),
        ("inv-0042", "phone"),
        ("{phone_azerty}", "phone"),
    ],
)
def test_scan_resolves_what_a_scanner_types(
    client: TestClient, bench: dict[str, str], scanned: dict[str, str], typed: str, which: str
) -> None:
    phone = scanned["phone"]
    text = typed.format(
        phone_lower=phone.lower(),
        phone_display=codes.display(phone),
        phone_azerty=phone.lower().translate(AZERTY),
    )
    answer = client.get(f"/api/v1/scan/{text}", headers=bench)
    assert answer.status_code == 200, answer.text
    assert answer.json()["code"] == scanned[which]


def test_scan_says_when_nothing_or_several_match(
    client: TestClient, engine: Engine, bench: dict[str, str], scanned: dict[str, str]
) -> None:
    nothing = client.get("/api/v1/scan/NOTHING-HERE", headers=bench)
    assert nothing.status_code == 404 and nothing.json()["code"] == "scan_no_match"
    assert "NOTHING-HERE" in nothing.json()["detail"] and "Rien ne correspond" in nothing.text
    code = scanned["phone"]
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    mistyped = client.get(f"/api/v1/scan/{wrong}", headers={**bench, "Accept-Language": "en"})
    assert mistyped.status_code == 404 and mistyped.json()["code"] == "scan_mistyped_code"
    assert "looks like a device code" in mistyped.json()["detail"]
    several = client.get("/api/v1/scan/DUP-001", headers=bench)
    assert several.status_code == 409 and several.json()["code"] == "scan_ambiguous"
    listed = {m["code"] for m in several.json()["matches"]}
    assert listed == {scanned["twin_a"], scanned["twin_b"]}
    blank = client.get("/api/v1/scan/%20%0A", headers=bench)
    assert blank.status_code == 422 and blank.json()["code"] == "nothing_scanned"


def test_a_structure_scans_only_what_it_may_see(
    client: TestClient, engine: Engine, scanned: dict[str, str]
) -> None:
    structure = auth(make_token(engine, role=Role.STRUCTURE, structure="Centre social"))
    offered = client.get(f"/api/v1/scan/{scanned['offered']}", headers=structure)
    assert offered.status_code == 200 and "serial" not in offered.json()
    # an offered device's serial is not public: the structure holds no such device
    assert client.get("/api/v1/scan/OFFER-1", headers=structure).status_code == 404
    hidden = client.get(f"/api/v1/scan/{scanned['phone']}", headers=structure)
    assert hidden.status_code == 404


def test_prints_replay_from_the_ledger(
    client: TestClient, engine: Engine, bench: dict[str, str], batch: dict[str, Any]
) -> None:
    client.post("/api/v1/labels/roll", headers=bench, json={"batch_id": batch["id"]})
    with transaction(engine, read_only=True) as session:
        assert replay.differences(session) == []
        assert session.exec(select(LedgerEvent)).first() is not None
