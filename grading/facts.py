"""A device's facts for the rules: read from its checklist answers, its newest probe
snapshot and its specs, as numbers and words the rules compare. Pure.

Where two sources say the same thing, the measure taken at the bench wins: the
checklist's battery health (read in the phone's settings or a tool) over the probe's,
the probe's RAM and disks over what intake typed. A fact nobody measured is absent
(None), and the rules treat it as unknown.

Sizes are in the units their thresholds are written in: RAM in GiB as installed (the
modules' sizes, else what the kernel sees rounded up to a whole GiB: it keeps some for
itself), storage in GB as printed on disks (10^9 bytes).
"""

from __future__ import annotations

import math
import re
from typing import Any

GIB = 1024**3
GB = 10**9

# Windows 11's supported processors, as the practical rule has it: Intel 8th generation
# and later, AMD Zen+ and later (reference-data §4: Chromium's hardware_check.cc, medium;
# Microsoft's list itself not read). Read from the model name the probe reports.
_INTEL_CORE = re.compile(r"\bi[3579][- ](\d{4,5})(?:[a-z]\w*)?\b", re.IGNORECASE)
_INTEL_CORE_ULTRA = re.compile(r"\bcore\(?t?m?\)?\s+ultra\b", re.IGNORECASE)
_INTEL_NEW_CORE = re.compile(r"\bcore\(?t?m?\)?\s+[3579]\s+\d{3}", re.IGNORECASE)
_RYZEN = re.compile(
    r"\bryzen\s+(?:threadripper\s+)?(?:pro\s+)?(?:[3579]\s+)?(?:pro\s+)?(\d{4})",
    re.IGNORECASE,
)
# Celeron and Pentium: Microsoft's list takes the Gemini Lake Refresh, Jasper Lake and
# Elkhart Lake chips and those of the 8th-generation Core family and later; the older
# ones (Apollo Lake, the first Gemini Lake, Braswell, Bay Trail, Kaby Lake) it does not.
_ENTRY = re.compile(
    r"\b(?:celeron|pentium)(?:\(r\))?\s+(?:silver\s+|gold\s+)?(?:cpu\s+)?([nj]?\d{3,4}[a-z]?)\b",
    re.IGNORECASE,
)
ENTRY_SUPPORTED = frozenset(
    {
        "n4020", "n4120", "n4500", "n4505", "n5030", "n5100", "n5105", "n6000", "n6005",
        "n6210", "n6211", "n6415", "j4025", "j4125", "j5040", "j6412", "j6413", "j6426",
        "4205u", "4305u", "5205u", "5305u", "5405u", "6305", "6305e", "6405u", "7305",
        "7505", "8505", "6500y",
    }
)  # fmt: skip
_OLD = re.compile(
    r"\b(core\(?t?m?\)?\s*2|pentium(?:\(r\))?\s+(?:dual|d\b|4|m\b)|atom|athlon(?!\s+silver|\s+gold)"
    r"|phenom|turion|sempron|fx(?:\(tm\))?-\d|a\d{1,2}-\d{4})",
    re.IGNORECASE,
)


def intel_generation(model: str) -> int | None:
    """The generation of an Intel Core i3/i5/i7/i9 from its model number (i5-8250U: 8,
    i7-10510U: 10, i5-1135G7: 11), or None if the name is not one."""
    found = _INTEL_CORE.search(model)
    if found is None:
        return None
    digits = found.group(1)
    if len(digits) == 5 or (len(digits) == 4 and digits.startswith("1") and digits[1] in "0123"):
        return int(digits[:2])  # 10th gen and later: i5-10210U, i5-1135G7, i7-12700
    return int(digits[0])


def cpu_supports_windows11(model: str | None) -> bool | None:
    """Whether the processor is of a generation Windows 11 supports; None when its name
    says nothing we can tell (a server chip, an unknown brand)."""
    if not model:
        return None
    if _INTEL_CORE_ULTRA.search(model) or _INTEL_NEW_CORE.search(model):
        return True
    generation = intel_generation(model)
    if generation is not None:
        return generation >= 8
    ryzen = _RYZEN.search(model)
    if ryzen is not None:
        return int(ryzen.group(1)[0]) >= 2  # Ryzen 1000 is Zen; 2000 and later Zen+ on
    entry = _ENTRY.search(model)
    if entry is not None:
        return entry.group(1).lower() in ENTRY_SUPPORTED
    if _OLD.search(model):
        return False
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return None


def ram_gib(probe: dict[str, Any]) -> float | None:
    memory = probe.get("memory") or {}
    modules = [_module_bytes(m) for m in memory.get("modules") or []]
    if modules and all(size is not None for size in modules):
        return sum(size for size in modules if size is not None) / GIB
    total = memory.get("total_bytes")
    if isinstance(total, int) and total > 0:
        return float(math.ceil(total / GIB))
    return None


def _module_bytes(module: dict[str, Any]) -> int | None:
    size = module.get("size") or module.get("size_bytes")
    number = _number(size)
    return int(number) if number else None


def _own_disks(probe: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in probe.get("disks") or [] if not d.get("removable") and d.get("bus") != "usb"]


def storage(probe: dict[str, Any]) -> dict[str, Any]:
    disks = _own_disks(probe)
    sizes = [d["size_bytes"] for d in disks if isinstance(d.get("size_bytes"), int)]
    kinds = {d.get("kind") for d in disks}
    smart = [(d.get("smart") or {}).get("passed") for d in disks]
    all_known = bool(disks) and "unknown" not in kinds and None not in kinds
    return {
        "storage_gb": max(sizes) / GB if sizes else None,
        "has_ssd": _seen(bool(kinds & {"ssd", "nvme"}), all_known),
        "has_hdd": _seen("hdd" in kinds, all_known),
        "smart_failing": _seen(False in smart, bool(smart) and None not in smart),
    }


def _seen(found: bool, all_known: bool) -> bool | None:
    """True if found; False only if every disk said what it is; else unknown."""
    return True if found else (False if all_known else None)


def battery_percent(steps: dict[str, Any], probe: dict[str, Any]) -> float | None:
    measured = _number(steps.get("battery_health"))
    if measured is not None:
        return measured
    healths = [_number(b.get("health_percent")) for b in probe.get("batteries") or []]
    known = [h for h in healths if h is not None]
    return min(known) if known else None


def facts_of(
    category: str,
    steps: dict[str, Any],
    probe: dict[str, Any] | None,
    attributes: dict[str, Any],
    declared: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The facts the rules compare, from the checklist (`steps`: key → value), the newest
    snapshot (`probe`, as stored), the device's specs (`attributes`) and what the
    grading step declared (`declared`: a TPM 2.0 seen in the firmware settings)."""
    probe = probe or {}
    declared = declared or {}
    ram = ram_gib(probe)
    if ram is None:
        ram = _number(attributes.get("ram_gb"))
    found = storage(probe)
    if found["storage_gb"] is None:
        found["storage_gb"] = _number(attributes.get("storage_gb"))
    cpu = (probe.get("cpu") or {}).get("model") or attributes.get("cpu")
    tpm = declared.get("tpm2")
    if tpm is None:
        tpm = attributes.get("tpm2")
    return {
        "category": category,
        "battery_percent": battery_percent(steps, probe),
        "ram_gb": ram,
        **found,
        "cpu_windows11": cpu_supports_windows11(cpu if isinstance(cpu, str) else None),
        "tpm2": tpm if isinstance(tpm, bool) else None,
    }


SCREEN_KEYS = ("screen_in", "screen_inches", "screen_size", "screen", "ecran", "taille_ecran")
_INCHES = re.compile(r"(\d{1,2}(?:[.,]\d)?)")


def _decimal_text(value: float | None, places: int = 1) -> str | None:
    """A measure as the ledger keeps it (no floats): 7.45 → "7.5" at one place."""
    if value is None:
        return None
    return f"{value:.{places}f}".rstrip("0").rstrip(".")


def screen_inches(attributes: dict[str, Any]) -> str | None:
    """The screen's diagonal in inches as intake or the bench wrote it (15,6" → "15.6")."""
    for key in SCREEN_KEYS:
        value = attributes.get(key)
        if value is None:
            continue
        found = _INCHES.search(str(value))
        if found:
            return found.group(1).replace(",", ".")
    return None


def catalogue_specs(
    facts: dict[str, Any], probe: dict[str, Any] | None, attributes: dict[str, Any], os: str | None
) -> dict[str, Any]:
    """What the catalogue shows and filters on, from the facts graded (never a serial):
    RAM and storage in whole units, storage type, screen, processor, OS, battery."""
    probe = probe or {}
    cpu = (probe.get("cpu") or {}).get("model") or attributes.get("cpu")
    kinds = {d.get("kind") for d in _own_disks(probe)}
    storage_type = (
        "nvme"
        if "nvme" in kinds
        else "ssd"
        if "ssd" in kinds
        else "hdd"
        if "hdd" in kinds
        else attributes.get("storage_type")
    )
    ram, size, battery = facts.get("ram_gb"), facts.get("storage_gb"), facts.get("battery_percent")
    return {
        "ram_gb": round(ram) if isinstance(ram, int | float) else None,
        "storage_gb": round(size) if isinstance(size, int | float) else None,
        "storage_type": storage_type if isinstance(storage_type, str) else None,
        "screen_in": screen_inches(attributes),
        "cpu": cpu if isinstance(cpu, str) else None,
        "os": os,
        "battery_percent": round(battery) if isinstance(battery, int | float) else None,
    }
