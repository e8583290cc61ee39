"""A device's facts read from its probe snapshot, checklist and specs (grading/facts.py),
then graded with the shipped rules. Pure: no database.

Probes are in the shape refurbish/hardware/snapshot.py stores (cpu.model,
memory.total_bytes and modules with their size in bytes as text, disks with kind,
size_bytes, bus, removable and smart.passed, batteries with health_percent as text).
CPU names are the strings /proc/cpuinfo and udev report. Which processors Windows 11
supports: Microsoft's lists for Intel and AMD (Intel 8th generation and later, the
Gemini Lake Refresh Celerons N4020/N4120 and Pentium Silver N5030 among them; AMD Zen+
and the Ryzen 2000 APUs and later), reference-data §4.
"""

from __future__ import annotations

from typing import Any

import pytest

from grading.documents import shipped_rules
from grading.facts import (
    GIB,
    battery_percent,
    cpu_supports_windows11,
    facts_of,
    intel_generation,
    ram_gib,
    storage,
)
from grading.rules import decide

MIB = 2**20


@pytest.mark.parametrize(
    ("model", "supported"),
    [
        ("Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", True),
        ("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", True),
        ("Intel(R) Core(TM) i7-7700HQ CPU @ 2.80GHz", False),
        ("Intel(R) Core(TM) i5-6200U CPU @ 2.30GHz", False),
        ("Intel(R) Core(TM) i5-2520M CPU @ 2.50GHz", False),
        ("11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", True),
        ("Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", True),
        ("11th Gen Intel(R) Core(TM) i3-1115G4 @ 3.00GHz", True),
        ("Intel(R) Core(TM) i5-1035G1 CPU @ 1.00GHz", True),  # 10th gen, Ice Lake
        ("Intel(R) Core(TM) i3-10110U CPU @ 2.10GHz", True),
        ("12th Gen Intel(R) Core(TM) i7-1255U", True),
        ("Intel(R) Core(TM) Ultra 5 125U", True),
        ("Intel(R) Core(TM)2 Duo CPU     P8600  @ 2.40GHz", False),
        ("Intel(R) Pentium(R) Dual-Core CPU T4500 @ 2.30GHz", False),
        ("Intel(R) Atom(TM) CPU N270   @ 1.60GHz", False),
        ("Intel(R) Celeron(R) CPU N3060 @ 1.60GHz", False),  # Braswell: not on the list
        ("Intel(R) Celeron(R) N4020 CPU @ 1.10GHz", True),  # Gemini Lake Refresh: listed
        ("Intel Celeron N4020", True),  # as intake types it
        ("AMD Ryzen 5 2500U with Radeon Vega Mobile Gfx", True),
        ("AMD Ryzen 5 PRO 3500U w/ Radeon Vega Mobile Gfx", True),
        ("AMD Ryzen 5 3600 6-Core Processor", True),
        ("AMD Ryzen 7 5800H with Radeon Graphics", True),
        ("AMD Ryzen 7 1700 Eight-Core Processor", False),  # Zen
        ("AMD Ryzen Threadripper 1950X 16-Core Processor", False),
        ("AMD A10-9600P RADEON R5, 10 COMPUTE CORES 4C+6G", False),
        ("AMD FX(tm)-8350 Eight-Core Processor", False),
        ("AMD Phenom(tm) II X4 965 Processor", False),
        ("Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz", None),  # a server chip: not told
        ("ARMv7 Processor rev 4 (v7l)", None),
        ("", None),
        (None, None),
    ],
)
def test_windows_11_processors(model: str | None, supported: bool | None) -> None:
    assert cpu_supports_windows11(model) is supported


@pytest.mark.parametrize(
    ("model", "generation"),
    [
        ("Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", 8),
        ("Intel(R) Core(TM) i7-10510U CPU @ 1.80GHz", 10),
        ("Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", 11),  # the docstring's own example
        ("Intel(R) Core(TM) i7-12700 CPU", 12),
        ("Intel(R) Core(TM) i5-2520M CPU @ 2.50GHz", 2),
        ("Intel(R) Core(TM) i9-9900K CPU @ 3.60GHz", 9),
        ("AMD Ryzen 5 2500U with Radeon Vega Mobile Gfx", None),
    ],
)
def test_intel_generation(model: str, generation: int | None) -> None:
    assert intel_generation(model) == generation


@pytest.mark.parametrize(
    ("memory", "gib"),
    [
        ({"total_bytes": 8 * GIB, "modules": [{"size": str(4 * GIB)}, {"size": str(4 * GIB)}]},
         8.0),
        ({"total_bytes": 4 * GIB, "modules": [{"size": str(4 * GIB), "type": "DDR4"}]}, 4.0),
        ({"total_bytes": 8 * GIB - 300 * MIB}, 8.0),  # the kernel keeps some for itself
        ({"total_bytes": 4 * GIB - 200 * MIB}, 4.0),
        ({"total_bytes": 2 * GIB - 100 * MIB}, 2.0),
        ({"total_bytes": 6 * GIB, "modules": [{"size": str(4 * GIB)}, {"locator": "DIMM 1"}]},
         6.0),  # a module without a size: the kernel's total
        ({}, None),
        ({"total_bytes": None, "modules": []}, None),
    ],
)  # fmt: skip
def test_ram_in_gib_as_installed(memory: dict[str, Any], gib: float | None) -> None:
    assert ram_gib({"memory": memory}) == gib


NVME = {"name": "nvme0n1", "kind": "nvme", "bus": "nvme", "size_bytes": 256_060_514_304,
        "removable": False, "smart": {"passed": True}}  # fmt: skip
HDD = {"name": "sda", "kind": "hdd", "bus": "ata", "size_bytes": 500_107_862_016,
       "removable": False, "smart": {"passed": True}}  # fmt: skip
STICK = {"name": "sdb", "kind": "ssd", "bus": "usb", "size_bytes": 2_000_398_934_016,
         "removable": True}  # fmt: skip
OLD = {"name": "sda", "kind": "unknown", "bus": "ata", "size_bytes": 160_041_885_696}


@pytest.mark.parametrize(
    ("disks", "expected"),
    [
        ([NVME], (256.060514304, True, False, False)),
        ([HDD], (500.107862016, False, True, False)),
        ([HDD, NVME], (500.107862016, True, True, False)),
        ([HDD, STICK], (500.107862016, False, True, False)),  # a USB disk is not the computer's
        ([STICK], (None, None, None, None)),
        ([OLD], (160.041885696, None, None, None)),  # udev said nothing of its rotation
        ([HDD, OLD], (500.107862016, None, True, None)),
        ([{**HDD, "smart": {"passed": False}}], (500.107862016, False, True, True)),
        ([{**NVME, "size_bytes": 25_000_000_000}], (25.0, True, False, False)),
        ([{**NVME, "size_bytes": 64_000_000_000}], (64.0, True, False, False)),
        ([], (None, None, None, None)),
    ],
)
def test_storage_in_gb_as_printed(disks: list[dict[str, Any]], expected: tuple[Any, ...]) -> None:
    found = storage({"disks": disks})
    assert (
        found["storage_gb"],
        found["has_ssd"],
        found["has_hdd"],
        found["smart_failing"],
    ) == expected


@pytest.mark.parametrize(
    ("steps", "batteries", "percent"),
    [
        ({}, [{"name": "BAT0", "health_percent": "88.10"}], 88.1),
        ({}, [{"health_percent": "88.10"}, {"health_percent": "61.47"}], 61.47),  # the worst
        ({}, [{"health_percent": None}, {"health_percent": "79.90"}], 79.9),
        ({"battery_health": 75}, [{"health_percent": "88.10"}], 75.0),  # the bench's measure
        ({"battery_health": "79,5"}, [], 79.5),
        ({"battery_health": True}, [], None),
        ({}, [{"name": "BAT0"}], None),
        ({}, [], None),
    ],
)
def test_battery_percent_prefers_the_bench_measure(
    steps: dict[str, Any], batteries: list[dict[str, Any]], percent: float | None
) -> None:
    assert battery_percent(steps, {"batteries": batteries}) == percent


THINKPAD: dict[str, Any] = {
    "schema_version": 1,
    "source": "live",
    "system": {"vendor": "LENOVO", "product": "20L7002AFR", "chassis": "laptop"},
    "cpu": {"model": "Intel(R) Core(TM) i5-8350U CPU @ 1.70GHz", "cores": 8},
    "memory": {"total_bytes": 8 * GIB - 300 * MIB},
    "disks": [{**NVME, "model": "SAMSUNG MZVLB256HAHQ", "serial": "S4DXNX0M123456"}],
    "batteries": [{"name": "BAT0", "health_percent": "88.10"}],
}
OLD_LATITUDE: dict[str, Any] = {
    "schema_version": 1,
    "cpu": {"model": "Intel(R) Core(TM)2 Duo CPU     P8600  @ 2.40GHz", "cores": 2},
    "memory": {"total_bytes": 2 * GIB, "modules": [{"size": str(GIB)}, {"size": str(GIB)}]},
    "disks": [{**HDD, "size_bytes": 160_041_885_696}],
    "batteries": [{"name": "BAT0", "health_percent": "41.02"}],
}


def test_facts_of_a_probed_laptop() -> None:
    facts = facts_of("laptop", {"battery_health": 86}, THINKPAD, {"ram_gb": 4}, {"tpm2": True})
    assert facts == {
        "category": "laptop", "battery_percent": 86.0, "ram_gb": 8.0, "storage_gb": 256.060514304,
        "has_ssd": True, "has_hdd": False, "smart_failing": False, "cpu_windows11": True,
        "tpm2": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("declared", "attributes", "tpm2"),
    [
        ({"tpm2": True}, {"tpm2": False}, True),  # what the grading step saw wins
        ({"tpm2": None}, {"tpm2": True}, True),
        ({}, {"tpm2": False}, False),
        ({"tpm2": "yes"}, {}, None),  # only a yes or no is a measure
        ({}, {}, None),
    ],
)
def test_tpm_declared_at_grading_else_from_the_specs(
    declared: dict[str, Any], attributes: dict[str, Any], tpm2: bool | None
) -> None:
    assert facts_of("laptop", {}, THINKPAD, attributes, declared)["tpm2"] is tpm2


def test_specs_stand_in_for_a_probe_nobody_ran() -> None:
    attributes = {"ram_gb": "8", "storage_gb": 128, "cpu": "Intel Core i5-8250U"}
    facts = facts_of("laptop", {}, None, attributes)
    assert (facts["ram_gb"], facts["storage_gb"], facts["cpu_windows11"]) == (8.0, 128.0, True)
    assert (facts["has_ssd"], facts["battery_percent"], facts["tpm2"]) == (None, None, None)


def test_the_probe_wins_over_the_specs() -> None:
    facts = facts_of("laptop", {}, THINKPAD, {"ram_gb": 4, "storage_gb": 1000, "cpu": "Core2"})
    assert (facts["ram_gb"], facts["storage_gb"], facts["cpu_windows11"]) == (
        8.0,
        256.060514304,
        True,
    )


LAPTOP_ZONES = {"keyboard": "A"}
GOOD_STEPS = {"casing": "good", "screen": "perfect"}
WORN_BATTERY = {**GOOD_STEPS, "battery_health": 59}


@pytest.mark.parametrize(
    ("probe", "steps", "declared", "expected"),
    [
        (THINKPAD, GOOD_STEPS, {"tpm2": True}, ("graded", "A", "windows")),
        (THINKPAD, GOOD_STEPS, {}, ("graded", "A", "linux")),  # TPM not checked
        (THINKPAD, {**GOOD_STEPS, "casing": "worn"}, {"tpm2": True}, ("graded", "B", "windows")),
        (THINKPAD, WORN_BATTERY, {"tpm2": True}, ("graded", "B", "windows")),
        ({**THINKPAD, "disks": [HDD]}, GOOD_STEPS, {"tpm2": True}, ("graded", "B", "windows")),
        (OLD_LATITUDE, GOOD_STEPS, {"tpm2": False}, ("not_sold", None, None)),
    ],
)  # fmt: skip
def test_a_probed_laptop_graded_with_the_shipped_rules(
    probe: dict[str, Any],
    steps: dict[str, Any],
    declared: dict[str, Any],
    expected: tuple[str, str | None, str | None],
) -> None:
    facts = {**facts_of("laptop", steps, probe, {}, declared), "functions_failed": 0}
    found = decide(shipped_rules(), "laptop", facts, steps, LAPTOP_ZONES)
    assert (found.outcome, found.grade, found.os) == expected


def test_an_old_laptop_says_why_it_is_not_sold() -> None:
    facts = {**facts_of("laptop", {}, OLD_LATITUDE, {}), "functions_failed": 0}
    found = decide(shipped_rules(), "laptop", facts, GOOD_STEPS, LAPTOP_ZONES)
    assert [(r.rule, r.said("fr")) for r in found.reasons] == [
        ("laptop_battery_a", "batterie 41,02 % < 60 % : pas de grade A"),
        ("hard_disk_only", "disque dur sans SSD : pas de grade A"),
        ("ram_below_linux",
         "RAM 2 Go < 4 Go : sous le minimum d'un système maintenu, pas vendu en l'état"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("category", "battery", "outcome"),
    [
        ("smartphone", "80.00", "graded"),
        ("smartphone", "79.99", "no_grade"),
        ("tablet", "80.00", "graded"),
        ("tablet", "79.90", "no_grade"),
    ],
)
def test_a_phone_battery_read_by_a_probe(category: str, battery: str, outcome: str) -> None:
    probe = {"batteries": [{"name": "battery", "health_percent": battery}]}
    facts = {**facts_of(category, {}, probe, {"storage_gb": 64}), "functions_failed": 0}
    judged = dict.fromkeys(("screen", "casing", "buttons"), "A")
    assert decide(shipped_rules(), category, facts, {}, judged).outcome == outcome
