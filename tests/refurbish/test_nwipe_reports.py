"""nwipe's logs and PDFs read by the importer: every file of the erasure corpus, and every
fact its README lists about each, read from the README itself (`nwipe_facts`).

A README row without a check here fails its file's test: nothing is skipped. The rows that
are about the run rather than the file, or about the file's bytes rather than what nwipe
said in them, are listed below with what is checked instead.
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas  # type: ignore[import-untyped]

from refurbish.erasure import nwipe, nwipe_pdf
from tests.refurbish import nwipe_facts
from tests.refurbish.nwipe_facts import (
    ROOT,
    LogFacts,
    PdfFacts,
    equal,
    expected_state,
    hms,
    iso,
    no_check,
    rate,
    readme_bytes,
    run_checks,
    unescaped,
    unquote,
)

pytestmark = pytest.mark.skipif(
    not ROOT.exists() and os.environ.get("REMISE_REQUIRE_TOOLS") != "1",
    reason=f"no erasure corpus at {ROOT}",
)
LOGS, PDFS = nwipe_facts.load() if ROOT.exists() else ([], [])

# README rows about the run, not in the file: checked against what the file implies.
ABOUT_THE_RUN = {
    # nwipe exits 1 exactly when it reports errors (an abort by the user exits 0)
    "nwipe exit status (from the run, not in the file)",
}
# PDF fields that are the organisation's and operator's texts from nwipe.conf, not the
# erasure's: checked as printed, with no typed figure.
PRINTED_ONLY = {"Tag", "Name/ID"}

# nwipe's labels (src/method.c) as Remise names them: nwipe's own --method names.
LABEL_KEYS = {
    "Fill With Zeros": "zero",
    "PRNG Stream": "random",
    "DoD Short": "dodshort",
    "Gutmann Wipe": "gutmann",
    "RCMP TSSIT OPS-II": "ops2",
    "Verify Zeros (0x00)": "verify_zero",
    "Verify Ones  (0xFF)": "verify_one",
}
LOG_STATUSES = {"Erased": "erased", "-FAILED-": "failed", "UABORTED": "aborted"}
PDF_STATUSES = {"ERASED": "erased", "FAILED": "failed", "ABORTED": "aborted"}
OUTCOMES = {
    "Nwipe successfully completed.": "completed",
    "Nwipe exited with errors,": "errors",
    "Nwipe was aborted by the user.": "aborted",
}
# The README measured the 0.42 logs before the lab's scratch folder was rewritten to
# /srv/erase-lab in their "Creating PDF report in ..." line: that path is 4 bytes longer.
REWRITTEN_PATH, REWRITE_GROWTH = b"/srv/erase-lab", 4


@functools.cache
def parsed(path: str) -> nwipe.Report:
    return nwipe.parse((ROOT / path).read_bytes(), Path(path).name)


# -- the logs -------------------------------------------------------------------------


def check_file_size(report: nwipe.Report, data: bytes, value: str) -> None:
    found = re.fullmatch(r"(\d+) bytes, (\d+) LF-terminated lines, ends with LF: (yes|no)", value)
    assert found, value
    grown = REWRITE_GROWTH * data.count(REWRITTEN_PATH)
    assert len(data) == int(found[1]) + grown
    assert data.count(b"\n") == int(found[2])
    assert data.endswith(b"\n") == (found[3] == "yes")


def check_unprintable_lines(report: nwipe.Report, data: bytes, value: str) -> None:
    unprintable = [row for row in data.split(b"\n") if any(b < 0x20 or b > 0x7E for b in row)]
    assert len(unprintable) == int(value)
    texts = [report.final_message or "", *report.options.values(), *report.option_flags]
    for drive in report.drives:
        texts += [drive.serial_printed, drive.model or "", *drive.printed.values()]
        texts += [str(line) for line in drive.lines]
    texts += [str(line) for line in report.messages]
    assert all(" " <= c <= "~" for text in texts for c in text), "a raw byte got through"


def check_total_line(report: nwipe.Report, data: bytes, value: str) -> None:
    found = re.fullmatch(r"`\[(.+?)\] Total Throughput +(.+?/s), (.+), (\S+)`", value)
    assert found, value
    assert report.summary_at == iso(found[1])
    assert (report.throughput, report.method_label, report.code) == found.group(2, 3, 4)


def check_total(report: nwipe.Report, data: bytes, value: str) -> None:
    throughput, label, code = (unquote(part) for part in value.split(" / "))
    assert (report.throughput, report.method_label, report.code) == (throughput, label, code)
    assert report.throughput_bytes_per_s == rate(throughput)
    assert [drive.code for drive in report.drives] == [code] * len(report.drives)


def check_times(report: nwipe.Report, data: bytes, value: str) -> None:
    first, last = value.split(" / ")
    assert (report.started_at, report.finished_at) == (iso(first), iso(last))


def check_final(report: nwipe.Report, data: bytes, value: str) -> None:
    found = re.fullmatch(r"`\[(.+?)\] +info: (.*)`", value)
    assert found, value
    assert report.final_message == found[2]
    assert report.finished_at == iso(found[1])
    assert report.outcome == next(v for k, v in OUTCOMES.items() if found[2].startswith(k))


def check_blank_line(report: nwipe.Report, data: bytes, value: str) -> None:
    present = "do not perform a final blank pass" in report.option_flags
    assert present == {"present": True, "absent": False}[value]
    if present:
        assert not any(drive.blanking for drive in report.drives)


def check_option(name: str) -> Callable[[nwipe.Report, bytes, str], None]:
    def check(report: nwipe.Report, data: bytes, value: str) -> None:
        assert report.options[name] == unquote(value)
        if name == "banner":
            assert report.version == unquote(value).removeprefix("nwipe ")

    return check


# README rows about the file's bytes rather than a figure nwipe printed: checked on the
# bytes, and against the parser where it has a say (all it returns is printable ASCII).
ABOUT_THE_BYTES: dict[str, Callable[[nwipe.Report, bytes, str], None]] = {
    "size of file": check_file_size,
    "lines with bytes outside printable ASCII": check_unprintable_lines,
}
RUN_FACTS: dict[str, Callable[[nwipe.Report, bytes, str], None]] = {
    **ABOUT_THE_BYTES,
    "Total Throughput line": check_total_line,
    "total throughput / method label / rounds+blank+verify code": check_total,
    "first timestamp / last timestamp in file": check_times,
    "final message": check_final,
    "option line `do not perform a final blank pass`": check_blank_line,
}


def check_serial(drive: nwipe.Drive, value: str) -> None:
    raw = readme_bytes(value)
    assert unescaped(drive.serial_printed) == raw
    assert drive.serial_state == expected_state(raw)
    assert drive.serial == (raw.decode() if drive.serial_state == "ok" else None)


def check_passes(drive: nwipe.Drive, value: str) -> None:
    found = re.fullmatch(r"(\d+) finished of (\d+) started(?: \(last: (.+)\))?", value)
    assert found, value
    assert (drive.passes_finished, drive.passes_started) == (int(found[1]), int(found[2]))
    assert drive.last_pass == found[3]


def check_errors(drive: nwipe.Drive, value: str) -> None:
    counts = tuple(int(n) for n in unquote(value).split("/"))
    assert (drive.errors_pass, drive.errors_verify, drive.errors_sync) == counts
    columns = ("Pass Errors", "Verifications Errors", "Fdatasync I\\O Errors")
    assert tuple(int(drive.printed[c]) for c in columns) == counts


def check_erasure_summary(drive: nwipe.Drive, value: str) -> None:
    if unquote(value) == "(no table)":
        assert (drive.bytes_erased, drive.bytes_total, drive.percent_erased) == (None,) * 3
        return
    erased, total, percent = unquote(value).split(" / ")
    assert (drive.bytes_erased, drive.bytes_total) == (int(erased), int(total))
    assert drive.percent_erased == float(percent.removesuffix("%"))
    assert drive.printed["Percentage Erased"] == percent


def check_status(drive: nwipe.Drive, value: str) -> None:
    found = re.fullmatch(r"`([^`]+)`( \(row starts with `!`\))?", value)
    assert found, value
    assert drive.printed["Status"] == found[1]
    assert drive.status == LOG_STATUSES[found[1]]
    assert drive.flagged == bool(found[2])


def check_throughput(drive: nwipe.Drive, value: str) -> None:
    assert drive.throughput == unquote(value)
    assert drive.throughput_bytes_per_s == rate(value)


def check_duration(drive: nwipe.Drive, value: str) -> None:
    assert drive.printed["HH:MM:SS"] == unquote(value)
    assert drive.duration_seconds == hms(value)
    assert drive.started_at is not None
    started = datetime.fromisoformat(drive.started_at)
    assert drive.finished_at == (started + timedelta(seconds=hms(value))).isoformat()


DEVICE_FACTS: dict[str, Callable[[nwipe.Drive, str], None]] = {
    "device": lambda d, v: equal(d.name, unquote(v).removeprefix("/dev/")),
    "model (Found line)": lambda d, v: equal(d.model, unquote(v)),
    "serial as printed after `S/N=`": check_serial,
    "size bytes": lambda d, v: equal(d.size_bytes, int(unquote(v))),
    "passes finished": check_passes,
    "errors pass/verify/fdatasync (Error Summary)": check_errors,
    "Erasure Summary (erased/total/%)": check_erasure_summary,
    "status (Drive Status)": check_status,
    "thru-put": check_throughput,
    "HH:MM:SS": check_duration,
    "Model/Serial Number field": lambda d, v: equal(
        unescaped(d.printed["Model/Serial Number"]), readme_bytes(v)
    ),
}


_LISTED = re.compile(r"Verif|Blank|FAILURE|SUCCESS|final random pattern|FRP")


def listed_by_readme(drive: nwipe.Drive) -> list[str]:
    """The README's per-device list: from "Invoking method" on, the lines that are errors,
    warnings, fatal or debug, or about verifying, blanking or OPS-II's final pattern."""
    start = next(i for i, line in enumerate(drive.lines) if line.text.startswith("Invoking"))
    return [
        str(line)
        for line in drive.lines[start:]
        if line.level in {"warning", "error", "fatal", "debug"} or _LISTED.search(line.text)
    ]


def check_drive_lines(facts: LogFacts, device: str, drive: nwipe.Drive) -> None:
    assert listed_by_readme(drive) == facts.lines[device]
    other = [d.name for d in parsed(facts.path).drives if d.name != drive.name]
    assert not [line for line in drive.lines for name in other if f"/dev/{name} " in line.text]
    serials = [line for line in drive.lines if " has serial number " in line.text]
    if device not in facts.serial_lines:
        assert serials == []
        return
    (line,) = serials
    printed = line.text.removeprefix(f"{device} has serial number ")
    assert unescaped(printed) == readme_bytes(facts.serial_lines[device])


def check_drive_sense(report: nwipe.Report, drive: nwipe.Drive) -> None:
    """What follows from the figures: the method's key, `passed`, and PASSES per round."""
    assert drive.method == LABEL_KEYS[report.options["method"]]
    assert drive.verify_only == (drive.method in {"verify_zero", "verify_one"})
    errors = drive.errors_pass or drive.errors_verify or drive.errors_sync
    assert drive.passed == (drive.status == "erased" and not errors and not drive.verify_only)
    if drive.status == "erased" and drive.method:
        assert drive.passes_finished == nwipe.PASSES[drive.method] * (drive.rounds_requested or 0)


Checks = list[tuple[str, Callable[[], None]]]


def run_fact_checks(facts: LogFacts, report: nwipe.Report, data: bytes) -> Checks:
    checks: Checks = []
    for name, value in facts.facts:
        option = re.fullmatch(r"option `(\w+)`", name)
        check = check_option(option[1]) if option else RUN_FACTS.get(name)
        if name in ABOUT_THE_RUN:
            exit_status = int(unquote(value))
            errors = functools.partial(equal, report.outcome == "errors", exit_status == 1)
            checks.append((name, errors))
        elif check is None:
            checks.append((name, functools.partial(no_check, f"README fact {name!r}")))
        else:
            checks.append((name, functools.partial(check, report, data, value)))
    return checks


def device_checks(facts: LogFacts, report: nwipe.Report) -> Checks:
    devices = [unquote(row["device"]) for row in facts.devices]
    names = [device.removeprefix("/dev/") for device in devices]
    checks: Checks = [("drives", functools.partial(equal, [d.name for d in report.drives], names))]
    by_device = {f"/dev/{drive.name}": drive for drive in report.drives}
    for device, row in zip(devices, facts.devices, strict=True):
        drive = by_device.get(device)
        for column, value in row.items():
            check = DEVICE_FACTS.get(column)
            if check is None or drive is None:
                checks.append((column, functools.partial(no_check, f"README column {column!r}")))
            else:
                checks.append((f"{device} {column}", functools.partial(check, drive, value)))
        if drive is not None:
            lines = functools.partial(check_drive_lines, facts, device, drive)
            checks.append((f"{device} lines", lines))
            checks.append((f"{device} sense", functools.partial(check_drive_sense, report, drive)))
    return checks


@pytest.mark.parametrize("facts", LOGS, ids=[f.path for f in LOGS])
def test_every_readme_fact_of_each_log(facts: LogFacts) -> None:
    data = (ROOT / facts.path).read_bytes()
    report = parsed(facts.path)
    assert (report.kind, report.tool) == ("log", "nwipe")
    run_checks(run_fact_checks(facts, report, data) + device_checks(facts, report))


# -- the PDFs -------------------------------------------------------------------------


def check_serial_field(drive: nwipe.Drive, value: str) -> None:
    printed = unquote(value)
    assert drive.serial_printed == printed
    state = "empty" if printed == "Unknown" else expected_state(printed.encode())
    assert (drive.serial_state, drive.serial) == (state, printed if state == "ok" else None)


def check_bytes_erased(drive: nwipe.Drive, value: str) -> None:
    if unquote(value) == "Not applicable to method":
        assert (drive.bytes_erased, drive.percent_erased) == (None, None)
        return
    found = re.fullmatch(r"(\d+), \((\d+\.\d+)%\)", unquote(value))
    assert found, value
    assert (drive.bytes_erased, drive.percent_erased) == (int(found[1]), float(found[2]))


def check_pdf_errors(drive: nwipe.Drive, value: str) -> None:
    counts = tuple(int(n) for n in unquote(value).split("/"))
    got = (drive.errors_pass, drive.errors_sync, drive.errors_verify, drive.errors_retries)
    assert got == counts


def check_method(drive: nwipe.Drive, value: str) -> None:
    assert drive.method_label == unquote(value)
    assert drive.method == LABEL_KEYS[unquote(value)]
    assert drive.verify_only == (drive.method in {"verify_zero", "verify_one"})


def size_in(value: str) -> int:
    found = re.search(r"(\d+)(?: bytes|B)$", unquote(value))
    assert found, value
    return int(found[1])


def status_of(value: str) -> Callable[[nwipe.Drive], None]:
    return lambda d: equal(d.status, PDF_STATUSES[unquote(value)])


PDF_FIELDS: dict[str, Callable[[nwipe.Drive, str], None]] = {
    "Disk Model": lambda d, v: equal(d.model, unquote(v)),
    "Make/Model": lambda d, v: equal(d.model, unquote(v)),
    "Make": lambda d, v: equal(d.model, unquote(v)),
    "Disk S/N": check_serial_field,
    "Serial": check_serial_field,
    "S/N": check_serial_field,
    "Size(Apparent)": lambda d, v: equal(d.size_bytes, size_in(v)),
    "Size(Real)": lambda d, v: equal(d.size_real_bytes, size_in(v)),
    "Bus": lambda d, v: equal(d.bus, unquote(v)),
    "Start time": lambda d, v: equal(d.started_at, iso(v)),
    "End time": lambda d, v: equal(d.finished_at, iso(v)),
    "Duration": lambda d, v: equal(d.duration_seconds, hms(v)),
    "Status": lambda d, v: status_of(v)(d),
    "status word (own line, column 0)": lambda d, v: status_of(v)(d),
    "Method": check_method,
    "PRNG algorithm": lambda d, v: equal(d.prng, None if "N/A" in v else unquote(v)),
    "Final Pass(Zeros/Ones/None)": lambda d, v: equal(d.blanking, unquote(v) != "None"),
    "Blanking Pass": lambda d, v: equal(d.blanking, unquote(v) != "None"),
    "Verify Pass(Last/All/None)": lambda d, v: equal(d.verify, unquote(v).lower()),
    "Verify(Last/All/None)": lambda d, v: equal(d.verify, unquote(v).lower()),
    "*Bytes Erased": check_bytes_erased,
    "Rounds(completed/requested)": lambda d, v: equal(
        f"{d.rounds_completed}/{d.rounds_requested}", unquote(v)
    ),
    "HPA/DCO": lambda d, v: equal(d.hpa_dco, unquote(v)),
    "HPA/DCO Size": lambda d, v: equal(d.hpa_dco_size, unquote(v)),
    "Errors(pass/sync/verify/retries)": check_pdf_errors,
    "Throughput": lambda d, v: equal(
        (d.throughput, d.throughput_bytes_per_s), (unquote(v), rate(v))
    ),
}


@pytest.mark.parametrize("facts", PDFS, ids=[f.path.rpartition("/")[2] for f in PDFS])
def test_every_readme_field_of_each_pdf(facts: PdfFacts) -> None:
    data = (ROOT / facts.path).read_bytes()
    report = parsed(facts.path)
    system = Path(facts.path).name.startswith("nwipe_system_report_")
    device = re.search(r"_device_([^_/]+)\.pdf$", facts.path)
    checks: Checks = [
        ("size", lambda: equal(len(data), facts.size_bytes)),
        ("kind", lambda: equal(report.kind, "system_pdf" if system else "drive_pdf")),
        ("pages", lambda: equal(len(report.pages), facts.page_count)),
        (
            "titles",
            lambda: equal(
                [f"Page {n} - {title}" for n, title in enumerate(report.pages, 1)], facts.titles
            ),
        ),
        ("drives", lambda: equal(len(report.drives), len(facts.disks))),
    ]
    if facts.footer:
        footer = f"Disc Erasure by NWIPE version {report.version}"
        checks.append(("footer", lambda: equal(footer, facts.footer)))
    for drive, disk in zip(report.drives, facts.disks, strict=False):
        name = None if system or device is None else device[1]
        checks.append(("name", functools.partial(equal, drive.name, name)))
        for label, value in disk.items():
            key = "Status" if label == "status word (own line, column 0)" else label
            checks.append((f"{label} printed", functools.partial(_printed, drive, key, value)))
            check = PDF_FIELDS.get(label)
            if label in PRINTED_ONLY:
                continue
            if check is None:
                checks.append((label, functools.partial(no_check, f"README field {label!r}")))
            else:
                checks.append((label, functools.partial(check, drive, value)))
    run_checks(checks)


def _printed(drive: nwipe.Drive, key: str, value: str) -> None:
    assert drive.printed[key] == unquote(value)


def _pdf_runs() -> dict[str, list[PdfFacts]]:
    runs: dict[str, list[PdfFacts]] = {}
    for facts in PDFS:
        runs.setdefault(Path(facts.path).parent.name, []).append(facts)
    return runs


@pytest.mark.parametrize("run", sorted(_pdf_runs()))
def test_the_pdfs_of_a_run_say_what_its_log_says(run: str) -> None:
    """The importer counts a log and a PDF of one run as one erasure (same times, method)."""
    log = parsed(f"nwipe-0.42/{run}.log")
    for facts in _pdf_runs()[run]:
        report = parsed(facts.path)
        assert report.version == log.version
        for position, drive in enumerate(report.drives):
            from_log = next(d for d in log.drives if d.name == drive.name) if drive.name else None
            twin = from_log or log.drives[position]
            same = (
                "status", "size_bytes", "method", "verify", "blanking", "rounds_requested",
                "rounds_completed", "errors_pass", "errors_verify", "errors_sync",
                "bytes_erased", "percent_erased", "duration_seconds", "started_at",
                "finished_at", "throughput_bytes_per_s", "serial_state", "serial", "passed",
            )  # fmt: skip
            assert {k: getattr(drive, k) for k in same} == {k: getattr(twin, k) for k in same}
            model = (
                twin.model if report.kind == "drive_pdf" else (twin.model or "").replace(" ", "_")
            )
            assert drive.model == model


@pytest.mark.parametrize("facts", PDFS, ids=[f.path.rpartition("/")[2] for f in PDFS])
def test_pypdf_reads_what_pdftotext_reads(facts: PdfFacts) -> None:
    """Each field the parser read is on one line of poppler's text of the same page, too."""
    text = (ROOT / facts.path).with_suffix(".txt").read_text(encoding="utf-8").split("\f")[0]
    lines = text.splitlines()
    for drive in parsed(facts.path).drives:
        for label, value in drive.printed.items():
            if label == "Status" and parsed(facts.path).kind == "system_pdf":
                assert value in [line.strip() for line in lines]
                continue
            pattern = re.compile(re.escape(f"{label}:") + r"\s*" + re.escape(value))
            assert any(pattern.search(line) for line in lines), (label, value)


# -- what is not a report ---------------------------------------------------------------


def refusal(data: bytes, name: str = "") -> str:
    with pytest.raises(nwipe.NotAReport) as caught:
        nwipe.parse(data, name)
    assert caught.value.message is caught.value.reason
    assert str(caught.value) == str(caught.value.reason)
    return caught.value.reason.template


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"], ids=["empty", "blank lines"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    assert refusal(data) == nwipe.EMPTY


@pytest.mark.parametrize(
    "path",
    [
        ROOT / "README.md",  # quotes every kind of nwipe line, but in a text about them
        ROOT.parent
        / "hardware-corpus"
        / "smart"
        / "HDD_HGST_HTS725050A7E630_0B4DF3BDFEEB.smartctl.txt",
        ROOT.parent / "hardware-corpus" / "udevadm-export-db" / "LENOVO_T430S.txt",
    ],
    ids=lambda p: p.name,
)
def test_a_text_file_that_nwipe_did_not_write_is_refused(path: Path) -> None:
    assert refusal(path.read_bytes(), path.name) == nwipe.NOT_NWIPE


def _pdf(*lines: str) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    for n, line in enumerate(lines):
        page.drawString(72, 720 - 20 * n, line)
    page.showPage()
    page.save()
    return out.getvalue()


@pytest.mark.parametrize(
    "lines",
    [
        ("Certificate of sanitization", "Serial: S3Z1NB0K123456A", "Status: ERASED"),
        ("Disk Erasure Report", "Page 1 - Erasure Status", "Method: Fill With Zeros"),
    ],
    ids=["another certificate", "nwipe's title without nwipe's footer"],
)
def test_a_pdf_that_nwipe_did_not_write_is_refused(lines: tuple[str, ...]) -> None:
    assert refusal(_pdf(*lines), "certificate.pdf") == nwipe_pdf.NOT_NWIPE_PDF


def test_a_pdf_with_nwipe_s_frame_but_no_drive_is_refused() -> None:
    frame = ("Disk Erasure Report", "Page 1 - Erasure Status", "Disc Erasure by NWIPE version 0.42")
    assert refusal(_pdf(*frame), "nwipe_report.pdf") == nwipe_pdf.NO_DRIVE


def test_a_pdf_cut_short_is_refused_as_unreadable() -> None:
    data = (ROOT / PDFS[0].path).read_bytes()
    assert refusal(data[: len(data) // 2], "cut.pdf") == nwipe_pdf.UNREADABLE
    assert refusal(b"%PDF-1.4\n" + data[4000:8000], "junk.pdf") == nwipe_pdf.UNREADABLE


CUTS = {
    "half way": lambda data: data[: len(data) // 2],
    "before the Error Summary": lambda data: data[: data.index(b"\n****") + 1],
    "in the Drive Status table": lambda data: data[: data.index(b"| Model/Serial Number") + 90],
    "before the Total Throughput line": lambda data: data[: data.index(b"Total Throughput") - 22],
}


@pytest.mark.parametrize("cut", sorted(CUTS))
@pytest.mark.parametrize(
    "path", ["nwipe-0.33/nwipe-0.33-two-devices.log", "nwipe-0.42/nwipe-0.42-two-devices.log"]
)
def test_a_log_cut_short_is_refused(path: str, cut: str) -> None:
    data = CUTS[cut]((ROOT / path).read_bytes())
    assert refusal(data, Path(path).name) == nwipe.TRUNCATED


def test_a_log_holding_two_runs_is_refused() -> None:
    """nwipe appends to its log file: two runs in one file are two erasures to import."""
    first = (ROOT / "nwipe-0.33/nwipe-0.33-zero-verify-last.log").read_bytes()
    second = (ROOT / "nwipe-0.33/nwipe-0.33-quiet.log").read_bytes()
    with pytest.raises(nwipe.NotAReport) as caught:
        nwipe.parse(first + second, "nwipe.log")
    assert caught.value.reason.template == nwipe.SEVERAL_RUNS
    assert caught.value.reason.params == {"count": 2}


# -- serials ------------------------------------------------------------------------------

GARBLED = "nwipe-0.33/nwipe-0.33-zero-verify-last-no-smartmontools.log"


def test_garbage_serial_bytes_are_read_as_bytes_and_kept_escaped() -> None:
    data = (ROOT / GARBLED).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    (drive,) = nwipe.parse(data, GARBLED).drives
    assert drive.serial_printed == " \\x80\\xafk:\\x7f"
    assert (drive.serial, drive.serial_state) == (None, "garbled")
    assert drive.printed["Model/Serial Number"] == "Loopback device/ \\x80\\xafk:\\x7f"
    assert drive.passed  # the erasure itself went well: only the disk is unnamed


def _disk_serials() -> list[str]:
    """Serials of the disks of the hardware corpus's machines (udev's ID_SERIAL_SHORT)."""
    serials = []
    for dump in sorted((ROOT.parent / "hardware-corpus" / "udevadm-export-db").glob("*.txt")):
        for block in dump.read_text(encoding="utf-8").split("\n\n"):
            disk = "E: DEVTYPE=disk" in block and "E: ID_TYPE=disk" in block
            if disk and (found := re.search(r"^E: ID_SERIAL_SHORT=(.+)$", block, re.M)):
                serials.append(found[1])
    return serials


def test_the_serials_of_real_disks_count_as_serials() -> None:
    serials = _disk_serials()
    assert len(serials) >= 5
    assert {serial: nwipe.serial_state(serial) for serial in serials} == dict.fromkeys(
        serials, "ok"
    )


def test_a_log_naming_a_real_serial_gives_it_for_matching() -> None:
    """The garbled log, with its six garbage bytes where nwipe prints a serial, carrying a
    real disk's serial instead, as nwipe prints it for a SATA disk."""
    serial = _disk_serials()[0].encode()
    data = (ROOT / GARBLED).read_bytes().replace(bytes.fromhex("20 80 af 6b 3a 7f"), serial)
    (drive,) = nwipe.parse(data, GARBLED).drives
    assert (drive.serial, drive.serial_state) == (serial.decode(), "ok")
    assert drive.printed["Model/Serial Number"] == f"Loopback device/{serial.decode()}"
