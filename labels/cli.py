"""`remise labels …`: print a batch's labels, list the label formats, resolve a scan."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from db import codes
from db.engine import transaction
from db.errors import DomainError
from labels import layouts, output, scan, service
from labels.content import LabelContent
from labels.layouts import SheetLayout, ThermalLayout
from remise.auth import system_actor
from remise.i18n import translate
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


def _render(layout: layouts.Layout, contents: list[LabelContent], target: Path, start: int) -> None:
    if isinstance(layout, SheetLayout):
        _write(output.sheet(layout, contents, start), target, layout)
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
) -> None:
    """Print labels for a batch or for devices by code, and record the prints."""
    settings = Settings()
    locale = settings.default_locale
    actor = system_actor(f"cli:{getpass.getuser()}")
    try:
        engine = engine_for(settings)
        layout = layouts.pick(layouts.load(settings.label_layouts_file), label_format)
        with transaction(engine) as session:
            found = service.devices_for(
                session, device_codes=code or [], batch_id=batch, unlabelled_only=unlabelled
            )
            contents = service.contents(
                session, found, locale=locale, translate=lambda m: translate(locale, m)
            )
            _render(layout, contents, output_path, start)
            printed = service.record_prints(session, actor, printed=found, layout=layout.name)
    except DomainError as exc:
        raise _fail(exc, locale) from exc
    out.print(f"{printed.labelled} labelled for the first time, {printed.reprinted} reprinted.")


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
        table.add_row(layout.name, layout.kind, size, str(layout.dpi), layout.description)
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
