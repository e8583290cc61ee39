"""The impact factors as versions, through the API and the coordinators' page, on SQLite
and PostgreSQL: version 1 is the shipped set; a new version is stored whole, validated
(positive values, a source and a vintage each), never edited after; a retried POST
stores it once; reports use the newest and say which; only coordinators manage them."""

from __future__ import annotations

import copy
import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.engine import transaction
from db.enums import Role
from intake import service as intake
from intake.models import BatchCreate, DonorCreate
from reporting import impact_factors
from reporting.models import ImpactFactorSet
from tests.distribution.test_catalog_api import active_structure, staff, stock
from tests.factories import ACTOR, auth, make_token
from tests.reporting.test_donor_report import lone_donor, today
from tests.reporting.test_donor_report_pdf import text_of
from tests.web.test_pages import make_user, sign_in

API = "/api/v1/impact-factors"
PAGE = "/reports/impact-factors"
FIELD = re.compile(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"')


def shipped_body() -> dict[str, Any]:
    current = impact_factors.shipped().read(current=True)
    return {"title": current.title, "factors": copy.deepcopy(current.factors)}


def raised_laptop(body: dict[str, Any]) -> dict[str, Any]:
    body["factors"]["manufacturing"]["laptop"] |= {
        "value": 200,
        "source": "ADEME Impact CO2, mise à jour 2026",
        "vintage": "2026",
    }
    return body | {"note": "Valeurs 2026"}


def test_version_one_is_the_shipped_set_until_one_is_stored(
    client: TestClient, engine: Engine
) -> None:
    coordinator = staff(engine)
    assert client.get(API, headers=coordinator).json() == [
        {
            "version": 1,
            "current": True,
            "stored": False,
            "created_at": None,
            "created_by": None,
            "note": None,
        }
    ]
    current = client.get(f"{API}/current", headers=coordinator).json()
    assert current["version"] == 1 and current["factors"] == shipped_body()["factors"]
    laptop = current["factors"]["manufacturing"]["laptop"]
    assert (laptop["value"], laptop["unit"], laptop["vintage"]) == (170.0, "kg CO2e", "2025")


def test_a_new_version_is_stored_once_and_reports_use_it(
    client: TestClient, engine: Engine
) -> None:
    coordinator = staff(engine)
    body = raised_laptop(shipped_body())
    del body["factors"]["distribution"]["laptop"]["unit"]  # filled in from the measure
    keyed = coordinator | {"Idempotency-Key": "factors-2026"}
    first = client.post(API, headers=keyed, json=body)
    assert first.status_code == 201, first.text
    again = client.post(API, headers=keyed, json=body)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    stored = first.json()
    assert (stored["version"], stored["stored"], stored["note"]) == (2, True, "Valeurs 2026")
    assert stored["factors"]["distribution"]["laptop"]["unit"] == "kg CO2e"
    versions = client.get(API, headers=coordinator).json()
    assert [(v["version"], v["current"], v["stored"]) for v in versions] == [
        (2, True, True),
        (1, False, True),  # the shipped set, stored too, so that reports citing it stay readable
    ]
    assert versions[1]["note"] == "As shipped with Remise"
    with transaction(engine, read_only=True) as session:
        assert session.get(ImpactFactorSet, 1) is not None
        assert impact_factors.version(session, 1).table() == impact_factors.shipped().table()

    with transaction(engine) as session:
        donor = intake.create_donor(session, ACTOR, data=DonorCreate(name="Acme SAS"))
        batch = intake.create_batch(
            session,
            ACTOR,
            data=BatchCreate(donor_id=donor.id or 0, pickup_date=today(), site="Nantes"),
        )
        code = stock(session, batch_id=batch.id)
    structure, _ = active_structure(client, engine, "Mission locale", laptop=5)
    claim = client.post("/api/v1/claims", headers=structure, json={"device_codes": [code]})
    handover = {"collector": "Awa Diallo", "device_codes": [code]}
    done = client.post(
        f"/api/v1/claims/{claim.json()['id']}/handover", headers=coordinator, json=handover
    )
    assert done.status_code == 200, done.text
    report = client.get(f"/api/v1/donors/{donor.id}/impact", headers=coordinator).json()
    impact = report["impact"]
    assert impact["factors_version"] == 2
    assert impact["indicators"][0]["estimated"] == 212  # 200 + 12.3
    assert {
        "source": "ADEME Impact CO2, mise à jour 2026",
        "vintage": "2026",
        "url": (
            "https://librairie.ademe.fr/changement-climatique/7880-evaluation-de-l-impact-"
            "environnemental-du-numerique-en-france.html"
        ),
    } in impact["sources"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["factors"]["manufacturing"]["laptop"].update(value=-3), "value"),
        (lambda b: b["factors"]["manufacturing"]["laptop"].update(value=0), "value"),
        (lambda b: b["factors"]["manufacturing"]["laptop"].update(value="beaucoup"), "value"),
        (lambda b: b["factors"]["manufacturing"]["laptop"].update(source=" "), "source"),
        (lambda b: b["factors"]["manufacturing"]["laptop"].pop("vintage"), "vintage"),
        (lambda b: b["factors"]["manufacturing"]["laptop"].update(url="ademe.fr"), "url"),
        (
            lambda b: b["factors"]["manufacturing"].update(
                fridge=b["factors"]["manufacturing"]["laptop"]
            ),
            "fridge",
        ),
        (lambda b: b["factors"].update(water={}), "water"),
    ],
)
def test_a_bad_factor_is_refused_by_its_place_and_nothing_is_stored(
    client: TestClient, engine: Engine, change: Any, field: str
) -> None:
    coordinator = staff(engine)
    body = shipped_body()
    change(body)
    answer = client.post(API, headers=coordinator, json=body)
    assert answer.status_code == 422, answer.text
    assert any(field in e["field"] for e in answer.json()["errors"]), answer.json()
    assert len(client.get(API, headers=coordinator).json()) == 1


def test_a_unit_other_than_the_measures_is_refused(client: TestClient, engine: Engine) -> None:
    body = shipped_body()
    body["factors"]["manufacturing"]["laptop"]["unit"] = "g CO2e"
    answer = client.post(API, headers=staff(engine), json=body)
    assert answer.status_code == 422 and "kg CO2e" in answer.text
    empty = client.post(API, headers=staff(engine), json={"factors": {}})
    assert empty.status_code == 422 and "at least one factor" in empty.text


@pytest.mark.parametrize("role", [Role.BENCH, Role.WORKSHOP, Role.STRUCTURE])
def test_only_coordinators_manage_the_factors(
    client: TestClient, engine: Engine, role: Role
) -> None:
    structure = "La Passerelle" if role == Role.STRUCTURE else None
    headers = auth(make_token(engine, role=role, structure=structure))
    assert client.get(API, headers=headers).status_code == 403
    assert client.get(f"{API}/current", headers=headers).status_code == 403
    assert client.post(API, headers=headers, json=shipped_body()).status_code == 403


def form_of(page: str) -> dict[str, str]:
    """What the browser sends for the factors' form as shown."""
    start = page.index('id="factors-form"')
    found = FIELD.findall(page[start : page.index("</form>", start)])
    return {name: html.unescape(value) for name, value in found}


def test_a_coordinator_stores_a_version_from_the_page_and_a_bad_one_is_refused_beside_its_field(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "cora", Role.COORDINATOR)
    sign_in(client, "cora")
    page = client.get(PAGE).text
    assert "Version 1 en vigueur" in page and "Les facteurs fournis avec Remise" in page
    sent = form_of(page)
    assert sent["manufacturing.laptop.value"] == "170"
    assert sent["distribution.desktop.value"] == "1,85"  # as typed in French
    assert (
        sent["manufacturing.laptop.vintage"] == "2025" and sent["manufacturing.other.value"] == ""
    )
    assert sent["manufacturing.laptop.source"].startswith("ADEME Impact CO2")

    refused = client.post(
        PAGE,
        data=sent
        | {
            "manufacturing.laptop.value": "beaucoup",
            "co2e_per_year.tablet.vintage": "",
            "distribution.smartphone.value": "-2",
            "note": "essai",
        },
    )
    assert refused.status_code == 422
    shown = html.unescape(refused.text)
    assert '<p class="field-error" id="e-manufacturing.laptop.value">Un nombre est attendu' in shown
    assert 'value="beaucoup"' in shown and 'value="essai"' in shown  # what was typed is kept
    for field in ("co2e_per_year.tablet.vintage", "distribution.smartphone.value"):
        assert f'<p class="field-error" id="e-{field}">' in shown  # every problem at once
        assert f'aria-describedby="e-{field}"' in shown
    assert "Rien n'a été enregistré" in shown
    with transaction(engine, read_only=True) as session:
        assert (
            impact_factors.current(session).version == 1
            and not impact_factors.current(session).stored
        )

    changed = sent | {
        "manufacturing.laptop.value": "175,5",
        "manufacturing.other.value": "50",
        "manufacturing.other.source": "Estimation de l'association",
        "manufacturing.other.vintage": "2026",
        "ewaste_per_year.laptop.value": "",
        "ewaste_per_year.laptop.source": "",
        "ewaste_per_year.laptop.vintage": "",
        "note": "Autres appareils comptés",
    }
    stored = client.post(PAGE, data=changed, follow_redirects=False)
    assert stored.status_code == 303 and stored.headers["location"] == PAGE
    page = html.unescape(client.get(PAGE).text)
    assert "Facteurs d'impact enregistrés : la version 2 s'applique désormais." in page
    assert "Version 2 en vigueur" in page and "Autres appareils comptés" in page
    with transaction(engine, read_only=True) as session:
        current = impact_factors.current(session)
        table = current.table()
    assert current.version == 2 and current.created_by == "cora"
    assert str(table["manufacturing"]["laptop"].value) == "175.5"  # type: ignore[index]
    assert table["manufacturing"]["other"].source == "Estimation de l'association"  # type: ignore[index]
    assert "laptop" not in table.get("ewaste_per_year", {})  # type: ignore[call-overload]
    same_again = client.post(PAGE, data=changed, follow_redirects=False)
    assert same_again.status_code == 303  # the same form sent twice stores nothing more
    with transaction(engine, read_only=True) as session:
        assert impact_factors.current(session).version == 2
    donor = lone_donor(engine)
    pdf = client.get(f"/reports/donors/{donor}.pdf")
    assert "Facteurs utilisés : version 2" in text_of(pdf.content)
    assert "Estimation de l'association (2026)" in text_of(pdf.content)


def test_the_page_is_for_coordinators_only(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    sign_in(client, "lucie")
    assert client.get(PAGE).status_code == 403
