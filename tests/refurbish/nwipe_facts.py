"""The erasure corpus (../shared/erasure-corpus) and the FACTS its README lists, read from it.

Nothing is retyped: each `### `path`` section of the README gives its file's fact rows
(`| fact | value |`), its device table, and per device the verification, blanking and
error lines; each PDF of `nwipe-0.42/pdf/` gets its size, pages, page titles, footer and
field table (one column per disk of a system report). Values keep their README markup
(backticks, notes such as "(row starts with `!`)"): the helpers below read them, and
`run_checks` runs every check of a file before failing with the list of those that failed.
"""

from __future__ import annotations

import ast
import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3] / "shared" / "erasure-corpus"
README = ROOT / "README.md"

UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9}  # nwipe's are decimal

_LOG_HEADING = re.compile(r"### `(nwipe-0\.\d+/[^`/]+\.log)`")
_PDF_RUN_HEADING = re.compile(r"### `(nwipe-0\.42/pdf/[^`]+)/`")
_PDF_FILE = re.compile(
    r"`(nwipe_[^`]+\.pdf)` \((\d+) bytes, (\d+) pages; page titles: (.*?)"
    r"(?:; footer: `([^`]*)`)?\)"
)
_LINES_HEADING = re.compile(
    r"Verification, blanking and error lines for `(/dev/\w+)`"
    r"(?: \(serial line: `has serial number` (.+)\))?:"
)
_LINE_ITEM = re.compile(r"  - `(.*)`")


@dataclass
class LogFacts:
    path: str  # relative to the corpus
    facts: list[tuple[str, str]] = field(default_factory=list)
    devices: list[dict[str, str]] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)  # device: listed lines
    serial_lines: dict[str, str] = field(default_factory=dict)  # device: serial, as listed


@dataclass
class PdfFacts:
    path: str
    size_bytes: int
    page_count: int
    titles: list[str]
    footer: str | None
    disks: list[dict[str, str]] = field(default_factory=list)  # field: value, per disk


def unquote(value: str) -> str:
    """`text` → text; other cells (notes, "(empty)") as they are."""
    found = re.fullmatch(r"`([^`]*)`", value.strip())
    return found[1] if found else value.strip()


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().removeprefix("|").removesuffix("|").split("|")]


def _tables(lines: list[str]) -> list[list[list[str]]]:
    """Every markdown table of a section: header row first, separator dropped."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in lines:
        if not line.startswith("|"):
            current = None
            continue
        if current is None:
            current = []
            tables.append(current)
        if not re.fullmatch(r"\|(\s*-+\s*\|)+", line.strip()):
            current.append(_cells(line))
    return tables


def _sections(text: str) -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("#"):
            sections.append((line, []))
        elif sections:
            sections[-1][1].append(line)
    return sections


def _log_facts(path: str, lines: list[str]) -> LogFacts:
    facts = LogFacts(path)
    for table in _tables(lines):
        header, rows = table[0], table[1:]
        if header == ["fact", "value"]:
            facts.facts += [(unquote(row[0]), row[1]) for row in rows]
        elif header[0] == "device":
            facts.devices += [dict(zip(header, row, strict=True)) for row in rows]
    device = None
    for line in lines:
        if heading := _LINES_HEADING.fullmatch(line):
            device = heading[1]
            facts.lines[device] = []
            if heading[2]:
                facts.serial_lines[device] = heading[2]
        elif device and (item := _LINE_ITEM.fullmatch(line)):
            facts.lines[device].append(item[1])
        elif device and line.strip() not in ("", "- (none)"):
            device = None
    return facts


def _pdf_facts(run: str, lines: list[str]) -> list[PdfFacts]:
    found: list[PdfFacts] = []
    for line in lines:
        if pdf := _PDF_FILE.fullmatch(line.strip()):
            titles = [unquote(title) for title in pdf[4].split("; ")]
            found.append(PdfFacts(f"{run}/{pdf[1]}", int(pdf[2]), int(pdf[3]), titles, pdf[5]))
        elif line.startswith("| field") and found:
            header = _cells(line)
            found[-1].disks = [{} for _ in header[1:]]
        elif line.startswith("| `") and found:
            cells = _cells(line)
            for disk, value in zip(found[-1].disks, cells[1:], strict=True):
                disk[unquote(cells[0])] = value
    return found


def load() -> tuple[list[LogFacts], list[PdfFacts]]:
    logs: list[LogFacts] = []
    pdfs: list[PdfFacts] = []
    for heading, lines in _sections(README.read_text(encoding="utf-8")):
        if log := _LOG_HEADING.match(heading):
            logs.append(_log_facts(log[1], lines))
        elif run := _PDF_RUN_HEADING.match(heading):
            pdfs += _pdf_facts(run[1], lines)
    return logs, pdfs


# -- reading README values, and checking many facts at once ------------------------------


def iso(printed: str) -> str:
    return datetime.strptime(unquote(printed), "%Y/%m/%d %H:%M:%S").isoformat()


def rate(printed: str) -> int:
    found = re.fullmatch(r"(\d+) ([KMG]?B)/s(?:ec)?", unquote(printed))
    assert found, printed
    return int(found[1]) * UNITS[found[2]]


def hms(printed: str) -> int:
    hours, minutes, secs = (int(part) for part in unquote(printed).split(":"))
    return hours * 3600 + minutes * 60 + secs


def unescaped(text: str) -> bytes:
    """The bytes the parser saw, from its escaped text (`\\x80` → 0x80)."""
    return codecs.escape_decode(text.encode("ascii"))[0]


def readme_bytes(value: str) -> bytes:
    """What a README cell says was printed: `text`, "(empty)", or `b'...'` (hex ..)."""
    if value == "(empty)":
        return b""
    if found := re.fullmatch(r"`(b'.*')` \(hex ([0-9a-f ]+)\)", value):
        raw = bytes.fromhex(found[2])
        assert ast.literal_eval(found[1]) == raw, "the README's two spellings disagree"
        return raw
    return unquote(value).encode("ascii")


def expected_state(raw: bytes) -> str:
    if not raw.strip():
        return "empty"
    if len(set(raw)) == 1 and raw[:1] in (b"?", b"X", b"_") and len(raw) in (15, 20):
        return "anonymised"
    return "garbled" if any(b < 0x20 or b > 0x7E for b in raw) else "ok"


def no_check(what: str) -> None:
    raise AssertionError(f"{what} has no check here (or names a drive the parser lacks)")


def run_checks(checks: list[tuple[str, Callable[[], None]]]) -> None:
    """Every check, then one failure listing all that failed."""
    problems = []
    for what, check in checks:
        try:
            check()
        except (AssertionError, KeyError, TypeError) as exc:
            problems.append(f"{what}: {exc!r}")
    assert not problems, "\n".join(problems)


def equal(got: object, expected: object) -> None:
    assert got == expected, f"{got!r} != {expected!r}"
