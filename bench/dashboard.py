"""Dashboard benchmark: `GET /dashboard` at a national network's scale against the same
queries in bare SQL, in one run (issue 19).

The target: with 1,000,000 devices and 10,000,000 ledger events the coordinators'
dashboard answers in under 500 ms on PostgreSQL, its figures aggregated from the
current tables and indexed dates, never by reading the ledger per request. Per
database (SQLite: a file in a temporary folder; PostgreSQL: a scratch database
`remise_bench_dashboard_<pid>_<random>`, dropped at the end):

1. Seed (`bench.dashboard_seed`): the migrations, then 1,000,000 devices (quick
   20,000) of 10,000 batches from 2,000 donors over five years ending now, most handed
   over, dismantled or recycled and 10–15 % still in the pipeline; 500 structures
   with quotas (a few pending), their claims; runs, snapshots, media, erasures (some
   failed or missing), flags (some open), grade decisions (some overridden); and
   10,000,000 ledger events (quick 200,000) in time order, whose hash chain links but
   does not verify (see `bench.dashboard_seed.history`); `flow_day` counted from them
   in one INSERT … SELECT … GROUP BY, the job cursor `reporting.flows` at the head;
   PostgreSQL then gets VACUUM ANALYZE. Each part's time is printed.
2. The page: `GET /dashboard` as a coordinator signed in through the login form,
   through the real app in this process (Starlette's TestClient, as bench.pages: the
   server's work, no socket), `--requests` times (quick a tenth) after WARM_UP
   unmeasured ones: p50, p95 and max.
3. `reporting.dashboard.overview` in process, as many times in a read-only transaction
   each (the page's figures without HTTP, templates and charts), each function it
   calls (its panels) timed where it calls it (see `Panels`).
4. Baseline: the statements overview sends to the driver, noted once (SQLAlchemy's
   `before_cursor_execute`: text and parameters as sent), replayed as many times on a
   bare driver connection (psycopg, sqlite3) in one transaction, every row fetched:
   whole, and panel by panel. Printed: p50, p95, the ratio page/bare, and whether the
   page's p95 is under 500 ms (the target is PostgreSQL's at full size; the other runs
   print it too); then the plans (EXPLAIN (ANALYZE, BUFFERS); SQLite: EXPLAIN QUERY
   PLAN) of each statement of a panel over 50 ms, and of every statement that reads
   `ledger_event`.

Run:  .venv/bin/python -m bench.dashboard [--quick] [--backend sqlite|postgresql|both]
                                          [--requests N] [--pg-url postgresql://…]
Full size runs on PostgreSQL (about 10 minutes on 2 cores, most of it seeding);
`--quick` (CI) on both, in under a minute. Only 127.0.0.1 is contacted. Figures are
printed and written to bench/results/dashboard-<backend>.json.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import signal
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from bench.claims import environment
from bench.dashboard_seed import load, plan
from bench.http import reachable
from bench.ledger import DEFAULT_PG_URL, RESULTS, local_url
from db.clock import utcnow
from db.engine import make_engine, transaction
from remise.app import create_app
from remise.settings import Settings
from reporting import dashboard

TARGET_MS, SLOW_PANEL_MS, WARM_UP = 500.0, 50.0, 3
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
Statement = tuple[str, Any]


@dataclass(frozen=True)
class Times:
    """Milliseconds: the median, the 95th percentile and the slowest of `n` runs."""

    n: int
    p50: float
    p95: float
    max: float

    @classmethod
    def of(cls, call: Callable[[], object], count: int, warm_up: int = WARM_UP) -> Times:
        for _ in range(warm_up):
            call()
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1000)
        return cls.among(samples)

    @classmethod
    def among(cls, samples: Sequence[float]) -> Times:
        many = len(samples) > 1
        p95 = statistics.quantiles(samples, n=20, method="inclusive")[-1] if many else samples[0]
        return cls(len(samples), statistics.median(samples), p95, max(samples))


@dataclass(frozen=True)
class PanelFigure:
    name: str
    statements: int
    ours: Times
    bare: Times


def bare_connection(url: str) -> Any:
    if url.startswith("sqlite"):
        return sqlite3.connect(url.removeprefix("sqlite:///"))
    return psycopg.connect(url)


def replay(connection: Any, statements: Sequence[Statement]) -> None:
    """The statements in one transaction, as the page's, every row fetched; rolled back."""
    cursor = connection.cursor()
    try:
        for statement, parameters in statements:
            cursor.execute(statement, parameters or ())
            if cursor.description is not None:
                cursor.fetchall()
    finally:
        connection.rollback()


def explain(connection: Any, statements: Sequence[Statement]) -> list[list[str]]:
    """Each reading statement's plan, as executed (PostgreSQL, after the settings the
    same transaction made before it) or as planned (SQLite); rolled back."""
    sqlite = isinstance(connection, sqlite3.Connection)
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    cursor, found = connection.cursor(), []
    try:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH", "(")):
                cursor.execute(statement, parameters or ())
                continue
            cursor.execute(prefix + statement, parameters or ())
            lines = [str(row[-1] if sqlite else row[0]) for row in cursor.fetchall()]
            found.append([" ".join(statement.split()), str(parameters), *lines])
    finally:
        connection.rollback()
    return found


def sign_in(client: TestClient) -> None:
    found = CSRF.search(client.get("/login").text)
    if found is None:
        raise SystemExit("the login page has no CSRF field")
    form = {"username": load.USER, "password": load.PASSWORD, "csrf_token": found.group(1)}
    answer = client.post("/login", data=form, follow_redirects=False)
    if answer.status_code != 303:
        raise SystemExit(f"signing in answered {answer.status_code}: {answer.text[:300]}")


def fetch_page(client: TestClient) -> None:
    answer = client.get("/dashboard", follow_redirects=False)
    if answer.status_code != 200 or 'id="panels"' not in answer.text:
        raise SystemExit(f"/dashboard answered {answer.status_code}: {answer.text[:300]}")


class Panels:
    """The functions `reporting.dashboard.overview` calls (its panels), timed where it
    calls them: while `installed`, each is wrapped in the module (overview finds it
    there at call time), and the statements it sends are noted under its name while
    `recording`. So the figures follow overview as it is, whatever its panels become."""

    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = defaultdict(list)
        self.sent: dict[str, list[Statement]] = defaultdict(list)
        self.every: list[Statement] = []
        self.current: list[str] = []
        self.recording = False

    def _timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def panel(*args: Any, **kwargs: Any) -> Any:
            self.current.append(name)
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[name].append((time.perf_counter() - start) * 1000)
                self.current.pop()

        return panel

    def _note(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.recording and not statement.lstrip().upper().startswith("BEGIN"):
            self.every.append((statement, parameters))
            self.sent[self.current[0] if self.current else "(overview)"].append(self.every[-1])

    @contextmanager
    def installed(self) -> Iterator[Panels]:
        names = dashboard.overview.__code__.co_names
        originals = {
            name: found
            for name in names
            if inspect.isfunction(found := getattr(dashboard, name, None))
            and found.__module__ == dashboard.__name__
        }
        for name, function in originals.items():
            setattr(dashboard, name, self._timed(name, function))
        event.listen(Engine, "before_cursor_execute", self._note)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self._note)
            for name, function in originals.items():
                setattr(dashboard, name, function)


def measure_overview(
    engine: Engine, url: str, settings: Settings, count: int
) -> tuple[Times, Times, list[PanelFigure], Panels]:
    """`overview` in process (the page's figures without HTTP and HTML), its panels one
    by one, and the same statements bare: whole, and panel by panel."""
    panels = Panels()

    def ours() -> None:
        with transaction(engine, read_only=True) as session:
            dashboard.overview(session, now=utcnow(), settings=settings)

    with panels.installed():
        panels.recording = True
        ours()  # the statements noted, a warm-up
        panels.recording = False
        for _ in range(WARM_UP - 1):
            ours()
        panels.spent.clear()
        whole = Times.of(ours, count, warm_up=0)
    figures = []
    with closing(bare_connection(url)) as bare:
        bare_whole = Times.of(lambda: replay(bare, panels.every), count)
        for name, mine in panels.sent.items():
            base = Times.of(lambda mine=mine: replay(bare, mine), count)
            figures.append(PanelFigure(name, len(mine), Times.among(panels.spent[name]), base))
    return whole, bare_whole, figures, panels


def measure(
    prepared: load.Prepared,
    backend: str,
    url: str,
    folder: Path,
    requests: int,
    results: Path = RESULTS,
) -> str:
    """Seed the database at `url`, measure, print the figures, write them in `results`;
    the verdict's line."""
    print(f"\n== {backend} == (load {os.getloadavg()[0]:.1f})", flush=True)
    start = time.perf_counter()
    seeded = load.seed(url, prepared)
    took = time.perf_counter() - start + prepared.seconds
    parts = ", ".join(f"{k} {v:.1f}" for k, v in seeded.seconds.items())
    print(f"  seeded in {took:.1f} s ({parts})", flush=True)
    print(f"  {seeded.rows.get('device', 0):,} devices, {seeded.rows['ledger_event']:,} events")
    settings = Settings(database_url=url, data_dir=folder / "data", scheduler_enabled=False)
    engine = make_engine(url, pool_size=settings.threads)
    try:
        start = time.perf_counter()
        with TestClient(create_app(settings, engine=engine)) as client:
            sign_in(client)
            page = Times.of(lambda: fetch_page(client), requests)
        print(f"  page measured in {time.perf_counter() - start:.1f} s", flush=True)
        start = time.perf_counter()
        ours, whole, panels, seen = measure_overview(engine, url, settings, requests)
        print(f"  overview and bare SQL measured in {time.perf_counter() - start:.1f} s")
    finally:
        engine.dispose()
    env = environment(url)
    print("  " + ", ".join(f"{k} {v}" for k, v in env.items()))
    report(backend, page, ours, whole, panels, len(seen.every))
    plans = explain_slow(url, panels, seen)
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": backend,
        "scale": asdict(prepared.network.scale),
        "seeding": {"seconds": round(took, 1), "parts": seeded.seconds, "rows": seeded.rows},
        "page": asdict(page),
        "overview": asdict(ours),
        "bare": asdict(whole),
        "panels": [asdict(p) for p in panels],
        "plans": plans,
        "environment": env,
    }
    results.mkdir(parents=True, exist_ok=True)
    (results / f"dashboard-{backend}.json").write_text(json.dumps(document, indent=2) + "\n")
    verdict = "ok" if page.p95 < TARGET_MS else "NO"
    return (
        f"{backend}: GET /dashboard p95 under {TARGET_MS:g} ms: {verdict} ({page.p95:.1f} ms, "
        f"{page.p95 / whole.p95:.1f}x its bare SQL)"
    )


def report(
    backend: str, page: Times, ours: Times, whole: Times, panels: list[PanelFigure], n: int
) -> None:
    print(f"\n  {'':34}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    rows = [("GET /dashboard (the page)", page), ("overview() in process", ours)]
    rows.append((f"its {n} statements, bare SQL", whole))
    for label, t in rows:
        print(f"  {label:34}{t.n:>5}{t.p50:>10.1f}{t.p95:>10.1f}{t.max:>10.1f}")
    print(
        f"  page/bare: p50 {page.p50 / whole.p50:.1f}x, p95 {page.p95 / whole.p95:.1f}x; "
        f"page p95 under {TARGET_MS:g} ms: {'yes' if page.p95 < TARGET_MS else 'NO'}"
    )
    print(f"\n  per panel{'':16}{'stmts':>6}{'ours p50':>10}{'p95':>8}{'bare p50':>10}{'p95':>8}")
    for p in panels:
        slow = "  SLOW" if max(p.ours.p50, p.bare.p50) > SLOW_PANEL_MS else ""
        print(
            f"  {p.name:25}{p.statements:>6}{p.ours.p50:>10.1f}{p.ours.p95:>8.1f}"
            f"{p.bare.p50:>10.1f}{p.bare.p95:>8.1f}{slow}"
        )


def explain_slow(url: str, panels: list[PanelFigure], seen: Panels) -> dict[str, list[list[str]]]:
    """Print and return the plans of the slow panels' statements, and of every statement
    that reads the ledger."""
    slow = [p.name for p in panels if max(p.ours.p50, p.bare.p50) > SLOW_PANEL_MS]
    wanted = {name: seen.sent[name] for name in slow}
    ledger = [s for s in seen.every if "ledger_event" in s[0]]
    if ledger:
        wanted["(reads ledger_event)"] = ledger
    found: dict[str, list[list[str]]] = {}
    with closing(bare_connection(url)) as bare:
        for name, mine in wanted.items():
            found[name] = explain(bare, mine)
            for statement, parameters, *lines in found[name]:
                print(f"\n  plan, {name}: {statement[:400]}")
                print(f"    params: {parameters[:200]}")
                for line in lines:
                    print(f"    {line[:300]}{' …' if len(line) > 300 else ''}")
    return found


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 devices, both databases")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default=None)
    parser.add_argument("--requests", type=int, default=40, help="page requests (quick: 10)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("REMISE_TEST_PG_URL", DEFAULT_PG_URL),
        help="admin URL the scratch database is created from (127.0.0.1 only)",
    )
    return parser.parse_args(argv)


def _interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    local_url(args.pg_url)  # refuse any host but 127.0.0.1 before connecting
    signal.signal(signal.SIGTERM, _interrupted)  # through every `finally`: the database dropped
    scale = plan.QUICK if args.quick else plan.FULL
    backend = args.backend or ("both" if args.quick else "postgresql")
    requests = max(5, args.requests // 10) if args.quick else args.requests
    print(f"Remise dashboard benchmark ({'quick' if args.quick else 'full'}: {scale})")
    prepared = load.prepare(scale)
    print(f"  the network drawn in {prepared.seconds:.1f} s", flush=True)
    verdicts = []
    for name in ("sqlite", "postgresql"):
        if backend not in (name, "both"):
            continue
        if name == "postgresql" and not reachable(args.pg_url):
            continue
        with (
            tempfile.TemporaryDirectory(prefix=f"remise-bench-dashboard-{name}-") as folder,
            load.database(name, Path(folder), args.pg_url) as url,
        ):
            verdicts.append(measure(prepared, name, url, Path(folder), requests))
    print("\nVerdict")
    for line in verdicts:
        print(f"  {line}")


if __name__ == "__main__":
    main()
