"""Certificates of sanitization through the HTTP API and the CLI, on SQLite and PostgreSQL.

A batch of a laptop with two disks (a real probe recording), a phone, and a device still
waiting: its certificate lists every medium with its result and the one still waiting;
its code verifies publicly without a word about the operator or the donor; a tampered
ledger row makes the check fail naming the medium; the PDF's signature checks offline
and fails on a changed byte.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from db.codes import display
from db.engine import transaction
from db.enums import Category, Role, Status
from refurbish.erasure import certificate_pdf, signing
from refurbish.hardware import probe
from remise.accounts import create_user
from remise.app import create_app
from remise.cli import app
from remise.settings import Settings
from tests.factories import ACTOR, auth, make_device, make_token
from tests.refurbish.corpus import needs_corpus
from tests.refurbish.test_erasure_api import TWO_DISKS
from tests.refurbish.test_runs_api import finish, start
from tests.refurbish.walking import erase_every_medium, fill

DONOR = "Banque Solidaire du Bocage"
OPERATOR = "Lucie Martin"


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    with transaction(engine) as session:
        _user, token = create_user(
            session, ACTOR, username="lucie", role=Role.BENCH, display_name=OPERATOR
        )
    return auth(token)


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.COORDINATOR))


def make_batch(client: TestClient, engine: Engine) -> int:
    coordinator = auth(make_token(engine, role=Role.COORDINATOR))
    donor = client.post("/api/v1/donors", headers=coordinator, json={"name": DONOR}).json()
    batch = {"donor_id": donor["id"], "pickup_date": "2026-11-30", "site": "Nantes"}
    answer = client.post("/api/v1/batches", headers=coordinator, json=batch)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def batch_of_three(client: TestClient, engine: Engine, bench: dict[str, str]) -> dict[str, Any]:
    """A batch: a refurbished laptop with two disks, a refurbished phone, a desktop waiting."""
    batch = make_batch(client, engine)
    with transaction(engine) as session:
        codes = [
            display(make_device(session, status=Status.LABELLED, category=c, batch_id=batch).code)
            for c in (Category.LAPTOP, Category.SMARTPHONE, Category.DESKTOP)
        ]
    laptop, phone, desktop = codes
    for code in (laptop, phone):
        run = start(client, bench, code)
        if code == laptop:
            probe_into(client, bench, code)
        fill(client, bench, run["id"])
        erase_every_medium(client, bench, code)
        assert finish(client, bench, run["id"], outcome="refurbished").status_code == 200
    return {"batch": batch, "laptop": laptop, "phone": phone, "desktop": desktop}


def probe_into(client: TestClient, headers: dict[str, str], code: str) -> None:
    with TWO_DISKS.open(encoding="utf-8", errors="replace") as lines:
        body = probe.from_dump(lines).model_dump(mode="json")
    assert client.post(f"/api/v1/devices/{code}/snapshots", headers=headers, json=body).is_success


@needs_corpus
def test_a_batch_certificate_lists_every_medium_and_verifies_publicly(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    made = batch_of_three(client, engine, bench)
    answer = client.get(f"/api/v1/batches/{made['batch']}/certificate", headers=coordinator)
    assert answer.status_code == 200, answer.text
    issued = answer.json()
    content = issued["envelope"]["content"]
    by_code = {d["code"]: d for d in content["devices"]}
    assert [m["status"] for m in by_code[made["laptop"]]["media"]] == ["passed", "passed"]
    assert [m["type"] for m in by_code[made["phone"]]["media"]] == ["internal"]
    assert by_code[made["desktop"]]["media"] == []
    assert [p["code"] for p in content["pending"]] == [made["desktop"]]
    assert content["donor"]["name"] == DONOR and content["supersedes"] is None
    assert issued["verify_url"].endswith(f"/verify/{issued['certificate']}")
    assert all(m["operator"] for d in content["devices"] for m in d["media"])

    again = client.get(f"/api/v1/batches/{made['batch']}/certificate", headers=coordinator)
    assert again.json()["certificate"] == issued["certificate"]  # nothing changed since

    public = client.get(f"/api/v1/certificates/{issued['certificate'].lower()}")
    assert public.status_code == 200, public.text
    checked = public.json()
    assert checked["valid"] and checked["chain"]["ok"] and checked["problems"] == []
    assert checked["pending"] == [made["desktop"]]
    assert OPERATOR not in public.text and DONOR not in public.text
    assert "operator" not in public.text

    key = client.get("/api/v1/certificates/key").json()
    signing.verify(issued["envelope"], signing.load_public_key(key["public_key_base64"]))


@needs_corpus
def test_a_later_record_supersedes_without_invalidating(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    made = batch_of_three(client, engine, bench)
    first = client.get(f"/api/v1/batches/{made['batch']}/certificate", headers=coordinator).json()
    run = start(client, bench, made["desktop"])
    fill(client, bench, run["id"])
    erase_every_medium(client, bench, made["desktop"])
    second = client.get(f"/api/v1/batches/{made['batch']}/certificate", headers=coordinator).json()
    assert second["certificate"] != first["certificate"]
    assert second["supersedes"] == first["certificate"]
    assert second["envelope"]["content"]["pending"] == []
    for code in (first["certificate"], second["certificate"]):
        assert client.get(f"/api/v1/certificates/{code}").json()["valid"]
    with transaction(engine, read_only=True) as session:
        issued = session.execute(
            text("SELECT count(*) FROM ledger_event WHERE type = 'certificate.issued'")
        ).scalar_one()
    assert issued == 2


@needs_corpus
def test_a_tampered_ledger_row_fails_the_check_naming_the_medium(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    made = batch_of_three(client, engine, bench)
    issued = client.get(f"/api/v1/batches/{made['batch']}/certificate", headers=coordinator).json()
    laptop = next(
        d for d in issued["envelope"]["content"]["devices"] if d["code"] == made["laptop"]
    )
    medium = laptop["media"][1]
    seq = medium["evidence"]["seq"]
    with transaction(engine) as session:
        payload = session.execute(
            text("SELECT payload FROM ledger_event WHERE seq = :seq"), {"seq": seq}
        ).scalar_one()
        forged = payload.replace('"passed":true', '"passed":false', 1)
        assert forged != payload
        session.execute(
            text("UPDATE ledger_event SET payload = :p WHERE seq = :seq"), {"p": forged, "seq": seq}
        )
    checked = client.get(f"/api/v1/certificates/{issued['certificate']}").json()
    assert not checked["valid"] and not checked["chain"]["ok"]
    [problem] = checked["problems"]
    assert problem["device"] == made["laptop"] and medium["serial"] in problem["medium"]
    assert str(seq) in checked["chain"]["problem"]


@needs_corpus
def test_the_pdf_carries_its_signed_content_and_checks_offline(
    client: TestClient,
    engine: Engine,
    bench: dict[str, str],
    coordinator: dict[str, str],
    tmp_path: Path,
) -> None:
    made = batch_of_three(client, engine, bench)
    answer = client.get(f"/api/v1/batches/{made['batch']}/certificate.pdf", headers=coordinator)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    envelope = certificate_pdf.embedded_envelope(answer.content)
    code = envelope["content"]["certificate"]
    assert code in answer.headers["content-disposition"]
    key = client.get("/api/v1/certificates/key").json()["public_key_base64"]
    pdf = tmp_path / "certificat.pdf"
    pdf.write_bytes(answer.content)
    runner = CliRunner()
    good = runner.invoke(app, ["certificate", "verify", str(pdf), "--key", key])
    assert good.exit_code == 0, good.output
    assert code in good.output
    changed = tmp_path / "modifie.pdf"
    changed.write_bytes(_one_byte_changed_inside_attachment(answer.content))
    bad = runner.invoke(app, ["certificate", "verify", str(changed), "--key", key])
    assert bad.exit_code == 1

    device = client.get(f"/api/v1/devices/{made['phone']}/certificate.pdf", headers=coordinator)
    assert device.status_code == 200
    alone = certificate_pdf.embedded_envelope(device.content)["content"]
    assert alone["scope"] == "device" and [d["code"] for d in alone["devices"]] == [made["phone"]]


def _one_byte_changed_inside_attachment(pdf: bytes) -> bytes:
    """The PDF again, its attached signed content with one digit of a disk's size changed
    (still valid JSON: only the signature can tell)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    [(name, [data])] = list(reader.attachments.items())
    at = data.index(b'"size_bytes":') + len(b'"size_bytes":')
    digit = b"1" if data[at : at + 1] != b"1" else b"2"
    forged = data[:at] + digit + data[at + 1 :]
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.add_attachment(name, forged)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_an_unknown_certificate_code_is_not_found(client: TestClient) -> None:
    assert client.get("/api/v1/certificates/ABCDE-FGHJK").status_code == 404
    assert client.get("/api/v1/certificates/pas-un-code").status_code == 404


def test_a_structure_cannot_have_a_batch_certificate(client: TestClient, engine: Engine) -> None:
    batch = make_batch(client, engine)
    structure = auth(make_token(engine, role=Role.STRUCTURE, structure="Mission locale"))
    assert client.get(f"/api/v1/batches/{batch}/certificate", headers=structure).status_code == 403
    public = client.get(f"/api/v1/batches/{batch}/certificate")
    assert public.status_code == 401


def test_production_refuses_to_start_without_its_signing_key(
    engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=str(engine.url),
        environment="production",
        secret_key="x" * 40,
        data_dir=tmp_path / "data",
        scheduler_enabled=False,
    )
    with pytest.raises(signing.CertificateKeyError, match="REMISE_CERTIFICATE_KEY"):
        create_app(settings, engine=engine)
    key = tmp_path / "certificate-key.pem"
    signing.create_key(key)
    ready = create_app(settings.model_copy(update={"certificate_key": key}), engine=engine)
    assert ready.state.certificate_key is not None


@needs_corpus
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL has no such lock
def test_an_unchanged_certificate_is_answered_without_the_write_lock(
    client: TestClient, engine: Engine, db_url: str, bench: dict[str, str]
) -> None:
    """Asking again for a certificate nothing changed since reads only: it is answered
    while another program holds SQLite's database-wide write lock."""
    coordinator = auth(make_token(engine, role=Role.COORDINATOR))
    made = batch_of_three(client, engine, bench)
    url = f"/api/v1/batches/{made['batch']}/certificate"
    issued = client.get(url, headers=coordinator).json()["certificate"]
    writer = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another program writing, for a long time
        again = client.get(url, headers=coordinator)
        pdf = client.get(url + ".pdf", headers=coordinator)
    finally:
        writer.rollback()
        writer.close()
    assert again.status_code == 200 and again.json()["certificate"] == issued
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
