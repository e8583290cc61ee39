"""Grading through the real HTTP API, on SQLite and PostgreSQL: a refurbished device is
graded from its checklist, its probe and the zones judged, with its reasons; it becomes
available at its price once its data is erased; overrides need a reason; a phone with a
worn battery gets no grade; previews write nothing; re-grading keeps the history."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.enums import Category, Role
from remise.scheduler import make_graded_available
from tests.factories import auth, make_token
from tests.grading.helpers import LAPTOP_PROBE, grade, refurbished
from tests.refurbish.test_runs_api import device
from tests.refurbish.walking import history

FR = {"Accept-Language": "fr"}


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.COORDINATOR))


def test_a_laptop_is_graded_and_made_available_at_its_price(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench, values={"casing": "worn"})
    answer = grade(client, bench | FR, code, {"cosmetic": {"keyboard": "A"}, "tpm2": True})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["outcome"], body["grade"], body["os"]) == ("graded", "B", "windows")
    assert body["zones"] == {"screen": "A", "casing": "B", "keyboard": "A"}
    assert body["status"] == "available" and body["waiting_for"] == []
    assert body["price"]["cents"] == 10000 + 2000 + 1000  # B, 8 GB of RAM, an SSD of 256 GB
    assert any("Windows 11" in r["text"] for r in body["reasons"])
    assert body["definitions"]["B"]["casing"].startswith("Légères rayures")
    stored = device(engine, code)
    assert (stored.status, stored.grade, stored.price_cents) == ("available", "B", 13000)
    types = [t for t, _ in history(engine, code)]
    assert types[-2:] == ["device.graded", "device.made_available"]
    [graded] = [p for t, p in history(engine, code) if t == "device.graded"]
    assert graded["changes"]["grade"] == [None, "B"] and graded["os"] == "windows"


def test_a_preview_writes_nothing(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench)
    before = history(engine, code)
    answer = grade(client, bench, code, {"cosmetic": {"keyboard": "C"}}, preview=True)
    assert answer.status_code == 200, answer.text
    assert answer.json()["preview"] and answer.json()["grade"] == "C"
    assert answer.json()["os"] == "linux"  # no TPM said: Windows 11 is not claimed
    assert history(engine, code) == before and device(engine, code).status == "refurbished"


def test_a_zone_nobody_judged_is_asked_for(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench)
    answer = grade(client, bench | FR, code)
    assert answer.status_code == 422 and answer.json()["code"] == "zones_not_judged"
    assert "clavier" in answer.json()["detail"] and answer.json()["missing"] == ["keyboard"]


def test_a_phone_with_a_worn_battery_gets_no_grade_and_says_why(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    at_80 = refurbished(client, engine, bench, Category.SMARTPHONE, values={"battery_health": 80})
    ok = grade(client, bench, at_80, {"cosmetic": {"buttons": "A"}}, preview=True).json()
    assert ok["outcome"] == "graded" and ok["grade"] == "A"  # exactly 80 %: graded
    worn = refurbished(client, engine, bench, Category.SMARTPHONE, values={"battery_health": 74})
    answer = grade(client, bench | FR, worn, {"cosmetic": {"buttons": "A"}})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["outcome"], body["grade"], body["price"]) == ("no_grade", None, None)
    [reason] = [r for r in body["reasons"] if r["rule"] == "phone_battery_80"]
    assert reason["text"] == "batterie 74 % < 80 % : pas de grade avant remplacement"
    assert reason["measured"] == [
        {"fact": "battery_percent", "value": 74.0, "op": "<", "threshold": 80}
    ]
    assert device(engine, worn).status == "refurbished"
    refused = [p for t, p in history(engine, worn) if t == "device.grade_refused"]
    assert refused and refused[0]["reasons"][0]["measured"][0]["value"] == "74"
    override = {"cosmetic": {"buttons": "A"}, "override": {"grade": "C", "reason": "urgence"}}
    assert grade(client, bench, worn, override).json()["code"] == "override_without_grade"


def test_an_override_needs_a_reason_and_is_listed(
    client: TestClient, engine: Engine, bench: dict[str, str], coordinator: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench)
    body = {"cosmetic": {"keyboard": "A"}, "override": {"grade": "C", "reason": "  "}}
    refused = grade(client, bench, code, body)
    assert refused.status_code == 422 and refused.json()["code"] == "override_needs_reason"
    same = grade(client, bench, code, body | {"override": {"grade": "A", "reason": "x"}})
    assert same.json()["code"] == "override_same_grade"
    reason = "Charnière gauche un peu molle"
    done = grade(client, bench, code, body | {"override": {"grade": "C", "reason": reason}})
    assert done.status_code == 200, done.text
    assert (done.json()["grade"], done.json()["computed_grade"]) == ("C", "A")
    listed = client.get("/api/v1/grading/overrides", headers=coordinator).json()
    assert [(o["device"], o["grade"], o["reason"]) for o in listed] == [
        (done.json()["device"], "C", reason)
    ]
    assert client.get("/api/v1/grading/overrides", headers=bench).status_code == 403


def test_regrading_keeps_the_earlier_grade_in_the_history(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench)
    first = grade(client, bench, code, {"cosmetic": {"keyboard": "A"}, "tpm2": True}).json()
    assert first["status"] == "available" and first["grade"] == "A"
    again = grade(client, bench, code, {"cosmetic": {"keyboard": "C"}, "tpm2": True}).json()
    assert again["status"] == "available" and again["grade"] == "C"
    assert device(engine, code).price_cents == 7000 + 2000 + 1000
    graded = [p["changes"]["grade"] for t, p in history(engine, code) if t == "device.graded"]
    assert graded == [[None, "A"], ["A", "C"]]


def test_a_graded_device_waits_for_its_erasure(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench)
    medium = client.get(f"/api/v1/devices/{code}/media", headers=bench).json()[0]
    failed = {"medium_id": medium["id"], "level": "clear", "method": "overwrite",
              "verification": {"method": "full", "passed": False}}  # fmt: skip
    assert (
        client.post(f"/api/v1/devices/{code}/erasures", headers=bench, json=failed).status_code
        == 201
    )
    answer = grade(client, bench | FR, code, {"cosmetic": {"keyboard": "A"}}).json()
    assert answer["status"] == "graded" and answer["waiting_for"]
    assert device(engine, code).price_cents is None
    assert make_graded_available(engine) == []  # still waiting: nothing moves
    again = failed | {"verification": {"method": "full", "passed": True}}
    assert (
        client.post(f"/api/v1/devices/{code}/erasures", headers=bench, json=again).status_code
        == 201
    )
    [made] = make_graded_available(engine)
    stored = device(engine, code)
    assert (stored.id, stored.status, stored.price_cents) == (made, "available", 12000 + 3000)
    assert make_graded_available(engine) == []  # the cursor moved: done once


def test_a_device_not_refurbished_is_not_graded(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    from tests.refurbish.test_runs_api import labelled

    code = labelled(engine)
    answer = grade(client, bench, code, {"cosmetic": {"keyboard": "A"}})
    assert answer.status_code == 409 and answer.json()["code"] == "not_gradable"


def test_a_computer_under_the_minimum_is_not_sold(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    small = LAPTOP_PROBE | {"memory": {"total_bytes": 2 * 2**30}}
    code = refurbished(client, engine, bench, snapshot=small)
    answer = grade(client, bench | FR, code, {"cosmetic": {"keyboard": "A"}}).json()
    assert answer["outcome"] == "not_sold" and answer["grade"] is None
    assert any(r["text"].startswith("RAM 2 Go < 4 Go") for r in answer["reasons"])
    types = [t for t, _ in history(engine, code)]
    assert types[-1] == "device.grade_refused" and device(engine, code).status == "refurbished"


def test_a_zone_the_category_does_not_have_is_refused(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench)
    body = {"cosmetic": {"keyboard": "A", "buttons": "B"}}
    answer = grade(client, bench | FR, code, body)
    assert answer.status_code == 422 and answer.json()["code"] == "zone_not_of_category"
    assert answer.json()["errors"][0]["field"] == "cosmetic.buttons"
    assert "boutons" in answer.json()["detail"] and "clavier" in answer.json()["detail"]


def test_the_label_says_what_the_grade_means(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    """A bare « Grade B » tells a buyer nothing (DGCCRF): the label adds its meaning in a
    few words and the short reasons, from what grading left on the device."""
    code = refurbished(client, engine, bench, values={"casing": "worn"})
    grade(client, bench, code, {"cosmetic": {"keyboard": "A"}})
    url = f"/api/v1/devices/{code}/label.zpl?preview=true&format=thermal-62mm"
    label = client.get(url, headers=bench)
    assert label.status_code == 200, label.text
    assert "Grade B" in label.text and "Linux maintenu" in label.text
    assert "visible de pr" in label.text  # « légère usure, visible de près »
    assert device(engine, code).attributes["grading"]["en"]["words"].startswith("light wear")


def test_an_available_device_whose_check_fails_is_withdrawn_until_erased_again(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    """R2v3: another person reads a sampled erasure back and finds data. The device was
    available: no structure may claim it until its medium is erased again."""
    code = refurbished(client, engine, bench)
    assert grade(client, bench, code, {"cosmetic": {"keyboard": "A"}}).json()["status"] == (
        "available"
    )
    [medium] = client.get(f"/api/v1/devices/{code}/erasures", headers=bench).json()
    erasure = medium["erasures"][0]["id"]
    karim = auth(make_token(engine, role=Role.BENCH))
    failed = {"verification": {"method": "sampled", "passed": False}, "tool": "remise verify-wipe"}
    checked = client.post(f"/api/v1/erasures/{erasure}/reverify", headers=karim, json=failed)
    assert checked.status_code == 201, checked.text
    assert make_graded_available(engine) == []
    stored = device(engine, code)
    assert (stored.status, stored.grade, stored.price_cents) == ("graded", "A", None)
    again = {"medium_id": medium["medium"]["id"], "level": "clear", "method": "overwrite",
             "verification": {"method": "full", "passed": True}}  # fmt: skip
    assert client.post(f"/api/v1/devices/{code}/erasures", headers=bench, json=again).is_success
    assert make_graded_available(engine) == [stored.id]
    assert device(engine, code).status == "available"


def test_why_a_grade_cannot_be_overridden_is_said_in_the_readers_language(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    worn = refurbished(client, engine, bench, Category.SMARTPHONE, values={"battery_health": 74})
    body = {"cosmetic": {"buttons": "A"}, "override": {"grade": "C", "reason": "urgence"}}
    english = grade(client, bench | {"Accept-Language": "en"}, worn, body).json()["detail"]
    assert "battery 74 % < 80 %" in english and "batterie" not in english
    french = grade(client, bench | FR, worn, body).json()["detail"]
    assert "batterie 74 % < 80 %" in french
