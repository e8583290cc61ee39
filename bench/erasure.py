"""Erasure benchmark: nwipe reports read, certificates issued, printed and checked.

Each figure against a baseline timed in the same run, on the same data:

1. import of an nwipe report: `refurbish.erasure.nwipe.parse` of every file of
   ../shared/erasure-corpus (36 logs, 18 PDFs, each read from disk), per file, the logs
   and the PDFs apart. Baselines: reading the bytes, decoding latin-1 and splitting lines
   (logs); opening the file with pypdf and extracting each page's text without layout
   (PDFs). A reference line gives pypdf's layout extraction, which `nwipe_pdf` reads.
   Best of `rounds` rounds (each times every file, ours then the baselines), after one
   unmeasured parse of every file. Skipped, with a message, when the corpus is missing.
2. a batch certificate of N devices (1,000; quick 100) on a migrated SQLite file (WAL),
   built through the real services: a donor and a batch (`intake.service`), laptops
   registered and walked to in_refurbishment by `db.lifecycle` (as tests/factories.py
   does), each given the two disks of the hardware corpus's Dell Latitude 3590
   (`refurbish.erasure.service.add_medium`) and a passed nwipe 0.42 zero fill verified
   in full on each (`record_erasure`), then refurbished.
   a. `certificates.current`: assembling, signing (Ed25519) and the `certificate.issued`
      event, in a transaction rolled back after each run so that each run issues one.
      Baseline: N bare sqlite3 `SELECT` of one device by id. References: the same
      call answered by the newest certificate (nothing changed since), and a bare
      read of every row the certificate rests on (devices, media, records, hashes).
   b. `certificate_pdf.render` in French. Baseline: the donor's receipt of the same
      batch (`intake.receipt.render_receipt` of `intake.service.receipt_view`).
      Pages, milliseconds per device, bytes.
   c. `certificates.by_code` and `check`, in a read-only transaction, as
      `GET /api/v1/certificates/{code}` runs them: cold, when the process has not
      verified the chain yet (its first request, then once an hour), and warm (only
      the rows after the head it verified). Baseline: `db.ledger.verify` alone on the
      same ledger; the share of the cold check it takes is printed.
3. peak memory (tracemalloc, Python allocations) of rendering the certificate of the
   N devices, against that of the receipt.

Only the local file system is touched. Figures are printed as a table and written to
bench/results/erasure.json.

Run:  .venv/bin/python -m bench.erasure [--quick]
`--quick` divides the devices, rounds and runs by 10 (at least 1).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import platform
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import pypdf
import reportlab  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from bench import best_of, peak_mib
from bench.ledger import Sqlite
from db import ledger, lifecycle
from db.engine import make_engine, new_session, transaction
from db.enums import Category, Status
from db.media import Level, MediumType, Method, Verification
from db.models import Device
from intake import receipt
from intake import service as intake
from intake.models import BatchCreate, DonorCreate
from refurbish.erasure import certificate_pdf, certificates, nwipe, service
from refurbish.erasure.models import ErasureIn, MediumIn, VerificationIn
from remise.auth import system_actor
from remise.i18n import translate
from remise.migrate import upgrade

RESULTS = Path(__file__).resolve().parent / "results"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "erasure-corpus"
ACTOR = system_actor("bench")
ORGANISATION = "Remise Nantes"
ISSUER = certificates.Issuer(ORGANISATION, "Lucie Martin", "Responsable de l’atelier")
PUBLIC_URL = "https://remise.example.org"
CHUNK = 100  # devices built per transaction
MIB = 2**20
# CAPTURE_METADATA.txt of ../shared/hardware-corpus (a Dell Latitude 3590): its two disks,
# serials made unique per device; sizes are the drives' rated capacities (the dumps hold none).
DISKS = (
    (MediumType.HDD, "WDC", "WD10SPZX-75Z10T0", "WXT1A77L", 1_000_204_886_016),
    (MediumType.NVME, "TOSHIBA", "KXG50ZNV512G NVMe TOSHIBA 512GB", "87VB6270", 512_110_190_592),
)


@dataclass(frozen=True)
class Sizes:
    devices: int
    log_rounds: int
    pdf_rounds: int
    runs: int  # best of this many, for certificates, renders and checks


@dataclass
class Figure:
    """One measurement: our time against the baseline's, in seconds, over `count` units."""

    name: str
    count: int
    unit: str
    ours_s: float
    base_s: float
    ours_ms: float = field(init=False)
    base_ms: float = field(init=False)
    ratio: float = field(init=False)

    def __post_init__(self) -> None:
        self.ours_ms = self.ours_s / self.count * 1e3
        self.base_ms = self.base_s / self.count * 1e3
        self.ratio = self.ours_s / self.base_s


# --- 1. nwipe reports -----------------------------------------------------------------


def parse_file(path: Path) -> bool:
    """Whether nwipe.parse reads the file (a refusal is an answer too, and timed alike)."""
    try:
        nwipe.parse(path.read_bytes(), path.name)
    except nwipe.NotAReport:
        return False
    return True


def log_lines(path: Path) -> None:
    path.read_bytes().decode("latin-1").splitlines()


def pdf_text(path: Path, mode: Literal["plain", "layout"] = "plain") -> None:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    for page in reader.pages:
        page.extract_text(extraction_mode=mode)


def rounds_of(
    paths: Sequence[Path], rounds: int, sides: Sequence[Callable[[Path], object]]
) -> list[float]:
    """For each side, the best over `rounds` of the time to run it on every file."""
    best = [float("inf")] * len(sides)
    for _ in range(rounds):
        for i, side in enumerate(sides):
            start = time.perf_counter()
            for path in paths:
                side(path)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def measure_reports(sizes: Sizes) -> tuple[list[Figure], dict[str, Any]]:
    if not CORPUS.is_dir():
        print(f"  no erasure corpus at {CORPUS}: the import of nwipe reports is skipped")
        return [], {}
    logs, pdfs = sorted(CORPUS.rglob("*.log")), sorted(CORPUS.rglob("*.pdf"))
    facts = {
        "logs": len(logs),
        "pdfs": len(pdfs),
        "log_kib": sum(p.stat().st_size for p in logs) / 1024,
        "pdf_kib": sum(p.stat().st_size for p in pdfs) / 1024,
        "refused": sum(not parse_file(p) for p in (*logs, *pdfs)),  # also the warm-up
    }
    print(f"  corpus: {facts['logs']} logs, {facts['pdfs']} PDFs, {facts['refused']} refused")
    ours, base = rounds_of(logs, sizes.log_rounds, (parse_file, log_lines))
    figures = [Figure("nwipe log vs latin-1 + splitlines", len(logs), "file", ours, base)]
    ours, base, layout = rounds_of(
        pdfs, sizes.pdf_rounds, (parse_file, pdf_text, lambda p: pdf_text(p, "layout"))
    )
    figures += [
        Figure("nwipe PDF vs pypdf plain text", len(pdfs), "file", ours, base),
        Figure("(pypdf layout text vs plain)", len(pdfs), "file", layout, base),
    ]
    return figures, facts


# --- 2. the batch and its certificate ------------------------------------------------


def erasure_of(medium_id: int) -> ErasureIn:
    """nwipe 0.42's zero fill, one pass, verified in full, as the erasure corpus ran it."""
    return ErasureIn(
        medium_id=medium_id,
        level=Level.CLEAR,
        method=Method.OVERWRITE,
        pattern="zero",
        passes=1,
        tool="nwipe",
        tool_version="0.42",
        started_at="2026-12-01T21:39:14",
        finished_at="2026-12-01T21:39:20",
        verification=VerificationIn(method=Verification.FULL, passed=True),
    )


def refurbished_laptops(session: Any, batch_id: int, first: int, count: int) -> None:
    devices = [
        Device(  # type: ignore[call-arg]  # code and status: lifecycle.register gives them
            category=Category.LAPTOP,
            brand="Dell",
            model="Latitude 3590",
            serial=f"7XK2{n:05d}",
            asset_tag=f"INV-2026-{n:05d}",
            batch_id=batch_id,
        )
        for n in range(first, first + count)
    ]
    who = ACTOR.ledger_name
    lifecycle.register(session, actor=who, devices=devices)
    for n, device in enumerate(devices, start=first):
        for step in lifecycle.path_to(Status.IN_REFURBISHMENT):
            lifecycle.move(session, device, to=step, actor=who)
        for kind, make, model, serial, size in DISKS:
            unique = f"{serial}{n:04X}"
            disk = MediumIn(
                type=kind, manufacturer=make, model=model, serial=unique, size_bytes=size
            )
            medium = service.add_medium(session, ACTOR, device, disk)
            data = erasure_of(medium.id or 0)
            service.record_erasure(session, ACTOR, code=device.code, data=data, device=device)
        lifecycle.move(session, device, to=Status.REFURBISHED, actor=who)


def seed(engine: Engine, n: int) -> int:
    """A donor, a batch of N refurbished laptops with two erased disks each; its id."""
    with transaction(engine) as session:
        donor = intake.create_donor(session, ACTOR, data=DonorCreate(name="Banque Solidaire"))
        data = BatchCreate(donor_id=donor.id or 0, pickup_date=date(2026, 11, 30), site="Rezé")
        batch_id = intake.create_batch(session, ACTOR, data=data).id or 0
    for first in range(0, n, CHUNK):
        with transaction(engine) as session:
            refurbished_laptops(session, batch_id, first, min(CHUNK, n - first))
    return batch_id


def issue(engine: Engine, key: Ed25519PrivateKey, batch_id: int, *, keep: bool = False) -> Any:
    """`certificates.current` of the batch, as the API calls it; rolled back unless `keep`."""
    session = new_session(engine)
    try:
        row = certificates.current(
            session, key=key, issuer=ISSUER, public_url=PUBLIC_URL, actor="bench", batch_id=batch_id
        )
        if keep:
            session.commit()
        return row
    finally:
        session.rollback()
        session.close()


def bare(path: str) -> sqlite3.Connection:
    """A bare sqlite3 connection with the settings `db.engine` gives SQLite."""
    return Sqlite(Path(path).parent).connect(path)


def select_each(path: str, ids: Sequence[int]) -> None:
    with closing(bare(path)) as conn:
        for device_id in ids:
            conn.execute("SELECT * FROM device WHERE id = ?", (device_id,)).fetchone()


def rows_read(path: str, batch_id: int) -> None:
    """What the certificate rests on, read bare: devices, media, records, ledger hashes."""
    with closing(bare(path)) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM device WHERE batch_id = ?", (batch_id,))]
        marks = ",".join("?" * len(ids))
        conn.execute(f"SELECT * FROM device WHERE id IN ({marks})", ids).fetchall()
        conn.execute(f"SELECT * FROM storage_medium WHERE device_id IN ({marks})", ids).fetchall()
        records = conn.execute(
            f"SELECT ledger_seq, * FROM erasure_record WHERE device_id IN ({marks})", ids
        ).fetchall()
        seqs = [r[0] for r in records]
        conn.execute(
            f"SELECT seq, hash FROM ledger_event WHERE seq IN ({','.join('?' * len(seqs))})", seqs
        ).fetchall()


def device_ids(engine: Engine, batch_id: int) -> list[int]:
    with transaction(engine, read_only=True) as session:
        return [d.id or 0 for d in intake.batch_devices(session, batch_id)]


def measure_issue(
    engine: Engine, path: str, key: Ed25519PrivateKey, batch_id: int, sizes: Sizes
) -> tuple[list[Figure], Any]:
    """The figures, and the certificate issued (committed) for the measurements after."""
    n, ids = sizes.devices, device_ids(engine, batch_id)
    issue(engine, key, batch_id)  # warm-up: statements compiled, as in a running server
    ours = best_of(sizes.runs, lambda: issue(engine, key, batch_id))
    base = best_of(sizes.runs, lambda: select_each(path, ids))
    kept = issue(engine, key, batch_id, keep=True)
    again = best_of(sizes.runs, lambda: issue(engine, key, batch_id))
    rows = best_of(sizes.runs, lambda: rows_read(path, batch_id))
    return [
        Figure("certificates.current vs N SELECTs", n, "device", ours, base),
        Figure("(answered again, nothing changed)", n, "device", again, base),
        Figure("(its rows read bare, 4 SELECTs)", n, "device", rows, base),
    ], kept


def receipt_of(engine: Engine, batch_id: int) -> receipt.ReceiptView:
    with transaction(engine, read_only=True) as session:
        return intake.receipt_view(
            session,
            batch_id,
            organisation=ORGANISATION,
            label=lambda m: translate("fr", m),
            head=str(ledger.head(session)),
        )


def measure_render(
    envelope: dict[str, Any], view: receipt.ReceiptView, sizes: Sizes
) -> tuple[list[Figure], dict[str, Any]]:
    content = envelope["content"]
    one = {**envelope, "content": {**content, "devices": content["devices"][:1]}}
    certificate_pdf.render(one, "fr")  # fonts and glyphs loaded, as a server has them
    receipt.render_receipt(dataclasses.replace(view, lines=view.lines[:1]))
    made: dict[str, bytes] = {}

    def ours() -> None:
        made["certificate"] = certificate_pdf.render(envelope, "fr")

    def base() -> None:
        made["receipt"] = receipt.render_receipt(view)

    figure = Figure(
        "certificate PDF vs donation receipt",
        sizes.devices,
        "device",
        best_of(sizes.runs, ours),
        best_of(sizes.runs, base),
    )
    facts: dict[str, Any] = {}
    for name, pdf in made.items():
        facts[f"{name}_pages"] = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
        facts[f"{name}_bytes"] = len(pdf)
    return [figure], facts


def check_once(engine: Engine, code: str) -> None:
    with transaction(engine, read_only=True) as session:
        result = certificates.check(session, certificates.by_code(session, code))
    assert result.ok, result


def verify_once(engine: Engine, events: int) -> None:
    with transaction(engine, read_only=True) as session:
        result = ledger.verify(session)
    assert result.ok and result.checked == events, result


def cold_check(engine: Engine, code: str) -> None:
    # The process remembers the head it verified (certificates._VERIFIED); forgetting it
    # is what a fresh worker, or the hourly whole-chain check, sees.
    certificates._VERIFIED.clear()
    check_once(engine, code)


def measure_check(engine: Engine, code: str, sizes: Sizes) -> tuple[list[Figure], int]:
    with transaction(engine, read_only=True) as session:
        events = ledger.head(session).seq
    verify_once(engine, events)  # warm-up: the file in the page cache, statements compiled
    check_once(engine, code)
    cold = best_of(sizes.runs, lambda: cold_check(engine, code))
    warm = best_of(sizes.runs, lambda: check_once(engine, code))
    verify = best_of(sizes.runs, lambda: verify_once(engine, events))
    n = sizes.devices
    return [
        Figure("check, cold vs ledger.verify", n, "device", cold, verify),
        Figure("check, warm vs ledger.verify", n, "device", warm, verify),
    ], events


# --- report ---------------------------------------------------------------------------


def print_table(figures: Sequence[Figure]) -> None:
    print(
        f"  {'measurement':<38}{'count':>13}{'ours s':>9}{'base s':>9}"
        f"{'ours ms/u':>11}{'base ms/u':>11}{'ratio':>8}"
    )
    for f in figures:
        label = f"{f.count:,} {f.unit}s"
        print(
            f"  {f.name:<38}{label:>13}{f.ours_s:>9.3f}{f.base_s:>9.3f}"
            f"{f.ours_ms:>11.3f}{f.base_ms:>11.3f}{f.ratio:>7.2f}x"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="sizes divided by 10")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    sizes = Sizes(1000 // scale, max(1, 100 // scale), max(1, 5 // scale), max(1, 3 // scale))
    env = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "pypdf": pypdf.__version__,
        "reportlab": reportlab.Version,
        "machine": f"{platform.system()} {platform.machine()}",
    }
    print(f"Remise erasure benchmark ({'quick' if args.quick else 'full'} sizes: {sizes})")
    print("  " + ", ".join(f"{k} {v}" for k, v in env.items()), flush=True)
    figures, facts = measure_reports(sizes)
    with tempfile.TemporaryDirectory(prefix="remise-bench-erasure-") as folder:
        path = str(Path(folder) / "remise.db")
        engine = make_engine(f"sqlite:///{path}")
        try:
            upgrade(engine)
            start = time.perf_counter()
            batch_id = seed(engine, sizes.devices)
            built = time.perf_counter() - start
            print(f"  built {sizes.devices:,} devices in {built:.1f} s", flush=True)
            key = Ed25519PrivateKey.generate()
            issued, row = measure_issue(engine, path, key, batch_id, sizes)
            figures += issued
            envelope, code = row.envelope, row.code
            view = receipt_of(engine, batch_id)
            rendered, printed = measure_render(envelope, view, sizes)
            figures += rendered
            facts |= printed
            checks, facts["ledger_events"] = measure_check(engine, code, sizes)
            figures += checks
        finally:
            engine.dispose()
    facts["certificate_peak_mib"] = peak_mib(lambda: certificate_pdf.render(envelope, "fr"))
    facts["receipt_peak_mib"] = peak_mib(lambda: receipt.render_receipt(view))
    print()
    print_table(figures)
    print_facts(facts, figures, sizes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "erasure.json"
    document = {
        "quick": args.quick,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": env,
        "facts": facts,
        "measurements": [asdict(f) for f in figures],
    }
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"  written to {out}")


def print_facts(facts: dict[str, Any], figures: Sequence[Figure], sizes: Sizes) -> None:
    n = sizes.devices
    print(
        f"  certificate of {n:,} devices: {facts['certificate_pages']} pages, "
        f"{facts['certificate_bytes'] / 1024:,.0f} KiB; receipt: {facts['receipt_pages']} pages, "
        f"{facts['receipt_bytes'] / 1024:,.0f} KiB"
    )
    cold = next(f for f in figures if f.name.startswith("check, cold"))
    warm = next(f for f in figures if f.name.startswith("check, warm"))
    events = facts["ledger_events"]
    print(
        f"  check of {n:,} devices: the whole-chain verify ({events:,} events, "
        f"{cold.base_s / events * 1e6:.1f} µs an event) is {cold.base_s / cold.ours_s:.0%} "
        f"of a cold check; a warm one takes {warm.ours_s * 1e3:.1f} ms"
    )
    print(
        f"  peak memory (tracemalloc) of rendering: certificate "
        f"{facts['certificate_peak_mib']:.1f} MiB, receipt {facts['receipt_peak_mib']:.1f} MiB"
    )


if __name__ == "__main__":
    main()
