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
    parts.append(f"{_('serial')} {disk.serial or '?'}")
    if disk.removable:
        parts.append(_("removable"))
    if disk.smart is not None:
        parts.append(_(SMART[disk.smart.passed]))
    return ", ".join(parts)


def show(taken: Snapshot, console: Console, _: Callable[[str], str]) -> None:
    """Print the snapshot; `_` translates a message into the volunteer's language."""
    system = taken.system
    machine = " ".join(p for p in (system.vendor, system.product, system.version) if p) or "?"
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row(_("Machine"), f"{machine} ({system.chassis or '?'})")
    table.add_row(_("Serial number"), system.serial or "—")
    table.add_row(_("Processor"), f"{taken.cpu.model or '?'}, {taken.cpu.cores or '?'} CPU")
    memory = taken.memory.total_bytes
    table.add_row(_("Memory"), f"{memory / 2**30:.1f} GiB" if memory else "?")
    for disk in taken.disks:
        table.add_row(f"{_('Disk')} {disk.name}", _disk(disk, _))
    for battery in taken.batteries:
        state = f"{battery.health_percent} %" if battery.health_percent else _("health unknown")
        maker = " ".join(p for p in (battery.manufacturer, battery.model) if p)
        table.add_row(f"{_('Battery')} {battery.name}", f"{state} ({maker or '?'})")
    for phone in taken.phones:
        who = " ".join(p for p in (phone.vendor, phone.model) if p)
        table.add_row(_("Phone"), f"{who}, {_('serial')} {phone.serial or '?'} ({phone.kind})")
    for interface in taken.network:
        table.add_row(f"{_('Network')} {interface.name}", interface.mac or "—")
    console.print(table)
    for warning in taken.warnings:
        console.print(f"[yellow]⚠ {warning}[/yellow]")
