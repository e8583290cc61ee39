"""`remise labels …`: print a batch's labels, list the label formats, resolve a scan."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from db import codes
from db.engine import transaction
from db.errors import N_, DomainError
from db.models import LocationKind
from labels import layouts, locations, output, scan, service
from labels.content import LabelContent
from labels.layouts import SheetLayout, ThermalLayout
from remise.auth import system_actor
from remise.i18n import localise, translate
from remise.runtime import engine_for
from remise.settings import Settings

app = typer.Typer(help="Labels: print them, list formats, resolve a scan.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _fail(exc: DomainError, locale: str) -> typer.Exit:
    err.print(translate(locale, exc.template, **exc.params))
    return typer.Exit(1)


def _write(label: output.LabelFile, target: Path, layout: layouts.Layout) -> None:
    target.write_bytes(label.body)
    out.print(f"{layout.name}: written to {target}")


def _write_each(layout: ThermalLayout, contents: list[LabelContent], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for content in contents:
        label = output.single(layout, content, output.RollOutput.ZIP)
        (folder / f"{content.code_display}.png").write_bytes(label.body)
    out.print(f"{layout.name}: {len(contents)} PNG files written to {folder}/")


def _render(
    layout: layouts.Layout,
    contents: list[LabelContent],
    target: Path,
    start: int,
    *,
    locale: str,
    batch_id: int | None,
) -> None:
    if isinstance(layout, SheetLayout):
        _write(
            output.sheet(layout, contents, start, locale=locale, batch_id=batch_id), target, layout
        )
    elif target.suffix.lower() == ".zip":
        _write(output.roll(layout, contents, output.RollOutput.ZIP), target, layout)
    elif target.suffix.lower() == ".zpl":
        _write(output.roll(layout, contents, output.RollOutput.ZPL), target, layout)
    else:
        _write_each(layout, contents, target)


@app.command("print")
def print_command(
    output_path: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="a .pdf for sheets; for thermal formats a .zip, a .zpl or a folder of PNGs",
        ),
    ],
    batch: Annotated[int | None, typer.Option(help="every device of this batch")] = None,
    code: Annotated[list[str] | None, typer.Option(help="a device code (repeatable)")] = None,
    label_format: Annotated[
        str, typer.Option("--format", help="see `remise labels layouts`")
    ] = "a4-3x8",
    start: Annotated[int, typer.Option(help="sheet position of the first label, 1 = top left")] = 1,
    unlabelled: Annotated[bool, typer.Option(help="only devices that have no label yet")] = False,
    location: Annotated[
        list[str] | None,
        typer.Option(help="a location's code or name (repeatable, or comma-separated)"),
    ] = None,
) -> None:
    """Print labels for a batch, for devices by code or for locations; record device prints."""
    settings = Settings()
    locale = settings.default_locale
    actor = system_actor(f"cli:{getpass.getuser()}")
    try:
        engine = engine_for(settings)
        layout = layouts.pick(layouts.load(settings.label_layouts_file), label_format)
        with transaction(engine) as session:
            places = _locations(session, location or [], locale)
            found = []
            if code or batch is not None or not places:
                found = service.devices_for(
                    session, device_codes=code or [], batch_id=batch, unlabelled_only=unlabelled
                )
            contents = service.contents(
                session, found, locale=locale, translate=lambda m: translate(locale, m)
            )
            contents += places
            _render(layout, contents, output_path, start, locale=locale, batch_id=batch)
            printed = service.record_prints(session, actor, printed=found, layout=layout.name)
    except DomainError as exc:
        raise _fail(exc, locale) from exc
    out.print(f"{printed.labelled} labelled for the first time, {printed.reprinted} reprinted.")


def _locations(session: Session, wanted: list[str], locale: str) -> list[LabelContent]:
    """The labels of the locations named by code or name, `--location` given any way."""
    names = [part.strip() for item in wanted for part in item.split(",") if part.strip()]
    found = [locations.find(session, name) for name in names]
    return locations.label_contents(found, translate=lambda m: translate(locale, m))


@app.command("layouts")
def layouts_command() -> None:
    """List the label formats: built-in ones and the workshop's own file."""
    settings = Settings()
    try:
        known = layouts.load(settings.label_layouts_file)
    except DomainError as exc:
        raise _fail(exc, settings.default_locale) from exc
    table = Table(title=f"Label formats (extra file: {settings.label_layouts_file})")
    for column in ("name", "kind", "size", "dpi", "description"):
        table.add_column(column)
    for layout in known.values():
        size = f"{layout.width_mm:g} × {layout.height_mm:g} mm"
        if isinstance(layout, SheetLayout):
            size += f", {layout.columns} × {layout.rows} a sheet"
        described = str(localise(settings.default_locale, layout.shown_description))
        table.add_row(layout.name, layout.kind, size, str(layout.dpi), described)
    out.print(table)


@app.command("scan")
def scan_command(text: Annotated[str, typer.Argument(help="what the scanner typed")]) -> None:
    """Resolve a scan (code, serial, IMEI, asset tag) to one device."""
    settings = Settings()
    try:
        engine = engine_for(settings)
        with transaction(engine, read_only=True) as session:
            device = scan.resolve(session, text)
    except DomainError as exc:
        raise _fail(exc, settings.default_locale) from exc
    out.print(
        f"{codes.display(device.code)}  {device.category}  {device.brand or ''} "
        f"{device.model or ''}  serial {device.serial or '—'}  {device.status}"
    )


location_app = typer.Typer(help="Locations: the shelves and rooms, with LOC-… labels.")


@location_app.command("create")
def location_create(
    name: Annotated[str, typer.Argument(help="what people read, e.g. « Étagère A1 »")],
    kind: Annotated[LocationKind | None, typer.Option(help="a shelf or a room")] = None,
) -> None:
    """Record a location; prints its new code (`LOC-XXXXX`) alone on a line."""
    settings = Settings()
    actor = system_actor(f"cli:{getpass.getuser()}")
    try:
        data = locations.LocationCreate(name=name, kind=kind)
    except ValidationError as exc:
        err.print(
            translate(
                settings.default_locale, N_("A location needs a name of 1 to 200 characters.")
            )
        )
        raise typer.Exit(1) from exc
    try:
        with transaction(engine_for(settings)) as session:
            created = locations.create_location(session, actor, data=data)
            code = created.code
    except DomainError as exc:
        raise _fail(exc, settings.default_locale) from exc
    out.print(code)


@location_app.command("list")
def location_list() -> None:
    """List the locations: code, kind, name, devices there."""
    settings = Settings()
    try:
        with transaction(engine_for(settings), read_only=True) as session:
            rows = [(p.code, p.kind or "", p.name) for p in locations.all_locations(session)]
            counts = locations.device_counts(session)
    except DomainError as exc:
        raise _fail(exc, settings.default_locale) from exc
    table = Table(title="Locations")
    for column in ("code", "kind", "name", "devices"):
        table.add_column(column)
    for code, kind, name in rows:
        table.add_row(code, kind, name, str(counts.get(name, 0)))
    out.print(table)
