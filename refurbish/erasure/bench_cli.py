"""`remise bench erase` and `remise bench verify-wipe`: erasing a disk at the bench.

`erase` runs nwipe on the one disk the volunteer names and confirms, then records
nwipe's log as the disk's erasure evidence (on the server with --upload, else in the
local database). `verify-wipe` reads a disk or an image and says whether it holds the
pattern an erasure leaves. Both refuse, with status 2, what is not a whole disk, the
disk this computer runs from and any disk in use.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from db.errors import N_
from refurbish.erasure import disks, nwipe_run, verify_wipe
from refurbish.hardware.summary import size
from remise.i18n import translate, translate_plural
from remise.settings import Settings

app = typer.Typer(help="Erase a disk with nwipe and record it; check an erased disk.")
out = Console()
err = Console(stderr=True)
REFUSED = 2
FAILED = 1
SHOWN_FAILURES = 10
MEDIUM = re.compile(r"^[^:\s]+:\d+$")
Translate = Callable[..., str]


class Method(StrEnum):
    zero = "zero"
    one = "one"
    random = "random"
    dodshort = "dodshort"


class Verify(StrEnum):
    last = "last"
    all = "all"


class Pattern(StrEnum):
    zero = "zero"
    one = "one"
    random = "random"


def _translator() -> Translate:
    locale = Settings().default_locale
    return lambda message, **params: translate(locale, message, **params)


def _plural_translator() -> Callable[..., str]:
    locale = Settings().default_locale
    return lambda singular, plural, count, **params: translate_plural(
        locale, singular, plural, count, **params
    )


def _say(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _refused(exc: disks.DiskRefused, _: Translate) -> typer.Exit:
    _say(err, _(exc.template, **exc.params))
    return typer.Exit(REFUSED)


def _contents(disk: disks.Disk, _: Translate) -> list[str]:
    def named(path: str) -> str:
        found = verify_wipe.head_signatures(path)
        return ", ".join(f"{s.name} ({_(s.kind)})" for s in found) or _("nothing recognised")

    lines = [named(disk.node)]
    for part in disk.partitions:
        lines.append(f"{part.name} {size(part.size_bytes)}: {named(part.node)}")
    return lines


def _show(disk: disks.Disk, _: Translate) -> None:
    removable = _("removable")
    rows = [
        (_("Disk"), f"{disk.name} ({disk.node})"),
        (_("Model"), " ".join(p for p in (disk.vendor, disk.model) if p) or "?"),
        (_("Size"), f"{size(disk.size_bytes)} ({disk.size_bytes} B)"),
        (_("Serial number"), disk.serial or _("none reported")),
        (_("Connection"), ", ".join([disk.bus or "?", *([removable] if disk.removable else [])])),
    ]
    if disk.backing_file:
        rows.append((_("Image file"), disk.backing_file))
    contents = _contents(disk, _)
    rows.append((_("On it"), contents[0]))
    rows.extend(("", line) for line in contents[1:])
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        _say(out, f"  {label.ljust(width)}  {value}")


def _confirm(disk: disks.Disk, answer: str | None, _: Translate) -> None:
    if answer is None:
        question = (
            _(
                "To erase %(name)s, type the last four characters of its serial number, "
                "as printed on the disk's label",
                name=disk.name,
            )
            if disk.serial
            else _(
                "%(name)s reports no serial number: type its name (%(name)s) to erase it",
                name=disk.name,
            )
        )
        try:
            answer = typer.prompt(question, default="", show_default=False)
        except click.exceptions.Abort:
            answer = ""
    if not disk.confirmed_by(answer):
        _say(err, _("Not confirmed: %(name)s was not erased, nothing was written.", name=disk.name))
        raise typer.Exit(REFUSED)


def _check_options(
    upload_to: str | None, token: str | None, media: list[str], log: Path | None
) -> None:
    _ = _translator()
    if upload_to and not token:
        _say(err, _("--upload needs --token"))
        raise typer.Exit(REFUSED)
    for medium in media:
        if not MEDIUM.match(medium):
            _say(
                err,
                _("--medium takes DRIVE:MEDIUM_ID, such as sda:12, not “%(value)s”.", value=medium),
            )
            raise typer.Exit(REFUSED)
    if log is not None and log.exists():
        _say(
            err,
            _(
                "%(path)s already exists: nwipe would add to it. Choose another --log.",
                path=str(log),
            ),
        )
        raise typer.Exit(REFUSED)


def _log_path(code: str, disk: disks.Disk) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^\w.-]", "_", code)
    return Settings().data_dir / "erasure-logs" / f"nwipe-{safe}-{disk.name}-{stamp}.log"


def _erase(
    program: str,
    disk: disks.Disk,
    *,
    method: str,
    verify: str,
    log: Path,
    version: str | None,
    _: Translate,
) -> nwipe_run.Outcome:
    excluded = [disks.node_of(name) for name in disks.system_disks()]
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=False),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=out) as progress:
        task = progress.add_task(_("starting"), total=1)

        def show(now: nwipe_run.Progress) -> None:
            step = _(now.step, **now.params) if now.step else "nwipe"
            progress.update(task, description=step, completed=now.done_bytes, total=now.total_bytes)

        return nwipe_run.run(
            program,
            disk.node,
            name=disk.name,
            size_bytes=disk.size_bytes,
            method=method,
            verify=verify,
            log=log,
            exclude=excluded,
            tool_version=version,
            on_progress=show,
        )


def _record(
    code: str,
    log: Path,
    *,
    media: list[str],
    upload_to: str | None,
    token: str | None,
    version: str | None,
    _: Translate,
) -> list[dict[str, Any]]:
    # Looked up when called: recording is `remise erasure`'s; the bench hands it the log.
    recorder = importlib.import_module("refurbish.erasure.cli")
    try:
        records: list[dict[str, Any]] = recorder.record_report(
            code, log, media=media, upload_to=upload_to, token=token, tool_version=version
        )
    except typer.Exit:
        _say(
            err,
            _(
                "nwipe's log is kept in %(log)s: record it later with "
                "`remise erasure import %(code)s %(log)s`.",
                log=str(log),
                code=code,
            ),
        )
        raise
    for record in records:
        said = (
            N_("Erasure record %(id)s, medium %(medium)s: passed.")
            if record.get("passed")
            else N_("Erasure record %(id)s, medium %(medium)s: FAILED.")
        )
        _say(out, _(said, id=record.get("id"), medium=record.get("medium_id")))
    return records


def _fresh(disk: disks.Disk, _: Translate) -> disks.Disk:
    """The disk again, just before nwipe starts: nothing may have changed meanwhile."""
    try:
        again = disks.disk_to_erase(disk.path)
    except disks.DiskRefused as exc:
        raise _refused(exc, _) from exc
    if (again.rdev, again.serial, again.size_bytes) != (disk.rdev, disk.serial, disk.size_bytes):
        _say(
            err,
            _(
                "%(path)s changed while waiting for the confirmation: nothing was written.",
                path=disk.path,
            ),
        )
        raise typer.Exit(REFUSED)
    return again


@app.command("erase")
def erase_command(
    code: Annotated[str, typer.Argument(help="the device code on its label")],
    device: Annotated[str, typer.Argument(help="the disk to erase, such as /dev/sdb")],
    method: Annotated[Method, typer.Option(help="nwipe's method: what it writes")] = Method.zero,
    verify: Annotated[
        Verify, typer.Option(help="read back after the last pass or after all")
    ] = Verify.last,
    upload_to: Annotated[str | None, typer.Option("--upload", help="Remise's address")] = None,
    token: Annotated[str | None, typer.Option(help="API token, for --upload")] = None,
    medium: Annotated[
        list[str] | None,
        typer.Option(
            help="DRIVE:MEDIUM_ID, for a disk whose serial cannot be matched (repeatable)"
        ),
    ] = None,
    yes_i_checked: Annotated[
        str | None,
        typer.Option(
            "--yes-i-checked",
            help="for scripts: the serial's last four characters (the disk's name if it "
            "has no serial)",
        ),
    ] = None,
    log: Annotated[
        Path | None, typer.Option(help="where nwipe writes its log (default: in the data folder)")
    ] = None,
) -> None:
    """Erase one disk with nwipe, then record nwipe's log as the device's erasure evidence."""
    _ = _translator()
    media = medium or []
    _check_options(upload_to, token, media, log)
    try:
        disk = disks.disk_to_erase(device)
        program = nwipe_run.binary()
    except disks.DiskRefused as exc:
        raise _refused(exc, _) from exc
    except nwipe_run.NwipeMissing as exc:
        _say(err, _(str(exc)))
        raise typer.Exit(FAILED) from exc
    _show(disk, _)
    _confirm(disk, yes_i_checked, _)
    disk = _fresh(disk, _)
    version = nwipe_run.version(program)
    log = (log or _log_path(code, disk)).absolute()
    outcome = _erase(
        program, disk, method=method.value, verify=verify.value, log=log, version=version, _=_
    )
    if not log.exists() or log.stat().st_size == 0:
        _say(
            err,
            _(
                "nwipe stopped before writing its log (exit status %(status)s):",
                status=outcome.returncode,
            ),
        )
        _say(err, outcome.output.strip()[-2000:])
        raise typer.Exit(FAILED)
    status = outcome.status or "?"
    if outcome.aborted:
        _say(err, _("Interrupted: nwipe stopped, %(name)s is not erased.", name=disk.name))
    elif outcome.passed:
        _say(out, _("nwipe: %(name)s %(status)s.", name=disk.name, status=status))
    else:
        _say(
            err,
            _(
                "nwipe failed on %(name)s (%(status)s, exit status %(code)s): see %(log)s.",
                name=disk.name,
                status=status,
                code=outcome.returncode,
                log=str(log),
            ),
        )
    records = _record(
        code, log, media=media, upload_to=upload_to, token=token, version=version, _=_
    )
    if not outcome.passed or any(record.get("passed") is False for record in records):
        raise typer.Exit(FAILED)


def _print_result(result: verify_wipe.Result, _: Translate) -> None:
    target = result.target
    _say(
        out,
        _(
            "%(path)s: %(size)s, %(sectors)s sectors of %(sector_size)s bytes",
            path=target.path,
            size=size(target.size_bytes),
            sectors=target.sectors,
            sector_size=target.sector_size,
        ),
    )
    _say(
        out,
        _(
            "Pattern %(pattern)s: %(checked)s sectors read (the first, the last and "
            "%(sample)s at random, seed %(seed)s)",
            pattern=result.pattern,
            checked=result.checked,
            sample=result.sampled,
            seed=result.seed,
        ),
    )
    if result.passed:
        _say(out, _("Passed: every sector read holds the pattern, and no signature was found."))
        return
    ngettext = _plural_translator()
    _say(
        err,
        ngettext(
            "FAILED: %(failed)s problem found:",
            "FAILED: %(failed)s problems found:",
            result.failed,
            failed=result.failed,
        ),
    )
    for failure in result.failures[:SHOWN_FAILURES]:
        reason = _(failure.message, **failure.params)
        _say(
            err,
            "  "
            + _(
                "sector %(sector)s (byte %(offset)s): %(reason)s",
                sector=failure.sector,
                offset=failure.offset,
                reason=reason,
            ),
        )
    if result.failed > SHOWN_FAILURES:
        _say(err, "  " + _("and %(count)s more", count=result.failed - SHOWN_FAILURES))
    _say(err, _("Replay this check with --seed %(seed)s.", seed=result.seed))


@app.command("verify-wipe")
def verify_wipe_command(
    target: Annotated[
        str, typer.Argument(metavar="DEVICE_OR_IMAGE", help="a disk (/dev/sdb) or an image file")
    ],
    sample: Annotated[
        int, typer.Option(min=0, help="sectors read at random, besides the first and the last")
    ] = 1000,
    pattern: Annotated[Pattern, typer.Option(help="what an erased sector holds")] = Pattern.zero,
    seed: Annotated[
        int | None, typer.Option(min=0, help="replay a check: the seed it printed")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Read a disk or an image, never writing, and check that it holds the pattern."""
    _ = _translator()
    try:
        found = verify_wipe.open_target(target)
    except disks.DiskRefused as exc:
        raise _refused(exc, _) from exc
    try:
        result = verify_wipe.check(
            found,
            pattern=pattern.value,
            sample=sample,
            seed=verify_wipe.new_seed() if seed is None else seed,
        )
    except OSError as exc:
        _say(err, _("%(path)s cannot be read: %(error)s.", path=target, error=exc.strerror))
        raise typer.Exit(FAILED) from exc
    if as_json:
        typer.echo(json.dumps(result.as_json(_), ensure_ascii=False))
    else:
        _print_result(result, _)
    if not result.passed:
        raise typer.Exit(FAILED)
