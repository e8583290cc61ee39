"""`remise bench erase` end to end: nwipe really erases a loop device, and its log becomes
the device's erasure record in the database (SQLite and PostgreSQL), so that the run can
finish `refurbished`; a failed erasure is recorded as failed and keeps it blocked.

The disks are loop devices over files in the test's folder (tests/refurbish/loopdev.py),
never a real disk.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner, Result

from db import devices, ledger, media
from db.engine import transaction
from db.enums import Category, Status
from remise.cli import app
from tests.factories import make_device
from tests.refurbish.loopdev import MIB, Lab, require
from tests.refurbish.walking import history

SIZE = 16 * MIB
runner = CliRunner()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    require("losetup", "nwipe")
    with Lab(tmp_path / "lab") as found:
        (tmp_path / "lab").mkdir(exist_ok=True)
        yield found


@pytest.fixture
def local(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI records in the test's database, in English."""
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)
    monkeypatch.setenv("REMISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REMISE_DEFAULT_LOCALE", "en")


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def a_desktop(engine: Engine) -> str:
    with transaction(engine) as session:
        return make_device(session, status=Status.LABELLED, category=Category.DESKTOP).code


def loop_medium(code: str) -> int:
    added = cli("erasure", "add-medium", code, "other", "--model", "Loopback device",
                "--size-bytes", str(SIZE))  # fmt: skip
    assert added.exit_code == 0, added.output
    return int(added.stdout.split()[1])


def test_an_erased_loop_device_becomes_the_record_that_lets_the_run_finish(
    lab: Lab, local: None, engine: Engine
) -> None:
    code = a_desktop(engine)
    started = cli("run", "start", code)
    assert started.exit_code == 0, started.output
    medium = loop_medium(code)
    device = lab.attach(lab.image("donated.img", SIZE, os.urandom(SIZE)))
    name = Path(device).name
    asked = cli("bench", "erase", code, device, "--yes-i-checked", name)
    assert asked.exit_code == 1 and "?medium=DRIVE:MEDIUM_ID" in asked.output  # no serial
    assert f"remise erasure import {code}" in asked.output
    done = cli("bench", "erase", code, device, "--yes-i-checked", name,
               "--medium", f"{name}:{medium}")  # fmt: skip
    assert done.exit_code == 0, done.output
    with transaction(engine, read_only=True) as session:
        found = media.standing_of_device(session, _id(session, code))
        [standing] = found
        assert standing.state == media.MediumState.ERASED
        record = standing.record
        assert record is not None and record.source == "bench" and record.tool == "nwipe"
        assert record.pattern == "zero" and record.verification_method == "full"
        assert record.tool_version and record.report["drive"]["name"] == name
        assert ledger.verify(session).ok
    events = [p for t, p in history(engine, code) if t == "device.erasure_recorded"]
    logs = (Path(os.environ["REMISE_DATA_DIR"]) / "erasure-logs").glob(f"*{name}*")
    log = max(logs, key=lambda p: p.stat().st_mtime_ns)  # the second run's
    assert events[-1]["report_sha256"] == hashlib.sha256(log.read_bytes()).hexdigest()
    assert (lab.folder / "donated.img").read_bytes() == bytes(SIZE)  # zeroed


def test_an_erasure_that_fails_is_recorded_and_keeps_the_device_blocked(
    lab: Lab, local: None, engine: Engine
) -> None:
    code = a_desktop(engine)
    cli("run", "start", code)
    medium = loop_medium(code)
    small = lab.tmpfs("small", "4m")  # the writes past 4 MiB fail: real I/O errors
    device = lab.attach(lab.image("too-big.img", SIZE, at=small))
    name = Path(device).name
    failed = cli("bench", "erase", code, device, "--yes-i-checked", name,
                 "--medium", f"{name}:{medium}")  # fmt: skip
    assert failed.exit_code == 1, failed.output
    with transaction(engine, read_only=True) as session:
        [standing] = media.standing_of_device(session, _id(session, code))
        assert standing.state == media.MediumState.FAILED
        assert standing.record is not None and standing.record.errors
    shown = cli("erasure", "list", code)
    assert shown.exit_code == 0 and "failed" in shown.stdout


def _id(session: Session, code: str) -> int:
    return devices.by_code(session, code).id or 0
