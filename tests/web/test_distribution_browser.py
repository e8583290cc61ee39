"""Distribution's pages in a real browser, from the keyboard only: a coordinator approves
a structure that signed up and sets its laptop quota (a typo refused beside the field);
a volunteer hands a claim over by typing codes into the focused scan field, a device not
in the claim refused by name, a device left behind only when said to stay; a coordinator
reads the claims and the waitlist, and cancels a claim after being asked.

Data is prepared through the JSON API only; each page is checked by axe-core, saved as a
screenshot (tests/artifacts/) and fits a small screen at 200 % zoom.
"""

from __future__ import annotations

import itertools
from typing import Any

from db.enums import StructureStatus
from distribution import claim_pages, structure_pages
from distribution.errors import NotInClaim
from distribution.shared_pages import GRADE_OR_BETTER, euros
from tests.web.conftest import Server, api, check_page, sign_in
from tests.web.test_browser import focused, labelled_laptop, new_batch, wait_focus
from tests.web.test_distribution_pages import fr, fr_n, given_said, like
from tests.web.test_erasure_browser import choose_option, fits_at_200_percent
from tests.web.test_grading_browser import refurbished_laptop

_numbers = itertools.count(1)


def new_structure(server: Server, name: str, **quotas: int) -> int:
    """A structure that signed up (pending); active with `quotas`, if any."""
    made: Any = api(server, "coordinatrice", "POST", "/api/v1/structures", {"name": name})
    if quotas:
        changed = {"status": "active", "quotas": quotas}
        api(server, "coordinatrice", "PATCH", f"/api/v1/structures/{made['id']}", changed)
    return int(made["id"])


def available_laptop(server: Server) -> str:
    """A laptop refurbished at the bench, then graded: in the catalogue."""
    code = refurbished_laptop(server)
    judged = {"cosmetic": {"screen": "A", "casing": "B", "keyboard": "A"}, "tpm2": True}
    graded: Any = api(server, "benevole", "POST", f"/api/v1/devices/{code}/grade", judged)
    assert graded["status"] == "available", graded
    return code


def claim(server: Server, structure_id: int, devices: list[str]) -> int:
    body = {"device_codes": devices, "structure_id": structure_id}
    made: Any = api(server, "coordinatrice", "POST", "/api/v1/claims", body)
    return int(made["id"])


def enter(page: Any, selector: str) -> None:
    """Give `selector` the focus and press Enter, as Tab then Enter would."""
    page.focus(selector)
    page.keyboard.press("Enter")


def test_a_coordinator_approves_a_structure_and_sets_its_quota_from_the_keyboard(
    page: Any, server: Server
) -> None:
    name = f"Repair Café Chantenay {next(_numbers)}"
    number = new_structure(server, name)
    sign_in(page, "coordinatrice", next_path="/")
    check_page(page, "distribution-home")
    enter(page, "a[href='/structures']")
    page.wait_for_url("**/structures")
    check_page(page, "distribution-structures")
    fits_at_200_percent(page)

    page.focus("#filter-status")
    choose_option(page, 1)  # « en attente d'approbation »
    page.keyboard.press("Tab")
    assert focused(page)["text"] == fr("Show")
    page.keyboard.press("Enter")
    page.wait_for_url("**/structures?status=pending")
    assert name in page.inner_text("table.structures")
    enter(page, f"a[href='/structures/{number}']")
    page.wait_for_url(f"**/structures/{number}")
    check_page(page, "distribution-structure-pending")
    fits_at_200_percent(page)

    enter(page, "#status-form-active button")
    page.wait_for_selector("p.flash")
    approved = fr(structure_pages.STATUS_SAID[StructureStatus.PENDING, StructureStatus.ACTIVE])
    assert page.inner_text("p.flash") == approved % {"name": name}
    assert page.is_visible("#status-form-suspended")
    page.focus("[id='field-quota.laptop']")
    page.keyboard.press("Control+A")
    page.keyboard.type("six")
    page.keyboard.press("Enter")
    page.wait_for_selector("[id='error-quota.laptop']")
    wait_focus(page, "field-quota.laptop")  # back on the field, its problem said beside it
    assert page.input_value("[id='field-quota.laptop']") == "six"
    assert page.inner_text("[id='error-quota.laptop']") == fr(structure_pages.WHOLE_NUMBER)
    check_page(page, "distribution-structure-quota-refused")
    fits_at_200_percent(page)

    page.keyboard.press("Control+A")
    page.keyboard.type("6")
    page.keyboard.press("Enter")
    page.wait_for_selector("p.flash")
    assert page.inner_text("p.flash") == fr(structure_pages.QUOTAS_SAVED, name=name)
    shown: Any = api(server, "coordinatrice", "GET", f"/api/v1/structures/{number}")
    assert (shown["status"], shown["quotas"]["laptop"]) == ("active", 6)
    check_page(page, "distribution-structure-active")


def test_a_volunteer_hands_a_claim_over_by_scanning(page: Any, server: Server) -> None:
    number = new_structure(server, f"Mission numérique {next(_numbers)}", laptop=5)
    given, left = [available_laptop(server) for _ in range(2)], available_laptop(server)
    stranger = labelled_laptop(server, new_batch(server))
    claimed = claim(server, number, [*given, left])
    sign_in(page, "benevole", next_path=f"/claims/{claimed}/handover")
    wait_focus(page, "scan")
    check_page(page, "distribution-handover")
    fits_at_200_percent(page)

    for code in (given[0], stranger, given[1]):
        page.keyboard.type(code)  # a scanner types the code, then Enter
        page.keyboard.press("Enter")
        if code == stranger:
            page.wait_for_selector("#error-code")
            said = page.inner_text("#error-code")
            assert stranger in said and like(NotInClaim.message).search(said)
            check_page(page, "distribution-handover-refused")
        else:
            page.wait_for_selector(f"p.flash:has-text('{code}')")
        wait_focus(page, "scan")  # ready for the next scan
    assert page.locator("tr.ticked").count() == 2 and page.locator("tr.waiting").count() == 1
    progress = fr_n(
        "%(num)s device scanned out of %(total)s",
        "%(num)s devices scanned out of %(total)s",
        2,
        total=3,
    )
    assert page.inner_text("#progress") == progress

    page.focus("#field-collector")
    page.keyboard.type("Awa Diallo")
    page.keyboard.press("Enter")
    page.wait_for_selector("#question")
    wait_focus(page, "question")  # asked, by name, whether the third one stays here
    assert left in page.inner_text("#question")
    check_page(page, "distribution-handover-question")
    fits_at_200_percent(page)
    page.keyboard.press("Tab")
    yes = fr_n(
        "Yes: hand over the scanned device, the others stay here",
        "Yes: hand over the %(num)s scanned devices, the others stay here",
        2,
    )
    assert focused(page)["text"] == yes
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/claims/{claimed}")
    shown: Any = api(server, "coordinatrice", "GET", f"/api/v1/claims/{claimed}")
    due = sum(d["price_cents"] for d in shown["devices"] if d["code"] in given)
    stays = fr_n(
        "%(num)s device stays here and is back in stock.",
        "%(num)s devices stay here and are back in stock.",
        1,
    )
    assert page.inner_text("p.flash") == f"{given_said(claimed, 2, euros('fr', due))} {stays}"
    assert page.is_visible(f"a[href='/claims/{claimed}/receipt.pdf']")
    check_page(page, "distribution-claim-handed-over")
    states = {d["code"]: d["state"] for d in shown["devices"]}
    assert states == {given[0]: "handed_over", given[1]: "handed_over", left: "released"}


def test_a_coordinator_reads_the_claims_and_cancels_one_after_being_asked(
    page: Any, server: Server
) -> None:
    name = f"Foyer des Dervallières {next(_numbers)}"
    number = new_structure(server, name, laptop=5, smartphone=60)
    laptop = available_laptop(server)
    claimed = claim(server, number, [laptop])
    asked = {"quantity": 50, "criteria": {"category": "smartphone", "min_grade": "A"}}
    waiting = asked | {"waitlist": True, "structure_id": number}  # more than the stock has
    api(server, "coordinatrice", "POST", "/api/v1/claims", waiting)
    sign_in(page, "coordinatrice", next_path="/")
    enter(page, "a[href='/claims']")
    page.wait_for_url("**/claims")
    line = page.inner_text("#waitlist")
    what = f"{fr('Smartphone')}, {fr(GRADE_OR_BETTER, grade='A')}"
    asks = fr_n("%(num)s device: %(what)s", "%(num)s devices: %(what)s", 50, what=what)
    assert name in line and asks in line
    check_page(page, "distribution-claims")
    fits_at_200_percent(page)

    enter(page, f"a[href='/claims/{claimed}']")
    page.wait_for_url(f"**/claims/{claimed}")
    assert laptop in page.inner_text("table.claim-devices")
    check_page(page, "distribution-claim")
    fits_at_200_percent(page)
    enter(page, f"a[href='/claims/{claimed}/cancel']")
    page.wait_for_url(f"**/claims/{claimed}/cancel")
    wait_focus(page, "cancel-question")
    assert laptop in page.inner_text("#cancel-question")
    check_page(page, "distribution-claim-cancel")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == fr("Yes, cancel the claim")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/claims/{claimed}")
    assert page.inner_text("p.flash") == fr(claim_pages.CANCELLED, id=claimed)
    shown: Any = api(server, "coordinatrice", "GET", f"/api/v1/devices/{laptop}")
    assert shown["status"] == "available"
    check_page(page, "distribution-claim-cancelled")
