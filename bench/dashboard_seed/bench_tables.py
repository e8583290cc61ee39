"""The bench's tables of the seeded network: runs, snapshots, storage media, erasure
records, flags and grade decisions, each row from `workshop.facts` (so its ids and
times are those the ledger's payloads name)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench.dashboard_seed import workshop
from bench.dashboard_seed.plan import CATEGORIES, Network
from bench.dashboard_seed.texts import Stamps, person, price
from bench.dashboard_seed.texts import as_json as _json
from bench.dashboard_seed.workshop import Fact

Row = tuple[Any, ...]
Table = tuple[str, tuple[str, ...], Callable[[], Iterator[Row]]]
OUTCOMES = {"refurbished": "refurbished", "parts": "parts", "recycled": "recycled"}
ERASING = {  # how each medium type is erased: level, method, tool
    "ssd": ("purge", "nvme_sanitize", "nwipe"),
    "hdd": ("clear", "overwrite", "nwipe"),
    "internal": ("purge", "factory_reset", None),
}
SIZES = {"ssd": 256_060_514_304, "hdd": 500_107_862_016, "internal": 64_000_000_000}


@dataclass(frozen=True)
class Source:
    """What every table's rows are drawn from."""

    network: Network
    known: list[Fact]
    stamps: Stamps

    def at(self, seconds: int, micro: int = 0) -> str:
        return self.stamps.at(seconds, micro)

    def stamp(self, micros: int) -> str:
        return self.stamps.at(micros // 1_000_000, micros % 1_000_000)


def bench_tables(src: Source) -> list[Table]:
    return [(name, columns, partial(rows, src)) for name, columns, rows in TABLES]


def runs(src: Source) -> Iterator[Row]:
    known, at = src.known, src.at
    for d, bench, ids in known:
        if bench is None:
            continue
        ended = bench.ended
        outcome = OUTCOMES.get(d.moves[3]) if ended is not None else None
        yield (
            ids.run, d.id, CATEGORIES.index(d.category) + 1, ended is None, outcome, "{}",
            at(bench.started), person(d.id), None if ended is None else at(ended),
            None if ended is None else person(d.id),
        )  # fmt: skip


def snapshots(src: Source) -> Iterator[Row]:
    known, at = src.known, src.at
    for d, bench, ids in known:
        if bench is not None and bench.probed is not None:
            body = {"system": {"serial": f"SN{d.id:09d}"}, "source": "probe"}
            yield ids.snapshot, d.id, ids.run, "probe", _json(body), at(bench.probed), "bench"


def media(src: Source) -> Iterator[Row]:
    known, at = src.known, src.at
    for d, bench, ids in known:
        for n, kind in enumerate(bench.media if bench else ()):
            yield (
                ids.medium + n, d.id, kind, "Samsung", "PM981", f"S4{d.id:08d}{n}",
                SIZES[kind], f"sd{'ab'[n]}", "probe", ids.snapshot, None,
                at(bench.media_at), person(d.id),  # type: ignore[union-attr]
            )  # fmt: skip


def erasures(src: Source) -> Iterator[Row]:
    known, at = src.known, src.at
    for d, bench, ids in known:
        if bench is None or bench.erased is None:
            continue
        destroyed = d.moves[3] in ("parts", "recycled")
        for n, kind in enumerate(bench.media):
            level, method, tool = ERASING[kind]
            if destroyed:
                level, method, tool = "destroy", "shred", None
            ok, done = bench.erased_ok, at(bench.erased)
            errors = [] if ok else ["verification failed: 12 sectors differ"]
            yield (
                ids.erasure + n, d.id, ids.medium + n, ids.run, level, method, None, 1,
                tool, "0.34" if tool else None, done, done, "none" if destroyed else "full",
                None if destroyed else ok, ok, None, _json(errors), None, person(d.id),
                "api", "{}", None, None, None, None, done, person(d.id),
            )  # fmt: skip


def flags(src: Source) -> Iterator[Row]:
    known, at = src.known, src.at
    for d, bench, ids in known:
        if bench is None or not bench.flagged:
            continue
        resolved = bench.flag_resolved
        yield (
            ids.flag, d.id, ids.snapshot, ids.run, "serial_mismatch", f"SN{d.id:09d}",
            f"SN{d.id + 1:09d}", resolved is None,
            None if resolved is None else "Étiquette du donateur erronée",
            None if resolved is None else at(resolved), None if resolved is None else "coord",
            at(bench.probed or bench.started),
        )  # fmt: skip


def decisions(src: Source) -> Iterator[Row]:
    known, at = src.known, src.at
    for d, _bench, ids in known:
        graded = d.time_of("graded")
        if graded is None:
            continue
        computed, reason = d.grade, None
        if workshop.overridden(d):
            computed = "B" if d.grade != "B" else "C"
            reason = "Rayure profonde sur le capot, non vue par la grille"
        zones = _json({"casing": d.grade, "screen": d.grade})
        yield (
            ids.decision, d.id, ids.run, "graded", computed, d.grade, reason, None, zones,
            "[]", "{}", 1, 1, price(d.category, d.grade), at(graded), person(d.id), None,
        )  # fmt: skip


RUN = ("id", "device_id", "template_id", "open", "outcome", "outcome_detail", "started_at")
RUN += ("started_by", "finished_at", "finished_by")
SNAPSHOT = ("id", "device_id", "run_id", "source", "body", "taken_at", "taken_by")
MEDIUM = ("id", "device_id", "type", "manufacturer", "model", "serial", "size_bytes", "name")
MEDIUM += ("source", "snapshot_id", "replaces_id", "created_at", "created_by")
ERASURE = ("id", "device_id", "medium_id", "run_id", "level", "method", "pattern", "passes")
ERASURE += ("tool", "tool_version", "started_at", "finished_at", "verification_method")
ERASURE += ("verification_passed", "passed", "hidden_areas", "errors", "comment", "operator")
ERASURE += ("source", "report", "report_sha256", "report_name", "reverifies_id", "ledger_seq")
ERASURE += ("recorded_at", "recorded_by")
FLAG = ("id", "device_id", "snapshot_id", "run_id", "kind", "expected", "found", "open")
FLAG += ("resolution", "resolved_at", "resolved_by", "created_at")
DECISION = ("id", "device_id", "run_id", "outcome", "computed_grade", "grade")
DECISION += ("override_reason", "os", "zones", "reasons", "facts", "rules_version")
DECISION += ("grid_version", "price_cents", "decided_at", "decided_by", "ledger_seq")

TABLES = (
    ("refurbishment_run", RUN, runs),
    ("device_snapshot", SNAPSHOT, snapshots),
    ("storage_medium", MEDIUM, media),
    ("erasure_record", ERASURE, erasures),
    ("device_flag", FLAG, flags),
    ("grade_decision", DECISION, decisions),
)
