"""The question an uploaded report asks when nwipe printed no serial to match its disks
by: which medium of the device each disk is.

The report stays kept (`device_forms.keep`); the question page reads it again each time
it is shown, writes nothing, and can be reloaded; the answer imports it with the
choices, all or nothing, then goes back (303) to the device page saying what was
recorded, or shows the question again with the problem beside the disk it is about.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db import codes, devices
from db.enums import STATUS_LABELS, Status
from db.errors import N_, DomainError
from db.media import StorageMedium, media_of
from db.models import Device
from refurbish.erasure import nwipe, reports, service
from refurbish.erasure import page as wording
from refurbish.erasure.device_forms import GONE, Worker, back, imported, kept, uploads
from refurbish.erasure.errors import (
    BadMatching,
)
from remise.deps import SessionDep
from remise.i18n import translate
from remise.pages import Csrf, FormDep, page_locale, render, said

router = APIRouter(include_in_schema=False)
CHOOSE_DRIVE = N_("Choose the medium this disk is.")
OTHER_SIZE = N_("This disk holds %(drive)s and the medium chosen %(medium)s: it is another disk.")
OTHER_SERIAL = N_(
    "This disk's serial number is %(drive)s and the medium chosen has %(medium)s: it is "
    "another disk."
)
CHOSEN_TWICE = N_("This medium is already chosen for disk %(drive)s: each disk is another medium.")

SERIAL_WORDS = {
    "empty": N_("printed empty"),
    "garbled": N_("unreadable (garbled bytes)"),
    "anonymised": N_("hidden by nwipe's -q option"),
}
DRIVE_WORDS = {"erased": N_("erased"), "failed": N_("failed"), "aborted": N_("aborted")}


def _question(
    request: Request,
    session: Session,
    device: Device,
    sha256: str,
    name: str,
    report: nwipe.Report,
    *,
    picked: dict[str, str],
    errors: dict[str, str],
    problem: str | None = None,
    status: int = 200,
) -> Response:
    """Which medium each disk of the report is: a choice per disk, the device's media."""
    locale = page_locale(request)
    media = list(media_of(session, device.id or 0))
    drives = []
    for position, drive in enumerate(d for d in report.drives if not d.verify_only):
        key = reports.drive_key(drive, position)
        by_serial = next(
            (
                m
                for m in media
                if drive.serial_state == "ok" and service.same_serial(m.serial, drive.serial)
            ),
            None,
        )
        chosen = picked.get(key, str(by_serial.id) if by_serial else "")
        serial = drive.serial if drive.serial_state == "ok" else None
        drives.append(
            {
                "key": key,
                "model": drive.model or "—",
                "serial": serial,
                "serial_state": wording.words(locale, SERIAL_WORDS, drive.serial_state),
                "serial_printed": drive.serial_printed,
                "size": wording.bytes_text(locale, drive.size_bytes),
                "status": wording.words(locale, DRIVE_WORDS, drive.status),
                "pattern": wording.words(locale, wording.PATTERN_WORDS, drive.method)
                if drive.method
                else "—",
                "chosen": chosen,
                "by_serial": by_serial is not None,
            }
        )
    options = [
        (
            str(m.id),
            f"{wording.medium_name(locale, m)} · {wording.bytes_text(locale, m.size_bytes)}",
        )
        for m in media
    ]
    context = {
        "device": {
            "code": codes.display(device.code),
            "name": " ".join(p for p in (device.brand, device.model) if p),
            "status": translate(locale, STATUS_LABELS[Status(device.status)]),
        },
        "report": {
            "name": name,
            "sha256": sha256,
            "tool": " ".join(p for p in (report.tool, report.version) if p),
        },
        "drives": drives,
        "options": options,
        "errors": errors,
        "problem": problem,
        "focus": next((d["key"] for d in drives if d["key"] in errors), None),
    }
    return render(request, "refurbish/erasure/question.html", context, status=status)


def _kept_report(request: Request, sha256: str, name: str) -> nwipe.Report | None:
    data = kept(request, sha256)
    if data is None:
        return None
    try:
        return reports.parse(data, name)
    except DomainError:
        return None


@router.get("/bench/devices/{code}/erasures/import/{sha256}", response_class=HTMLResponse)
def question_page(
    code: str,
    sha256: str,
    request: Request,
    session: SessionDep,
    _actor: Worker,
    name: Annotated[str, Query(max_length=255)] = "",
) -> Response:
    """The question about a kept report: read again each time, nothing written."""
    device = devices.by_code(session, code)
    report = _kept_report(request, sha256, name)
    if report is None:
        return back(codes.display(device.code), translate(page_locale(request), GONE))
    return _question(request, session, device, sha256, name, report, picked={}, errors={})


def _disagreement(
    locale: str,
    session: Session,
    report: nwipe.Report,
    keys: list[str],
    key: str,
    picked: dict[str, str],
    refused: DomainError,
) -> str:
    """Why the import refused the medium chosen for disk `key`, in the page's words: its
    size or serial number is not the disk's (the import decided; this only says it)."""
    drive = [d for d in report.drives if not d.verify_only][keys.index(key)]
    medium = session.get(StorageMedium, int(picked[key]))
    if medium is not None and not reports.same_size(drive.size_bytes, medium):
        return translate(
            locale,
            OTHER_SIZE,
            drive=wording.bytes_text(locale, drive.size_bytes),
            medium=wording.bytes_text(locale, medium.size_bytes),
        )
    if medium is not None and drive.serial_state == "ok" and medium.serial:
        return translate(locale, OTHER_SERIAL, drive=drive.serial, medium=medium.serial)
    return translate(locale, refused.template, **refused.params)


@router.post("/bench/devices/{code}/erasures/import/{sha256}", dependencies=[Csrf])
def answer_question(
    code: str,
    sha256: str,
    request: Request,
    session: SessionDep,
    actor: Worker,
    form: FormDep,
) -> Response:
    """Import the kept report with the media chosen for its disks; refused beside the
    disk it is about, the choices kept."""
    locale = page_locale(request)
    device = devices.by_code(session, code)
    shown = codes.display(device.code)
    name = str(form.get("name") or "report")[:255]
    report, data = _kept_report(request, sha256, name), kept(request, sha256)
    if report is None or data is None:
        return back(shown, translate(locale, GONE))
    keys = [
        reports.drive_key(d, i) for i, d in enumerate(d for d in report.drives if not d.verify_only)
    ]
    picked = {key: str(form.get(f"medium.{key}") or "") for key in keys}
    errors: dict[str, str] = {}
    first_of: dict[str, str] = {}
    for key in keys:
        if not picked[key].isdigit():
            errors[key] = translate(locale, CHOOSE_DRIVE)
        elif picked[key] in first_of:
            errors[key] = translate(locale, CHOSEN_TWICE, drive=first_of[picked[key]])
        else:
            first_of[picked[key]] = key
    problem = None
    if not errors:
        try:
            answer = reports.import_report(
                session,
                actor,
                code=device.code,
                data=data,
                name=name,
                choices={key: int(value) for key, value in picked.items()},
            )
        except BadMatching as exc:
            drive = str(exc.params.get("given", "")).partition(":")[0]
            if drive in keys:
                errors = {drive: _disagreement(locale, session, report, keys, drive, picked, exc)}
            else:
                problem = said(request, exc)
        except DomainError as exc:
            problem = said(request, exc)
    if errors or problem:
        session.rollback()
        return _question(
            request,
            session,
            device,
            sha256,
            name,
            report,
            picked=picked,
            errors=errors,
            problem=problem,
            status=422,
        )
    (uploads(request) / sha256).unlink(missing_ok=True)
    return back(shown, imported(locale, session, name, answer))
