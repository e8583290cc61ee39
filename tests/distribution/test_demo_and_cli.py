"""`remise demo` shows distribution at work, `remise demo --devices N --stage available`
fills the catalogue in bulk, and `remise structure …` manages structures."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import select
from typer.testing import CliRunner

from db.engine import transaction
from db.models import CatalogItem, Structure
from distribution.models import Claim, WaitlistEntry
from remise.app import create_app
from remise.cli import app
from remise.settings import Settings
from tests.factories import auth, make_token

runner = CliRunner()


@pytest.fixture(autouse=True)
def configured(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)
    monkeypatch.setenv("REMISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REMISE_SCHEDULER_ENABLED", "false")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_demo_has_structures_a_held_claim_a_waitlist_and_a_receipt(engine: Engine) -> None:
    assert run("demo")[0] == 0
    with transaction(engine, read_only=True) as session:
        statuses = {s.name: s.status for s in session.exec(select(Structure))}
        claims = {c.state: c for c in session.exec(select(Claim))}
        waiting = session.exec(select(WaitlistEntry)).all()
    assert sorted(statuses.values()) == ["active", "active", "pending", "suspended"]
    assert set(claims) == {"reserved", "handed_over"}
    assert claims["handed_over"].collector == "Karim Benali"
    assert [w.state for w in waiting] == ["waiting"]
    token = make_token(engine)
    with TestClient(create_app(Settings(scheduler_enabled=False))) as client:
        receipt = client.get(
            f"/api/v1/claims/{claims['handed_over'].id}/receipt.pdf", headers=auth(token)
        )
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert run("ledger", "verify")[0] == 0


def test_bulk_available_devices_fill_the_catalogue_with_specs_and_replay(engine: Engine) -> None:
    assert run("demo")[0] == 0
    code, out, _ = run("demo", "--devices", "300", "--stage", "available")
    assert code == 0 and "300 extra devices added." in out
    with transaction(engine, read_only=True) as session:
        count = session.exec(select(func.count()).select_from(CatalogItem)).one()
        with_specs = session.exec(
            select(func.count()).select_from(CatalogItem).where(CatalogItem.ram_gb.is_not(None))  # type: ignore[union-attr]
        ).one()
    assert count >= 300 and with_specs >= 300
    code, out, _ = run("ledger", "replay")
    assert code == 0 and "agree" in out


def test_bulk_devices_do_not_go_where_a_claim_is_needed() -> None:
    assert run("demo")[0] == 0
    code, _out, err = run("demo", "--devices", "5", "--stage", "reserved")
    assert code == 1 and "available" in err


def test_structure_commands_approve_suspend_and_set_quotas(engine: Engine) -> None:
    assert (
        run(
            "user", "create", "--role", "structure", "--name", "amina", "--structure", "Les Pousses"
        )[0]
        == 0
    )
    with transaction(engine, read_only=True) as session:
        structure = session.exec(select(Structure)).one()
    assert structure.status == "pending"  # a new name signs up, it is not approved
    code, out, _ = run("structure", "list", "--status", "pending")
    assert code == 0 and "Les Pousses" in out
    assert run("structure", "quota", str(structure.id), "laptop=4", "smartphone=6")[0] == 0
    assert "active" in run("structure", "approve", str(structure.id))[1]
    assert "suspended" in run("structure", "suspend", str(structure.id))[1]
    with transaction(engine, read_only=True) as session:
        found = session.get(Structure, structure.id)
        assert found is not None
    assert found.status == "suspended" and found.quotas == {"laptop": 4, "smartphone": 6}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["quota", "1", "laptops=4"], "CATEGORY=N"),
        (["quota", "1", "laptop=-1"], "0 or more"),
        (["quota", "1", "laptop"], "CATEGORY=N"),
        (["approve", "999"], "999"),
    ],
)
def test_structure_commands_refuse_with_the_reason(args: list[str], said: str) -> None:
    code, _out, err = run("structure", *args)
    assert code != 0 and said in err
