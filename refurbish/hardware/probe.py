"""Probing: the snapshot of this machine (pyudev), or of a dump, with SMART attached.

Under `umockdev-run` pyudev sees the recorded devices as live ones, so the same
code reads a recording. smartctl is asked only on the live system and only if it
is installed; a disk it cannot read gets a warning, never an error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from refurbish.hardware import records, smart, snapshot
from refurbish.hardware.snapshot import Snapshot

SUBSYSTEMS = ("dmi", "block", "power_supply", "net", "usb", "cpu")
SMARTCTL_TIMEOUT_S = 20


def _first_value(path: Path, key: str) -> str | None:
    try:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        return None
    return None


def _meminfo_kib() -> int | None:
    value = _first_value(Path("/proc/meminfo"), "MemTotal")
    return int(value.split()[0]) if value else None


def live() -> Snapshot:
    """The machine this runs on, as udev (or umockdev) shows it."""
    import pyudev  # imported here: the server never probes, and pyudev needs libudev

    context = pyudev.Context()
    found: list[records.Record] = []
    for subsystem in SUBSYSTEMS:
        found.extend(records.from_pyudev(context.list_devices(subsystem=subsystem)))
    taken = snapshot.read(
        found,
        source="live",
        cpu_model=_first_value(Path("/proc/cpuinfo"), "model name"),
        meminfo_kib=_meminfo_kib(),
    )
    if taken.cpu.cores is None:
        taken.cpu.cores = os.cpu_count()
    return taken


def from_dump(lines: Iterable[str]) -> Snapshot:
    """A machine from its `udevadm info --export-db` dump (a file, or a pipe)."""
    parsed = records.parse_export_db(lines)
    if not parsed.records:
        parsed.warnings.append("no device found: is this a `udevadm info --export-db` dump?")
    return snapshot.read(parsed.records, source="udev-db", warnings=parsed.warnings)


def attach(taken: Snapshot, reports: Sequence[smart.SmartReport]) -> None:
    """Give each disk the SMART report of the same serial, else of the same model."""
    for report in reports:
        disk = next((d for d in taken.disks if report.serial and d.serial == report.serial), None)
        disk = disk or next(
            (d for d in taken.disks if report.model and d.model == report.model and not d.smart),
            None,
        )
        if disk is None:
            taken.warnings.append(f"SMART report of {report.model or '?'}: no such disk here")
            continue
        disk.smart = report
        if disk.size_bytes is None:
            disk.size_bytes = report.capacity_bytes
        if disk.kind == "unknown" and report.rotation_rpm is not None:
            disk.kind = "ssd" if report.rotation_rpm == 0 else "hdd"


def ask_smartctl(taken: Snapshot) -> list[smart.SmartReport]:
    """Run `smartctl --json -x` on each internal disk, if smartctl is installed."""
    if shutil.which("smartctl") is None:
        return []
    reports = []
    for disk in taken.disks:
        if disk.removable:
            continue
        try:
            done = subprocess.run(
                ["smartctl", "--json", "-x", f"/dev/{disk.name}"],
                capture_output=True,
                text=True,
                timeout=SMARTCTL_TIMEOUT_S,
                check=False,
            )
            report = smart.parse_json(json.loads(done.stdout))
        except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
            taken.warnings.append(f"disk {disk.name}: smartctl gave nothing ({exc})")
            continue
        if report.model is None:
            taken.warnings.append(f"disk {disk.name}: smartctl could not read it")
            continue
        report.serial = report.serial or disk.serial
        reports.append(report)
    return reports
