"""No text Remise shows or prints calls a refurbished device new.

Décret n° 2022-190 (art. R. 122-4 ff. Code de la consommation, reference-data §2.3): a
product called « reconditionné » may not be described as « état neuf », « comme neuf »,
« à neuf » or any equivalent. Scanned: every msgid and msgstr of the French catalogue,
every page template, the label layouts, the shipped rules and grid, the checklists'
labels, and the text of the PDFs Remise prints (a donation receipt, an erasure
certificate in French and English, a sheet of labels of graded devices).

The regex (FORBIDDEN), case-insensitive, whole words, any run of spaces (no-break ones
and `&nbsp;` included) between words:
- « état neuf » (also « état : neuf », « l'état de neuf », « état quasi neuf »),
  « comme neuf » (« comme du neuf »), « à neuf » (« remis à neuf », « refait à neuf »),
  « quasi / presque / pratiquement neuf », each with « neuve », « neufs », « neuves »;
- a text that is only « Neuf » or « Neuve » (a state offered as a choice);
- English: "like new", "as new" ("good as new"), "brand new", "mint" (not Linux Mint).
A bare « neuf » is left alone: it is also nine (« neuf appareils », « dix-neuf »), and
« batterie neuve » says a replaced part is new, which is true and allowed. « à neuf »
also catches « de un à neuf »: write such numbers in digits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine

from db import codes
from db.enums import Category, Role
from intake.receipt import render_receipt
from refurbish.defaults import DEFAULTS
from refurbish.erasure import certificate_pdf, signing
from tests.factories import auth, make_token
from tests.grading.helpers import grade, refurbished
from tests.intake.test_receipt import make_view
from tests.refurbish.test_certificate_pdf import make_content

ROOT = Path(__file__).resolve().parents[2]
SPACE = r"(?:\s|&nbsp;|&\#160;|&\#xa0;)+"
NEUF = r"neu(?:f|fs|ve|ves)"
NEARLY = r"(?:quasi|presque|pratiquement)(?:-|" + SPACE + ")"
FORBIDDEN = re.compile(
    rf"""\b(?:
        [ée]tat{SPACE}?(?::{SPACE}?)?(?:de{SPACE})?(?:{NEARLY})?{NEUF}  # état neuf, état : neuf
      | comme{SPACE}(?:(?:du|un|une){SPACE})?{NEUF}                      # comme neuf, comme du neuf
      | à{SPACE}{NEUF}                                                   # (remis, refait) à neuf
      | {NEARLY}{NEUF}                                                   # quasi neuf, quasi-neuve
      | (?:like|as)(?:-|{SPACE})new                                      # like new, (good) as new
      | brand(?:-|{SPACE})new
      | (?<!linux[\s_-])mint                                             # mint, not Linux Mint
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
ONLY_NEW = re.compile(rf"^\W*{NEUF}\W*$", re.IGNORECASE)


def forbidden(text: str) -> list[str]:
    """The forbidden phrases in `text`."""
    found = [m.group(0) for m in FORBIDDEN.finditer(text)]
    return found + ([text.strip()] if ONLY_NEW.match(text) else [])


@pytest.mark.parametrize(
    "text",
    [
        "Comme neuf !", "comme neuve", "Ordinateurs comme neufs", "c'est comme du neuf",
        "état  neuf", "État neuf", "en parfait état neuf", "État : neuf", "à l'état de neuf",
        "état quasi neuf", "remis à neuf", "Remise à neuf complète", "refaits à neuf",
        "À NEUF", "quasi-neuve", "presque neuf", "comme\u00a0neuf", "comme&nbsp;neuf",
        "état\u202fneuf", "like new", "Like-new condition", "good as new", "brand new",
        "in mint condition", "Mint", "Neuf", " neuve. ",
    ],
)  # fmt: skip
def test_the_regex_flags_every_forbidden_phrase(text: str) -> None:
    assert forbidden(text), text


@pytest.mark.parametrize(
    "text",
    [
        "reconditionné", "Appareil reconditionné en France", "neuf appareils reçus",
        "Neuf appareils sur dix", "dix-neuf", "19 (dix-neuf) lots", "batterie neuve, 100 %",
        "une pièce neuve", "Linux Mint", "linux_mint", "Emmabuntüs, Linux Mint", "nouveau",
        "new version", "renewed", "news", "Très bon état", "état correct", "Neuftel",
        "neufchâtel", "newsletter", "comment", "mintage",
    ],
)  # fmt: skip
def test_the_regex_leaves_other_words_alone(text: str) -> None:
    assert forbidden(text) == [], text


def flagged(texts: Iterator[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    return [(where, found) for where, text in texts if (found := forbidden(text))]


def catalogue() -> Iterator[tuple[str, str]]:
    path = ROOT / "remise" / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        messages = list(read_po(source))
    assert len(messages) > 100  # the catalogue itself, not an empty file
    for message in messages:
        for part in ("id", "string"):
            value = getattr(message, part)
            for text in value if isinstance(value, tuple | list) else [value]:
                if text:
                    yield f"messages.po {message.id!r} ({part})", text


def test_the_french_catalogue_says_nothing_forbidden() -> None:
    assert flagged(catalogue()) == []


def test_the_page_templates_say_nothing_forbidden() -> None:
    templates = sorted(p for p in ROOT.glob("*/templates/**/*.html") if ".venv" not in p.parts)
    assert len(templates) >= 20
    found = flagged((str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in templates)
    assert found == []


def test_the_label_layouts_say_nothing_forbidden() -> None:
    text = (ROOT / "labels" / "layouts.toml").read_text(encoding="utf-8")
    assert "[thermal-62mm]" in text
    assert forbidden(text) == []


def strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON-like value, with its place."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{where}[{index}]")


@pytest.mark.parametrize("name", ["default_rules.json", "default_grid.json"])
def test_the_shipped_grading_documents_say_nothing_forbidden(name: str) -> None:
    document = json.loads((ROOT / "grading" / name).read_text(encoding="utf-8"))
    texts = list(strings(document, name))
    assert len(texts) > 20
    assert flagged(iter(texts)) == []


def test_the_checklists_labels_say_nothing_forbidden() -> None:
    texts = list(strings({c.value: steps for c, steps in DEFAULTS.items()}, "DEFAULTS"))
    labels = [(w, t) for w, t in texts if ".label." in w]
    assert {t for _, t in labels} >= {"Bon état", "Traces d'usure", "Parfait", "Linux Mint"}
    assert flagged(iter(labels)) == []


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)


def test_the_donation_receipt_says_nothing_forbidden() -> None:
    text = pdf_text(render_receipt(make_view()))
    assert "Reçu de don" in text
    assert forbidden(text) == []


@pytest.mark.parametrize(("locale", "title"), [("fr", "Certificat"), ("en", "Certificate")])
def test_the_erasure_certificate_says_nothing_forbidden(locale: str, title: str) -> None:
    envelope = signing.sign(make_content(), Ed25519PrivateKey.generate())
    text = pdf_text(certificate_pdf.render(envelope, locale))
    assert title in text
    assert forbidden(text) == []


def test_a_sheet_of_graded_labels_says_nothing_forbidden(
    client: TestClient, engine: Engine
) -> None:
    bench = auth(make_token(engine, role=Role.BENCH))
    laptop = refurbished(client, engine, bench, values={"casing": "worn", "battery_health": 55})
    phone = refurbished(client, engine, bench, Category.SMARTPHONE, values={"casing": "worn"})
    for code, zones in ((laptop, {"keyboard": "A"}), (phone, {"buttons": "A"})):
        answer = grade(client, bench, code, {"cosmetic": zones, "tpm2": True})
        assert answer.status_code == 200 and answer.json()["grade"] == "B", answer.text
    answer = client.post("/api/v1/labels/sheet", headers=bench, json={"codes": [laptop, phone]})
    assert answer.status_code == 200, answer.text
    text = pdf_text(answer.content)
    assert codes.display(laptop) in text and codes.display(phone) in text
    assert "Grade B" in text
    assert forbidden(text) == []
