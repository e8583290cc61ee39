"""A donor's impact report through the real API, on SQLite and PostgreSQL: devices
received, refurbished, reused through structures of different publics, dismantled,
recycled, lost, returned; the erasure certificates; the estimated impact; the period
applied to each figure; another donor's devices never counted; only coordinators read it.

The world is made through the services and the HTTP API as volunteers make it: batches
received, runs finished at the bench, claims handed over, certificates issued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db import lifecycle
from db.clock import utcnow
from db.devices import by_code
from db.engine import transaction
from db.enums import Category, Role, Status
from intake import service as intake
from intake.models import BatchCreate, DonorCreate
from refurbish.erasure.certificate_pdf import embedded_envelope
from tests.distribution.test_catalog_api import active_structure, staff, stock
from tests.factories import ACTOR, auth, make_device, make_token
from tests.refurbish.walking import erase_every_medium

ZONE = ZoneInfo("Europe/Paris")
QUOTAS = {"laptop": 20, "smartphone": 20, "tablet": 20, "other": 20, "desktop": 20}


def today() -> date:
    return utcnow().astimezone(ZONE).date()


@dataclass
class World:
    donor: int
    other_donor: int
    batch: int
    last_year_batch: int
    coordinator: dict[str, str]
    certificates: dict[str, str] = field(default_factory=dict)  # nickname → code
    codes: dict[str, str] = field(default_factory=dict)  # nickname → device code


def _donor(engine: Engine, name: str, pickups: list[date]) -> tuple[int, list[int]]:
    with transaction(engine) as session:
        donor = intake.create_donor(session, ACTOR, data=DonorCreate(name=name))
        batches = [
            intake.create_batch(
                session,
                ACTOR,
                data=BatchCreate(donor_id=donor.id or 0, pickup_date=day, site="Siège, Nantes"),
            ).id
            or 0
            for day in pickups
        ]
    return donor.id or 0, batches


def lone_donor(engine: Engine, name: str = "Initech") -> int:
    """A donor with one empty batch picked up today."""
    return _donor(engine, name, [today()])[0]


def _structure(client: TestClient, engine: Engine, name: str, public: str | None) -> Any:
    headers, found = active_structure(client, engine, name, **QUOTAS)
    if public is not None:
        body = {"public_category": public, "contact_name": "Camille Martin"}
        answer = client.patch(f"/api/v1/structures/{found}", headers=staff(engine), json=body)
        assert answer.status_code == 200, answer.text
    return headers


def _give(
    client: TestClient, structure: dict[str, str], coordinator: dict[str, str], codes: list[str]
) -> None:
    """The structure claims `codes`; the coordinator hands them over."""
    claim = client.post("/api/v1/claims", headers=structure, json={"device_codes": codes})
    assert claim.status_code == 201, claim.text
    body = {"collector": "Awa Diallo", "device_codes": codes}
    done = client.post(
        f"/api/v1/claims/{claim.json()['id']}/handover", headers=coordinator, json=body
    )
    assert done.status_code == 200, done.text


def _run(client: TestClient, bench: dict[str, str], code: str, **finish: Any) -> None:
    run = client.post(f"/api/v1/devices/{code}/runs", headers=bench, json={})
    assert run.status_code == 201, run.text
    if finish["outcome"] == "parts":
        erase_every_medium(client, bench, code)
    done = client.post(f"/api/v1/runs/{run.json()['id']}/finish", headers=bench, json=finish)
    assert done.status_code == 200, done.text


def _certificate(client: TestClient, headers: dict[str, str], batch: int) -> str:
    answer = client.get(f"/api/v1/batches/{batch}/certificate", headers=headers)
    assert answer.status_code == 200, answer.text
    code: str = answer.json()["certificate"]
    return code


def _turn_clock(client: TestClient, moment: datetime | None) -> None:
    if moment is None:
        del client.app.state.clock  # type: ignore[attr-defined]
    else:
        client.app.state.clock = lambda: moment  # type: ignore[attr-defined]


def build_world(client: TestClient, engine: Engine) -> World:
    """Acme gave a batch this year and one last year; Globex gave one this year."""
    last_year = date(today().year - 1, 6, 15)
    donor, (batch, old_batch) = _donor(engine, "Acme SAS", [today(), last_year])
    other, (other_batch,) = _donor(engine, "Globex", [today()])
    coordinator = staff(engine)
    bench = auth(make_token(engine, role=Role.BENCH))
    world = World(donor, other, batch, old_batch, coordinator)
    youth = _structure(client, engine, "Mission locale", "youth")
    jobs = _structure(client, engine, "Maison de l'emploi", "job_seekers")
    silent = _structure(client, engine, "Association sans public", None)
    with transaction(engine) as session:
        given = {
            nick: stock(session, category=category, batch_id=batch)
            for nick, category in (
                ("laptop1", Category.LAPTOP),
                ("laptop2", Category.LAPTOP),
                ("phone", Category.SMARTPHONE),
                ("tablet", Category.TABLET),
                ("other", Category.OTHER),
                ("returned", Category.LAPTOP),
            )
        }
        old = stock(session, batch_id=old_batch)
        theirs = stock(session, batch_id=other_batch)
        made = {
            "dismantled": make_device(session, status=Status.LABELLED, batch_id=batch),
            "recycled": make_device(
                session, status=Status.LABELLED, category=Category.BASIC_PHONE, batch_id=batch
            ),
            "their_dismantled": make_device(session, status=Status.LABELLED, batch_id=other_batch),
        }
        make_device(session, status=Status.GRADED, category=Category.DESKTOP, batch_id=batch)
        make_device(session, batch_id=batch)  # received only
        make_device(session, status=Status.LOST, batch_id=batch)
    world.codes = given | {nick: device.code for nick, device in made.items()}
    _give(client, youth, coordinator, [given["laptop1"], given["laptop2"], given["other"]])
    _give(client, jobs, coordinator, [given["phone"], given["returned"]])
    _give(client, silent, coordinator, [given["tablet"]])
    _give(client, youth, coordinator, [theirs])
    _turn_clock(client, datetime(last_year.year, 7, 1, 10, tzinfo=UTC))
    _give(client, youth, coordinator, [old])
    _turn_clock(client, None)
    with transaction(engine) as session:  # back under warranty, as distribution.faults does
        back = by_code(session, given["returned"])
        lifecycle.move(session, back, to=Status.IN_REFURBISHMENT, actor=ACTOR.ledger_name)
    parts = [{"kind": "ram", "description": "8 Go DDR4"}, {"kind": "ssd", "description": "256 Go"}]
    _run(client, bench, world.codes["dismantled"], outcome="parts", parts=parts)
    _run(client, bench, world.codes["recycled"], outcome="recycled", collector="Ecosystem")
    _run(client, bench, world.codes["their_dismantled"], outcome="parts", parts=parts[:1])
    world.certificates["first"] = _certificate(client, coordinator, batch)
    erase_every_medium(client, bench, given["laptop1"])  # the batch's certificate changes
    world.certificates["batch"] = _certificate(client, coordinator, batch)
    world.certificates["theirs"] = _certificate(client, coordinator, other_batch)
    device_pdf = client.get(
        f"/api/v1/devices/{given['phone']}/certificate.pdf", headers=coordinator
    )
    assert device_pdf.status_code == 200, device_pdf.text
    content = embedded_envelope(device_pdf.content)["content"]
    world.certificates["device"] = content["certificate"]
    return world


def impact(client: TestClient, world: World, **period: str) -> dict[str, Any]:
    query = "&".join(f"{key.rstrip('_')}={value}" for key, value in period.items())
    answer = client.get(f"/api/v1/donors/{world.donor}/impact?{query}", headers=world.coordinator)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


@pytest.fixture
def world(client: TestClient, engine: Engine) -> World:
    return build_world(client, engine)


def this_year() -> dict[str, str]:
    year = today().year
    return {"from_": f"{year}-01-01", "to": f"{year}-12-31"}


def test_each_figure_of_the_year_counts_the_donors_devices_and_estimates_their_impact(
    client: TestClient, world: World
) -> None:
    report = impact(client, world, **this_year())
    assert report["donor"] == {"id": world.donor, "name": "Acme SAS"}
    assert report["received"] == {
        "laptop": 6, "smartphone": 1, "tablet": 1, "other": 1, "basic_phone": 1, "desktop": 1,
    }  # fmt: skip
    # refurbished today: the six given, the desktop, and last year's laptop (its
    # refurbishment was recorded today, its handover dated last year)
    assert report["refurbished"] == {
        "laptop": 4, "smartphone": 1, "tablet": 1, "other": 1, "desktop": 1,
    }  # fmt: skip
    assert report["reused"] == {
        "by_category": {"laptop": 2, "smartphone": 1, "tablet": 1, "other": 1},
        "by_public": {"youth": 3, "job_seekers": 1, "not_stated": 1},
        "returned_since": 1,
    }
    assert report["parts"] == {"by_category": {"laptop": 1}, "harvested_parts": 2}
    assert report["recycled"] == {"basic_phone": 1}
    assert report["lost"] == 1
    found = report["impact"]
    assert found["estimate"] is True and found["factors_version"] == 1
    co2e, per_year, materials, ewaste = found["indicators"]
    # laptops 2 × (170 + 12.3), a smartphone 77 + 2.27, a tablet 80.5 + 3.43
    assert co2e["exact"] == pytest.approx(364.6 + 79.27 + 83.93)
    assert co2e["estimated"] == 528 and co2e["unit"] == "kg CO2e"
    assert [(c["category"], c["devices"], c["estimated"]) for c in co2e["by_category"]] == [
        ("laptop", 2, 365), ("smartphone", 1, 79), ("tablet", 1, 84),
    ]  # fmt: skip
    assert co2e["not_counted"] == {"other": 1} and co2e["devices_counted"] == 4
    assert (per_year["indicator"], per_year["estimated"]) == ("co2e_per_year", 99)  # 54+24.6+20
    assert (materials["indicator"], materials["estimated"]) == ("materials_per_year", 411)
    assert (ewaste["indicator"], ewaste["estimated"]) == ("ewaste_per_year", 0.6)
    assert ewaste["not_counted"] == {"smartphone": 1, "tablet": 1, "other": 1}
    assert {s["vintage"] for s in found["sources"]} == {"2025", "2022"}
    assert all(s["source"].startswith("ADEME") and s["url"] for s in found["sources"])


def test_the_certificates_are_the_donors_newest_and_another_donors_devices_never_count(
    client: TestClient, world: World
) -> None:
    listed = impact(client, world, **this_year())["certificates"]
    by_code = {c["code"]: c for c in listed}
    assert set(by_code) == {world.certificates["batch"], world.certificates["device"]}
    batch = by_code[world.certificates["batch"]]
    assert (batch["scope"], batch["batch_id"], batch["devices"]) == ("batch", world.batch, 11)
    assert batch["verify_url"].endswith(f"/verify/{world.certificates['batch']}")
    device = by_code[world.certificates["device"]]
    assert (device["scope"], device["device"]) == ("device", world.codes["phone"])
    assert world.certificates["first"] not in by_code  # superseded by the batch's newer one
    assert world.certificates["theirs"] not in by_code
    answer = client.get(
        f"/api/v1/donors/{world.other_donor}/impact", headers=world.coordinator
    ).json()
    assert answer["received"] == {"laptop": 2}
    assert answer["reused"]["by_category"] == {"laptop": 1}
    assert answer["parts"] == {"by_category": {"laptop": 1}, "harvested_parts": 1}
    assert [c["code"] for c in answer["certificates"]] == [world.certificates["theirs"]]
    assert answer["recycled"] == {} and answer["lost"] == 0


def test_the_period_applies_to_each_figure_by_its_own_date(
    client: TestClient, world: World
) -> None:
    last = today().year - 1
    report = impact(client, world, from_=f"{last}-01-01", to=f"{last}-12-31")
    assert report["received"] == {"laptop": 1}  # last year's batch, by its pickup date
    assert report["refurbished"] == {}  # recorded today
    assert report["reused"]["by_category"] == {"laptop": 1}  # handed over last July
    assert report["reused"]["by_public"] == {"youth": 1}
    assert report["parts"] == {"by_category": {}, "harvested_parts": 0}
    assert report["certificates"] == [] and report["lost"] == 0
    assert report["impact"]["indicators"][0]["estimated"] == 182  # 182.3
    summer = impact(client, world, from_=f"{last}-07-01", to=f"{last}-07-01")
    assert summer["received"] == {} and summer["reused"]["by_category"] == {"laptop": 1}
    default = impact(client, world)  # the current calendar year
    assert default["period"] == {"from": f"{last + 1}-01-01", "to": f"{last + 1}-12-31"}
    assert default["reused"] == impact(client, world, **this_year())["reused"]


def test_a_bad_period_or_donor_is_refused_with_what_to_change(
    client: TestClient, engine: Engine
) -> None:
    coordinator = staff(engine)
    donor, _batches = _donor(engine, "Initech", [today()])
    reversed_ = client.get(
        f"/api/v1/donors/{donor}/impact?from=2026-05-01&to=2026-04-30", headers=coordinator
    )
    assert reversed_.status_code == 422 and reversed_.json()["code"] == "period_reversed"
    assert "2026-04-30" in reversed_.json()["detail"]
    unread = client.get(f"/api/v1/donors/{donor}/impact?from=2026-13-01", headers=coordinator)
    assert unread.status_code == 422 and unread.json()["errors"][0]["field"] == "from"
    for query in ("from=0001-01-01", "to=9999-12-31"):  # no midnight to compute there
        far = client.get(f"/api/v1/donors/{donor}/impact?{query}", headers=coordinator)
        assert far.status_code == 422, query
    missing = client.get(f"/api/v1/donors/{donor + 99}/impact", headers=coordinator)
    assert missing.status_code == 404 and missing.json()["code"] == "donor_not_found"
    empty = client.get(f"/api/v1/donors/{donor}/impact", headers=coordinator).json()
    assert empty["received"] == {} and empty["impact"]["indicators"][0]["estimated"] == 0


@pytest.mark.parametrize("role", [Role.BENCH, Role.WORKSHOP, Role.STRUCTURE])
def test_only_coordinators_read_a_donors_report(
    client: TestClient, engine: Engine, role: Role
) -> None:
    donor, _batches = _donor(engine, "Hooli", [today()])
    structure = "La Passerelle" if role == Role.STRUCTURE else None
    headers = auth(make_token(engine, role=role, structure=structure))
    answer = client.get(f"/api/v1/donors/{donor}/impact", headers=headers)
    assert answer.status_code == 403
    assert client.get(f"/api/v1/donors/{donor}/impact").status_code == 401


def test_a_day_is_the_installations_day() -> None:
    from reporting.period import Period

    winter = Period(date(2026, 1, 1), date(2026, 1, 31))
    assert winter.bounds(ZONE) == ("2025-12-31T23:00:00.000000Z", "2026-01-31T23:00:00.000000Z")
    summer = Period(date(2026, 7, 14), date(2026, 7, 14))
    start, end = summer.bounds(ZONE)
    assert (start, end) == ("2026-07-13T22:00:00.000000Z", "2026-07-14T22:00:00.000000Z")
    assert datetime.fromisoformat(end[:-1]) - datetime.fromisoformat(start[:-1]) == timedelta(
        days=1
    )
