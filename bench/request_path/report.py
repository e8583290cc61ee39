"""The figures of `bench.http`: a table, the targets marked ok or OVER, a JSON file."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from bench.request_path import wrk
from bench.request_path.routes import TARGET_CONNECTIONS, TARGETS, Route, Target

RESULTS = Path(__file__).resolve().parents[1] / "results"


@dataclass(frozen=True)
class Measured:
    route: Route
    connections: int
    load: wrk.Load


@dataclass(frozen=True)
class Verdict:
    target: Target
    value: float

    @property
    def ok(self) -> bool:
        if self.target.kind == "share":
            return self.value >= self.target.bound
        if self.target.kind == "p99":
            return self.value < self.target.bound
        return self.value <= self.target.bound

    @property
    def bound_text(self) -> str:
        sign = {"share": "≥", "p99": "<", "cost": "≤"}[self.target.kind]
        unit = " ms" if self.target.kind == "p99" else "x"
        return f"{sign}{self.target.bound:g}{unit}"


def _at(figures: Sequence[Measured], slug: str, connections: int) -> wrk.Load:
    return next(f.load for f in figures if f.route.slug == slug and f.connections == connections)


def ratio_to_baseline(figures: Sequence[Measured], measured: Measured) -> float | None:
    """Requests/s over those of the bare route doing the same look-up, at as many connections."""
    if measured.route.baseline is None:
        return None
    base = _at(figures, measured.route.baseline, measured.connections)
    return measured.load.per_second / base.per_second


def verdicts(figures: Sequence[Measured]) -> list[Verdict]:
    found = []
    for target in TARGETS:
        load = _at(figures, target.route, TARGET_CONNECTIONS)
        if target.kind == "p99":
            value = load.p99_ms
        else:
            other = _at(figures, target.other or "", TARGET_CONNECTIONS).per_second
            share = load.per_second / other
            value = share if target.kind == "share" else 1 / share
        found.append(Verdict(target, value))
    return found


def print_report(backend: str, figures: Sequence[Measured]) -> None:
    head = f"  {'route':<24}{'backend':<12}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    print(f"\n{head}{'vs bare':>9}  bare route")
    for f in figures:
        ratio = ratio_to_baseline(figures, f)
        shown = f"{ratio:8.2f}x  {f.route.baseline}" if ratio is not None else f"{'':>9}"
        print(
            f"  {f.route.slug:<24}{backend:<12}{f.connections:>6}{f.load.per_second:>10,.0f}"
            f"{f.load.p50_ms:>9.1f}{f.load.p99_ms:>9.1f}{shown}"
        )
    print(f"\n  targets at {TARGET_CONNECTIONS} connections ({backend}):")
    for v in verdicts(figures):
        unit = " ms" if v.target.kind == "p99" else "x"
        mark = "ok" if v.ok else "OVER"
        print(f"    {v.target.name:<48}{v.value:>9.2f}{unit:<3} (target {v.bound_text}: {mark})")


def environment(backend_version: str | None) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": backend_version,
        "uvicorn": metadata.version("uvicorn"),
        "fastapi": metadata.version("fastapi"),
        "httptools": find_spec("httptools") is not None,
        "uvloop": find_spec("uvloop") is not None,
        "wrk": wrk.version(),
        "cores": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}",
    }


def write_json(
    backend: str, version: str | None, plan: dict[str, Any], figures: Sequence[Measured]
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"http-{backend}.json"
    loads = [
        {
            "route": f.route.slug,
            "path": f.route.template,
            "connections": f.connections,
            "requests": f.load.requests,
            "seconds": round(f.load.seconds, 3),
            "requests_per_s": round(f.load.per_second, 1),
            "p50_ms": f.load.p50_ms,
            "p99_ms": f.load.p99_ms,
            "ratio_to_bare": ratio_to_baseline(figures, f),
            "bare_route": f.route.baseline,
        }
        for f in figures
    ]
    targets = [
        {"name": v.target.name, "value": v.value, "target": v.bound_text, "within_target": v.ok}
        for v in verdicts(figures)
    ]
    document = {
        "backend": backend,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        **plan,
        "environment": environment(version),
        "loads": loads,
        "targets": targets,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path
