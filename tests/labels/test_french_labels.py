"""Labels speak the installation's language around the brand names: the formats' words
in the print form, the title of a PDF of sheets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.engine import transaction
from db.enums import Role, Status
from db.models import Batch, Donor
from labels import layouts, output
from labels.layouts import SheetLayout
from remise import accounts
from remise.i18n import localise
from tests.factories import ACTOR, auth, make_device, make_token
from tests.labels.decoding import CONTENTS

needs_pdfinfo = pytest.mark.skipif(
    shutil.which("pdfinfo") is None and os.environ.get("REMISE_REQUIRE_TOOLS") != "1",
    reason="needs poppler-utils (pdfinfo)",
)
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def pdf_title(data: bytes, folder: Path) -> str:
    source = folder / "labels.pdf"
    source.write_bytes(data)
    shown = subprocess.run(
        ["pdfinfo", "-enc", "UTF-8", str(source)], check=True, capture_output=True, text=True
    ).stdout
    found = re.search(r"^Title:\s+(.*)$", shown, re.MULTILINE)
    assert found is not None, shown
    return found.group(1).strip()


@pytest.mark.parametrize(
    ("locale", "batch_id", "title"),
    [
        ("fr", None, "Étiquettes Remise"),
        ("fr", 12, "Étiquettes Remise — lot 12"),
        ("en", None, "Remise labels"),
        ("en", 12, "Remise labels — batch 12"),
    ],
)
def test_sheet_title_in_the_installation_language(
    locale: str, batch_id: int | None, title: str
) -> None:
    assert output.sheet_title(locale, batch_id) == title


@needs_pdfinfo
def test_the_pdf_of_sheets_carries_its_title(tmp_path: Path) -> None:
    layout = layouts.builtin()["a4-3x8"]
    assert isinstance(layout, SheetLayout)
    sheet = output.sheet(layout, [CONTENTS["long"]], 1, locale="fr", batch_id=12)
    assert pdf_title(sheet.body, tmp_path) == "Étiquettes Remise — lot 12"
    english = output.sheet(layout, [CONTENTS["long"]], 1, locale="en")
    assert pdf_title(english.body, tmp_path) == "Remise labels"


@pytest.mark.parametrize(
    ("name", "french", "english"),
    [
        ("thermal-62mm", "Brother QL, DK-22205", "Brother QL, DK-22205"),
        ("thermal-62x29mm", "Brother QL, DK-11209", "Brother QL, DK-11209"),
        ("thermal-50x25mm", "Zebra ou compatible", "Zebra or compatible"),
        ("a4-3x8", "Herma 4453, Avery 3484 ou compatible", "Herma 4453, Avery 3484 or compatible"),
        ("a4-2x7", "Avery L7163 ou compatible", "Avery L7163 or compatible"),
    ],
)
def test_builtin_descriptions_translate_their_words_and_keep_the_brands(
    name: str, french: str, english: str
) -> None:
    shown = layouts.builtin()[name].shown_description
    assert (localise("fr", shown), localise("en", shown)) == (french, english)


def test_a_workshop_description_is_shown_as_written_or_with_the_words(tmp_path: Path) -> None:
    own = tmp_path / "label-layouts.toml"
    own.write_text(
        '[thermal-40x30mm]\ndescription = "Notre Zebra GK420d"\n'
        "width_mm = 40\nheight_mm = 30\ndpi = 203\n\n"
        '[thermal-58mm]\ndescription = "Dymo 99010"\nor_compatible = true\n'
        "width_mm = 58\nheight_mm = 30\ndpi = 300\n",
        encoding="utf-8",
    )
    known = layouts.load(own)
    assert localise("fr", known["thermal-40x30mm"].shown_description) == "Notre Zebra GK420d"
    assert localise("fr", known["thermal-58mm"].shown_description) == "Dymo 99010 ou compatible"


@pytest.fixture
def batch_id(engine: Engine) -> int:
    with transaction(engine) as session:
        donor = Donor(name="Banque Solidaire", created_at="2026-11-23T08:00:00Z")
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
        make_device(session, status=Status.RECEIVED, batch_id=found.id)
        assert found.id is not None
        return found.id


@needs_pdfinfo
def test_a_batch_sheet_from_the_api_is_titled_with_its_batch(
    client: TestClient, engine: Engine, batch_id: int, tmp_path: Path
) -> None:
    bench = auth(make_token(engine, role=Role.BENCH))
    answer = client.post("/api/v1/labels/sheet", headers=bench, json={"batch_id": batch_id})
    assert answer.status_code == 200
    assert pdf_title(answer.content, tmp_path) == f"Étiquettes Remise — lot {batch_id}"


@needs_pdfinfo
def test_the_print_form_words_formats_in_french_and_titles_the_pdf(
    client: TestClient, engine: Engine, batch_id: int, tmp_path: Path
) -> None:
    with transaction(engine) as session:
        accounts.create_user(
            session, ACTOR, username="lucie", role=Role.BENCH, password="pw-lucie-tournesol"
        )
    form = dict(HIDDEN.findall(client.get("/login").text))
    signed_in = client.post(
        "/login",
        data=form | {"username": "lucie", "password": "pw-lucie-tournesol"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    page = client.get(f"/intake/batches/{batch_id}").text
    assert "(Zebra ou compatible)" in page and "(Avery L7163 ou compatible)" in page
    assert "or compatible" not in page and "and the like" not in page
    fields = dict(HIDDEN.findall(page.partition('action="/labels/print"')[2]))
    printed = client.post(
        "/labels/print",
        data={
            "csrf_token": fields["csrf_token"],
            "form_key": fields["form_key"],
            "batch_id": str(batch_id),
            "format": "a4-3x8",
        },
        follow_redirects=False,
    )
    assert printed.status_code == 200, printed.text
    assert pdf_title(printed.content, tmp_path) == f"Étiquettes Remise — lot {batch_id}"
