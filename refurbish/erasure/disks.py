"""What a disk is, for `remise bench erase` and `verify-wipe`: read from /sys and udev.

A path given at the bench is accepted only if it is a whole disk that nothing of this
computer uses: not the disk the system runs from (/, /boot, /boot/efi, swap…), not a disk
with a mounted filesystem, a swap area or an open LVM, RAID or encrypted volume on it or on
one of its partitions. Every refusal is a `DiskRefused` naming the disk and why. Nothing
here ever writes; the one device this module opens, it opens read-only.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.errors import N_, Invalid, Message

SYS_DEV_BLOCK = Path("/sys/dev/block")
SYS_CLASS_BLOCK = Path("/sys/class/block")
MOUNTINFO = Path("/proc/self/mountinfo")
SWAPS = Path("/proc/swaps")
# The mount points of the running system: the disk under any of them is the system disk.
SYSTEM_MOUNTS = frozenset({"/", "/boot", "/boot/efi", "/efi", "/usr", "/var"})
SWAP = "swap"
SECTOR_UNIT = 512  # /sys/…/size counts 512-byte units whatever the disk's sector size
CONFIRM_CHARS = 4
MAX_DEPTH = 8  # volumes over volumes (LVM on LUKS on RAID…) go no deeper than this
# Kernel names of block devices that are not disks one erases (device mapper and software
# RAID volumes are refused with a message of their own).
NOT_DISKS = {
    "ram": N_("a RAM disk"),
    "zram": N_("a compressed RAM disk"),
    "sr": N_("an optical drive"),
    "fd": N_("a floppy drive"),
}
VOLUMES = {"dm-": N_("a device-mapper volume (LVM or encryption)"), "md": N_("a software RAID")}


class DiskRefused(Invalid):
    code = "disk_refused"
    message = N_("%(path)s cannot be used: %(reason)s.")


@dataclass(frozen=True)
class Use:
    """Something of this computer on a disk: a mounted filesystem or a swap area."""

    device: str  # what is mounted: sda2, dm-0, or the source mountinfo gives
    where: str  # the mount point, or "swap"

    @property
    def system(self) -> bool:
        return self.where in SYSTEM_MOUNTS or self.where == SWAP


@dataclass(frozen=True)
class Partition:
    name: str
    node: str
    size_bytes: int


@dataclass(frozen=True)
class Disk:
    path: str  # as given: /dev/sdb, /dev/disk/by-id/…
    node: str  # /dev/<kernel name>
    name: str
    rdev: int
    sys_path: Path
    model: str | None
    vendor: str | None
    serial: str | None
    size_bytes: int
    sector_size: int
    bus: str | None
    removable: bool
    read_only: bool
    backing_file: str | None
    partitions: tuple[Partition, ...]

    def confirmation(self) -> str:
        """What the volunteer types to confirm: the serial's last four characters, or, for
        a disk that reports no serial, its kernel name."""
        return self.serial[-CONFIRM_CHARS:] if self.serial else self.name

    def confirmed_by(self, answer: str) -> bool:
        """Whether `answer` names this disk: the serial's last four characters or the whole
        serial (any case), or the kernel name of a disk without a serial."""
        typed = answer.strip()
        if not self.serial:
            return typed == self.name
        return typed.casefold() in (self.confirmation().casefold(), self.serial.casefold())


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _int(path: Path) -> int | None:
    text = _read(path)
    return int(text) if text and text.isdigit() else None


def node_of(name: str) -> str:
    """The /dev path of a kernel block device name (sysfs writes `/` as `!`)."""
    return "/dev/" + name.replace("!", "/")


def sys_path_of(rdev: int) -> Path | None:
    link = SYS_DEV_BLOCK / f"{os.major(rdev)}:{os.minor(rdev)}"
    return link.resolve() if link.exists() else None


def _names(folder: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in folder.iterdir())
    except OSError:
        return []


def disks_under(sys_path: Path, depth: int = 0) -> set[str]:
    """The whole disks a block device lives on: itself, the disk of a partition, the disks
    under an LVM, RAID or encrypted volume, and those holding a loop device's file."""
    if depth > MAX_DEPTH:
        return set()
    if (sys_path / "partition").exists():
        return disks_under(sys_path.parent, depth + 1)
    slaves = _names(sys_path / "slaves")
    if slaves:
        found: set[str] = set()
        for slave in slaves:
            found |= disks_under((SYS_CLASS_BLOCK / slave).resolve(), depth + 1)
        return found
    found = {sys_path.name}
    backing = _read(sys_path / "loop" / "backing_file")
    if backing:
        try:
            holder = sys_path_of(os.stat(backing).st_dev)
        except OSError:
            holder = None
        if holder is not None:
            found |= disks_under(holder, depth + 1)
    return found


def _unescape(field: str) -> str:
    """Mountinfo writes space, tab, newline and backslash as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _block_rdev(path: str) -> int | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_rdev if stat.S_ISBLK(found.st_mode) else None


def _mounted(mountinfo: str) -> Iterator[tuple[int, str, str]]:
    """(device number, what, mount point) of each mount backed by a block device."""
    for line in mountinfo.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        major, _, minor = fields[2].partition(":")
        where = _unescape(fields[4])
        after = line.split(" - ", 1)[1].split()  # filesystem type, source, options
        source = _unescape(after[1]) if len(after) > 1 else ""
        rdev = os.makedev(int(major), int(minor))
        if int(major) == 0:
            # btrfs (and a few others) show an anonymous device number: the source names
            # the block device instead.
            found = _block_rdev(source) if source.startswith("/") else None
            if found is None:
                continue
            rdev = found
        yield rdev, source, where


def _swapped(swaps: str) -> Iterator[tuple[int, str, str]]:
    for line in swaps.splitlines()[1:]:
        if not line.strip():
            continue
        name = _unescape(line.split()[0])
        rdev = _block_rdev(name)
        if rdev is None:  # a swap file: the filesystem holding it is mounted anyway
            try:
                rdev = os.stat(name).st_dev
            except OSError:
                continue
        yield rdev, name, SWAP


def uses(mountinfo: str | None = None, swaps: str | None = None) -> dict[str, list[Use]]:
    """What this computer has mounted or swaps on, by whole disk (kernel name)."""
    if mountinfo is None:
        mountinfo = _read(MOUNTINFO) or ""
    if swaps is None:
        swaps = _read(SWAPS) or ""
    found: dict[str, list[Use]] = {}
    for rdev, source, where in [*_mounted(mountinfo), *_swapped(swaps)]:
        sys_path = sys_path_of(rdev)
        if sys_path is None:
            continue
        for disk in disks_under(sys_path):
            found.setdefault(disk, []).append(Use(device=sys_path.name or source, where=where))
    return found


def system_disks() -> dict[str, list[Use]]:
    """The disks the running system lives on (/, /boot, /boot/efi, /usr, /var, swap)."""
    return {
        disk: [u for u in found if u.system]
        for disk, found in uses().items()
        if any(u.system for u in found)
    }


def _refuse(path: str, reason: str, **params: Any) -> DiskRefused:
    return DiskRefused(reason, path=path, **params)


def _kind_of(name: str) -> tuple[str, str] | None:
    for prefix, kind in (*VOLUMES.items(), *NOT_DISKS.items()):
        if name.startswith(prefix) and (prefix != "md" or name[2:3].isdigit()):
            return prefix, kind
    return None


def block_device(path: str) -> tuple[int, Path]:
    """The device number and sysfs folder of the whole disk at `path`; raises DiskRefused
    for a missing path, a file, a character device, a partition or a volume."""
    try:
        found = os.stat(path)
    except FileNotFoundError as exc:
        raise _refuse(path, N_("%(path)s does not exist.")) from exc
    except OSError as exc:
        raise _refuse(path, N_("%(path)s cannot be read: %(error)s."), error=exc.strerror) from exc
    if stat.S_ISREG(found.st_mode):
        raise _refuse(path, N_("%(path)s is a file, not a disk."))
    if stat.S_ISCHR(found.st_mode):
        raise _refuse(
            path,
            N_(
                "%(path)s is a character device, not a disk: name the disk's block device, "
                "such as /dev/sdb or /dev/nvme0n1."
            ),
        )
    if not stat.S_ISBLK(found.st_mode):
        raise _refuse(path, N_("%(path)s is not a disk."))
    sys_path = sys_path_of(found.st_rdev)
    if sys_path is None:
        raise _refuse(path, N_("%(path)s is not a disk this computer knows (not in /sys)."))
    name = sys_path.name
    if (sys_path / "partition").exists():
        raise _refuse(
            path,
            N_(
                "%(path)s is the partition %(name)s of the disk %(disk)s: name the whole "
                "disk (%(node)s), which is erased whole."
            ),
            name=name,
            disk=sys_path.parent.name,
            node=node_of(sys_path.parent.name),
        )
    kind = _kind_of(name)
    if kind is not None and kind[0] in VOLUMES:
        under = sorted(disks_under(sys_path)) or ["?"]
        raise _refuse(
            path,
            N_(
                "%(path)s (%(name)s) is %(kind)s, not a disk: name the disk under it "
                "(%(disks)s) once it is closed."
            ),
            name=name,
            kind=Message(kind[1]),
            disks=[node_of(d) for d in under],
        )
    if kind is not None:
        raise _refuse(
            path,
            N_("%(path)s (%(name)s) is %(kind)s, not a disk."),
            name=name,
            kind=Message(kind[1]),
        )
    return found.st_rdev, sys_path


def _udev_properties(sys_path: Path) -> dict[str, str]:
    try:
        import pyudev  # type: ignore[import-untyped]  # the server never reads disks

        device = pyudev.Devices.from_sys_path(pyudev.Context(), str(sys_path))
        return {key: device.properties[key] for key in device.properties}
    except Exception:  # no libudev, no udev database (a container): sysfs says enough
        return {}


def _decoded(value: str | None) -> str | None:
    """udev's *_ENC values escape bytes as \\xNN; blanks and placeholders are no value."""
    if value is None:
        return None
    text = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), value)
    text = " ".join(text.replace("_", " ").split())
    return text or None


def _vpd_serial(sys_path: Path) -> str | None:
    """The unit serial number VPD page (SCSI, and SATA behind libata), read by the kernel."""
    try:
        page = (sys_path / "device" / "vpd_pg80").read_bytes()
    except OSError:
        return None
    return _decoded(page[4:].decode("ascii", errors="replace").strip("\x00 "))


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def _serial(sys_path: Path, props: dict[str, str]) -> str | None:
    serial = _first(
        _decoded(props.get("ID_SERIAL_SHORT")),
        _decoded(_read(sys_path / "device" / "serial")),
        _decoded(_read(sys_path / "serial")),
        _vpd_serial(sys_path),
    )
    return None if serial is None or set(serial) <= {"0"} else serial


def _bus(sys_path: Path, props: dict[str, str]) -> str | None:
    if "/usb" in str(sys_path):
        return "usb"
    name = sys_path.name
    for prefix, bus in (("nvme", "nvme"), ("mmcblk", "mmc"), ("loop", "loop"), ("vd", "virtio")):
        if name.startswith(prefix):
            return bus
    return props.get("ID_BUS")


def _partitions(sys_path: Path) -> tuple[Partition, ...]:
    found = []
    for name in _names(sys_path):
        if (sys_path / name / "partition").exists():
            size = (_int(sys_path / name / "size") or 0) * SECTOR_UNIT
            found.append(Partition(name=name, node=node_of(name), size_bytes=size))
    return tuple(found)


def read_disk(path: str) -> Disk:
    """The whole disk at `path` with what sysfs and udev say of it; raises DiskRefused if
    `path` is not a whole disk, or is one without a medium."""
    rdev, sys_path = block_device(path)
    props = _udev_properties(sys_path)
    name = sys_path.name
    size = (_int(sys_path / "size") or 0) * SECTOR_UNIT
    if size == 0:
        raise _refuse(path, N_("%(path)s (%(name)s) holds no medium (its size is 0)."), name=name)
    return Disk(
        path=path,
        node=node_of(name),
        name=name,
        rdev=rdev,
        sys_path=sys_path,
        model=_first(
            _decoded(props.get("ID_MODEL_ENC")),
            _decoded(props.get("ID_MODEL")),
            _decoded(_read(sys_path / "device" / "model")),
            _decoded(_read(sys_path / "device" / "name")),
        ),
        vendor=_first(
            _decoded(props.get("ID_VENDOR")), _decoded(_read(sys_path / "device" / "vendor"))
        ),
        serial=_serial(sys_path, props),
        size_bytes=size,
        sector_size=_int(sys_path / "queue" / "logical_block_size") or SECTOR_UNIT,
        bus=_bus(sys_path, props),
        removable=_read(sys_path / "removable") == "1",
        read_only=_read(sys_path / "ro") == "1",
        backing_file=_read(sys_path / "loop" / "backing_file"),
        partitions=_partitions(sys_path),
    )


def _holders(disk: Disk) -> list[str]:
    """The volumes (dm-…, md…) open on the disk or on one of its partitions."""
    found: list[str] = []
    for folder in [disk.sys_path, *(disk.sys_path / p.name for p in disk.partitions)]:
        for holder in _names(folder / "holders"):
            label = _read(SYS_CLASS_BLOCK / holder / "dm" / "name")
            found.append(f"{holder} ({label})" if label else holder)
    return found


def _uses_text(found: Iterable[Use]) -> list[str]:
    return [f"{node_of(u.device)} → {u.where}" for u in found]


def check_free(disk: Disk) -> None:
    """Raises DiskRefused unless nothing of this computer uses `disk`: the system's disk,
    a mounted or swapped-on disk, one with open volumes, one the kernel holds."""
    found = uses().get(disk.name, [])
    system = [u for u in found if u.system]
    if system:
        raise _refuse(
            disk.path,
            N_(
                "%(name)s is the disk this computer runs from (%(uses)s): it is never "
                "erased or checked from here."
            ),
            name=disk.name,
            uses=_uses_text(system),
        )
    if found:
        raise _refuse(
            disk.path,
            N_("%(name)s is in use (%(uses)s): unmount it first (umount, swapoff)."),
            name=disk.name,
            uses=_uses_text(found),
        )
    holders = _holders(disk)
    if holders:
        raise _refuse(
            disk.path,
            N_(
                "%(name)s is in use by %(holders)s (LVM, encryption or RAID): close them "
                "first (vgchange -an, cryptsetup close, mdadm --stop)."
            ),
            name=disk.name,
            holders=holders,
        )
    _check_not_claimed(disk)


def _check_not_claimed(disk: Disk) -> None:
    """The kernel's own answer: an exclusive open fails (EBUSY) while anything (a mount, a
    swap area, a volume, ZFS, btrfs, a program) holds the disk or one of its partitions.
    Read-only."""
    try:
        descriptor = os.open(disk.node, os.O_RDONLY | os.O_EXCL | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            raise _refuse(
                disk.path,
                N_("%(path)s cannot be read: %(error)s."),
                error=exc.strerror,
            ) from exc
        raise _refuse(
            disk.path,
            N_(
                "%(name)s is held exclusively (mounted, swap, part of a volume, or open "
                "in a program such as a partition editor): free it first."
            ),
            name=disk.name,
        ) from exc
    os.close(descriptor)


def disk_to_erase(path: str) -> Disk:
    """The whole, unused, writable disk at `path`; raises DiskRefused saying why not."""
    disk = read_disk(path)
    check_free(disk)
    if disk.read_only:
        raise _refuse(
            path,
            N_(
                "%(name)s is read-only (a write-protect switch, or the kernel): "
                "it cannot be erased."
            ),
            name=disk.name,
        )
    return disk
