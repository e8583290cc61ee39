"""The storage media's forms of the bench's device page: a medium added by hand, an
erasure recorded by hand, a tool's report uploaded.

Each comes back to the device page (303, its message in the media's section), or shows
the page again with each problem beside its field and what was typed kept, nothing
saved. An uploaded report whose disks cannot be told apart by serial is kept in
`data_dir/uploads` under its SHA-256 (removed with the intake's uploads after
`upload_keep_hours`, or once imported) and the browser is sent to its question
(`refurbish.erasure.import_pages`): the file is never sent again.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from db import codes, devices
from db.errors import N_, DomainError
from db.media import ErasureRecord, MediumState, StorageMedium, media_of, record_state
from refurbish import web as device_pages
from refurbish.erasure import page as wording
from refurbish.erasure import page_forms, reports, service
from refurbish.erasure.api import MAX_REPORT_BYTES
from refurbish.erasure.errors import (
    LevelNotOfMethod,
    MediumKnown,
    MediumNotFound,
    ReportNeedsMatching,
)
from refurbish.erasure.models import ImportAnswer
from remise.auth import Actor, Permission
from remise.deps import SessionDep, get_settings
from remise.i18n import translate
from remise.pages import Csrf, FormDep, page_locale, page_require, redirect, said

router = APIRouter(include_in_schema=False)
Worker = Annotated[Actor, Depends(page_require(Permission.RUNS_WORK))]
UPLOADS = "uploads"  # intake's job removes what stays there past upload_keep_hours
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME_IN_URL = 120
RECORDS_SAID = 4  # an import's message names each record up to this many, else counts

GONE = N_("This report is no longer kept: upload it again.")
CHOOSE_FILE = N_("Choose the report file first: nwipe's log or its PDF.")
TOO_LARGE = N_("This file is larger than %(mb)s MB: it is not an erasure report.")
NO_MEDIA_YET = N_(
    "Device %(device)s has no storage medium yet: add its disks (form below), then import "
    "their report."
)
ALREADY_KNOWN = N_("This device already has a medium with the serial number %(serial)s.")
DONE_WORDS = {
    MediumState.ERASED: N_("%(medium)s: erased and verified, it counts as evidence."),
    MediumState.DESTROYED: N_("%(medium)s: destroyed."),
    MediumState.FAILED: N_("%(medium)s: the erasure failed; erase it again or destroy it."),
    MediumState.UNVERIFIED: N_(
        "%(medium)s: erased without a verification; it counts once erased again with one."
    ),
}


def typed_in(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in names}


def first(errors: dict[str, str], order: tuple[str, ...]) -> str | None:
    return next((name for name in order if name in errors), None)


def back(code: str, message: str) -> Response:
    """To the device page, the message in the media's section."""
    return redirect(f"/bench/devices/{code}?erasure=1", flash=message)


def _refused(
    request: Request,
    session: Session,
    code: str,
    which: str,
    errors: dict[str, str],
    typed: dict[str, str],
    order: tuple[str, ...],
    status: int = 422,
) -> Response:
    """The device page again, the form `which` open with its problems, nothing saved."""
    session.rollback()
    return device_pages.page_again(
        request,
        session,
        code,
        status=status,
        problem=next(iter(errors.values())),  # keeps the keyboard off the other forms
        problem_at="erasure",
        erasure_form=which,
        erasure_errors=errors,
        erasure_typed=typed,
        erasure_focus=first(errors, order),
    )


@router.get("/bench/devices/{code}/media")
@router.get("/bench/devices/{code}/erasures")
@router.get("/bench/devices/{code}/erasures/import")
def back_to_device(code: str, _actor: Worker) -> Response:
    """A form's address opened again (a reloaded refusal, a bookmark): the device page."""
    return redirect(f"/bench/devices/{code}")


@router.post("/bench/devices/{code}/media", dependencies=[Csrf])
def add_medium(
    code: str, request: Request, session: SessionDep, actor: Worker, form: FormDep
) -> Response:
    """Add a medium the probe did not see; refused beside its field, nothing saved."""
    locale = page_locale(request)
    device = devices.by_code(session, code)
    shown = codes.display(device.code)
    typed = typed_in(form, page_forms.MEDIUM_FIELDS)
    entered, errors = page_forms.medium_from_form(locale, typed)
    if entered is not None:
        try:
            medium = service.add_medium(session, actor, device, entered)
        except MediumKnown as exc:
            errors = {"serial": translate(locale, ALREADY_KNOWN, serial=exc.params["serial"])}
    if errors:
        return _refused(request, session, shown, "medium", errors, typed, page_forms.MEDIUM_FIELDS)
    message = N_("Medium added: %(medium)s. Its erasure is still to record.")
    return back(shown, translate(locale, message, medium=wording.medium_name(locale, medium)))


def _recorded(locale: str, session: Session, record: ErasureRecord) -> str:
    medium = session.get(StorageMedium, record.medium_id)
    assert medium is not None
    said_medium = wording.medium_name(locale, medium)
    return translate(locale, DONE_WORDS[record_state(record)], medium=said_medium)


@router.post("/bench/devices/{code}/erasures", dependencies=[Csrf])
def record_erasure(
    code: str, request: Request, session: SessionDep, actor: Worker, form: FormDep
) -> Response:
    """Record an erasure entered by hand (level, method, verification…)."""
    locale = page_locale(request)
    device = devices.by_code(session, code)
    shown = codes.display(device.code)
    typed = typed_in(form, page_forms.RECORD_FIELDS)
    known = [m.id or 0 for m in media_of(session, device.id or 0)]
    entered, errors = page_forms.erasure_from_form(locale, typed, known)
    if entered is not None:
        try:
            record = service.record_erasure(
                session, actor, code=device.code, data=entered, source="page", device=device
            )
        except (LevelNotOfMethod, MediumNotFound) as exc:
            errors = {
                "level" if isinstance(exc, LevelNotOfMethod) else "medium_id": said(request, exc)
            }
    if errors:
        return _refused(request, session, shown, "record", errors, typed, page_forms.RECORD_FIELDS)
    return back(shown, _recorded(locale, session, record))


def uploads(request: Request) -> Path:
    folder: Path = get_settings(request).data_dir / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep(request: Request, data: bytes) -> str:
    """Keep a report for its question page, under its SHA-256; returns it."""
    digest = reports.sha256(data)
    folder = uploads(request)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".report-", delete=False) as out:
        out.write(data)
    os.replace(out.name, folder / digest)
    return digest


def kept(request: Request, sha256: str) -> bytes | None:
    path = uploads(request) / sha256
    if not _SHA256.match(sha256) or not path.is_file():
        return None
    return path.read_bytes()


def imported(locale: str, session: Session, name: str, answer: ImportAnswer) -> str:
    """What an import recorded, said for the device page."""
    if answer.already_recorded:
        message = N_("Report “%(name)s” was imported before: nothing new was recorded.")
        return translate(locale, message, name=name)
    records = [session.get(ErasureRecord, r.id) for r in answer.erasures]
    counted = sum(1 for r in records if r is not None and r.passed)
    message = N_(
        "Report “%(name)s” imported. Erasures recorded: %(count)s; counting as evidence: "
        "%(passed)s."
    )
    said_all = translate(locale, message, name=name, count=len(records), passed=counted)
    if len(records) > RECORDS_SAID:
        return said_all
    return " ".join([said_all, *(_recorded(locale, session, r) for r in records if r is not None)])


def question_url(code: str, sha256: str, name: str) -> str:
    query = urlencode({"name": name[:_NAME_IN_URL]})
    return f"/bench/devices/{code}/erasures/import/{sha256}?{query}"


@router.post("/bench/devices/{code}/erasures/import", dependencies=[Csrf])
def upload_report(
    code: str, request: Request, session: SessionDep, actor: Worker, form: FormDep
) -> Response:
    """Import an uploaded report, or keep it and ask which disk is which medium."""
    locale = page_locale(request)
    device = devices.by_code(session, code)
    shown = codes.display(device.code)

    def refused(message: str, status: int = 422) -> Response:
        errors = {"file": message}
        return _refused(request, session, shown, "import", errors, {}, ("file",), status)

    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return refused(translate(locale, CHOOSE_FILE))
    data = upload.file.read(MAX_REPORT_BYTES + 1)
    if len(data) > MAX_REPORT_BYTES:
        return refused(translate(locale, TOO_LARGE, mb=MAX_REPORT_BYTES // 2**20), 413)
    name = upload.filename[:255]
    try:
        answer = reports.import_report(
            session, actor, code=device.code, data=data, name=name, choices={}
        )
    except ReportNeedsMatching:
        session.rollback()
        if not media_of(session, device.id or 0):
            return refused(translate(locale, NO_MEDIA_YET, device=shown))
        return redirect(question_url(shown, keep(request, data), name))
    except DomainError as exc:
        return refused(said(request, exc), exc.status)
    return back(shown, imported(locale, session, name, answer))
