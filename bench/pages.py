"""Page benchmark: the web pages against the JSON API reading the same facts, in one run.

A page costs what its JSON costs (the same queries) plus HTML: Jinja2, translation,
dates and numbers formatted by Babel. Each page is timed against the API requests
that return the facts it shows, on the same database, in the same process:

1. device page: `GET /bench/devices/{code}` of a refurbished laptop (a full checklist
   run, 23 ledger events, a probe snapshot). Baseline: `GET /api/v1/devices/{code}`,
   `/history` and `/devices/{code}/runs`, one after the other. Target: within 2x.
2. batch page: `GET /intake/batches/{id}` of a batch of `--devices` devices (one page of
   its device list). Baseline: `GET /api/v1/batches/{id}` and one page of
   `GET /api/v1/devices?batch_id=…` of the same size. Target: within 2x.
3. scan: `GET /bench/scan?q=SERIAL` (the volunteer's scanner finding a device by its
   serial, answered with a redirection). Baseline: `GET /api/v1/scan/SERIAL`.
   Target: within 2x.

The app runs in this process on a migrated SQLite file (WAL) in a temporary folder,
called through Starlette's TestClient: no socket, so the figures are the server's
work. Each figure is the median of `--requests` requests after 10 unmeasured ones;
p95 is printed beside it. Only the local file system is touched.

Run:  .venv/bin/python -m bench.pages [--quick] [--devices 5000] [--requests 200]
`--quick` divides both by 10.
Figures are printed as a table and written to bench/results/pages.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db import codes
from db.engine import InSession, make_engine, transaction
from db.enums import Role
from intake import importer, service
from intake.models import BatchCreate, DonorCreate
from remise import accounts, migrate
from remise.app import create_app
from remise.auth import system_actor
from remise.settings import Settings
from tests.intake.samples import delimited, french_rows
from tests.refurbish.walking import erase_every_medium, fill

RESULTS = Path(__file__).resolve().parent / "results"
ACTOR = system_actor("bench")
TARGET = 2.0
WARM_UP = 10
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Figure:
    name: str
    ours_ms: float
    ours_p95_ms: float
    base_ms: float
    base_p95_ms: float
    target: float = TARGET
    ratio: float = field(init=False)
    within_target: bool = field(init=False)

    def __post_init__(self) -> None:
        self.ratio = self.ours_ms / self.base_ms
        self.within_target = self.ratio <= self.target


def timings(call: Callable[[], None], count: int) -> tuple[float, float]:
    """Median and 95th percentile of `count` calls, in milliseconds."""
    for _ in range(WARM_UP):
        call()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


def fetch(client: TestClient, url: str, headers: dict[str, str] | None = None) -> None:
    answer = client.get(url, headers=headers or {}, follow_redirects=False)
    if answer.status_code not in (200, 303):
        raise SystemExit(f"{url} answered {answer.status_code}: {answer.text[:300]}")


def seed(engine: Engine, devices: int) -> tuple[int, str]:
    """A donor, a batch of `devices` imported from a French asset list; its id and one serial."""
    with transaction(engine) as session:
        donor = service.create_donor(session, ACTOR, data=DonorCreate(name="Banque Solidaire"))
        batch = service.create_batch(
            session,
            ACTOR,
            data=BatchCreate(donor_id=donor.id or 0, pickup_date=date(2026, 11, 2), site="Rezé"),
        )
        stream = io.BytesIO(delimited(french_rows(devices)))
        options = importer.Options("parc.csv")
        batch_id = batch.id or 0
        batch = service.open_batch(session, batch_id)
        importer.import_rows(InSession(session), ACTOR, batch=batch, stream=stream, options=options)
    with transaction(engine, read_only=True) as session:
        first = service.batch_devices(session, batch_id)[0]
        return batch_id, first.serial or ""


def refurbished_laptop(client: TestClient, engine: Engine, batch_id: int) -> str:
    """A laptop taken through a full checklist run by the API; its code."""
    with transaction(engine) as session:
        token = accounts.create_user(session, ACTOR, username="atelier", role=Role.WORKSHOP)[1]
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post(
        f"/api/v1/batches/{batch_id}/devices",
        headers=headers,
        json={"category": "laptop", "brand": "Dell", "model": "Latitude 5490", "serial": "BENCH1"},
    )
    code = str(answer.json()["code"])
    fetch(client, f"/api/v1/devices/{code}/label.png", headers)  # printing it labels it
    run = client.post(f"/api/v1/devices/{code}/runs", headers=headers, json={}).json()
    fill(client, headers, run["id"])
    erase_every_medium(client, headers, code)  # its disk entered and erased, as evidence
    finished = client.post(
        f"/api/v1/runs/{run['id']}/finish", headers=headers, json={"outcome": "refurbished"}
    )
    if finished.status_code != 200:
        raise SystemExit(f"the run did not finish: {finished.text}")
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="devices and requests divided by 10")
    args = parser.parse_args()
    if args.quick:
        args.devices, args.requests = args.devices // 10, max(10, args.requests // 10)

    with tempfile.TemporaryDirectory(prefix="remise-bench-pages-") as folder:
        url = f"sqlite:///{Path(folder) / 'remise.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        batch_id, serial = seed(engine, args.devices)
        settings = Settings(
            database_url=url, data_dir=Path(folder) / "data", scheduler_enabled=False
        )
        with TestClient(create_app(settings, engine=engine)) as client:
            code = refurbished_laptop(client, engine, batch_id)
            with transaction(engine) as session:
                token = accounts.create_user(
                    session,
                    ACTOR,
                    username="coord",
                    role=Role.COORDINATOR,
                    password="pw-coord-tournesol",
                )[1]
            api = {"Authorization": f"Bearer {token}"}
            found = CSRF.search(client.get("/login").text)
            assert found is not None
            client.post(
                "/login",
                data={
                    "username": "coord",
                    "password": "pw-coord-tournesol",
                    "csrf_token": found.group(1),
                },
                follow_redirects=False,
            )
            shown = codes.display(code)
            page_size = _batch_page_rows(client, batch_id)

            def device_api() -> None:
                for path in (f"/devices/{code}", f"/devices/{code}/history"):
                    fetch(client, f"/api/v1{path}", api)
                fetch(client, f"/api/v1/devices/{code}/runs", api)

            def batch_api() -> None:
                fetch(client, f"/api/v1/batches/{batch_id}", api)
                fetch(client, f"/api/v1/devices?batch_id={batch_id}&limit={page_size}", api)

            cases: list[tuple[str, Callable[[], None], Callable[[], None]]] = [
                ("device page", lambda: fetch(client, f"/bench/devices/{shown}"), device_api),
                (
                    f"batch page ({page_size} of {args.devices + 1} rows)",
                    lambda: fetch(client, f"/intake/batches/{batch_id}"),
                    batch_api,
                ),
                (
                    "scan by serial",
                    lambda: fetch(client, f"/bench/scan?q={serial}"),
                    lambda: fetch(client, f"/api/v1/scan/{serial}", api),
                ),
            ]
            figures = []
            for name, page, baseline in cases:
                ours, ours_p95 = timings(page, args.requests)
                base, base_p95 = timings(baseline, args.requests)
                figures.append(Figure(name, ours, ours_p95, base, base_p95))
        engine.dispose()

    print(f"{'page':38} {'ours ms':>9} {'p95':>7} {'JSON ms':>9} {'p95':>7} {'ratio':>6}")
    for f in figures:
        mark = "" if f.within_target else f"  (target {f.target:g}x)"
        print(
            f"{f.name:38} {f.ours_ms:9.2f} {f.ours_p95_ms:7.2f} {f.base_ms:9.2f} "
            f"{f.base_p95_ms:7.2f} {f.ratio:5.2f}x{mark}"
        )
    RESULTS.mkdir(exist_ok=True)
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "devices": args.devices,
        "requests": args.requests,
        "environment": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "cores": os.cpu_count(),
            "machine": f"{platform.system()} {platform.machine()}",
        },
        "figures": [asdict(f) for f in figures],
    }
    (RESULTS / "pages.json").write_text(json.dumps(document, indent=2) + "\n")


def _batch_page_rows(client: TestClient, batch_id: int) -> int:
    """How many device rows the batch page shows (the API baseline asks for as many)."""
    text = client.get(f"/intake/batches/{batch_id}").text
    table = text.partition('id="batch-devices"')[2]
    body = table.partition("<tbody>")[2].partition("</tbody>")[0]
    return max(1, min(body.count("<tr>"), 500))


if __name__ == "__main__":
    main()
