"""The shell in a real browser: where each role lands after signing in (`START_PAGES`),
the home tiles, the header at 200 % zoom."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.web.conftest import Server, check_page

TOKEN_HINT = "ils ont besoin d'un jeton d'API"
START = {"coordinatrice": "/dashboard", "atelier": "/intake", "passerelle": "/portal"}


def sign_in_from_the_address_bar(page: Any, user: str) -> None:
    """What a volunteer does: open the site, be sent to the sign-in page, sign in."""
    page.goto("/")
    page.wait_for_url("**/login")
    page.get_by_label("Nom d'utilisateur").fill(user)
    page.get_by_label("Mot de passe").fill(f"demo-{user}-remise")
    page.keyboard.press("Enter")


def test_a_bench_volunteer_lands_on_the_scan_field(page: Any) -> None:
    sign_in_from_the_address_bar(page, "benevole")
    page.wait_for_url("**/bench")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'scan'")
    check_page(page, "shell-bench-landing")
    page.keyboard.type("demo00002", delay=5)  # the scanner types into the focused field
    page.keyboard.press("Enter")
    page.wait_for_url("**/bench/devices/*")


@pytest.mark.parametrize(("user", "start"), sorted(START.items()))
def test_other_roles_land_on_their_own_start_page(page: Any, user: str, start: str) -> None:
    sign_in_from_the_address_bar(page, user)
    page.wait_for_function("want => location.pathname === want", arg=start)
    assert urlsplit(page.url).path == start


def test_the_home_shows_the_api_tile_only_to_who_writes_scripts(page: Any) -> None:
    sign_in_from_the_address_bar(page, "benevole")
    page.wait_for_url("**/bench")
    page.goto("/")
    assert page.locator("main .tiles a[href='/bench']").count() == 1
    assert page.locator("a[href='/docs']").count() == 0  # neither a tile nor in the menu
    check_page(page, "shell-home-benevole")


@pytest.mark.parametrize("user", ["coordinatrice", "atelier"])
def test_the_api_tile_says_a_token_is_needed(page: Any, user: str) -> None:
    sign_in_from_the_address_bar(page, user)
    page.wait_for_function("want => location.pathname === want", arg=START[user])
    page.goto("/")
    tile = page.locator("main .tiles a[href='/docs']")
    assert tile.count() == 1
    said = tile.inner_text()
    assert TOKEN_HINT in said and "en anglais" in said
    assert page.locator("nav a[href='/docs']").count() == 1
    assert page.locator("header.top a[href='/account']").count() == 1  # where tokens are made
    check_page(page, f"shell-home-{user}")


def test_the_structure_home_says_what_is_there(page: Any) -> None:
    sign_in_from_the_address_bar(page, "passerelle")
    page.wait_for_function("() => location.pathname === '/portal'")
    page.goto("/")
    assert page.locator("main a[href='/portal']").count() == 1
    assert page.locator("a[href='/docs']").count() == 0
    check_page(page, "shell-home-passerelle")


def test_the_bench_shortcuts_name_keys_in_french(page: Any) -> None:
    sign_in_from_the_address_bar(page, "benevole")
    page.wait_for_url("**/bench")
    keys = page.locator(".shortcuts kbd").all_inner_texts()
    assert keys == ["F2", "Entrée", "Tab"]


def test_the_header_fits_at_200_percent_zoom(browser: Any, server: Server) -> None:
    """The bench screen at 200 %: every menu entry and the account buttons stay whole
    and on the screen, none under another."""
    context = browser.new_context(
        base_url=server.base,
        viewport={"width": 683, "height": 384},
        device_scale_factor=2,
        locale="fr-FR",
    )
    page = context.new_page()
    sign_in_from_the_address_bar(page, "coordinatrice")
    page.wait_for_url("**/dashboard")
    for path in ("/", "/intake", "/bench", "/admin/users"):
        page.goto(path)
        boxes = page.eval_on_selector_all(
            "header.top a:not(.skip), header.top button, header.top .who",
            "all => all.map(e => { const r = e.getBoundingClientRect();"
            " return {text: e.textContent.trim(), left: r.left, right: r.right,"
            " top: r.top, bottom: r.bottom, width: r.width,"
            " full: e.scrollWidth <= e.clientWidth + 1}; })",
        )
        shown = [b for b in boxes if b["width"] > 1]
        assert len(shown) >= 6, boxes
        for box in shown:
            assert box["left"] >= 0 and box["right"] <= 683, (path, box)
            assert box["full"], (path, box)
        for n, one in enumerate(shown):
            for other in shown[n + 1 :]:
                apart = (
                    one["right"] <= other["left"]
                    or other["right"] <= one["left"]
                    or one["bottom"] <= other["top"]
                    or other["bottom"] <= one["top"]
                )
                assert apart, (path, one, other)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    check_page(page, "shell-header-zoom-200")
    context.close()


def test_the_sign_in_page_says_the_session_ended_next_to_the_form(page: Any) -> None:
    page.goto("/login?expired=1&next=/bench/continuous")
    notice = page.locator("#login-expired[role=alert]")
    assert "Votre session a pris fin" in notice.inner_text()
    check_page(page, "shell-login-ended")
    page.get_by_label("Nom d'utilisateur").fill("benevole")
    page.get_by_label("Mot de passe").fill("demo-benevole-remise")
    page.keyboard.press("Enter")
    page.wait_for_url("**/bench/continuous")  # back where the session ended
