"""A laptop with two disks taken to `refurbished` with the command line alone, on SQLite and
PostgreSQL: its disks entered, nwipe's real two-disk log imported (after the import asks
which disk is which), the run finished, and its certificate issued and checked offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from db.codes import display
from db.engine import transaction
from db.enums import Category, Status
from refurbish import checklists
from remise.cli import app
from tests.factories import make_device
from tests.refurbish.test_erasure_import import CORPUS, needs_erasure_corpus
from tests.refurbish.test_runs_cli import open_run, status, typed

runner = CliRunner()
TWO_DISKS_LOG = CORPUS / "nwipe-0.42" / "nwipe-0.42-two-devices.log"


@pytest.fixture(autouse=True)
def local(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)
    monkeypatch.setenv("REMISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REMISE_DEFAULT_LOCALE", "en")


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


@needs_erasure_corpus
def test_a_laptop_with_two_disks_goes_through_erasure_with_the_cli(
    engine: Engine, tmp_path: Path
) -> None:
    with transaction(engine) as session:
        code = display(make_device(session, status=Status.LABELLED, category=Category.LAPTOP).code)
    assert cli("run", "start", code).exit_code == 0
    run_id = open_run(engine, code.replace("-", ""))
    for step in checklists.default_template(Category.LAPTOP).steps:
        value = typed(step.model_dump(mode="json"))
        if value is not None:
            assert cli("run", "step", str(run_id), step.key, value).exit_code == 0
    media = []
    for size in ("67108864", "33554432"):
        added = cli("erasure", "add-medium", code, "other", "--model", "Loopback device",
                    "--size-bytes", size)  # fmt: skip
        assert added.exit_code == 0, added.output
        media.append(re.search(r"medium (\d+)", added.stdout).group(1))  # type: ignore[union-attr]
    blocked = cli("run", "finish", str(run_id), "refurbished")
    assert blocked.exit_code == 1 and "no erasure recorded yet" in blocked.stderr

    asked = cli("erasure", "import", code, str(TWO_DISKS_LOG))
    assert asked.exit_code == 1 and "DRIVE:MEDIUM_ID" in asked.stderr
    assert "loop1" in asked.stderr and "loop2" in asked.stderr
    imported = cli("erasure", "import", code, str(TWO_DISKS_LOG),
                   "--medium", f"loop1:{media[0]}", "--medium", f"loop2:{media[1]}")  # fmt: skip
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.count("✔") == 2
    listed = cli("erasure", "list", code)
    assert listed.exit_code == 0 and listed.stdout.count("erased") == 2

    done = cli("run", "finish", str(run_id), "refurbished")
    assert done.exit_code == 0, done.output
    assert status(engine, code.replace("-", "")) == Status.REFURBISHED

    pdf = tmp_path / "certificat.pdf"
    issued = cli("certificate", "issue", "--device", code, "-o", str(pdf), "--language", "fr")
    assert issued.exit_code == 0, issued.output
    checked = cli("certificate", "verify", str(pdf))  # the local key that signed it
    assert checked.exit_code == 0, checked.output
    assert "Signature valid" in checked.stdout
    again = cli("certificate", "issue", "--device", code, "-o", str(tmp_path / "b.pdf"))
    written = r"Certificat(?:e)? (\S+) (?:écrit|written)"
    first, second = re.search(written, issued.stdout), re.search(written, again.stdout)
    assert first and second and first.group(1) == second.group(1)  # nothing changed since
    wrong = cli("certificate", "issue", "-o", str(tmp_path / "c.pdf"))
    assert wrong.exit_code == 2
