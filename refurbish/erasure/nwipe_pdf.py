"""nwipe's PDF certificates (nwipe ≥ 0.35): the per-drive report and the system report.

Page 1 of a drive report, and the "Erasure Status" pages of a system report, print
`Label: value` pairs, two per line; pypdf's layout mode gives them back as lines, and each
value runs from its label to the next label on the line. The system report draws each
drive's status word rotated, with no label: it comes out alone on a line or glued before
the next label, always inside that drive's block.
"""

from __future__ import annotations

import io
import re

import pypdf

from db.errors import N_
from refurbish.erasure.nwipe import (
    METHODS,
    VERIFY_ONLY,
    Drive,
    NotAReport,
    Report,
    bytes_per_second,
    iso_time,
    number,
    seconds,
    serial_state,
)

UNREADABLE = N_("the PDF is damaged or cannot be read")
NOT_NWIPE_PDF = N_(
    "this PDF was not written by nwipe: it has no “Disk Erasure Report” or “System "
    "Erasure Report” page signed “Disc Erasure by NWIPE”"
)
NO_DRIVE = N_("the nwipe PDF report lists no drive that can be read")

_DRIVE_LABELS = (
    "Disk Model",
    "Disk S/N",
    "Tag",
    "Make/Model",
    "Serial",
    "Size(Apparent)",
    "Bus",
    "Size(Real)",
    "Start time",
    "End time",
    "Duration",
    "Status",
    "Method",
    "PRNG algorithm",
    "Final Pass(Zeros/Ones/None)",
    "Verify Pass(Last/All/None)",
    "*Bytes Erased",
    "Rounds(completed/requested)",
    "HPA/DCO",
    "HPA/DCO Size",
    "Errors(pass/sync/verify/retries)",
    "Errors(pass/sync/verify)",  # before 0.42: no retries
    "Throughput",
    "Name/ID",
)
_SYSTEM_LABELS = (
    "Make",
    "S/N",
    "Size(Apparent)",
    "Size(Real)",
    "Start time",
    "End time",
    "Duration",
    "Errors(pass/sync/verify/retries)",
    "*Bytes Erased",
    "Throughput",
    "Method",
    "PRNG algorithm",
    "Blanking Pass",
    "Verify(Last/All/None)",
    "HPA/DCO",
    "HPA/DCO Size",
    "Rounds(completed/requested)",
)


def _labels(names: tuple[str, ...]) -> re.Pattern[str]:
    longest_first = sorted(names, key=len, reverse=True)
    return re.compile("|".join(re.escape(f"{name}:") for name in longest_first))


_DRIVE = _labels(_DRIVE_LABELS)
_SYSTEM = _labels(_SYSTEM_LABELS)
_TITLE = re.compile(r"Page \d+ - (\S.*?)\s*$", re.MULTILINE)
_FOOTER = re.compile(r"Disc Erasure by NWIPE version (\S+)")
_FILE_DEVICE = re.compile(r"^nwipe_report_.*_device_([^_/]+)\.pdf$")
# In the system report nwipe prints model and serial after the drive reports have turned
# their characters other than letters and digits into "_", for their file names.
_SANITISED_ANONYMISED = re.compile(r"_{15}|_{20}")
_STATUSES = {"ERASED": "erased", "FAILED": "failed", "ABORTED": "aborted", "INSANITY": "failed"}


def parse_pdf(data: bytes, name: str) -> Report:
    texts = _page_texts(data)
    first = texts[0] if texts else ""
    version = _FOOTER.search(first)
    system = "System Erasure Report" in first
    if version is None or not (system or "Disk Erasure Report" in first):
        raise NotAReport(NOT_NWIPE_PDF)
    titles = tuple(found[1] if (found := _TITLE.search(text)) else "" for text in texts)
    if system:
        status_pages = [
            t for t, title in zip(texts, titles, strict=True) if title == "Erasure Status"
        ]
        fields = [f for text in status_pages for f in _system_drives(text)]
    else:
        fields = [_fields(first.splitlines(), _DRIVE)]
    fields = [f for f in fields if "Status" in f and "Method" in f]
    if not fields:
        raise NotAReport(NO_DRIVE)
    drives = [_drive(f, system, name) for f in fields]
    starts = [d.started_at for d in drives if d.started_at]
    ends = [d.finished_at for d in drives if d.finished_at]
    return Report(
        kind="system_pdf" if system else "drive_pdf",
        tool="nwipe",
        version=version[1],
        started_at=min(starts, default=None),
        finished_at=max(ends, default=None),
        final_message=None,
        outcome=None,
        options=_options(fields[0]),
        option_flags=(),
        drives=drives,
        messages=(),
        throughput=None,
        throughput_bytes_per_s=None,
        method_label=drives[0].method_label,
        code=None,
        summary_at=None,
        pages=titles,
    )


def _page_texts(data: bytes) -> list[str]:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        return [page.extract_text(extraction_mode="layout") for page in reader.pages]
    except Exception as exc:
        # pypdf raises many kinds (its own, KeyError, ValueError...) on a damaged or hostile
        # file: only the reading is inside, so what it means is "this file cannot be read".
        raise NotAReport(UNREADABLE) from exc


def _fields(lines: list[str], labels: re.Pattern[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in lines:
        fields.update(_pairs(line, labels)[1])
    return fields


def _pairs(line: str, labels: re.Pattern[str]) -> tuple[str, dict[str, str]]:
    """The text before the line's first label, and each label's value."""
    found = list(labels.finditer(line))
    if not found:
        return line, {}
    ends = [m.start() for m in found[1:]] + [len(line)]
    pairs = {m[0][:-1]: line[m.end() : end].strip() for m, end in zip(found, ends, strict=True)}
    return line[: found[0].start()], pairs


def _system_drives(text: str) -> list[dict[str, str]]:
    drives: list[dict[str, str]] = []
    for line in text.splitlines():
        if "System S/N:" in line or "System uuid:" in line:
            continue  # the page header, not a drive's "S/N:"
        head, pairs = _pairs(line, _SYSTEM)
        if "Make" in pairs:
            drives.append({})
        if not drives:
            continue
        if head.strip() in _STATUSES:
            drives[-1]["Status"] = head.strip()
        drives[-1].update(pairs)
    return drives


def _options(fields: dict[str, str]) -> dict[str, str]:
    """The run's settings, as the PDF prints them, under the log's option names."""
    blank = fields.get("Final Pass(Zeros/Ones/None)", fields.get("Blanking Pass"))
    verify = fields.get("Verify Pass(Last/All/None)", fields.get("Verify(Last/All/None)"))
    requested = fields.get("Rounds(completed/requested)", "").rpartition("/")[2]
    given = {
        "method": fields.get("Method"),
        "prng": fields.get("PRNG algorithm"),
        "rounds": requested or None,
        "verify": verify,
        "blanking": blank,
    }
    return {key: value for key, value in given.items() if value is not None}


def _drive(printed: dict[str, str], system: bool, name: str) -> Drive:
    fields = {key: _printable(value) for key, value in printed.items()}
    serial = fields.get("Serial", fields.get("Disk S/N", fields.get("S/N")))
    label = fields.get("Method")
    # The method label may end with the direction: " (R)" reverse, " (S)" scattered.
    method = METHODS.get(re.sub(r" \([RS]\)$", "", label or ""))
    # "See Warning !" may follow the rounds (hidden sectors) and the status word
    rounds = re.match(r"(\d+)/(\d+)", fields.get("Rounds(completed/requested)", ""))
    errors = fields.get("Errors(pass/sync/verify/retries)", fields.get("Errors(pass/sync/verify)"))
    counts = [number(n) for n in (errors or "").split("/")] + [None] * 4
    blank = fields.get("Final Pass(Zeros/Ones/None)", fields.get("Blanking Pass"))
    verify = fields.get("Verify Pass(Last/All/None)", fields.get("Verify(Last/All/None)"))
    erased = re.fullmatch(r"(\d+), \((\d+(?:\.\d+)?)%\)", fields.get("*Bytes Erased", ""))
    duration = seconds(fields.get("Duration", ""))
    status = (fields.get("Status") or "").split(" ")[0]
    device = _FILE_DEVICE.search(name.replace("\\", "/").rpartition("/")[2])
    prng = fields.get("PRNG algorithm")
    return Drive(
        # The pages never name the device; the drive report's file name, by nwipe, does.
        name=device[1] if device and not system else None,
        bus=fields.get("Bus"),
        model=fields.get("Make/Model", fields.get("Disk Model", fields.get("Make"))),
        serial=serial if _serial_state(serial, system) == "ok" else None,
        serial_state=_serial_state(serial, system),
        serial_printed=serial or "",
        size_bytes=_bytes(fields.get("Size(Apparent)")),
        size_real_bytes=_bytes(fields.get("Size(Real)")),
        method_label=label,
        method=method,
        verify_only=method in VERIFY_ONLY,
        prng=None if prng in (None, "N/A to method") else prng,
        rounds_requested=int(rounds[2]) if rounds else None,
        rounds_completed=int(rounds[1]) if rounds else None,
        passes_started=None,
        passes_finished=None,
        last_pass=None,
        blanking=None if blank is None else blank != "None",
        verify=verify.lower() if verify in ("Last", "All", "None") else None,
        code=None,
        status=_STATUSES.get(status, "failed"),
        flagged=None,
        started_at=iso_time(fields.get("Start time", "")),
        finished_at=iso_time(fields.get("End time", "")),
        duration_seconds=duration,
        bytes_erased=int(erased[1]) if erased else None,
        bytes_total=None,
        percent_erased=float(erased[2]) if erased else None,
        throughput=fields.get("Throughput"),
        throughput_bytes_per_s=bytes_per_second(fields.get("Throughput")),
        errors_pass=counts[0],
        errors_verify=counts[2],
        errors_sync=counts[1],
        errors_retries=counts[3] if errors and errors.count("/") == 3 else None,
        hpa_dco=fields.get("HPA/DCO"),
        hpa_dco_size=fields.get("HPA/DCO Size"),
        printed=fields,
        lines=(),
    )


def _serial_state(serial: str | None, system: bool) -> str:
    if serial is None or serial == "Unknown":
        return "empty"  # nwipe prints "Unknown" for an empty serial
    if system and _SANITISED_ANONYMISED.fullmatch(serial):
        return "anonymised"
    if system and "_" in serial:
        return "garbled"  # some characters of it were replaced: not the serial any more
    return serial_state(serial)


def _bytes(text: str | None) -> int | None:
    """67108864 of "67 MB, 67108864 bytes" or "67 MB,67108864B"."""
    found = re.search(r"(\d+) ?(?:bytes|B|b)$", text or "")
    return int(found[1]) if found else None


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
