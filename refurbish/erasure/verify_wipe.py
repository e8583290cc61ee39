"""The read-only check of an erased disk or image: do the sectors hold the expected pattern?

`check` reads the first and last sectors and N more drawn at random (seeded, so that a
check can be replayed), plus the first 68 KiB where partition tables and filesystems keep
their signatures. Patterns: `zero` (every byte 0x00), `one` (every byte 0xFF), `random`
(no two sectors alike, none all-0x00 or all-0xFF). With every pattern, a signature that
libblkid would recognise (a partition table, a filesystem, an encrypted volume…) fails the
check: it is what an erasure must not leave. Disks are opened read-only, with O_DIRECT
when the kernel allows it, so that what is read comes from the disk and not from a cache.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import random
import secrets
import stat
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from db.errors import N_, Message
from refurbish.erasure import disks

PATTERNS = ("zero", "one", "random")
FILL = {"zero": 0x00, "one": 0xFF}
IMAGE_SECTOR = 512
HEAD_BYTES = 68 * 1024  # every signature below starts in the first 64 KiB + 100 bytes
MAX_LISTED = 20  # failures kept in a result; the count says how many there were
SEED_BITS = 32

PARTITION_TABLE = N_("partition table")
FILESYSTEM = N_("filesystem")
ENCRYPTED = N_("encrypted volume")
SWAP_AREA = N_("swap area")
RAID = N_("RAID member")
LVM = N_("LVM volume")
CACHE = N_("cache device")


def _mbr(head: bytes) -> bool:
    """0x55AA with four plausible boot indicators, as libblkid's dos prober demands (a
    random sector has 0x55AA at 510 once in 65,536)."""
    return all(head[446 + 16 * i] in (0x00, 0x80) for i in range(4))


def _ext(head: bytes) -> bool:
    log_block_size: int = struct.unpack_from("<I", head, 1024 + 24)[0]
    return log_block_size <= 6  # 1 KiB to 64 KiB blocks


def _hfs_version(version: int) -> Callable[[bytes], bool]:
    def plausible(head: bytes) -> bool:
        found: int = struct.unpack_from(">H", head, 1026)[0]
        return found == version

    return plausible


@dataclass(frozen=True)
class Signature:
    name: str
    kind: str
    offset: int
    magic: bytes
    plausible: Callable[[bytes], bool] | None = None


# Magic numbers and offsets as util-linux's libblkid probes them (libblkid/src/superblocks/
# and partitions/): the formats a donated disk is likely to hold.
SIGNATURES: tuple[Signature, ...] = (
    Signature("MBR", PARTITION_TABLE, 510, b"\x55\xaa", _mbr),
    Signature("GPT", PARTITION_TABLE, 512, b"EFI PART"),
    Signature("GPT", PARTITION_TABLE, 4096, b"EFI PART"),  # disks of 4096-byte sectors
    Signature("ext2/3/4", FILESYSTEM, 1080, b"\x53\xef", _ext),
    Signature("NTFS", FILESYSTEM, 3, b"NTFS    "),
    Signature("exFAT", FILESYSTEM, 3, b"EXFAT   "),
    Signature("BitLocker", ENCRYPTED, 3, b"-FVE-FS-"),
    Signature("FAT32", FILESYSTEM, 0x52, b"FAT32   "),
    Signature("FAT16", FILESYSTEM, 0x36, b"FAT16   "),
    Signature("FAT12", FILESYSTEM, 0x36, b"FAT12   "),
    Signature("FAT", FILESYSTEM, 0x36, b"FAT     "),
    Signature("XFS", FILESYSTEM, 0, b"XFSB"),
    Signature("btrfs", FILESYSTEM, 0x10040, b"_BHRfS_M"),
    Signature("LUKS", ENCRYPTED, 0, b"LUKS\xba\xbe"),
    Signature("LUKS2", ENCRYPTED, 0x4000, b"SKUL\xba\xbe"),  # secondary header
    Signature("LUKS2", ENCRYPTED, 0x8000, b"SKUL\xba\xbe"),
    *(
        Signature("swap", SWAP_AREA, page - 10, magic)
        for page in (0x1000, 0x2000, 0x4000, 0x8000, 0x10000)
        for magic in (b"SWAPSPACE2", b"SWAP-SPACE")
    ),
    Signature("ISO 9660", FILESYSTEM, 0x8001, b"CD001"),
    Signature("UDF", FILESYSTEM, 0x8001, b"BEA01"),
    *(Signature("LVM2", LVM, at, b"LVM2 001") for at in (0x18, 0x218, 0x418, 0x618)),
    Signature("Linux RAID", RAID, 0, b"\xfc\x4e\x2b\xa9"),  # metadata 1.1
    Signature("Linux RAID", RAID, 4096, b"\xfc\x4e\x2b\xa9"),  # metadata 1.2
    Signature("HFS+", FILESYSTEM, 1024, b"H+", _hfs_version(4)),
    Signature("HFSX", FILESYSTEM, 1024, b"HX", _hfs_version(5)),
    Signature("APFS", FILESYSTEM, 32, b"NXSB"),
    Signature("F2FS", FILESYSTEM, 1024, b"\x10\x20\xf5\xf2"),
    Signature("squashfs", FILESYSTEM, 0, b"hsqs"),
    Signature("JFS", FILESYSTEM, 32768, b"JFS1"),
    Signature("ReiserFS", FILESYSTEM, 0x10034, b"ReIsEr2Fs"),
    Signature("ReiserFS", FILESYSTEM, 0x10034, b"ReIsEr3Fs"),
    Signature("bcache", CACHE, 4096 + 24, bytes.fromhex("c68573f64e1a45ca8265f57f48ba6d81")),
)


def signatures(head: bytes) -> list[Signature]:
    """The signatures found in the first bytes of a disk, image or partition."""
    found = []
    for signature in SIGNATURES:
        end = signature.offset + len(signature.magic)
        if head[signature.offset : end] != signature.magic:
            continue
        if signature.plausible is None or signature.plausible(head):
            found.append(signature)
    return found


def head_signatures(path: str) -> list[Signature]:
    """The signatures at the start of the disk, partition or image at `path` (read-only);
    none if it cannot be read."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        return signatures(os.pread(descriptor, HEAD_BYTES, 0))
    except OSError:
        return []
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class Target:
    path: str
    name: str  # a disk's kernel name, or the image's file name
    is_disk: bool
    size_bytes: int
    sector_size: int

    @property
    def sectors(self) -> int:
        return -(-self.size_bytes // self.sector_size)


@dataclass(frozen=True)
class Failure:
    sector: int
    offset: int
    reason: str  # not_zero, not_one, all_zero, all_one, repeated, signature, unreadable
    message: str  # English template, to translate with `params`
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    target: Target
    pattern: str
    seed: int
    sampled: int
    checked: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.failed == 0

    def add(self, failure: Failure) -> None:
        self.failed += 1
        if len(self.failures) < MAX_LISTED:
            self.failures.append(failure)

    def as_json(self, translate: Callable[..., str]) -> dict[str, Any]:
        return {
            "path": self.target.path,
            "is_disk": self.target.is_disk,
            "size_bytes": self.target.size_bytes,
            "sector_size": self.target.sector_size,
            "pattern": self.pattern,
            "seed": self.seed,
            "sampled": self.sampled,
            "checked": self.checked,
            "passed": self.passed,
            "failed": self.failed,
            "failures": [
                {
                    "sector": f.sector,
                    "offset": f.offset,
                    "reason": f.reason,
                    "message": translate(f.message, **f.params),
                }
                for f in self.failures
            ],
        }


def open_target(path: str) -> Target:
    """An image file, or a whole disk that nothing of this computer uses (the checks of
    `bench erase`); raises disks.DiskRefused."""
    try:
        found = os.stat(path)
    except OSError:
        found = None
    if found is not None and stat.S_ISREG(found.st_mode):
        if found.st_size == 0:
            raise disks.DiskRefused(N_("%(path)s is empty."), path=path)
        return Target(path, os.path.basename(path), False, found.st_size, IMAGE_SECTOR)
    disk = disks.read_disk(path)
    disks.check_free(disk)
    return Target(path, disk.name, True, disk.size_bytes, disk.sector_size)


def new_seed() -> int:
    return secrets.randbits(SEED_BITS)


def sample_sectors(count: int, sample: int, seed: int) -> list[int]:
    """The sectors a check reads, in order: the first, the last, and `sample` others drawn
    with `seed` (all of them when there are fewer)."""
    inner = range(1, max(count - 1, 1))
    drawn = random.Random(seed).sample(inner, min(sample, len(inner)))
    return sorted({0, count - 1, *drawn})


class _Reader:
    """Reads whole sectors, bypassing the page cache (O_DIRECT) on a disk when it can."""

    def __init__(self, target: Target) -> None:
        self.target = target
        flags = os.O_RDONLY | os.O_CLOEXEC
        self.direct = target.is_disk and hasattr(os, "O_DIRECT")
        try:
            self.fd = os.open(target.path, flags | (os.O_DIRECT if self.direct else 0))
        except OSError:
            if not self.direct:
                raise
            self.direct = False
            self.fd = os.open(target.path, flags)
        self.buffer = mmap.mmap(-1, HEAD_BYTES)  # page-aligned, as O_DIRECT wants

    def read(self, offset: int, length: int) -> bytes:
        if not self.direct:
            return os.pread(self.fd, length, offset)
        view = memoryview(self.buffer)[:length]
        try:
            got = os.preadv(self.fd, [view], offset)
            return bytes(view[:got])
        finally:
            view.release()

    def close(self) -> None:
        self.buffer.close()
        os.close(self.fd)


def _pattern_failure(pattern: str, sector: int, offset: int, data: bytes) -> Failure | None:
    if pattern in FILL:
        fill = FILL[pattern]
        if data.count(fill) == len(data):
            return None
        at = next(i for i, byte in enumerate(data) if byte != fill)
        reason = "not_zero" if fill == 0 else "not_one"
        message = (
            N_("not all 0x00 (byte %(at)s is 0x%(byte)s)")
            if fill == 0
            else N_("not all 0xFF (byte %(at)s is 0x%(byte)s)")
        )
        return Failure(sector, offset, reason, message, {"at": at, "byte": f"{data[at]:02X}"})
    for fill, reason, message in (
        (0x00, "all_zero", N_("all 0x00, not random data")),
        (0xFF, "all_one", N_("all 0xFF, not random data")),
    ):
        if data.count(fill) == len(data):
            return Failure(sector, offset, reason, message)
    return None


def _signature_failures(head: bytes, target: Target) -> Iterable[Failure]:
    for found in signatures(head):
        yield Failure(
            found.offset // target.sector_size,
            found.offset,
            "signature",
            N_("%(name)s signature (%(kind)s) at byte %(offset)s"),
            {"name": found.name, "kind": Message(found.kind), "offset": found.offset},
        )


def _sector_failure(
    pattern: str, sector: int, offset: int, data: bytes, seen: dict[bytes, int]
) -> Failure | None:
    failure = _pattern_failure(pattern, sector, offset, data)
    if failure is not None or pattern != "random":
        return failure
    digest = hashlib.blake2b(data, digest_size=16).digest()
    other = seen.setdefault(digest, sector)
    if other == sector:
        return None
    return Failure(
        sector, offset, "repeated", N_("the same bytes as sector %(other)s"), {"other": other}
    )


def check(target: Target, *, pattern: str, sample: int, seed: int) -> Result:
    """Read the sectors `sample_sectors` names and the head of `target`; the result lists
    the sectors that do not hold `pattern`. Never writes."""
    result = Result(target=target, pattern=pattern, seed=seed, sampled=sample)
    size = target.sector_size
    seen: dict[bytes, int] = {}
    reader = _Reader(target)
    try:
        head_length = min(HEAD_BYTES, target.size_bytes) // size * size
        for failure in _signature_failures(reader.read(0, head_length), target):
            result.add(failure)
        for sector in sample_sectors(target.sectors, sample, seed):
            offset = sector * size
            result.checked += 1
            try:
                data = reader.read(offset, size)
            except OSError as exc:
                message = N_("could not be read: %(error)s")
                result.add(Failure(sector, offset, "unreadable", message, {"error": exc.strerror}))
                continue
            found = _sector_failure(pattern, sector, offset, data, seen)
            if found is not None:
                result.add(found)
    finally:
        reader.close()
    return result
