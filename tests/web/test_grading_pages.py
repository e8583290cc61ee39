"""The bench's grading step over HTTP, on SQLite and PostgreSQL: the zones with each
grade's words, the result computed before it is applied, the grade applied with a
message, refusals beside their zone or field (the coordinators' pages are in
test_grading_coordinator_pages).

Every form that works answers 303 (Back and F5 send nothing again); every refusal comes
back with its message beside the field it is about, what was typed kept, nothing saved.
Expected words and figures are read from the shipped documents, not from the code.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db import codes
from db.enums import Category, Role
from tests.factories import auth, make_token
from tests.grading.helpers import refurbished
from tests.refurbish.test_runs_api import device, labelled
from tests.refurbish.walking import history
from tests.web.test_pages import make_user, sign_in

SHIPPED = Path(__file__).resolve().parents[2] / "grading"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
NBSP = "\u00a0"


def shipped(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((SHIPPED / name).read_text(encoding="utf-8"))
    return found


def shown(page: str) -> str:
    return html.unescape(page)


def between(page: str, start: str, end: str) -> str:
    found = page.index(start)
    return page[found : page.index(end, found)]


def form_fields(page: str, form_id: str) -> dict[str, str]:
    """The hidden fields of the form `form_id` on `page`, as the browser would send them."""
    return dict(HIDDEN.findall(between(page, f'id="{form_id}"', "</form>")))


def first_keys(page: str) -> dict[str, str]:
    return form_fields(page, "zones-form")


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


def at_the_bench(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    sign_in(client, "lucie")


def coordinator(client: TestClient, engine: Engine) -> None:
    make_user(engine, "cora", Role.COORDINATOR)
    sign_in(client, "cora")


def step(client: TestClient, code: str) -> str:
    answer = client.get(f"/bench/devices/{code}/grade")
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def preview(client: TestClient, code: str, choices: dict[str, str]) -> Any:
    keys = first_keys(step(client, code))
    url = f"/bench/devices/{code}/grade/preview"
    return client.post(url, data=keys | choices, follow_redirects=False)


LAPTOP_B = {"zone.screen": "A", "zone.casing": "B", "zone.keyboard": "A", "tpm2": "yes"}


def test_a_volunteer_previews_then_applies_a_grade_and_the_device_becomes_available(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    raw = refurbished(client, engine, bench, values={"casing": "worn"})
    code = codes.display(raw)
    at_the_bench(client, engine)
    rules, grid = shipped("default_rules.json"), shipped("default_grid.json")
    laptop = rules["categories"]["laptop"]["definitions"]

    page = shown(step(client, code))
    assert "<dd>Ordinateur portable</dd>" in page and "reconditionné" in page
    for legend in ("Écran", "Boîtier", "Clavier"):
        assert f"<legend>{legend}</legend>" in page
    assert laptop["C"]["keyboard"]["fr"] in page and laptop["A"]["screen"]["fr"] in page
    assert re.search(r'name="zone.screen" value="A" checked', page)  # the checklist: perfect
    assert re.search(r'name="zone.casing" value="B" checked', page)  # the checklist: worn
    assert not re.search(r'name="zone.keyboard" value="[ABC]" checked', page)
    assert re.search(r'name="zone.keyboard" value="A" autofocus', page)  # nobody judged it
    assert "TPM 2.0 visible dans les réglages du micrologiciel" in page
    assert "Appliquer ce grade" not in page  # nothing computed yet

    before = history(engine, raw)
    answer = preview(client, code, LAPTOP_B)
    assert answer.status_code == 200, answer.text[:800]
    result = shown(between(answer.text, 'id="result"', "</section>"))
    assert re.search(r'class="grade-big"><span class="visually-hidden">Grade </span>B</p>', result)
    assert rules["grades"]["B"]["fr"] in result
    assert "<dd>Windows</dd>" in result and "compatible Windows 11" in result
    cents = grid["prices"]["laptop"]["B"] + sum(t["add_cents"] for t in grid["tiers"][:2])
    price = f"{cents // 100},00{NBSP}€"
    assert f"<strong>{price}</strong>" in result
    assert re.search(r'id="apply"[^>]*autofocus', result)
    assert history(engine, raw) == before and device(engine, raw).status == "refurbished"

    sent = form_fields(answer.text, "apply-form")
    assert {k: sent[k] for k in LAPTOP_B} == LAPTOP_B  # what was computed is what is applied
    url = f"/bench/devices/{code}/grade"
    applied = client.post(url, data=sent, follow_redirects=False)
    assert applied.status_code == 303, applied.text[:800]
    assert applied.headers["location"] == url
    page = shown(client.get(url).text)
    assert f'<p class="flash" role="status">Grade B appliqué : disponible à {price}</p>' in page
    stored = device(engine, raw)
    assert (stored.status, stored.grade, stored.price_cents) == ("available", "B", cents)
    gradings = between(page, 'id="gradings-title"', "</section>")
    assert "<strong>B</strong>" in gradings and "lucie" in gradings

    again = client.post(url, data=sent, follow_redirects=False)  # Back, then sent again
    assert again.status_code == 303 and again.headers["location"] == url
    types = [t for t, _ in history(engine, raw)]
    assert types.count("device.graded") == 1 and types.count("device.made_available") == 1
    reloaded = client.get(f"/bench/devices/{code}/grade/preview", follow_redirects=False)
    assert reloaded.status_code == 303 and reloaded.headers["location"] == url  # F5

    device_page = shown(client.get(f"/bench/devices/{code}").text)  # the grade and its reasons
    said = between(device_page, 'id="grade-words"', "</ul>")
    assert "Grade B" in said and rules["grades"]["B"]["fr"] in said
    assert "compatible Windows 11" in said


def test_a_zone_nobody_judged_is_asked_for_beside_it_with_the_choices_kept(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    raw = refurbished(client, engine, bench)
    code = codes.display(raw)
    at_the_bench(client, engine)
    answer = preview(client, code, {"zone.screen": "B", "zone.casing": "C", "tpm2": "no"})
    assert answer.status_code == 422
    page = shown(answer.text)
    keyboard = between(page, 'id="zone-keyboard"', "</fieldset>")
    assert 'aria-describedby="error-zone.keyboard"' in keyboard
    assert re.search(
        r'<p class="field-error" id="error-zone.keyboard">Jugez d\'abord chaque zone de '
        r"l'appareil [A-Z0-9-]+ : clavier.</p>",
        keyboard,
    )
    assert re.search(r'name="zone.keyboard" value="A" autofocus', keyboard)
    assert re.search(r'name="zone.screen" value="B" checked', page)  # as chosen, not the
    assert re.search(r'name="zone.casing" value="C" checked', page)  # checklist's answers
    assert re.search(r'name="tpm2" value="no" checked', page)
    assert 'id="result"' not in page and device(engine, raw).status == "refurbished"


def test_a_refused_override_keeps_what_was_typed_and_says_why_beside_the_field(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    raw = refurbished(client, engine, bench)
    code = codes.display(raw)
    at_the_bench(client, engine)
    computed = preview(client, code, {"zone.keyboard": "A"})
    assert computed.status_code == 200, computed.text[:800]
    assert (
        'id="override"' in computed.text
        and "<summary>Changer le grade à la main</summary>" in computed.text
    )
    sent = form_fields(computed.text, "override-form")
    assert sent["action"] == "override" and sent["zone.keyboard"] == "A"
    before = history(engine, raw)
    url = f"/bench/devices/{code}/grade"

    typed = {"override_grade": "C", "reason": "   "}
    refused = client.post(url, data=sent | typed, follow_redirects=False)
    assert refused.status_code == 422
    page = shown(refused.text)
    assert '<details id="override" open>' in page
    assert (
        '<p class="field-error" id="error-reason">Modifier le grade calculé demande une raison '
        "écrite : pourquoi C ?</p>" in page
    )
    assert re.search(r'<textarea id="field-reason"[^>]*aria-invalid="true"[^>]*autofocus', page)
    assert re.search(r'name="override_grade" value="C" checked', page)
    assert 'maxlength="1000"' in between(page, 'id="field-reason"', ">")
    assert 'class="grade-big"' in page  # the result computed stays beside the form

    reason = "Charnière gauche un peu molle"
    same = client.post(url, data=sent | {"override_grade": "A", "reason": reason})
    assert same.status_code == 422
    page = shown(same.text)
    override = between(page, 'id="override_grade"', "</fieldset>")
    assert 'id="error-override_grade">Les règles donnent déjà le grade A' in override
    assert f">{reason}</textarea>" in page
    assert history(engine, raw) == before

    done = client.post(
        url, data=sent | {"override_grade": "C", "reason": reason}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "Grade C appliqué" in shown(client.get(url).text)
    assert (device(engine, raw).grade, device(engine, raw).status) == ("C", "available")

    client.cookies.clear()
    coordinator(client, engine)
    listed = shown(client.get("/grading/overrides").text)
    row = between(listed, f'href="/bench/devices/{code}/grade"', "</tr>")
    assert "<strong>C</strong> (les règles donnaient A)" in row
    assert reason in row and "lucie" in row


def test_a_phone_with_a_worn_battery_gets_no_grade_says_why_and_leads_back(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    raw = refurbished(client, engine, bench, Category.SMARTPHONE, values={"battery_health": 74})
    code = codes.display(raw)
    at_the_bench(client, engine)
    page = shown(step(client, code))
    assert "<legend>Boutons</legend>" in page and 'name="tpm2"' not in page  # not a computer
    answer = preview(client, code, {"zone.buttons": "A"})
    assert answer.status_code == 200, answer.text[:800]
    result = shown(between(answer.text, 'id="result"', "</section>"))
    assert "batterie 74 % < 80 % : pas de grade avant remplacement" in result
    assert f'href="/bench/devices/{code}"' in result and 'id="override"' not in result
    applied = client.post(
        f"/bench/devices/{code}/grade",
        data=form_fields(answer.text, "apply-form"),
        follow_redirects=False,
    )
    assert applied.status_code == 303
    page = shown(client.get(applied.headers["location"]).text)
    assert "Pas de grade : batterie 74 % < 80 % : pas de grade avant remplacement" in page
    assert device(engine, raw).status == "refurbished"
    assert [t for t, _ in history(engine, raw)][-1] == "device.grade_refused"
    gradings = between(page, 'id="gradings-title"', "</section>")
    assert "batterie 74 %" in gradings


def test_an_override_of_a_device_without_grade_is_refused_above_the_step(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    """A grade set by hand from a page shown before the device lost its grade (say, its
    checklist was redone meanwhile): refused, said above the step, nothing written."""
    raw = refurbished(client, engine, bench, Category.SMARTPHONE, values={"battery_health": 74})
    code = codes.display(raw)
    at_the_bench(client, engine)
    keys = first_keys(step(client, code))
    typed = {"zone.buttons": "A", "action": "override", "override_grade": "B", "reason": "urgent"}
    before = history(engine, raw)
    refused = client.post(f"/bench/devices/{code}/grade", data=keys | typed)
    assert refused.status_code == 422
    problem = shown(between(refused.text, 'id="problem"', "</div>"))
    assert "n'obtient pas de grade" in problem and "batterie 74 %" in problem
    assert history(engine, raw) == before


def test_a_grade_applied_before_the_erasure_passed_says_what_it_waits_for(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    raw = refurbished(client, engine, bench)
    code = codes.display(raw)
    medium = client.get(f"/api/v1/devices/{code}/media", headers=bench).json()[0]
    failed = {"medium_id": medium["id"], "level": "clear", "method": "overwrite"}
    failed["verification"] = {"method": "full", "passed": False}
    answer = client.post(f"/api/v1/devices/{code}/erasures", headers=bench, json=failed)
    assert answer.status_code == 201, answer.text
    at_the_bench(client, engine)
    computed = preview(client, code, {"zone.keyboard": "A"})
    assert computed.status_code == 200, computed.text[:800]
    waiting = shown(between(computed.text, 'id="waiting"', "</div>"))
    assert "<li>" in waiting
    sent = form_fields(computed.text, "apply-form")
    applied = client.post(f"/bench/devices/{code}/grade", data=sent, follow_redirects=False)
    assert applied.status_code == 303
    flash = shown(between(client.get(applied.headers["location"]).text, 'class="flash"', "</p>"))
    assert "Grade A appliqué ; avant d'être disponible, il attend :" in flash
    stored = device(engine, raw)
    assert (stored.status, stored.grade, stored.price_cents) == ("graded", "A", None)


def test_a_device_that_cannot_be_graded_says_why_and_answers_409(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    raw = labelled(engine)
    code = codes.display(raw)
    at_the_bench(client, engine)
    page = shown(step(client, code))
    assert 'id="zones-form"' not in page and "seul un appareil reconditionné" in page
    assert f'href="/bench/devices/{code}"' in page
    keys = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}  # type: ignore[union-attr]
    answer = client.post(f"/bench/devices/{code}/grade/preview", data=keys | {"zone.keyboard": "A"})
    assert answer.status_code == 409
    assert 'role="alert" id="problem"' in answer.text


def test_a_zone_the_category_does_not_have_is_refused_above_the_step(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    raw = refurbished(client, engine, bench)
    code = codes.display(raw)
    at_the_bench(client, engine)
    answer = preview(client, code, {"zone.keyboard": "A", "zone.buttons": "B"})
    assert answer.status_code == 422
    problem = shown(between(answer.text, 'id="problem"', "</div>"))
    assert "boutons" in problem and "clavier" in problem
    wrong = preview(client, code, {"zone.keyboard": "Z"})  # not a grade: said beside it
    assert wrong.status_code == 422
    assert 'id="error-zone.keyboard">Choisissez A, B ou C.' in shown(wrong.text)


def test_the_device_page_leads_to_the_grading_step(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    raw = refurbished(client, engine, bench)
    code = codes.display(raw)
    waiting = codes.display(labelled(engine))
    at_the_bench(client, engine)
    page = client.get(f"/bench/devices/{code}").text
    panel = between(page, 'id="grade-panel"', "</div>")
    assert f'<a href="/bench/devices/{code}/grade">Donner le grade</a>' in panel
    assert 'id="grade-panel"' not in client.get(f"/bench/devices/{waiting}").text
    answer = preview(client, code, {"zone.keyboard": "A"})
    sent = form_fields(answer.text, "apply-form")
    client.post(f"/bench/devices/{code}/grade", data=sent, follow_redirects=False)
    assert "Revoir le grade" in client.get(f"/bench/devices/{code}").text


def test_the_grading_step_speaks_english(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    raw = refurbished(client, engine, bench)
    code = codes.display(raw)
    at_the_bench(client, engine)
    page = step(client, code)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    here = f"/bench/devices/{code}/grade"
    client.post("/language", data={"locale": "en", "next": here, "csrf_token": token})
    page = shown(step(client, code))
    rules = shipped("default_rules.json")
    assert "<legend>Keyboard</legend>" in page and "Compute the grade" in page
    assert rules["categories"]["laptop"]["definitions"]["B"]["keyboard"]["en"] in page
