"""What a snapshot says against what intake recorded: facts to fill, mismatches to flag.

Pure. A fact intake left empty is filled; a fact that differs is never overwritten
but flagged, for a coordinator to resolve: a serial that is not the one received, a
disk smaller than declared, a battery below the health that grading accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from db.errors import N_, Message
from refurbish.hardware.snapshot import Snapshot

# Battery health below which a device cannot be graded as it is (the same bounds as
# the checklists' battery step): computers 60 %, phones and tablets 80 %.
BATTERY_MIN_PERCENT = {"smartphone": 80, "tablet": 80, "basic_phone": 80}
BATTERY_MIN_DEFAULT = 60
DISK_TOLERANCE = Decimal("0.9")  # "500 GB" on a label is 465 GiB: allow for it, and more
_DECLARED_DISK = re.compile(r"disque|stockage|storage|disk|hdd|ssd", re.IGNORECASE)
_SIZE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(to|tb|tio|tib|go|gb|gio|gib)\b", re.IGNORECASE)
_SCALE = {"t": 10**12, "g": 10**9}


FIELD_LIMITS = {"brand": 120, "model": 200, "serial": 120}  # the device table's columns
MESSAGES = {
    "serial_mismatch": N_("The machine reports serial %(found)s, intake recorded %(expected)s."),
    "disk_smaller": N_("The disk holds %(found)s bytes, %(expected)s bytes were declared."),
    "battery_low": N_("Battery health %(found)s %% is below %(expected)s %%."),
}


@dataclass(frozen=True)
class Flag:
    kind: str
    expected: str
    found: str

    @property
    def message(self) -> Message:
        return Message(MESSAGES[self.kind], {"expected": self.expected, "found": self.found})


def declared_disk_bytes(attributes: dict[str, Any]) -> int | None:
    """The disk size an intake file declared ("Disque: 500 Go", "SSD 256GB"…), if any."""
    specs = attributes.get("specs") or {}
    if isinstance(specs, dict) and isinstance(specs.get("disk_bytes"), int):
        return int(specs["disk_bytes"])
    for key, value in attributes.items():
        found = _SIZE.search(value) if isinstance(value, str) else None
        if found is not None and _DECLARED_DISK.search(key):
            number = Decimal(found.group(1).replace(",", "."))
            return int(number * _SCALE[found.group(2)[0].lower()])
    return None


def _same(a: str, b: str) -> bool:
    return re.sub(r"[\s-]", "", a).upper() == re.sub(r"[\s-]", "", b).upper()


def flags(device: dict[str, Any], taken: Snapshot) -> list[Flag]:
    """Mismatches between `device` (its fields) and the snapshot."""
    found: list[Flag] = []
    serial, probed = device.get("serial"), taken.system.serial
    if serial and probed and not _same(serial, probed):
        found.append(Flag("serial_mismatch", serial, probed))
    declared = declared_disk_bytes(device.get("attributes") or {})
    internal = [d.size_bytes for d in taken.disks if not d.removable and d.size_bytes]
    if declared and internal and max(internal) < declared * DISK_TOLERANCE:
        found.append(Flag("disk_smaller", str(declared), str(max(internal))))
    minimum = BATTERY_MIN_PERCENT.get(device.get("category", ""), BATTERY_MIN_DEFAULT)
    for battery in taken.batteries:
        if battery.health_percent is not None and Decimal(battery.health_percent) < minimum:
            found.append(Flag("battery_low", str(minimum), battery.health_percent))
    return found


def specs(taken: Snapshot) -> dict[str, Any]:
    """The facts a snapshot gives for the device's specs (JSON values, no floats)."""
    internal = [d for d in taken.disks if not d.removable]
    facts: dict[str, Any] = {
        "cpu": taken.cpu.model,
        "cpu_cores": taken.cpu.cores,
        "ram_bytes": taken.memory.total_bytes,
        "disks": [
            {"model": d.model, "serial": d.serial, "bytes": d.size_bytes, "kind": d.kind}
            for d in internal
        ]
        or None,
        "battery_health_percent": min(
            (b.health_percent for b in taken.batteries if b.health_percent),
            key=Decimal,
            default=None,
        ),
    }
    return {key: value for key, value in facts.items() if value is not None}


def measured(taken: Snapshot) -> dict[str, Any]:
    """What other stages read of a snapshot, carried by its `device.probed` event (they
    never read refurbish's tables): the processor, memory, disks and batteries, in the
    snapshot's own shape (grading.facts reads either)."""
    return {
        "cpu": {"model": taken.cpu.model},
        "memory": {"total_bytes": taken.memory.total_bytes, "modules": taken.memory.modules},
        "disks": [
            {
                "kind": d.kind,
                "size_bytes": d.size_bytes,
                "removable": d.removable,
                "bus": d.bus,
                "smart": {"passed": d.smart.passed} if d.smart is not None else None,
            }
            for d in taken.disks
        ],
        "batteries": [{"health_percent": b.health_percent} for b in taken.batteries],
    }


def filled(device: dict[str, Any], taken: Snapshot) -> dict[str, Any]:
    """Device fields intake left empty that the snapshot knows: brand, model, serial, specs."""
    fields: dict[str, Any] = {}
    system = taken.system
    for name, value in (
        ("brand", system.vendor),
        ("model", system.product),
        ("serial", system.serial),
    ):
        if value and not device.get(name) and len(value) <= FIELD_LIMITS[name]:
            fields[name] = value  # a longer value is no identifier worth copying
    attributes = dict(device.get("attributes") or {})
    known = dict(attributes.get("specs") or {})
    new = {k: v for k, v in specs(taken).items() if k not in known}
    if new:
        attributes["specs"] = known | new
        fields["attributes"] = attributes
    return fields
