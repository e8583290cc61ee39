"""`remise demo --logins` (`make demo-logins`) shows the demo logins again, never a
hash or a token; a later `remise demo` says how to see them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from db.engine import transaction
from db.models import ApiToken, User
from remise import accounts
from remise.cli import app
from remise.demo import PEOPLE, demo_password
from tests.factories import ACTOR

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r"rms_[A-Za-z0-9_-]{20,}")


@pytest.fixture(autouse=True)
def configured(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)
    monkeypatch.setenv("REMISE_SCHEDULER_ENABLED", "false")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), terminal_width=200)
    return result.exit_code, result.stdout, result.stderr


def test_a_later_demo_says_how_to_see_the_logins_again() -> None:
    code, first, _ = run("demo")
    assert code == 0 and TOKEN.search(first) and "make demo-logins" in first
    code, again, _ = run("demo")
    assert code == 0
    assert again.strip() == (
        "Demo data already present. Logins: `make demo-logins` (or `remise demo --logins`)."
    )


def test_the_logins_list_every_demo_user_with_its_password_and_no_secret(engine: Engine) -> None:
    assert run("demo")[0] == 0
    code, out, _ = run("demo", "--logins")
    assert code == 0
    for username, role, _display in PEOPLE:
        assert re.search(rf"{username}\s.*{demo_password(username)}\s.*{role.value}", out)
    with transaction(engine, read_only=True) as session:
        hashes = [u.password_hash for u in session.exec(select(User)) if u.password_hash]
        digests = [t.token_hash for t in session.exec(select(ApiToken))]
    assert hashes and digests
    assert not TOKEN.search(out) and "$argon2" not in out
    assert not any(secret in out for secret in hashes + digests)
    assert "remise user token USER --label LABEL" in out  # how to make a new token instead


def test_the_logins_seed_nothing(engine: Engine) -> None:
    code, _out, err = run("demo", "--logins")
    assert code == 1 and "remise demo" in err
    with transaction(engine, read_only=True) as session:
        assert session.exec(select(User)).first() is None


def test_a_changed_password_is_not_listed_as_working(engine: Engine) -> None:
    assert run("demo")[0] == 0
    with transaction(engine) as session:
        accounts.set_password(
            session, ACTOR, username="benevole", password="un-cheval-bleu-mange-des-pommes"
        )
    code, out, _ = run("demo", "--logins")
    assert code == 0
    assert demo_password("benevole") not in out and "changed or deactivated since" in out
    assert demo_password("atelier") in out


def test_make_demo_logins_runs_the_command() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^demo-logins:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert target is not None and target.group(1) == "$(BIN)/remise demo --logins"
    assert "demo-logins" in re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE).group(1)  # type: ignore[union-attr]
