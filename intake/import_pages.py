"""Intake pages of a workshop's whole file: upload, check, confirmation, rows left out.

An uploaded file is kept in `data_dir/uploads` under its SHA-256 and the browser is
sent (303) to the page of its check, `…/imports/check/<sha256>`, which runs a dry run
each time it is shown: it can be reloaded, and Back never sends the file again. The
check shows how each category value was read and asks about the values that name two
kinds of device; the answers go with the confirmation, which imports all-or-nothing
and idempotently like the API, then sends the browser to the batch page, or back to
the check with the problems. An import that left rows out sends it to the page of
that import, listing them (`…/imports/<id>`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, BinaryIO
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from db.enums import CATEGORY_LABELS, Category
from db.errors import N_, DomainError
from intake import api, categories, importer, refused, service
from intake.web import Receiver, batch_page_view
from remise.auth import Actor
from remise.deps import IdPath, SessionDep, get_engine, get_settings
from remise.i18n import localise, translate
from remise.pages import Csrf, FormDep, page_locale, redirect, said

router = APIRouter(include_in_schema=False)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
ANSWER = "answer."  # a form or query field `answer.<value>` answers for that value
_FILENAME_IN_URL = 120  # the check page's address stays well under a redirection's limit
GONE = N_("This file is no longer here: upload it again.")


def _upload_dir(request: Request) -> Path:
    folder: Path = get_settings(request).data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep_upload(folder: Path, source: BinaryIO, *, limit: int) -> str | None:
    """Copy the upload to `folder` under its SHA-256 (its name), a megabyte at a time;
    None, and nothing kept, past `limit` bytes (the edge refuses larger bodies first:
    REMISE_MAX_UPLOAD_MB). `intake.jobs` removes it after a day."""
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False) as out:
        while size <= limit and (block := source.read(1 << 20)):
            size += len(block)
            digest.update(block)
            out.write(block)
    if size > limit:
        Path(out.name).unlink()
        return None
    sha = digest.hexdigest()
    os.replace(out.name, folder / sha)
    return sha


def _category(text: str) -> Category | None:
    return Category(text) if text in Category.__members__.values() else None


def _answers_given(fields: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """The `answer.<value>` fields of a form or a query, the empty ones left out."""
    return {
        name[len(ANSWER) :]: str(value)
        for name, value in fields
        if name.startswith(ANSWER) and isinstance(value, str) and value
    }


def check_url(batch_id: int, upload: dict[str, str], answers: dict[str, str]) -> str:
    """The address of the check of a kept file, with the answers given so far."""
    query = {"filename": upload["filename"][:_FILENAME_IN_URL], "category": upload["category"]}
    query |= {ANSWER + value: answer for value, answer in answers.items()}
    return f"/intake/batches/{batch_id}/imports/check/{upload['sha256']}?{urlencode(query)}"


def _reading_rows(locale: str, readings: list[importer.CategoryReading]) -> list[dict[str, Any]]:
    """How each category value was read, for the page's table and questions."""
    return [
        {
            "value": r.value,
            "category": translate(locale, CATEGORY_LABELS[r.category]) if r.category else None,
            "how": translate(locale, categories.EVIDENCE_LABELS[r.evidence]) if r.evidence else "",
            "count": r.count,
            "rows": r.rows,
            "choices": [(c.value, translate(locale, CATEGORY_LABELS[c])) for c in r.choices],
            "choices_text": localise(locale, categories.choices_text(r.key)) if r.choices else "",
        }
        for r in readings
    ]


def _check(
    request: Request,
    session: Session,
    actor: Actor,
    batch_id: int,
    upload: dict[str, str],
    answers: dict[str, str],
) -> Response:
    """The dry run of a kept file, shown in the batch page: how it reads, or its problems."""
    batch = service.open_batch(session, batch_id)
    options = api.import_options(
        get_settings(request),
        upload["filename"],
        True,
        False,
        _category(upload["category"]),
        answers=categories.parse_answers(answers),
    )
    status, report = 200, {"upload": upload, "answers": answers, "refused": False}
    try:
        with (_upload_dir(request) / upload["sha256"]).open("rb") as stream:
            outcome = api.run_import(session, get_engine(request), actor, batch, stream, options)
    except importer.ImportRefused as exc:
        session.rollback()
        assert exc.outcome is not None
        outcome, status = exc.outcome, 422  # as the API's dry run answers such a file
        report |= {"refused": True, "count": outcome.issue_count}
    readings = _reading_rows(page_locale(request), outcome.readings)
    report |= {
        "outcome": outcome,
        "issues": outcome.issues,
        "readings": readings,
        "questions": [r for r in readings if r["category"] is None],
    }
    return batch_page_view(request, session, batch_id, status=status, report=report)


def _upload_of(
    request: Request, sha256: str, filename: str, category: str
) -> dict[str, str] | None:
    """The kept file a check or a confirmation names, if it is still here."""
    if not _SHA256.match(sha256) or not (_upload_dir(request) / sha256).is_file():
        return None
    return {"sha256": sha256, "filename": filename[:255], "category": category}


@router.post("/intake/batches/{batch_id}/import", dependencies=[Csrf], response_class=HTMLResponse)
def upload_file(
    batch_id: IdPath, request: Request, session: SessionDep, _actor: Receiver, form: FormDep
) -> Response:
    """Keep an uploaded file and send the browser to its check (nothing written)."""
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        problem = translate(page_locale(request), N_("Choose a CSV or XLSX file first."))
        return batch_page_view(request, session, batch_id, status=422, problem=problem)
    limit = get_settings(request).max_upload_mb * 1024 * 1024
    sha = _keep_upload(_upload_dir(request), file.file, limit=limit)
    if sha is None:
        mb = get_settings(request).max_upload_mb
        problem = translate(page_locale(request), N_("This file is larger than %(mb)s MB."), mb=mb)
        return batch_page_view(request, session, batch_id, status=413, problem=problem)
    category = str(form.get("category") or "")
    upload = {"sha256": sha, "filename": file.filename[:255], "category": category[:20]}
    return redirect(check_url(batch_id, upload, {}))


@router.get("/intake/batches/{batch_id}/import", response_class=HTMLResponse)
@router.get("/intake/batches/{batch_id}/import/confirm", response_class=HTMLResponse)
def back_to_batch(batch_id: IdPath, _actor: Receiver) -> Response:
    """The form addresses, opened again (a bookmark, Back after a refusal): the batch."""
    return redirect(f"/intake/batches/{batch_id}")


@router.get("/intake/batches/{batch_id}/imports/check/{sha256}", response_class=HTMLResponse)
def check_page(
    batch_id: IdPath,
    sha256: str,
    request: Request,
    session: SessionDep,
    actor: Receiver,
    filename: Annotated[str, Query(max_length=255)] = "",
    category: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The check of a kept file, run again each time it is shown (nothing written)."""
    upload = _upload_of(request, sha256, filename, category)
    if upload is None:
        problem = translate(page_locale(request), GONE)
        return batch_page_view(request, session, batch_id, status=410, problem=problem)
    answers = _answers_given(request.query_params.multi_items())
    try:
        return _check(request, session, actor, batch_id, upload, answers)
    except DomainError as exc:
        session.rollback()
        return batch_page_view(
            request, session, batch_id, status=exc.status, problem=said(request, exc)
        )


@router.post(
    "/intake/batches/{batch_id}/import/confirm", dependencies=[Csrf], response_class=HTMLResponse
)
def confirm_import(
    batch_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: Receiver,
    form: FormDep,
    sha256: Annotated[str, Form(max_length=64)],
    filename: Annotated[str, Form(max_length=255)],
    category: Annotated[str, Form(max_length=20)] = "",
    skip_invalid: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Import the file checked before, with the answers chosen there; re-sending it
    registers nothing twice. Then the batch (or the rows left out), or back to the check."""
    locale = page_locale(request)
    upload = _upload_of(request, sha256, filename, category)
    if upload is None:
        return redirect(f"/intake/batches/{batch_id}", flash=translate(locale, GONE))
    answers = _answers_given(form.multi_items())
    try:
        options = api.import_options(
            get_settings(request),
            upload["filename"],
            False,
            skip_invalid == "yes",
            _category(upload["category"]),
            answers=categories.parse_answers(answers),
        )
        batch = service.open_batch(session, batch_id)
        with (_upload_dir(request) / sha256).open("rb") as stream:
            outcome = api.run_import(session, get_engine(request), actor, batch, stream, options)
    except DomainError as exc:
        session.rollback()
        return redirect(check_url(batch_id, upload, answers), flash=said(request, exc))
    message = translate(
        locale,
        N_("File imported. Devices registered: %(created)s; already there: %(present)s."),
        created=outcome.created,
        present=outcome.already_present,
    )
    if outcome.skipped and outcome.import_id is not None:
        return redirect(f"/intake/batches/{batch_id}/imports/{outcome.import_id}", flash=message)
    return redirect(f"/intake/batches/{batch_id}", flash=message)


@router.get("/intake/batches/{batch_id}/imports/{import_id}", response_class=HTMLResponse)
def import_page(
    batch_id: IdPath, import_id: IdPath, request: Request, session: SessionDep, _actor: Receiver
) -> Response:
    """An import that left rows out: the first of them, row by row, and their CSV."""
    record = service.import_record(session, import_id)
    if record.batch_id != batch_id:
        raise service.ImportNotFound(id=import_id)
    left_out: list[dict[str, Any]] = []
    if record.refused_file:  # imports before migration 0009 kept no row numbers
        path = refused.folder(get_settings(request).data_dir) / record.refused_file
        try:
            rows = refused.first_rows(path, limit=importer.MAX_REPORTED)
        except FileNotFoundError:
            rows = []  # removed after its batch closed: the CSV link says so
        left_out = [
            {"row": row, "column": r["column"], "message": refused.message_from_json(r["message"])}
            for row, reasons in rows
            for r in reasons
        ]
    report = {"left_out": left_out, "record": record, "count": record.skipped}
    return batch_page_view(request, session, batch_id, report=report)


@router.get("/intake/imports/{import_id}/refused.csv", response_class=Response)
def refused_csv(
    import_id: IdPath, request: Request, session: SessionDep, _actor: Receiver
) -> Response:
    """The rows an import left out, with why (the API's CSV, for a signed-in volunteer)."""
    return api.refused_response(session, import_id, page_locale(request), get_settings(request))
