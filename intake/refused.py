"""The rows an import left out, kept on disk as they are found, and given back as a CSV.

However many rows a file has wrong, memory holds only the few hundred problems an
answer shows: every refused row goes, with its cells and its reasons, to a JSON-lines
file under `data_dir/refused-rows` (one line of headers, then one line a row, in row
order). Reasons stay translatable (`{"template", "params"}`), so the CSV is rendered
in the reader's language when it is downloaded, a row at a time, every cell made
formula-safe by `remise.spreadsheet`. While pass 1 runs the file is `pending-….jsonl`;
an import that writes keeps it as `<import id>.jsonl`, a dry run or a refused file
drops it. Imports recorded before this file existed hold the same document in
`import_record.refused_csv`, read by `document_rows`.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import orjson

from db.errors import Message
from remise.spreadsheet import csv_writer

FOLDER = "refused-rows"
PENDING_PREFIX = "pending-"
SUFFIX = ".jsonl"
Reason = tuple[str, Message]  # the column, and why
Row = tuple[list[str], list[dict[str, Any]]]  # cells, reasons as JSON


def folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def kept_name(import_id: int) -> str:
    return f"{import_id}{SUFFIX}"


def message_json(message: Message) -> dict[str, Any]:
    params = {
        key: message_json(value) if isinstance(value, Message) else value
        for key, value in message.params.items()
    }
    return {"template": message.template, "params": params}


def message_from_json(data: dict[str, Any]) -> Message:
    params = {
        key: message_from_json(value) if isinstance(value, dict) and "template" in value else value
        for key, value in data["params"].items()
    }
    return Message(data["template"], params)


class RefusedRows:
    """Where pass 1 writes each refused row as it is found; `rows` counts them."""

    def __init__(self, directory: Path | None) -> None:
        self.rows = 0
        self.path: Path | None = None
        self._out: TextIO | None = None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self.path = directory / f"{PENDING_PREFIX}{uuid.uuid4().hex}{SUFFIX}"
            self._out = self.path.open("w", encoding="utf-8")

    def headers(self, headers: list[str]) -> None:
        self._line({"headers": headers})

    def add(self, number: int, cells: list[str], reasons: Iterable[Reason]) -> None:
        self.rows += 1
        self._line(
            {
                "row": number,
                "cells": cells,
                "reasons": [{"column": c, "message": message_json(m)} for c, m in reasons],
            }
        )

    def _line(self, data: dict[str, Any]) -> None:
        if self._out is not None:
            self._out.write(orjson.dumps(data).decode())
            self._out.write("\n")

    def keep(self, import_id: int) -> str | None:
        """Keep the rows as the import's own file (replacing an earlier attempt's); its name."""
        self.close()
        if self.path is None or not self.rows:
            self.discard()
            return None
        name = kept_name(import_id)
        os.replace(self.path, self.path.with_name(name))
        self.path = None
        return name

    def discard(self) -> None:
        self.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def file_rows(path: Path) -> tuple[list[str], Iterator[Row]]:
    """The headers and the rows of a kept file, read a line at a time."""
    stream = path.open("rb")
    first = stream.readline()
    headers: list[str] = orjson.loads(first)["headers"] if first else []

    def rows() -> Iterator[Row]:
        with stream:
            for line in stream:
                data = orjson.loads(line)
                yield data["cells"], data["reasons"]

    return headers, rows()


def first_rows(path: Path, *, limit: int) -> list[tuple[int, list[dict[str, Any]]]]:
    """The first `limit` rows of a kept file: each row's number and reasons (for a page)."""
    found: list[tuple[int, list[dict[str, Any]]]] = []
    with path.open("rb") as stream:
        stream.readline()  # the headers
        for line in stream:
            if len(found) == limit:
                break
            data = orjson.loads(line)
            found.append((data["row"], data["reasons"]))
    return found


def document_rows(document: str | None) -> tuple[list[str], Iterator[Row]]:
    """The headers and the rows of a document kept in `import_record.refused_csv`."""
    data = orjson.loads(document or '{"headers": [], "rows": []}')
    return data["headers"], ((row["cells"], row["reasons"]) for row in data["rows"])


def csv_chunks(
    headers: list[str],
    rows: Iterable[Row],
    translate: Callable[[Message], str],
    *,
    reason_header: str,
    rows_per_chunk: int = 500,
) -> Iterator[bytes]:
    """The refused rows as a `;` CSV that French Excel opens (UTF-8 with a BOM): the
    file's columns, then why; every cell formula-safe. Yields a few hundred rows at a time."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([*headers, reason_header])
    for count, (cells, reasons) in enumerate(rows, start=1):
        why = " ; ".join(
            f"{reason['column']} : {translate(message_from_json(reason['message']))}"
            for reason in reasons
        )
        writer.writerow([*cells, why])
        if count % rows_per_chunk == 0:
            yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")
