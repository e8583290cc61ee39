"""The bench's device page: the device, its history, its checklist, probe results.

Forms post here and come back to the page (303), or show it again with each
problem beside its step or field, nothing saved, when a value does not suit; the
problem is said beside the form that caused it (`problem_at`), where the eye is.
A GET on a form's address (a reloaded error page, a bookmark) leads to the page.
A saved checklist comes back as `?saved=<run>`: its message shows beside the step
the keyboard lands on, and the page's script forgets the answers it kept as a draft.
The storage media's forms (`refurbish.erasure.web`) come back as `?erasure=1`: their
message shows in the media's section.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from db.errors import N_, DomainError
from refurbish import checklist_form, page, photos, service
from refurbish.checklists import MAX_TEXT, Kind
from refurbish.erasure import page as erasure_page
from refurbish.erasure import page_forms
from refurbish.models import COLLECTOR_MAX, COMMENT_MAX, PART_MAX, PARTS_MAX, PartKind
from remise.auth import Actor, Permission
from remise.deps import IdPath, SessionDep, get_settings, reading
from remise.i18n import translate
from remise.pages import (
    FLASH_COOKIE,
    Csrf,
    FormDep,
    page_locale,
    page_require,
    redirect,
    render,
    said,
)

router = APIRouter(include_in_schema=False)
Worker = Annotated[Actor, Depends(page_require(Permission.RUNS_WORK))]
PROBE_EVERY_MS = 3000
# What the page's fields may hold (`maxlength`, and said beside them); the parts field
# holds up to PARTS_MAX lines of a kind, a colon and a description.
LIMITS = {
    "text": MAX_TEXT,
    "comment": COMMENT_MAX,
    "part": PART_MAX,
    "parts_text": PARTS_MAX * (PART_MAX + len("keyboard: \n")),
    "collector": COLLECTOR_MAX,
}


def _translator(request: Request) -> Any:
    locale = page_locale(request)
    return lambda message, **params: translate(locale, message, **params)


def _view(
    connection: Connection, request: Request, code: str, session: Session | None = None
) -> page.DevicePage:
    """What the device page shows, read on `connection` (the runs through `session`)."""
    locale = page_locale(request)
    return page.device_page(connection, code, locale, _translator(request), session=session)


def _page(
    request: Request, view: page.DevicePage, *, status: int = 200, **extra: Any
) -> HTMLResponse:
    context = {
        "page": view,
        "errors": {},
        "typed": {},
        "problem": None,
        "problem_at": None,  # the form beside which `problem` shows: start, checklist, finish
        "blocking": [],
        "finish_errors": {},
        "finish_typed": {},
        "saved_message": "",
        "saved_run": "",
        "limits": LIMITS,
        "part_kinds": list(PartKind),
        "probe_every": PROBE_EVERY_MS,
        # the storage media's forms (refurbish.erasure.web): the one refused, if any
        "erasure_form": None,
        "erasure_errors": {},
        "erasure_typed": {},
        "erasure_focus": None,
        "erasure_message": "",
        "erasure_limits": page_forms.LIMITS,
        "erasure_choices": erasure_page.choices(page_locale(request)),
    }
    return render(request, "refurbish/device.html", context | extra, status=status)


def page_again(request: Request, session: Session, code: str, **extra: Any) -> HTMLResponse:
    """The page shown again by a form that was refused, in its rolled-back session."""
    return _page(request, _view(session.connection(), request, code, session), **extra)


@router.get("/bench/devices/{code}", response_class=HTMLResponse)
async def device(
    code: str, request: Request, _actor: Worker, saved: str = "", erasure: str = ""
) -> Response:
    """The device page of the bench station; after a checklist is saved (`saved`: its
    run), the message shows in the checklist rather than at the top, and after a form
    about its storage media (`erasure`), in their section.

    The volunteer scans one device after another: the page is read on a connection of
    its own in one hop to a thread, with no session, and rendered back on the event
    loop, as FastAPI serialises an API's answer there. Rendering is CPU work, which the
    thread would only do under the same lock as the loop; done there, it lengthened
    every thread's turn and, under 32 clients, cost a sixth more of the server's time
    per page."""
    view = await reading(request, _view, request, code)
    message = unquote(request.cookies.get(FLASH_COOKIE, ""))
    if erasure and message:
        return _page(request, view, flash="", erasure_message=message)
    if not saved:
        return _page(request, view)
    return _page(request, view, flash="", saved_message=message, saved_run=saved)


def _probe(connection: Connection, request: Request, code: str) -> page.ProbeView:
    return page.probe_view(connection, code, _translator(request))


@router.get("/bench/devices/{code}/probe", response_class=HTMLResponse)
async def probe(code: str, request: Request, _actor: Worker) -> Response:
    """The probe results alone, which the device page polls for the station's snapshots."""
    view = await reading(request, _probe, request, code)
    return render(request, "refurbish/probe.html", {"probe": view})


@router.get("/bench/devices/{code}/run")
def start_again(code: str, _actor: Worker) -> Response:
    """A reloaded refusal to start, or a bookmark: the device page."""
    return redirect(f"/bench/devices/{code}")


@router.get("/bench/runs/{run_id}/checklist")
@router.get("/bench/runs/{run_id}/finish")
def back_to_device(run_id: IdPath, session: SessionDep, _actor: Worker) -> Response:
    """A reloaded error page of the checklist or the finish form: the run's device page."""
    return redirect(f"/bench/devices/{page.run_code(session, run_id)}")


@router.post("/bench/devices/{code}/run", dependencies=[Csrf])
def start(
    code: str, request: Request, session: SessionDep, actor: Worker, form: FormDep
) -> Response:
    comment = str(form.get("comment") or "")
    try:
        service.start_run(session, actor, code=code, comment=comment or None)
    except DomainError as exc:
        session.rollback()
        problem = said(request, exc)
        return page_again(
            request, session, code, status=exc.status, problem=problem, problem_at="start"
        )
    return redirect(f"/bench/devices/{code}")  # no #fragment: it would cancel autofocus


def _entries(form: FormData) -> dict[str, checklist_form.Entry]:
    keys = {name.partition(".")[2] for name in form if name.startswith(("step.", "note."))}
    return {
        key: checklist_form.Entry(
            text=str(form.get(f"step.{key}") or ""), note=str(form.get(f"note.{key}") or "")
        )
        for key in keys
    }


def _photos(request: Request, form: FormData, run_id: int) -> dict[str, str]:
    """Photos chosen in the form, kept on disk; their references by step key."""
    kept = {}
    for name, value in form.multi_items():
        if name.startswith("photo.") and isinstance(value, UploadFile) and value.filename:
            data = value.file.read(photos.MAX_PHOTO_BYTES + 1)
            kept[name.partition(".")[2]] = photos.keep(get_settings(request).data_dir, run_id, data)
    return kept


@router.post("/bench/runs/{run_id}/checklist", dependencies=[Csrf])
def save_checklist(
    run_id: IdPath, request: Request, session: SessionDep, actor: Worker, form: FormDep
) -> Response:
    """Save the checklist: every step checked, the changed ones recorded, or none."""
    code = page.run_code(session, run_id)
    entries = _entries(form)
    try:  # a finished run keeps no photo: checked before any is stored
        template = service.template_of_run(session, service.open_run(session, run_id))
        for key, name in _photos(request, form, run_id).items():
            step = template.step(key)
            if step is not None and step.kind == Kind.PHOTO:
                entries[key] = checklist_form.Entry(
                    text=name, note=entries.get(key, checklist_form.Entry()).note
                )
        saved = checklist_form.record_form(
            session, actor, run_id=run_id, entries=entries, data_dir=get_settings(request).data_dir
        )
    except checklist_form.ChecklistInvalid as exc:
        session.rollback()
        typed = {key: entry.text for key, entry in entries.items()}
        return page_again(
            request,
            session,
            code,
            status=422,
            problem=exc.said(page_locale(request)),
            problem_at="checklist",
            errors=exc.extra["errors"],
            typed=typed,
        )
    except DomainError as exc:
        session.rollback()
        problem = said(request, exc)
        return page_again(
            request, session, code, status=exc.status, problem=problem, problem_at="checklist"
        )
    message = translate(page_locale(request), N_("%(count)s steps saved."), count=saved)
    return redirect(f"/bench/devices/{code}?saved={run_id}", flash=message)


@router.post("/bench/runs/{run_id}/finish", dependencies=[Csrf])
def finish(
    run_id: IdPath, request: Request, session: SessionDep, actor: Worker, form: FormDep
) -> Response:
    """Close the run with its outcome; what still blocks it is listed on the page."""
    code = page.run_code(session, run_id)
    typed = {name: str(form.get(name) or "") for name in checklist_form.FINISH_FIELDS}
    try:
        data = checklist_form.finish_data(typed)
        service.finish_run(session, actor, run_id=run_id, data=data)
    except DomainError as exc:
        session.rollback()
        blocking = exc.extra.get("blocking", [])
        return page_again(
            request,
            session,
            code,
            status=exc.status,
            problem=said(request, exc),
            problem_at="finish",
            blocking=[b["key"] for b in blocking],
            finish_errors=exc.extra.get("fields", {}),
            finish_typed=typed,
        )
    message = translate(page_locale(request), N_("Refurbishment finished."))
    return redirect(f"/bench/devices/{code}", flash=message)
