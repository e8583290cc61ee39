"""A coordinator downloads a donor's report as a PDF and reads it back (pypdf), in French
and in English, on SQLite and PostgreSQL: the method in a sentence, every factor's
source and vintage, the figures worded as estimates, the certificates' verification
codes, no structure's name and no green claim. Its first page is drawn to a PNG under
tests/artifacts/ when pdftoppm or pypdfium2 is at hand, to be looked at."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine

from db.enums import Role
from tests.reporting.test_donor_report import World, build_world, lone_donor, today
from tests.web.test_pages import make_user, sign_in

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Words that would make a claim rather than an estimate (Directive (EU) 2024/825).
CLAIMS = re.compile(
    r"\b(neutr\w*|carbon[ -]free|green|vert|verte|écologique|eco-friendly|"
    r"climate[ -]positive|compens\w*|zero (emission|carbon)|zéro (émission|carbone))\b",
    re.IGNORECASE,
)
SPACES = re.compile(r"\s+")


def text_of(pdf: bytes) -> str:
    """The PDF's text on one line, its spaces (no-break ones too) made plain."""
    reader = PdfReader(io.BytesIO(pdf))
    joined = " ".join(page.extract_text() or "" for page in reader.pages)
    return SPACES.sub(" ", joined.replace("\u202f", " ").replace("\u00a0", " "))


def first_page_png(pdf: bytes, name: str) -> Path | None:
    """The first page drawn to tests/artifacts/NAME.png, if a renderer is installed."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target, source = ARTIFACTS / f"{name}.png", ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-singlefile", str(source), str(target)[:-4]],
            check=True,
        )
        return target
    try:
        import pypdfium2  # type: ignore[import-not-found]
    except ImportError:
        return None
    page = pypdfium2.PdfDocument(pdf)[0]
    page.render(scale=80 / 72).to_pil().save(target)
    return target


@pytest.fixture
def world(client: TestClient, engine: Engine) -> World:
    found = build_world(client, engine)
    make_user(engine, "cora", Role.COORDINATOR)
    sign_in(client, "cora")
    return found


def download(client: TestClient, world: World, query: str = "") -> bytes:
    year = today().year
    url = f"/reports/donors/{world.donor}.pdf?from={year}-01-01&to={year}-12-31{query}"
    answer = client.get(url)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/pdf"
    return answer.content


def test_the_french_pdf_and_page_state_method_sources_estimates_and_codes(
    client: TestClient, world: World
) -> None:
    pdf = download(client, world)  # the reader's language: French
    assert PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)
    text = text_of(pdf)
    year = today().year
    assert "Remise" in text and "Acme SAS" in text  # the association's name, the donor's
    assert f"Du 1er janvier {year} au 31 décembre {year}" in text
    assert (
        "Méthode : chaque appareil réemployé est supposé remplacer l'achat d'un appareil neuf "
        "de la même catégorie, dont l'empreinte de fabrication et de distribution est "
        "comptée comme évitée (ADEME Impact CO2, valeurs 2025)." in text
    )
    assert "Total évité estimé : environ 528 kg CO2e." in text
    assert "ADEME Impact CO2 (impactco2.fr), étude ADEME/Arcep, mise à jour 2025" in text
    assert "produits reconditionnés », septembre 2022 (2022)" in text
    assert "Facteurs utilisés : version 1" in text
    assert "Non compté, faute de facteur : Autre (1)." in text
    for code in (world.certificates["batch"], world.certificates["device"]):
        assert code in text
    assert world.certificates["first"] not in text and world.certificates["theirs"] not in text
    assert "Jeunes" in text and "Demandeurs d'emploi" in text
    for name in ("Mission locale", "Maison de l'emploi", "Awa Diallo", "Camille Martin"):
        assert name not in text  # no structure, no person
    assert CLAIMS.search(text) is None, CLAIMS.search(text)
    shot = first_page_png(pdf, "donor-report-fr")
    assert shot is None or shot.stat().st_size > 10_000
    page = client.get(f"/reports/donors/{world.donor}?from={year}-01-01&to={year}-12-31")
    assert page.status_code == 200
    body = page.text.replace("\u202f", " ").replace("&#39;", "'")
    assert f'href="/reports/donors/{world.donor}.pdf?from={year}-01-01&amp;to={year}-12-31"' in body
    assert "environ 528 kg CO2e" in body and "version 1" in body
    assert f'/verify/{world.certificates["batch"]}"' in body
    assert "Mission locale" not in body
    listing = client.get("/reports/donors")
    assert listing.status_code == 200 and f'href="/reports/donors/{world.donor}"' in listing.text
    chosen = client.get(
        f"/reports/donors?donor_id={world.donor}&from={year}-03-01&to=", follow_redirects=False
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == (
        f"/reports/donors/{world.donor}?from={year}-03-01&to={year}-12-31"
    )


def test_the_english_pdf_follows_lang_or_the_readers_language(
    client: TestClient, world: World
) -> None:
    text = text_of(download(client, world, "&lang=en"))
    year = today().year
    assert f"From January 1, {year} to December 31, {year}" in text
    assert (
        "Method: each reused device is assumed to replace the purchase of a new device of "
        "the same category, whose manufacturing and distribution footprint is counted as "
        "avoided (ADEME Impact CO2, 2025 values)." in text
    )
    assert "Estimated total avoided: about 528 kg CO2e." in text
    assert "Laptop" in text and "about 365 kg CO2e" in text
    assert "Young people" in text and "Not stated by the structure" in text
    assert "Factors used: version 1" in text and "2022" in text
    assert world.certificates["batch"] in text and world.certificates["device"] in text
    assert "estimates made with average factors" in text
    assert CLAIMS.search(text) is None, CLAIMS.search(text)
    first_page_png(download(client, world, "&lang=en"), "donor-report-en")
    keys = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert keys is not None
    switched = client.post("/language", data={"locale": "en", "next": "/", "csrf_token": keys[1]})
    assert switched.status_code in (200, 303)
    assert "Estimated total avoided" in text_of(download(client, world))
    french = text_of(download(client, world, "&lang=fr"))
    assert "Total évité estimé" in french


def test_a_bad_date_is_said_beside_its_field(client: TestClient, engine: Engine) -> None:
    donor = lone_donor(engine)
    make_user(engine, "cora", Role.COORDINATOR)
    sign_in(client, "cora")
    page = client.get(f"/reports/donors/{donor}?from=2026-02-30&to=2026-01-01")
    assert page.status_code == 422
    body = page.text
    error = '<p class="field-error" id="e-from">Une date est attendue, par exemple 2026-11-23.</p>'
    assert error in body
    assert 'id="f-from" name="from" type="date" value="2026-02-30" aria-invalid="true"' in body
    reversed_ = client.get(f"/reports/donors/{donor}?from=2026-05-02&to=2026-05-01").text
    assert '<p class="field-error" id="e-to">La fin de la période est avant son début.</p>' in (
        reversed_
    )
    assert "Méthode" not in reversed_  # no report for a period that cannot be
    far = client.get(f"/reports/donors/{donor}?from=0001-01-01&to=9999-12-31").text
    assert '<p class="field-error" id="e-from">Une date de 1970 à 2999 est attendue.</p>' in far
    assert '<p class="field-error" id="e-to">Une date de 1970 à 2999 est attendue.</p>' in far
    assert client.get(f"/reports/donors/{donor}.pdf?to=9999-12-31").status_code == 422
    chosen = client.get("/reports/donors?donor_id=999999&from=x")
    assert chosen.status_code == 422 and 'id="e-donor_id"' in chosen.text
    assert 'id="e-from"' in chosen.text
    pdf = client.get(f"/reports/donors/{donor}.pdf?from=2026-05-02&to=2026-05-01")
    assert pdf.status_code == 422 and "text/html" in pdf.headers["content-type"]
    assert client.get("/reports/donors/999999.pdf").status_code == 404


@pytest.mark.parametrize("role", [Role.BENCH, Role.WORKSHOP, Role.STRUCTURE])
def test_the_report_pages_are_for_coordinators_only(
    client: TestClient, engine: Engine, role: Role
) -> None:
    from tests.distribution.test_catalog_api import active_structure

    structure = active_structure(client, engine, "Le Relais")[1] if role == Role.STRUCTURE else None
    make_user(engine, "someone", role, structure_id=structure)
    sign_in(client, "someone")
    for path in ("/reports/donors", "/reports/donors/1", "/reports/donors/1.pdf"):
        assert client.get(path).status_code == 403, path
    assert client.get("/reports/impact-factors").status_code == 403
