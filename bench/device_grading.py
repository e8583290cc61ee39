"""Grading benchmark: the rules engine, and grading a device on a database.

(Named device_grading: bench/grading.py, run as a script, would hide the grading package.)

Each figure against a baseline timed in the same run, on the same data:

1. the rules engine: `grading.rules.decide` with the shipped rules over N varied devices
   (10,000; quick 1,000): laptops, desktops, smartphones and tablets whose battery, RAM,
   storage, processor, TPM, checklist answers and judged zones are drawn from a seeded
   `random.Random`, their facts computed beforehand. Microseconds a call. Baseline:
   `GradeIn.model_validate` of the request body that comes with each (what every grading
   request pays anyway). Reference: `grading.facts.facts_of` of the same devices. Best
   of `rounds` rounds, each timing every device, ours then the baseline and reference,
   after one unmeasured pass of each.
2. the service, on a migrated SQLite file (WAL) in a temporary folder: M refurbished
   laptops (200; quick 20) made through the real services as the demo makes them,
   registered and walked to labelled by `db.lifecycle` (as tests/factories.py does),
   then `remise.demo_bench.run_through(…, Status.REFURBISHED)`: probed, checklist
   filled (battery, screen and casing drawn at random), media erased, run finished.
   Per device, best of `runs` passes over the M devices:
   a. `grade_device(…, preview=True)` in a read-only transaction. Baseline: what it
      rests on, `db.devices.by_code` and `db.ledger.history` in a read-only transaction.
   b. `grade_device(…, preview=False)` (the decision row, the graded and available
      events, the price) in a transaction rolled back after each. Baseline: the preview.
3. peak memory (tracemalloc, Python allocations) of grading the M devices in one
   transaction (applied, then rolled back), against that of reading their histories in
   one read-only transaction; each side keeps a few fields of each device's answer.
   References: the preview, and grading with every `GradeRead` kept.

Only the local file system is touched. Figures are printed as a table and written to
bench/results/device_grading.json.

Run:  .venv/bin/python -m bench.device_grading [--quick]
`--quick` divides the devices, rounds and runs by 10 (at least 1).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import pydantic
from sqlalchemy import Engine, func
from sqlmodel import select

from bench import best_of, peak_mib, timed
from db import devices, ledger, lifecycle
from db.engine import make_engine, new_session, transaction
from db.enums import Category, Status
from db.models import Device
from grading import rules
from grading.documents import shipped_rules
from grading.facts import facts_of
from grading.models import GradeDecision, GradeIn
from grading.service import grade_device
from remise.auth import system_actor
from remise.demo_bench import run_through
from remise.migrate import upgrade

RESULTS = Path(__file__).resolve().parent / "results"
ACTOR = system_actor("bench")
SEED = 20261201
CHUNK = 50  # devices built per transaction
GIB, GB, MIB = 2**30, 10**9, 2**20
CATEGORIES = ("laptop", "desktop", "smartphone", "tablet")
CPUS = (
    "Intel(R) Core(TM) i5-8350U CPU @ 1.70GHz",
    "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz",
    "Intel(R) Core(TM) i3-6100U CPU @ 2.30GHz",
    "Intel(R) Core(TM)2 Duo CPU P8600 @ 2.40GHz",
    "Intel(R) Celeron(R) CPU N3050 @ 1.60GHz",
    "AMD Ryzen 5 3500U with Radeon Vega Mobile Gfx",
    "AMD A6-9220 RADEON R4, 5 COMPUTE CORES 2C+2G",
    None,  # the probe read no model name
)
RAM_GIB = (2, 4, 4, 8, 8, 16)
STORAGE_GB = (16, 32, 64, 128, 256, 500, 1000)
SCREENS, CASINGS, LETTERS = ("perfect", "scratches"), ("good", "worn"), ("A", "B", "C")
REASON = "Charnière droite un peu dure à l'ouverture"


@dataclass(frozen=True)
class Sizes:
    calls: int  # devices through the rules engine
    devices: int  # refurbished laptops on the database
    rounds: int  # best of this many, for the engine
    runs: int  # best of this many, for the service


@dataclass
class Figure:
    """One measurement: our time against the baseline's, in seconds, over `count` units;
    per unit in `per` (µs or ms)."""

    name: str
    count: int
    unit: str
    per: str
    ours_s: float
    base_s: float
    ours_per: float = field(init=False)
    base_per: float = field(init=False)
    ratio: float = field(init=False)

    def __post_init__(self) -> None:
        scale = 1e6 if self.per == "µs" else 1e3
        self.ours_per = self.ours_s / self.count * scale
        self.base_per = self.base_s / self.count * scale
        self.ratio = self.ours_s / self.base_s


# --- 1. the rules engine --------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One device as the engine sees it, and the request body graded with it."""

    category: str
    steps: dict[str, Any]
    probe: dict[str, Any] | None
    attributes: dict[str, Any]
    body: dict[str, Any]
    tpm2: bool | None
    failed: int


def computer_probe(rng: random.Random, laptop: bool) -> dict[str, Any]:
    ram = rng.choice(RAM_GIB)
    memory: dict[str, Any] = (
        {"modules": [{"size_bytes": ram * GIB // 2}] * 2}
        if rng.random() < 0.3
        else {"total_bytes": ram * GIB - 300 * MIB}  # what the kernel keeps for itself
    )
    kind = rng.choice(("nvme", "ssd", "hdd", "unknown"))
    size = rng.choice(STORAGE_GB) * GB + 60_514_304  # a little over the printed size, as sold
    disks = [{"kind": kind, "size_bytes": size}]
    if rng.random() < 0.2:  # a second, hard disk
        disks.append({"kind": "hdd", "size_bytes": 1000 * GB})
    probe = {"cpu": {"model": rng.choice(CPUS)}, "memory": memory, "disks": disks}
    if laptop and rng.random() < 0.9:
        probe["batteries"] = [{"health_percent": f"{rng.uniform(30, 100):.2f}"}]
    return probe


def body_of(rng: random.Random, zones: Sequence[str], tpm2: bool | None) -> dict[str, Any]:
    """What the grading step sends: the zones the checklist does not answer, some others,
    a TPM seen or not, now and then an override."""
    judged = {z: rng.choice(LETTERS) for z in zones if z in ("keyboard", "buttons")}
    judged |= {z: rng.choice(LETTERS) for z in zones if rng.random() < 0.3}
    body: dict[str, Any] = {"cosmetic": judged}
    if tpm2 is not None:
        body["tpm2"] = tpm2
    if rng.random() < 0.05:
        body["override"] = {"grade": rng.choice(LETTERS), "reason": REASON}
    return body


def case(rng: random.Random) -> Case:
    category = rng.choice(CATEGORIES)
    computer = category in ("laptop", "desktop")
    steps: dict[str, Any] = {"casing": rng.choice(CASINGS)}
    if category != "desktop":
        steps["screen"] = rng.choice(SCREENS)
        if not computer or rng.random() < 0.7:  # a laptop's tool may read it, or the probe
            steps["battery_health"] = rng.randint(40, 100)
    attributes: dict[str, Any] = {}
    probe = computer_probe(rng, category == "laptop") if computer else None
    if not computer:
        attributes = {"storage_gb": rng.choice(STORAGE_GB), "ram_gb": rng.choice((2, 3, 4, 6))}
    tpm2 = rng.choice((True, False, None)) if computer else None
    zones = shipped_rules().categories[category].zones
    failed = 1 if rng.random() < 0.05 else 0
    return Case(category, steps, probe, attributes, body_of(rng, zones, tpm2), tpm2, failed)


def facts(c: Case) -> dict[str, Any]:
    return facts_of(c.category, c.steps, c.probe, c.attributes, {"tpm2": c.tpm2})


def measure_engine(sizes: Sizes) -> tuple[list[Figure], dict[str, Any]]:
    rng = random.Random(SEED)
    cases = [case(rng) for _ in range(sizes.calls)]
    document = shipped_rules()
    # the zones judged, as the service reads them from the validated body
    judged: list[dict[str, str]] = [
        {zone: grade for zone, grade in GradeIn.model_validate(c.body).cosmetic.items()}
        for c in cases
    ]
    inputs = [
        (c.category, facts(c) | {"functions_failed": c.failed}, c.steps, zones)
        for c, zones in zip(cases, judged, strict=True)
    ]

    def engine_pass() -> list[rules.Outcome]:
        return [rules.decide(document, *args) for args in inputs]

    def bodies() -> None:
        for c in cases:
            GradeIn.model_validate(c.body)

    def facts_pass() -> None:
        for c in cases:
            facts(c)

    outcomes = engine_pass()  # the warm-up, and what the engine made of them
    bodies()
    facts_pass()
    best = [float("inf")] * 3
    for _ in range(sizes.rounds):
        for i, side in enumerate((engine_pass, bodies, facts_pass)):
            best[i] = min(best[i], timed(side))
    ours, base, ref = best
    n = sizes.calls
    figures = [
        Figure("rules.decide vs GradeIn.model_validate", n, "call", "µs", ours, base),
        Figure("(facts_of vs GradeIn.model_validate)", n, "call", "µs", ref, base),
    ]
    found = tally(outcomes) | {
        "categories": dict(Counter(c.category for c in cases)),
        "reasons_per_call": sum(len(o.reasons) for o in outcomes) / n,
    }
    return figures, found


# --- 2. the service on a database -----------------------------------------------------


def refurbished_laptops(
    session: Any, rng: random.Random, first: int, count: int
) -> list[tuple[str, GradeIn]]:
    """`count` laptops registered, labelled and taken through a whole bench run; their
    codes, each with the body its grading step sends (the keyboard, maybe a TPM)."""
    made = [
        Device(  # type: ignore[call-arg]  # code and status: lifecycle.register gives them
            category=Category.LAPTOP,
            brand="Lenovo",
            model="ThinkPad T480",
            serial=f"PF1BNCH{n:05d}",
        )
        for n in range(first, first + count)
    ]
    who = ACTOR.ledger_name
    lifecycle.register(session, actor=who, devices=made)
    for device in made:
        for step in lifecycle.path_to(Status.LABELLED):
            lifecycle.move(session, device, to=step, actor=who)
        values = {
            "battery_health": rng.randint(45, 100),
            "screen": rng.choice(SCREENS),
            "casing": rng.choice(CASINGS),
        }
        run_through(session, ACTOR, device.code, Status.REFURBISHED, values)
    bodies = []
    for device in made:
        body: dict[str, Any] = {"cosmetic": {"keyboard": rng.choice(LETTERS)}}
        if rng.random() < 0.5:
            body["tpm2"] = rng.random() < 0.7
        bodies.append((device.code, GradeIn.model_validate(body)))
    return bodies


def seed(engine: Engine, n: int) -> list[tuple[str, GradeIn]]:
    """N refurbished laptops, built CHUNK to a transaction, with their bodies."""
    rng, bodies = random.Random(SEED + 1), []
    for first in range(0, n, CHUNK):
        with transaction(engine) as session:
            bodies += refurbished_laptops(session, rng, first, min(CHUNK, n - first))
    return bodies


Bodies = Sequence[tuple[str, GradeIn]]


class Answer(NamedTuple):
    """What the benchmark keeps of a `GradeRead` (some 6 KiB each, with its texts)."""

    outcome: str
    grade: str | None
    os: str | None
    status: str
    decision_id: int | None


def graded(preview: bool, *, whole: bool = False) -> Callable[[Any, Bodies], list[Any]]:
    """Grading each device of a group, as `POST /api/v1/devices/{code}/grade` does; the
    answers kept `whole`, or only what the benchmark checks."""

    def work(session: Any, bodies: Bodies) -> list[Any]:
        found: list[Any] = []
        for code, data in bodies:
            read = grade_device(
                session, ACTOR, code=code, data=data, preview=preview, today=today, locale="fr"
            )
            found.append(read if whole else Answer(*(getattr(read, f) for f in Answer._fields)))
        return found

    today = date.today()

    return work


def histories(session: Any, bodies: Bodies) -> list[int]:
    """What grading rests on: each device by its code, and its history; the number of
    events of each (like grading, which keeps its answer only, nothing of the rows)."""
    return [len(ledger.history(session, devices.by_code(session, c).id or 0)) for c, _ in bodies]


def rolled_back(
    engine: Engine,
    groups: Sequence[Bodies],
    work: Callable[[Any, Bodies], list[Any]],
    *,
    read_only: bool,
) -> list[Any]:
    """`work` on each group in a transaction of its own, rolled back after it."""
    found: list[Any] = []
    for group in groups:
        session = new_session(engine, read_only=read_only)
        try:
            found += work(session, group)
        finally:
            session.rollback()
            session.close()
    return found


def tally(results: Sequence[Any]) -> dict[str, Any]:
    """Outcomes, grades and systems of engine outcomes or graded devices."""
    return {
        "outcomes": dict(Counter(r.outcome for r in results)),
        "grades": dict(Counter(r.grade or "-" for r in results)),
        "systems": dict(Counter(r.os or "-" for r in results)),
    }


def measure_service(
    engine: Engine, bodies: Bodies, sizes: Sizes
) -> tuple[list[Figure], dict[str, Any]]:
    each = [[item] for item in bodies]  # a transaction per device
    preview = partial(rolled_back, engine, each, graded(preview=True), read_only=True)
    base = partial(rolled_back, engine, each, histories, read_only=True)
    apply = partial(rolled_back, engine, each, graded(preview=False), read_only=False)
    previews, _, applied = preview(), base(), apply()  # warm-up: statements compiled
    assert all(a.decision_id is not None for a in applied), "a grading applied nothing"
    with transaction(engine, read_only=True) as session:
        kept = session.exec(select(func.count()).select_from(GradeDecision)).one()
        events = sum(histories(session, bodies))
    assert kept == 0, "a rolled-back grading left its decision"
    ours, rests, applying = (best_of(sizes.runs, work) for work in (preview, base, apply))
    m = len(bodies)
    figures = [
        Figure("grade preview vs by_code + history", m, "device", "ms", ours, rests),
        Figure("grade applied vs preview", m, "device", "ms", applying, ours),
        Figure("(grade applied vs by_code + history)", m, "device", "ms", applying, rests),
    ]
    found = tally(previews) | {
        "device_events": events,
        "events_per_device": events / m,
        "statuses_applied": dict(Counter(a.status for a in applied)),
    }
    return figures, found


# --- 3. peak memory -------------------------------------------------------------------


def measure_memory(engine: Engine, bodies: Bodies) -> dict[str, float]:
    """The M devices in one transaction, rolled back: graded, previewed, histories read."""
    sides = {"grading": (graded(preview=False), False), "preview": (graded(preview=True), True)}
    sides["histories"] = (histories, True)
    sides["answered"] = (graded(preview=False, whole=True), False)  # the M answers kept
    return {
        f"{name}_peak_mib": peak_mib(partial(rolled_back, engine, [bodies], work, read_only=ro))
        for name, (work, ro) in sides.items()
    }


# --- report ---------------------------------------------------------------------------


def print_table(figures: Sequence[Figure]) -> None:
    print(
        f"  {'measurement':<40}{'count':>15}{'ours s':>9}{'base s':>9}"
        f"{'ours/u':>12}{'base/u':>12}{'ratio':>8}"
    )
    for f in figures:
        label = f"{f.count:,} {f.unit}s"
        print(
            f"  {f.name:<40}{label:>15}{f.ours_s:>9.3f}{f.base_s:>9.3f}"
            f"{f.ours_per:>9.1f} {f.per}{f.base_per:>9.1f} {f.per}{f.ratio:>7.2f}x"
        )


def print_facts(facts: dict[str, Any], sizes: Sizes) -> None:
    engine, service, memory = facts["engine"], facts["service"], facts["memory"]
    print(
        f"  engine, {sizes.calls:,} devices: {engine['outcomes']}, grades {engine['grades']}, "
        f"systems {engine['systems']}, {engine['reasons_per_call']:.2f} reasons a call"
    )
    print(
        f"  service, {sizes.devices:,} laptops ({service['events_per_device']:.1f} events "
        f"each): {service['outcomes']}, grades {service['grades']}, systems "
        f"{service['systems']}; applied: {service['statuses_applied']}"
    )
    grading, histories = memory["grading_peak_mib"], memory["histories_peak_mib"]
    print(
        f"  peak memory (tracemalloc) of {sizes.devices:,} devices in one transaction: "
        f"grading {grading:.2f} MiB, histories {histories:.2f} MiB ({grading / histories:.1f}x); "
        f"preview {memory['preview_peak_mib']:.2f} MiB; grading with its {sizes.devices:,} answers "
        f"kept {memory['answered_peak_mib']:.2f} MiB"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="sizes divided by 10")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    sizes = Sizes(10_000 // scale, 200 // scale, max(1, 5 // scale), max(1, 3 // scale))
    env = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "pydantic": pydantic.VERSION,
        "machine": f"{platform.system()} {platform.machine()}",
    }
    print(f"Remise grading benchmark ({'quick' if args.quick else 'full'} sizes: {sizes})")
    print("  " + ", ".join(f"{k} {v}" for k, v in env.items()), flush=True)
    figures, found = measure_engine(sizes)
    facts: dict[str, Any] = {"engine": found}
    with tempfile.TemporaryDirectory(prefix="remise-bench-grading-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'remise.db'}")
        try:
            upgrade(engine)
            start = time.perf_counter()
            bodies = seed(engine, sizes.devices)
            built = time.perf_counter() - start
            print(f"  built {sizes.devices:,} refurbished laptops in {built:.1f} s", flush=True)
            service, facts["service"] = measure_service(engine, bodies, sizes)
            figures += service
            facts["memory"] = measure_memory(engine, bodies)
        finally:
            engine.dispose()
    print()
    print_table(figures)
    print_facts(facts, sizes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "device_grading.json"
    document = {
        "quick": args.quick,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "environment": env,
        "sizes": asdict(sizes),
        "facts": facts,
        "measurements": [asdict(f) for f in figures],
    }
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"  written to {out}")


if __name__ == "__main__":
    main()
