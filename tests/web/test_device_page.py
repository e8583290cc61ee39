"""The bench's device page in a real browser: a scan or F2 never loses the checklist, an
expired session gives the answers back, feedback shows where the volunteer looks."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tests.web.conftest import Server, api, check_page, sign_in
from tests.web.test_browser import labelled_laptop, new_batch, wait_focus

VIEWPORT_HEIGHT = 768
SPACES = re.compile(r"[\s\u202f\u00a0]+")


def open_run(server: Server) -> tuple[str, int]:
    """A labelled laptop with a refurbishment run started: its code and run id."""
    code = labelled_laptop(server, new_batch(server))
    run = api(server, "benevole", "POST", f"/api/v1/devices/{code}/runs", {})
    return code, int(run["id"])  # type: ignore[index]


def recorded(server: Server, run_id: int) -> dict[str, Any]:
    run = api(server, "benevole", "GET", f"/api/v1/runs/{run_id}")
    return {s["key"]: s["value"] for s in run["steps"] if s["value"] is not None}  # type: ignore[index]


def scan(page: Any, code: str) -> None:
    """What a USB scanner does: the whole code in a few milliseconds, then Enter."""
    page.keyboard.type(code, delay=1)
    page.keyboard.press("Enter")


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def in_view(page: Any, selector: str) -> None:
    """The element is on screen, below the device bar, which is on screen too."""
    box = page.locator(selector).bounding_box()
    bar = page.locator(".device-bar").bounding_box()
    assert box is not None and bar is not None
    assert bar["y"] >= 0 and bar["y"] + bar["height"] <= VIEWPORT_HEIGHT
    assert bar["y"] + bar["height"] <= box["y"] + 1, "the device bar covers it"
    assert box["y"] + box["height"] <= VIEWPORT_HEIGHT, f"{selector} is below the screen"


def test_a_scan_in_a_checklist_field_saves_the_answers_and_opens_the_scanned_device(
    page: Any, server: Server
) -> None:
    code, run_id = open_run(server)
    other = labelled_laptop(server, new_batch(server))
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.check("input[name='step.cleaning'][value=yes]")
    page.fill("#field-notes", "RAS")
    page.click("#field-battery_health")
    page.keyboard.type("85", delay=120)  # a person
    check_page(page, "device-unsaved-answers")
    scan(page, other)
    page.wait_for_url(f"**/bench/devices/{other}")
    assert recorded(server, run_id) == {"cleaning": True, "notes": "RAS", "battery_health": 85}
    page.go_back()
    page.wait_for_url(f"**/bench/devices/{code}")
    assert page.input_value("#field-battery_health") == "85"  # the scanned code is not in it
    assert page.locator("[data-draft-offer] button").count() == 0  # saved: nothing to offer


def test_a_scan_with_an_answer_that_cannot_be_saved_keeps_it_and_offers_it_back(
    page: Any, server: Server
) -> None:
    code, run_id = open_run(server)
    other = labelled_laptop(server, new_batch(server))
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.fill("#field-battery_health", "beaucoup")
    page.fill("#field-notes", "Charnière dure")
    page.click("#field-notes")  # the scan comes while the focus is in the note
    scan(page, other.replace("-", "").lower())
    page.wait_for_url(f"**/bench/devices/{other}")
    assert recorded(server, run_id) == {}

    page.goto(f"/bench/devices/{code}")
    offer = page.locator("[data-draft-offer]")
    assert re.search(r"Réponses non enregistrées du .+ : les reprendre \?", offer.inner_text())
    wait_focus(page, "Les reprendre")
    check_page(page, "device-draft-offered")
    page.keyboard.press("Enter")
    assert page.input_value("#field-battery_health") == "beaucoup"
    assert page.input_value("#field-notes") == "Charnière dure"  # not the scanned code
    assert "Réponses reprises" in offer.inner_text()
    wait_focus(page, "Enregistrer la liste")
    page.fill("#field-battery_health", "85,5 %")
    page.click("text=Enregistrer la liste")
    page.wait_for_selector("#saved-message")
    assert recorded(server, run_id) == {"battery_health": "85.5", "notes": "Charnière dure"}
    page.reload()
    assert page.locator("[data-draft-offer] button").count() == 0  # saved: forgotten


def test_typing_like_a_person_then_enter_is_no_scan(page: Any, server: Server) -> None:
    code, run_id = open_run(server)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.click("#field-battery_health")
    page.keyboard.type("8765432", delay=90)
    page.keyboard.press("Enter")  # saves the checklist, as Enter in a field does
    page.wait_for_selector("#saved-message")
    assert path_of(page) == f"/bench/devices/{code}"
    assert recorded(server, run_id) == {"battery_health": 8765432}


def test_f2_with_unsaved_answers_saves_them_before_leaving(page: Any, server: Server) -> None:
    code, run_id = open_run(server)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.check("input[name='step.screen'][value=scratches]")
    page.fill("#field-battery_health", "1 234,5")
    page.keyboard.press("F2")
    page.wait_for_url("**/bench")
    assert recorded(server, run_id) == {"screen": "scratches", "battery_health": "1234.5"}


def test_an_expired_session_mid_checklist_gives_the_answers_back_after_signing_in(
    page: Any, server: Server
) -> None:
    code, run_id = open_run(server)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.check("input[name='step.cleaning'][value=yes]")
    page.fill("#field-battery_health", "92")
    page.context.clear_cookies()  # the session ends while the volunteer works
    page.click("text=Enregistrer la liste")
    page.wait_for_url(re.compile(r".*/login\?next="))
    assert recorded(server, run_id) == {}
    page.get_by_label("Nom d'utilisateur").fill("benevole")
    page.get_by_label("Mot de passe").fill("demo-benevole-remise")
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/bench/devices/{code}")
    wait_focus(page, "Les reprendre")
    page.keyboard.press("Enter")
    assert page.input_value("#field-battery_health") == "92"
    assert page.is_checked("input[name='step.cleaning'][value=yes]")
    page.keyboard.press("Enter")  # the focus is on Save: one key finishes
    page.wait_for_selector("#saved-message")
    assert recorded(server, run_id) == {"cleaning": True, "battery_health": 92}


def test_error_addresses_lead_back_to_the_device_page(page: Any, server: Server) -> None:
    code, run_id = open_run(server)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    for address in (
        f"/bench/runs/{run_id}/checklist",
        f"/bench/runs/{run_id}/finish",
        f"/bench/devices/{code}/run",
    ):
        answer = page.goto(address)
        assert answer.status == 200 and path_of(page) == f"/bench/devices/{code}", address

    page.fill("#field-battery_health", "beaucoup")
    page.click("text=Enregistrer la liste")
    page.wait_for_selector("#error-battery_health")
    assert path_of(page) == f"/bench/devices/{code}"  # F5 reloads the page, resends nothing
    problem = page.inner_text("#problem")
    assert "Rien n'a été enregistré : 1 étape demande une autre valeur." in problem
    in_view(page, "#error-battery_health")
    page.reload()
    wait_focus(page, "Les reprendre")  # what was typed is offered back
    page.keyboard.press("Enter")
    assert page.input_value("#field-battery_health") == "beaucoup"


def test_the_saved_message_shows_beside_the_step_the_keyboard_lands_on(
    page: Any, server: Server
) -> None:
    code, run_id = open_run(server)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.fill("#field-battery_health", "85,5")
    page.focus("#field-battery_health")
    page.keyboard.press("Enter")
    page.wait_for_selector("#saved-message")
    assert page.inner_text("#saved-message") == "Étapes enregistrées : 1."
    assert page.locator("p.flash").count() == 1  # not at the top as well
    saved_in = page.locator("#saved-message").evaluate("e => e.closest('fieldset').id")
    assert saved_in == "step-cleaning"  # the first step still to do, which has the focus
    wait_focus(page, "step.cleaning")
    in_view(page, "#saved-message")
    in_view(page, "#step-cleaning input[value=yes]")
    assert page.input_value("#field-battery_health") == "85,5"  # the page's way
    assert recorded(server, run_id) == {"battery_health": "85.5"}
    assert path_of(page) == f"/bench/devices/{code}" and "saved" not in page.url
    check_page(page, "device-saved-beside-step")


def test_a_refused_finish_is_said_beside_the_finish_button(page: Any, server: Server) -> None:
    code, _ = open_run(server)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.click("#finish-form button[type=submit]")
    page.wait_for_selector("#finish-form #problem")
    assert "ne peut pas encore être déclaré reconditionné" in page.inner_text("#problem")
    assert page.locator("#problem").get_attribute("role") == "alert"
    wait_focus(page, "problem")
    in_view(page, "#problem")
    in_view(page, "#finish-form button[type=submit]")
    assert code in page.inner_text(".device-bar") and "en reconditionnement" in page.inner_text(
        ".device-bar"
    )
    assert path_of(page) == f"/bench/devices/{code}"
    check_page(page, "device-finish-refused")


def test_a_note_longer_than_the_limit_is_refused_naming_it(page: Any, server: Server) -> None:
    code, run_id = open_run(server)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    assert page.get_attribute("#field-notes", "maxlength") == "2000"
    assert "2 000 caractères au plus" in SPACES.sub(" ", page.inner_text("#step-notes"))
    # A browser keeps to maxlength; a script or an old page may not: the server says it.
    page.eval_on_selector("#field-notes", "e => { e.value = 'a'.repeat(5000); }")
    page.check("input[name='step.cleaning'][value=yes]")
    page.click("text=Enregistrer la liste")
    page.wait_for_selector("#error-notes")
    said = SPACES.sub(" ", page.inner_text("#error-notes"))
    assert said == "2 000 caractères au plus : ce texte en a 5 000"
    assert recorded(server, run_id) == {}
    wait_focus(page, "field-notes")
    check_page(page, "device-note-too-long")


def test_a_long_finish_comment_is_refused_and_what_was_typed_kept(
    page: Any, server: Server
) -> None:
    code, _ = open_run(server)
    sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
    page.check("#finish-form input[value=recycled]")
    page.fill("#finish-collector", "Écosystème")
    page.eval_on_selector("#finish-comment", "e => { e.value = 'b'.repeat(1500); }")
    page.click("#finish-form button[type=submit]")
    page.wait_for_selector("#finish-error-comment")
    said = SPACES.sub(" ", page.inner_text("#finish-error-comment"))
    assert said == "1 000 caractères au plus : ce texte en a 1 500"
    assert page.input_value("#finish-collector") == "Écosystème"
    assert page.is_checked("#finish-form input[value=recycled]")
    device = api(server, "benevole", "GET", f"/api/v1/devices/{code}")
    assert device["status"] == "in_refurbishment"  # type: ignore[index]


def test_opening_a_labelled_device_keeps_its_name_in_view(browser: Any, server: Server) -> None:
    code = labelled_laptop(server, new_batch(server))
    for name, viewport, scale in (
        ("device-open", {"width": 1366, "height": 768}, 1),
        ("device-open-zoom-200", {"width": 683, "height": 384}, 2),
    ):
        context = browser.new_context(
            base_url=server.base, viewport=viewport, device_scale_factor=scale, locale="fr-FR"
        )
        page = context.new_page()
        sign_in(page, "benevole", next_path=f"/bench/devices/{code}")
        wait_focus(page, "Commencer le reconditionnement")
        bar = page.locator(".device-bar").bounding_box()
        start = page.locator("text=Commencer le reconditionnement").bounding_box()
        assert bar is not None and start is not None
        assert bar["y"] >= 0 and bar["y"] + bar["height"] <= viewport["height"], name
        assert bar["y"] + bar["height"] <= start["y"], name  # the bar covers not the focus
        assert start["y"] + start["height"] <= viewport["height"], name
        assert code in page.inner_text(".device-bar h1")
        code_box = page.locator(".device-bar .code").bounding_box()
        assert code_box is not None and code_box["height"] < 40, "the code wraps"
        check_page(page, name)
        context.close()
