"""The grading pages in a real browser, from the keyboard only: a volunteer grades a
refurbished laptop (its zones, the TPM question, the result, then applying it), and a
coordinator edits the price grid, refused beside the row over its legal cap, then
published.

Data is prepared through the JSON API only; each page is checked by axe-core, saved as a
screenshot (tests/artifacts/) and fits a small screen at 200 % zoom.
"""

from __future__ import annotations

from typing import Any

from tests.grading.helpers import LAPTOP_PROBE
from tests.refurbish.walking import passing_value
from tests.web.conftest import Server, api, check_page, sign_in
from tests.web.test_browser import focused, labelled_laptop, new_batch, wait_focus
from tests.web.test_erasure_browser import fits_at_200_percent

NBSP = "\u00a0"


def refurbished_laptop(server: Server) -> str:
    """A laptop taken through a whole run by the API: probed, its checklist passed (its
    casing worn), its disk erased and verified, finished as refurbished."""
    code = labelled_laptop(server, new_batch(server))
    run: Any = api(server, "benevole", "POST", f"/api/v1/devices/{code}/runs", {})
    api(server, "benevole", "POST", f"/api/v1/devices/{code}/snapshots", LAPTOP_PROBE)
    steps: Any = api(server, "benevole", "GET", f"/api/v1/runs/{run['id']}")
    chosen = {"battery_health": 90, "casing": "worn"}
    for step in steps["steps"]:
        value = chosen.get(step["key"], passing_value(step))
        if value is not None:
            path = f"/api/v1/runs/{run['id']}/steps/{step['key']}"
            api(server, "benevole", "PUT", path, {"value": value})
    media: Any = api(server, "benevole", "GET", f"/api/v1/devices/{code}/media")
    for medium in media:
        erased = {"medium_id": medium["id"], "level": "clear", "method": "overwrite"}
        erased |= {"pattern": "zero", "verification": {"method": "full", "passed": True}}
        api(server, "benevole", "POST", f"/api/v1/devices/{code}/erasures", erased)
    api(server, "benevole", "POST", f"/api/v1/runs/{run['id']}/finish", {"outcome": "refurbished"})
    return code


def laptop_b_price(server: Server) -> int:
    """Grade B of a laptop on the grid in force, with 8 GB of RAM and a 256 GB SSD."""
    grid: Any = api(server, "coordinatrice", "GET", "/api/v1/pricing/grid")
    document = grid["document"]
    tiers = [t["add_cents"] for t in document["tiers"] if t["id"] in ("ram_8", "ssd_240")]
    return int(document["prices"]["laptop"]["B"]) + sum(tiers)


def test_a_volunteer_grades_a_refurbished_laptop_from_the_keyboard(
    page: Any, server: Server
) -> None:
    code = refurbished_laptop(server)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.focus("#grade-panel a")
    assert focused(page)["text"] == "Donner le grade"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/bench/devices/{code}/grade")
    wait_focus(page, "zone.keyboard")  # the one zone the checklist did not answer
    assert page.is_checked("input[name='zone.screen'][value=A]")  # « Parfait »
    assert page.is_checked("input[name='zone.casing'][value=B]")  # « Traces d'usure »
    assert "Touches ni lustrées ni effacées" in page.inner_text("#zone-keyboard")
    page.evaluate("window.scrollTo(0, 0)")  # the device bar where it belongs in the picture
    check_page(page, "grading-step")
    fits_at_200_percent(page)

    page.keyboard.press("Space")  # keyboard: A
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "tpm2"
    page.keyboard.press("ArrowUp")  # from « Pas vérifié » to « Non »
    page.keyboard.press("ArrowUp")  # to « Oui »
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Calculer le grade"
    page.keyboard.press("Enter")
    page.wait_for_selector("#result")
    wait_focus(page, "apply")  # Enter applies what is shown
    assert page.inner_text(".grade-big").endswith("B")
    result = page.inner_text("#result")
    price = f"{laptop_b_price(server) // 100},00{NBSP}€"
    assert price in result and "Windows" in result and "compatible Windows 11" in result
    assert page.url.endswith(f"/bench/devices/{code}/grade")  # F5 shows the step again
    page.evaluate("window.scrollTo(0, 0)")
    check_page(page, "grading-result")
    wait_focus(page, "apply")  # scrolling moved nothing: the focus stays on the button
    fits_at_200_percent(page)

    page.keyboard.press("Enter")
    page.wait_for_selector("p.flash")
    assert page.inner_text("p.flash") == f"Grade B appliqué : disponible à {price}"
    shown: Any = api(server, "benevole", "GET", f"/api/v1/devices/{code}")
    assert (shown["status"], shown["grade"]) == ("available", "B")
    assert "benevole" in page.inner_text("#gradings")
    check_page(page, "grading-applied")


def test_a_coordinator_edits_the_price_grid_from_the_keyboard(page: Any, server: Server) -> None:
    sign_in(page, "coordinatrice", next_path="/")
    page.focus("a[href='/grading/rules']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/grading/rules")
    check_page(page, "grading-rules")
    page.focus("a[href='/pricing/grid']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/pricing/grid")
    check_page(page, "pricing-grid")
    fits_at_200_percent(page)

    page.focus("[id='field-price.laptop.A']")
    page.keyboard.press("Control+A")
    page.keyboard.type("160")  # with 8 GB and an SSD: 190 €, above the 180 € cap
    page.focus("#grid-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[id='error-row.laptop']")
    wait_focus(page, "field-price.laptop.A")
    said = page.inner_text("[id='error-row.laptop']")
    assert "190,00\u00a0€" in said and "180,00\u00a0€" in said and "dérogation" in said
    assert page.input_value("[id='field-price.laptop.A']") == "160"
    check_page(page, "pricing-grid-refused")
    fits_at_200_percent(page)

    page.keyboard.press("Control+A")
    page.keyboard.type("125")
    page.focus("[id='field-price.smartphone.B']")
    page.keyboard.press("Control+A")
    page.keyboard.type("69,50")
    page.focus("#field-note")
    page.keyboard.type("Portables un peu plus chers")
    page.keyboard.press("Tab")
    page.focus("#grid-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("p.flash")
    assert "Grille des prix publiée" in page.inner_text("p.flash")
    table = page.inner_text("table.grid")
    assert f"125,00{NBSP}€" in table and f"69,50{NBSP}€" in table
    grid: Any = api(server, "coordinatrice", "GET", "/api/v1/pricing/grid")
    assert grid["document"]["prices"]["laptop"]["A"] == 12500
    assert grid["document"]["prices"]["smartphone"]["B"] == 6950
    assert grid["note"] == "Portables un peu plus chers"
    check_page(page, "pricing-grid-published")
