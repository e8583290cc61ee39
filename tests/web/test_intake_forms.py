"""The intake forms in a real browser at 1366×768: feedback where the eye is, nothing twice."""

from __future__ import annotations

import itertools
import re
from typing import Any

from playwright.sync_api import expect

from tests.intake.samples import imei
from tests.web.conftest import Server, api, check_page, sign_in

_numbers = itertools.count(1)
BAD_IMEI = "356938035643808"  # 15 digits, the check digit wrong
KNOWN_SIRET = "73282932000074"  # the demo's Banque Solidaire de l'Ouest


def batch_with_devices(server: Server, devices: int) -> int:
    """A batch whose device list is longer than the screen."""
    donor = api(server, "coordinatrice", "POST", "/api/v1/donors", {"name": "Mairie de Rezé"})
    body = {"donor_id": donor["id"], "pickup_date": "2026-11-20", "site": "Rezé"}  # type: ignore[index]
    batch_id = int(api(server, "coordinatrice", "POST", "/api/v1/batches", body)["id"])  # type: ignore[index]
    for _ in range(devices):
        serial = f"FORM{next(_numbers):06d}"
        device = {"category": "laptop", "brand": "Dell", "serial": serial}
        api(server, "coordinatrice", "POST", f"/api/v1/batches/{batch_id}/devices", device)
    return batch_id


def batches(server: Server) -> list[dict[str, Any]]:
    return list(api(server, "coordinatrice", "GET", "/api/v1/batches"))  # type: ignore[call-overload]


def test_a_bad_imei_is_focused_in_view_then_the_new_code_is_shown_beside_the_form(
    page: Any, server: Server
) -> None:
    batch_id = batch_with_devices(server, 30)
    sign_in(page, "atelier", next_path=f"/intake/batches/{batch_id}")
    page.select_option("#f-category", "smartphone")
    page.fill("#f-brand", "Fairphone")
    page.fill("#f-serial", "FP-0001")
    page.click("#f-imei")
    page.keyboard.type(BAD_IMEI, delay=5)  # as a scanner types it
    page.keyboard.press("Enter")
    page.wait_for_selector("#e-imei")
    expect(page.locator("#f-imei")).to_be_focused()
    expect(page.locator("#f-imei")).to_be_in_viewport()
    expect(page.locator("#e-imei")).to_be_in_viewport()
    expect(page.locator("#e-imei")).to_contain_text("pas un IMEI valide")
    expect(page.locator("#f-imei")).to_have_attribute("aria-describedby", "e-imei")
    expect(page.locator("#f-imei")).to_have_value(BAD_IMEI)
    expect(page.locator("#f-serial")).to_have_value("FP-0001")
    expect(page.locator("#f-category")).to_have_value("smartphone")
    check_page(page, "intake-device-bad-imei")

    page.fill("#f-imei", "")
    page.click("#f-imei")
    page.keyboard.type(imei(880001), delay=5)
    page.keyboard.press("Enter")
    code = page.locator("#registered .big-code")
    code.wait_for()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code.inner_text())
    expect(code).to_be_in_viewport()
    assert (
        page.evaluate(
            "() => document.querySelector('#registered .big-code').getClientRects().length"
        )
        == 1
    )  # on one line
    printing = page.get_by_role("button", name="Imprimer son étiquette")
    expect(printing).to_be_in_viewport()
    expect(page.locator("form.print-one input[name=codes]")).to_have_value(code.inner_text())
    expect(page.locator("#f-category")).to_be_focused()
    expect(page.locator("#f-category")).to_have_value("smartphone")  # for the next one
    expect(page.locator("#f-serial")).to_have_value("")
    assert page.locator("#batch-devices tbody tr").first.inner_text().startswith(code.inner_text())
    check_page(page, "intake-device-registered")


def test_a_donor_form_shows_both_problems_then_a_known_siret(page: Any, server: Server) -> None:
    sign_in(page, "coordinatrice", next_path="/intake/donors/new")
    page.fill("#f-name", "Acme")
    page.fill("#f-siret", "73282932000075")
    page.fill("#f-contact_email", "dons@exemple")  # the browser lets it through, Remise not
    page.click("main button.primary")
    page.wait_for_selector("#e-siret")
    expect(page.locator("#e-siret")).to_contain_text("pas un SIRET valide")
    expect(page.locator("#e-contact_email")).to_contain_text("Une adresse e-mail est attendue")
    expect(page.locator("#f-siret")).to_be_focused()
    expect(page.locator("#f-contact_email")).to_have_value("dons@exemple")
    check_page(page, "intake-donor-errors")

    page.fill("#f-siret", KNOWN_SIRET)
    page.fill("#f-contact_email", "dons@acme.example.org")
    page.click("main button.primary")
    warning = page.locator("#w-siret")
    warning.wait_for()
    expect(warning).to_contain_text("Ce SIRET est déjà celui de « Banque Solidaire de l'Ouest »")
    expect(warning).to_be_in_viewport()
    check_page(page, "intake-donor-known-siret")
    page.get_by_label("Oui, c'est un autre donateur : le créer quand même").check()
    page.click("main button.primary")
    page.wait_for_url(re.compile(r".*/intake/batches/new\?donor_id=\d+$"))
    expect(page.locator("p.flash")).to_contain_text("Acme")


def test_declared_counts_sit_beside_their_category(page: Any, server: Server) -> None:
    sign_in(page, "atelier", next_path="/intake/batches/new")
    check_page(page, "intake-new-batch-declared")
    for label in page.locator("#declared label").all():
        field = page.locator("#" + str(label.get_attribute("for")))
        at, box = label.bounding_box(), field.bounding_box()
        assert at is not None and box is not None
        assert at["x"] + at["width"] <= box["x"]  # the number is to the right of its name
        assert (
            abs((at["y"] + at["height"] / 2) - (box["y"] + box["height"] / 2)) < box["height"] / 2
        )


def test_a_batch_form_sent_again_from_the_history_makes_no_second_batch(
    page: Any, server: Server
) -> None:
    site = f"Entrepôt {next(_numbers)}"
    sign_in(page, "atelier", next_path="/intake/batches/new")
    page.select_option("#f-donor_id", label="Banque Solidaire de l'Ouest")
    page.fill("#f-site", site)
    page.fill("#d-laptop", "3")
    page.click("text=Créer le lot")
    page.wait_for_url(re.compile(r".*/intake/batches/\d+$"))
    made = page.url
    page.go_back()
    page.wait_for_url(re.compile(r".*/intake/batches/new$"))
    expect(page.locator("#f-site")).to_have_value(site)  # the browser keeps what was typed
    page.click("text=Créer le lot")
    page.wait_for_url(re.compile(r".*/intake/batches/\d+$"))
    assert page.url == made  # the first batch again: its page
    assert [b["site"] for b in batches(server)].count(site) == 1
