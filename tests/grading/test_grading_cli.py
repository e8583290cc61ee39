"""`remise grading rules`, `remise pricing grid` and `remise grade` on the local database,
on SQLite and PostgreSQL: documents shown as JSON and published as new versions (an
invalid file refused with its places, exit 1; a file that is not JSON, exit 2; a grid
over a legal cap, exit 1); a device previewed (nothing written), graded, overridden
with a reason and refused without one. The devices are taken through the bench with the
HTTP API on the same database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from db.clock import utcnow
from db.codes import display
from db.engine import transaction
from db.enums import Role
from grading import documents
from remise.cli import app
from tests.factories import auth, make_token
from tests.grading.helpers import refurbished
from tests.refurbish.test_runs_api import device
from tests.refurbish.walking import history

runner = CliRunner()
SHIPPED = Path(__file__).resolve().parents[2] / "grading"


@pytest.fixture(autouse=True)
def local(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)
    monkeypatch.setenv("REMISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REMISE_DEFAULT_LOCALE", "en")


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def shipped(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((SHIPPED / name).read_text(encoding="utf-8"))
    return found


def written(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def shown(*args: str) -> dict[str, Any]:
    answer = cli(*args)
    assert answer.exit_code == 0, answer.output
    found: dict[str, Any] = json.loads(answer.stdout)
    return found


def test_rules_are_shown_and_published_from_a_file(engine: Engine, tmp_path: Path) -> None:
    first = shown("grading", "rules", "show")
    assert first["version"] == 0
    file = shipped("default_rules.json")
    assert [r["id"] for r in first["document"]["rules"]] == [r["id"] for r in file["rules"]]
    changed = first["document"]
    [battery] = [r for r in changed["rules"] if r["id"] == "laptop_battery_a"]
    assert battery["when"]["value"] == 60
    battery["when"]["value"] = 65
    note = "seuil relevé après l'hiver"
    done = cli("grading", "rules", "set", written(tmp_path / "r.json", changed), "--note", note)
    assert done.exit_code == 0, done.output
    assert "rules version 1 published" in done.stdout
    now = shown("grading", "rules", "show")
    assert now["version"] == 1 and now["document"] == changed
    with transaction(engine, read_only=True) as session:
        [row] = documents.rules_versions(session)
        assert (row.version, row.note) == (1, note) and row.created_by.startswith("cli:")


def test_an_invalid_rules_file_is_refused_with_its_places(tmp_path: Path) -> None:
    document = shipped("default_rules.json")
    document["categories"]["laptop"]["zones"][0] = "lid"
    document["rules"][2]["effect"]["max_grade"] = "D"
    refused = cli("grading", "rules", "set", written(tmp_path / "bad.json", document))
    assert refused.exit_code == 1, refused.output
    assert "nothing changed" in refused.stderr and "(problems: 2)" in refused.stderr
    assert "  - categories.laptop.zones[0]: " in refused.stderr
    assert "  - rules[2].effect.max_grade: " in refused.stderr
    not_json = tmp_path / "notes.txt"
    not_json.write_text("laptop_battery_a: 65\n", encoding="utf-8")
    garbled = cli("grading", "rules", "set", str(not_json))
    assert garbled.exit_code == 2 and "not a JSON document" in garbled.stderr
    missing = cli("grading", "rules", "set", str(tmp_path / "absent.json"))
    assert missing.exit_code == 2 and "not a JSON document" in missing.stderr
    assert shown("grading", "rules", "show")["version"] == 0


def test_the_grid_is_shown_and_published_within_the_caps(tmp_path: Path) -> None:
    first = shown("pricing", "grid", "show")
    assert first["version"] == 0
    assert first["document"]["prices"] == shipped("default_grid.json")["prices"]
    today = utcnow().date().isoformat()
    dear = shipped("default_grid.json") | {"effective_from": today}
    dear["prices"]["laptop"]["A"] = 16000
    refused = cli("pricing", "grid", "set", written(tmp_path / "dear.json", dear))
    assert refused.exit_code == 1, refused.output
    assert all(w in refused.stderr for w in ("Laptop", "€190.00", "€180.00"))
    assert shown("pricing", "grid", "show")["version"] == 0

    cheaper = shipped("default_grid.json") | {"effective_from": today}
    cheaper["prices"]["laptop"]["B"] = 9500
    done = cli("pricing", "grid", "set", written(tmp_path / "g.json", cheaper), "--note", "hiver")
    assert done.exit_code == 0, done.output
    assert f"price grid version 1 published, in force from {today}" in done.stdout
    now = shown("pricing", "grid", "show")
    assert now["version"] == 1 and now["document"]["prices"]["laptop"]["B"] == 9500


def test_a_grid_set_with_a_negation_can_be_shown(tmp_path: Path) -> None:
    grid = shipped("default_grid.json") | {"effective_from": utcnow().date().isoformat()}
    grid["tiers"].append(
        {
            "id": "no_hard_disk",
            "categories": ["laptop"],
            "when": {"not": {"fact": "has_hdd", "op": "==", "value": True}},
            "add_cents": 500,
            "label": {"fr": "sans disque dur", "en": "no hard disk"},
        }
    )
    done = cli("pricing", "grid", "set", written(tmp_path / "g.json", grid))
    assert done.exit_code == 0, done.output
    now = cli("pricing", "grid", "show")
    assert now.exit_code == 0, (now.output, now.exception)
    assert json.loads(now.stdout)["document"]["tiers"][-1]["id"] == "no_hard_disk"


def test_a_preview_prints_the_grade_and_its_reasons_and_writes_nothing(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench, values={"battery_health": 55})
    before = history(engine, code)
    answer = cli("grade", display(code), "--preview", "--keyboard", "A")
    assert answer.exit_code == 0, answer.output
    head, *lines = answer.stdout.splitlines()
    assert head == f"{display(code)}: B, linux, €130.00 (preview)"  # B: 100 € + 20 € + 10 €
    assert "  - battery 55 % < 60 %: not grade A" in lines
    assert any(line.startswith("  - does not meet Windows 11") for line in lines)
    assert history(engine, code) == before
    assert (device(engine, code).status, device(engine, code).grade) == ("refurbished", None)


def test_a_grade_set_by_hand_needs_a_reason(
    client: TestClient, engine: Engine, bench: dict[str, str]
) -> None:
    code = refurbished(client, engine, bench)
    refused = cli("grade", code, "--keyboard", "A", "--override", "C")
    assert refused.exit_code == 1, refused.output
    assert "needs a written reason" in refused.stderr
    assert device(engine, code).status == "refurbished"
    same = cli("grade", code, "--keyboard", "A", "--override", "A", "--reason", "rien")
    assert same.exit_code == 1 and "nothing to override" in same.stderr

    reason = "Charnière gauche un peu molle"
    done = cli("grade", code, "--keyboard", "A", "--override", "C", "--reason", reason)
    assert done.exit_code == 0, done.output
    head, *lines = done.stdout.splitlines()
    assert head == f"{display(code)}: C (rules: A), linux, €100.00 → available"
    assert f"  - grade set by hand, A → C: {reason}" in lines
    stored = device(engine, code)
    assert (stored.status, stored.grade, stored.price_cents) == ("available", "C", 10000)
    [graded] = [p for t, p in history(engine, code) if t == "device.graded"]
    assert graded["override"] == {"grade": "C", "reason": reason}
    assert graded["computed_grade"] == "A"
