"""Pages of scanning and printing: the bench's scan field, continuous scanning, labels.

The scan field opens `/bench/devices/{code}`, the device page that refurbishment
serves; printing answers a PDF (sheets), a page that prints itself (roll, PNG)
or a ZPL file, and records each print on the ledger like the API does.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from db import codes
from db.bounds import RowId
from db.enums import Status
from db.errors import DomainError
from db.models import Device
from labels import layouts, scan, service, stocktake
from labels import output as label_files
from labels.layouts import SheetLayout, ThermalLayout
from remise.auth import Actor, Permission
from remise.deps import IdForm, SessionDep, get_settings
from remise.i18n import localise, translate
from remise.pages import Csrf, page_locale, page_require, redirect, render, safe_next, said
from remise.settings import Settings

router = APIRouter(include_in_schema=False)
Scanner = Annotated[Actor, Depends(page_require(Permission.RUNS_WORK))]
Printer = Annotated[Actor, Depends(page_require(Permission.LABELS_PRINT))]
AT_BENCH = 20


def layout_choices(settings: Settings) -> dict[str, list[layouts.Layout]]:
    """The label formats, thermal and sheet, for the print forms of every page."""
    found = layouts.load(settings.label_layouts_file).values()
    return {
        "thermal": [f for f in found if isinstance(f, ThermalLayout)],
        "sheet": [f for f in found if isinstance(f, SheetLayout)],
    }


def _at_bench(session: Session) -> list[Device]:
    query = select(Device).where(col(Device.status) == Status.IN_REFURBISHMENT.value)
    return list(session.exec(query.order_by(col(Device.id).desc()).limit(AT_BENCH)).all())


def _bench(request: Request, session: Session, **context: Any) -> HTMLResponse:
    status = context.pop("status", 200)
    context = {"error": None, "matches": [], "at_bench": _at_bench(session)} | context
    return render(request, "labels/bench.html", context, status=status)


@router.get("/bench", response_class=HTMLResponse)
def bench(request: Request, session: SessionDep, _actor: Scanner) -> Response:
    """The bench station: one scan field, always focused."""
    return _bench(request, session)


@router.get("/bench/scan", response_class=HTMLResponse)
def scan_to_open(
    request: Request,
    session: SessionDep,
    _actor: Scanner,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Open the device a scan names; otherwise say why, on the same page, ready to rescan."""
    try:
        device = scan.resolve(session, q)
    except scan.AmbiguousScan as exc:
        matches = exc.extra["matches"]
        return _bench(request, session, error=said(request, exc), matches=matches, status=409)
    except DomainError as exc:
        return _bench(request, session, error=said(request, exc), status=exc.status)
    return redirect(f"/bench/devices/{codes.display(device.code)}")


@router.get("/bench/continuous", response_class=HTMLResponse)
def continuous(request: Request, _actor: Scanner) -> Response:
    """Reception or stock-take: a batch or a shelf first, then device after device."""
    return render(request, "labels/continuous.html")


class ScanIn(BaseModel):
    text: str = Field(max_length=200)
    batch_id: RowId | None = None
    shelf: str | None = Field(default=None, max_length=200)
    already: list[Annotated[str, Field(max_length=20)]] = Field(
        default_factory=list, max_length=stocktake.MAX_EXPECTED
    )


@router.post("/bench/continuous/scan", dependencies=[Csrf])
def continuous_scan(
    body: ScanIn, request: Request, session: SessionDep, actor: Scanner
) -> JSONResponse:
    """One scan of the continuous mode, answered in JSON for the page's script."""
    locale = page_locale(request)
    try:
        if body.batch_id is None and body.shelf is None:
            opened = stocktake.open_context(session, body.text)
            return JSONResponse(
                {
                    "kind": "context",
                    "batch_id": opened.context.batch_id,
                    "shelf": opened.context.shelf,
                    "title": localise(locale, opened.title),
                    "expected": opened.expected,
                }
            )
        context = stocktake.Context(batch_id=body.batch_id, shelf=body.shelf)
        seen = stocktake.record_seen(
            session, actor, context=context, text=body.text, already=set(body.already)
        )
    except DomainError as exc:
        return JSONResponse({"kind": "error", "message": said(request, exc)}, exc.status)
    return JSONResponse(
        {
            "kind": "seen" if seen.ok else "set_aside",
            "code": seen.code,
            "message": localise(locale, seen.message),
        }
    )


@router.get("/labels/devices/{code}/preview.png", response_class=Response)
def preview(
    code: str,
    session: SessionDep,
    _actor: Printer,
    request: Request,
    format: Annotated[str, Query(max_length=41)] = "thermal-62mm",
) -> Response:
    """A label as it will print, for the screen: no print is recorded."""
    settings = get_settings(request)
    layout = layouts.pick(layouts.load(settings.label_layouts_file), format, ThermalLayout)
    assert isinstance(layout, ThermalLayout)
    [content] = _contents(session, settings, [service.device(session, code)])
    label = label_files.single(layout, content, "png")
    return Response(label.body, media_type="image/png", headers={"Cache-Control": "no-store"})


def _contents(session: Session, settings: Settings, found: list[Device]) -> list[Any]:
    locale = settings.default_locale  # labels speak the workshop's language, not the user's
    return service.contents(session, found, locale=locale, translate=lambda m: translate(locale, m))


@router.post("/labels/print", dependencies=[Csrf], response_model=None)
def print_labels(
    request: Request,
    session: SessionDep,
    actor: Printer,
    format: Annotated[str, Form(max_length=41)],
    back: Annotated[str, Form(max_length=2000)] = "/bench",
    codes_text: Annotated[str, Form(alias="codes", max_length=20000)] = "",
    batch_id: IdForm = None,
    start: Annotated[int, Form(ge=1, le=200)] = 1,
    output: Annotated[str, Form(max_length=8)] = "png",
    unlabelled_only: Annotated[bool, Form()] = False,
) -> Response:
    """Print labels: a PDF of sheets, a page that prints roll labels itself, or ZPL."""
    settings = get_settings(request)
    wanted = [c for c in codes_text.replace(",", " ").split() if c]
    try:
        layout = layouts.pick(layouts.load(settings.label_layouts_file), format)
        found = service.devices_for(
            session, device_codes=wanted, batch_id=batch_id, unlabelled_only=unlabelled_only
        )
        contents = _contents(session, settings, found)
        if isinstance(layout, SheetLayout):
            label = label_files.sheet(layout, contents, start)
        elif output == "zpl":
            label = label_files.roll(layout, contents, label_files.RollOutput.ZPL)
        else:
            label = None
    except DomainError as exc:
        session.rollback()
        return redirect(safe_next(back, "/bench"), flash=said(request, exc))
    service.record_prints(session, actor, printed=found, layout=layout.name)
    if label is None:
        assert isinstance(layout, ThermalLayout)
        images = [
            base64.b64encode(label_files.single(layout, c, "png").body).decode() for c in contents
        ]
        pairs = zip(contents, images, strict=True)
        context = {"layout": layout, "labels": pairs, "back": safe_next(back, "/bench")}
        return render(request, "labels/print.html", context)
    name = f"etiquettes-lot-{batch_id}" if batch_id is not None else "etiquettes"
    disposition = "inline" if label.extension == "pdf" else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{name}.{label.extension}"'}
    return Response(label.body, media_type=label.media_type, headers=headers)
