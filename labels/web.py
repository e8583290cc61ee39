"""Pages of scanning and printing: the bench's scan field, continuous scanning, labels.

The scan field opens `/bench/devices/{code}`, the device page that refurbishment
serves; printing answers a PDF (sheets), a page that prints itself (roll, PNG)
or a ZPL file, and records each print on the ledger like the API does.
"""

from __future__ import annotations

import base64
import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, col, select

from db import codes
from db.bounds import RowId
from db.enums import Status
from db.errors import N_, DomainError
from db.models import Device
from labels import layouts, locations, scan, service, stocktake
from labels import output as label_files
from labels.layouts import SheetLayout, ThermalLayout
from remise import i18n
from remise.auth import Actor, Permission
from remise.deps import IdForm, SessionDep, get_settings
from remise.i18n import localise, translate
from remise.pages import (
    Csrf,
    FormDep,
    form_errors,
    page_locale,
    page_require,
    redirect,
    render,
    safe_next,
    said,
)
from remise.settings import Settings

router = APIRouter(include_in_schema=False)
Scanner = Annotated[Actor, Depends(page_require(Permission.RUNS_WORK))]
Printer = Annotated[Actor, Depends(page_require(Permission.LABELS_PRINT))]
PlaceReader = Annotated[Actor, Depends(page_require(Permission.LOCATIONS_READ))]
PlaceManager = Annotated[Actor, Depends(page_require(Permission.LOCATIONS_MANAGE))]
AT_BENCH = 20


def layout_choices(settings: Settings) -> dict[str, list[layouts.Layout]]:
    """The label formats, thermal and sheet, for the print forms of every page."""
    found = layouts.load(settings.label_layouts_file).values()
    return {
        "thermal": [f for f in found if isinstance(f, ThermalLayout)],
        "sheet": [f for f in found if isinstance(f, SheetLayout)],
    }


@functools.lru_cache(maxsize=512)
def layout_size(layout: layouts.Layout, locale: str) -> str:
    """How a print form names a layout's size, in `locale`: each page with a print form
    names every layout, so each is worded once per language (a layout is immutable)."""
    width, height = i18n.number(locale, layout.width_mm), i18n.number(locale, layout.height_mm)
    if isinstance(layout, SheetLayout):
        text = translate(
            locale,
            N_("%(columns)s × %(rows)s labels of %(width)s × %(height)s mm"),
            **{"columns": layout.columns, "rows": layout.rows, "width": width, "height": height},
        )
    else:
        text = translate(
            locale,
            N_("%(width)s × %(height)s mm, %(dpi)s dpi"),
            width=width,
            height=height,
            dpi=layout.dpi,
        )
    if layout.description:
        text += f" ({i18n.localise(locale, layout.shown_description)})"
    return text


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
    """Reception or stock-take: a batch or a location label first, then device after device."""
    return render(request, "labels/continuous.html")


class ScanIn(BaseModel):
    text: str = Field(max_length=200)
    batch_id: RowId | None = None
    location: str | None = Field(default=None, max_length=40, description="its LOC-… code")
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
        if body.batch_id is None and body.location is None:
            opened = stocktake.open_context(session, body.text)
            return JSONResponse(
                {
                    "kind": "context",
                    "batch_id": opened.context.batch_id,
                    "location": opened.context.location_code,
                    "title": localise(locale, opened.title),
                    "expected": opened.expected,
                }
            )
        context = stocktake.context_for(
            session, batch_id=body.batch_id, location_code=body.location
        )
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


def _roll_page(
    request: Request, layout: layouts.Layout, contents: list[Any], back: str
) -> HTMLResponse:
    """A page that prints roll labels itself, from the browser, then offers `back`."""
    assert isinstance(layout, ThermalLayout)
    images = [
        base64.b64encode(label_files.single(layout, c, "png").body).decode() for c in contents
    ]
    pairs = zip(contents, images, strict=True)
    return render(request, "labels/print.html", {"layout": layout, "labels": pairs, "back": back})


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
            label = label_files.sheet(
                layout, contents, start, locale=settings.default_locale, batch_id=batch_id
            )
        elif output == "zpl":
            label = label_files.roll(layout, contents, label_files.RollOutput.ZPL)
        else:
            label = None
    except DomainError as exc:
        session.rollback()
        return redirect(safe_next(back, "/bench"), flash=said(request, exc))
    service.record_prints(session, actor, printed=found, layout=layout.name)
    if label is None:
        return _roll_page(request, layout, contents, safe_next(back, "/bench"))
    name = f"etiquettes-lot-{batch_id}" if batch_id is not None else "etiquettes"
    disposition = "inline" if label.extension == "pdf" else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{name}.{label.extension}"'}
    return Response(label.body, media_type=label.media_type, headers=headers)


NAME_NEEDED = N_("A location needs a name of 1 to 200 characters.")


class NoLocationChosen(service.NothingToPrint):
    code = "no_location_chosen"
    message = N_("Tick at least one location whose label to print.")


def _locations_page(request: Request, session: Session, **context: Any) -> HTMLResponse:
    status = context.pop("status", 200)
    context = {
        "places": locations.all_locations(session),
        "counts": locations.device_counts(session),
        "kinds": locations.KIND_LABELS,
        "values": {},
        "errors": {},
    } | context
    return render(request, "labels/locations.html", context, status=status)


@router.get("/locations", response_class=HTMLResponse)
def locations_page(request: Request, session: SessionDep, _actor: PlaceReader) -> Response:
    """The shelves and rooms, a form to add one (coordinators), and their labels to print."""
    return _locations_page(request, session)


@router.get("/locations/{code}", response_class=HTMLResponse)
def location_page(
    code: str, request: Request, session: SessionDep, _actor: PlaceReader
) -> Response:
    """One location: its code, and the devices kept there (the first ones, by code)."""
    place = locations.by_code(session, code)
    devices, total = locations.devices_at(session, place.name)
    context = {"place": place, "devices": devices, "total": total, "kinds": locations.KIND_LABELS}
    return render(request, "labels/location.html", context)


@router.post("/locations", dependencies=[Csrf], response_class=HTMLResponse)
def create_location(
    request: Request,
    session: SessionDep,
    actor: PlaceManager,
    name: Annotated[str, Form(max_length=1000)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Add a location; its problem is shown beside the field, what was typed kept."""
    values = {"name": name, "kind": kind}
    locale = page_locale(request)
    try:
        data = locations.LocationCreate.model_validate({"name": name, "kind": kind or None})
        created = locations.create_location(session, actor, data=data)
    except ValidationError as exc:
        errors = form_errors(locale, exc)
        if "name" in errors:
            errors["name"] = translate(locale, NAME_NEEDED)
        return _locations_page(request, session, values=values, errors=errors, status=422)
    except locations.LocationExists as exc:
        errors = {"name": said(request, exc)}
        return _locations_page(request, session, values=values, errors=errors, status=409)
    message = translate(
        locale, N_("Location “%(name)s” created: %(code)s."), name=created.name, code=created.code
    )
    return redirect("/locations", flash=message)


@router.post("/locations/print", dependencies=[Csrf], response_model=None)
def print_location_labels(
    request: Request, session: SessionDep, _actor: Printer, form: FormDep
) -> Response:
    """The ticked locations' labels: a PDF of sheets, a page that prints rolls, or ZPL."""
    settings = get_settings(request)
    chosen = [str(c)[:40] for c in form.getlist("codes")][: service.MAX_LABELS]
    output = str(form.get("output", "png"))
    try:
        layout = layouts.pick(layouts.load(settings.label_layouts_file), str(form.get("format")))
        found = [locations.by_code(session, code) for code in chosen]
        if not found:
            raise NoLocationChosen()
        locale = settings.default_locale  # labels speak the workshop's language
        contents = locations.label_contents(found, translate=lambda m: translate(locale, m))
        if isinstance(layout, SheetLayout):
            label = label_files.sheet(layout, contents, 1, locale=locale)
        elif output == "zpl":
            label = label_files.roll(layout, contents, label_files.RollOutput.ZPL)
        else:
            return _roll_page(request, layout, contents, "/locations")
    except DomainError as exc:
        return _locations_page(request, session, errors={"print": said(request, exc)}, status=422)
    disposition = "inline" if label.extension == "pdf" else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="emplacements.{label.extension}"'}
    return Response(label.body, media_type=label.media_type, headers=headers)
