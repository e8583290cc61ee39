"""`remise bench erase`: nwipe really run on loop devices over images in tmp_path.

Never on a real disk: the one real disk these tests name is the system disk, to see it
refused before anything opens it for writing. Recording goes through
`refurbish.erasure.cli.record_report`, replaced here by a recorder of its arguments
(the end-to-end test with the database is `remise erasure`'s).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from refurbish.erasure import cli as erasure_cli
from refurbish.erasure import disks, nwipe_run
from refurbish.erasure.bench_cli import app
from tests.refurbish.loopdev import MIB, Lab, Opens, require

runner = CliRunner()
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "erasure-corpus"
SIZE = 16 * MIB
CODE = "R-TEST-0001"


@pytest.fixture(autouse=True)
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DEFAULT_LOCALE", "en")
    monkeypatch.setenv("REMISE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    require("losetup", "nwipe")
    with Lab(tmp_path) as found:
        yield found


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The calls `bench erase` makes to record_report, each answered with one record
    passed as nwipe's log says."""
    calls: list[dict[str, Any]] = []

    def record_report(code: str, path: Path, **options: Any) -> list[dict[str, Any]]:
        calls.append({"code": code, "path": path, "log": path.read_text("latin-1"), **options})
        passed = re.search(r"^\s+\w+ \| Erased \|", calls[-1]["log"], re.MULTILINE) is not None
        return [{"id": len(calls), "medium_id": 7, "passed": passed}]

    monkeypatch.setattr(erasure_cli, "record_report", record_report)
    return calls


def erase(*args: str, answer: str | None = None) -> Any:
    """`bench erase CODE …`, watched: Opens then tells what it wrote and started."""
    with Opens.watch():
        return runner.invoke(app, ["erase", CODE, *args], input=answer, env={"COLUMNS": "200"})


def nwipe_started() -> bool:
    return any(Path(line[0]).name == "nwipe" and "--autonuke" in line for line in Opens.started)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def nwipe_version() -> str:
    printed = subprocess.run(["nwipe", "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\d+(\.\d+)+", printed)
    assert found, printed
    return found.group(0)


def test_a_zero_erasure_verified_passes_and_its_log_is_recorded(
    lab: Lab, recorded: list[dict[str, Any]], tmp_path: Path
) -> None:
    image = lab.image("donated.img", SIZE, os.urandom(SIZE))
    device = lab.attach(image)
    name = Path(device).name
    log = tmp_path / "erase.log"
    result = erase(
        device, "--method", "zero", "--verify", "last", "--log", str(log),
        "--medium", f"{name}:12", "--upload", "http://127.0.0.1:9", "--token", "T",
        answer=f"{name}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert nwipe_started()
    assert f"type its name ({name})" in result.output
    assert f"nwipe: {name} Erased." in result.output
    [call] = recorded
    assert (call["code"], call["path"]) == (CODE, log)
    assert call["media"] == [f"{name}:12"]
    assert (call["upload_to"], call["token"]) == ("http://127.0.0.1:9", "T")
    assert call["tool_version"] == nwipe_version()
    assert re.search(rf"^\s+{name} \| Erased \|", call["log"], re.MULTILINE)
    assert f"Verified that {device} is empty" in call["log"]
    assert "Erasure record 1, medium 7: passed" in result.output
    assert image.read_bytes() == bytes(SIZE)


def test_an_erasure_whose_writes_fail_is_recorded_as_failed_and_exits_1(
    lab: Lab, recorded: list[dict[str, Any]]
) -> None:
    # As the corpus's io-errors run: a sparse image larger than the tmpfs holding it, so
    # that the loop device fails the writes past the tmpfs's size with real I/O errors.
    small = lab.tmpfs("small", "4m")
    device = lab.attach(lab.image("too-big.img", SIZE, at=small))
    name = Path(device).name
    result = erase(device, "--yes-i-checked", name)
    assert result.exit_code == 1, result.output
    assert f"nwipe failed on {name} (-FAILED-, exit status 1)" in result.output
    [call] = recorded
    assert re.search(rf"^!\s+{name} \|-FAILED-\|", call["log"], re.MULTILINE)
    errors = re.search(rf"^!\s+{name} \|\s+(\d+) \|\s+(\d+) \|\s+(\d+)$", call["log"], re.M)
    assert errors and int(errors.group(3)) > 0, "fdatasync errors in the Error Summary"
    assert "Erasure record 1, medium 7: FAILED" in result.output
    assert call["path"].parent == Path(os.environ["REMISE_DATA_DIR"]) / "erasure-logs"


def test_a_record_refused_keeps_the_log_and_exits_1(
    lab: Lab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def refused(code: str, path: Path, **options: Any) -> list[dict[str, Any]]:
        print("409 The report does not say which disk is which", file=sys.stderr)
        raise typer.Exit(1)

    monkeypatch.setattr(erasure_cli, "record_report", refused)
    device = lab.attach(lab.image("donated.img", 8 * MIB, os.urandom(8 * MIB)))
    log = tmp_path / "kept.log"
    result = erase(device, "--yes-i-checked", Path(device).name, "--log", str(log))
    assert result.exit_code == 1, result.output
    assert f"remise erasure import {CODE} {log}" in result.output
    assert "Erased" in log.read_text("latin-1")


def partitioned(lab: Lab) -> tuple[Path, str]:
    require("sfdisk", "partx")
    image = lab.image("partitioned.img", SIZE, os.urandom(SIZE))
    subprocess.run(
        ["sfdisk", "--quiet", str(image)], input="label: dos\n,8MiB\n,\n", text=True, check=True
    )
    return image, lab.attach(image, partitions=True)


def test_a_partition_is_refused_for_its_whole_disk(
    lab: Lab, recorded: list[dict[str, Any]]
) -> None:
    image, device = partitioned(lab)
    before = digest(image)
    name = Path(device).name
    result = erase(f"{device}p1", "--yes-i-checked", f"{name}p1")
    assert result.exit_code == 2, result.output
    assert f"is the partition {name}p1 of the disk {name}: name the whole disk" in result.output
    assert not nwipe_started()
    assert (recorded, digest(image)) == ([], before)


def test_the_disk_and_its_partitions_are_shown_before_asking(
    lab: Lab, recorded: list[dict[str, Any]]
) -> None:
    image, device = partitioned(lab)
    before = digest(image)
    name = Path(device).name
    result = erase(device, answer="no\n")
    assert result.exit_code == 2, result.output
    assert "MBR (partition table)" in result.output
    assert f"{name}p1 8.4 MB" in result.output
    assert f"{name}p2 7.3 MB: nothing recognised" in result.output
    assert f"Size           17 MB ({SIZE} B)" in result.output
    assert f"Image file     {image}" in result.output
    assert f"Not confirmed: {name} was not erased, nothing was written." in result.output
    assert (recorded, digest(image)) == ([], before)


def test_a_mounted_disk_is_refused(lab: Lab, recorded: list[dict[str, Any]]) -> None:
    require("mkfs.ext4")
    image = lab.image("mounted.img", SIZE)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    device = lab.attach(image)
    mounted = lab.mount(device, "mnt")
    name = Path(device).name
    result = erase(device, "--yes-i-checked", name)
    assert result.exit_code == 2, result.output
    assert f"{name} is in use ({device} → {mounted})" in result.output
    assert "unmount it first" in result.output
    assert not nwipe_started() and not Opens.wrote(device)
    assert recorded == []


def test_a_disk_with_a_mounted_partition_is_refused(
    lab: Lab, recorded: list[dict[str, Any]]
) -> None:
    require("mkfs.ext4")
    _image, device = partitioned(lab)
    subprocess.run(["mkfs.ext4", "-q", "-F", f"{device}p2"], check=True)
    mounted = lab.mount(f"{device}p2", "mnt")
    name = Path(device).name
    result = erase(device, "--yes-i-checked", name)
    assert result.exit_code == 2, result.output
    assert f"{name} is in use ({device}p2 → {mounted})" in result.output
    assert not nwipe_started() and not Opens.wrote(device)
    assert recorded == []


def test_a_disk_holding_swap_is_refused(lab: Lab, recorded: list[dict[str, Any]]) -> None:
    require("mkswap", "swapon")
    image = lab.image("swap.img", SIZE)
    subprocess.run(["mkswap", str(image)], check=True, capture_output=True)
    device = lab.attach(image)
    lab.swap(device)
    name = Path(device).name
    result = erase(device, "--yes-i-checked", name)
    assert result.exit_code == 2, result.output
    assert f"{name} is the disk this computer runs from ({device} → swap)" in result.output
    assert not nwipe_started() and not Opens.wrote(device)
    assert recorded == []


def test_a_disk_another_program_holds_is_refused(lab: Lab, recorded: list[dict[str, Any]]) -> None:
    # What a mount, an md array or a partition editor does: open the disk exclusively.
    device = lab.attach(lab.image("held.img", SIZE))
    held = os.open(device, os.O_RDONLY | os.O_EXCL)
    try:
        result = erase(device, "--yes-i-checked", Path(device).name)
    finally:
        os.close(held)
    assert result.exit_code == 2, result.output
    assert f"{Path(device).name} is held exclusively (" in result.output
    assert not nwipe_started() and recorded == []


def test_the_system_disk_is_refused_without_being_opened_for_writing(
    recorded: list[dict[str, Any]],
) -> None:
    system = disks.system_disks()
    if not system:
        pytest.skip("no block device under / here (a container's overlay)")
    name = next(iter(system))
    node = disks.node_of(name)
    result = erase(node, "--yes-i-checked", disks.read_disk(node).confirmation())
    assert result.exit_code == 2, result.output
    assert f"{name} is the disk this computer runs from (" in result.output
    assert "it is never erased or checked from here" in result.output
    assert not Opens.wrote(node)
    assert not nwipe_started()
    assert recorded == []


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("{tmp}/disk.img", "{tmp}/disk.img is a file, not a disk."),
        ("{tmp}/nothing-here", "{tmp}/nothing-here does not exist."),
        ("/dev/null", "/dev/null is a character device, not a disk"),
        ("{tmp}", "{tmp} is not a disk."),
        pytest.param(
            "/dev/zram0",
            "/dev/zram0 (zram0) is a compressed RAM disk, not a disk.",
            marks=pytest.mark.skipif(not Path("/dev/zram0").exists(), reason="no zram here"),
        ),
    ],
)
def test_what_is_not_a_disk_is_refused(
    path: str, said: str, tmp_path: Path, recorded: list[dict[str, Any]]
) -> None:
    (tmp_path / "disk.img").write_bytes(os.urandom(MIB))
    result = erase(path.format(tmp=tmp_path), "--yes-i-checked", "disk")
    assert result.exit_code == 2, result.output
    assert said.format(tmp=tmp_path) in result.output
    assert recorded == []


@pytest.mark.parametrize("how", ["option", "prompt"])
def test_a_wrong_confirmation_writes_nothing(
    how: str, lab: Lab, recorded: list[dict[str, Any]]
) -> None:
    image = lab.image("donated.img", 8 * MIB, os.urandom(8 * MIB))
    before = digest(image)
    device = lab.attach(image)
    wrong = Path(device).name[:-1]  # loop1 → loop: a near miss
    if how == "option":
        result = erase(device, "--yes-i-checked", wrong)
    else:
        result = erase(device, answer=f"{wrong}\n")
    assert result.exit_code == 2, result.output
    assert "nothing was written" in result.output
    assert not nwipe_started() and not Opens.wrote(device)
    assert (recorded, digest(image)) == ([], before)


SERIAL = "S3Z1NB0K123456A"  # the example of a Samsung SSD


@pytest.mark.parametrize(
    ("serial", "answer", "confirmed"),
    [
        (SERIAL, "456A", True),
        (SERIAL, "456a", True),
        (SERIAL, " 456A ", True),
        (SERIAL, SERIAL, True),
        (SERIAL, SERIAL.lower(), True),
        (SERIAL, "56A", False),
        (SERIAL, "3456A", False),
        (SERIAL, "sdb", False),  # a disk with a serial is confirmed by its serial only
        (SERIAL, "", False),
        (None, "sdb", True),
        (None, "SDB", False),
        (None, "sd", False),
        (None, "", False),
    ],
)
def test_the_confirmation_is_the_serials_end_or_the_name(
    serial: str | None, answer: str, confirmed: bool
) -> None:
    disk = disks.Disk(
        path="/dev/sdb", node="/dev/sdb", name="sdb", rdev=os.makedev(8, 16),
        sys_path=Path("/sys/block/sdb"), model="Samsung SSD 860 EVO 250GB", vendor=None,
        serial=serial, size_bytes=250059350016, sector_size=512, bus="ata", removable=False,
        read_only=False, backing_file=None, partitions=(),
    )  # fmt: skip
    assert disk.confirmed_by(answer) is confirmed


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--upload", "http://127.0.0.1:9"], "--upload needs --token"),
        (["--medium", "sda"], "--medium takes DRIVE:MEDIUM_ID, such as sda:12, not “sda”"),
        (["--medium", "sda:twelve"], "not “sda:twelve”"),
    ],
)
def test_wrong_options_are_refused_before_the_disk_is_looked_at(
    args: list[str], said: str, recorded: list[dict[str, Any]]
) -> None:
    result = erase("/dev/nothing-here", *args)
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert "does not exist" not in result.output


def test_nwipe_is_given_the_one_confirmed_disk_and_nothing_else(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    line = nwipe_run.command(
        "/usr/sbin/nwipe", "/dev/sdc", method="zero", verify="last", log=log,
        exclude=["/dev/sda", "/dev/sdc", "/dev/nvme0n1"], tool_version="0.33",
    )  # fmt: skip
    assert line == [
        "/usr/sbin/nwipe", "--autonuke", "--nogui", "--nowait", "--method=zero",
        "--verify=last", f"--logfile={log}", "--exclude=/dev/sda,/dev/nvme0n1", "/dev/sdc",
    ]  # fmt: skip
    newer = nwipe_run.command("nwipe", "/dev/sdc", method="one", verify="all", log=log,
                              tool_version="0.42")  # fmt: skip
    assert f"--PDFreportpath={tmp_path}" in newer
    assert newer[-1] == "/dev/sdc"
    for device in ("", "sdc", "--autonuke"):  # with no device, nwipe would wipe them all
        with pytest.raises(ValueError):
            nwipe_run.command("nwipe", device, method="zero", verify="last", log=log)


def corpus_statuses() -> list[tuple[str, str, str]]:
    """(log file, device name, Drive Status) of every drive the corpus README lists."""
    if not CORPUS.exists():
        return []
    found = []
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for section in readme.split("\n### `")[1:]:
        name = section.split("`", 1)[0]
        if not name.endswith(".log"):
            continue
        lines = [line for line in section.splitlines() if line.startswith("| ")]
        header = next((line for line in lines if line.startswith("| device |")), None)
        if header is None:
            continue
        column = [c.strip() for c in header.split("|")].index("status (Drive Status)")
        for row in lines[lines.index(header) + 1 :]:
            cells = [c.strip() for c in row.split("|")]
            if cells[1].startswith("`/dev/"):
                status = cells[column].split("`")[1]
                found.append((name, cells[1].strip("`").removeprefix("/dev/"), status))
    return found


@pytest.mark.skipif(
    not CORPUS.exists() and os.environ.get("REMISE_REQUIRE_TOOLS") != "1",
    reason=f"no erasure corpus at {CORPUS}",
)
@pytest.mark.parametrize(("log", "device", "status"), corpus_statuses())
def test_the_drive_status_is_read_from_every_corpus_log(log: str, device: str, status: str) -> None:
    text = (CORPUS / log).read_text(encoding="latin-1")
    assert nwipe_run.drive_status(text, device) == status


def test_the_corpus_lists_every_status_nwipe_writes() -> None:
    if not CORPUS.exists():
        pytest.skip(f"no erasure corpus at {CORPUS}")
    statuses = corpus_statuses()
    assert len({log for log, _d, _s in statuses}) == 36
    assert {s for _l, _d, s in statuses} == {"Erased", "-FAILED-", "UABORTED"}
