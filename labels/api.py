"""Label routes: a device's label (PNG, ZPL), sheets and rolls of labels, scan-to-open."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from db.bounds import INT32_MAX, RowId
from db.models import Device
from labels import layouts, locations, scan, service
from labels import output as label_files
from labels.layouts import SheetLayout, ThermalLayout
from remise.api.schemas import CatalogueDevice, DeviceRead, device_for
from remise.api.scope import DeviceScope
from remise.auth import Actor, Permission
from remise.deps import SessionDep, WriteSessionDep, get_settings, reading, require
from remise.i18n import translate
from remise.idempotency import IdempotencyDep, fingerprint
from remise.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["labels"])
Printer = Annotated[Actor, Depends(require(Permission.LABELS_PRINT))]
Reader = Annotated[Actor, Depends(require(Permission.DEVICES_READ))]
PlaceReader = Annotated[Actor, Depends(require(Permission.LOCATIONS_READ))]
PlaceManager = Annotated[Actor, Depends(require(Permission.LOCATIONS_MANAGE))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
FormatQuery = Annotated[str, Query(alias="format", max_length=41, description="a label format")]
Preview = Annotated[
    bool, Query(description="render without recording a print (an on-screen preview)")
]
NO_STORE = {"Cache-Control": "no-store"}


class LayoutRead(BaseModel):
    name: str
    kind: str
    description: str
    width_mm: float
    height_mm: float
    dpi: int
    labels_per_sheet: int | None = None


class LabelSelection(BaseModel):
    codes: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=service.MAX_LABELS, description="device codes, in order"
    )
    batch_id: RowId | None = Field(default=None, description="every device of this batch")
    unlabelled_only: bool = Field(default=False, description="skip devices already labelled")


class SheetRequest(LabelSelection):
    format: str = Field(default="a4-3x8", max_length=41)
    start: int = Field(
        default=1, ge=1, le=INT32_MAX, description="position of the first label, 1 = top left"
    )


class RollRequest(LabelSelection):
    format: str = Field(default="thermal-62mm", max_length=41)
    output: label_files.RollOutput = label_files.RollOutput.ZIP


def _layouts(settings: Settings) -> dict[str, layouts.Layout]:
    return layouts.load(settings.label_layouts_file)


def _file(label: label_files.LabelFile, name: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{name}.{label.extension}"', **NO_STORE}
    return Response(label.body, media_type=label.media_type, headers=headers)


@router.get("/labels/layouts", response_model=list[LayoutRead])
def list_layouts(_actor: Printer, settings: SettingsDep) -> list[LayoutRead]:
    """The label formats this installation knows (built-in and the workshop's own)."""
    return [
        LayoutRead(
            **layout.model_dump(include={"name", "kind", "description", "width_mm", "height_mm"}),
            dpi=layout.dpi,
            labels_per_sheet=layout.per_page if isinstance(layout, SheetLayout) else None,
        )
        for layout in _layouts(settings).values()
    ]


def _one_label(
    session: Any, actor: Actor, settings: Settings, code: str, name: str, kind: str, preview: bool
) -> Response:
    layout = layouts.pick(_layouts(settings), name, ThermalLayout)
    assert isinstance(layout, ThermalLayout)
    device = service.device(session, code)
    locale = settings.default_locale
    [content] = service.contents(
        session, [device], locale=locale, translate=lambda m: translate(locale, m)
    )
    label = label_files.single(layout, content, kind)
    if not preview:
        service.record_prints(session, actor, printed=[device], layout=layout.name)
    return _file(label, content.code_display)


@router.get("/devices/{code}/label.png", response_class=Response)
def device_label_png(
    code: str,
    session: WriteSessionDep,
    actor: Printer,
    settings: SettingsDep,
    layout: FormatQuery = "thermal-62mm",
    preview: Preview = False,
) -> Response:
    """The device's label for a roll printer, as a PNG at the printer's resolution.

    Fetching it records a print (`device.labelled` the first time), unless `preview`.
    """
    return _one_label(session, actor, settings, code, layout, "png", preview)


@router.get("/devices/{code}/label.zpl", response_class=Response)
def device_label_zpl(
    code: str,
    session: WriteSessionDep,
    actor: Printer,
    settings: SettingsDep,
    layout: FormatQuery = "thermal-50x25mm",
    preview: Preview = False,
) -> Response:
    """The device's label as ZPL II for a Zebra printer; records a print unless `preview`."""
    return _one_label(session, actor, settings, code, layout, "zpl", preview)


def _contents(session: Any, settings: Settings, found: list[Device]) -> list[Any]:
    locale = settings.default_locale
    return service.contents(session, found, locale=locale, translate=lambda m: translate(locale, m))


def _selected(session: Any, settings: Settings, body: LabelSelection) -> tuple[list[Device], Any]:
    found = service.devices_for(
        session,
        device_codes=body.codes,
        batch_id=body.batch_id,
        unlabelled_only=body.unlabelled_only,
    )
    return found, _contents(session, settings, found)


def _printed(
    session: Any, actor: Actor, body: LabelSelection, found: list[Device], layout: str
) -> str:
    """Record the prints; the file's name."""
    service.record_prints(session, actor, printed=found, layout=layout)
    return f"etiquettes-lot-{body.batch_id}" if body.batch_id is not None else "etiquettes"


@router.post("/labels/sheet", response_class=Response)
def print_sheet(
    body: Annotated[SheetRequest, Body(default_factory=SheetRequest)],
    session: SessionDep,
    actor: Printer,
    settings: SettingsDep,
) -> Response:
    """Sheets of labels (PDF) for label stock, from position `start`; records each print."""
    layout = layouts.pick(_layouts(settings), body.format, SheetLayout)
    assert isinstance(layout, SheetLayout)
    found, contents = _selected(session, settings, body)
    label = label_files.sheet(
        layout, contents, body.start, locale=settings.default_locale, batch_id=body.batch_id
    )
    return _file(label, _printed(session, actor, body, found, layout.name))


@router.post("/labels/roll", response_class=Response)
def print_roll(
    body: Annotated[RollRequest, Body(default_factory=RollRequest)],
    session: SessionDep,
    actor: Printer,
    settings: SettingsDep,
) -> Response:
    """Labels for a roll printer: a zip of PNGs, or one ZPL stream; records each print."""
    layout = layouts.pick(_layouts(settings), body.format, ThermalLayout)
    assert isinstance(layout, ThermalLayout)
    found, contents = _selected(session, settings, body)
    label = label_files.roll(layout, contents, body.output)
    return _file(label, _printed(session, actor, body, found, layout.name))


@router.get("/scan/{text:path}", response_model=DeviceRead | CatalogueDevice)
async def scan_to_open(
    request: Request,
    actor: Reader,
    text: Annotated[str, Path(max_length=200, description="what the scanner typed")],
) -> DeviceRead | CatalogueDevice:
    """The one device a scan names: its code (any case), serial, IMEI or asset tag.

    404 if nothing matches (or the code is mistyped), 409 listing the devices if several do.
    A partner structure finds a device on offer by its code only, and the devices it holds
    also by their serial, IMEI or asset tag; anything else is the 404 of an unknown value.
    """
    found = await reading(request, scan.resolve, text, scope=DeviceScope.of(actor))
    return device_for(actor, found)


@router.get("/locations", response_model=list[locations.LocationRead])
def list_locations(session: SessionDep, _actor: PlaceReader) -> list[locations.LocationRead]:
    """The known shelves and rooms, by name: their labels open a stock-take."""
    return [locations.LocationRead.model_validate(p) for p in locations.all_locations(session)]


@router.post("/locations", response_model=locations.LocationRead, status_code=201)
def create_location(
    body: locations.LocationCreate, session: SessionDep, actor: PlaceManager, idem: IdempotencyDep
) -> Any:
    """Record a shelf or a room; it gets a code `LOC-XXXXX` for its label.

    409 `location_exists` when the name is taken (whatever its case).
    """

    def make() -> locations.LocationRead:
        created = locations.create_location(session, actor, data=body)
        return locations.LocationRead.model_validate(created)

    return idem.once(session, fingerprint(body), make)


@router.get("/locations/{code}", response_model=locations.LocationRead)
def get_location(
    code: Annotated[str, Path(max_length=40, description="`LOC-XXXXX`, any case, dash or not")],
    session: SessionDep,
    _actor: PlaceReader,
) -> locations.LocationRead:
    """One location by its code; 404 if unknown or mistyped (the reason is said)."""
    return locations.LocationRead.model_validate(locations.by_code(session, code))
