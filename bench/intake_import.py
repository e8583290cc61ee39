"""Intake benchmark: importing a 100,000-row asset list, against a bare-driver insert.

The file is what a French company's Excel export looks like (`tests.intake.samples`:
`delimited(french_rows(n))`, Windows-1252, `;`), written to a temporary file.

1. import (100,000 rows): `intake.importer.import_rows` with `db.engine.Transactions`,
   as `remise intake import` runs it: the batch is opened, pass 1 checks every row in
   a read-only transaction, pass 2 registers them with their `device.received` ledger
   events in transactions of 1,000 rows, each committed, and the import is recorded. Baseline: a
   bare driver `executemany` (sqlite3 with `BEGIN IMMEDIATE`/`COMMIT`, psycopg with
   one commit) inserting the same 100,000 rows into `device`, with the columns
   `db.lifecycle.register_rows` fills, precomputed from the CSV before the clock
   starts (random codes like ours, attributes as JSON text). No ledger, no checks:
   the floor any import pays. Target: within 4x.
   Breakdown of ours: pass 1 alone is timed as a dry run (`Options(dry_run=True)`,
   the same file, its own fresh database); pass 2 and the commit are the rest.
2. peak memory: the import of a 10,000-row and of a 100,000-row file, each in a
   fresh child process (`-m bench.intake_import --child FILE URL`) that prints its peak
   RSS (VmHWM, see `peak_rss_kib`), and a child that only imports the modules and
   opens the database, for the fixed cost. The importer streams the file; what it
   keeps per row is the serial seen (for duplicates within the file) and any refused
   row, so the two imports should differ by a few MiB, not by the file.

Every measurement runs on a fresh, migrated database (`remise.migrate.upgrade`)
holding one donor and one batch made with `intake.service`. SQLite databases are
files in a temporary folder; PostgreSQL ones live in a scratch database
`remise_bench_<pid>` (a fresh `public` schema per measurement), dropped at the end.
Only 127.0.0.1 is ever contacted; an unreachable PostgreSQL is skipped.

Run:  .venv/bin/python -m bench.intake_import [--quick] [--backend sqlite|postgresql|both]
                                       [--pg-url postgresql://postgres@127.0.0.1:5432/test]
`--quick` divides every size by 10. `--pg-url` (default: $REMISE_TEST_PG_URL) is the
admin URL the scratch database is created from. Figures are printed as a table and
written to bench/results/intake-<backend>.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import select

from bench.ledger import (
    DEFAULT_PG_URL,
    Backend,
    Postgres,
    environment,
    local_url,
    postgres_backend,
    sqlite_backend,
    timed,
)
from db import codes
from db.engine import Transactions, make_engine, transaction
from db.events import PROJECTED_FIELDS
from db.models import Batch
from intake import importer, service
from intake.models import BatchCreate, DonorCreate
from remise.auth import system_actor
from tests.intake.samples import delimited, french_rows

RESULTS = Path(__file__).resolve().parent / "results"
ACTOR = system_actor("bench")
TARGET = 4.0
COLUMNS = ", ".join(PROJECTED_FIELDS)
INSERT_SQLITE = f"INSERT INTO device ({COLUMNS}) VALUES ({', '.join('?' * len(PROJECTED_FIELDS))})"
INSERT_PG = (
    f"INSERT INTO device ({COLUMNS}) "
    f"VALUES ({', '.join(['%s'] * (len(PROJECTED_FIELDS) - 1))}, CAST(%s AS jsonb))"
)
CATEGORIES = {"Ordinateur portable": "laptop", "Smartphone": "smartphone"}

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Sizes:
    rows: int  # the import, its dry run and the baseline; also the large memory file
    small: int  # the small memory file


@dataclass
class Timings:
    """Seconds for the same file: ours, its pass 1 alone, and the bare-driver baseline."""

    rows: int
    ours_s: float
    pass1_s: float
    base_s: float
    target: float = TARGET
    ours_us: float = field(init=False)
    pass1_us: float = field(init=False)
    pass2_us: float = field(init=False)
    base_us: float = field(init=False)
    ours_rows_per_s: float = field(init=False)
    ratio: float = field(init=False)
    within_target: bool = field(init=False)

    def __post_init__(self) -> None:
        self.ours_us = self.ours_s / self.rows * 1e6
        self.pass1_us = self.pass1_s / self.rows * 1e6
        self.pass2_us = self.ours_us - self.pass1_us
        self.base_us = self.base_s / self.rows * 1e6
        self.ours_rows_per_s = self.rows / self.ours_s
        self.ratio = self.ours_s / self.base_s
        self.within_target = self.ratio <= self.target


@dataclass
class Memory:
    """Peak RSS of child processes, in KiB."""

    fixed_kib: int
    small_rows: int
    small_kib: int
    large_rows: int
    large_kib: int
    growth_bytes_per_row: float = field(init=False)

    def __post_init__(self) -> None:
        extra_rows = self.large_rows - self.small_rows
        self.growth_bytes_per_row = (self.large_kib - self.small_kib) * 1024 / extra_rows


# --- data -------------------------------------------------------------------


def write_file(folder: Path, n: int) -> Path:
    path = folder / f"assets-{n}.csv"
    path.write_bytes(delimited(french_rows(n)))
    return path


def unique_codes(n: int) -> list[str]:
    """N distinct device codes, random like the ones `db.devices.allocate_codes` draws."""
    chosen: set[str] = set()
    while len(chosen) < n:
        chosen.add(codes.new_code())
    return list(chosen)


def attributes(purchase_date: str, description: str) -> str:
    """The JSON text our import stores for these cells (sorted keys, compact, UTF-8)."""
    iso = datetime.strptime(purchase_date, "%d/%m/%Y").date().isoformat()
    document = {"description": description, "purchase_date": iso}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def device_row(code: str, batch_id: int, cells: Sequence[str]) -> Row:
    """The `device` row our import writes for these cells, in `PROJECTED_FIELDS` order."""
    category, brand, model, serial, imei, tag, bought, remark = cells
    status, grade, price, location, structure = "received", None, None, None, None
    return (
        *(code, batch_id, CATEGORIES[category], brand, model, serial, imei or None, tag),
        *(status, grade, price, location, structure, attributes(bought, remark)),
    )


def baseline_rows(path: Path, batch_id: int) -> list[Row]:
    """The file's rows as `device` rows, parsed with the csv module."""
    with path.open(encoding="cp1252", newline="") as stream:
        reader = csv.reader(stream, delimiter=";")
        next(reader)  # the header
        cells = list(reader)
    return [
        device_row(code, batch_id, row)
        for code, row in zip(unique_codes(len(cells)), cells, strict=True)
    ]


# --- our path and its checks ------------------------------------------------------


def prepare(engine: Engine) -> int:
    """A donor and a batch, as the service makes them; returns the batch's id."""
    with transaction(engine) as session:
        donor = service.create_donor(session, ACTOR, data=DonorCreate(name="Exemple SAS"))
        assert donor.id is not None
        data = BatchCreate(donor_id=donor.id, pickup_date=date(2026, 1, 5), site="Atelier Nantes")
        batch = service.create_batch(session, ACTOR, data=data)
        assert batch.id is not None
        return batch.id


def import_file(engine: Engine, path: Path, *, dry_run: bool = False) -> importer.Outcome:
    """`remise intake import` without its terminal: the batch opened, the file imported."""
    options = importer.Options(path.name, dry_run=dry_run)
    with transaction(engine, read_only=True) as session:
        batch = session.exec(select(Batch)).one()
        assert batch.id is not None
        batch = service.open_batch(session, batch.id)
    with path.open("rb") as stream:
        return importer.import_rows(
            Transactions(engine), ACTOR, batch=batch, stream=stream, options=options
        )


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def check(engine: Engine, devices: int, events: int) -> None:
    """Untimed: the database holds the devices and ledger events expected."""
    found = count(engine, "device"), count(engine, "ledger_event")
    assert found == (devices, events), f"(devices, events) = {found}, expected {devices, events}"


# --- baselines ---------------------------------------------------------------


def insert_sqlite(conn: Any, rows: Sequence[Row]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(INSERT_SQLITE, rows)
    conn.execute("COMMIT")


def insert_postgres(conn: Any, rows: Sequence[Row]) -> None:
    with conn.cursor() as cursor:
        cursor.executemany(INSERT_PG, rows)
    conn.commit()


# --- measurements ------------------------------------------------------------


def measure_ours(backend: Backend, path: Path, n: int) -> float:
    with backend.fresh() as (engine, _):
        prepare(engine)
        seconds = timed(import_file, engine, path)
        check(engine, n, n + 3)  # donor and batch created, the import recorded
    return seconds


def measure_pass1(backend: Backend, path: Path, n: int) -> float:
    with backend.fresh() as (engine, _):
        prepare(engine)
        start = time.perf_counter()
        outcome = import_file(engine, path, dry_run=True)
        seconds = time.perf_counter() - start
        assert outcome.created == n, outcome
        check(engine, 0, 2)
    return seconds


def measure_baseline(backend: Backend, path: Path, n: int) -> float:
    with backend.fresh() as (engine, target):
        rows = baseline_rows(path, prepare(engine))
        insert = insert_postgres if isinstance(backend, Postgres) else insert_sqlite
        with closing(backend.connect(target)) as conn:
            seconds = timed(insert, conn, rows)
        check(engine, n, 2)
    return seconds


def child_rss(backend: Backend, path: Path | None, n: int = 0) -> int:
    """Peak RSS (KiB) of a fresh process importing `path`'s N rows (None: opening only)."""
    with backend.fresh() as (engine, target):
        prepare(engine)
        engine.dispose()
        url = target if isinstance(backend, Postgres) else f"sqlite:///{target}"
        command = [sys.executable, "-m", __spec__.name, "--child", str(path or "-"), url]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"child failed:\n{done.stderr}")
        created, peak_kib = map(int, done.stdout.split())
        assert created == n, f"the child created {created} devices, expected {n}"
        check(engine, n, n + 3 if n else 2)
    return peak_kib


def run_child(path: str, url: str) -> None:
    """In the child: import `path` (or, for "-", only open the database), print the peak."""
    engine = make_engine(url)
    try:
        if path == "-":
            with transaction(engine, read_only=True) as session:
                session.exec(select(Batch)).one()
            created = 0
        else:
            created = import_file(engine, Path(path)).created
    finally:
        engine.dispose()
    print(created, peak_rss_kib())


def peak_rss_kib() -> int:
    """This process's peak resident set, in KiB.

    On Linux, `ru_maxrss` keeps the parent's peak across fork and exec (the kernel
    carries the old image's high-water mark over), so a child spawned by a 300 MiB
    parent reports at least 300 MiB: the high-water mark of this image, VmHWM, is read
    instead. Elsewhere, `ru_maxrss` (KiB on Linux and the BSDs; bytes on macOS).
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1])


def measure_memory(backend: Backend, files: dict[int, Path], sizes: Sizes) -> Memory:
    return Memory(
        fixed_kib=child_rss(backend, None),
        small_rows=sizes.small,
        small_kib=child_rss(backend, files[sizes.small], sizes.small),
        large_rows=sizes.rows,
        large_kib=child_rss(backend, files[sizes.rows], sizes.rows),
    )


# --- report ------------------------------------------------------------------


def print_timings(t: Timings) -> None:
    print(f"  {'measurement':<40}{'rows':>10}{'seconds':>10}{'µs/row':>10}{'rows/s':>10}")
    lines = (
        ("import, ours (2 passes, ledger, commit)", t.ours_s, t.ours_us),
        ("  pass 1 alone (dry run: checks)", t.pass1_s, t.pass1_us),
        ("  pass 2 + commit (the difference)", t.ours_s - t.pass1_s, t.pass2_us),
        ("bare executemany into device (base)", t.base_s, t.base_us),
    )
    for name, seconds, us in lines:
        rate = t.rows / seconds if seconds > 0 else float("nan")
        print(f"  {name:<40}{t.rows:>10,}{seconds:>10.2f}{us:>10.1f}{rate:>10,.0f}")
    verdict = "ok" if t.within_target else "OVER"
    print(f"  ratio ours/bare: {t.ratio:.2f}x  (target ≤{t.target:g}x: {verdict})")


def print_memory(m: Memory) -> None:
    mib = 1024
    print(f"  {'child process':<40}{'peak RSS MiB':>14}")
    print(f"  {'imports + open database (fixed cost)':<40}{m.fixed_kib / mib:>14.1f}")
    print(f"  {f'import {m.small_rows:,} rows':<40}{m.small_kib / mib:>14.1f}")
    print(f"  {f'import {m.large_rows:,} rows':<40}{m.large_kib / mib:>14.1f}")
    growth = (m.large_kib - m.small_kib) / mib
    label = f"difference ({m.large_rows:,} − {m.small_rows:,})"
    print(f"  {label:<40}{growth:>14.1f}  ({m.growth_bytes_per_row:.0f} bytes per extra row)")


def write_json(
    backend: Backend, env: dict[str, Any], timings: Timings, memory: Memory, quick: bool
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"intake-{backend.name}.json"
    document = {
        "backend": backend.name,
        "quick": quick,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": env,
        "timings": asdict(timings),
        "memory": asdict(memory),
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path


def run_backend(backend: Backend, files: dict[int, Path], sizes: Sizes, quick: bool) -> None:
    env = environment(backend)
    print(f"\n== {backend.name} ==")
    print("  " + ", ".join(f"{key} {value}" for key, value in env.items()), flush=True)
    path, n = files[sizes.rows], sizes.rows
    pass1 = measure_pass1(backend, path, n)
    print(f"  pass 1 (dry run): {pass1:.2f} s", flush=True)
    ours = measure_ours(backend, path, n)
    print(f"  import: {ours:.2f} s", flush=True)
    base = measure_baseline(backend, path, n)
    print(f"  bare executemany: {base:.2f} s", flush=True)
    timings = Timings(n, ours, pass1, base)
    memory = measure_memory(backend, files, sizes)
    print()
    print_timings(timings)
    print()
    print_memory(memory)
    print(f"  written to {write_json(backend, env, timings, memory, quick)}")


@contextmanager
def sample_files(sizes: Sizes) -> Iterator[dict[int, Path]]:
    """The CSV files, by row count, in a temporary folder removed at the end."""
    with tempfile.TemporaryDirectory(prefix="remise-bench-intake-") as folder:
        yield {n: write_file(Path(folder), n) for n in (sizes.small, sizes.rows)}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="sizes divided by 10")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("REMISE_TEST_PG_URL", DEFAULT_PG_URL),
        help="admin URL the scratch database is created from (127.0.0.1 only)",
    )
    parser.add_argument("--child", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        run_child(*args.child)
        return
    scale = 10 if args.quick else 1
    sizes = Sizes(100_000 // scale, 10_000 // scale)
    print(f"Remise intake benchmark ({'quick' if args.quick else 'full'} sizes: {sizes})")
    with sample_files(sizes) as files:
        if args.backend in ("sqlite", "both"):
            with sqlite_backend() as backend:
                run_backend(backend, files, sizes, args.quick)
        if args.backend in ("postgresql", "both"):
            local_url(args.pg_url)  # refuse any host but 127.0.0.1 before connecting
            with postgres_backend(args.pg_url) as pg:
                if pg is not None:
                    run_backend(pg, files, sizes, args.quick)


if __name__ == "__main__":
    main()
