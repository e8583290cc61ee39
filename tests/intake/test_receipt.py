"""The donation receipt, read back from the PDF: its facts, its pages, a first-page preview.

No database: views are built by hand. The text comes from poppler's `pdftotext -layout`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from intake.receipt import CategoryCount, ReceiptLine, ReceiptView, render_receipt

# CI installs poppler-utils (.ci/run) and sets REMISE_REQUIRE_TOOLS: there, a missing
# tool fails the run instead of silently skipping the checks.
pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None and os.environ.get("REMISE_REQUIRE_TOOLS") != "1",
    reason="needs poppler-utils (pdftotext, pdfinfo, pdftoppm)",
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LEDGER_HEAD = "18342:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
LONG_MODEL = (
    "ThinkPad X1 Carbon Gen 9 Intel Core i7-1165G7 16 Go 512 Go SSD 14 pouces WQUXGA tactile"
)
DEVICE_HEADER = re.compile(r"N° +Code +Catégorie +Marque +Modèle +N° de série +N° d’inventaire")
A4_WIDTH, MARGIN = 595.28, 42.5  # points; the receipt's side margins are 15 mm

LINES = [
    ReceiptLine(
        "K7M2-Q9XS", "Ordinateur portable", "Lenovo", "ThinkPad T480", "PF1A2B3C", "INV-0042"
    ),
    ReceiptLine(
        "H3R8-ZT4P", "Ordinateur portable", "Hewlett-Packard", LONG_MODEL, "5CG8123XYZ", None
    ),
    ReceiptLine("W9WW-MWMW", "Smartphone", "Apple", "iPhone 11", "356938035643809", "INV-0043"),
    ReceiptLine("B2C4-D6E8", "Smartphone", None, None, None, None),
]


def make_view(**changes: Any) -> ReceiptView:
    view = ReceiptView(
        organisation="Remise — Atelier solidaire de Nantes",
        donor_name="Société Générale d’Équipements « Œuvre »",
        donor_siret="73282932000074",
        donor_contact="Élodie Müller — elodie.muller@exemple.fr",
        batch_id=42,
        pickup_date=date(2026, 11, 2),
        site="Siège, 12 rue de l’Hôtel-de-Ville, 44000 Nantes",
        workshop="Atelier Ré-emploi Rezé",
        lines=LINES,
        counts=[
            CategoryCount("Ordinateur portable", declared=12_345, received=12_342),
            CategoryCount("Smartphone", declared=2, received=4),
            CategoryCount("Tablette", declared=3, received=3),
        ],
        closed=True,
        closing_comment="Trois portables volés sur le quai ; deux smartphones non déclarés.",
        issued_at=datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
        ledger_head=LEDGER_HEAD,
    )
    return replace(view, **changes)


def many_lines(count: int) -> list[ReceiptLine]:
    return [
        ReceiptLine(
            code=f"T{n:03X}-{n % 7}Q9S"[:9],
            category="Ordinateur portable",
            brand="Hewlett-Packard Enterprise" if n % 2 else "Lenovo",
            model=f"{LONG_MODEL} n° {n}" if n % 3 else "T480",
            serial=f"SN{n:010d}",
            asset_tag=f"INV-2026-{n:05d}",
        )
        for n in range(1, count + 1)
    ]


def write_pdf(view: ReceiptView, path: Path) -> Path:
    path.write_bytes(render_receipt(view))
    return path


def pdf_text(pdf: Path) -> str:
    """The text, with no-break spaces (in numbers, dates, SIRET) read as plain spaces."""
    result = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout.replace("\u00a0", " ").replace("\u202f", " ")


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE)
    assert match
    return int(match.group(1))


def test_closed_receipt_states_the_facts(tmp_path: Path) -> None:
    text = pdf_text(write_pdf(make_view(), tmp_path / "receipt.pdf"))

    assert "Reçu de don de matériel informatique" in text
    assert "Remise — Atelier solidaire de Nantes" in text
    assert "Lot n° 42" in text
    assert "Société Générale d’Équipements « Œuvre »" in text
    assert "SIRET : 732 829 320 00074" in text
    assert "Élodie Müller — elodie.muller@exemple.fr" in text
    assert "Date d’enlèvement : 2 novembre 2026" in text
    assert "émis le 23 novembre 2026 à 10 h 30" in text
    assert "Atelier Ré-emploi Rezé" in text
    for line in LINES:
        assert re.search(rf"{line.code} +{line.category}", text)
        if line.serial:
            assert line.serial in text
    assert "Les données présentes" in text
    assert "provisoire" not in text.lower()
    assert "Page 1 / 1" in text
    assert "Registre : 18342:9f86d081884c7d65" in text


def test_differences_are_signed_highlighted_and_explained(tmp_path: Path) -> None:
    text = pdf_text(write_pdf(make_view(), tmp_path / "receipt.pdf"))

    assert re.search(r"Catégorie +Annoncé +Reçu +Écart", text)
    assert re.search(r"Ordinateur portable +12 345 +12 342 +−3\n", text)
    assert re.search(r"Smartphone +2 +4 +\+2\n", text)
    assert re.search(r"Tablette +3 +3 +0\n", text)
    assert re.search(r"Total +12 350 +12 349 +−1\n", text)
    assert "Commentaire de clôture : Trois portables volés sur le quai" in text


@pytest.mark.parametrize(
    ("closed", "comment", "note"),
    [
        (True, None, "Commentaire de clôture : non renseigné"),
        (False, None, "Lot en cours de réception : les écarts peuvent encore évoluer."),
        (False, "Reste un carton à venir.", "Commentaire de clôture : Reste un carton à venir."),
    ],
)
def test_differences_always_come_with_a_note(
    tmp_path: Path, closed: bool, comment: str | None, note: str
) -> None:
    view = make_view(closed=closed, closing_comment=comment)
    assert note in pdf_text(write_pdf(view, tmp_path / "receipt.pdf"))


@pytest.mark.parametrize(
    ("comment", "note"),
    [(None, None), ("Deux écrans rayés.", "Commentaire de clôture : Deux écrans rayés.")],
)
def test_without_differences_only_a_given_comment_is_printed(
    tmp_path: Path, comment: str | None, note: str | None
) -> None:
    view = make_view(counts=[CategoryCount("Smartphone", 4, 4)], closing_comment=comment)
    text = pdf_text(write_pdf(view, tmp_path / "receipt.pdf"))

    assert re.search(r"Total +4 +4 +0\n", text)
    assert ("Commentaire de clôture" in text) == (note is not None)
    assert note is None or note in text


def test_open_batch_is_provisional_on_every_page(tmp_path: Path) -> None:
    pdf = write_pdf(make_view(closed=False, lines=many_lines(150)), tmp_path / "receipt.pdf")
    text, pages = pdf_text(pdf), page_count(pdf)

    assert pages > 1
    assert "PROVISOIRE — lot non clôturé" in text
    assert "un reçu définitif" in text
    assert text.count("lot n° 42 — PROVISOIRE") == pages


@pytest.mark.parametrize(
    ("pickup", "issued_at", "pickup_text", "issued_text"),
    [
        (date(2026, 11, 2), datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
         "2 novembre 2026", "23 novembre 2026 à 10 h 30"),  # winter: UTC+1
        (date(2026, 7, 1), datetime(2026, 7, 14, 8, 5, tzinfo=UTC),
         "1er juillet 2026", "14 juillet 2026 à 10 h 05"),  # summer: UTC+2
        (date(2026, 12, 31), datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
         "31 décembre 2026", "1er janvier 2027 à 0 h 30"),  # already next year in Paris
    ],
)  # fmt: skip
def test_dates_are_french_in_paris_time(
    tmp_path: Path, pickup: date, issued_at: datetime, pickup_text: str, issued_text: str
) -> None:
    view = make_view(pickup_date=pickup, issued_at=issued_at)
    text = pdf_text(write_pdf(view, tmp_path / "receipt.pdf"))

    assert f"Date d’enlèvement : {pickup_text}" in text
    assert f"émis le {issued_text}" in text


def test_naive_issue_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        render_receipt(make_view(issued_at=datetime(2026, 11, 23, 10, 30)))


@pytest.mark.parametrize(
    ("siret", "printed"),
    [
        ("73282932000074", "SIRET : 732 829 320 00074"),
        ("732 829 320 00074", "SIRET : 732 829 320 00074"),
        ("7328293200", "SIRET : 7328293200"),  # not 14 digits: printed as typed
    ],
)
def test_siret_is_grouped(tmp_path: Path, siret: str, printed: str) -> None:
    text = pdf_text(write_pdf(make_view(donor_siret=siret), tmp_path / "receipt.pdf"))
    assert printed in text


def test_optional_fields_may_be_missing(tmp_path: Path) -> None:
    view = make_view(donor_siret=None, donor_contact=None, workshop=None, lines=[])
    text = pdf_text(write_pdf(view, tmp_path / "receipt.pdf"))

    assert "SIRET" not in text
    assert "Contact" not in text
    assert "Atelier partenaire" not in text
    assert "Aucun appareil enregistré pour ce lot." in text


def test_markup_characters_are_printed_as_typed(tmp_path: Path) -> None:
    line = ReceiptLine("K7M2-Q9XS", "Autre", "A&B <Tech>", "Dock <USB-C> & co", "S/N#1", None)
    view = make_view(donor_name="Dupont & Fils <SARL>", lines=[line])
    text = pdf_text(write_pdf(view, tmp_path / "receipt.pdf"))

    assert "Dupont & Fils <SARL>" in text
    assert "A&B <Tech>" in text
    assert "Dock <USB-C> & co" in text


@pytest.mark.parametrize(
    ("head", "printed"),
    [
        (LEDGER_HEAD, f"Registre : {LEDGER_HEAD}"),
        ("7:" + "ab" * 100, "Registre : 7:abababababababab…"),  # too long for the page: cut
    ],
)
def test_ledger_head_is_in_the_footer(tmp_path: Path, head: str, printed: str) -> None:
    text = pdf_text(write_pdf(make_view(ledger_head=head), tmp_path / "receipt.pdf"))
    assert printed in text


def test_same_view_gives_the_same_bytes() -> None:
    assert render_receipt(make_view()) == render_receipt(make_view())


def test_long_batch_repeats_the_header_on_every_page(tmp_path: Path) -> None:
    lines = many_lines(2_000)
    pdf = write_pdf(make_view(lines=lines), tmp_path / "receipt.pdf")
    text, pages = pdf_text(pdf), page_count(pdf)
    page_texts = text.split("\f")[:pages]

    assert pages > 40
    assert "Matériel reçu (2 000 appareils)" in text
    for number, page in enumerate(page_texts, start=1):
        assert f"Page {number} / {pages}" in page
        if re.search(r"SN\d{10}", page):
            assert len(DEVICE_HEADER.findall(page)) == 1, f"page {number}"
    assert len(DEVICE_HEADER.findall(text)) >= pages - 1  # the last may hold only the closing
    serials = re.findall(r"\bSN\d{10}\b", text)
    assert serials == [line.serial for line in lines]  # each whole, once, in order
    assert re.findall(r"\bINV-2026-\d{5}\b", text) == [line.asset_tag for line in lines]


def test_nothing_crosses_the_side_margins(tmp_path: Path) -> None:
    pdf = write_pdf(make_view(lines=many_lines(120)), tmp_path / "receipt.pdf")
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    boxes = re.findall(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', bbox)

    assert len(boxes) > 1_000
    assert all(float(x_min) >= MARGIN - 0.5 for x_min, _ in boxes)
    assert all(float(x_max) <= A4_WIDTH - MARGIN + 0.5 for _, x_max in boxes)


def test_first_page_preview_for_people(tmp_path: Path) -> None:
    """Writes tests/artifacts/receipt-page-1.png (git-ignored) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    view = make_view(closed=False, lines=[*LINES, *many_lines(40)])
    pdf = write_pdf(view, tmp_path / "receipt.pdf")
    png = ARTIFACTS / "receipt-page-1.png"
    png.unlink(missing_ok=True)
    stem = str(png.with_suffix(""))  # pdftoppm adds ".png"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), stem],
        check=True,
    )

    assert png.read_bytes().startswith(b"\x89PNG")
