"""SMART reports from smartctl: its JSON (`smartctl --json -x`) or its text (`-x`, as saved).

What grading and the bench need of a disk's health: the overall assessment,
reallocated and pending sectors, power-on hours and, on NVMe, the percentage used.
Numbers in the text come with thousands separators of any kind (`500 107 862 016`,
`21,367`); a report that says nothing of a field leaves it empty.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from db.jsonvalue import Count

_FIELD = re.compile(r"^(?P<key>[A-Za-z][^:]{1,60}):\s+(?P<value>.+)$")
_ATTRIBUTE = re.compile(
    r"^\s*(?P<id>\d{1,3})\s+(?P<name>\S+)\s+\S+\s+\d+\s+\d+\s+\S+\s+\S+\s+(?P<raw>.+)$"
)
_ATTRIBUTE_OLD = re.compile(
    r"^\s*(?P<id>\d{1,3})\s+(?P<name>\S+)\s+0x[0-9a-f]+\s+\d+\s+\d+\s+\S+\s+\S+\s+\S+\s+\S+\s+(?P<raw>.+)$"
)
REALLOCATED, POWER_ON_HOURS, PENDING = 5, 9, 197


class SmartReport(BaseModel):
    model: str | None = None
    serial: str | None = None
    capacity_bytes: Count | None = None
    rotation_rpm: Count | None = None  # 0: solid state
    nvme: bool = False
    passed: bool | None = None  # the overall self-assessment
    reallocated_sectors: Count | None = None
    pending_sectors: Count | None = None
    power_on_hours: Count | None = None
    percentage_used: Count | None = None  # NVMe wear
    critical_warning: Count | None = None  # NVMe, a bit field


def _digits(text: str) -> int | None:
    """The first number in `text`, thousands separators (space, comma, dot) dropped."""
    found = re.match(r"\s*(\d[\d\s,.\u202f\u00a0]*)", text)
    if found is None:
        return None
    digits = re.sub(r"\D", "", found.group(1))
    return int(digits) if digits else None


def _serial(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", "--", "-") else value  # linuxhw anonymises serials as --


def parse_text(text: str) -> SmartReport:
    """A report from smartctl's text output (`-x`, `-a`, `-i -H -A`)."""
    report = SmartReport()
    for line in text.splitlines():
        if (attribute := _ATTRIBUTE_OLD.match(line) or _ATTRIBUTE.match(line)) is not None:
            _attribute(report, int(attribute.group("id")), attribute.group("raw"))
        elif (field := _FIELD.match(line.strip())) is not None:
            _field(report, field.group("key").strip(), field.group("value").strip())
    return report


def _field(report: SmartReport, key: str, value: str) -> None:
    if key in ("Device Model", "Model Number", "Product"):
        report.model = value
        report.nvme = report.nvme or key == "Model Number"
    elif key == "Serial Number":
        report.serial = _serial(value)
    elif key in ("User Capacity", "Total NVM Capacity") and report.capacity_bytes is None:
        report.capacity_bytes = _digits(value)
    elif key == "Rotation Rate":
        report.rotation_rpm = 0 if "Solid State" in value else _digits(value)
    elif key.startswith("SMART overall-health self-assessment") or key == "SMART Health Status":
        report.passed = value.upper().startswith(("PASSED", "OK"))
    elif key == "Percentage Used":
        report.percentage_used = _digits(value)
    elif key == "Power On Hours":
        report.power_on_hours = _digits(value)
    elif key == "Critical Warning":
        report.critical_warning = int(value.split()[0], 16) if value.startswith("0x") else None


def _attribute(report: SmartReport, number: int, raw: str) -> None:
    value = _digits(raw)
    if number == REALLOCATED:
        report.reallocated_sectors = value
    elif number == POWER_ON_HOURS:
        report.power_on_hours = value
    elif number == PENDING:
        report.pending_sectors = value


def parse_json(document: dict[str, Any]) -> SmartReport:
    """A report from `smartctl --json -x`."""
    raw = {a.get("id"): a.get("raw", {}).get("value") for a in _table(document)}
    nvme_log = document.get("nvme_smart_health_information_log") or {}
    capacity = (document.get("user_capacity") or {}).get("bytes") or document.get(
        "nvme_total_capacity"
    )
    return SmartReport(
        model=document.get("model_name"),
        serial=_serial(str(document.get("serial_number") or "")),
        capacity_bytes=capacity,
        rotation_rpm=document.get("rotation_rate"),
        nvme=(document.get("device") or {}).get("type") == "nvme",
        passed=(document.get("smart_status") or {}).get("passed"),
        reallocated_sectors=raw.get(REALLOCATED),
        pending_sectors=raw.get(PENDING),
        power_on_hours=(document.get("power_on_time") or {}).get("hours")
        or nvme_log.get("power_on_hours"),
        percentage_used=nvme_log.get("percentage_used"),
        critical_warning=nvme_log.get("critical_warning"),
    )


def _table(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list((document.get("ata_smart_attributes") or {}).get("table") or [])


def parse(text: str) -> SmartReport:
    """A report from either form: JSON if it parses as JSON, text otherwise."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            return parse_json(json.loads(stripped))
        except json.JSONDecodeError:
            pass
    return parse_text(text)
