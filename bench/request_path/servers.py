"""The two servers under load, each its own process on a free 127.0.0.1 port.

Remise runs as `remise serve` does for `make run` (uvicorn, one worker); the bare app
(`bench.request_path.bare`) runs under uvicorn with the same options. Both log to a
file in the benchmark's temporary folder, and each is ended by its own PID when the
benchmark ends, fails or is interrupted: nothing else is ever signalled.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10
POLL_S = 0.1
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class ServerFailed(SystemExit):
    """A server did not start, or a request set up for the load was refused."""


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def remise_command(port: int) -> list[str]:
    return [sys.executable, "-m", "remise", "serve", "--host", HOST, "--port", str(port)]


def bare_command(port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "uvicorn", "bench.request_path.bare:create_app", "--factory"),
        *("--host", HOST, "--port", str(port), "--workers", "1"),
        *("--no-proxy-headers", "--no-server-header"),
    ]


@dataclass(frozen=True)
class Spec:
    name: str
    command: list[str]
    ready_path: str  # answers 200 once the server serves


@contextmanager
def serving(
    specs: Sequence[Spec], env: dict[str, str], folder: Path
) -> Iterator[dict[str, Server]]:
    """Start every command at once, wait until each answers its `ready_path`, and stop
    each by its PID at the end, whatever happens."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        found = {}
        for spec in specs:
            port = int(spec.command[spec.command.index("--port") + 1])
            server = Server(spec.name, f"http://{HOST}:{port}", folder / f"{spec.name}.log")
            with server.log.open("wb") as log:
                started.append(
                    subprocess.Popen(
                        spec.command,
                        cwd=ROOT,
                        env=os.environ | env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            found[spec.name] = server
        for spec, process in zip(specs, started, strict=True):
            _wait_ready(process, found[spec.name], spec.ready_path)
        yield found
    finally:
        for process in started:
            _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], server: Server, path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"{server.name} exited ({process.returncode}):\n{_tail(server)}")
        try:
            with urllib.request.urlopen(server.base_url + path, timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_S)  # polling a starting server; the deadline bounds it
    raise ServerFailed(f"{server.name} did not answer within {START_TIMEOUT_S} s:\n{_tail(server)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(server: Server, lines: int = 30) -> str:
    return "\n".join(server.log.read_text(errors="replace").splitlines()[-lines:])


def sign_in(server: Server, username: str, password: str) -> str:
    """Sign in through the login form (its hidden fields posted back, CSRF token
    included); returns the Cookie header the session then sends."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    with opener.open(f"{server.base_url}/login", timeout=10) as answer:
        form = answer.read().decode()
    fields = dict(HIDDEN.findall(form)) | {"username": username, "password": password}
    request = urllib.request.Request(
        f"{server.base_url}/login", data=urlencode(fields).encode(), method="POST"
    )
    try:
        opener.open(request, timeout=10)
        status, body = 200, "(no redirection)"
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read().decode(errors="replace")[:300]
    if status != 303:
        raise ServerFailed(f"signing in as {username} answered {status}: {body}")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def check(server: Server, path: str, headers: dict[str, str]) -> None:
    """One request before the load: a refusal stops here, with its answer."""
    request = urllib.request.Request(server.base_url + path, headers=headers)
    opener = urllib.request.build_opener(_NoRedirect)  # a redirection to /login is a refusal
    try:
        with opener.open(request, timeout=10) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        body = exc.read().decode(errors="replace")[:300] or f"to {exc.headers.get('location')}"
        raise ServerFailed(f"{server.name} {path} answered {exc.code}: {body}") from exc
