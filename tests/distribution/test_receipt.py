"""The structure's receipt of a handed-over claim, through the real HTTP API on SQLite
and PostgreSQL, read back from the PDF with poppler (`pdftotext -raw`, `pdfinfo`)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db import ledger
from db.clock import parse_iso
from db.engine import transaction
from db.enums import Role, Status
from db.models import Structure
from distribution.receipt import euros
from remise.app import create_app
from remise.settings import Settings
from tests.factories import auth, make_device, make_token

# CI installs poppler-utils and sets REMISE_REQUIRE_TOOLS: there, a missing tool fails.
pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None and os.environ.get("REMISE_REQUIRE_TOOLS") != "1",
    reason="needs poppler-utils (pdftotext, pdfinfo)",
)

SIRET = "12345678900012"
ZONE = "Indian/Reunion"  # not the default: the receipt shows the association's time zone
DEFINITION_B = (
    "Légères traces d'usure, visibles de près seulement ; toutes les fonctions testées marchent."
)
HEADER = "Code Appareil Grade Prix"


@pytest.fixture
def demo(db_url: str, tmp_path: Path, engine: Engine) -> Iterator[TestClient]:
    """The app of an association whose SIRET is set."""
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        scheduler_enabled=False,
        organisation="Association Démo",
        organisation_siret=SIRET,
        timezone=ZONE,
    )
    with TestClient(create_app(settings, engine=engine)) as test_client:
        yield test_client


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine))


def structure(client: TestClient, engine: Engine, coordinator: dict[str, str], name: str) -> Any:
    """A structure user's headers; its structure approved, with an address and a contact."""
    headers = auth(make_token(engine, role=Role.STRUCTURE, structure=name))
    with transaction(engine, read_only=True) as session:
        found = session.exec(select(Structure).where(Structure.name == name)).one()
    details = {
        "status": "active",
        "quotas": {"laptop": 50},
        "address": "12 rue de l’Hôtel-de-Ville",
        "postcode": "44000",
        "city": "Nantes",
        "contact_name": "Élodie Müller",
    }
    answer = client.patch(f"/api/v1/structures/{found.id}", headers=coordinator, json=details)
    assert answer.status_code == 200, answer.text
    return headers


def available(engine: Engine, count: int, **fields: Any) -> list[str]:
    with transaction(engine) as session:
        return [make_device(session, status=Status.AVAILABLE, **fields).code for _ in range(count)]


def claim(client: TestClient, headers: dict[str, str], codes: list[str]) -> dict[str, Any]:
    answer = client.post("/api/v1/claims", headers=headers, json={"device_codes": codes})
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def hand_over(
    client: TestClient, coordinator: dict[str, str], claim_id: int, codes: list[str]
) -> dict[str, Any]:
    body = {"collector": "Mme Dupont", "device_codes": codes, "release_missing": True}
    answer = client.post(f"/api/v1/claims/{claim_id}/handover", headers=coordinator, json=body)
    assert answer.status_code == 200, answer.text
    given: dict[str, Any] = answer.json()
    return given


def receipt(client: TestClient, headers: dict[str, str], claim_id: int) -> bytes:
    answer = client.get(f"/api/v1/claims/{claim_id}/receipt.pdf", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    return answer.content


def poppler(tool: str, document: bytes, *args: str) -> str:
    found = subprocess.run(
        [tool, *args, "-", "-"] if tool == "pdftotext" else [tool, "-"],
        input=document,
        capture_output=True,
        check=True,
    )
    return found.stdout.decode()


def pages_of(document: bytes) -> list[str]:
    """Each page's text in drawing order, its spaces (no-break ones too) made single."""
    text = poppler("pdftotext", document, "-raw", "-enc", "UTF-8")
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def page_count(document: bytes) -> int:
    found = re.search(r"^Pages:\s+(\d+)$", poppler("pdfinfo", document), re.MULTILINE)
    assert found is not None
    return int(found.group(1))


def shown(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def test_receipt_lists_the_devices_handed_over_with_prices_and_total(
    demo: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    mine = structure(demo, engine, coordinator, "La Passerelle")
    graded = {"grading": {"fr": {"sentence": DEFINITION_B}}}
    given = available(engine, 1, brand="Dell", model="Latitude 5490", attributes=graded)
    given += available(engine, 1)
    left = available(engine, 1, brand="Acer", model="TravelMate P214")
    made = claim(demo, mine, [*given, *left])
    done = hand_over(demo, coordinator, made["id"], given)  # `left` is not collected

    document = receipt(demo, mine, made["id"])
    [text] = pages_of(document)
    assert "Bon de remise de matériel reconditionné" in text
    assert "La Passerelle" in text and "12 rue de l’Hôtel-de-Ville" in text
    assert "44000 Nantes" in text and "Contact : Élodie Müller" in text
    assert "Matériel retiré par : Mme Dupont" in text
    assert f"Bon n° {made['id']}" in text
    moment = parse_iso(done["handed_over_at"]).astimezone(ZoneInfo(ZONE))
    day = format_date(moment, "d MMMM y", locale="fr_FR").replace(" 1 ", " 1er ")
    assert f"{day} à {moment.hour} h {moment.minute:02d}" in text
    dell, lenovo = (shown(code) for code in given)
    assert f"{dell} Ordinateur portable Dell Latitude 5490 B — {DEFINITION_B} 50,00 €" in text
    assert f"{lenovo} Ordinateur portable Lenovo ThinkPad T480 B 50,00 €" in text
    assert shown(left[0]) not in text and "TravelMate" not in text  # released, not given
    assert "Montant dû 100,00 €" in text
    assert "produits reconditionnés" in text and "décret n° 2022-190 du 17 février 2022" in text
    assert "comme neuf" not in text and "état neuf" not in text  # banned by the décret
    assert "Association Démo" in text and "SIRET : 123 456 789 00012" in text
    assert "Mme Dupont, pour La Passerelle" in text  # the collector's signature box
    with transaction(engine, read_only=True) as session:
        assert f"Registre : {ledger.head(session)}" in text


def test_receipt_without_a_siret_says_it_is_not_set(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    mine = structure(client, engine, coordinator, "Les Restos")
    codes = available(engine, 1)
    made = claim(client, mine, codes)
    hand_over(client, coordinator, made["id"], codes)
    [text] = pages_of(receipt(client, coordinator, made["id"]))
    assert "SIRET : non renseigné" in text
    assert not re.search(r"\d{3} \d{3} \d{3} \d{5}", text)


def test_receipt_before_handover_is_a_409(
    demo: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    mine = structure(demo, engine, coordinator, "La Passerelle")
    made = claim(demo, mine, available(engine, 1))
    answer = demo.get(f"/api/v1/claims/{made['id']}/receipt.pdf", headers=mine)
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "receipt_not_yet"


def test_another_structures_receipt_is_a_404(
    demo: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    mine = structure(demo, engine, coordinator, "La Passerelle")
    other = structure(demo, engine, coordinator, "Les Restos")
    codes = available(engine, 1)
    made = claim(demo, mine, codes)
    hand_over(demo, coordinator, made["id"], codes)
    assert demo.get(f"/api/v1/claims/{made['id']}/receipt.pdf", headers=other).status_code == 404
    receipt(demo, mine, made["id"])  # its own structure does get it


def test_forty_devices_flow_over_pages_with_the_header_repeated(
    demo: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    mine = structure(demo, engine, coordinator, "La Passerelle")
    graded = {"grading": {"fr": {"sentence": DEFINITION_B}}}
    codes = available(engine, 40, attributes=graded)
    made = claim(demo, mine, codes)
    hand_over(demo, coordinator, made["id"], codes)

    document = receipt(demo, mine, made["id"])
    pages = pages_of(document)
    assert page_count(document) == len(pages) >= 2
    listing = [page for page in pages if any(shown(code) in page for code in codes)]
    assert len(listing) >= 2 and all(HEADER in page for page in listing)
    assert all(f"Page {n} / {len(pages)}" in page for n, page in enumerate(pages, start=1))
    text = " ".join(pages)
    assert all(text.count(shown(code)) == 1 for code in codes)
    assert text.count("50,00 €") == 40
    assert "Montant dû 2 000,00 €" in listing[-1]
    assert "Pour la structure bénéficiaire" in pages[-1]


@pytest.mark.parametrize(
    ("cents", "shown_as"),
    [
        (0, "0,00\u00a0€"),
        (5, "0,05\u00a0€"),
        (5000, "50,00\u00a0€"),
        (200_000, "2\u202f000,00\u00a0€"),  # grouped by a narrow no-break space
        (123_456_789, "1\u202f234\u202f567,89\u00a0€"),
    ],
)
def test_euros_are_written_the_french_way(cents: int, shown_as: str) -> None:
    assert euros(cents) == shown_as
