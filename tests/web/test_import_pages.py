"""The import pages in a browser: a check that asks about « Téléphone », reloads freely,
imports after 303s, and shows the rows « Importer seulement les lignes valides » left out."""

from __future__ import annotations

import re
from typing import Any

from tests.intake.samples import imei
from tests.web.conftest import Server, api, check_page, sign_in

HEADER = "Catégorie;Marque;Modèle;N° de série;IMEI"


def csv_file(rows: list[str], name: str = "telephones.csv") -> dict[str, Any]:
    text = "\r\n".join([HEADER, *rows]) + "\r\n"
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode("cp1252")}


def new_batch(server: Server, site: str) -> int:
    donor: Any = api(server, "coordinatrice", "POST", "/api/v1/donors", {"name": "Mairie de Rezé"})
    body = {"donor_id": donor["id"], "pickup_date": "2026-11-02", "site": site}
    batch: Any = api(server, "coordinatrice", "POST", "/api/v1/batches", body)
    return int(batch["id"])


def received(server: Server, batch_id: int) -> dict[str, int]:
    batch: Any = api(server, "coordinatrice", "GET", f"/api/v1/batches/{batch_id}")
    return {k: v for k, v in batch["received"].items() if v}


def test_a_telephone_file_is_asked_about_answered_and_imported_once(
    page: Any, server: Server
) -> None:
    batch_id = new_batch(server, "Rezé, mairie annexe")
    here = f"/intake/batches/{batch_id}"
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, "atelier", next_path=here)
    rows = [f"Téléphone;;;TEL{n:03d};" for n in range(12)]
    rows += [
        f"Téléphone;Samsung;Galaxy S9;S9-0001;{imei(9)}",
        f"Téléphone;Nokia;105;N105-0001;{imei(105)}",
        f"Portable;;;PORT-0001;{imei(1)}",
    ]
    page.set_input_files("#upload-file", files=[csv_file(rows)])
    page.click("text=Vérifier le fichier")
    page.wait_for_url(re.compile(rf".*/intake/batches/{batch_id}/imports/check/[0-9a-f]{{64}}\?.*"))
    question = page.locator("fieldset.question legend").inner_text()
    assert question.startswith("12 lignes « Téléphone » :")
    assert "Téléphone basique" in question and "Smartphone" in question
    readings = page.inner_text("#category-readings")
    assert "à préciser" in readings and "le modèle est un smartphone" in readings
    assert "IMEI" in readings
    check_page(page, "import-check-question")

    page.reload()  # a GET: shown again, nothing sent again
    page.wait_for_selector("fieldset.question")
    assert received(server, batch_id) == {}

    page.get_by_label("Smartphone").check()
    page.click("#report button.primary")
    page.wait_for_url(re.compile(rf".*/intake/batches/{batch_id}$"))
    assert "Appareils enregistrés : 15 ;" in page.inner_text("p.flash")
    assert received(server, batch_id) == {"smartphone": 14, "basic_phone": 1}
    check_page(page, "import-done")

    page.go_back()  # to the check: it runs again, and finds everything registered
    page.wait_for_selector("#report-title")
    page.reload()
    page.wait_for_selector("#report-title")
    assert "0 nouveaux appareils, 15 déjà enregistrés" in page.inner_text("#report")
    assert page.locator("fieldset.question").count() == 0
    assert dialogs == [] and received(server, batch_id) == {"smartphone": 14, "basic_phone": 1}

    page.goto(f"{here}/import")  # the form's address, opened: the batch page
    assert page.url.endswith(here)
    page.goto(f"{here}/import/confirm")
    assert page.url.endswith(here)


def test_importing_the_valid_rows_only_shows_the_rows_left_out(page: Any, server: Server) -> None:
    batch_id = new_batch(server, "Rezé, école")
    sign_in(page, "atelier", next_path=f"/intake/batches/{batch_id}")
    rows = [
        "Ordinateur portable;Dell;Latitude 5490;LAT-0001;",
        "Grille-pain;Moulinex;X;GP-0001;",
        "Téléphone;;;TEL-0001;",
    ]
    page.set_input_files("#upload-file", files=[csv_file(rows, "ecole.csv")])
    page.click("text=Vérifier le fichier")
    page.wait_for_selector("#import-errors")
    assert "Grille-pain" in page.inner_text("#import-errors")
    assert page.locator("fieldset.question").count() == 1  # may be answered, or left out
    check_page(page, "import-check-problems")

    page.click("text=Importer seulement les lignes valides")
    page.wait_for_url(re.compile(rf".*/intake/batches/{batch_id}/imports/\d+$"))
    assert "Appareils enregistrés : 1 ;" in page.inner_text("p.flash")
    left_out = page.locator("#left-out tbody tr").all_inner_texts()
    assert len(left_out) == 2
    assert left_out[0].startswith("3") and "Grille-pain" in left_out[0]
    assert left_out[1].startswith("4") and "Téléphone" in left_out[1]
    assert "2 lignes n'ont pas été importées" in page.inner_text("#report")
    link = page.get_attribute("#refused-csv", "href")
    assert re.fullmatch(r"/intake/imports/\d+/refused\.csv", link or "")
    check_page(page, "import-left-out")
    assert received(server, batch_id) == {"laptop": 1}
