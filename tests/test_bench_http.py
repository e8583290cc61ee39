"""bench.http counts what it should: wrk's Lua script draws paths from the file and
counts every answer outside 2xx (a redirection to /login included), the figures are
parsed or refused, and the targets are judged at their bounds."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.request_path import wrk
from bench.request_path.report import Measured, verdicts
from bench.request_path.routes import ROUTES, TARGET_CONNECTIONS, TARGETS

# CI installs wrk (.ci/run) and sets REMISE_REQUIRE_TOOLS: there, a missing wrk fails.
needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None and os.environ.get("REMISE_REQUIRE_TOOLS") != "1",
    reason="needs wrk (apt-get install wrk)",
)


class _Handler(BaseHTTPRequestHandler):
    """200 under /ok/, 303 under /redirect/, 404 elsewhere; notes what it was asked."""

    protocol_version = "HTTP/1.1"
    seen: set[tuple[str, str | None]]

    def do_GET(self) -> None:
        self.seen.add((self.path, self.headers.get("Authorization")))
        status = 200 if self.path.startswith("/ok/") else 404
        if self.path.startswith("/redirect/"):
            status = 303
        body = b"{}"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status == 303:
            self.send_header("Location", "/login")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, set[tuple[str, str | None]]]]:
    seen: set[tuple[str, str | None]] = set()
    handler = type("Handler", (_Handler,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _load(base_url: str, tmp_path: Path, paths: list[str]) -> wrk.Load:
    listed = tmp_path / "paths.txt"
    listed.write_text("\n".join(paths) + "\n")
    headers = {"Authorization": "Bearer t0ken"}
    return wrk.run(base_url, listed, connections=2, seconds=1, headers=headers)


@needs_wrk
def test_wrk_draws_every_path_from_the_file_with_the_headers(
    server: tuple[str, set[tuple[str, str | None]]], tmp_path: Path
) -> None:
    base_url, seen = server
    load = _load(base_url, tmp_path, ["/ok/A", "/ok/B", "/ok/C"])
    assert load.requests > 10 and load.per_second > 0
    assert 0 < load.p50_ms <= load.p99_ms
    assert seen == {(f"/ok/{x}", "Bearer t0ken") for x in "ABC"}


@needs_wrk
@pytest.mark.parametrize(("refused", "status"), [("/missing/1", "404"), ("/redirect/1", "303")])
def test_wrk_refuses_a_load_with_any_answer_outside_2xx(
    server: tuple[str, set[tuple[str, str | None]]], tmp_path: Path, refused: str, status: str
) -> None:
    with pytest.raises(wrk.LoadFailed, match=rf"were not 2xx \(one was {status}\)"):
        _load(server[0], tmp_path, ["/ok/A", refused])


def _line(**changes: int) -> str:
    figures = {"requests": 100, "duration_us": 2_000_000, "non2xx": 0, "status": 0}
    figures |= {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    figures |= {"p50_us": 1500, "p99_us": 9000} | changes
    return "Running 2s test\nBENCH " + " ".join(f"{k}={v}" for k, v in figures.items()) + "\n"


@pytest.mark.parametrize(
    ("output", "measured", "refusal"),
    [
        (_line(), True, None),
        (_line(requests=0), False, None),  # a warm-up may find a stalled server
        (_line(requests=0), True, "not one request answered"),
        (_line(non2xx=3, status=401), True, r"3 of 100 answers were not 2xx \(one was 401\)"),
        (_line(timeout=2), True, "socket errors {'timeout': 2}"),
        (_line(connect=1, read=4), False, "socket errors {'connect': 1, 'read': 4}"),
        ("Running 2s test\n", True, "wrk printed no figures"),
    ],
)
def test_wrk_output_is_parsed_or_refused(output: str, measured: bool, refusal: str | None) -> None:
    if refusal is not None:
        with pytest.raises(wrk.LoadFailed, match=refusal):
            wrk.parse(output, "route", measured)
        return
    load = wrk.parse(output, "route", measured)
    assert (load.seconds, load.p50_ms, load.p99_ms) == (2.0, 1.5, 9.0)
    assert load.per_second == load.requests / 2


def test_a_missing_wrk_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(wrk.LoadFailed, match="apt-get install -y wrk"):
        wrk.wrk_binary()


def _figures(per_second: dict[str, float], p99_ms: float) -> list[Measured]:
    """Every route at the target's connections: `per_second` by slug (100 otherwise)."""
    return [
        Measured(
            route,
            TARGET_CONNECTIONS,
            wrk.Load(int(per_second.get(route.slug, 100) * 10), 10.0, 1.0, p99_ms),
        )
        for route in ROUTES
    ]


@pytest.mark.parametrize(
    ("per_second", "p99_ms", "failing"),
    [
        ({"remise-device": 50, "remise-scan": 50, "remise-device-page": 25}, 49.9, set()),
        ({"remise-device": 49, "remise-scan": 50, "remise-device-page": 24.5}, 49.9, {"device s"}),
        ({"remise-scan": 49}, 10.0, {"scan s"}),
        ({}, 50.0, {"device p99", "scan p99"}),
        ({"remise-device-page": 49}, 10.0, {"page"}),
    ],
)
def test_targets_are_judged_at_their_bounds(
    per_second: dict[str, float], p99_ms: float, failing: set[str]
) -> None:
    short = {
        "device look-up, share of bare sync raw SQL": "device s",
        "scan by serial, share of bare sync raw SQL": "scan s",
        "device look-up p99 (ms)": "device p99",
        "scan by serial p99 (ms)": "scan p99",
        "device page, cost of the JSON look-up": "page",
    }
    assert set(short) == {t.name for t in TARGETS}
    found = verdicts(_figures(per_second, p99_ms))
    assert {short[v.target.name] for v in found if not v.ok} == failing
