"""Request-path benchmark: Remise's look-ups over HTTP against a bare FastAPI app, under load.

One run, per database (SQLite and PostgreSQL), on one database of 100,000 devices:

1. the database is built by Remise's migrations (`remise.migrate.upgrade`, what
   `remise db upgrade` runs) and filled through the import's bulk path
   (`db.lifecycle.register_rows`: devices with their `device.received` events), with a
   coordinator who has a password and an API token;
2. two servers start, each its own process on a free 127.0.0.1 port, one uvicorn
   worker each: Remise (`remise serve`, as `make run` does; its scheduler off, so that
   no job runs under the load) and the bare app (`bench.request_path.bare`) in the same
   virtualenv, pointed at the same database;
3. every route answers a few requests (any refusal stops the run, showing its
   answer), each server takes an unmeasured load at 32 connections (a fresh Remise
   answered nothing for whole seconds under it), then wrk (Debian's package, another
   process, at most 2 threads) loads each route at 1, 8 and 32 connections, in that
   order, every request naming a device drawn at random from all of them:
   Remise `GET /api/v1/devices/{code}` and `GET /api/v1/scan/{serial}` with the token,
   `GET /api/v1/health`, and the device page `GET /bench/devices/{code}` with a session
   signed in through the login form; the bare app's sync route with raw SQL (device,
   scan, `SELECT 1`), its async route with raw SQL in one hop to a thread, and its sync
   route with a naive SQLModel session.

Targets, at 32 connections (issue 15): each Remise look-up at least half the requests
per second of the bare sync raw-SQL route doing the same look-up, with a p99 under
50 ms; the device page costing at most twice the JSON look-up (its requests per
second at least half). Figures over a target are marked OVER; the run still succeeds.
Any answer outside 2xx, or a socket error, stops the run: it would measure refusals.

SQLite's database is a file in a temporary folder; PostgreSQL's a scratch database
`remise_bench_http_<random>`, dropped at the end. Only 127.0.0.1 is contacted, and
only the processes started here are ended (by PID), also on failure or Ctrl-C.

Run:  .venv/bin/python -m bench.http [--quick] [--backend sqlite|postgresql|both]
                                     [--pg-url postgresql://postgres@127.0.0.1:5432/test]
Each load lasts 3 s at 1 and 8 connections and 10 s at 32 (the targets'), after a 2 s
warm-up: about 3 minutes per database. `--quick` (CI): 10,000 devices, loads of 1 s
(2 s at 32), a 1 s warm-up. Figures are printed as a table and written to
bench/results/http-<backend>.json.
"""

from __future__ import annotations

if __name__ == "__main__" and not __package__:
    # Run as a script, this file would be found first as the standard library's `http`
    # (which urllib, uvicorn and psycopg import): refuse before anything imports it.
    raise SystemExit("run it as a module, from the project root: .venv/bin/python -m bench.http")

import argparse
import os
import secrets
import signal
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine, text

from bench.ledger import DEFAULT_PG_URL, local_url
from bench.request_path import servers, wrk
from bench.request_path.report import Measured, print_report, write_json
from bench.request_path.routes import ROUTES, Auth, Route
from db import codes, lifecycle
from db.engine import make_engine, transaction
from db.enums import Role
from intake import service
from intake.models import BatchCreate, DonorCreate
from remise import accounts, migrate
from remise.auth import system_actor

ACTOR = system_actor("bench")
CHUNK = 10_000
LEVELS = (1, 8, 32)
USER, PASSWORD = "coordination", "pw-bench-tournesol-http"
WARM_UP = 20  # requests per route before any load: templates compiled, caches filled
WARM_UP_ROUTES = ("remise-device", "bare-sync-device")


@dataclass(frozen=True)
class Plan:
    devices: int
    seconds: dict[int, int]  # connections → how long each load lasts
    warm_up_s: int
    quick: bool


FULL = Plan(100_000, {1: 3, 8: 3, 32: 10}, warm_up_s=2, quick=False)
QUICK = Plan(10_000, {1: 1, 8: 1, 32: 2}, warm_up_s=1, quick=True)


# --- the database -------------------------------------------------------------


def fill(engine: Engine, count: int) -> None:
    """A donor, a batch and `count` devices with serials BH00000001…, by the bulk path."""
    with transaction(engine) as session:
        donor = service.create_donor(session, ACTOR, data=DonorCreate(name="Banque Solidaire"))
        data = BatchCreate(donor_id=donor.id or 0, pickup_date=date(2026, 11, 2), site="Rezé")
        batch_id = service.create_batch(session, ACTOR, data=data).id
    for start in range(0, count, CHUNK):
        rows = [
            {"batch_id": batch_id, "category": "laptop", "brand": "Dell"}
            | {"model": "Latitude 5490", "serial": f"BH{n:08d}", "attributes": {}}
            for n in range(start + 1, min(start + CHUNK, count) + 1)
        ]
        with transaction(engine) as session:
            lifecycle.register_rows(
                session, actor=ACTOR.ledger_name, rows=rows, extra={"where": "Rezé"}, plain=True
            )


def prepare(url: str, count: int, folder: Path) -> str:
    """Migrate and fill the database; write one file of paths per route; the API token."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        fill(engine, count)
        with transaction(engine) as session:
            token = accounts.create_user(
                session, ACTOR, username=USER, role=Role.COORDINATOR, password=PASSWORD
            )[1]
        with engine.connect() as connection:
            found = connection.execute(text("SELECT code, serial FROM device")).all()
            connection.execute(text("ANALYZE"))
            connection.commit()
    finally:
        engine.dispose()
    values = {"code": [codes.display(c) for c, _s in found], "serial": [s for _c, s in found]}
    for route in ROUTES:
        keys = values[route.key] if route.key else [""]
        lines = (route.template.format(**{route.key or "_": key}) for key in keys)
        (folder / f"{route.slug}.txt").write_text("\n".join(lines) + "\n")
    return token


@contextmanager
def database(backend: str, folder: Path, admin_url: str) -> Iterator[tuple[str, str | None]]:
    """The database's URL and server version: a file in `folder`, or a scratch
    PostgreSQL database dropped at the end (with the connections left to it, if any)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'remise.db'}", None
        return
    name = f"remise_bench_http_{secrets.token_hex(4)}"
    with psycopg.connect(local_url(admin_url), autocommit=True, connect_timeout=5) as admin:
        version = str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield local_url(admin_url, name), version
        finally:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


# --- the load -----------------------------------------------------------------


def server_env(url: str, folder: Path) -> dict[str, str]:
    """What both servers read: the database, and Remise's data folder, scheduler off."""
    return {
        "REMISE_DATABASE_URL": url,
        "REMISE_DATA_DIR": str(folder / "data"),
        "REMISE_SCHEDULER_ENABLED": "false",
        "REMISE_ENVIRONMENT": "development",
    }


def measure(plan: Plan, url: str, folder: Path) -> list[Measured]:
    """Prepare the database, start both servers, load every route at every level."""
    start = time.perf_counter()
    token = prepare(url, plan.devices, folder)
    print(f"  {plan.devices:,} devices ready in {time.perf_counter() - start:.1f} s", flush=True)
    specs = (
        servers.Spec("remise", servers.remise_command(servers.free_port()), "/api/v1/health"),
        servers.Spec("bare", servers.bare_command(servers.free_port()), "/sync/health"),
    )
    start = time.perf_counter()
    with servers.serving(specs, server_env(url, folder), folder) as server_of:
        print(f"  both servers up in {time.perf_counter() - start:.1f} s", flush=True)
        headers: dict[Auth, dict[str, str]] = {
            "bearer": {"Authorization": f"Bearer {token}"},
            "cookie": {"Cookie": servers.sign_in(server_of["remise"], USER, PASSWORD)},
            None: {},
        }
        warm_up(plan, folder, server_of, headers)
        figures = []
        for connections in LEVELS:
            for route in ROUTES:
                load = wrk.run(
                    server_of[route.server].base_url,
                    folder / f"{route.slug}.txt",
                    connections=connections,
                    seconds=plan.seconds[connections],
                    headers=headers[route.auth],
                )
                figures.append(Measured(route, connections, load))
                rate = f"{load.per_second:,.0f} req/s"
                print(f"  {route.slug:<24}{connections:>3} connections: {rate:>14}", flush=True)
    return figures


def warm_up(
    plan: Plan, folder: Path, server_of: dict[str, servers.Server], headers: dict[Auth, Any]
) -> None:
    """A few requests to every route, each of which must succeed (a refusal is shown
    with its answer), then an unmeasured load on each server at the most connections:
    a fresh server fills its thread pool and its connection pool first, and answered
    nothing for whole seconds at 32 connections, which would count as measured."""
    for route in ROUTES:
        for path in _paths(folder, route)[:WARM_UP]:
            servers.check(server_of[route.server], path, headers[route.auth])
    for route in (r for r in ROUTES if r.slug in WARM_UP_ROUTES):
        wrk.run(
            server_of[route.server].base_url,
            folder / f"{route.slug}.txt",
            connections=max(LEVELS),
            seconds=plan.warm_up_s,
            headers=headers[route.auth],
            measured=False,
        )


def _paths(folder: Path, route: Route) -> list[str]:
    return (folder / f"{route.slug}.txt").read_text().split()


def run_backend(plan: Plan, backend: str, admin_url: str) -> None:
    print(f"\n== {backend} ==", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"remise-bench-http-{backend}-") as name:
        folder = Path(name)
        with database(backend, folder, admin_url) as (url, version):
            figures = measure(plan, url, folder)
    print_report(backend, figures)
    print(f"  written to {write_json(backend, version, asdict(plan), figures)}")


def reachable(admin_url: str) -> bool:
    """Whether PostgreSQL answers at `admin_url` (127.0.0.1 only); says so if not."""
    try:
        psycopg.connect(local_url(admin_url), connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        print(f"\nPostgreSQL unreachable at {admin_url}: skipped")
        print(f"  ({str(exc).strip().splitlines()[0]})")
        return False
    return True


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="10,000 devices, loads of 1-2 s")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
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
    wrk.wrk_binary()  # refused at once if missing, before any database is built
    # Stopped by SIGTERM as by Ctrl-C: through every `finally`, so that the servers
    # started are ended and the scratch database dropped.
    signal.signal(signal.SIGTERM, _interrupted)
    plan = QUICK if args.quick else FULL
    print(f"Remise request-path benchmark ({plan.devices:,} devices per database, {wrk.version()})")
    if args.backend in ("sqlite", "both"):
        run_backend(plan, "sqlite", args.pg_url)
    if args.backend in ("postgresql", "both") and reachable(args.pg_url):
        run_backend(plan, "postgresql", args.pg_url)


if __name__ == "__main__":
    main()
