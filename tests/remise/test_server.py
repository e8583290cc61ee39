"""`remise serve` as a real process answering real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

DEADLINE_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    env = os.environ | {"REMISE_DATABASE_URL": db_url, "REMISE_DATA_DIR": str(tmp_path)}
    remise = [sys.executable, "-m", "remise"]
    demo = subprocess.run([*remise, "demo"], env=env, capture_output=True, text=True, check=True)
    token = next(w for w in demo.stdout.split() if w.startswith("rms_"))
    port = free_port()
    process = subprocess.Popen(
        [*remise, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            try:
                if get(f"{base}/api/v1/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("remise serve did not answer within the deadline")
        yield base, token
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_served_api_answers_and_documents_itself(server: tuple[str, str]) -> None:
    base, token = server
    status, body = get(f"{base}/api/v1/devices?limit=5", token)
    assert status == 200 and json.loads(body)["total"] == 12  # the demo's showcase
    status, body = get(f"{base}/openapi.json")
    assert status == 200 and "/api/v1/devices/{code}/history" in json.loads(body)["paths"]
    status, page = get(f"{base}/docs")
    assert status == 200 and b"cdn." not in page
    script = next(p for p in page.decode().split('"') if p.endswith("swagger-ui-bundle.js"))
    assert get(f"{base}{script}")[0] == 200
    assert get(f"{base}/api/v1/devices")[0] == 401
