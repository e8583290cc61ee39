"""Distribution benchmark: claims under contention, and the catalogue's latency (issue 18).

Per database (SQLite: a file, WAL; PostgreSQL: a scratch database `remise_bench_claims_…`
dropped at the end), one database built by the migrations, `remise.demo.seed`, then
`remise.demo.seed_extra(…, stage=available)`: 100,000 available devices (quick 10,000),
and 20 structures per side below, active, with quotas of 10,000 a category (never
reached). PostgreSQL then gets `VACUUM ANALYZE catalog_item` and `ANALYZE`, as
autovacuum would after such a load; SQLite none, as Remise runs none.

1. Catalogue: `remise serve` on it (its own process on 127.0.0.1, scheduler off, as
   bench.http starts it); one keep-alive connection from here sends 2,000 requests
   (quick 200) of kinds drawn at random (KINDS) to `GET /api/v1/catalog` with the demo
   structure's token, each followed by `GET /api/v1/me` with the same token: the
   baseline, the authenticated stack without the database. p50/p99 per kind and
   overall. Target: p99 under 50 ms.
2. Claims: 2,000 (quick 200) drawn beforehand from a seeded random, for the side's 20
   structures: 80 % by criteria (1-3 devices of a category, some with min_grade B, some
   laptops with min_ram_gb 8), 20 % naming 1-3 codes of a pool of 300 available
   devices shared by the side's claims (which claims by criteria take too). 50 threads
   take the next claim from one queue until none is left. The sides run one after the
   other on the same database, each with its own structures and pool: the same claims
   but for those. Ours: `distribution.claims.create_claim` in a `db.engine.transaction`
   of its own, on an engine pooling 50 connections. Baseline: the driver (sqlite3,
   psycopg), a connection per thread, a transaction per claim (SQLite `BEGIN
   IMMEDIATE`; PostgreSQL read committed): pick the devices in `catalog_item` (by
   criteria the cheapest, longest in stock; by code, in device order; on PostgreSQL
   `FOR UPDATE SKIP LOCKED` and `FOR UPDATE`), read the structure's status and quotas,
   count its quota use in `claim_item`, INSERT the claim, then per device `UPDATE
   device SET status='reserved', structure_id=… WHERE id=… AND status='available'`
   (one row, or it rolls back), DELETE its `catalog_item` row, INSERT its
   `claim_item`; and an INSERT into a scratch table `bench_event` (time, actor,
   device, type, JSON payload) for the claim and for each device: the ledger's rows
   without their hash chain or its lock. On PostgreSQL, a reference runs the baseline
   again taking that lock (`pg_advisory_xact_lock` once the devices are picked, as
   `db.ledger.lock` does), which a hash-chained ledger needs. Both sides retry a
   busy refusal (`db.engine.is_busy`); a claim finding too few devices is refused.
   Claims a second over the run; target: ours within 3x of the baseline's time.
   Checked after each side: no device in two claims, none claimed still listed, as
   many reserved for the side's structures as its threads counted; the ledger rows
   our side appended verify.

Run:  .venv/bin/python -m bench.claims [--quick] [--backend sqlite|postgresql|both]
                                       [--pg-url postgresql://postgres@127.0.0.1:5432/test]
Only 127.0.0.1 is contacted. Figures are printed and written to bench/results/claims-*.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import secrets
import signal
import sqlite3
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from psycopg import sql
from sqlalchemy import text

from bench.http import reachable, server_env
from bench.ledger import DEFAULT_PG_URL, RESULTS, local_url
from bench.request_path import servers
from db import codes, ledger
from db.catalog import grade_rank
from db.clock import iso, utcnow
from db.engine import PG_LOCK_TIMEOUT_MS, SQLITE_BUSY_TIMEOUT_MS, is_busy, make_engine, transaction
from db.enums import Role, Status, StructureStatus
from db.lifecycle import StaleDevice
from distribution import service
from distribution.claims import ClaimPolicy, create_claim
from distribution.errors import DeviceUnavailable, NotEnoughStock
from distribution.models import ClaimCreate, StructureCreate, StructureUpdate
from remise import demo, migrate
from remise.auth import Actor, system_actor

ACTOR, SEED = system_actor("bench"), 20261218
THREADS, STRUCTURES, POOL, QUOTA, TRIES, NAMED = 50, 20, 300, 10_000, 50, 0.2
CATEGORIES = ("laptop", "smartphone", "desktop", "tablet")
TARGET_RATIO, TARGET_P99_MS = 3.0, 50.0
REFUSED = (DeviceUnavailable, NotEnoughStock, StaleDevice)
LABELS = {"baseline": "baseline, raw SQL", "ours": "ours, create_claim"}
LABELS["locked"] = "(baseline + the ledger's lock)"
CATALOG, ME, ALL, WARM_UP = "/api/v1/catalog", "/api/v1/me", "every catalogue request", 5
KINDS: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "no filter": lambda r: {},
    "category": lambda r: {"category": r.choice(CATEGORIES)},
    "category+min_grade": lambda r: {"category": r.choice(CATEGORIES), "min_grade": "B"},
    "min_ram_gb=8": lambda r: {"min_ram_gb": 8},
    "max_price=80": lambda r: {"max_price": 80},
    "category+storage+os": lambda r: {"category": "laptop", "min_storage_gb": 256, "os": "windows"},
    "offset=5000": lambda r: {"offset": 5000},
}


@dataclass(frozen=True)
class Plan:
    devices: int
    claims: int
    requests: int


FULL, QUICK = Plan(100_000, 2_000, 2_000), Plan(10_000, 200, 200)


@dataclass(frozen=True)
class Ask:
    """One claim: the `codes` it names (stored form), or `quantity` by criteria."""

    structure_id: int
    quantity: int
    category: str | None = None
    min_grade: str | None = None
    min_ram_gb: int | None = None
    codes: tuple[str, ...] = ()

    def body(self) -> ClaimCreate:
        if self.codes:
            return ClaimCreate(device_codes=[codes.display(c) for c in self.codes])
        criteria = {"category": self.category, "min_grade": self.min_grade}
        criteria = {k: v for k, v in (criteria | {"min_ram_gb": self.min_ram_gb}).items() if v}
        return ClaimCreate.model_validate({"quantity": self.quantity, "criteria": criteria})


@dataclass(frozen=True)
class Run:
    side: str
    claims: int
    seconds: float
    reserved: int  # claims that reserved; the others found too few devices
    devices: int
    retries: int
    per_second: float


# --- the database ---------------------------------------------------------------------

_SCRATCH = (
    "CREATE TABLE bench_event (id {}, at VARCHAR(32) NOT NULL, actor VARCHAR(120) NOT NULL,"
    " device_id INTEGER, type VARCHAR(40) NOT NULL, payload TEXT NOT NULL)"
)


@contextmanager
def database(backend: str, folder: Path, admin_url: str) -> Iterator[str]:
    """A SQLite file in `folder`, or a scratch PostgreSQL database dropped at the end."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'remise.db'}"
        return
    name = f"remise_bench_claims_{secrets.token_hex(4)}"
    with psycopg.connect(local_url(admin_url), autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield local_url(admin_url, name)
        finally:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


def seed(url: str, devices: int, sides: Sequence[str]) -> tuple[str, dict[str, list[int]]]:
    """The seeded database (see above) with the baseline's scratch table; the demo
    structure's API token, and the structures of each side."""
    engine = make_engine(url)
    pg = engine.dialect.name == "postgresql"
    try:
        migrate.upgrade(engine)
        with transaction(engine) as session:
            logins = demo.seed(session) or []
            made = {s: [structure(session, f"{s} {n}") for n in range(STRUCTURES)] for s in sides}
            session.execute(
                text(_SCRATCH.format("BIGSERIAL PRIMARY KEY" if pg else "INTEGER PRIMARY KEY"))
            )
        with transaction(engine) as session:
            demo.seed_extra(session, devices, stage=Status.AVAILABLE)
        if pg:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE catalog_item"))
                c.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return next(x.token for x in logins if x.role == Role.STRUCTURE.value), made


def structure(session: Any, name: str) -> int:
    made = service.create_structure(session, ACTOR, data=StructureCreate(name=f"Banc {name}"))
    quotas = {category: QUOTA for category in CATEGORIES}
    update = StructureUpdate(status=StructureStatus.ACTIVE, quotas=quotas)  # type: ignore[arg-type]
    return service.update_structure(session, ACTOR, made.id or 0, data=update).id or 0


def asks(url: str, structures: Sequence[int], count: int) -> list[Ask]:
    """`count` claims, alike for every side but for its structures and its pool of codes
    (drawn from the devices available when the side starts)."""
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            found = c.execute(text("SELECT code FROM catalog_item ORDER BY device_id"))
            pool = random.Random(SEED + 1).sample(list(found.scalars()), POOL)
    finally:
        engine.dispose()
    rng, made = random.Random(SEED), []
    for _ in range(count):
        owner, quantity = structures[rng.randrange(STRUCTURES)], rng.randint(1, 3)
        if rng.random() < NAMED:
            named = tuple(pool[i] for i in rng.sample(range(POOL), quantity))
            made.append(Ask(owner, quantity, codes=named))
            continue
        category = rng.choices(CATEGORIES, weights=(5, 4, 1, 1))[0]
        grade = "B" if rng.random() < 0.4 else None
        ram = 8 if category == "laptop" and rng.random() < 0.3 else None
        made.append(Ask(owner, quantity, category, grade, ram))
    return made


# --- 1. the catalogue's latency -------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    kind: str
    n: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def latency(kind: str, values: Sequence[float]) -> Latency:
    p99 = statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else 0
    return Latency(kind, len(values), statistics.median(values), p99, max(values))


def requests_to(port: int, token: str, count: int) -> dict[str, list[float]]:
    """`count` catalogue requests of kinds drawn at random, each followed by a /me; the
    milliseconds of each, by kind. Any answer but 200 stops the run, showing it."""
    rng = random.Random(SEED)
    connection = http.client.HTTPConnection(servers.HOST, port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str) -> float:
        start = time.perf_counter()
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise SystemExit(f"GET {path} answered {answer.status}: {body[:300]!r}")
        return (time.perf_counter() - start) * 1000

    def path_of(kind: str) -> str:
        query = urlencode(KINDS[kind](rng))
        return f"{CATALOG}?{query}" if query else CATALOG

    found: dict[str, list[float]] = {kind: [] for kind in (*KINDS, ME)}
    with closing(connection):
        for kind in [*KINDS, ME] * WARM_UP:  # unmeasured: statements compiled, token cached
            get(ME if kind == ME else path_of(kind))
        for _ in range(count):
            kind = rng.choice(list(KINDS))
            found[kind].append(get(path_of(kind)))
            found[ME].append(get(ME))
    return found


def measure_catalog(url: str, folder: Path, token: str, count: int) -> list[Latency]:
    port = servers.free_port()
    spec = servers.Spec("remise", servers.remise_command(port), "/api/v1/health")
    with servers.serving([spec], server_env(url, folder), folder):
        found = requests_to(port, token, count)
    every = [ms for kind in KINDS for ms in found[kind]]
    return [latency(k, found[k]) for k in KINDS] + [latency(ALL, every), latency(ME, found[ME])]


# --- 2. claims under contention -------------------------------------------------------

Claimer = Callable[[Any, Ask], tuple[int, int]]  # (handle, ask) → devices reserved, retries


def contend(work: Sequence[Ask], opener: Callable[[], Any], claim: Claimer, side: str) -> Run:
    """Every ask claimed by THREADS threads, each with its `opener()` handle (a context
    manager), taking the next from a queue; timed from the moment all are ready."""
    todo: queue.SimpleQueue[Ask] = queue.SimpleQueue()
    for ask in work:
        todo.put(ask)
    ready = threading.Barrier(THREADS + 1, timeout=60)
    done: list[tuple[int, int]] = []
    failed: list[BaseException] = []

    def worker() -> None:
        try:
            with opener() as handle:
                ready.wait()
                with suppress(queue.Empty):
                    while True:
                        done.append(claim(handle, todo.get_nowait()))
        except BaseException as exc:  # re-raised by the main thread
            failed.append(exc)
            ready.abort()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    with suppress(threading.BrokenBarrierError):
        ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if failed:
        raise failed[0]
    devices, retries = sum(d for d, _ in done), sum(r for _, r in done)
    reserved = sum(1 for d, _ in done if d)
    return Run(side, len(done), seconds, reserved, devices, retries, len(done) / seconds)


def retrying(attempt: Callable[[], int]) -> tuple[int, int]:
    """`attempt()` until it is not refused as busy; its result and the retries."""
    for retries in range(TRIES):
        try:
            return attempt(), retries
        except Exception as exc:
            if not is_busy(exc):
                raise
    raise SystemExit(f"a claim was still refused as busy after {TRIES} tries")


def run_ours(url: str, work: Sequence[Ask]) -> tuple[Run, ledger.Head]:
    """`create_claim` in a transaction per claim; the run, and the ledger's head before."""
    engine = make_engine(url, pool_size=THREADS)
    bodies = {ask: ask.body() for ask in work}  # parsed beforehand, as a route gets them
    actors = {
        n: Actor(user_id=None, username=f"bench-{n}", role=Role.STRUCTURE, structure_id=n)
        for n in {ask.structure_id for ask in work}
    }
    policy = ClaimPolicy()

    def claim(_handle: Any, ask: Ask) -> tuple[int, int]:
        def attempt() -> int:
            try:
                with transaction(engine) as session:
                    create_claim(session, actors[ask.structure_id], data=bodies[ask], policy=policy)
            except REFUSED:
                return 0
            return ask.quantity

        return retrying(attempt)

    try:
        with transaction(engine, read_only=True) as session:
            before = ledger.head(session)
        return contend(work, nullcontext, claim, "ours"), before
    finally:
        engine.dispose()


_PICK = "SELECT device_id, category, price_cents, code FROM catalog_item WHERE "
_STRUCTURE = "SELECT status, quotas FROM structure WHERE id = ?"
_USED = (
    "SELECT category, count(*) FROM claim_item WHERE structure_id = ? AND reserved_at >= ?"
    " AND reserved_at < ? AND state IN ('reserved', 'handed_over') AND counts_in_quota"
    " GROUP BY category"
)
_CLAIM = (
    "INSERT INTO claim (structure_id, state, created_at, created_by, expires_at, total_cents)"
    " VALUES (?, 'reserved', ?, ?, ?, ?) RETURNING id"
)
_TAKE = "UPDATE device SET status = 'reserved', structure_id = ? WHERE id = ? AND status = ?"
_UNLIST = "DELETE FROM catalog_item WHERE device_id = ?"
_ITEM = (
    "INSERT INTO claim_item (claim_id, device_id, structure_id, category, price_cents, state,"
    " counts_in_quota, reserved_at) VALUES (?, ?, ?, ?, ?, 'reserved', ?, ?)"
)
_EVENT = "INSERT INTO bench_event (at, actor, device_id, type, payload) VALUES (?, ?, ?, ?, ?)"
_LOCK_KEY = 0x52454D49  # any key: nothing else takes an advisory lock meanwhile


@dataclass(frozen=True)
class Bare:
    """The baseline's reservation, in raw SQL on one backend's driver."""

    target: str  # SQLite's file, or PostgreSQL's libpq URL
    period: tuple[str, str]  # the quota period's bounds, as claim_item stores times
    locked: bool = False  # take the ledger's lock (PostgreSQL), as a hash chain needs

    @property
    def pg(self) -> bool:
        return self.target.startswith("postgresql")

    def connect(self) -> Any:
        if self.pg:
            return psycopg.connect(self.target, options=f"-c lock_timeout={PG_LOCK_TIMEOUT_MS}")
        wait = SQLITE_BUSY_TIMEOUT_MS / 1000
        connection = sqlite3.connect(self.target, timeout=wait, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            connection.execute(f"PRAGMA {pragma}")
        return connection

    def claim(self, connection: Any, ask: Ask) -> tuple[int, int]:
        def attempt() -> int:
            cursor = connection.cursor()
            if not self.pg:
                cursor.execute("BEGIN IMMEDIATE")
            try:
                reserved = self.reserve(cursor, ask)
            except BaseException:
                connection.rollback()
                raise
            (connection.commit if reserved else connection.rollback)()
            return reserved

        return retrying(attempt)

    def run(self, statement: str, args: Sequence[Any], cursor: Any) -> Any:
        return cursor.execute(statement.replace("?", "%s") if self.pg else statement, args)

    def pick(self, cursor: Any, ask: Ask) -> Any:
        if ask.codes:
            where = f"code IN ({', '.join('?' * len(ask.codes))}) ORDER BY device_id"
            return self.run(_PICK + where + (" FOR UPDATE" if self.pg else ""), ask.codes, cursor)
        where, args = ["category = ?"], [ask.category]
        if ask.min_grade:
            where, args = [*where, "grade_rank <= ?"], [*args, grade_rank(ask.min_grade)]
        if ask.min_ram_gb:
            where, args = [*where, "ram_gb >= ?"], [*args, ask.min_ram_gb]
        order = " ORDER BY price_cents, since, device_id LIMIT ?"
        locking = " FOR UPDATE SKIP LOCKED" if self.pg else ""
        return self.run(
            _PICK + " AND ".join(where) + order + locking, [*args, ask.quantity], cursor
        )

    def reserve(self, cursor: Any, ask: Ask) -> int:
        """The devices reserved, or 0 (then rolled back): too few, or one taken meanwhile."""
        rows, sid = self.pick(cursor, ask).fetchall(), ask.structure_id
        if len(rows) < ask.quantity:
            return 0
        if self.locked:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        status, quotas = self.run(_STRUCTURE, (sid,), cursor).fetchone()
        quotas = json.loads(quotas) if isinstance(quotas, str) else quotas
        used = dict(self.run(_USED, (sid, *self.period), cursor).fetchall())
        asked = Counter(row[1] for row in rows)
        if status != "active" or any(used.get(c, 0) + n > quotas[c] for c, n in asked.items()):
            raise SystemExit(f"structure {sid} may not claim: the benchmark's quotas are too small")
        now = utcnow()
        at, expires, actor = iso(now), iso(now + timedelta(days=14)), f"bench-{sid}"
        total = sum(row[2] or 0 for row in rows)
        claim_id = self.run(_CLAIM, (sid, at, actor, expires, total), cursor).fetchone()[0]
        about = {"claim_id": claim_id, "structure_id": sid, "total_cents": total}
        about |= {"devices": [row[3] for row in rows], "expires_at": expires}
        self.run(_EVENT, (at, actor, None, "claim.created", json.dumps(about)), cursor)
        for device_id, category, price, _code in rows:
            if self.run(_TAKE, (sid, device_id, "available"), cursor).rowcount != 1:
                return 0
            self.run(_UNLIST, (device_id,), cursor)
            self.run(_ITEM, (claim_id, device_id, sid, category, price or 0, True, at), cursor)
            changes = {"status": ["available", "reserved"], "structure_id": [None, sid]}
            about = {"changes": changes, "claim_id": claim_id, "price_cents": price or 0}
            event = (at, actor, device_id, "device.reserved", json.dumps(about))
            self.run(_EVENT, event, cursor)
        return len(rows)


_TWICE = (
    "SELECT count(*) FROM (SELECT device_id FROM claim_item GROUP BY device_id"
    " HAVING count(*) > 1) AS twice"
)
_LISTED = "SELECT count(*) FROM claim_item JOIN catalog_item USING (device_id)"
_MINE = " structure_id BETWEEN :low AND :high"
_ITEMS = "SELECT count(*) FROM claim_item WHERE" + _MINE
_RESERVED = "SELECT count(*) FROM device WHERE status = 'reserved' AND" + _MINE


def check(url: str, mine: Sequence[int], run: Run, before: ledger.Head | None) -> None:
    """No device reserved twice, none claimed still listed, as many reserved for the
    side's structures as its threads counted; our ledger rows since `before` verify."""
    engine, side = make_engine(url), {"low": min(mine), "high": max(mine)}
    try:
        with engine.connect() as c:
            twice, listed = (c.execute(text(s)).scalar_one() for s in (_TWICE, _LISTED))
            items, reserved = (c.execute(text(s), side).scalar_one() for s in (_ITEMS, _RESERVED))
        verified = None
        if before is not None:
            with transaction(engine, read_only=True) as session:
                verified = ledger.verify(session, since=before)
    finally:
        engine.dispose()
    wrong = [f"{twice} devices in two claims"] if twice else []
    wrong += [f"{listed} claimed devices still listed"] if listed else []
    if not items == reserved == run.devices:
        wrong.append(f"{items} claim items, {reserved} devices reserved, {run.devices} counted")
    if verified is not None and not verified.ok:
        wrong.append(f"the ledger breaks: {verified}")
    if wrong:
        raise SystemExit(f"{run.side}: " + "; ".join(wrong))


def measure_claims(url: str, structures: dict[str, list[int]], count: int) -> list[Run]:
    zone = ClaimPolicy().quotas.zone
    period = ClaimPolicy().quotas.period(utcnow().astimezone(zone).date()).bounds(zone)
    runs = []
    for side, mine in structures.items():
        work, before = asks(url, mine, count), None
        if side == "ours":
            run, before = run_ours(url, work)
        else:
            bare = Bare(url.removeprefix("sqlite:///"), period, locked=side == "locked")
            run = contend(work, lambda b=bare: closing(b.connect()), bare.claim, side)
        check(url, mine, run, before)
        print(f"  {LABELS[side]}: {run.per_second:,.0f} claims/s (checked)", flush=True)
        runs.append(run)
    return runs


# --- report ---------------------------------------------------------------------------


def print_claims(runs: Sequence[Run]) -> float:
    print(f"  claims, {THREADS} threads, {STRUCTURES} structures a side:")
    head = ("claims", "seconds", "claims/s", "reserved", "devices", "retries")
    print(f"    {'':<32}" + "".join(f"{h:>10}" for h in head))
    for r in runs:
        print(
            f"    {LABELS[r.side]:<32}{r.claims:>10,}{r.seconds:>10.2f}{r.per_second:>10,.0f}"
            f"{r.reserved:>10,}{r.devices:>10,}{r.retries:>10,}"
        )
    by = {run.side: run for run in runs}
    ratio = by["ours"].seconds / by["baseline"].seconds
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER"
    print(f"    ours/baseline: {ratio:.2f}x the time (target ≤{TARGET_RATIO:g}x: {verdict})")
    if "locked" in by:
        print(f"    ours/(baseline + lock): {by['ours'].seconds / by['locked'].seconds:.2f}x")
    return ratio


def print_catalog(figures: Sequence[Latency], count: int) -> float:
    print(
        f"  GET {CATALOG}: {count:,} requests over HTTP to remise serve on 127.0.0.1, one "
        f"keep-alive connection, each followed by GET {ME}:"
    )
    print(f"    {'kind':<32}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for f in figures:
        print(f"    {f.kind:<32}{f.n:>6,}{f.p50_ms:>10.2f}{f.p99_ms:>10.2f}{f.max_ms:>10.2f}")
    every, me = figures[-2], figures[-1]
    verdict = "ok" if every.p99_ms < TARGET_P99_MS else "OVER"
    print(
        f"    catalogue/{ME}: p50 {every.p50_ms / me.p50_ms:.1f}x, p99 "
        f"{every.p99_ms / me.p99_ms:.1f}x; p99 {every.p99_ms:.1f} ms (target "
        f"<{TARGET_P99_MS:g} ms: {verdict})"
    )
    return every.p99_ms


def environment(url: str) -> dict[str, Any]:
    found: dict[str, Any] = {"sqlite": sqlite3.sqlite_version, "postgresql": None}
    if url.startswith("postgresql"):
        with psycopg.connect(url) as connection:
            found["postgresql"] = connection.info.parameter_status("server_version")
    return found | {"cores": os.cpu_count(), "load": round(os.getloadavg()[0], 1)}


def measure(plan: Plan, backend: str, url: str, folder: Path) -> str:
    """Both measurements on one database; the backend's verdict line."""
    env = environment(url)
    print(f"\n== {backend} ==\n  " + ", ".join(f"{k} {v}" for k, v in env.items()), flush=True)
    pg, start = backend == "postgresql", time.perf_counter()
    token, structures = seed(url, plan.devices, [*LABELS] if pg else ["baseline", "ours"])
    print(
        f"  {plan.devices:,} available devices and {STRUCTURES} structures a side seeded in "
        f"{time.perf_counter() - start:.1f} s; "
        + ("then VACUUM ANALYZE catalog_item, ANALYZE" if pg else "no ANALYZE (Remise runs none)"),
        flush=True,
    )
    figures = measure_catalog(url, folder, token, plan.requests)
    print(f"  catalogue measured: p99 {figures[-2].p99_ms:.1f} ms", flush=True)
    runs = measure_claims(url, structures, plan.claims)
    print()
    ratio, p99 = print_claims(runs), print_catalog(figures, plan.requests)
    document = {"backend": backend, "plan": asdict(plan), "environment": env}
    document |= {"when": datetime.now(UTC).isoformat(timespec="seconds")}
    document |= {"claims": [asdict(r) for r in runs], "catalog": [asdict(f) for f in figures]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"claims-{backend}.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"  written to {path}")
    return (
        f"{backend}: claims within {TARGET_RATIO:g}x of the baseline: "
        f"{'ok' if ratio <= TARGET_RATIO else 'NO'} ({ratio:.2f}x); catalogue p99 under "
        f"{TARGET_P99_MS:g} ms: {'ok' if p99 < TARGET_P99_MS else 'NO'} ({p99:.1f} ms)"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a tenth of every size")
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
    local_url(args.pg_url)  # refuse any host but 127.0.0.1 before connecting
    # Stopped by SIGTERM as by Ctrl-C: through every `finally`, so that the server is
    # ended and the scratch database dropped.
    signal.signal(signal.SIGTERM, _interrupted)
    plan = QUICK if args.quick else FULL
    print(f"Remise distribution benchmark ({'quick' if args.quick else 'full'}: {plan})")
    verdicts = []
    for backend in ("sqlite", "postgresql"):
        if args.backend not in (backend, "both"):
            continue
        if backend == "postgresql" and not reachable(args.pg_url):
            continue
        with (
            tempfile.TemporaryDirectory(prefix=f"remise-bench-claims-{backend}-") as name,
            database(backend, Path(name), args.pg_url) as url,
        ):
            verdicts.append(measure(plan, backend, url, Path(name)))
    print("\nVerdict")
    for line in verdicts:
        print(f"  {line}")


if __name__ == "__main__":
    main()
