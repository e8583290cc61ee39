"""A snapshot as a volunteer reads it at the bench: one line per thing that matters."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from db.errors import N_
from refurbish.hardware.snapshot import Disk, Snapshot

KINDS = {"hdd": N_("hard disk"), "ssd": N_("SSD"), "nvme": N_("NVMe SSD"), "unknown": N_("type ?")}
SMART = {True: N_("SMART passed"), False: N_("SMART FAILED"), None: N_("SMART ?")}


def size(value: int | None) -> str:
    """Bytes in decimal units, as on the box: 500 GB, 1.0 TB."""
    if not value:
        return "?"
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if value >= scale:
            shown = value / scale
            return f"{shown:.0f} {unit}" if shown >= 10 else f"{shown:.1f} {unit}"
    return f"{value} B"


def _disk(disk: Disk, _: Callable[[str], str]) -> str:
    parts = [disk.model or "?", size(disk.size_bytes), _(KINDS[disk.kind])]
    serial = _("serial")
    parts.append(f"{serial} {disk.serial or '?'}")
    if disk.removable:
        parts.append(_("removable"))
    if disk.smart is not None:
        parts.append(_(SMART[disk.smart.passed]))
    return ", ".join(parts)


def rows(taken: Snapshot, _: Callable[[str], str]) -> list[tuple[str, str]]:
    """The snapshot as (what, found) lines, for the terminal and the bench page alike."""
    system = taken.system
    machine = " ".join(p for p in (system.vendor, system.product, system.version) if p) or "?"
    memory = taken.memory.total_bytes
    disk_word, battery_word, network_word = _("Disk"), _("Battery"), _("Network")
    found = [
        (_("Machine"), f"{machine} ({system.chassis or '?'})"),
        (_("Serial number"), system.serial or "—"),
        (_("Processor"), f"{taken.cpu.model or '?'}, {taken.cpu.cores or '?'} CPU"),
        (_("Memory"), f"{memory / 2**30:.1f} GiB" if memory else "?"),
    ]
    for disk in taken.disks:
        found.append((f"{disk_word} {disk.name}", _disk(disk, _)))
    for battery in taken.batteries:
        state = f"{battery.health_percent} %" if battery.health_percent else _("health unknown")
        maker = " ".join(p for p in (battery.manufacturer, battery.model) if p)
        found.append((f"{battery_word} {battery.name}", f"{state} ({maker or '?'})"))
    for phone in taken.phones:
        who = " ".join(p for p in (phone.vendor, phone.model) if p)
        serial = _("serial")
        found.append((_("Phone"), f"{who}, {serial} {phone.serial or '?'} ({phone.kind})"))
    for interface in taken.network:
        found.append((f"{network_word} {interface.name}", interface.mac or "—"))
    return found


def show(taken: Snapshot, console: Console, _: Callable[[str], str]) -> None:
    """Print the snapshot; `_` translates a message into the volunteer's language."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for what, found in rows(taken, _):
        table.add_row(what, found)
    console.print(table)
    for warning in taken.warnings:
        console.print(f"[yellow]⚠ {warning}[/yellow]")
