"""Continuous scanning in a real browser: a mistyped first scan opens nothing; a location's
label opens its stock-take; the locations page creates one and says what went wrong."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Server, api, check_page, sign_in
from tests.web.test_browser import focused, labelled_laptop, new_batch

LAST = "[data-last]"


def scan(page: Any, text: str, answer: str) -> None:
    """Type `text` as a USB scanner does (fast, then Enter); wait for the line saying `answer`."""
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "text => document.querySelector('[data-last]').textContent.includes(text)", arg=answer
    )
    assert focused(page)["id"] == "scan"


def shelf_code(server: Server, name: str) -> str:
    listed = api(server, "benevole", "GET", "/api/v1/locations")
    return next(str(p["code"]) for p in listed if p["name"] == name)  # type: ignore[index,union-attr]


def test_a_mistyped_first_scan_opens_nothing_and_a_location_label_opens_its_stock_take(
    page: Any, server: Server
) -> None:
    code = shelf_code(server, "Étagère A1")
    laptop = labelled_laptop(server, new_batch(server))
    sign_in(page, "benevole", next_path="/bench/continuous")
    waiting = page.inner_text("[data-scan-label]")
    scan(page, "KKYN-NFHR", "mal saisi")
    assert page.inner_text("[data-context-title]") == ""
    assert page.inner_text("[data-scan-label]") == waiting
    scan(page, "Carton du fond", "le premier scan doit être")
    scan(page, laptop, "C'est un appareil")  # still waiting for a batch or a location
    assert page.inner_text("[data-count]") == "0"
    scan(page, code, "Inventaire de « Étagère A1 »")
    assert page.inner_text("[data-expected]") == "2"  # the demo puts two devices there
    assert page.inner_text("[data-scan-label]") != waiting
    scan(page, laptop, f"{laptop} (Dell")
    assert page.inner_text("[data-count]") == "1"
    check_page(page, "continuous-location")
    device = api(server, "coordinatrice", "GET", f"/api/v1/devices/{laptop}")
    assert device["location"] == "Étagère A1"  # type: ignore[index]
    history = api(server, "coordinatrice", "GET", f"/api/v1/devices/{laptop}/history")
    assert history[-1]["type"] == "device.updated"  # type: ignore[index]


def test_a_coordinator_creates_a_location_and_a_taken_name_is_said_beside_it(
    page: Any, server: Server
) -> None:
    sign_in(page, "coordinatrice", next_path="/locations")
    page.get_by_label("Nom").fill("étagère a1")
    page.click("text=Créer l'emplacement")
    error = page.locator("#e-name")
    assert "existe déjà" in error.inner_text()
    assert page.get_by_label("Nom").input_value() == "étagère a1"  # what was typed is kept
    check_page(page, "locations-error")
    page.get_by_label("Nom").fill("Bac des retours")
    page.get_by_label("Type").select_option("shelf")
    with page.expect_navigation():
        page.click("text=Créer l'emplacement")
    assert page.url.endswith("/locations")
    assert "Emplacement « Bac des retours » créé" in page.inner_text("main")
    assert "Bac des retours" in page.inner_text("table")
    code = shelf_code(server, "Bac des retours")
    assert code in page.inner_text("table")
    check_page(page, "locations")
