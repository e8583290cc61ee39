"""`remise intake …` on each backend: imports and receipts as a workshop's script runs them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select
from typer.testing import CliRunner

from db import ledger
from db.engine import transaction
from db.models import Device
from intake import service
from intake.models import BatchCreate, DonorCreate
from remise.auth import system_actor
from remise.cli import app
from tests.intake.samples import delimited, french_rows

runner = CliRunner()
ACTOR = system_actor("tests")


@pytest.fixture(autouse=True)
def configured(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)


@pytest.fixture
def batch_id(engine: Engine) -> int:
    with transaction(engine) as session:
        donor = service.create_donor(session, ACTOR, data=DonorCreate(name="Mairie de Rezé"))
        assert donor.id is not None
        batch = service.create_batch(
            session,
            ACTOR,
            data=BatchCreate(donor_id=donor.id, pickup_date=date(2026, 11, 2), site="Rezé"),
        )
        assert batch.id is not None
        return batch.id


def devices(engine: Engine) -> int:
    with transaction(engine, read_only=True) as session:
        return session.exec(select(func.count()).select_from(Device)).one()


def test_import_dry_run_then_for_real(engine: Engine, batch_id: int, tmp_path: Path) -> None:
    path = tmp_path / "inventaire.csv"
    path.write_bytes(delimited(french_rows(6)))
    dry = runner.invoke(app, ["intake", "import", str(batch_id), str(path), "--dry-run"])
    assert dry.exit_code == 0 and "would create 6" in dry.stdout and devices(engine) == 0
    real = runner.invoke(app, ["intake", "import", str(batch_id), str(path)])
    assert real.exit_code == 0 and "created 6" in real.stdout and devices(engine) == 6
    again = runner.invoke(app, ["intake", "import", str(batch_id), str(path)])
    assert "created 0, already present 6" in again.stdout


def test_refused_file_exits_1_listing_rows(engine: Engine, batch_id: int, tmp_path: Path) -> None:
    rows = french_rows(3)
    rows[1][3] = ""  # row 3: no serial
    path = tmp_path / "bad.csv"
    path.write_bytes(delimited(rows))
    result = runner.invoke(app, ["intake", "import", str(batch_id), str(path)])
    assert result.exit_code == 1 and devices(engine) == 0
    assert "N° de série" in result.stderr and "Le numéro de série manque." in result.stderr
    skipped = runner.invoke(app, ["intake", "import", str(batch_id), str(path), "--skip-invalid"])
    assert (
        skipped.exit_code == 0 and "created 2" in skipped.stdout and "skipped 1" in skipped.stdout
    )


def test_unknown_batch_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(delimited(french_rows(1)))
    result = runner.invoke(app, ["intake", "import", "999", str(path)])
    assert result.exit_code == 1 and "Aucun lot n° 999" in result.stderr


def test_fifty_thousand_rows_through_the_cli(engine: Engine, batch_id: int, tmp_path: Path) -> None:
    path = tmp_path / "parc.csv"
    path.write_bytes(delimited(french_rows(50_000)))
    result = runner.invoke(app, ["intake", "import", str(batch_id), str(path)])
    assert result.exit_code == 0, result.stderr[-2000:]
    assert "created 50000" in result.stdout and devices(engine) == 50_000
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok


def test_receipt_is_written(engine: Engine, batch_id: int, tmp_path: Path) -> None:
    path = tmp_path / "inventaire.csv"
    path.write_bytes(delimited(french_rows(3)))
    runner.invoke(app, ["intake", "import", str(batch_id), str(path)])
    pdf = tmp_path / "recu.pdf"
    result = runner.invoke(app, ["intake", "receipt", str(batch_id), "-o", str(pdf)])
    assert result.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")
