"""nwipe's erasure reports read as they are: its log and its PDF certificates, old and new.

`parse(data, name)` takes the bytes of a file nwipe wrote (a log of nwipe 0.33, as Debian 12
ships it, up to 0.42; a per-drive or system PDF of nwipe 0.35 and later) and returns every
figure it holds, drive by drive, as nwipe printed it. Nothing is guessed: what a file does
not say stays None. Anything else raises NotAReport with the reason. Pure: no database, no
clock, no I/O beyond the bytes given. The PDF side is `nwipe_pdf`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.errors import N_, Message

# nwipe's method labels (src/method.c) and our keys, which are nwipe's own --method names.
METHODS: dict[str, str] = {
    "Fill With Zeros": "zero",
    "Zero Fill": "zero",  # nwipe ≤ 0.31
    "Fill With Ones": "one",
    "PRNG Stream": "random",
    "DoD Short": "dodshort",
    "DoD 5220.22-M": "dod522022m",
    "Gutmann Wipe": "gutmann",
    "RCMP TSSIT OPS-II": "ops2",
    "HMG IS5 Enhanced": "is5enh",
    "Bruce Schneier 7-Pass": "bruce7",
    "BMB21-2019": "bmb",
    "Verify Zeros (0x00)": "verify_zero",
    "Verify Ones  (0xFF)": "verify_one",  # two spaces, as nwipe writes it
    "Verify Blank": "verify_zero",  # nwipe ≤ 0.31
}
# Passes written per round, from the pattern tables of src/method.c. The blanking pass (zeros
# after the last round, unless --noblank) is not counted; OPS-II writes a final random
# pattern after its last round instead of blanking. The verify methods only read.
PASSES: dict[str, int] = {
    "zero": 1,
    "one": 1,
    "random": 1,
    "dodshort": 3,
    "dod522022m": 7,
    "gutmann": 35,
    "ops2": 8,
    "is5enh": 3,
    "bruce7": 7,
    "bmb": 6,
    "verify_zero": 0,
    "verify_one": 0,
}
VERIFY_ONLY = frozenset({"verify_zero", "verify_one"})
# nwipe never blanks after these (runmethod skips the blank pass), although 0.33's summary
# code says "B" for them.
NEVER_BLANKS = frozenset({"verify_zero", "verify_one", "ops2"})
# Drive Status words; a PDF prints ERASED, FAILED, ABORTED. INSANITY is nwipe's "this is a
# bug" status: no evidence either way.
STATUSES = {"Erased": "erased", "-FAILED-": "failed", "UABORTED": "aborted", "INSANITY": "failed"}

EMPTY = N_("the file is empty")
NOT_NWIPE = N_("it is neither an nwipe log nor a PDF report of nwipe")
TRUNCATED = N_(
    "the nwipe log stops before the end of its summary tables (Error Summary, Drive "
    "Status): it was cut short, or nwipe was stopped before it finished"
)
SEVERAL_RUNS = N_(
    "the nwipe log holds %(count)s runs one after the other (nwipe appends to its log "
    "file): import the log of each run on its own"
)


class NotAReport(ValueError):
    """The bytes are not a report of nwipe that can be read; `reason` says why."""

    def __init__(self, template: str, **params: object) -> None:
        self.reason = Message(template, dict(params))
        super().__init__(str(self.reason))

    @property
    def message(self) -> Message:
        return self.reason


@dataclass(frozen=True)
class LogLine:
    """A timestamped line of an nwipe log; non-printable bytes of `text` are escaped."""

    at: str  # local time as printed, YYYY-MM-DDTHH:MM:SS
    level: str  # debug, info, notice, warning, error, fatal or sanity
    text: str

    def __str__(self) -> str:
        return f"[{self.at[:10].replace('-', '/')} {self.at[11:]}] {self.level}: {self.text}"


@dataclass(frozen=True)
class Drive:
    """One drive of a report. Texts are as printed (stripped of padding), None when unsaid."""

    name: str | None  # kernel name without /dev/; None in a system PDF, which never names it
    bus: str | None
    model: str | None
    serial: str | None  # only when serial_state is "ok": nothing else may match a medium
    serial_state: str  # ok | empty | garbled | anonymised
    serial_printed: str  # what the file printed, non-printable bytes escaped (\x80)
    size_bytes: int | None
    size_real_bytes: int | None  # PDF "Size(Real)": hidden areas included
    method_label: str | None  # nwipe's words: "Fill With Zeros"
    method: str | None  # our key (METHODS), None for a label nwipe does not have
    verify_only: bool
    prng: str | None
    rounds_requested: int | None
    rounds_completed: int | None
    passes_started: int | None  # log only: "Starting pass" lines
    passes_finished: int | None  # log only: "Finished pass" lines
    last_pass: str | None  # log only: "pass 6/35, round 1/1" of the last pass finished
    blanking: bool | None
    verify: str | None  # last | all | none
    code: str | None  # log only: "1R+B+VL" (rounds, blank, verify) of the Total Throughput
    status: str  # erased | failed | aborted
    flagged: bool | None  # log only: nwipe marked the Drive Status row with "!"
    started_at: str | None
    finished_at: str | None
    duration_seconds: int | None
    bytes_erased: int | None
    bytes_total: int | None  # log only (Erasure Summary)
    percent_erased: float | None
    throughput: str | None  # "683 MB/s", "1463 KB/sec"
    throughput_bytes_per_s: int | None
    errors_pass: int | None
    errors_verify: int | None
    errors_sync: int | None
    errors_retries: int | None  # PDF only
    hpa_dco: str | None  # PDF only; a log's HPA lines are in `lines`
    hpa_dco_size: str | None  # PDF only
    printed: dict[str, str]  # every cell or field about the drive, by nwipe's own label
    lines: tuple[LogLine, ...]  # log only: every line naming the drive's device

    @property
    def passed(self) -> bool:
        """An erasure that counts: erased without any error. A verify-only run erased nothing."""
        errors = (self.errors_pass, self.errors_verify, self.errors_sync)
        return self.status == "erased" and not any(errors) and not self.verify_only


@dataclass(frozen=True)
class Report:
    kind: str  # log | drive_pdf | system_pdf
    tool: str
    version: str | None  # what the file says (log banner, PDF footer), never guessed
    started_at: str | None  # log: first timestamp; PDF: earliest drive start
    finished_at: str | None  # log: last timestamp; PDF: latest drive end
    final_message: str | None
    outcome: str | None  # completed | errors | aborted, from the final message
    options: dict[str, str]  # log: the options block; PDF: the run's method fields
    option_flags: tuple[str, ...]  # log: option lines without a value ("do not ...")
    drives: list[Drive]
    messages: tuple[LogLine, ...]  # warnings, errors, fatal and sanity lines
    throughput: str | None  # log: the Total Throughput figure, "683 MB/s"
    throughput_bytes_per_s: int | None
    method_label: str | None
    code: str | None
    summary_at: str | None  # log: time of the Total Throughput line
    pages: tuple[str, ...]  # PDF: page titles, "Erasure Status", "Smart Data"...


def parse(data: bytes, name: str = "") -> Report:
    """Every figure of an nwipe log or PDF report (a PDF by its %PDF- magic).

    Raises NotAReport: empty, neither nwipe's log nor nwipe's PDF, a damaged PDF, a log cut
    before its summary tables, or several runs appended to one log."""
    if not data.strip():
        raise NotAReport(EMPTY)
    if data.lstrip(b"\x00\t\n\r\f ").startswith(b"%PDF-"):
        # The PDF side needs this module's types; pypdf is loaded only when a PDF comes.
        from refurbish.erasure import nwipe_pdf

        return nwipe_pdf.parse_pdf(data, name)
    # Bytes as bytes: serials read from uninitialised memory are not UTF-8 (nor text).
    return _parse_log(data.decode("latin-1"))


# -- figures as nwipe prints them ------------------------------------------------------

_TIME = re.compile(r"(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)")
_HMS = re.compile(r"(\d+):(\d\d):(\d\d)")
_RATE = re.compile(r"(\d+) ?([KMGT]?)B/s(?:ec)?")
# Determine_C_B_nomenclature (src/miscellaneous.c) divides by 1000, 10^6, 10^9, 10^12 and
# truncates: "683 MB/s" is at least 683,000,000 bytes a second, and less than 684,000,000.
_DECIMAL = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_ANONYMISED = re.compile(r"\?{15}|X{15}|\?{20}|X{20}")  # -q: 15 characters in 0.33, 20 in 0.42
_PLAUSIBLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:/+-]*[A-Za-z0-9]")


def iso_time(text: str) -> str | None:
    found = _TIME.fullmatch(text.strip())
    if found is None:
        return None
    year, month, day, hour, minute, second = found.groups()
    return f"{year}-{month}-{day}T{hour}:{minute}:{second}"


def seconds(text: str) -> int | None:
    found = _HMS.fullmatch(text.strip())
    if found is None:
        return None
    hours, minutes, secs = (int(part) for part in found.groups())
    return hours * 3600 + minutes * 60 + secs


def later(at: str | None, secs: int | None) -> str | None:
    if at is None or secs is None:
        return None
    return (datetime.fromisoformat(at) + timedelta(seconds=secs)).isoformat()


def bytes_per_second(text: str | None) -> int | None:
    found = _RATE.fullmatch(text.strip()) if text else None
    return int(found[1]) * _DECIMAL[found[2]] if found else None


def escaped(text: str) -> str:
    """Latin-1 text with every byte outside printable ASCII written `\\xNN`."""
    return "".join(c if " " <= c <= "~" else f"\\x{ord(c):02x}" for c in text)


def serial_state(raw: str | None) -> str:
    """ok, empty, garbled (not printable, or not what a serial looks like) or anonymised."""
    if raw is None or not raw.strip(" "):
        return "empty"
    if _ANONYMISED.fullmatch(raw):
        return "anonymised"
    return "ok" if _PLAUSIBLE.fullmatch(raw) else "garbled"


def number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


# -- the log -------------------------------------------------------------------------

_STAMPED = re.compile(
    r"\[(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)\] +(?:(debug|info|notice|warning|error|fatal|sanity): ?)?"
)
_RULE = re.compile(r"\*+ (Error Summary|Erasure Summary|Drive Status) \*+")
_ROW = re.compile(r"([! ]) *(\S+) \|(.*)")
_FOUND = re.compile(r"Found (\S+), ([^,]*), (.*?), +(\d+ [KMGTP]?B), S/N=(.*)")
_TOTAL = re.compile(r"Total Throughput +(.+?/s), (.+), (\d+R\+N?B\+(?:VL|VA|NV))")
_OUTCOMES = {
    "Nwipe successfully completed": "completed",
    "Nwipe exited with errors": "errors",
    "Nwipe was aborted by the user": "aborted",
}
_MESSAGE_LEVELS = {"warning", "error", "fatal", "sanity"}
_OPTIONS_HEADER = "Program options are set as follows..."


def _scan(text: str) -> tuple[list[LogLine], list[str]]:
    """The timestamped lines, raw (level "" for the Total Throughput line); and all lines."""
    stamped: list[LogLine] = []
    # Split on LF only: str.splitlines would also split on bytes 0x85, 0x1c... of a serial.
    rows = [row.removesuffix("\r") for row in text.split("\n")]
    for row in rows:
        found = _STAMPED.match(row)
        if found:
            at = iso_time(found[1]) or ""
            stamped.append(LogLine(at, found[2] or "", row[found.end() :]))
    return stamped, rows


def _tables(rows: list[str]) -> tuple[dict[str, list[tuple[str, str, dict[str, str]]]], int]:
    """Rows of each summary table: (flag, device name, cells by column); and their count."""
    tables: dict[str, list[tuple[str, str, dict[str, str]]]] = {}
    runs = 0
    for index, row in enumerate(rows):
        rule = _RULE.fullmatch(row)
        if rule is None or index + 2 >= len(rows):
            continue
        runs += rule[1] == "Error Summary"
        columns = [cell.strip(" ") for cell in rows[index + 1].split("|")[1:]]
        found = tables.setdefault(rule[1], [])
        for line in rows[index + 3 :]:
            cells = _ROW.fullmatch(line)
            if cells is None:
                break
            values = [cell.strip(" ") for cell in cells[3].split("|", len(columns) - 1)]
            if len(values) != len(columns):
                break
            found.append((cells[1], cells[2], dict(zip(columns, values, strict=True))))
    return tables, runs


def _parse_log(text: str) -> Report:
    stamped, rows = _scan(text)
    texts = {line.text for line in stamped if line.level}
    tables, runs = _tables(rows)
    at_total = next((i for i, line in enumerate(stamped) if _TOTAL.fullmatch(line.text)), None)
    total = _TOTAL.fullmatch(stamped[at_total].text) if at_total is not None else None
    nwipe_said = _OPTIONS_HEADER in texts or runs or total or any(_FOUND.match(t) for t in texts)
    if not nwipe_said:
        raise NotAReport(NOT_NWIPE)
    headers = sum(line.text == _OPTIONS_HEADER for line in stamped)
    if max(headers, runs) > 1:
        raise NotAReport(SEVERAL_RUNS, count=max(headers, runs))
    errors = tables.get("Error Summary", [])
    status = tables.get("Drive Status", [])
    if total is None or not status or [r[1] for r in errors] != [r[1] for r in status]:
        raise NotAReport(TRUNCATED)
    run = _run_facts(stamped)
    after = [line.text for line in stamped[at_total or 0 :] if line.level == "info"]
    message = after[-1].rstrip(" ") if after and after[-1].startswith("Nwipe ") else None
    outcome = next((v for k, v in _OUTCOMES.items() if message and message.startswith(k)), None)
    drives = [_log_drive(name, stamped, tables, run, total[3]) for _, name, _ in status]
    return Report(
        kind="log",
        tool="nwipe",
        version=run.version,
        started_at=stamped[0].at,
        finished_at=stamped[-1].at,
        final_message=escaped(message) if message else None,
        outcome=outcome,
        options=run.options,
        option_flags=tuple(run.flags),
        drives=drives,
        messages=tuple(_kept(line) for line in stamped if line.level in _MESSAGE_LEVELS),
        throughput=total[1].strip(" "),
        throughput_bytes_per_s=bytes_per_second(total[1]),
        method_label=total[2],
        code=total[3],
        summary_at=stamped[at_total or 0].at,
        pages=(),
    )


@dataclass
class _Run:
    version: str | None
    options: dict[str, str]
    flags: list[str]
    sizes: dict[str, int]  # device path: bytes, from 0.42's geometry block


def _run_facts(stamped: list[LogLine]) -> _Run:
    """The options block, the banner, and 0.42's geometry blocks (which name no device)."""
    run = _Run(None, {}, [], {})
    block: str | None = None  # "options", or the device of a geometry block
    for line in stamped:
        if line.level == "info" and line.text.startswith("nwipe ") and run.version is None:
            run.version = line.text.removeprefix("nwipe ").strip(" ") or None
        if not (line.level == "notice" and line.text.startswith("  ")):
            device = line.text.removesuffix(": Device geometry is as follows...")
            block = "options" if line.text == _OPTIONS_HEADER else None
            block = device if device != line.text else block
        elif block == "options":
            key, equals, value = line.text.partition("=")
            if equals:
                run.options[key.strip(" ")] = escaped(value.strip(" "))
            else:
                run.flags.append(escaped(line.text.strip(" ")))
        elif block and "Total device bytes" in line.text:
            run.sizes[block] = number(line.text.partition("=")[2]) or 0
    if run.version is None and run.options.get("banner", "").startswith("nwipe "):
        # 0.33 writes its banner only to the screen, but its options block names it too
        run.version = run.options["banner"].removeprefix("nwipe ").strip(" ") or None
    return run


def _device_path(name: str, stamped: list[LogLine]) -> str:
    """/dev/sda for the table's "sda": the path of the Found line whose last part it is."""
    for line in stamped:
        found = _FOUND.match(line.text)
        if found and found[1].rsplit("/", 1)[-1] == name:
            return found[1]
    return f"/dev/{name}"


def _log_drive(
    name: str,
    stamped: list[LogLine],
    tables: dict[str, list[tuple[str, str, dict[str, str]]]],
    run: _Run,
    code: str,
) -> Drive:
    path = _device_path(name, stamped)
    naming = re.compile(re.escape(path) + r"(?![\w-])")
    mine = [line for line in stamped if line.level and naming.search(line.text)]
    seen = _DriveLines(path, mine)
    cells: dict[str, str] = {}
    flag = " "
    for title in ("Error Summary", "Erasure Summary", "Drive Status"):
        for row_flag, row_name, row in tables.get(title, []):
            if row_name == name:
                cells.update(row)
                flag = row_flag if title == "Drive Status" else flag
    status = STATUSES.get(cells.get("Status", ""), "failed")
    label = seen.label or run.options.get("method")
    method = METHODS.get(label or "")
    verify = {"0": "none", "1": "last", "2": "all"}.get(run.options.get("verify", "")[:1])
    noblank = "do not perform a final blank pass" in run.flags or "+NB+" in code
    duration = seconds(cells.get("HH:MM:SS", ""))
    erased = cells.get("Bytes Erased")
    rounds = number(run.options.get("rounds")) or number(code.partition("R")[0])
    return Drive(
        name=name,
        bus=seen.bus,
        model=seen.model,
        serial=seen.serial if serial_state(seen.serial) == "ok" else None,
        serial_state=serial_state(seen.serial),
        serial_printed=escaped(seen.serial or ""),
        size_bytes=seen.size or run.sizes.get(path),
        size_real_bytes=None,
        method_label=label,
        method=method,
        verify_only=method in VERIFY_ONLY,
        prng=run.options.get("prng"),
        rounds_requested=rounds,
        rounds_completed=seen.round if status == "erased" else max(seen.round - 1, 0),
        passes_started=seen.started,
        passes_finished=seen.finished,
        last_pass=seen.last_pass,
        blanking=not noblank and method not in NEVER_BLANKS,
        verify=verify or {"VL": "last", "VA": "all", "NV": "none"}[code[-2:]],
        code=code,
        status=status,
        flagged=flag == "!",
        started_at=seen.started_at,
        finished_at=later(seen.started_at, duration),
        duration_seconds=duration,
        bytes_erased=number(erased),
        bytes_total=number(cells.get("Bytes Total")),
        percent_erased=_percent(cells.get("Percentage Erased")),
        throughput=cells.get("Thru-put"),
        throughput_bytes_per_s=bytes_per_second(cells.get("Thru-put")),
        errors_pass=number(cells.get("Pass Errors")),
        errors_verify=number(cells.get("Verifications Errors")),
        errors_sync=number(cells.get("Fdatasync I\\O Errors")),
        errors_retries=None,
        hpa_dco=None,
        hpa_dco_size=None,
        printed={key: escaped(value) for key, value in cells.items()},
        lines=tuple(_kept(line) for line in mine),
    )


def _kept(line: LogLine) -> LogLine:
    return LogLine(line.at, line.level, escaped(line.text.rstrip(" ")))


def _percent(text: str | None) -> float | None:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)%", (text or "").strip())
    return float(found[1]) if found else None


_PASS = re.compile(r"(Starting|Finished) pass (\d+/\d+, round \d+/\d+), on (\S+)")
_ROUND = re.compile(r"Starting round (\d+) of \d+ on (\S+)")


class _DriveLines:
    """What the lines naming one device say about it."""

    def __init__(self, path: str, lines: list[LogLine]) -> None:
        self.bus: str | None = None
        self.model: str | None = None
        self.serial: str | None = None  # raw, as printed
        self.label: str | None = None
        self.started_at: str | None = None
        self.last_pass: str | None = None
        self.size: int | None = None
        self.started = self.finished = self.round = 0
        for line in lines:
            self._read(path, line)

    def _read(self, path: str, line: LogLine) -> None:
        text = line.text
        if (found := _FOUND.fullmatch(text)) and found[1] == path:
            self.bus, self.model = escaped(found[2].strip(" ")), escaped(found[3].strip(" "))
            self.serial = found[5]
        elif text.startswith(f"{path} has serial number ") and self.serial is None:
            self.serial = text.removeprefix(f"{path} has serial number ")
        elif text.startswith(f"{path}, sect/blk/dev "):
            self.size = number(text.rpartition("/")[2])
        elif text.startswith("Invoking method '") and self.started_at is None:
            self.label = escaped(text.removeprefix("Invoking method '").rpartition("' on ")[0])
            self.started_at = line.at
        elif (passed := _PASS.fullmatch(text)) and passed[3] == path:
            if passed[1] == "Starting":
                self.started += 1
            else:
                self.finished += 1
                self.last_pass = f"pass {passed[2]}"
        elif (rounds := _ROUND.fullmatch(text)) and rounds[2] == path:
            self.round = int(rounds[1])
