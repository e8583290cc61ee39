"""Asset lists built to exhaust the server: zip bombs, gigabyte cells, lying zips.

Each bomb is a small file on disk (≤ 2 MB, under any upload limit) that unpacks to a
gigabyte or more. Each is refused within seconds, in little memory, by `open_table`, and
a real `remise serve` answers 422 to each while its peak RSS stays under 300 MiB.
"""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from openpyxl import Workbook

from intake.file_errors import (
    CellTooLong,
    CompressedTooFar,
    DamagedWorkbook,
    OutsideGrid,
    SharedTextTooLong,
    UnpacksTooLarge,
    UnreadableFile,
)
from intake.files import Limits, open_table
from tests.liveserver import live_server, multipart

MIB = 1024 * 1024
GIB = 1024 * MIB
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>N° de série</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Marque</t></is></c></row>'
)
MAX_ON_DISK = 2 * MIB
REFUSED_WITHIN_SECONDS = 5
MAX_TRACED = 20 * MIB  # what Python allocates while refusing a gigabyte
MAX_SERVER_RSS_MIB = 300
GENEROUS = Limits(max_unpacked_mb=4096, max_ratio=100_000)  # to reach the deeper checks

Writer = Callable[[Any], None]


def _base_parts() -> dict[str, bytes]:
    """The parts of a real workbook (from openpyxl), one sheet with a header and a row."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["N° de série", "Marque"])
    sheet.append(["S1", "HP"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _run(head: bytes, byte: bytes, size: int, tail: bytes) -> Writer:
    """An entry written as `head`, `size` repeats of `byte` (streamed), then `tail`."""

    def write(entry: Any) -> None:
        entry.write(head)
        chunk = byte * (16 * MIB)
        for _ in range(size // len(chunk)):
            entry.write(chunk)
        entry.write(byte * (size % len(chunk)))
        entry.write(tail)

    return write


def _workbook(path: Path, replaced: dict[str, bytes | Writer], *, zip64: bool = True) -> Path:
    parts: dict[str, bytes | Writer] = {**_base_parts(), **replaced}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            if isinstance(content, bytes):
                archive.writestr(name, content)
            else:
                with archive.open(name, "w", force_zip64=zip64) as entry:
                    content(entry)
    return path


def _sheet(rows: str) -> bytes:
    return f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'.encode()


def _lie_about_size(path: Path, name: str, declared: int) -> Path:
    """Patch the central directory (and local header) to declare `declared` bytes."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x01\x02", 24, 46), (b"PK\x03\x04", 22, 30)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at : start + name_at + len(encoded)] == encoded:
                struct.pack_into("<I", data, start + size_at, declared)
            start += 4
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="session")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Built once per session: each is 1 or 2 GiB of one byte, deflated to ~1-2 MB."""
    folder = tmp_path_factory.mktemp("bombs")
    text_head = f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode()
    cell_head = (
        f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c>'
        '<c r="B2" t="inlineStr"><is><t>'
    ).encode()
    cell_tail = b"</t></is></c></row></sheetData></worksheet>"
    lying = _workbook(
        folder / "lying.xlsx",
        {"xl/worksheets/sheet1.xml": _run(cell_head, b"a", 64 * MIB, cell_tail)},
        zip64=False,  # sizes in the headers' own fields, where the lie goes
    )
    return {
        "mimetype": _workbook(
            folder / "mimetype.xlsx", {"mimetype": _run(b"", b"\0", 2 * GIB, b"")}
        ),
        "shared-text": _workbook(
            folder / "shared-text.xlsx",
            {"xl/sharedStrings.xml": _run(text_head, b"a", GIB, b"</t></si></sst>")},
        ),
        "inline-cell": _workbook(
            folder / "inline-cell.xlsx",
            {"xl/worksheets/sheet1.xml": _run(cell_head, b"a", GIB, cell_tail)},
        ),
        "lying": _lie_about_size(lying, "xl/worksheets/sheet1.xml", 4096),
    }


def _refuse(path: Path, limits: Limits = Limits()) -> tuple[UnreadableFile, float, int]:
    """The error `open_table` raises, how long it took, and Python's peak allocation."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with (
            path.open("rb") as stream,
            pytest.raises(UnreadableFile) as raised,
            open_table(stream, path.name, limits=limits) as (_info, rows),
        ):
            list(rows)
        return raised.value, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("bomb", "limits", "error", "params"),
    [
        ("mimetype", Limits(), UnpacksTooLarge, {"limit": 200}),
        ("shared-text", Limits(), UnpacksTooLarge, {"limit": 200}),
        ("inline-cell", Limits(), UnpacksTooLarge, {"limit": 200}),
        ("mimetype", Limits(max_unpacked_mb=4096), CompressedTooFar, {"part": "mimetype"}),
        ("shared-text", GENEROUS, SharedTextTooLong, {"index": 0, "limit": 32_767}),
        ("inline-cell", GENEROUS, CellTooLong, {"row": 2, "column": "B", "limit": 32_767}),
        ("lying", Limits(), DamagedWorkbook, {"part": "xl/worksheets/sheet1.xml"}),
    ],
)
def test_a_bomb_is_refused_within_seconds_in_little_memory(
    bombs: dict[str, Path],
    bomb: str,
    limits: Limits,
    error: type[UnreadableFile],
    params: dict[str, object],
) -> None:
    assert bombs[bomb].stat().st_size <= MAX_ON_DISK
    refused, seconds, peak = _refuse(bombs[bomb], limits)
    assert type(refused) is error
    assert params.items() <= refused.params.items()
    assert refused.status == 422
    assert seconds < REFUSED_WITHIN_SECONDS
    assert peak < MAX_TRACED, f"peak {peak / MIB:.1f} MiB"


def test_the_refusals_tell_the_volunteer_what_is_wrong(bombs: dict[str, Path]) -> None:
    refused = _refuse(bombs["mimetype"])[0]
    assert str(refused).startswith(
        "This file unpacks to more than 200 MB: it is not an ordinary asset list."
    )
    cell = _refuse(bombs["inline-cell"], GENEROUS)[0]
    assert str(cell).startswith("Row 2, column B holds more than 32767 characters")


def _small_workbook(tmp_path: Path, sheet: bytes) -> Path:
    return _workbook(tmp_path / "liste.xlsx", {"xl/worksheets/sheet1.xml": sheet})


@pytest.mark.parametrize(
    ("rows", "error", "params"),
    [
        ('<row r="2"><c r="A2" t="inlineStr"><is><t>' + "x" * 40_000 + "</t></is></c></row>",
         CellTooLong, {"row": 2, "column": "A"}),
        ('<row r="2"><c r="C2" t="inlineStr"><is><r><t>' + "x" * 20_000 + "</t></r><r><t>"
         + "y" * 20_000 + "</t></r></is></c></row>", CellTooLong, {"row": 2, "column": "C"}),
        ('<row r="2000000"><c t="inlineStr"><is><t>S1</t></is></c></row>', OutsideGrid,
         {"cell": "A2000000"}),
        ('<row r="2"><c r="XFE2" t="inlineStr"><is><t>S1</t></is></c></row>', OutsideGrid,
         {"cell": "XFE2"}),
        ('<row r="2"><c r="A2" t="n"><v>pas un nombre</v></c></row>', DamagedWorkbook, {}),
        ('<row r="deux"><c r="A2"><v>1</v></c></row>', DamagedWorkbook, {}),
        ('<row r="2"><c r="A2" t="s"><v>99</v></c></row>', DamagedWorkbook, {}),
        ("<a>" * 100 + "</a>" * 100, DamagedWorkbook, {}),
    ],
    ids=["long-cell", "long-rich-text", "row-beyond-grid", "column-beyond-grid",
         "not-a-number", "bad-row-number", "missing-shared-text", "nested-too-deep"],
)  # fmt: skip
def test_a_hostile_sheet_is_refused_naming_what_is_wrong(
    tmp_path: Path, rows: str, error: type[UnreadableFile], params: dict[str, object]
) -> None:
    refused = _refuse(_small_workbook(tmp_path, _sheet(HEADER_ROW + rows)))[0]
    assert type(refused) is error
    assert params.items() <= refused.params.items()


def test_a_workbook_with_a_dtd_is_refused_before_any_entity_expands(tmp_path: Path) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        + _sheet(HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol2;</t></is></c></row>')
    )
    refused = _refuse(_small_workbook(tmp_path, laughs))[0]
    assert type(refused) is DamagedWorkbook


def test_a_huge_tag_is_refused_before_expat_holds_it(tmp_path: Path) -> None:
    sheet = _run(
        f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER_ROW}<row r="2" x="'.encode(),
        b"a",
        64 * MIB,
        b'"/></sheetData></worksheet>',
    )
    path = _workbook(tmp_path / "tag.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    refused, _seconds, peak = _refuse(path, GENEROUS)
    assert type(refused) is DamagedWorkbook
    assert peak < MAX_TRACED


def test_an_ordinary_workbook_still_reads(tmp_path: Path) -> None:
    path = _small_workbook(
        tmp_path, _sheet(HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t>'
                         '</is></c><c r="B2" t="inlineStr"><is><t>HP</t></is></c></row>')
    )  # fmt: skip
    with path.open("rb") as stream, open_table(stream, path.name) as (_info, rows):
        assert [row.values for row in rows] == [{"serial": "S1", "brand": "HP"}]


# --- the real server, watched from outside --------------------------------------------


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_the_server_refuses_every_bomb_under_300_mib(
    bombs: dict[str, Path], tmp_path: Path, sqlite_template: Path
) -> None:
    database = tmp_path / "remise.db"
    database.write_bytes(sqlite_template.read_bytes())
    with live_server(f"sqlite:///{database}", tmp_path / "data") as server:
        batch_id = server.new_batch()
        answers = {}
        for name, path in bombs.items():
            body, boundary = multipart(path, XLSX)
            started = time.monotonic()
            status, _headers, answer = server.request(
                "POST",
                f"/api/v1/batches/{batch_id}/import?dry_run=true",
                body=body,
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                token=server.token,
            )
            answers[name] = (status, time.monotonic() - started, orjson.loads(answer)["code"])
        peak = server.peak_rss_mib()
    assert {name: status for name, (status, _s, _c) in answers.items()} == dict.fromkeys(
        bombs, 422
    ), answers
    assert {code for _st, _s, code in answers.values()} == {"unreadable_file"}
    assert max(seconds for _st, seconds, _c in answers.values()) < REFUSED_WITHIN_SECONDS
    assert peak < MAX_SERVER_RSS_MIB, f"peak RSS {peak:.0f} MiB"
