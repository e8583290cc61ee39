"""`remise serve` as a real process on 127.0.0.1, for tests that watch it from outside:
its memory (peak RSS from /proc), how long it answers while it is busy, what a real
HTTP client gets back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

DEADLINE_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    base: str
    pid: int
    token: str  # the demo coordinator's API token

    def peak_rss_mib(self) -> float:
        """The server process's peak resident memory so far (VmHWM), in MiB."""
        return _status_kib(self.pid, "VmHWM") / 1024

    def rss_mib(self) -> float:
        return _status_kib(self.pid, "VmRSS") / 1024

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        timeout: float = 60,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request; answers (status, headers, body), errors included."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        ask = urllib.request.Request(f"{self.base}{path}", data=body, headers=sent, method=method)
        try:
            with urllib.request.urlopen(ask, timeout=timeout) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, dict(refused.headers), refused.read()

    def new_batch(self) -> int:
        """A batch of the demo's first donor, for the file tests to import into."""
        status, _headers, answer = self.request(
            "POST",
            "/api/v1/batches",
            body=orjson.dumps({"donor_id": 1, "pickup_date": "2026-12-01", "site": "Rezé"}),
            headers={"Content-Type": "application/json"},
            token=self.token,
        )
        assert status == 201, answer[:300]
        batch_id: int = orjson.loads(answer)["id"]
        return batch_id


def multipart(path: Path, content_type: str = "text/csv") -> tuple[bytes, str]:
    """The file as a multipart form's `file` field; answers (body, boundary)."""
    boundary = "remise-test-boundary-7f3a"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
        f"\r\nContent-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), boundary


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


@contextmanager
def live_server(
    db_url: str, data_dir: Path, *, env: Mapping[str, str] | None = None, demo: bool = True
) -> Iterator[LiveServer]:
    """Seed the demo (for its users and token), then serve until the block ends."""
    environment = os.environ | {
        "REMISE_DATABASE_URL": db_url,
        "REMISE_DATA_DIR": str(data_dir),
        "REMISE_SCHEDULER_ENABLED": "false",
    }
    environment |= dict(env or {})
    remise = [sys.executable, "-m", "remise"]
    token = ""
    if demo:
        seeded = subprocess.run(
            [*remise, "demo"], env=environment, capture_output=True, text=True, check=True
        )
        token = next(w for w in seeded.stdout.split() if w.startswith("rms_"))
    port = free_port()
    process = subprocess.Popen(
        [*remise, "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", process.pid, token)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            try:
                if server.request("GET", "/api/v1/health", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("remise serve did not answer within the deadline")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
