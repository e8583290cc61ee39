"""`remise bench probe` and `watch` on the real recordings of ../shared/hardware-corpus.

Every file of the corpus is probed (a new file is tested without new code); the facts
its README gives are asserted where `corpus.FACTS` lists them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from refurbish.hardware import probe, smart
from tests.refurbish.corpus import (
    DUMPS,
    FACTS,
    NOT_FOR_UMOCKDEV,
    RECORDINGS,
    SMART,
    SMART_FACTS,
    assert_facts,
    needs_corpus,
    needs_umockdev,
)

REMISE = str(Path(sys.executable).with_name("remise"))
PLUG = str(Path(__file__).with_name("umockdev_plug.py"))
pytestmark = needs_corpus


def probe_json(*args: str, wrap: list[str] | None = None, stdin: str | None = None) -> Any:
    command = [*(wrap or []), REMISE, "bench", "probe", "--json", *args]
    done = subprocess.run(command, capture_output=True, text=True, input=stdin, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("dump", DUMPS, ids=lambda p: p.name)
def test_every_dump_gives_its_facts(dump: Path) -> None:
    with dump.open(encoding="utf-8", errors="replace") as lines:
        taken = probe.from_dump(lines).model_dump(mode="json")
    assert taken["source"] == "udev-db" and taken["schema_version"] == 1
    assert taken["system"]["vendor"] or taken["system"]["product"]
    assert_facts(taken, FACTS.get(dump.name, {}))


@pytest.mark.parametrize("dump", DUMPS[:2], ids=lambda p: p.name)
def test_a_dump_through_a_pipe_and_through_the_command(dump: Path) -> None:
    piped = probe_json("--from-udev-db", "-", stdin=dump.read_text(errors="replace"))
    assert_facts(piped, FACTS.get(dump.name, {}))
    named = probe_json("--from-udev-db", str(dump))
    assert named == piped


@needs_umockdev
@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda p: p.name)
def test_every_recording_probes_live_under_umockdev(recording: Path) -> None:
    taken = probe_json(wrap=["umockdev-run", "-d", str(recording), "--"])
    assert taken["source"] == "live"
    assert_facts(taken, FACTS.get(recording.name, {}))


@needs_umockdev
@pytest.mark.parametrize(
    "dump", [d for d in DUMPS if d.name not in NOT_FOR_UMOCKDEV], ids=lambda p: p.name
)
def test_dumps_umockdev_loads_probe_live_the_same(dump: Path) -> None:
    live = probe_json(wrap=["umockdev-run", "-d", str(dump), "--"])
    facts = {k: v for k, v in FACTS.get(dump.name, {}).items() if k in ("system", "batteries")}
    assert_facts(live, facts)
    disks = [(d["model"], d["serial"]) for d in live["disks"]]
    with dump.open(encoding="utf-8", errors="replace") as lines:
        expected = [(d.model, d.serial) for d in probe.from_dump(lines).disks]
    assert disks == expected


def test_a_dump_cut_in_the_middle_gives_what_it_has() -> None:
    text = (DUMPS[0]).read_text(errors="replace")
    for cut in (len(text) // 3, len(text) // 2 + 17, len(text) - 101):
        taken = probe.from_dump(text[:cut].splitlines(keepends=True))
        assert taken.source == "udev-db"  # a snapshot, not a crash
    half = probe.from_dump(text[len(text) // 2 :].splitlines(keepends=True))
    assert half.warnings or half.disks or half.batteries  # starts mid-block: still read


def test_garbage_is_a_snapshot_with_a_warning() -> None:
    taken = probe.from_dump(["this is not\n", "a udev dump\n", "\n"])
    assert taken.disks == [] and any("not a udev line" in w for w in taken.warnings)
    empty = probe.from_dump([])
    assert any("no device found" in w for w in empty.warnings)


@pytest.mark.parametrize("report", SMART, ids=lambda p: p.name)
def test_every_smart_report_gives_its_facts(report: Path) -> None:
    parsed = smart.parse(report.read_text(errors="replace")).model_dump()
    facts = SMART_FACTS.get(report.name, {})
    assert {k: parsed[k] for k in facts} == facts
    assert parsed["model"] and parsed["passed"] is not None


def test_smart_reports_attach_to_their_disk() -> None:
    t430s = next(d for d in DUMPS if d.name == "LENOVO_T430S.txt")
    hgst = next(r for r in SMART if r.name.startswith("HDD_HGST_HTS725050A7E630"))
    taken = probe_json("--from-udev-db", str(t430s), "--smart-from", str(hgst))
    [disk] = taken["disks"]
    assert disk["smart"]["passed"] is True and disk["size_bytes"] == 500_107_862_016


def test_smart_json_as_smartctl_prints_it() -> None:
    document = {
        "device": {"type": "nvme"},
        "model_name": "Samsung SSD 980 1TB",
        "serial_number": "S64ANS0T123456",
        "nvme_total_capacity": 1_000_204_886_016,
        "smart_status": {"passed": False},
        "power_on_time": {"hours": 812},
        "nvme_smart_health_information_log": {"percentage_used": 104, "critical_warning": 4},
    }
    report = smart.parse(json.dumps(document))
    assert (report.nvme, report.passed, report.percentage_used) == (True, False, 104)
    assert report.capacity_bytes == 1_000_204_886_016 and report.power_on_hours == 812


def test_this_machine_probes() -> None:
    taken = probe_json()
    assert taken["source"] == "live" and taken["cpu"]["cores"] >= 1
    assert taken["memory"]["total_bytes"] > 0


def test_the_summary_reads_like_a_bench_sheet() -> None:
    t430s = next(d for d in DUMPS if d.name == "LENOVO_T430S.txt")
    done = subprocess.run(
        [REMISE, "bench", "probe", "--from-udev-db", str(t430s)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "LENOVO 2355CTO ThinkPadT430s (laptop)" in done.stdout
    assert "97.70 %" in done.stdout and "TF755AWHG5Y15M" in done.stdout
    assert "Batterie BAT0" in done.stdout  # French first


def plug_and_watch(prefix: str, *, count: int, timeout: int) -> list[str]:
    """The event lines `remise bench watch` prints while a recording is plugged in and out."""
    recording = next(r for r in RECORDINGS if r.name.startswith(prefix))
    command = [REMISE, "bench", "watch", "--count", str(count), "--timeout", str(timeout)]
    done = subprocess.run(
        ["umockdev-wrapper", "/usr/bin/python3", PLUG, str(recording), *command],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if line[:1] in "+-"]


@needs_umockdev
def test_watch_sees_a_phone_plugged_in_and_out() -> None:
    assert plug_and_watch("sony", count=2, timeout=20) == [
        "+ phone Sony MiniPro serial 0123456789ABCDEF (mtp)",
        "- phone Sony MiniPro serial 0123456789ABCDEF (mtp)",
    ]


@needs_umockdev
def test_watch_ignores_a_camera() -> None:
    assert plug_and_watch("canon", count=1, timeout=3) == []


def test_partial_devices_give_what_is_known_and_say_what_is_not() -> None:
    lines = [
        "P: /devices/LNXSYSTM:00/PNP0C0A:00/power_supply/BAT0\n",
        "E: SUBSYSTEM=power_supply\n",
        "E: POWER_SUPPLY_TYPE=Battery\n",
        "E: POWER_SUPPLY_CHARGE_FULL=3100000\n",
        "\n",
        "P: /devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda\n",
        "E: SUBSYSTEM=block\n",
        "E: DEVTYPE=disk\n",
        "E: ID_MODEL=NoName_SSD\n",
        "E: ID_ATA_ROTATION_RATE_RPM=0\n",
    ]
    taken = probe.from_dump(lines)
    [battery] = taken.batteries
    assert battery.full_capacity == 3_100_000 and battery.health_percent is None
    [disk] = taken.disks
    assert disk.kind == "ssd" and disk.serial is None
    assert "battery BAT0: no design capacity, health unknown" in taken.warnings
    assert "disk sda: no serial number reported" in taken.warnings
