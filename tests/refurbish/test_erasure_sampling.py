"""R2v3's independent verification, through the scheduled draw and the HTTP API, on SQLite
and PostgreSQL: each week at least 5 % of the erasures that passed are queued, the draw
is reproducible from the seed the ledger keeps, another operator checks them again, and
a failed check blocks the device again and shows on its certificate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import col, select
from typer.testing import CliRunner

from db.clock import utcnow
from db.engine import transaction
from db.enums import Category, Role
from db.media import ErasureRecord
from db.models import LedgerEvent
from refurbish.erasure import certificate_pdf, sampling
from remise.accounts import create_user
from remise.cli import app
from remise.scheduler import draw_erasure_sample
from remise.settings import Settings
from tests.factories import ACTOR, auth
from tests.refurbish.test_runs_api import finish, labelled, start
from tests.refurbish.walking import fill

NEXT_WEEK = utcnow().date() + timedelta(days=7)  # the draw takes the week before its day


def person(engine: Engine, username: str, name: str, role: Role = Role.BENCH) -> dict[str, str]:
    with transaction(engine) as session:
        _user, token = create_user(session, ACTOR, username=username, role=role, display_name=name)
    return auth(token)


@pytest.fixture
def lucie(engine: Engine) -> dict[str, str]:
    return person(engine, "lucie", "Lucie Martin")


@pytest.fixture
def karim(engine: Engine) -> dict[str, str]:
    return person(engine, "karim", "Karim Benali")


def erased_disks(
    client: TestClient, engine: Engine, headers: dict[str, str], count: int
) -> list[tuple[str, int]]:
    """`count` desktops, each with one disk erased (zero fill, read back) by `headers`."""
    done = []
    for number in range(count):
        code = labelled(engine, Category.DESKTOP)
        body = {
            "medium": {"type": "hdd", "model": "WDC WD5000AAKX", "serial": f"WCC2E{number:07d}"},
            "level": "clear",
            "method": "overwrite",
            "pattern": "zero",
            "passes": 1,
            "tool": "nwipe",
            "verification": {"method": "full", "passed": True},
        }
        answer = client.post(f"/api/v1/devices/{code}/erasures", headers=headers, json=body)
        assert answer.status_code == 201, answer.text
        done.append((code, answer.json()["id"]))
    return done


def test_the_weekly_draw_takes_five_percent_reproducibly(
    client: TestClient, engine: Engine, settings: Settings, lucie: dict[str, str]
) -> None:
    erased = erased_disks(client, engine, lucie, 41)
    drawn = draw_erasure_sample(engine, settings, today=NEXT_WEEK)
    assert not drawn.already and len(drawn.population) == 41
    assert len(drawn.drawn) == 3  # 5 % of 41, rounded up
    assert set(drawn.drawn) <= {erasure for _, erasure in erased}
    with transaction(engine, read_only=True) as session:
        [event] = session.exec(
            select(LedgerEvent).where(LedgerEvent.type == "erasure.sample_drawn")
        ).all()
    kept = orjson.loads(event.payload)
    assert kept["week"] == drawn.week and kept["percent"] == 5
    assert sampling.drawn_from(kept["seed"], kept["population"], 5) == kept["drawn"]
    again = draw_erasure_sample(engine, settings, today=NEXT_WEEK)
    assert again.already and again.drawn == drawn.drawn
    queue = client.get("/api/v1/erasures/sampling", headers=lucie).json()
    assert [item["erasure_id"] for item in queue["items"]] == drawn.drawn
    assert {item["erased_by"] for item in queue["items"]} == {"Lucie Martin"}
    assert queue["percent"] == 5


def test_a_small_week_still_gets_one_check_and_leaves_out_what_did_not_pass(
    client: TestClient, engine: Engine, settings: Settings, lucie: dict[str, str]
) -> None:
    [(code, _)] = erased_disks(client, engine, lucie, 1)
    medium = client.get(f"/api/v1/devices/{code}/media", headers=lucie).json()[0]["id"]
    failed = {
        "medium_id": medium,
        "level": "clear",
        "method": "overwrite",
        "verification": {"method": "full", "passed": False},
    }
    client.post(f"/api/v1/devices/{code}/erasures", headers=lucie, json=failed)
    other, _ = erased_disks(client, engine, lucie, 1)[0]
    other_medium = client.get(f"/api/v1/devices/{other}/media", headers=lucie).json()[0]["id"]
    shred = {
        "medium_id": other_medium,
        "level": "destroy",
        "method": "shred",
        "verification": {"method": "none"},
    }
    client.post(f"/api/v1/devices/{other}/erasures", headers=lucie, json=shred)
    drawn = draw_erasure_sample(engine, settings, today=NEXT_WEEK)
    assert len(drawn.population) == 2 and len(drawn.drawn) == 1


def test_another_operator_checks_again_and_a_failure_blocks_the_device(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    lucie: dict[str, str],
    karim: dict[str, str],
) -> None:
    code = labelled(engine, Category.DESKTOP)
    run = start(client, lucie, code)
    fill(client, lucie, run["id"])
    disk = {"medium": {"type": "ssd", "serial": "S3Z1NB0K123456A"}, "level": "clear"}
    disk |= {"method": "overwrite", "pattern": "zero", "verification": {"method": "full"}}
    disk["verification"]["passed"] = True
    erasure = client.post(f"/api/v1/devices/{code}/erasures", headers=lucie, json=disk).json()
    draw_erasure_sample(engine, settings, today=NEXT_WEEK)
    check = {"verification": {"method": "sampled", "passed": False}, "tool": "remise verify-wipe"}
    mine = client.post(f"/api/v1/erasures/{erasure['id']}/reverify", headers=lucie, json=check)
    assert mine.status_code == 409 and "Lucie Martin" in mine.json()["detail"]
    assert mine.json()["code"] == "reverify_by_another_operator"
    unread = {"verification": {"method": "none"}}
    refused = client.post(f"/api/v1/erasures/{erasure['id']}/reverify", headers=karim, json=unread)
    assert refused.status_code == 422
    checked = client.post(f"/api/v1/erasures/{erasure['id']}/reverify", headers=karim, json=check)
    assert checked.status_code == 201, checked.text
    assert checked.json()["reverifies_id"] == erasure["id"] and not checked.json()["passed"]

    [medium] = client.get(f"/api/v1/devices/{code}/media", headers=lucie).json()
    assert medium["state"] == "failed"
    blocked = finish(client, lucie, run["id"], outcome="refurbished")
    assert blocked.status_code == 409 and "S3Z1NB0K123456A" in blocked.json()["detail"]
    failures = client.get("/api/v1/erasures/sampling?state=failed", headers=lucie).json()
    [item] = failures["items"]
    assert item["checked_by"] == "Karim Benali" and item["reverify_id"] == checked.json()["id"]
    assert client.get("/api/v1/erasures/sampling", headers=lucie).json()["items"] == []

    coordinator = person(engine, "claire", "Claire Dubois", Role.COORDINATOR)
    code_only = client.get(f"/api/v1/devices/{code}/certificate.pdf", headers=coordinator)
    assert code_only.status_code == 200
    content = certificate_pdf.embedded_envelope(code_only.content)["content"]
    [listed] = content["devices"][0]["media"]
    assert listed["status"] == "failed" and listed["erasure_id"] == erasure["id"]
    assert listed["validation"]["by"] == "Karim Benali" and not listed["validation"]["passed"]
    public = client.get(f"/api/v1/certificates/{content['certificate']}").json()
    assert public["valid"] and "Karim" not in str(public)


def test_an_unknown_erasure_cannot_be_checked(client: TestClient, karim: dict[str, str]) -> None:
    check = {"verification": {"method": "full", "passed": True}}
    answer = client.post("/api/v1/erasures/999999/reverify", headers=karim, json=check)
    assert answer.status_code == 404 and answer.json()["code"] == "erasure_not_found"


def recorded_last_week(engine: Engine, erasures: list[int]) -> None:
    """The erasures as if recorded eight days ago: the week before this one."""
    earlier = (utcnow() - timedelta(days=7)).isoformat(timespec="seconds")
    with transaction(engine) as session:
        for record in session.exec(
            select(ErasureRecord).where(col(ErasureRecord.id).in_(erasures))
        ).all():
            record.recorded_at = earlier
            session.add(record)


def draw_events(engine: Engine) -> list[dict[str, object]]:
    with transaction(engine, read_only=True) as session:
        rows = session.exec(
            select(LedgerEvent).where(LedgerEvent.type == "erasure.sample_drawn")
        ).all()
    return [orjson.loads(row.payload) for row in rows]


def test_a_coordinator_draws_last_weeks_sample_through_the_api_once(
    client: TestClient, engine: Engine, lucie: dict[str, str]
) -> None:
    erased = erased_disks(client, engine, lucie, 3)
    recorded_last_week(engine, [erasure for _, erasure in erased])
    coordinator = person(engine, "sophie", "Sophie Leroy", Role.COORDINATOR)
    refused = client.post("/api/v1/erasures/sampling/draw", headers=lucie)
    assert refused.status_code == 403  # a volunteer checks the sample, does not draw it
    drawn = client.post("/api/v1/erasures/sampling/draw", headers=coordinator)
    assert drawn.status_code == 200, drawn.text
    body = drawn.json()
    assert body["population"] == sorted(e for _, e in erased) and len(body["drawn"]) == 1
    assert not body["already"] and body["seed"] is not None
    again = client.post("/api/v1/erasures/sampling/draw", headers=coordinator).json()
    assert again["already"] and again["drawn"] == body["drawn"] and again["seed"] is None
    assert len(draw_events(engine)) == 1
    queued = client.get("/api/v1/erasures/sampling", headers=lucie).json()["items"]
    assert [item["erasure_id"] for item in queued] == body["drawn"]


def test_a_week_with_nothing_to_draw_is_drawn_once_too(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    first = draw_erasure_sample(engine, settings, today=NEXT_WEEK)
    again = draw_erasure_sample(engine, settings, today=NEXT_WEEK)
    assert (first.population, first.drawn, first.already) == ([], [], False)
    assert again.already and again.drawn == []
    assert len(draw_events(engine)) == 1


@pytest.mark.parametrize(
    ("week", "code"),
    [
        (sampling.week_of(utcnow().date()), "week_not_over"),
        (sampling.week_of(NEXT_WEEK), "week_not_over"),
        ("2026-W60", "not_a_week"),
        ("2021-W53", "not_a_week"),  # 2021 has 52 ISO weeks
        ("semaine", "not_a_week"),
    ],
)
def test_a_week_not_over_or_not_a_week_is_refused(
    client: TestClient, engine: Engine, week: str, code: str
) -> None:
    coordinator = person(engine, "sophie", "Sophie Leroy", Role.COORDINATOR)
    answer = client.post(f"/api/v1/erasures/sampling/draw?week={week}", headers=coordinator)
    assert answer.status_code == 422 and answer.json()["code"] == code, answer.text
    assert week in answer.json()["detail"]
    assert draw_events(engine) == []


def test_the_cli_draws_a_past_week(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)
    monkeypatch.setenv("REMISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REMISE_DEFAULT_LOCALE", "en")
    week = sampling.week_of(utcnow().date() - timedelta(days=14))
    done = CliRunner().invoke(app, ["erasure", "sample", "--week", week])
    assert done.exit_code == 0, done.output
    assert f"week {week}: 0 of 0 erasures drawn" in done.output
    again = CliRunner().invoke(app, ["erasure", "sample", "--week", week])
    assert "(drawn before)" in again.output
    future = CliRunner().invoke(app, ["erasure", "sample", "--week", "2099-W01"])
    assert future.exit_code == 1 and "is not over yet" in future.output
