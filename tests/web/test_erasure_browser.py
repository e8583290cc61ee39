"""The erasure pages in a real browser, from the keyboard: a volunteer imports a real
nwipe report and says which disk is which, an erasure typed by hand is refused beside
its level, a coordinator draws the weekly sample, and anyone checks a certificate.

Data is prepared through the JSON API only; each page is checked by axe-core and saved
as a screenshot (tests/artifacts/), and fits a small screen at 200 % zoom.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Server, api, check_page, sign_in
from tests.web.test_browser import focused, labelled_laptop, new_batch, wait_focus

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "erasure-corpus"
TWO_DISKS = CORPUS / "nwipe-0.42" / "nwipe-0.42-two-devices.log"
pytestmark = pytest.mark.skipif(not TWO_DISKS.exists(), reason=f"no erasure corpus at {CORPUS}")
LOOP1, LOOP2 = 67108864, 33554432  # the two loop devices of that run, in bytes


def loop_disks(server: Server, code: str) -> list[int]:
    ids = []
    for size in (LOOP1, LOOP2):
        disk = {"type": "other", "model": "Loopback device", "size_bytes": size}
        added = api(server, "benevole", "POST", f"/api/v1/devices/{code}/media", disk)
        ids.append(int(added["id"]))  # type: ignore[index]
    return ids


def fits_at_200_percent(page: Any) -> None:
    """The page at 683×384 CSS pixels (1366×768 at 200 %) scrolls only vertically."""
    page.set_viewport_size({"width": 683, "height": 384})
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    assert overflow <= 0, page.url


def choose_option(page: Any, steps: int) -> None:
    """Choose, in the focused closed <select>, the option `steps` below the first one."""
    page.keyboard.press("Home")
    for _ in range(steps):
        page.keyboard.press("ArrowDown")


def test_volunteer_imports_a_report_and_says_which_disk_is_which(page: Any, server: Server) -> None:
    code = labelled_laptop(server, new_batch(server))
    first, second = loop_disks(server, code)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    wait_focus(page, "Commencer le reconditionnement")
    page.keyboard.press("Enter")
    page.wait_for_selector("#checklist-form")
    still = page.inner_text("#finish-erasure")  # beside the Finish button, medium by medium
    assert f"(n° {first}) : aucun effacement enregistré" in still
    assert f"(n° {second}) : aucun effacement enregistré" in still
    page.focus("#import-file")
    page.set_input_files(
        "#import-file",
        files=[
            {"name": TWO_DISKS.name, "mimeType": "text/plain", "buffer": TWO_DISKS.read_bytes()}
        ],
    )
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Importer le rapport"
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Quel disque est lequel ?')")
    wait_focus(page, "choice-1")  # the first disk's choice has the focus
    check_page(page, "erasure-question")
    fits_at_200_percent(page)

    choose_option(page, 2)  # loop1 → the second medium: it is another disk
    page.keyboard.press("Tab")
    choose_option(page, 1)
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Enregistrer ces effacements"
    page.keyboard.press("Enter")
    page.wait_for_selector("#choice-error-1")
    assert "c'est un autre disque" in page.inner_text("#choice-error-1")
    assert page.input_value("#choice-1") == str(second)  # the choices stay as chosen
    wait_focus(page, "choice-1")
    check_page(page, "erasure-question-refused")

    choose_option(page, 1)
    page.keyboard.press("Tab")
    choose_option(page, 2)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#erasure-message")
    assert "Effacements enregistrés : 2 ; valant preuve : 2." in page.inner_text("#erasure-message")
    assert page.url.endswith(f"/bench/devices/{code}")  # F5 reloads the page, resends nothing
    assert page.locator("#finish-erasure").count() == 0  # nothing left to erase
    section = page.inner_text("#erasure")
    assert section.count("Effacé") >= 2 and "Chaque support de stockage est effacé" in section
    erasures = api(server, "benevole", "GET", f"/api/v1/devices/{code}/erasures")
    assert [m["medium"]["id"] for m in erasures] == [first, second]  # type: ignore[index,union-attr]
    assert all(m["erasures"][0]["passed"] for m in erasures)  # type: ignore[index,union-attr]
    page.evaluate("window.scrollTo(0, 0)")  # the device bar where it belongs in the picture
    check_page(page, "erasure-device")
    fits_at_200_percent(page)


def test_an_erasure_typed_by_hand_is_refused_beside_its_level(page: Any, server: Server) -> None:
    code = labelled_laptop(server, new_batch(server))
    disk = {"type": "ssd", "manufacturer": "Samsung", "model": "SSD 860 EVO 250GB"}
    api(server, "benevole", "POST", f"/api/v1/devices/{code}/media", disk)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.focus("#record-erasure summary")
    page.keyboard.press("Enter")  # opens the form
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "record-medium_id"
    choose_option(page, 1)
    page.keyboard.press("Tab")
    choose_option(page, 1)  # Overwrite
    page.keyboard.press("Tab")
    choose_option(page, 2)  # Purge, which an overwrite does not reach
    page.keyboard.press("Tab")
    page.keyboard.type("zero")
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    page.keyboard.type("nwipe")
    page.focus("#record-result input[value=passed]")
    page.keyboard.press("Space")
    page.focus("#record-comment")
    page.keyboard.type("Relu en entier")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#record-error-level")
    assert "pas Purge" in page.inner_text("#record-error-level")
    wait_focus(page, "record-level")
    assert page.input_value("#record-pattern") == "zero"
    assert page.input_value("#record-comment") == "Relu en entier"
    check_page(page, "erasure-record-refused")

    choose_option(page, 0)  # the method's level
    page.focus("#record-erasure button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#erasure-message")
    assert "effacé et vérifié" in page.inner_text("#erasure-message")


def test_a_coordinator_draws_last_weeks_sample_from_the_queue(page: Any, server: Server) -> None:
    sign_in(page, "coordinatrice", next_path="/erasures/sampling")
    assert page.inner_text("h1") == "Contre-vérification des effacements"
    check_page(page, "erasure-sampling")
    page.focus("text=Tirer l'échantillon")
    page.keyboard.press("Enter")
    page.wait_for_selector("p.flash")
    assert "Échantillon de la semaine" in page.inner_text("p.flash")
    assert page.locator("text=Tirer l'échantillon").count() == 0  # a week is drawn once
    fits_at_200_percent(page)


def test_anyone_checks_a_certificate_by_its_code_in_french_or_english(
    page: Any, server: Server
) -> None:
    batch = new_batch(server)
    code = labelled_laptop(server, batch)
    disk = {"type": "ssd", "manufacturer": "Samsung", "model": "SSD 860 EVO 250GB"}
    erased = {"medium": disk, "level": "clear", "method": "overwrite", "pattern": "zero"}
    erased["verification"] = {"method": "full", "passed": True}
    api(server, "benevole", "POST", f"/api/v1/devices/{code}/erasures", erased)
    issued = api(server, "coordinatrice", "GET", f"/api/v1/batches/{batch}/certificate")
    number = str(issued["certificate"])  # type: ignore[index]

    page.goto("/verify")  # no sign-in
    wait_focus(page, "verify-code")
    page.keyboard.type(number.lower().replace("-", " "))  # as typed from the paper
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/verify/{number}")
    assert page.inner_text("#verdict h1").endswith("Certificat valide")
    assert code in page.inner_text("main") and "Mairie de Rezé" not in page.inner_text("main")
    check_page(page, "verify")
    fits_at_200_percent(page)

    page.focus("button:has-text('English')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#verdict h1:has-text('Valid certificate')")
    assert page.get_attribute("html", "lang") == "en"
    check_page(page, "verify-en")

    page.goto(f"/verify/{number[:-1]}{'0' if number[-1] != '0' else '1'}")
    assert page.locator("#verify-error").count() == 1
    assert page.input_value("#verify-code").startswith(number[:-1])
    check_page(page, "verify-unknown")


def test_a_serial_scanned_into_its_field_stays_there(page: Any, server: Server) -> None:
    """Everywhere else a scan opens the device it names; the serial field keeps it, and
    the scanner's Enter moves on to the size instead of sending the form half filled."""
    code = labelled_laptop(server, new_batch(server))
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.focus("#medium-serial")  # a device with no medium opens the form
    page.keyboard.type("S3Z1NB0K123456A", delay=5)  # as a scanner types it
    page.keyboard.press("Enter")
    wait_focus(page, "medium-size")
    assert page.input_value("#medium-serial") == "S3Z1NB0K123456A"
    assert page.url.endswith(f"/bench/devices/{code}")  # no scan, no submission
    assert page.locator("#medium-error-type").count() == 0
