"""`remise run …` on each backend: a workshop's script walks devices through the bench."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from db import ledger, media
from db.engine import transaction
from db.enums import Category, Status
from db.models import Device, LedgerEvent
from refurbish import checklists
from refurbish.models import RefurbishmentRun
from remise.cli import app
from tests.factories import make_device
from tests.refurbish.walking import passing_value

runner = CliRunner()


@pytest.fixture(autouse=True)
def configured(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)


def labelled(engine: Engine, category: Category = Category.LAPTOP) -> str:
    with transaction(engine) as session:
        return make_device(session, status=Status.LABELLED, category=category).code


def status(engine: Engine, code: str) -> str:
    with transaction(engine, read_only=True) as session:
        return session.exec(select(Device.status).where(Device.code == code)).one()


def open_run(engine: Engine, code: str) -> int:
    with transaction(engine, read_only=True) as session:
        found = session.exec(select(RefurbishmentRun).join(Device).where(Device.code == code)).one()
        return found.id or 0


def typed(step: dict[str, Any]) -> str | None:
    value = passing_value(step)
    if value is None:
        return None
    return (
        {True: "oui", False: "non"}.get(value, str(value))
        if isinstance(value, bool)
        else str(value)
    )


def test_a_script_takes_a_smartphone_to_refurbished(engine: Engine) -> None:
    code = labelled(engine, Category.SMARTPHONE)
    started = runner.invoke(app, ["run", "start", code], env={"COLUMNS": "200"})
    assert started.exit_code == 0, started.output
    run_id = open_run(engine, code)
    assert f"run {run_id}" in started.stdout and "factory_reset" in started.stdout
    early = runner.invoke(app, ["run", "finish", str(run_id), "refurbished"])
    assert early.exit_code == 1 and "Reste à faire" in early.stderr
    assert "factory_reset" in early.stderr
    for step in checklists.default_template(Category.SMARTPHONE).steps:
        value = typed(step.model_dump(mode="json"))
        if value is None:
            continue
        result = runner.invoke(app, ["run", "step", str(run_id), step.key, value])
        assert result.exit_code == 0, (step.key, result.output)
    low = runner.invoke(app, ["run", "step", str(run_id), "battery_health", "101"])
    assert low.exit_code == 0 and "failed" in low.stdout
    blocked = runner.invoke(app, ["run", "finish", str(run_id), "refurbished"])
    assert (
        blocked.exit_code == 1 and "Santé de la batterie (101 %, hors de 0–100)" in blocked.stderr
    )
    part = runner.invoke(
        app, ["run", "part", str(run_id), "battery", "Batterie neuve", "--removed", "71 %"]
    )
    assert part.exit_code == 0
    runner.invoke(app, ["run", "step", str(run_id), "battery_health", "100"])
    unerased = runner.invoke(app, ["run", "finish", str(run_id), "refurbished"])
    assert unerased.exit_code == 1 and "aucun effacement" in unerased.stderr
    listed = runner.invoke(app, ["erasure", "list", code], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "internal" in listed.stdout
    with transaction(engine, read_only=True) as session:
        device_id = session.exec(select(Device.id).where(Device.code == code)).one()
        [medium] = media.media_of(session, device_id or 0)
    reset = ["erasure", "record", code, "--medium", str(medium.id), "--level", "purge"]
    reset += ["--method", "factory_reset", "--verification", "sampled", "--passed"]
    recorded = runner.invoke(app, [*reset, "--tool", "Android 13"])
    assert recorded.exit_code == 0 and "✔" in recorded.stdout, recorded.output
    done = runner.invoke(app, ["run", "finish", str(run_id), "refurbished"])
    assert done.exit_code == 0 and status(engine, code) == Status.REFURBISHED
    shown = runner.invoke(app, ["run", "show", str(run_id)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "refurbished" in shown.stdout
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok
        device_id = session.exec(select(Device.id).where(Device.code == code)).one()
        types = [e.type for e in ledger.history(session, device_id or 0)]
    assert types[-2:] == ["device.erasure_recorded", "device.refurbished"]
    assert "device.part_replaced" in types


def test_parts_and_recycled_from_the_command_line(engine: Engine) -> None:
    first, second = labelled(engine), labelled(engine, Category.BASIC_PHONE)
    runner.invoke(app, ["run", "start", first])
    runner.invoke(app, ["run", "start", second])
    parts = runner.invoke(
        app,
        [
            "run",
            "finish",
            str(open_run(engine, first)),
            "parts",
            "--part",
            "ram:8 Go DDR4",
            "--part",
            "screen:Dalle 14 pouces",
        ],
    )
    assert parts.exit_code == 0 and status(engine, first) == Status.PARTS
    no_collector = runner.invoke(app, ["run", "finish", str(open_run(engine, second)), "recycled"])
    assert no_collector.exit_code == 1 and "DEEE" in no_collector.stderr
    recycled = runner.invoke(
        app, ["run", "finish", str(open_run(engine, second)), "recycled", "--collector", "Ecologic"]
    )
    assert recycled.exit_code == 0 and status(engine, second) == Status.RECYCLED
    with transaction(engine, read_only=True) as session:
        event = session.exec(
            select(LedgerEvent).where(LedgerEvent.type == "device.dismantled")
        ).one()
    assert [p["kind"] for p in orjson.loads(event.payload)["parts"]] == ["ram", "screen"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["step", "999", "cleaning", "oui"], "Aucun reconditionnement n° 999"),
        (["start", "AAAA-AAAB"], "n'est pas un code d'appareil valide"),
        (["finish", "999", "refurbished"], "Aucun reconditionnement n° 999"),
    ],
)
def test_refusals_exit_1_with_the_reason(args: list[str], says: str) -> None:
    result = runner.invoke(app, ["run", *args])
    assert result.exit_code == 1 and says in result.stderr


def test_a_typed_value_that_is_not_yes_or_no_is_refused(engine: Engine) -> None:
    code = labelled(engine)
    runner.invoke(app, ["run", "start", code])
    result = runner.invoke(app, ["run", "step", str(open_run(engine, code)), "wifi", "bof"])
    assert result.exit_code == 1 and "oui (true) ou non (false)" in result.stderr
