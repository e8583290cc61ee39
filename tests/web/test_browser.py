"""The pages in a real browser: a volunteer at the bench, a workshop's file, languages."""

from __future__ import annotations

import itertools
import re
from typing import Any

from tests.intake.samples import imei
from tests.web.conftest import Server, api, check_page, sign_in

_numbers = itertools.count(1)
HEADER = "Catégorie;Marque;Modèle;N° de série;IMEI;N° d'inventaire;Date d'achat;Remarques"


def new_batch(server: Server) -> int:
    donor = api(server, "coordinatrice", "POST", "/api/v1/donors", {"name": "Mairie de Rezé"})
    batch = api(
        server,
        "coordinatrice",
        "POST",
        "/api/v1/batches",
        {"donor_id": donor["id"], "pickup_date": "2026-11-20", "site": "Rezé"},  # type: ignore[index]
    )
    return int(batch["id"])  # type: ignore[index]


def labelled_laptop(server: Server, batch_id: int) -> str:
    """A laptop received in the batch, its label printed: ready for the bench."""
    serial = f"WEB{next(_numbers):06d}"
    device = api(
        server,
        "coordinatrice",
        "POST",
        f"/api/v1/batches/{batch_id}/devices",
        {"category": "laptop", "brand": "Dell", "model": "Latitude 5490", "serial": serial},
    )
    code = str(device["code_display"])  # type: ignore[index]
    api(server, "coordinatrice", "GET", f"/api/v1/devices/{code}/label.png")
    return code


def wait_focus(page: Any, text: str) -> None:
    """Wait until the element with this text (or id) has the focus: autofocus comes a
    moment after the page is shown."""
    page.wait_for_function(
        "want => { const e = document.activeElement;"
        " return e && (e.id === want || e.name === want || e.textContent.trim() === want); }",
        arg=text,
    )


def focused(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            "() => ({id: document.activeElement.id, name: document.activeElement.name || '',"
            " text: document.activeElement.textContent.trim()})"
        )
    )


def answer_step(page: Any, step: dict[str, Any]) -> None:
    """Fill the focused step with a passing value, keys only, then Tab to the next."""
    kind = step["kind"]
    if kind == "yes_no":
        page.keyboard.press("Space")
    elif kind == "choice":
        first_passing = step["passing"].index(True)
        if first_passing == 0:
            page.keyboard.press("Space")
        for _ in range(first_passing):
            page.keyboard.press("ArrowRight")
    elif kind == "measure":
        low = float(step["min"] or 0)
        high = float(step["max"] or low + 10)
        page.keyboard.type(str(int((low + high) / 2)))
    elif kind == "note":
        page.keyboard.type("RAS")
    page.keyboard.press("Tab")


def test_volunteer_scans_a_device_and_completes_its_checklist_with_the_keyboard(
    page: Any, server: Server
) -> None:
    code = labelled_laptop(server, new_batch(server))
    disk = {"type": "ssd", "manufacturer": "Samsung", "model": "SSD 860 EVO 250GB"}
    erased = {"medium": disk, "level": "clear", "method": "overwrite", "pattern": "zero"}
    erased["verification"] = {"method": "full", "passed": True}
    api(server, "benevole", "POST", f"/api/v1/devices/{code}/erasures", erased)
    sign_in(page, "benevole", next_path="/bench")
    wait_focus(page, "scan")
    check_page(page, "bench")

    page.keyboard.type(code.replace("-", "").lower())  # what a scanner types, any case
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/bench/devices/{code}")
    wait_focus(page, "Commencer le reconditionnement")
    check_page(page, "device-labelled")

    page.keyboard.press("Enter")
    page.wait_for_selector("#checklist-form")
    steps = page.eval_on_selector_all(
        "#checklist-form fieldset.step",
        "all => all.map(f => ({key: f.id, kind: f.dataset.kind, min: f.dataset.min,"
        " max: f.dataset.max, passing: JSON.parse(f.dataset.passing)}))",
    )
    assert len(steps) >= 10
    wait_focus(page, "step." + steps[0]["key"].removeprefix("step-"))
    check_page(page, "device-checklist")
    for step in steps:
        answer_step(page, step)
    assert focused(page)["text"] == "Enregistrer la liste"
    page.keyboard.press("Enter")

    page.wait_for_selector("p.flash")
    assert re.search(r"Étapes enregistrées : \d+", page.inner_text("p.flash"))
    assert page.locator("fieldset.step .state-failed").count() == 0
    assert page.locator("fieldset.step.blocking").count() == 0
    wait_focus(page, "Terminer")  # nothing blocks: the keyboard is on Finish
    page.keyboard.press("Enter")

    page.wait_for_selector("p.flash")
    assert page.inner_text("p.flash") == "Reconditionnement terminé."
    assert page.inner_text(".badge") == "reconditionné"
    assert "Étape de contrôle enregistrée" in page.inner_text("#history-title + ol")
    device = api(server, "coordinatrice", "GET", f"/api/v1/devices/{code}")
    assert device["status"] == "refurbished"  # type: ignore[index]
    check_page(page, "device-refurbished")


def test_a_bad_measure_is_refused_beside_its_step_and_nothing_is_saved(
    page: Any, server: Server
) -> None:
    code = labelled_laptop(server, new_batch(server))
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.keyboard.press("Enter")  # start the run
    page.wait_for_selector("#checklist-form")
    page.fill("#field-battery_health", "beaucoup")
    page.click("text=Enregistrer la liste")
    page.wait_for_selector("#error-battery_health")
    assert "un nombre est attendu" in page.inner_text("#error-battery_health")
    assert page.input_value("#field-battery_health") == "beaucoup"
    wait_focus(page, "field-battery_health")
    check_page(page, "device-checklist-error")
    history = api(server, "coordinatrice", "GET", f"/api/v1/devices/{code}/history")
    assert "run.step_recorded" not in [e["type"] for e in history]  # type: ignore[index,union-attr]


def csv_file(rows: list[str]) -> dict[str, Any]:
    text = "\n".join([HEADER, *rows]) + "\n"
    return {"name": "inventaire.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8-sig")}


def test_workshop_uploads_a_file_sees_errors_by_row_fixes_it_and_imports_it(
    page: Any, server: Server
) -> None:
    sign_in(page, "atelier", next_path="/intake")
    check_page(page, "intake")
    page.click("text=Nouveau lot")
    page.select_option("#f-donor_id", label="Banque Solidaire de l'Ouest")
    page.fill("#f-site", "Atelier du Bocage")
    page.fill("#d-laptop", "2")
    page.fill("#d-smartphone", "1")
    check_page(page, "intake-new-batch")
    page.click("text=Créer le lot")
    page.wait_for_url(re.compile(r".*/intake/batches/\d+$"))
    check_page(page, "intake-batch")

    bad = [
        "Portable;Dell;Latitude 5490;ATB0001;;INV-1;12/03/2019;",
        "Smartphone;Samsung;Galaxy A52;ATB0002;123456789012345;INV-2;01/02/2021;",
        "Grille-pain;Moulinex;X;ATB0003;;INV-3;32/13/2020;",
    ]
    page.set_input_files("#upload-file", files=[csv_file(bad)])
    page.click("text=Vérifier le fichier")
    page.wait_for_selector("#import-errors")
    rows = page.eval_on_selector_all(
        "#import-errors tbody tr", "all => all.map(r => r.cells[0].textContent.trim())"
    )
    assert set(rows) == {"3", "4"}  # the file's own row numbers, header on row 1
    assert "IMEI" in page.inner_text("#import-errors")
    assert page.locator("#batch-devices").count() == 0  # nothing was written
    check_page(page, "intake-import-errors")

    fixed = [
        bad[0],
        f"Smartphone;Samsung;Galaxy A52;ATB0002;{imei(424242)};INV-2;01/02/2021;",
        "Portable;Lenovo;ThinkPad T470;ATB0003;;INV-3;30/12/2020;",
    ]
    page.set_input_files("#upload-file", files=[csv_file(fixed)])
    page.click("text=Vérifier le fichier")
    page.wait_for_selector("#report-title")
    assert "3 nouveaux appareils" in page.inner_text("#report")
    check_page(page, "intake-import-ready")
    page.click("#report button.primary")
    page.wait_for_selector("p.flash")
    assert "Appareils enregistrés : 3 ;" in page.inner_text("p.flash")
    assert page.locator("#batch-devices tbody tr").count() == 3

    page.set_input_files("#upload-file", files=[csv_file(fixed)])  # sent again by mistake
    page.click("text=Vérifier le fichier")
    page.wait_for_selector("#report-title")
    assert "0 nouveaux appareils, 3 déjà enregistrés" in page.inner_text("#report")
    page.click("#report button.primary")
    page.wait_for_selector("p.flash")
    assert page.locator("#batch-devices tbody tr").count() == 3


def test_switching_to_english_is_remembered(page: Any, server: Server) -> None:
    sign_in(page, "coordinatrice", next_path="/bench")  # its account keeps English after
    assert page.inner_text("h1") == "Établi"
    page.click("button:has-text('English')")
    page.wait_for_selector("h1:has-text('Bench')")
    assert page.get_attribute("html", "lang") == "en"
    wait_focus(page, "scan")
    check_page(page, "bench-en")
    page.goto("/intake")
    assert page.inner_text("h1") == "Intake"
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    assert page.inner_text("h1") == "Sign in"
    assert page.inner_text("p.flash") == "You are signed out."
    check_page(page, "login-en")


def test_continuous_mode_records_a_reception_and_sets_aside_what_does_not_fit(
    page: Any, server: Server
) -> None:
    batch_id = new_batch(server)
    first, second = labelled_laptop(server, batch_id), labelled_laptop(server, batch_id)
    stranger = labelled_laptop(server, new_batch(server))
    sign_in(page, "benevole", next_path="/bench/continuous")
    scans = [
        (f"LOT-{batch_id}", f"lot {batch_id}"),
        (first, f"{first} (Dell"),
        (first, "déjà été scanné"),
        ("INCONNU-42", "INCONNU-42"),
        (stranger, "appartient au lot"),
    ]
    for text, answer in scans:
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        page.wait_for_function(
            "text => document.querySelector('[data-last]').textContent.includes(text)",
            arg=answer,
        )
        assert focused(page)["id"] == "scan"
    assert page.inner_text("[data-count]") == "1"
    assert page.inner_text("[data-expected]") == "2"
    assert page.inner_text("[data-aside-count]") == "3"
    assert second in page.inner_text("[data-missing]")
    aside = page.inner_text("[data-aside]")
    assert "déjà été scanné" in aside and "INCONNU-42" in aside and "appartient au lot" in aside
    check_page(page, "continuous")
    history = api(server, "coordinatrice", "GET", f"/api/v1/devices/{first}/history")
    seen = [e for e in history if e["type"] == "device.seen"]  # type: ignore[index,union-attr]
    assert [e["payload"]["batch_id"] for e in seen] == [batch_id]


def test_pages_fit_a_small_screen_at_200_percent_zoom(browser: Any, server: Server) -> None:
    context = browser.new_context(
        base_url=server.base, viewport={"width": 683, "height": 384}, device_scale_factor=2
    )
    page = context.new_page()
    code = labelled_laptop(server, new_batch(server))
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    for path in ("/bench", f"/bench/devices/{code}", "/intake", "/bench/continuous"):
        page.goto(path)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    check_page(page, "device-zoom-200")
    context.close()
