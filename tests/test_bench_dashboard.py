"""bench.dashboard runs and prints its figures, and the network it seeds holds together:
a ledger in time order whose rows link, `flow_day` and the job cursor as the flows job
would leave them, each device's `status_since` its last move, and something for every
list panel of the dashboard to show. On a small network, on both databases."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from bench import dashboard as bench
from bench.dashboard_seed import history, load, plan
from db.clock import utcnow
from db.engine import make_engine, transaction
from remise.settings import Settings
from reporting import dashboard
from reporting.models import FLOW_OF_EVENT

SMALL = plan.Scale(devices=3_000, events=30_000, batches=100, donors=10, structures=20)
PG_URL = os.environ.get("REMISE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]
MOVES = [
    "device.received",
    *history.MOVE_EVENTS.values(),
]


def _need(backend: str) -> None:
    if backend != "postgresql":
        return
    try:
        psycopg.connect(PG_URL, connect_timeout=5).close()
    except psycopg.OperationalError:
        if os.environ.get("REMISE_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required (REMISE_REQUIRE_PG=1) but {PG_URL} is down")
        pytest.skip(f"no PostgreSQL server at {PG_URL}")


@pytest.fixture(scope="module")
def prepared() -> load.Prepared:
    return load.prepare(SMALL)


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(
    request: pytest.FixtureRequest,
    prepared: load.Prepared,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, load.Seeded]]:
    _need(request.param)
    folder = tmp_path_factory.mktemp(f"seeded-{request.param}")
    with load.database(request.param, folder, PG_URL) as url:
        yield url, load.seed(url, prepared)


def _rows(url: str, statement: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(statement))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_quick_run_prints_page_bare_and_panel_figures(
    backend: str, prepared: load.Prepared, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _need(backend)
    with load.database(backend, tmp_path, PG_URL) as url:
        verdict = bench.measure(prepared, backend, url, tmp_path, 3, results=tmp_path / "out")
    printed = capsys.readouterr().out
    assert verdict.startswith(f"{backend}: GET /dashboard p95 under 500 ms: ")
    for line in ("GET /dashboard (the page)", "overview() in process", "statements, bare SQL"):
        assert line in printed
    assert "page/bare: p50" in printed
    assert "plan, (reads ledger_event)" in printed  # the flows' "counted up to", by seq
    written = json.loads((tmp_path / "out" / f"dashboard-{backend}.json").read_text())
    assert written["seeding"]["rows"]["device"] == SMALL.devices
    assert 0 < written["page"]["p50"] <= written["page"]["max"]
    panels = {p["name"]: p for p in written["panels"]}  # what overview calls, as it calls it
    assert {"stock", "throughput", "backlog"} <= set(panels) and len(panels) >= 6
    for name, panel in panels.items():
        assert f"\n  {name} " in printed and panel["statements"] > 0
        assert panel["ours"]["n"] == panel["bare"]["n"] == 3


def test_ledger_follows_time_and_links_each_row_to_the_previous(
    seeded: tuple[str, load.Seeded],
) -> None:
    url, done = seeded
    events = done.rows["ledger_event"]
    assert abs(events - SMALL.events) < SMALL.events * 0.02
    ((count, last),) = _rows(url, "SELECT count(*), max(seq) FROM ledger_event")
    assert count == last > events  # the coordinator's own events came after
    broken = _rows(
        url,
        "SELECT count(*) FROM (SELECT at, hash, prev_hash, lag(at) OVER (ORDER BY seq) AS a,"
        " lag(hash) OVER (ORDER BY seq) AS h FROM ledger_event) AS e"
        " WHERE a > at OR prev_hash <> coalesce(h, prev_hash)",
    )
    assert broken == [(0,)]


def test_flow_day_and_its_cursor_stand_as_the_flows_job_leaves_them(
    seeded: tuple[str, load.Seeded],
) -> None:
    url, _done = seeded
    types = ", ".join(f"'{t}'" for t in FLOW_OF_EVENT)
    ((flows,),) = _rows(url, f"SELECT count(*) FROM ledger_event WHERE type IN ({types})")
    assert _rows(url, "SELECT sum(devices) FROM flow_day") == [(flows,)]
    assert _rows(url, "SELECT seq FROM job_cursor WHERE name = 'reporting.flows'") == _rows(
        url, "SELECT max(seq) FROM ledger_event"
    )


def test_each_device_reached_its_status_at_its_last_move(
    seeded: tuple[str, load.Seeded],
) -> None:
    url, _done = seeded
    moves = ", ".join(f"'{t}'" for t in MOVES)
    wrong = _rows(
        url,
        "SELECT count(*) FROM device d JOIN (SELECT device_id, max(at) AS last FROM ledger_event"
        f" WHERE type IN ({moves}) GROUP BY device_id) e ON e.device_id = d.id"
        " WHERE d.status_since <> e.last",
    )
    assert wrong == [(0,)]
    ((claimed,),) = _rows(
        url,
        "SELECT count(*) FROM device d LEFT JOIN claim_item i ON i.device_id = d.id"
        " WHERE d.status IN ('reserved', 'handed_over') AND (i.id IS NULL OR i.state <> d.status)",
    )
    assert claimed == 0
    statuses = dict(_rows(url, "SELECT status, count(*) FROM device GROUP BY status"))
    gone = sum(statuses.get(s, 0) for s in ("handed_over", "parts", "recycled", "lost"))
    assert 0.05 < 1 - gone / SMALL.devices < 0.25  # the stock


def test_every_list_of_the_dashboard_has_something_to_show(
    seeded: tuple[str, load.Seeded], tmp_path: Path
) -> None:
    url, _done = seeded
    now: datetime = utcnow()
    settings = Settings(database_url=url, data_dir=tmp_path, scheduler_enabled=False)
    engine = make_engine(url)
    try:
        with transaction(engine, read_only=True) as session:
            seen = dashboard.overview(session, now=now, settings=settings)
    finally:
        engine.dispose()
    assert seen.batches.total and seen.stuck.erasure.total and seen.stuck.flags.total
    assert seen.overrides.total and seen.structures.pending.total
    assert all(stage.devices for stage in seen.backlog)
    assert sum(w.devices["handed_over"] for w in seen.throughput.weeks) > 0
