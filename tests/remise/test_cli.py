"""The `remise` command line against each backend, as a coordinator or a script uses it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import select
from typer.testing import CliRunner

from db import ledger
from db.engine import transaction
from db.errors import Unauthorized
from db.models import LedgerEvent
from remise import accounts, migrate
from remise.app import create_app
from remise.cli import app
from remise.settings import Settings
from tests.factories import auth

runner = CliRunner()


@pytest.fixture(autouse=True)
def configured(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)
    monkeypatch.setenv("REMISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REMISE_SCHEDULER_ENABLED", "false")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_db_upgrade_is_safe_to_run_again() -> None:
    head = migrate.head_revision()
    code, out, _ = run("db", "upgrade")
    assert code == 0 and f"revision {head}" in out
    assert run("db", "current")[1].startswith(f"current: {head}  needed: {head}")


def test_demo_seeds_once_and_extra_devices_up_to_n() -> None:
    code, out, _ = run("demo")
    assert code == 0 and "coordinatrice" in out and "rms_" in out
    issued = re.search(r"Certificate of sanitization of the demo batch: (\S+)", out)
    assert issued, out
    with TestClient(create_app(Settings(scheduler_enabled=False))) as client:
        checked = client.get(f"/api/v1/certificates/{issued.group(1)}").json()
    assert checked["valid"] and checked["pending"]  # the devices still at the bench wait
    refurbished = [m for d in checked["devices"] for m in d["media"] if m["status"] == "passed"]
    assert refurbished
    code, out, _ = run("demo")
    assert code == 0 and "already present" in out
    assert run("demo", "--devices", "40")[1].rstrip().endswith("40 extra devices added.")
    assert "0 extra devices added." in run("demo", "--devices", "25")[1]
    assert run("ledger", "verify")[0] == 0
    code, out, _ = run("ledger", "replay")
    assert code == 0 and "agree" in out


def test_user_create_prints_a_working_token_on_its_last_line(db_url: str, engine: Engine) -> None:
    code, out, err = run(
        "user",
        "create",
        "--role",
        "structure",
        "--name",
        "Passerelle",
        "--structure",
        "La Passerelle",
        "--password",
        "tournesol-passerelle",
    )
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    assert token.startswith("rms_")
    settings = Settings(database_url=db_url, scheduler_enabled=False)
    with TestClient(create_app(settings, engine=engine)) as client:
        me = client.get("/api/v1/me", headers=auth(token)).json()
    assert me["username"] == "passerelle" and me["role"] == "structure" and me["structure_id"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "structure", "--name", "orpheline"], "--structure"),
        (["--role", "bench", "--name", "x"], "ne peut pas être un nom d'utilisateur"),
    ],
)
def test_user_create_refusals_say_why(args: list[str], message: str) -> None:
    code, _, err = run("user", "create", *args)
    assert code == 1 and message in err


def test_user_names_are_unique() -> None:
    assert run("user", "create", "--role", "bench", "--name", "jeanne")[0] == 0
    code, _, err = run("user", "create", "--role", "bench", "--name", "Jeanne")
    assert code == 1 and "déjà pris" in err


def test_unknown_role_is_refused_by_the_parser() -> None:
    assert run("user", "create", "--role", "admin", "--name", "x")[0] == 2


def test_ledger_verify_names_the_first_bad_event(engine: Engine) -> None:
    run("demo")
    code, out, _ = run("ledger", "verify")
    assert code == 0 and "Ledger intact" in out
    with engine.begin() as connection:
        connection.execute(text("UPDATE ledger_event SET actor = 'intrus' WHERE seq = 3"))
    code, out, err = run("ledger", "verify")
    assert code == 1 and "first bad event: 3" in out and "event 3" in err


def test_verify_against_a_published_head_catches_a_truncated_tail(engine: Engine) -> None:
    run("demo")
    head = run("ledger", "head")[1].strip()
    seq = int(head.split(":")[0])
    assert run("ledger", "verify", "--head", head)[0] == 0
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM ledger_event WHERE seq >= :s"), {"s": seq - 1})
    assert run("ledger", "verify")[0] == 0
    code, out, _ = run("ledger", "verify", "--head", head)
    assert code == 1 and f"first bad event: {seq - 1}" in out
    assert run("ledger", "verify", "--head", "nonsense")[0] == 1


def test_replay_reports_then_repairs_a_hand_edit(engine: Engine) -> None:
    run("demo")
    with engine.begin() as connection:
        one = "SELECT min(id) FROM device WHERE status = 'available'"
        connection.execute(text(f"UPDATE device SET grade = 'Z' WHERE id = ({one})"))
    code, out, err = run("ledger", "replay")
    assert code == 1 and "grade: table 'Z'" in out and "1 differences" in err
    assert run("ledger", "replay", "--repair")[0] == 0
    assert run("ledger", "replay")[0] == 0


def test_commands_refuse_an_unmigrated_database(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REMISE_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    for args in (["serve"], ["demo"], ["ledger", "verify"]):
        code, _, err = run(*args)
        assert code == 1 and "remise db upgrade" in err, args


def test_user_password_sets_it_signs_browsers_out_and_refuses_short_ones(engine: Engine) -> None:
    created = ("user", "create", "--role", "bench", "--name", "lucie")
    assert run(*created, "--password", "ancien-mdp-2019")[0] == 0
    with transaction(engine) as session:
        actor = accounts.authenticate_password(session, "lucie", "ancien-mdp-2019")
        browser = accounts.open_web_session(session, actor, lifetime=timedelta(hours=1))
    code, _, err = run("user", "password", "lucie", "--password", "court")
    assert code == 1 and "au moins 12 caractères" in err
    typed = "nouveau-mdp-2024\nnouveau-mdp-2024\n"
    result = runner.invoke(app, ["user", "password", "Lucie"], input=typed)
    assert result.exit_code == 0, result.stderr
    assert "nouveau-mdp" not in result.stdout  # typed unseen
    with transaction(engine) as session:
        assert accounts.web_session_actor(session, browser) is None
        assert accounts.authenticate_password(session, "lucie", "nouveau-mdp-2024").username
        with pytest.raises(Unauthorized):
            accounts.authenticate_password(session, "lucie", "ancien-mdp-2019")
        recorded = session.exec(
            select(LedgerEvent).where(LedgerEvent.type == "user.password_set")
        ).one()
        assert recorded.actor.startswith("cli:")  # the system account that ran the command
        assert ledger.payload_of(recorded) == {"user": "lucie"}
    code, _, err = run("user", "password", "personne", "--password", "peu-importe-vraiment")
    assert code == 1 and "pas d'utilisateur « personne »" in err


def said(text: str) -> str:
    return " ".join(text.split())  # rich wraps long lines


def test_user_token_tokens_and_revoke(db_url: str, engine: Engine) -> None:
    assert (
        run("user", "create", "--role", "bench", "--name", "lucie", "--expires-days", "30")[0] == 0
    )
    code, out, err = run("user", "token", "Lucie", "--label", "scanner", "--expires-days", "7")
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    assert token.startswith("rms_") and "until 20" in err
    code, out, _ = run("user", "tokens", "lucie")
    assert code == 0 and "scanner" in out and "revoked" in out
    assert "rms_" not in out and token[4:20] not in out
    token_id = said(err).split("API token ")[1].split()[0]
    settings = Settings(database_url=db_url, scheduler_enabled=False)
    with TestClient(create_app(settings, engine=engine)) as client:
        assert client.get("/api/v1/me", headers=auth(token)).status_code == 200
        code, _, err = run("user", "revoke", token_id)
        assert code == 0 and "revoked" in err
        assert client.get("/api/v1/me", headers=auth(token)).status_code == 401
    code, _, err = run("user", "revoke", "999999")
    assert code == 1 and "Il n'y a pas de jeton d'API 999999" in said(err)
    assert run("user", "revoke", str(2**63))[0] == 2  # refused by the parser, no crash


def test_user_deactivate_signs_out_and_revokes(engine: Engine) -> None:
    code, out, _ = run("user", "create", "--role", "bench", "--name", "lucie")
    token = out.strip().splitlines()[-1]
    code, _, err = run("user", "deactivate", "lucie")
    assert code == 0 and "0 browser(s) signed out, 1 API token(s) revoked" in said(err)
    with transaction(engine) as session, pytest.raises(Unauthorized):
        accounts.authenticate_token(session, token)
    code, _, err = run("user", "deactivate", "lucie")
    assert code == 1 and "déjà désactivé" in said(err)


def test_user_password_revokes_tokens_unless_told_to_keep_them(engine: Engine) -> None:
    created = run("user", "create", "--role", "bench", "--name", "lucie")[1]
    token = created.strip().splitlines()[-1]
    code, _, err = run(
        "user", "password", "lucie", "--password", "nouveau-mdp-2024", "--keep-tokens"
    )
    assert code == 0 and "its API tokens are kept" in said(err)
    with transaction(engine) as session:
        assert accounts.authenticate_token(session, token).username == "lucie"
    code, _, err = run("user", "password", "lucie", "--password", "encore-un-mdp-2025")
    assert code == 0 and "1 API token(s) revoked" in said(err)
    with transaction(engine) as session, pytest.raises(Unauthorized):
        accounts.authenticate_token(session, token)
    code, _, err = run(
        "user", "create", "--role", "bench", "--name", "marc", "--password", "password1234"
    )
    assert code == 1 and "trop courant" in said(err)
