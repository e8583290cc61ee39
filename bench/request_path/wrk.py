"""wrk, Debian's HTTP load generator, run as its own process against 127.0.0.1.

Each run draws its paths at random from a file (`random_paths.lua`), holds
`connections` open on at most two threads for `seconds`, and reports requests per
second and the latency's median and 99th percentile, as wrk measured them (its
`done` hook prints them in microseconds: no unit to parse). An answer outside 2xx or
a socket error stops the benchmark: a figure made of refusals measures nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "random_paths.lua"
MAX_THREADS = 2
TIMEOUT_S = 10  # wrk's own request timeout: a slow answer is measured, not dropped
GRACE_S = 30  # beyond the run's duration, before wrk itself is given up on
RESULT = re.compile(r"^BENCH (.+)$", re.MULTILINE)


class LoadFailed(SystemExit):
    """wrk is missing, failed, or saw answers that are not successes."""


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise LoadFailed(
            "bench.http needs wrk, the HTTP load generator: apt-get install -y wrk "
            "(CI installs it, see .ci/run)"
        )
    return found


def version() -> str:
    done = subprocess.run([wrk_binary(), "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).split(" [", 1)[0].strip()


def run(
    base_url: str,
    paths: Path,
    *,
    connections: int,
    seconds: int,
    headers: dict[str, str],
    measured: bool = True,
) -> Load:
    """Load `base_url` with the paths listed in `paths`; raises LoadFailed on any failure
    (and, if `measured`, when not one request was answered: the server stalled)."""
    command = [
        wrk_binary(),
        f"--threads={min(MAX_THREADS, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        f"--timeout={TIMEOUT_S}s",
        "--latency",
        f"--script={SCRIPT}",
    ]
    for name, value in headers.items():
        command.append(f"--header={name}: {value}")
    command += [base_url, "--", str(paths)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + GRACE_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise LoadFailed(f"wrk did not finish within {seconds + GRACE_S} s") from exc
    if done.returncode:
        raise LoadFailed(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse(done.stdout, f"{base_url} ({paths.stem}, {connections} connections)", measured)


def parse(output: str, what: str, measured: bool = True) -> Load:
    """The figures in wrk's output (the line `random_paths.lua` prints); LoadFailed if
    it is missing, if any answer was not 2xx or any socket failed, or (if `measured`)
    if not one request was answered."""
    found = RESULT.search(output)
    if found is None:
        raise LoadFailed(f"{what}: wrk printed no figures:\n{output}")
    figures = {key: int(value) for key, value in (p.split("=", 1) for p in found.group(1).split())}
    _refuse_failures(figures, what, measured)
    return Load(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
    )


def _refuse_failures(figures: dict[str, int], what: str, measured: bool) -> None:
    if figures["non2xx"]:
        raise LoadFailed(
            f"{what}: {figures['non2xx']} of {figures['requests']} answers were not 2xx "
            f"(one was {figures['status']}); these figures would measure refusals"
        )
    errors = {k: figures[k] for k in ("connect", "read", "write", "timeout") if figures[k]}
    if errors:
        raise LoadFailed(f"{what}: socket errors {errors}")
    if measured and figures["requests"] == 0:
        raise LoadFailed(f"{what}: not one request answered during the load; the server stalled")
