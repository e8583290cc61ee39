"""`remise labels …` on each backend: printing a batch, formats, scans."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from db.engine import transaction
from db.enums import Status
from db.models import Batch, Device, Donor
from labels import layouts
from remise.cli import app
from tests.factories import make_device
from tests.labels.decoding import cell, decode, decode_png, needs_poppler, pdf_pages

runner = CliRunner()


@pytest.fixture(autouse=True)
def configured(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)
    monkeypatch.setenv("REMISE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def batch(engine: Engine) -> tuple[int, list[str]]:
    with transaction(engine) as session:
        donor = Donor(name="Mairie de Rezé", created_at="2026-11-23T08:00:00Z")
        session.add(donor)
        session.flush()
        found = Batch(
            donor_id=donor.id or 0,
            pickup_date=date(2026, 11, 2),
            site="Rezé",
            declared={},
            created_at="2026-11-23T08:00:00Z",
        )
        session.add(found)
        session.flush()
        made = [make_device(session, batch_id=found.id) for _ in range(3)]
        made.append(make_device(session, status=Status.LABELLED, batch_id=found.id))
        return found.id or 0, [d.code for d in made]


def statuses(engine: Engine) -> list[str]:
    with transaction(engine, read_only=True) as session:
        return list(session.exec(select(Device.status).order_by(Device.id)).all())


@needs_poppler
def test_print_a_batch_on_a4_from_position_3(
    engine: Engine, batch: tuple[int, list[str]], tmp_path: Path
) -> None:
    batch_id, device_codes = batch
    out = tmp_path / "lot.pdf"
    args = ["labels", "print", "--batch", str(batch_id), "--format", "a4-3x8", "-o", str(out)]
    result = runner.invoke(app, [*args, "--start", "3"])
    assert result.exit_code == 0, result.output
    assert "3 labelled for the first time, 1 reprinted" in result.stdout
    layout = layouts.builtin()["a4-3x8"]
    [page] = pdf_pages(out.read_bytes(), tmp_path)
    assert [decode(cell(page, layout, i)) for i in range(2, 6)] == [[c] for c in device_codes]
    assert statuses(engine) == ["labelled"] * 4


def test_thermal_to_a_zip_a_zpl_and_a_folder(
    engine: Engine, batch: tuple[int, list[str]], tmp_path: Path
) -> None:
    batch_id, device_codes = batch
    base = ["labels", "print", "--batch", str(batch_id), "--format", "thermal-62mm"]
    unlabelled = runner.invoke(app, [*base, "--unlabelled", "-o", str(tmp_path / "new.zip")])
    assert unlabelled.exit_code == 0, unlabelled.output
    with zipfile.ZipFile(tmp_path / "new.zip") as archive:
        read = sorted(decode_png(archive.read(name))[0] for name in archive.namelist())
    assert read == sorted(device_codes[:3])
    zpl = runner.invoke(app, [*base, "-o", str(tmp_path / "all.zpl")])
    assert zpl.exit_code == 0 and (tmp_path / "all.zpl").read_text().count("^XA") == 4
    one = ["labels", "print", "--code", device_codes[0], "--format", "thermal-50x25mm"]
    folder = runner.invoke(app, [*one, "-o", str(tmp_path / "png")])
    assert folder.exit_code == 0
    [png] = (tmp_path / "png").glob("*.png")
    assert decode_png(png.read_bytes()) == [device_codes[0]]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--batch", "999", "--format", "a4-3x8"], "Aucun lot n° 999"),
        (["--batch", "1", "--format", "a5-1x1"], "Il n'existe pas de format d'étiquette"),
        (["--code", "ZZZZ-ZZZZ"], "Aucun appareil n'a ces codes"),
        ([], "Aucune étiquette à imprimer"),
    ],
)
def test_refusals_exit_1_with_a_reason(tmp_path: Path, args: list[str], says: str) -> None:
    result = runner.invoke(app, ["labels", "print", *args, "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and says in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_layouts_lists_builtins_and_the_workshop_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "label-layouts.toml").write_text(
        '[thermal-40x30mm]\nkind = "thermal"\nwidth_mm = 40\nheight_mm = 30\ndpi = 203\n'
    )
    result = runner.invoke(app, ["labels", "layouts"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("a4-3x8", "thermal-62mm", "thermal-50x25mm", "thermal-40x30mm"):
        assert name in result.stdout


def test_scan_prints_the_device_or_exits_1(batch: tuple[int, list[str]]) -> None:
    code = batch[1][0]
    found = runner.invoke(app, ["labels", "scan", f" {code.lower()}\n"])
    assert found.exit_code == 0 and f"{code[:4]}-{code[4:]}" in found.stdout
    missing = runner.invoke(app, ["labels", "scan", "nothing-like-this"])
    assert missing.exit_code == 1 and "Rien ne correspond" in missing.stderr
