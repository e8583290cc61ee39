"""Loop devices over image files in a test's tmp_path: real block devices to erase and check.

`Lab(tmp_path)` is a context manager: every loop device it attaches is detached, every
filesystem it mounts unmounted, and every image deleted when it exits, whatever happened
in between. It needs root and util-linux's losetup; `require` skips a test that lacks
them, or fails it where REMISE_REQUIRE_TOOLS=1 (CI, which installs them in .ci/run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

MIB = 1024 * 1024
REQUIRE_TOOLS = os.environ.get("REMISE_REQUIRE_TOOLS") == "1"


def require(*tools: str, root: bool = True) -> None:
    """Skip (or, in CI, fail) unless every tool is installed, and running as root if asked."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    missing = [tool for tool in tools if shutil.which(tool, path=path) is None]
    problems = (["root"] if root and os.geteuid() != 0 else []) + missing
    if not problems:
        return
    reason = "these tests need " + ", ".join(problems)
    if REQUIRE_TOOLS:
        pytest.fail(f"{reason} (REMISE_REQUIRE_TOOLS=1)")
    pytest.skip(reason)


def _run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


class Lab:
    """Images, loop devices, tmpfs and mounts under one folder, all undone on exit."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.stack = ExitStack()

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stack.close()

    def image(self, name: str, size: int, content: bytes = b"", *, at: Path | None = None) -> Path:
        """A sparse image file of `size` bytes starting with `content`."""
        path = (at or self.folder) / name
        with path.open("wb") as image:
            image.write(content)
            image.truncate(size)
        self.stack.callback(path.unlink, missing_ok=True)
        return path

    def attach(self, image: Path, *, partitions: bool = False) -> str:
        """A loop device over `image` (with its partitions scanned if asked); detached on exit."""
        command = [
            "losetup",
            "--find",
            "--show",
            *(["--partscan"] if partitions else []),
            str(image),
        ]
        device = _run(*command)
        self.stack.callback(self._detach, device, image)
        if partitions:
            # A kernel built without partition-table parsers (some VMs' minimal kernels)
            # scans nothing: partx reads the table itself and adds what is missing.
            _run("partx", "--update", device)
        return device

    def _detach(self, device: str, image: Path) -> None:
        done = subprocess.run(["losetup", "-d", device], capture_output=True, text=True)
        still = _run("losetup", "--associated", str(image))
        if done.returncode != 0 or device in still:
            raise AssertionError(f"could not detach {device}: {done.stderr.strip()}")

    def mount(self, source: str, name: str, *options: str) -> Path:
        """`source` mounted on a new folder `name`; unmounted on exit."""
        target = self.folder / name
        target.mkdir()
        _run("mount", *options, source, str(target))
        self.stack.callback(_run, "umount", str(target))
        return target

    def swap(self, device: str) -> None:
        """Swap on `device` (which mkswap prepared); swapped off on exit."""
        _run("swapon", device)
        self.stack.callback(_run, "swapoff", device)

    def tmpfs(self, name: str, size: str) -> Path:
        """A tmpfs of `size` (mount's spelling: 4m) on a new folder; unmounted on exit."""
        return self.mount("tmpfs-remise-test", name, "-t", "tmpfs", "-o", f"size={size}")


class Opens:
    """What the code under test opens for writing and which programs it starts, seen
    through Python's audit hooks (a hook cannot be removed: it records while watching)."""

    watching = False
    writes: list[str] = []  # noqa: RUF012
    started: list[list[str]] = []  # noqa: RUF012

    @classmethod
    def hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if not cls.watching:
            return
        if event == "open" and isinstance(args[0], str | bytes):
            mode = args[1] if isinstance(args[1], str) else ""
            flags = args[2] if isinstance(args[2], int) else 0
            if flags & (os.O_WRONLY | os.O_RDWR) or any(c in mode for c in "wax+"):
                cls.writes.append(os.path.realpath(os.fsdecode(args[0])))
        elif event == "subprocess.Popen":
            cls.started.append([os.fsdecode(a) for a in args[1]])

    @classmethod
    @contextmanager
    def watch(cls) -> Iterator[type[Opens]]:
        cls.writes, cls.started, cls.watching = [], [], True
        try:
            yield cls
        finally:
            cls.watching = False

    @classmethod
    def wrote(cls, path: str | Path) -> bool:
        return os.path.realpath(path) in cls.writes


sys.addaudithook(Opens.hook)
