"""Running nwipe on one disk, and following its progress.

nwipe wipes every disk it can find when it is given none, so the command line always
names exactly one device, the one the volunteer confirmed, and excludes the system's
disks besides. `--nousb` is not given: the disk to erase is often in a USB dock.

`--nogui` prints no progress, so progress is measured from outside: /proc/PID/io counts
the bytes nwipe has written and read (wchar, rchar) against what its method needs (each
pass writes the disk, the final blanking writes it once more, and verification reads it
after the blanking, or after every pass with `--verify=all`), and the log file, as nwipe
writes it, says which step it is at.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from db.errors import N_

NWIPE = "nwipe"
METHODS = {"zero": 1, "one": 1, "random": 1, "dodshort": 3}  # passes per round
VERIFY = ("last", "all")
MAX_EXCLUDED = 10  # nwipe's --exclude takes at most ten devices
POLL_S = 0.25
VERSION_TIMEOUT_S = 10
PDF_SINCE = (0, 35)  # nwipe writes a PDF report per disk from 0.35 on, in its -P folder
ERASED = "Erased"
STEP_LINES = (
    (re.compile(r"Starting pass (\d+)/(\d+)"), N_("pass %(pass)s of %(passes)s")),
    (re.compile(r"Blanking device"), N_("blanking")),
    (re.compile(r"Verifying"), N_("verifying")),
)


class NwipeMissing(RuntimeError):
    pass


def binary() -> str:
    """nwipe's path: from PATH, else where Debian's package puts it."""
    found = shutil.which(NWIPE) or shutil.which(NWIPE, path="/usr/sbin:/sbin")
    if found is None:
        raise NwipeMissing(N_("nwipe is not installed: apt-get install nwipe hdparm"))
    return found


def version(program: str) -> str | None:
    """nwipe's version as it prints it (`nwipe version 0.33` → "0.33")."""
    try:
        answer = subprocess.run(
            [program, "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"(\d+(?:\.\d+)+)", answer.stdout + answer.stderr)
    return found.group(1) if found else None


def _version_tuple(text: str | None) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")) if text else ()


def command(
    program: str,
    device: str,
    *,
    method: str,
    verify: str,
    log: Path,
    exclude: Sequence[str] = (),
    tool_version: str | None = None,
) -> list[str]:
    """nwipe's command line for erasing `device`, and nothing else."""
    if not device.startswith("/dev/"):
        raise ValueError(f"not a device path: {device!r}")  # never an empty device list
    if method not in METHODS or verify not in VERIFY:
        raise ValueError(f"unknown method or verification: {method!r}, {verify!r}")
    line = [program, "--autonuke", "--nogui", "--nowait"]
    line += [f"--method={method}", f"--verify={verify}", f"--logfile={log}"]
    excluded = [d for d in exclude if d != device][:MAX_EXCLUDED]
    if excluded:
        line.append("--exclude=" + ",".join(excluded))
    if _version_tuple(tool_version) >= PDF_SINCE:
        line.append(f"--PDFreportpath={log.parent}")
    line.append(device)
    return line


def total_bytes(size_bytes: int, *, method: str, verify: str) -> int:
    """The bytes nwipe writes and reads to erase a disk of `size_bytes` (one round)."""
    passes = METHODS[method]
    writes = passes + 1  # and the final blanking
    reads = passes + 1 if verify == "all" else 1
    return size_bytes * (writes + reads)


@dataclass(frozen=True)
class Progress:
    done_bytes: int
    total_bytes: int
    step: str | None  # an English template (STEP_LINES), with `params`
    params: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    returncode: int
    status: str | None  # the Drive Status nwipe logged for the disk: Erased, -FAILED-, UABORTED
    aborted: bool  # the volunteer interrupted it (Ctrl-C)
    log: Path
    output: str  # what nwipe printed, for when it fails before logging anything

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and self.status == ERASED and not self.aborted


def drive_status(log: str, name: str) -> str | None:
    """The status nwipe gave the disk `name` in its log's Drive Status table."""
    _, found, table = log.rpartition("* Drive Status *")
    if not found:
        return None
    row = re.search(rf"^[! ]\s*{re.escape(name)} \|\s*([^|]+?)\s*\|", table, re.MULTILINE)
    return row.group(1) if row else None


def _io_bytes(pid: int) -> int | None:
    try:
        lines = Path(f"/proc/{pid}/io").read_text().splitlines()
    except OSError:
        return None
    counters = dict(line.split(": ", 1) for line in lines if ": " in line)
    return int(counters.get("rchar", 0)) + int(counters.get("wchar", 0))


def _step(log: Path) -> tuple[str | None, dict[str, str]]:
    try:
        text = log.read_text(encoding="latin-1")
    except OSError:
        return None, {}
    for line in reversed(text.splitlines()):
        for pattern, step in STEP_LINES:
            found = pattern.search(line)
            if found:
                groups = found.groups()
                params = {"pass": groups[0], "passes": groups[1]} if groups else {}
                return step, params
    return None, {}


def run(
    program: str,
    device: str,
    *,
    name: str,
    size_bytes: int,
    method: str,
    verify: str,
    log: Path,
    exclude: Sequence[str] = (),
    tool_version: str | None = None,
    on_progress: Callable[[Progress], None] = lambda _: None,
) -> Outcome:
    """Erase `device` with nwipe, calling `on_progress` as it goes; on Ctrl-C, nwipe is
    asked to stop (it logs the disk as aborted) and waited for."""
    line = command(
        program, device, method=method, verify=verify, log=log, exclude=exclude,
        tool_version=tool_version,
    )  # fmt: skip
    total = total_bytes(size_bytes, method=method, verify=verify)
    log.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(mode="w+", encoding="latin-1") as output:
        process = subprocess.Popen(
            line, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
        )
        aborted = _follow(process, log, total, on_progress)
        output.seek(0)
        printed = output.read()
    text = log.read_text(encoding="latin-1") if log.exists() else ""
    if process.returncode == 0 and not aborted:
        on_progress(Progress(total, total, None, {}))
    return Outcome(process.returncode, drive_status(text, name), aborted, log, printed)


def _follow(
    process: subprocess.Popen[bytes],
    log: Path,
    total: int,
    on_progress: Callable[[Progress], None],
) -> bool:
    """Wait for nwipe, reporting progress; whether the volunteer interrupted it."""
    start = _io_bytes(process.pid) or 0
    aborted, done = False, 0
    while process.poll() is None:
        try:
            try:
                process.wait(timeout=POLL_S)
            except subprocess.TimeoutExpired:
                counted = _io_bytes(process.pid)
                if counted is not None:  # None: nwipe ended between the two calls
                    done = min(max(counted - start, done), total)
                step, params = _step(log)
                on_progress(Progress(done, total, step, params))
        except KeyboardInterrupt:
            aborted = True
            process.send_signal(signal.SIGINT)  # a terminal sent it already; a script may not
    return aborted
