"""`remise bench verify-wipe`: zeroed, random and partly written images, and loop devices.

The images are written the way a disk gets its content: zeros from a sparse file, random
bytes from os.urandom, partition tables by sfdisk, filesystems by mkfs, swap by mkswap.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from refurbish.erasure import disks, verify_wipe
from refurbish.erasure.bench_cli import app
from tests.refurbish.loopdev import MIB, Lab, Opens, require

runner = CliRunner()
SIZE = 8 * MIB
SECTORS = SIZE // 512
BLOCK = 4096


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DEFAULT_LOCALE", "en")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Lab(tmp_path) as found:
        yield found


def check(path: str | Path, *args: str) -> Any:
    with Opens.watch():
        result = runner.invoke(app, ["verify-wipe", str(path), *args], env={"COLUMNS": "200"})
    assert not Opens.wrote(path), "verify-wipe opened its target for writing"
    return result


def checked(path: str | Path, *args: str, status: int) -> dict[str, Any]:
    result = check(path, "--json", *args)
    assert result.exit_code == status, result.output
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def reasons(answer: dict[str, Any]) -> set[str]:
    return {failure["reason"] for failure in answer["failures"]}


def zeroed(lab: Lab) -> Path:
    return lab.image("zeroed.img", SIZE)


def randomised(lab: Lab) -> Path:
    return lab.image("random.img", SIZE, os.urandom(SIZE))


def test_a_zeroed_image_passes_zero_and_fails_the_other_patterns(lab: Lab) -> None:
    image = zeroed(lab)
    answer = checked(image, "--sample", "500", status=0)
    assert (answer["passed"], answer["failed"], answer["checked"]) == (True, 0, 502)
    assert (answer["size_bytes"], answer["sector_size"], answer["is_disk"]) == (SIZE, 512, False)
    one = checked(image, "--pattern", "one", "--sample", "10", status=1)
    assert (reasons(one), one["failed"]) == ({"not_one"}, 12)
    assert one["failures"][0]["message"] == "not all 0xFF (byte 0 is 0x00)"
    assert reasons(checked(image, "--pattern", "random", status=1)) == {"all_zero"}


def test_a_random_image_passes_random_and_fails_zero(lab: Lab) -> None:
    image = randomised(lab)
    answer = checked(image, "--pattern", "random", "--sample", "2000", status=0)
    assert (answer["passed"], answer["checked"]) == (True, 2002)
    zero = checked(image, "--sample", "100", status=1)
    assert reasons(zero) == {"not_zero"}
    assert zero["failed"] == 102
    assert len(zero["failures"]) == verify_wipe.MAX_LISTED


def test_ones_pass_one(lab: Lab) -> None:
    image = lab.image("ones.img", SIZE, b"\xff" * SIZE)
    assert checked(image, "--pattern", "one", status=0)["passed"] is True
    assert reasons(checked(image, "--pattern", "random", status=1)) == {"all_one"}


def test_random_data_written_again_and_again_is_not_random(lab: Lab) -> None:
    image = lab.image("repeated.img", SIZE, os.urandom(BLOCK) * (SIZE // BLOCK))
    answer = checked(image, "--pattern", "random", "--sample", "100", status=1)
    assert reasons(answer) == {"repeated"}


def block_at(lab: Lab) -> tuple[Path, int]:
    """A zeroed image with one 4 KiB block of data at a random (4 KiB-aligned) place
    past the first 68 KiB."""
    first = verify_wipe.HEAD_BYTES // BLOCK
    offset = random.randrange(first, SIZE // BLOCK - 1) * BLOCK
    image = zeroed(lab)
    with image.open("r+b") as disk:
        disk.seek(offset)
        disk.write(os.urandom(BLOCK))
    return image, offset


def test_a_block_left_behind_is_found_when_the_sample_hits_it(lab: Lab) -> None:
    image, offset = block_at(lab)
    dirty = set(range(offset // 512, (offset + BLOCK) // 512))
    sample = 50

    def hits(seed: int) -> bool:
        return bool(dirty & set(verify_wipe.sample_sectors(SECTORS, sample, seed)))

    seed = next(s for s in range(100_000) if hits(s))
    answer = checked(image, "--sample", str(sample), "--seed", str(seed), status=1)
    assert answer["seed"] == seed
    assert {f["sector"] for f in answer["failures"]} <= dirty
    assert all(f["offset"] == f["sector"] * 512 for f in answer["failures"])
    assert answer == checked(image, "--sample", str(sample), "--seed", str(seed), status=1)
    printed = check(image, "--sample", str(sample), "--seed", str(seed))
    assert f"seed {seed}" in printed.output
    assert f"Replay this check with --seed {seed}." in printed.output
    first = answer["failures"][0]
    assert f"sector {first['sector']} (byte {first['offset']}): not all 0x00" in printed.output
    missed = next(s for s in range(100_000) if not hits(s))
    assert checked(image, "--sample", str(sample), "--seed", str(missed), status=0)["passed"]


@pytest.mark.parametrize("where", ["first", "last"])
def test_data_in_the_first_or_last_sector_is_always_found(where: str, lab: Lab) -> None:
    image = zeroed(lab)
    sector = 0 if where == "first" else SECTORS - 1
    with image.open("r+b") as disk:
        disk.seek(sector * 512 + 100)
        disk.write(b"\x01")
    for seed in ("1", "2"):
        answer = checked(image, "--sample", "0", "--seed", seed, status=1)
        assert answer["checked"] == 2
        [failure] = answer["failures"]
        assert (failure["sector"], failure["offset"]) == (sector, sector * 512)
        assert failure["message"] == "not all 0x00 (byte 100 is 0x01)"


def random_with(lab: Lab, *command: str, stdin: str | None = None) -> Path:
    """A random image on which a real tool wrote its structure."""
    require(command[0], root=False)
    image = randomised(lab)
    subprocess.run([*command, str(image)], input=stdin, text=True, check=True, capture_output=True)
    return image


@pytest.mark.parametrize(
    ("command", "stdin", "found"),
    [
        (["sfdisk", "--quiet"], "label: dos\n,4MiB\n,\n", "MBR"),
        (["sfdisk", "--quiet"], "label: gpt\n,4MiB\n,\n", "GPT"),
        (["mkfs.ext4", "-q", "-F"], None, "ext2/3/4"),
        (["mkswap"], None, "swap"),
    ],
)
def test_a_partition_table_or_filesystem_left_on_random_data_fails(
    command: list[str], stdin: str | None, found: str, lab: Lab
) -> None:
    image = random_with(lab, *command, stdin=stdin)
    answer = checked(image, "--pattern", "random", "--sample", "10", status=1)
    signatures = [f["message"] for f in answer["failures"] if f["reason"] == "signature"]
    assert any(m.startswith(f"{found} signature (") for m in signatures), signatures


def test_the_signatures_of_random_data_are_none() -> None:
    # 1,000 heads of random data: a signature check that fired on noise would show here.
    heads = (os.urandom(verify_wipe.HEAD_BYTES) for _ in range(1000))
    assert [s for head in heads for s in verify_wipe.signatures(head)] == []


def test_a_loop_device_is_read_from_the_disk_and_passes(lab: Lab) -> None:
    require("losetup")
    device = lab.attach(zeroed(lab))
    answer = checked(device, "--sample", "300", status=0)
    assert (answer["is_disk"], answer["size_bytes"], answer["checked"]) == (True, SIZE, 302)


def test_a_loop_device_with_data_fails(lab: Lab) -> None:
    require("losetup")
    device = lab.attach(randomised(lab))
    answer = checked(device, "--sample", "10", status=1)
    assert answer["failed"] == 12


def test_a_mounted_loop_device_is_refused(lab: Lab) -> None:
    require("losetup", "mkfs.ext4")
    image = zeroed(lab)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    device = lab.attach(image)
    mounted = lab.mount(device, "mnt")
    result = check(device)
    assert result.exit_code == 2, result.output
    assert f"{Path(device).name} is in use ({device} → {mounted})" in result.output


def test_the_system_disk_is_refused() -> None:
    system = disks.system_disks()
    if not system:
        pytest.skip("no block device under / here (a container's overlay)")
    name = next(iter(system))
    result = check(disks.node_of(name))
    assert result.exit_code == 2, result.output
    assert f"{name} is the disk this computer runs from" in result.output


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("{tmp}/nothing-here", "does not exist."),
        ("/dev/null", "is a character device, not a disk"),
        ("{tmp}/empty.img", "is empty."),
    ],
)
def test_what_cannot_be_checked_is_refused(path: str, said: str, tmp_path: Path) -> None:
    (tmp_path / "empty.img").touch()
    result = check(path.format(tmp=tmp_path))
    assert result.exit_code == 2, result.output
    assert said in result.output


def test_the_sample_always_holds_the_first_and_last_sectors() -> None:
    assert verify_wipe.sample_sectors(100, 0, 7) == [0, 99]
    assert verify_wipe.sample_sectors(100, 1000, 7) == list(range(100))
    drawn = verify_wipe.sample_sectors(10**9, 5, 7)
    assert (len(drawn), drawn[0], drawn[-1]) == (7, 0, 10**9 - 1)
    assert drawn == verify_wipe.sample_sectors(10**9, 5, 7)
    assert drawn != verify_wipe.sample_sectors(10**9, 5, 8)
    assert verify_wipe.sample_sectors(1, 10, 7) == [0]
