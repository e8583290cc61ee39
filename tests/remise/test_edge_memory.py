"""A real `remise serve`, watched from outside, receiving 160 MB bodies: it answers 401 or
413 without reading them, and its peak memory stays far from the body's size."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.liveserver import LiveServer, live_server

MIB = 1024 * 1024
BODY_MIB = 160
PEAK_RSS_LIMIT_MIB = 300


def post_stream(
    server: LiveServer, path: str, *, chunked: bool, token: str | None = None
) -> tuple[int, bytes, int]:
    """POST a 160 MB JSON body from a generator, by Content-Length or in chunks, and stop
    sending once the server has answered, as a real client would. Answers the status,
    the body, and how many MiB were sent."""
    address = urlsplit(server.base)
    with socket.create_connection((address.hostname, address.port), timeout=60) as connection:
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY_MIB * MIB}"
        who = f"Authorization: Bearer {token}\r\n" if token else ""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            f"Content-Type: application/json\r\n{framing}\r\n{who}\r\n"
        )
        connection.sendall(head.encode())
        sent = _send_body(connection, chunked)
        status, body = _read_answer(connection)
    return status, body, sent


def _pieces() -> Iterator[bytes]:
    yield b'{"name": "'
    for _ in range(BODY_MIB - 1):
        yield b"x" * MIB
    yield b"x" * (MIB - 12) + b'"}'


def _send_body(connection: socket.socket, chunked: bool) -> int:
    sent = 0
    for piece in _pieces():
        if select.select([connection], [], [], 0)[0]:
            return sent // MIB  # answered already: the rest would be wasted
        framed = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
        try:
            connection.sendall(framed)
        except (BrokenPipeError, ConnectionResetError):
            return sent // MIB
        sent += len(piece)
    if chunked:
        connection.sendall(b"0\r\n\r\n")
    return sent // MIB


def _read_answer(connection: socket.socket) -> tuple[int, bytes]:
    received = b""
    while b"\r\n\r\n" not in received:
        data = connection.recv(65536)
        assert data, f"the server closed the connection without answering: {received!r}"
        received += data
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")
    )
    while len(body) < length:
        data = connection.recv(65536)
        assert data, "the server closed the connection in the middle of its answer"
        body += data
    return int(lines[0].split()[1]), body


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_160_mb_body_is_refused_without_filling_the_memory(
    db_url: str, tmp_path: Path, chunked: bool
) -> None:
    with live_server(db_url, tmp_path / "data") as server:
        before = server.rss_mib()
        anonymous = post_stream(server, "/api/v1/donors", chunked=chunked)
        wrong = post_stream(server, "/api/v1/donors", chunked=chunked, token="rms_nope")
        known = post_stream(server, "/api/v1/donors", chunked=chunked, token=server.token)
        assert server.request("GET", "/api/v1/health")[0] == 200
        peak = server.peak_rss_mib()
    assert peak < PEAK_RSS_LIMIT_MIB, f"peak RSS {peak:.0f} MiB (started at {before:.0f} MiB)"
    expected_stranger = 413 if not chunked else 401  # a length over every limit: 413 at once
    assert anonymous[0] == wrong[0] == expected_stranger, (anonymous[:2], wrong[:2])
    assert b'"code"' in anonymous[1]
    assert known[0] == 413 and b"body_too_large" in known[1]
