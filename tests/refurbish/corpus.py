"""The hardware corpus (../shared/hardware-corpus) and the facts a person reads in it.

FACTS holds, per file, what its README says a probe must find. A file added to the
corpus without facts here is still probed by every test (it must give a snapshot,
not a crash); its facts are worth adding.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3] / "shared" / "hardware-corpus"
DUMPS = sorted((ROOT / "udevadm-export-db").glob("*.txt")) if ROOT.exists() else []
RECORDINGS = sorted((ROOT / "umockdev").glob("*.umockdev")) if ROOT.exists() else []
SMART = sorted((ROOT / "smart").glob("*.txt")) if ROOT.exists() else []
# Dumps umockdev-run refuses, and why (the corpus README, "Loading").
NOT_FOR_UMOCKDEV = {
    "CAPTURE_METADATA.txt": "a parent listed after its child",
    "HP_ELITEBOOK_835_13_INCH_G10.txt": "export-db `L: 0` lines mean symlinks to umockdev",
}

needs_corpus = pytest.mark.skipif(
    not ROOT.exists() and os.environ.get("REMISE_REQUIRE_TOOLS") != "1",
    reason=f"no hardware corpus at {ROOT}",
)
needs_umockdev = pytest.mark.skipif(
    shutil.which("umockdev-run") is None and os.environ.get("REMISE_REQUIRE_TOOLS") != "1",
    reason="needs Debian's umockdev",
)

Disk = dict[str, Any]
FACTS: dict[str, dict[str, Any]] = {
    "LENOVO_T430S.txt": {
        "system": {"vendor": "LENOVO", "product": "2355CTO", "version": "ThinkPadT430s",
                   "chassis": "laptop"},
        "disks": [{"name": "sda", "model": "HGST HTS725050A7E630", "serial": "TF755AWHG5Y15M",
                   "kind": "hdd", "rotation_rpm": 7200, "bus": "ata", "removable": False}],
        "batteries": [{"name": "BAT0", "health_percent": "97.70", "unit": "µWh",
                       "manufacturer": "SANYO", "model": "45N1037", "serial": "1586"}],
        "network": {"eth0", "wlan0", "wwan0"},
    },
    "DELL_XPS1340.txt": {
        "system": {"vendor": "DellInc.", "product": "StudioXPS1340", "chassis": "laptop"},
        "disks": [{"name": "sda", "model": "ST9500420ASG", "serial": "5VJ364ST", "kind": "hdd",
                   "rotation_rpm": 7200}],
        "batteries": [{"name": "BAT0", "health_percent": "76.89", "unit": "µAh",
                       "manufacturer": "PANASONIC", "serial": "28703"}],
        "network": {"eth0", "wlan0"},
    },
    "CAPTURE_METADATA.txt": {
        "system": {"vendor": "DellInc.", "product": "Latitude3590", "chassis": "laptop"},
        "disks": [
            {"name": "sda", "model": "WDC WD10SPZX-75Z10T0", "serial": "WXT1A77LHFFH",
             "kind": "hdd", "rotation_rpm": 5400},
            {"name": "nvme0n1", "model": "KXG50ZNV512G NVMe TOSHIBA 512GB",
             "serial": "87VB6270K5LS", "kind": "nvme", "bus": "nvme"},
        ],
        "batteries": [{"name": "BAT0", "health_percent": "93.05", "unit": "µAh",
                       "manufacturer": "Samsung SDI", "model": "DELL W7NKD78"}],
        "macs": {"enp2s0": "a4:4c:c8:53:d5:e2", "wlp3s0": "ac:2b:6e:23:85:7f"},
    },
    "HP_ELITEBOOK_835_13_INCH_G10.txt": {
        "system": {"vendor": "HP", "product": "HP EliteBook 835 13 inch G10 Notebook PC",
                   "chassis": "laptop"},
        "memory_bytes": 16 * 2**30,
        "disks": [
            {"name": "nvme0n1", "model": "WD PC SN740 SDDQNQD-256G-1006",
             "serial": "225051442012", "kind": "nvme", "removable": False},
            {"name": "sda", "model": "USB DISK 3.0", "serial": "071C395B848A2D24", "bus": "usb",
             "removable": True},
        ],
        "batteries": [],
        "macs": {"wlp1s0": "60:e9:aa:f9:67:67", "enx54af978e007e": "54:af:97:8e:00:7e"},
    },
    "LENOVO_E445.txt": {
        "system": {"vendor": "LENOVO", "product": "20B1Z008CN", "version": "ThinkPadEdgeE445"},
        "disks": [{"name": "sda", "model": "HGST HTS541010A9E680", "serial": "JD10501VHYPG8A",
                   "kind": "hdd", "rotation_rpm": 5400}],
        "batteries": [{"name": "BAT0", "health_percent": "102.44", "model": "45N1043"}],
        "warning": "more than its design capacity",
    },
    "SAMSUNG_N310.txt": {
        "system": {"product": "N310", "chassis": "laptop"},
        "disks": [{"name": "sda", "model": "FUJITSU MHZ2160BH G2", "serial": "K62TT982L0DK",
                   "kind": "unknown", "rotation_rpm": None}],  # no rotation property: not "SSD"
        "batteries": [{"name": "BAT1", "health_percent": "89.27", "unit": "µAh",
                       "manufacturer": "SAMSUNG Electronics", "model": None, "serial": None}],
        "warning": "HDD or SSD unknown",
    },
    "sony-xperia-mini-pro.umockdev": {
        "phones": [{"vendor": "Sony", "model": "MiniPro", "serial": "0123456789ABCDEF",
                    "vendor_id": "0fce", "product_id": "0166", "kind": "mtp"}],
    },
    "canon-powershot-sx200.umockdev": {"phones": []},  # a camera is not a phone
}  # fmt: skip
SMART_FACTS: dict[str, dict[str, Any]] = {
    "HDD_HGST_HTS725050A7E630_0B4DF3BDFEEB.smartctl.txt": {
        "model": "HGST HTS725050A7E630", "serial": None, "capacity_bytes": 500_107_862_016,
        "rotation_rpm": 7200, "passed": True, "reallocated_sectors": 0, "pending_sectors": 0,
        "power_on_hours": 29, "nvme": False,
    },
    "NVMe_Toshiba_KXG50ZNV512G_04DABAAC3AF2.smartctl.txt": {
        "model": "KXG50ZNV512G NVMe TOSHIBA 512GB", "capacity_bytes": 512_110_190_592,
        "passed": True, "percentage_used": 17, "power_on_hours": 21_367, "critical_warning": 0,
        "nvme": True,
    },
}  # fmt: skip


def assert_facts(snapshot: dict[str, Any], facts: dict[str, Any]) -> None:
    """`snapshot` (as JSON) holds every fact listed for its file."""
    for key, value in facts.get("system", {}).items():
        assert snapshot["system"][key] == value, key
    if "memory_bytes" in facts:
        assert snapshot["memory"]["total_bytes"] == facts["memory_bytes"]
    for listed in ("disks", "batteries", "phones"):
        if listed in facts:
            assert len(snapshot[listed]) == len(facts[listed]), listed
            for found, expected in zip(snapshot[listed], facts[listed], strict=True):
                assert {k: found[k] for k in expected} == expected, listed
    if "network" in facts:
        assert {n["name"] for n in snapshot["network"]} >= facts["network"]
    for name, mac in facts.get("macs", {}).items():
        assert {n["name"]: n["mac"] for n in snapshot["network"]}[name] == mac
    if "warning" in facts:
        assert any(facts["warning"] in w for w in snapshot["warnings"]), snapshot["warnings"]
