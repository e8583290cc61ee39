"""The web application's second part in a real browser, as issue 19 asks: a structure
signs up on the portal, a coordinator approves it and sets its quota, the structure
filters the catalogue, reserves two devices and reads the reservation and when it ends;
another structure cannot open that reservation by its address; a coordinator opens the
dashboard, exports a table to XLSX (read back with openpyxl) and downloads a donor's
impact report as PDF (its text read back with pypdf).

Devices are made available through the JSON API; each page is checked by axe-core and
saved as a screenshot under tests/artifacts/.
"""

from __future__ import annotations

import io
import itertools
import re
from typing import Any
from urllib.parse import urlsplit

import openpyxl
from pypdf import PdfReader

from tests.web.conftest import Server, api, check_page, sign_in
from tests.web.test_distribution_browser import available_laptop, enter

_numbers = itertools.count(1)
PASSWORD = "Une-structure-solide-2026"


def sign_in_as(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Nom d'utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def sign_up(page: Any, name: str, username: str) -> None:
    page.goto("/portal/signup")
    check_page(page, "portal-signup")
    typed = {
        "name": name,
        "address": "3 rue des Lilas",
        "postcode": "44000",
        "city": "Nantes",
        "departement": "44",
        "public_description": "Ateliers numériques pour les demandeurs d'emploi du quartier",
        "contact_name": "Awa Diallo",
        "contact_email": "awa@example.org",
        "contact_phone": "02 40 00 00 00",
        "username": username,
        "display_name": "Awa Diallo",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    for field, value in typed.items():
        page.fill(f"[id='field-{field}']", value)
    page.select_option("#field-public_category", "job_seekers")
    with page.expect_navigation():
        page.click("#signup-button")
    assert urlpath(page) == "/portal/signup/done", page.inner_text("main")
    check_page(page, "portal-signup-done")


def urlpath(page: Any) -> str:
    return urlsplit(page.url).path


def plain(text: str) -> str:
    """Device codes as typed or shown (« K7QM-2XPA »), without their dash."""
    return text.replace("-", "")


def pending_id(server: Server, name: str) -> int:
    listed: Any = api(server, "coordinatrice", "GET", "/api/v1/structures?status=pending")
    return next(int(s["id"]) for s in listed if s["name"] == name)


def approve_with_quota(page: Any, server: Server, number: int) -> None:
    sign_in(page, "coordinatrice", next_path=f"/structures/{number}")
    enter(page, "#status-form-active button")
    page.wait_for_selector("p.flash")
    page.fill("[id='field-quota.laptop']", "5")
    with page.expect_navigation():
        page.press("[id='field-quota.laptop']", "Enter")
    shown: Any = api(server, "coordinatrice", "GET", f"/api/v1/structures/{number}")
    assert (shown["status"], shown["quotas"]["laptop"]) == ("active", 5)


def test_a_structure_signs_up_is_approved_and_reserves_two_laptops(
    browser: Any, server: Server
) -> None:
    laptops = [available_laptop(server), available_laptop(server)]
    name = f"Espace emploi Bellevue {next(_numbers)}"
    username = f"bellevue{next(_numbers)}"
    contexts = [
        browser.new_context(base_url=server.base, viewport={"width": 1366, "height": 768})
        for _ in range(3)
    ]
    structure, coordinator, other = (c.new_page() for c in contexts)
    try:
        sign_up(structure, name, username)
        number = pending_id(server, name)
        approve_with_quota(coordinator, server, number)
        check_page(coordinator, "portal-structure-approved")

        sign_in_as(structure, username, PASSWORD)
        assert urlpath(structure) == "/portal"  # a structure starts in its catalogue
        check_page(structure, "portal-catalogue")
        structure.select_option("#field-category", "laptop")
        with structure.expect_navigation():
            structure.click("#filters-form button[type=submit]")
        assert "category=laptop" in structure.url
        check_page(structure, "portal-catalogue-filtered")
        for code in laptops:
            structure.check(f"[id='pick-{code}']")
        with structure.expect_navigation():
            structure.click("#reserve-button")
        reservation = urlpath(structure)
        assert re.fullmatch(r"/portal/reservations/\d+", reservation), structure.inner_text("main")
        held = plain(structure.inner_text("main"))
        assert all(plain(code) in held for code in laptops), held
        assert structure.inner_text("#held-until").strip()  # when the hold ends
        assert "€" in structure.inner_text("#reservation-total")
        check_page(structure, "portal-reservation")

        # Another structure types the address: nothing of the first one's in the page.
        sign_in(other, "passerelle", next_path="/portal")
        for address in (reservation, f"/claims/{reservation.rsplit('/', 1)[1]}"):
            answer = other.goto(address)
            assert answer.status in (403, 404), address
            seen = other.inner_text("body")
            assert name not in seen and not any(plain(c) in plain(seen) for c in laptops)
        check_page(other, "portal-reservation-refused")

        dashboard_exports_and_donor_report(coordinator, server)
    finally:
        for context in contexts:
            context.close()


def dashboard_exports_and_donor_report(page: Any, server: Server) -> None:
    page.goto("/dashboard")
    check_page(page, "dashboard")
    link = page.locator("a[href^='/dashboard/'][href$='.xlsx']").first
    answer = page.request.get(link.get_attribute("href"))  # as the browser, signed in
    assert answer.status == 200, answer.text()[:500]
    assert "attachment" in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.body()))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) >= 2 and all(isinstance(h, str) and h for h in rows[0])

    donors: Any = api(server, "coordinatrice", "GET", "/api/v1/donors")
    donor = donors[0]["id"] if isinstance(donors, list) else donors["items"][0]["id"]
    page.goto(f"/reports/donors/{donor}")
    check_page(page, "donor-report")
    pdf = page.locator(f"a[href^='/reports/donors/{donor}.pdf']").first
    answer = page.request.get(pdf.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.body())).pages)
    assert "ADEME" in text and "estim" in text.lower()
