"""Refused rows: the first problems in the answer, every row in a formula-safe CSV on disk;
a cap on rows; imports cut short finished by sending the file again; old files removed."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from db import ledger
from db.engine import Transactions, transaction
from db.enums import Role
from db.models import Batch, Device
from intake import importer, refused
from intake.jobs import remove_unneeded_files
from intake.models import ImportRecord
from remise.app import create_app
from remise.auth import system_actor
from remise.settings import Settings
from tests.factories import auth, make_token
from tests.intake.samples import delimited, french_rows
from tests.intake.test_import_locks import make_batch

HEADER = ["N° de série", "Marque", "Modèle", "Catégorie", '=HYPERLINK("http://x","a")']


def bad_rows(count: int) -> list[list[str]]:
    """`count` rows refused for their category, with cells a spreadsheet would run."""
    return [[f"BAD{n:05d}", "=1+1", "@SUM(1)", "Frigo", "-2+3"] for n in range(count)]


def upload(client: TestClient, headers: dict[str, str], batch: int, data: bytes, query: str = ""):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/batches/{batch}/import?{query}",
        headers=headers,
        files={"file": ("parc.csv", data, "text/csv")},
    )


def count_devices(engine: Engine) -> int:
    with transaction(engine, read_only=True) as session:
        return session.exec(select(func.count()).select_from(Device)).one()


@pytest.fixture
def workshop(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.WORKSHOP))


@pytest.fixture
def batch(engine: Engine) -> Batch:
    return make_batch(engine)


def test_the_answer_lists_200_problems_and_the_csv_every_refused_row_made_safe(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch: Batch, settings: Settings
) -> None:
    rows = [*bad_rows(450), ["GOOD-1", "Dell", "Latitude", "Portable", ""]]
    data = delimited(rows, header=HEADER, encoding="utf-8")
    refused_whole = upload(client, workshop, batch.id or 0, data)
    assert refused_whole.status_code == 422
    body = refused_whole.json()
    assert len(body["errors"]) == importer.MAX_REPORTED
    assert (body["error_count"], body["refused_rows"]) == (450, 450)
    report = upload(client, workshop, batch.id or 0, data, "skip_invalid=true").json()
    assert (report["created"], report["skipped"], report["problem_count"]) == (1, 450, 450)
    assert len(report["skipped_rows"]) == importer.MAX_REPORTED
    answer = client.get(report["refused_csv_url"], headers=workshop)
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 451
    assert (
        lines[0]
        == 'N° de série;Marque;Modèle;Catégorie;"\'=HYPERLINK(""http://x"",""a"")";Motif du refus'
    )
    assert lines[1].startswith("BAD00000;'=1+1;'@SUM(1);Frigo;'-2+3;Catégorie : ")
    assert [line.split(";")[0] for line in lines[1:]] == [f"BAD{n:05d}" for n in range(450)]
    english = client.get(report["refused_csv_url"], headers=workshop | {"Accept-Language": "en"})
    assert english.content.decode("utf-8-sig").splitlines()[0].endswith(";Reason refused")
    kept = list(refused.folder(settings.data_dir).iterdir())
    assert [p.name for p in kept] == [f"{report['import_id']}.jsonl"]  # no pending file left


def test_a_dry_run_with_skip_invalid_counts_all_and_keeps_no_file(
    client: TestClient, workshop: dict[str, str], batch: Batch, settings: Settings
) -> None:
    data = delimited(bad_rows(300), header=HEADER, encoding="utf-8")
    report = upload(client, workshop, batch.id or 0, data, "skip_invalid=true&dry_run=true").json()
    assert (report["skipped"], report["problem_count"], report["import_id"]) == (300, 300, None)
    assert len(report["skipped_rows"]) == importer.MAX_REPORTED
    folder = refused.folder(settings.data_dir)
    assert not folder.exists() or list(folder.iterdir()) == []


@pytest.fixture
def small_cap_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    capped = settings.model_copy(update={"max_import_rows": 5})
    with TestClient(create_app(capped, engine=engine)) as test_client:
        yield test_client


def test_a_file_past_the_row_limit_is_refused_naming_it(
    small_cap_client: TestClient, engine: Engine, workshop: dict[str, str], batch: Batch
) -> None:
    assert (
        upload(small_cap_client, workshop, batch.id or 0, delimited(french_rows(5))).status_code
        == 200
    )
    answer = upload(
        small_cap_client, workshop, batch.id or 0, delimited(french_rows(6)), "dry_run=true"
    )
    assert answer.status_code == 422 and answer.json()["code"] == "too_many_rows"
    assert "plus de 5 lignes" in answer.json()["detail"]
    assert count_devices(engine) == 5


def test_refused_rows_recorded_before_0009_stay_readable(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch: Batch
) -> None:
    document = {
        "headers": ["N° de série", "Catégorie"],
        "rows": [
            {
                "row": 2,
                "cells": ["=X1", "Frigo"],
                "reasons": [
                    {
                        "column": "Catégorie",
                        "message": {
                            "template": "Unknown category “%(value)s”.",
                            "params": {"value": "Frigo"},
                        },
                    }
                ],
            }
        ],
    }
    with transaction(engine) as session:
        record = ImportRecord(
            batch_id=batch.id or 0,
            file_sha256="0" * 64,
            filename="ancien.csv",
            rows=1,
            created=0,
            already_present=0,
            skipped=1,
            refused_csv=orjson.dumps(document).decode(),
            actor="test",
            created_at="2026-11-01T00:00:00.000000Z",
        )
        session.add(record)
        session.flush()
        import_id = record.id
    answer = client.get(f"/api/v1/imports/{import_id}/refused.csv", headers=workshop)
    assert answer.status_code == 200
    assert answer.content.decode("utf-8-sig").splitlines()[1].startswith("'=X1;Frigo;Catégorie : ")


# --- an import cut short, finished by sending the file again -------------------------------


class FailingAfter:
    """Transactions whose `n`-th write fails, and the `times - 1` after it: a lost disk."""

    def __init__(self, engine: Engine, n: int, *, times: int = 1_000) -> None:
        self.work, self.writes, self.failing = Transactions(engine), 0, range(n, n + times)

    def reading(self) -> AbstractContextManager[Session]:
        return self.work.reading()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        self.writes += 1
        if self.writes in self.failing:
            raise RuntimeError("the disk went away")
        with self.work.writing() as session:
            yield session


def test_an_interrupted_import_is_finished_by_sending_the_file_again(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch: Batch
) -> None:
    data = delimited(french_rows(2500))
    # Writes: the record, chunk 1, chunk 2, then chunk 3 fails (and so does marking it).
    with pytest.raises(RuntimeError):
        importer.import_rows(
            FailingAfter(engine, 4),
            system_actor("test"),
            batch=batch,
            stream=io.BytesIO(data),
            options=importer.Options("parc.csv"),
        )
    assert count_devices(engine) == 2000
    with transaction(engine, read_only=True) as session:
        (record,) = session.exec(select(ImportRecord)).all()
        assert (record.state, record.created) == ("writing", 2000)
    again = upload(client, workshop, batch.id or 0, data)
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["already_present"]) == (500, 2000)
    assert again.json()["import_id"] == record.id
    assert count_devices(engine) == 2500
    with transaction(engine, read_only=True) as session:
        (done,) = session.exec(select(ImportRecord)).all()
        assert (done.state, done.created, done.already_present) == ("done", 2500, 0)
        assert ledger.verify(session).ok


def test_a_failed_chunk_leaves_the_import_interrupted(engine: Engine, batch: Batch) -> None:
    with pytest.raises(RuntimeError):
        importer.import_rows(
            FailingAfter(engine, 3, times=1),
            system_actor("test"),
            batch=batch,
            stream=io.BytesIO(delimited(french_rows(1500))),
            options=importer.Options("parc.csv"),
        )
    with transaction(engine, read_only=True) as session:
        (record,) = session.exec(select(ImportRecord)).all()
    assert (record.state, record.created) == ("interrupted", 1000)


# --- abandoned uploads and refused rows no longer needed ------------------------------------


def _aged(path: Path, moment: datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


def test_abandoned_uploads_go_after_a_day_refused_rows_after_their_batch_closed(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch: Batch, settings: Settings
) -> None:
    data = delimited([*bad_rows(3), ["GOOD-1", "Dell", "Latitude", "Portable", ""]], header=HEADER)
    report = upload(client, workshop, batch.id or 0, data, "skip_invalid=true").json()
    kept = refused.folder(settings.data_dir) / f"{report['import_id']}.jsonl"
    stray = refused.folder(settings.data_dir) / "pending-0123.jsonl"
    stray.write_text("{}\n")
    uploads = settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    old, fresh = uploads / ("a" * 64), uploads / ("b" * 64)
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    now = datetime.now(UTC)
    _aged(old, now - timedelta(hours=25))
    _aged(stray, now - timedelta(hours=25))

    def run(at: datetime) -> dict[str, int]:
        return remove_unneeded_files(
            engine, settings.data_dir, upload_keep_hours=24, refused_rows_days=30, now=at
        )

    assert run(now) == {"uploads": 1, "refused_rows": 1}
    assert fresh.exists() and not old.exists() and kept.exists() and not stray.exists()
    assert run(now + timedelta(days=400)) == {"uploads": 1, "refused_rows": 0}  # batch open
    coordinator = auth(make_token(engine, role=Role.COORDINATOR))
    closing = client.post(
        f"/api/v1/batches/{batch.id}/close", json={"comment": "test"}, headers=coordinator
    )
    assert closing.status_code == 200, closing.text
    assert run(datetime.now(UTC) + timedelta(days=29)) == {"uploads": 0, "refused_rows": 0}
    assert run(datetime.now(UTC) + timedelta(days=31)) == {"uploads": 0, "refused_rows": 1}
    gone = client.get(report["refused_csv_url"], headers=workshop)
    assert gone.status_code == 410 and gone.json()["code"] == "refused_rows_removed"


# --- the batch page: check, confirm, then the refused rows' link --------------------------


def test_the_page_checks_imports_the_valid_rows_and_links_the_refused_ones(
    client: TestClient, engine: Engine, batch: Batch, settings: Settings
) -> None:
    from tests.web.test_pages import csrf_of, make_user, sign_in

    make_user(engine, "atelier", Role.WORKSHOP)
    sign_in(client, "atelier")
    page = f"/intake/batches/{batch.id}"
    data = delimited([*bad_rows(2), ["GOOD-1", "Dell", "Latitude", "Portable", ""]], header=HEADER)
    checked = client.post(
        f"{page}/import",
        data={"csrf_token": csrf_of(client, page), "category": ""},
        files={"file": ("parc.csv", data, "text/csv")},
    )
    assert checked.status_code == 422 and "Frigo" in checked.text
    sha = hashlib.sha256(data).hexdigest()
    assert (settings.data_dir / "uploads" / sha).read_bytes() == data
    confirmed = client.post(
        f"{page}/import/confirm",
        data={
            "csrf_token": csrf_of(client, page),
            "sha256": sha,
            "filename": "parc.csv",
            "skip_invalid": "yes",
        },
        follow_redirects=False,
    )
    assert confirmed.status_code == 303, confirmed.text[:500]
    assert count_devices(engine) == 1
    with transaction(engine, read_only=True) as session:
        (record,) = session.exec(select(ImportRecord)).all()
    link = f"/intake/imports/{record.id}/refused.csv"
    assert link in client.get(page).text
    rows = client.get(link).content.decode("utf-8-sig").splitlines()
    assert len(rows) == 3 and rows[1].startswith("BAD00000;'=1+1;")
