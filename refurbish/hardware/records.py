"""Device records from udev, whatever the source: the live system (pyudev), or a dump.

A record is what udev knows of one device: its devpath under /sys, subsystem, udev
properties, and, where the source has them, sysfs attributes. `udevadm info
--export-db` dumps hold properties only; umockdev recordings and the live system
hold attributes too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Record:
    devpath: str
    properties: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    node: str | None = None

    @property
    def subsystem(self) -> str:
        return self.properties.get("SUBSYSTEM", "")

    @property
    def name(self) -> str:
        return self.devpath.rstrip("/").rsplit("/", 1)[-1]

    def get(self, key: str) -> str | None:
        """A property, else an attribute of the same meaning, stripped; None if absent."""
        value = self.properties.get(key)
        if value is None:
            value = self.attributes.get(key.lower())
        return value.strip() if value is not None else None


@dataclass
class Parsed:
    records: list[Record]
    warnings: list[str]


def parse_export_db(lines: Iterable[str]) -> Parsed:
    """Records from `udevadm info --export-db` (or umockdev) text.

    Blocks are separated by blank lines; each line is `X: value`. Unknown letters are
    skipped; a block cut short (a truncated dump) keeps what it has, with a warning.
    """
    records: list[Record] = []
    warnings: list[str] = []
    current: Record | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            current = None
            continue
        letter, separator, value = line.partition(": ")
        if not separator or len(letter) != 1:
            if line[:2] in ("E:", "A:", "P:", "N:"):  # "E:" with nothing after it
                continue
            warnings.append(f"line {number}: not a udev line, skipped: {line[:60]!r}")
            continue
        current = _apply(records, current, letter, value)
    return Parsed(records, warnings)


def _apply(records: list[Record], current: Record | None, letter: str, value: str) -> Record | None:
    if letter == "P":
        record = Record(devpath=value.strip())
        records.append(record)
        return record
    if current is None:
        return None  # a line before any P: (the start of a dump cut in the middle)
    if letter == "E":
        key, _, item = value.partition("=")
        current.properties[key] = item
    elif letter == "A":
        key, _, item = value.partition("=")
        current.attributes[key] = item.replace("\\n", "\n").rstrip("\n")
    elif letter == "N":
        current.node = value
    return current


def from_pyudev(devices: Iterable[Any]) -> Iterator[Record]:
    """Records of live pyudev devices (the real /sys, or umockdev's)."""
    for device in devices:
        properties = {key: device.properties[key] for key in device.properties}
        properties.setdefault("SUBSYSTEM", device.subsystem or "")
        yield Record(
            devpath=device.device_path,
            properties=properties,
            attributes=_attributes(device),
            node=device.device_node,
        )


# The sysfs attributes the snapshot reads, by subsystem; reading them all is slow.
WANTED = {
    "block": ("size", "removable", "queue/rotational", "device/model", "device/serial"),
    "power_supply": (
        "type",
        "manufacturer",
        "model_name",
        "serial_number",
        "technology",
        "energy_full_design",
        "energy_full",
        "charge_full_design",
        "charge_full",
        "cycle_count",
        "status",
    ),
    "net": ("address", "type"),
    "usb": ("manufacturer", "product", "serial", "idVendor", "idProduct"),
    "dmi": (
        "sys_vendor",
        "product_name",
        "product_version",
        "product_serial",
        "chassis_type",
        "board_name",
    ),
}


def _attributes(device: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in WANTED.get(device.subsystem or "", ()):
        try:
            found[name] = device.attributes.asstring(name)
        except (KeyError, OSError, UnicodeDecodeError):
            continue
    return found
