"""The coordinators' grading pages over HTTP, on SQLite and PostgreSQL: the rules in
force as sentences and their editor (a bad document refused with every problem by its
place, the text typed kept), the grades set by hand, and the price grid typed in euros
(a price over its legal cap refused beside its category's row).

Expected words and figures are read from the shipped documents, not from the code.
"""

from __future__ import annotations

import copy
import html
import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import auth, make_token
from tests.web.test_grading_pages import (
    NBSP,
    at_the_bench,
    between,
    coordinator,
    form_fields,
    shipped,
    shown,
)


def test_a_coordinator_publishes_rules_and_a_bad_document_is_refused_by_place(
    client: TestClient, engine: Engine
) -> None:
    coordinator(client, engine)
    home = shown(client.get("/").text)
    assert '<a href="/grading/rules"><strong>Règles de grade et prix</strong>' in home
    page = shown(client.get("/grading/rules").text)
    rules = shipped("default_rules.json")
    assert "Version 0 en vigueur" in page
    battery = next(r for r in rules["rules"] if r["id"] == "laptop_battery_a")
    limit, cap = battery["when"]["value"], battery["effect"]["max_grade"]
    said = battery["reason"]["fr"].replace("{value}", "…").replace("{threshold}", str(limit))
    assert f"« {said} »" in page  # the measure left out, the rule's threshold in
    assert f"Quand santé de la batterie, en pourcentage < {limit} : au plus le grade {cap}." in page
    assert battery["source"] in page
    assert rules["categories"]["desktop"]["definitions"]["C"]["casing"]["fr"] in page
    keys = form_fields(client.get("/grading/rules").text, "rules-form")

    broken = copy.deepcopy(rules)
    broken["title"] = ""
    broken["rules"][2]["effect"]["max_grade"] = "D"
    broken["rules"][4]["categories"].append("fridge")
    typed = json.dumps(broken, indent=1, ensure_ascii=False)
    refused = client.post("/grading/rules", data=keys | {"document": typed, "note": "essai"})
    assert refused.status_code == 422
    page = shown(refused.text)
    assert (
        '<div class="error problems" role="alert" id="rules-problems" tabindex="-1" autofocus>'
        in page
    )
    box = between(page, 'id="rules-problems"', "</div>")
    for place in ("title", "rules[2].effect.max_grade", "rules[4].categories[2]"):
        assert f'<code class="place">{place}</code>' in box
    assert "fridge" in box
    assert f">{typed}</textarea>" in page and 'value="essai"' in page  # all kept
    assert page.index('id="rules-problems"') < page.index('id="field-document"')

    not_json = client.post("/grading/rules", data=keys | {"document": '{"title": "x",}'})
    assert not_json.status_code == 422
    assert "ligne 1, colonne 15" in shown(not_json.text)

    changed = copy.deepcopy(rules)
    next(r for r in changed["rules"] if r["id"] == "laptop_battery_a")["when"]["value"] = limit + 5
    sent = keys | {"document": json.dumps(changed), "note": "Seuil relevé à 65 %"}
    published = client.post("/grading/rules", data=sent, follow_redirects=False)
    assert published.status_code == 303 and published.headers["location"] == "/grading/rules"
    page = shown(client.get("/grading/rules").text)
    assert (
        "Règles publiées : la version 1 est en vigueur" in page and "Version 1 en vigueur" in page
    )
    assert "Seuil relevé à 65 %" in page and "cora" in page
    assert said.replace(str(limit), str(limit + 5)) in page
    again = client.post("/grading/rules", data=sent, follow_redirects=False)
    assert again.status_code == 303  # Back and sent again: still one version
    assert "Version 1 en vigueur" in shown(client.get("/grading/rules").text)


def test_a_volunteer_may_not_open_the_coordinators_pages(
    client: TestClient, engine: Engine
) -> None:
    at_the_bench(client, engine)
    assert 'href="/grading/rules"' not in client.get("/").text
    for path in ("/grading/rules", "/grading/overrides", "/pricing/grid"):
        assert client.get(path).status_code == 403


def grid_form(client: TestClient) -> tuple[str, dict[str, str]]:
    page = client.get("/pricing/grid").text
    fields = dict(
        re.findall(r'name="(price\.[a-z_]+\.[ABC]|effective_from)" value="([^"]*)"', page)
    )
    tiers = between(page, 'name="tiers"', "</textarea>").partition(">")[2]
    waivers = between(page, 'name="waivers"', "</textarea>").partition(">")[2]
    sent = form_fields(page, "grid-form") | fields
    return page, sent | {"tiers": html.unescape(tiers), "waivers": html.unescape(waivers)}


def test_a_grid_over_the_cap_is_refused_beside_its_row_and_a_fair_one_is_published(
    client: TestClient, engine: Engine
) -> None:
    coordinator(client, engine)
    grid = shipped("default_grid.json")
    page, sent = grid_form(client)
    page = shown(page)
    laptop_a = grid["prices"]["laptop"]["A"]
    assert f'<td class="money">{laptop_a // 100},00{NBSP}€</td>' in page
    assert "180,00\u00a0€" in page and "décret du 7 novembre 2022" in page
    assert sent["price.laptop.A"] == str(laptop_a // 100)
    assert json.loads(sent["tiers"]) == grid["tiers"] and json.loads(sent["waivers"]) == []

    dear = sent | {"price.laptop.A": "160", "price.smartphone.B": "69,50"}
    refused = client.post("/pricing/grid", data=dear)
    assert refused.status_code == 422
    page = shown(refused.text)
    row = between(page, 'id="row-laptop"', "</fieldset>")
    assert 'id="error-row.laptop"' in row and f"190,00{NBSP}€" in row and f"180,00{NBSP}€" in row
    assert "dérogation" in row
    assert re.search(
        r'id="field-price.laptop.A" name="price.laptop.A" value="160"[^>]*autofocus', row
    )
    assert 'value="69,50"' in page  # what was typed, kept
    assert 'id="error-row' not in between(page, 'id="row-desktop"', "</fieldset>")

    typo = client.post("/pricing/grid", data=sent | {"price.tablet.C": "quarante"})
    assert typo.status_code == 422
    tablet = shown(between(typo.text, 'id="row-tablet"', "</fieldset>"))
    assert 'id="error-price.tablet.C">Écrivez un prix en euros' in tablet

    reason = "Ordinateurs donnés par une entreprise privée, pas par un organisme public"
    waived = dear | {"waivers": json.dumps([{"category": "laptop", "reason": reason}])}
    published = client.post(
        "/pricing/grid", data=waived | {"note": "Dérogation"}, follow_redirects=False
    )
    assert published.status_code == 303, published.text[:800]
    page = shown(client.get("/pricing/grid").text)
    assert "Grille des prix publiée : version 1" in page
    token = auth(make_token(engine))
    stored = client.get("/api/v1/pricing/grid", headers=token).json()
    assert stored["version"] == 1 and stored["note"] == "Dérogation"
    assert stored["document"]["prices"]["laptop"]["A"] == 16000
    assert stored["document"]["prices"]["smartphone"]["B"] == 6950
    assert stored["document"]["tiers"] == grid["tiers"]
    assert stored["document"]["waivers"] == [{"category": "laptop", "reason": reason}]
