"""Intake pages: donors, batches, one device at a time, or a workshop's whole file.

An uploaded file is first checked (a dry run) and its problems shown row by row;
the file waits in `data_dir/uploads` under its SHA-256 until the user confirms,
and the import itself is all-or-nothing and idempotent, like the API's.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import UploadFile

from db import codes
from db.enums import CATEGORY_LABELS, STATUS_LABELS, Category, Status
from db.errors import N_, DomainError
from intake import api, importer, service
from intake.models import BatchCreate, DeviceIntake, DonorCreate
from remise.auth import Actor, Permission
from remise.deps import IdPath, IdQuery, SessionDep, get_engine, get_settings
from remise.i18n import translate
from remise.pages import (
    Csrf,
    FormDep,
    form_errors,
    page_locale,
    page_require,
    redirect,
    render,
    said,
)

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(page_require(Permission.BATCHES_READ))]
DonorManager = Annotated[Actor, Depends(page_require(Permission.DONORS_MANAGE))]
BatchManager = Annotated[Actor, Depends(page_require(Permission.BATCHES_MANAGE))]
Receiver = Annotated[Actor, Depends(page_require(Permission.DEVICES_RECEIVE))]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
REFUSED_LISTED = 10  # the batch page links the CSV of refused rows of its latest imports
DEVICES_PER_PAGE = 100  # a batch of thousands stays one quick page at a time


def _categories(locale: str) -> list[tuple[str, str]]:
    return [(c.value, translate(locale, CATEGORY_LABELS[c])) for c in Category]


@router.get("/intake", response_class=HTMLResponse)
def intake_home(request: Request, session: SessionDep, _actor: Reader) -> Response:
    """Batches, open ones first, and the donors."""
    batches = sorted(service.batches(session), key=lambda b: (b.closed, -(b.id or 0)))
    names = {d.id: d.name for d in service.donors(session)}
    return render(request, "intake/home.html", {"batches": batches, "donors": names})


@router.get("/intake/donors/new", response_class=HTMLResponse)
def new_donor(request: Request, _actor: DonorManager) -> Response:
    return render(request, "intake/donor_new.html", {"errors": {}, "values": {}})


@router.post("/intake/donors/new", dependencies=[Csrf], response_class=HTMLResponse)
def create_donor(
    request: Request, session: SessionDep, actor: DonorManager, form: FormDep
) -> Response:
    values = {k: str(v).strip() for k, v in form.items() if k != "csrf_token"}
    try:
        data = DonorCreate.model_validate({k: v for k, v in values.items() if v})
        donor = service.create_donor(session, actor, data=data)
    except ValidationError as exc:
        errors = form_errors(page_locale(request), exc)
        if "contact_email" in errors:
            errors["contact_email"] = translate(
                page_locale(request), N_("An e-mail address is expected, such as dons@example.org.")
            )
        return _form_again(request, "intake/donor_new.html", values, errors)
    except DomainError as exc:
        return _form_again(request, "intake/donor_new.html", values, {"form": said(request, exc)})
    message = translate(page_locale(request), N_("Donor %(name)s created."), name=donor.name)
    return redirect(f"/intake/batches/new?donor_id={donor.id}", flash=message)


def _form_again(
    request: Request, template: str, values: dict[str, Any], errors: dict[str, str], **extra: Any
) -> HTMLResponse:
    context = {"values": values, "errors": errors} | extra
    return render(request, template, context, status=422)


@router.get("/intake/batches/new", response_class=HTMLResponse)
def new_batch(
    request: Request, session: SessionDep, _actor: BatchManager, donor_id: IdQuery = None
) -> Response:
    values = {"donor_id": str(donor_id or ""), "pickup_date": date.today().isoformat()}
    return render(request, "intake/batch_new.html", _batch_form(request, session, values, {}))


def _batch_form(
    request: Request, session: Session, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "donors": service.donors(session),
        "categories": _categories(page_locale(request)),
    }


@router.post("/intake/batches/new", dependencies=[Csrf], response_class=HTMLResponse)
def create_batch(
    request: Request, session: SessionDep, actor: BatchManager, form: FormDep
) -> Response:
    values = {k: str(v).strip() for k, v in form.items() if k != "csrf_token"}
    declared = {
        c.value: values.get(f"declared.{c.value}") or "0"
        for c in Category
        if values.get(f"declared.{c.value}")
    }
    try:
        given = {k: values.get(k) for k in ("donor_id", "pickup_date", "site", "workshop")}
        # An empty field is left out, so that it reads "required", not "wrong type".
        data = BatchCreate.model_validate(
            {k: v for k, v in given.items() if v} | {"declared": declared}
        )
        batch = service.create_batch(session, actor, data=data)
    except ValidationError as exc:
        context = _batch_form(request, session, values, form_errors(page_locale(request), exc))
        return render(request, "intake/batch_new.html", context, status=422)
    except DomainError as exc:
        context = _batch_form(request, session, values, {"form": said(request, exc)})
        return render(request, "intake/batch_new.html", context, status=exc.status)
    message = translate(page_locale(request), N_("Batch %(id)s created."), id=batch.id)
    return redirect(f"/intake/batches/{batch.id}", flash=message)


def _batch_page(
    request: Request,
    session: Session,
    batch_id: int,
    *,
    status: int = 200,
    page: int = 1,
    **extra: Any,
) -> HTMLResponse:
    locale = page_locale(request)
    found = service.batch(session, batch_id)
    view = service.batch_view(session, found)
    total = sum(view.received.values())
    pages = max(1, -(-total // DEVICES_PER_PAGE))
    page = min(page, pages)  # a page past the end shows the last one
    offset = (page - 1) * DEVICES_PER_PAGE
    devices = service.batch_devices(
        session, batch_id, newest_first=True, limit=DEVICES_PER_PAGE, offset=offset
    )
    context = {
        "batch": view,
        "listing": {
            "total": total,
            "page": page,
            "pages": pages,
            "first": offset + 1,
            "last": offset + len(devices),
        },
        "devices": [
            {
                "code": codes.display(d.code),
                "category": translate(locale, CATEGORY_LABELS[Category(d.category)]),
                "brand": d.brand,
                "model": d.model,
                "serial": d.serial,
                "status": translate(locale, STATUS_LABELS[Status(d.status)]),
            }
            for d in devices
        ],
        "category_names": dict(_categories(locale)),
        "categories": _categories(locale),
        "device_errors": {},
        "device_values": {},
        "report": None,
        "problem": None,
        "refused_imports": [
            {"id": r.id, "filename": r.filename, "skipped": r.skipped, "at": r.created_at}
            for r in service.imports_with_refused_rows(session, batch_id)[:REFUSED_LISTED]
        ],
    }
    return render(request, "intake/batch.html", context | extra, status=status)


@router.get("/intake/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(
    batch_id: IdPath,
    request: Request,
    session: SessionDep,
    _actor: Reader,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """A batch: declared and received counts, its devices (newest first, a page at a time),
    registering, importing, labels."""
    return _batch_page(request, session, batch_id, page=page)


@router.post("/intake/batches/{batch_id}/devices", dependencies=[Csrf], response_class=HTMLResponse)
def register_device(
    batch_id: IdPath, request: Request, session: SessionDep, actor: Receiver, form: FormDep
) -> Response:
    values = {k: str(v).strip() for k, v in form.items() if k != "csrf_token"}
    try:
        data = DeviceIntake.model_validate({k: v for k, v in values.items() if v})
        device = service.receive_device(session, actor, batch_id=batch_id, data=data)
    except ValidationError as exc:
        errors = form_errors(page_locale(request), exc)
        return _batch_page(
            request, session, batch_id, status=422, device_errors=errors, device_values=values
        )
    except DomainError as exc:
        session.rollback()
        return _batch_page(
            request,
            session,
            batch_id,
            status=exc.status,
            device_values=values,
            device_errors={"form": said(request, exc)},
        )
    shown = codes.display(device.code)
    message = translate(page_locale(request), N_("Device %(code)s registered."), code=shown)
    return redirect(f"/intake/batches/{batch_id}#register", flash=message)


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


def _check_or_import(
    request: Request, session: Session, actor: Actor, batch_id: int, upload: dict[str, str]
) -> Response:
    """Run the importer on the kept file: a dry run unless `confirm`; show what it found."""
    path = _upload_dir(request) / upload["sha256"]
    dry_run = upload.get("confirm") != "yes"
    options = api.import_options(
        get_settings(request),
        upload["filename"],
        dry_run,
        upload.get("skip_invalid") == "yes",
        _category(upload["category"]),
    )
    batch = service.open_batch(session, batch_id)
    try:
        with path.open("rb") as stream:
            outcome = api.run_import(session, get_engine(request), actor, batch, stream, options)
    except importer.ImportRefused as exc:
        session.rollback()
        report = {"issues": exc.extra["errors"], "count": exc.extra["error_count"]}
        return _batch_page(
            request,
            session,
            batch_id,
            status=422,
            problem=said(request, exc),
            report=report | {"upload": upload, "refused": True},
        )
    if dry_run:
        report = {"outcome": outcome, "upload": upload, "refused": False, "issues": outcome.issues}
        return _batch_page(request, session, batch_id, report=report)
    path.unlink(missing_ok=True)
    message = translate(
        page_locale(request),
        N_("File imported: %(created)s devices registered, %(present)s already there."),
        created=outcome.created,
        present=outcome.already_present,
    )
    return redirect(f"/intake/batches/{batch_id}", flash=message)


@router.post("/intake/batches/{batch_id}/import", dependencies=[Csrf], response_class=HTMLResponse)
def upload_file(
    batch_id: IdPath, request: Request, session: SessionDep, actor: Receiver, form: FormDep
) -> Response:
    """Check an uploaded file (nothing written); the page then offers to import it."""
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        problem = translate(page_locale(request), N_("Choose a CSV or XLSX file first."))
        return _batch_page(request, session, batch_id, status=422, problem=problem)
    limit = get_settings(request).max_upload_mb * 1024 * 1024
    sha = _keep_upload(_upload_dir(request), file.file, limit=limit)
    if sha is None:
        mb = get_settings(request).max_upload_mb
        problem = translate(page_locale(request), N_("This file is larger than %(mb)s MB."), mb=mb)
        return _batch_page(request, session, batch_id, status=413, problem=problem)
    upload = {
        "sha256": sha,
        "filename": file.filename[:255],
        "category": str(form.get("category") or ""),
    }
    try:
        return _check_or_import(request, session, actor, batch_id, upload)
    except DomainError as exc:
        return _batch_page(
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
    sha256: Annotated[str, Form(max_length=64)],
    filename: Annotated[str, Form(max_length=255)],
    category: Annotated[str, Form(max_length=20)] = "",
    skip_invalid: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Import the file checked before; re-sending it registers nothing twice."""
    if not _SHA256.match(sha256) or not (_upload_dir(request) / sha256).is_file():
        problem = translate(
            page_locale(request), N_("This file is no longer here: upload it again.")
        )
        return _batch_page(request, session, batch_id, status=410, problem=problem)
    upload = {
        "sha256": sha256,
        "filename": filename,
        "category": category,
        "confirm": "yes",
        "skip_invalid": skip_invalid,
    }
    try:
        return _check_or_import(request, session, actor, batch_id, upload)
    except DomainError as exc:
        session.rollback()
        return _batch_page(
            request, session, batch_id, status=exc.status, problem=said(request, exc)
        )


@router.get("/intake/imports/{import_id}/refused.csv", response_class=Response)
def refused_csv(
    import_id: IdPath, request: Request, session: SessionDep, _actor: Receiver
) -> Response:
    """The rows an import left out, with why (the API's CSV, for a signed-in volunteer)."""
    return api.refused_response(session, import_id, page_locale(request), get_settings(request))


@router.post("/intake/batches/{batch_id}/close", dependencies=[Csrf], response_class=HTMLResponse)
def close_batch(
    batch_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: BatchManager,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        service.close_batch(session, actor, batch_id=batch_id, comment=comment.strip() or None)
    except DomainError as exc:
        session.rollback()
        return _batch_page(
            request, session, batch_id, status=exc.status, problem=said(request, exc)
        )
    message = translate(page_locale(request), N_("Batch %(id)s closed."), id=batch_id)
    return redirect(f"/intake/batches/{batch_id}", flash=message)


@router.get("/intake/batches/{batch_id}/receipt.pdf", response_class=Response)
def receipt_pdf(
    batch_id: IdPath, request: Request, session: SessionDep, _actor: Reader
) -> Response:
    """The donor's receipt (PDF, in French), as the API gives it."""
    return api.receipt_response(session, batch_id, organisation=get_settings(request).organisation)
