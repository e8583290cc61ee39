"""Intake's scheduler job: files kept under data_dir for a while, removed once unneeded.

* An upload checked on the batch page waits in `data_dir/uploads` for its confirmation;
  one left unconfirmed for `upload_keep_hours` (a day) is removed, as are copies cut
  short. Confirming after that asks the volunteer to upload it again.
* An import's refused rows (`data_dir/refused-rows/<id>.jsonl`) stay downloadable while
  their batch is open, since they are the rows still to fix and send, and for
  `refused_rows_days` after it closed; then they go (the CSV link answers 410). Files
  of no import (a check cut short, an import that never got its record) go after a day.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from db.clock import iso
from db.engine import transaction
from db.models import Batch
from intake import refused
from intake.models import ImportRecord

log = logging.getLogger("remise.jobs")
UPLOADS = "uploads"
STRAY_HOURS = 24  # a file no import owns is a leftover once it is this old


def _older_than(path: Path, cutoff: datetime) -> bool:
    try:
        return path.stat().st_mtime < cutoff.timestamp()
    except FileNotFoundError:  # removed by another worker meanwhile
        return False


def _remove(paths: list[Path]) -> int:
    for path in paths:
        path.unlink(missing_ok=True)
    return len(paths)


def _stale_uploads(data_dir: Path, cutoff: datetime) -> list[Path]:
    folder = data_dir / UPLOADS
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.is_file() and _older_than(p, cutoff)]


def _unneeded_refused(
    session: Session, data_dir: Path, *, closed_before: str, stray: datetime
) -> list[Path]:
    folder = refused.folder(data_dir)
    if not folder.is_dir():
        return []
    owners = dict(
        session.exec(
            select(ImportRecord.refused_file, Batch.closed_at)
            .join(Batch, col(Batch.id) == ImportRecord.batch_id)
            .where(col(ImportRecord.refused_file).is_not(None))
        ).all()
    )
    unneeded = []
    for path in folder.iterdir():
        if path.name not in owners:
            if _older_than(path, stray):
                unneeded.append(path)
            continue
        closed_at = owners[path.name]
        if closed_at is not None and closed_at < closed_before:
            unneeded.append(path)
    return unneeded


def remove_unneeded_files(
    engine: Engine,
    data_dir: Path,
    *,
    upload_keep_hours: int,
    refused_rows_days: int,
    now: datetime,
) -> dict[str, int]:
    """Remove abandoned uploads and refused rows no longer needed; how many of each."""
    uploads = _remove(_stale_uploads(data_dir, now - timedelta(hours=upload_keep_hours)))
    with transaction(engine, read_only=True) as session:
        paths = _unneeded_refused(
            session,
            data_dir,
            closed_before=iso(now - timedelta(days=refused_rows_days)),
            stray=now - timedelta(hours=STRAY_HOURS),
        )
    gone = {"uploads": uploads, "refused_rows": _remove(paths)}
    log.info("removed %(uploads)d abandoned uploads, %(refused_rows)d refused-row files", gone)
    return gone
