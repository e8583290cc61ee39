"""A machine's facts read from udev records: the snapshot a bench station sends.

Pure: records in, snapshot out. What a source does not say stays empty and, where a
volunteer would otherwise wonder, a warning says why (a battery without a design
capacity, a disk without a serial, a rotation speed not reported).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from db.jsonvalue import CanonicalInt, Count, decimal_text
from refurbish.hardware.records import Record
from refurbish.hardware.smart import SmartReport

SCHEMA = 1
# SMBIOS chassis types (DMTF DSP0134, 7.4.1) that the bench meets.
CHASSIS = {
    3: "desktop", 4: "desktop", 5: "desktop", 6: "desktop", 7: "desktop", 15: "desktop",
    16: "desktop", 24: "desktop", 35: "desktop", 36: "desktop", 13: "all-in-one",
    8: "laptop", 9: "laptop", 10: "laptop", 14: "laptop", 31: "laptop", 32: "laptop",
    11: "handheld", 30: "tablet", 17: "server", 23: "server",
}  # fmt: skip
_DMI_FIELDS = (
    "bvn",
    "bvr",
    "bd",
    "svn",
    "pn",
    "pvr",
    "rvn",
    "rn",
    "rvr",
    "cvn",
    "ct",
    "cvr",
    "sku",
)
_DMI_LONGEST_FIRST = sorted(_DMI_FIELDS, key=len, reverse=True)
_NOT_DISKS = re.compile(r"^(loop|ram|zram|sr|fd|dm-|md|nbd)")


# Bounds of what a bench station may send (POST /api/v1/devices/{code}/snapshots): far
# above what hardware reports, so that only a broken or hostile client meets them.
Text = Annotated[str, Field(max_length=500)]
Source = Annotated[str, Field(max_length=20)]
MAX_HEALTH_PERCENT = 1000  # a battery holding 10 × its design capacity is a lying firmware
HealthPercent = Annotated[
    str | None, decimal_text(0, MAX_HEALTH_PERCENT, places=2, example="87.50")
]


class System(BaseModel):
    vendor: Text | None = None
    product: Text | None = None
    version: Text | None = None
    serial: Text | None = None
    chassis_type: CanonicalInt | None = None
    chassis: Text | None = None  # laptop, desktop, tablet… from the chassis type


class Cpu(BaseModel):
    model: Text | None = None
    cores: Count | None = None  # logical CPUs


class Memory(BaseModel):
    total_bytes: Count | None = None
    modules: list[dict[Annotated[str, Field(max_length=100)], Text]] = Field(
        default_factory=list, max_length=64
    )


class Disk(BaseModel):
    name: Text
    model: Text | None = None
    serial: Text | None = None
    size_bytes: Count | None = None
    kind: Text = "unknown"  # hdd, ssd, nvme, unknown
    bus: Text | None = None  # ata, usb, nvme, scsi…
    removable: bool = False
    rotation_rpm: Count | None = None
    smart: SmartReport | None = None


class Battery(BaseModel):
    name: Text
    manufacturer: Text | None = None
    model: Text | None = None
    serial: Text | None = None
    technology: Text | None = None
    unit: Text | None = None  # "µWh" (energy) or "µAh" (charge)
    design_capacity: CanonicalInt | None = None
    full_capacity: CanonicalInt | None = None
    health_percent: HealthPercent = None  # full / design, 2 decimals, as text: no floats
    cycle_count: CanonicalInt | None = None
    status: Text | None = None


class Interface(BaseModel):
    name: Text
    mac: Text | None = None


class UsbDevice(BaseModel):
    """A phone or tablet plugged in over USB."""

    vendor: Text | None = None
    model: Text | None = None
    serial: Text | None = None
    vendor_id: Text | None = None
    product_id: Text | None = None
    kind: Text = "usb"  # android, apple, mtp


class Snapshot(BaseModel):
    schema_version: CanonicalInt = SCHEMA
    source: Source = "live"  # live, udev-db
    system: System = Field(default_factory=System)
    cpu: Cpu = Field(default_factory=Cpu)
    memory: Memory = Field(default_factory=Memory)
    disks: list[Disk] = Field(default_factory=list, max_length=64)
    batteries: list[Battery] = Field(default_factory=list, max_length=16)
    network: list[Interface] = Field(default_factory=list, max_length=64)
    phones: list[UsbDevice] = Field(default_factory=list, max_length=32)
    warnings: list[Text] = Field(default_factory=list, max_length=200)


def _modalias(text: str) -> dict[str, str]:
    """`dmi:bvnLENOVO:…:svnLENOVO:pn2355CTO:ct10:` as {"svn": "LENOVO", …}."""
    fields: dict[str, str] = {}
    for part in text.removeprefix("dmi:").split(":"):
        prefix = next(
            (p for p in sorted(_DMI_FIELDS, key=len, reverse=True) if part.startswith(p)), None
        )
        if prefix and prefix not in fields:
            fields[prefix] = part[len(prefix) :]
    return fields


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.replace("_", " ").strip()
    placeholders = {
        "", "None", "Not Specified", "NotSpecified", "Not Applicable", "NotApplicable",
        "To Be Filled By O.E.M.", "Default string", "System Product Name", "System Version",
    }  # fmt: skip
    return None if value in placeholders or set(value) <= {"0"} else value


def system_of(records: Sequence[Record]) -> System:
    dmi = next((r for r in records if r.devpath.endswith("/dmi/id")), None)
    if dmi is None:
        return System()
    alias = _modalias(dmi.properties.get("MODALIAS", ""))
    chassis = dmi.attributes.get("chassis_type") or alias.get("ct")
    chassis_type = int(chassis) if chassis and chassis.isdigit() else None
    return System(
        vendor=_clean(
            dmi.attributes.get("sys_vendor") or dmi.properties.get("ID_VENDOR") or alias.get("svn")
        ),
        product=_clean(
            dmi.attributes.get("product_name") or dmi.properties.get("ID_MODEL") or alias.get("pn")
        ),
        version=_clean(dmi.attributes.get("product_version") or alias.get("pvr")),
        serial=_clean(dmi.attributes.get("product_serial")),
        chassis_type=chassis_type,
        chassis=CHASSIS.get(chassis_type or 0),
    )


def memory_of(records: Sequence[Record], meminfo_kib: int | None) -> Memory:
    """Modules from systemd's dmi_memory_id properties, else the kernel's total."""
    dmi = next((r for r in records if r.devpath.endswith("/dmi/id")), None)
    props = dmi.properties if dmi else {}
    modules = []
    for index in range(int(props.get("MEMORY_ARRAY_NUM_DEVICES", "0") or 0)):
        prefix = f"MEMORY_DEVICE_{index}_"
        size = props.get(prefix + "SIZE")
        if size and size.isdigit() and int(size) > 0:
            keys = ("SIZE", "MANUFACTURER", "PART_NUMBER", "SPEED_MTS", "TYPE", "LOCATOR")
            modules.append(
                {k.lower(): props[prefix + k].strip() for k in keys if prefix + k in props}
            )
    if modules:
        return Memory(total_bytes=sum(int(m["size"]) for m in modules), modules=modules)
    return Memory(total_bytes=meminfo_kib * 1024 if meminfo_kib else None)


def _disk_kind(record: Record) -> tuple[str, int | None]:
    rpm_text = record.properties.get("ID_ATA_ROTATION_RATE_RPM")
    rpm = int(rpm_text) if rpm_text and rpm_text.isdigit() else None
    if record.name.startswith("nvme") or "/nvme/" in record.devpath:
        return "nvme", 0
    if rpm is not None:
        return ("ssd" if rpm == 0 else "hdd"), rpm
    rotational = record.attributes.get("queue/rotational")
    if rotational in ("0", "1"):
        return ("hdd" if rotational == "1" else "ssd"), None
    return "unknown", None  # old udev says nothing: not an SSD for that


def disks_of(records: Sequence[Record], warnings: list[str]) -> list[Disk]:
    disks = []
    for record in records:
        if record.subsystem != "block" or record.properties.get("DEVTYPE") != "disk":
            continue
        if _NOT_DISKS.match(record.name) or record.properties.get("ID_TYPE") == "cd":
            continue
        kind, rpm = _disk_kind(record)
        bus = "nvme" if kind == "nvme" else record.properties.get("ID_BUS")
        size = record.attributes.get("size")
        props, attrs = record.properties, record.attributes
        disk = Disk(
            name=record.name,
            model=_clean(props.get("ID_MODEL") or attrs.get("device/model")),
            serial=_clean(props.get("ID_SERIAL_SHORT") or attrs.get("device/serial")),
            size_bytes=int(size) * 512 if size and size.isdigit() else None,
            kind=kind,
            bus=bus,
            removable=record.attributes.get("removable") == "1" or bus == "usb",
            rotation_rpm=rpm,
        )
        if disk.serial is None:
            warnings.append(f"disk {disk.name}: no serial number reported")
        if kind == "unknown":
            warnings.append(f"disk {disk.name}: rotation not reported, HDD or SSD unknown")
        disks.append(disk)
    return disks


def _is_battery(record: Record) -> bool:
    kind = record.get("POWER_SUPPLY_TYPE")
    if kind is not None:
        return kind == "Battery" and record.get("POWER_SUPPLY_SCOPE") != "Device"
    return record.name.startswith("BAT") or any(
        k in record.properties for k in ("POWER_SUPPLY_ENERGY_FULL", "POWER_SUPPLY_CHARGE_FULL")
    )


def _int(record: Record, key: str) -> int | None:
    value = record.get(key)
    return int(value) if value and value.lstrip("-").isdigit() else None


def health(full: int | None, design: int | None) -> str | None:
    """full / design as a percentage with two decimals, as text; None without a design, or
    beyond what a battery can hold (MAX_HEALTH_PERCENT)."""
    if not full or not design:
        return None
    ratio = Decimal(full) * 100 / Decimal(design)
    if not 0 <= ratio <= MAX_HEALTH_PERCENT:
        return None
    return str(ratio.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def batteries_of(records: Sequence[Record], warnings: list[str]) -> list[Battery]:
    found = []
    for record in records:
        if record.subsystem != "power_supply" or not _is_battery(record):
            continue
        unit, prefix = (
            ("µWh", "ENERGY") if _int(record, "POWER_SUPPLY_ENERGY_FULL") else ("µAh", "CHARGE")
        )
        design = _int(record, f"POWER_SUPPLY_{prefix}_FULL_DESIGN")
        full = _int(record, f"POWER_SUPPLY_{prefix}_FULL")
        battery = Battery(
            name=record.name,
            manufacturer=_clean(record.get("POWER_SUPPLY_MANUFACTURER")),
            model=_clean(record.get("POWER_SUPPLY_MODEL_NAME")),
            serial=_clean(record.get("POWER_SUPPLY_SERIAL_NUMBER")),
            technology=record.get("POWER_SUPPLY_TECHNOLOGY"),
            unit=unit if (design or full) else None,
            design_capacity=design,
            full_capacity=full,
            health_percent=health(full, design),
            cycle_count=_int(record, "POWER_SUPPLY_CYCLE_COUNT"),
            status=record.get("POWER_SUPPLY_STATUS"),
        )
        if battery.health_percent is None and full and design:
            warnings.append(f"battery {battery.name}: implausible capacities, health unknown")
        elif battery.health_percent is None:
            warnings.append(f"battery {battery.name}: no design capacity, health unknown")
        elif Decimal(battery.health_percent) > 100:
            warnings.append(f"battery {battery.name}: holds more than its design capacity")
        found.append(battery)
    return found


def _mac(record: Record) -> str | None:
    address = record.attributes.get("address")
    if address and address != "00:00:00:00:00:00":
        return address.lower()
    named = record.properties.get("ID_NET_NAME_MAC", "")
    digits = named[3:] if len(named) == 15 else ""
    if re.fullmatch(r"[0-9a-f]{12}", digits):
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    return None


def network_of(records: Sequence[Record]) -> list[Interface]:
    return [
        Interface(name=r.properties.get("INTERFACE", r.name), mac=_mac(r))
        for r in records
        if r.subsystem == "net" and not r.devpath.startswith("/devices/virtual/")
    ]


def usb_device(record: Record) -> UsbDevice | None:
    """The phone or tablet a USB device record describes, or None if it is something else."""
    if record.subsystem != "usb" or record.properties.get("DEVTYPE") != "usb_device":
        return None
    interfaces = record.properties.get("ID_USB_INTERFACES", "")
    vendor_id = record.get("ID_VENDOR_ID") or record.attributes.get("idvendor")
    product = record.get("ID_MODEL") or record.attributes.get("product") or ""
    if ":ff4201:" in interfaces or record.properties.get("ID_ADB_DEVICE") == "1":
        kind = "android"
    elif record.properties.get("ID_MTP_DEVICE") == "1":
        kind = "mtp"
    elif vendor_id == "05ac" and re.search(r"iPhone|iPad|iPod", product):
        kind = "apple"
    else:
        return None
    return UsbDevice(
        vendor=_clean(record.get("ID_VENDOR") or record.attributes.get("manufacturer")),
        model=_clean(product),
        serial=_clean(record.get("ID_SERIAL_SHORT") or record.attributes.get("serial")),
        vendor_id=vendor_id,
        product_id=record.get("ID_MODEL_ID") or record.attributes.get("idproduct"),
        kind=kind,
    )


def read(
    records: Sequence[Record],
    *,
    source: str,
    cpu_model: str | None = None,
    meminfo_kib: int | None = None,
    warnings: Sequence[str] = (),
) -> Snapshot:
    """The snapshot of what `records` describe."""
    notes = list(warnings)
    cpus = [r for r in records if re.fullmatch(r"/devices/system/cpu/cpu\d+", r.devpath)]
    snapshot = Snapshot(
        source=source,
        system=system_of(records),
        cpu=Cpu(model=cpu_model, cores=len(cpus) or None),
        memory=memory_of(records, meminfo_kib),
        disks=disks_of(records, notes),
        batteries=batteries_of(records, notes),
        network=network_of(records),
        phones=[p for r in records if (p := usb_device(r)) is not None],
    )
    snapshot.warnings = notes
    return snapshot
