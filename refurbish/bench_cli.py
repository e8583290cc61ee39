"""`remise bench …`: what the bench station reads of the hardware, and sends to Remise."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from refurbish.erasure import bench_cli as erasure_bench_cli
from refurbish.hardware import probe, records, smart, snapshot, summary
from refurbish.hardware.snapshot import Snapshot
from remise.i18n import translate
from remise.settings import Settings

app = typer.Typer(help="Bench station: probe the hardware, watch what is plugged in.")
out = Console()
err = Console(stderr=True)
UPLOAD_TIMEOUT_S = 30


def _translator() -> Callable[[str], str]:
    locale = Settings().default_locale
    return lambda message: translate(locale, message)


def _read_dump(source: str) -> Snapshot:
    if source == "-":
        return probe.from_dump(sys.stdin)
    path = Path(source)
    if not path.is_file():
        err.print(f"{source}: no such file")
        raise typer.Exit(1)
    with path.open(encoding="utf-8", errors="replace") as lines:
        return probe.from_dump(lines)


def upload(base_url: str, token: str, code: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a snapshot to Remise; exits 1 with the server's message if refused."""
    url = f"{base_url.rstrip('/')}/api/v1/devices/{code}/snapshots"
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT_S) as answer:
            result: dict[str, Any] = json.loads(answer.read() or b"{}")
            return result
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("detail", exc.reason)
        err.print(f"{url}: {exc.code} {detail}")
    except (urllib.error.URLError, OSError) as exc:
        err.print(f"{url}: {exc}")
    raise typer.Exit(1)


@app.command("probe")
def probe_command(
    from_udev_db: Annotated[
        str | None, typer.Option(help="read a `udevadm info --export-db` dump (- for stdin)")
    ] = None,
    smart_from: Annotated[
        list[Path] | None, typer.Option(help="a saved smartctl report (text or JSON), repeatable")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the snapshot as JSON")] = False,
    upload_to: Annotated[str | None, typer.Option("--upload", help="Remise's address")] = None,
    token: Annotated[str | None, typer.Option(help="API token, for --upload")] = None,
    device: Annotated[str | None, typer.Option(help="the device code, for --upload")] = None,
) -> None:
    """Read this machine (or a dump): system, CPU, memory, disks, batteries, network."""
    if upload_to and not (token and device):
        err.print("--upload needs --token and --device")
        raise typer.Exit(2)
    taken = _read_dump(from_udev_db) if from_udev_db else probe.live()
    reports = [
        smart.parse(p.read_text(encoding="utf-8", errors="replace")) for p in smart_from or []
    ]
    if not from_udev_db and not reports:
        reports = probe.ask_smartctl(taken)
    probe.attach(taken, reports)
    if as_json:
        out.print_json(taken.model_dump_json())
    else:
        summary.show(taken, out, _translator())
    if upload_to and token and device:
        answer = upload(upload_to, token, device, taken.model_dump(mode="json"))
        flags = answer.get("flags", [])
        out.print(f"snapshot {answer.get('id')} sent, {len(flags)} flag(s)")
        for flag in flags:
            out.print(f"[red]⚑ {flag['message']}[/red]")


def _event_line(action: str, record: records.Record) -> str | None:
    sign = {"add": "+", "remove": "-"}.get(action)
    if sign is None:
        return None
    if (phone := snapshot.usb_device(record)) is not None:
        return f"{sign} phone {phone.vendor} {phone.model} serial {phone.serial} ({phone.kind})"
    disks = snapshot.disks_of([record], [])
    if disks:
        disk = disks[0]
        shown = f"{disk.model or '?'} {summary.size(disk.size_bytes)} serial {disk.serial or '?'}"
        return f"{sign} disk {disk.name}: {shown}"
    return None


@app.command("watch")
def watch_command(
    count: Annotated[int, typer.Option(help="stop after this many events (0: never)")] = 0,
    timeout: Annotated[float, typer.Option(help="stop after this many seconds (0: never)")] = 0,
    upload_to: Annotated[str | None, typer.Option("--upload", help="Remise's address")] = None,
    token: Annotated[str | None, typer.Option(help="API token, for --upload")] = None,
    device: Annotated[
        str | None, typer.Option(help="the device on the bench, for --upload")
    ] = None,
) -> None:
    """Show disks and phones as they are plugged in and out (Ctrl-C to stop)."""
    import pyudev

    monitor = pyudev.Monitor.from_netlink(pyudev.Context())
    monitor.filter_by("block")
    monitor.filter_by("usb")
    monitor.start()
    seen, last = 0, ("", "")
    out.print("Watching for disks and phones… (Ctrl-C to stop)", highlight=False)
    try:
        while count == 0 or seen < count:
            found = monitor.poll(timeout=timeout or None)
            if found is None:
                break
            if (found.action or "", found.device_path) == last:
                continue  # the same event again (udev and the kernel both announce it)
            last = (found.action or "", found.device_path)
            [record] = list(records.from_pyudev([found]))
            line = _event_line(found.action or "", record)
            if line is None:
                continue
            seen += 1
            out.print(line, highlight=False)
            if upload_to and token and device and found.action == "add":
                taken = snapshot.read([record], source="watch")
                upload(upload_to, token, device, taken.model_dump(mode="json"))
    except KeyboardInterrupt:
        pass


# `remise bench erase` and `remise bench verify-wipe` (refurbish.erasure.bench_cli).
app.registered_commands.extend(erasure_bench_cli.app.registered_commands)
