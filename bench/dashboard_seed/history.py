"""The ledger of the seeded network, streamed in time order.

Every device's moves (its path up to the end), what the bench recorded (probe,
media, checklist steps, erasures, flags) and the events of no device (donors,
batches, structures, claims) become `ledger_event` rows whose `seq` follows their
time, as the ledger's own are. Their payloads have the real shape (`changes` as
`[before, after]`, ids of the rows they concern, canonical JSON). Their hashes are not
row hashes: each is the SHA-256 of its `seq`, and each row's `prev_hash` is the
previous row's `hash`, so the chain links but does not verify (`remise ledger verify`
would refuse it at the first row). The dashboard never reads the ledger per request,
which is what this benchmark checks; bench.ledger measures verification.

Devices come in id order, which is the order they were received in; their events lie
at or after that moment, so events are kept in one bucket per day and a day is
sorted and written once the devices reach the next one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from bench.dashboard_seed import workshop
from bench.dashboard_seed.plan import DAY, SPAN, Device, Network
from bench.dashboard_seed.texts import Stamps, code_of, person, price
from bench.dashboard_seed.texts import as_json as dumps
from bench.dashboard_seed.workshop import Bench, Fact, Ids
from db.canonical import GENESIS_HASH
from refurbish.defaults import DEFAULTS

COLUMNS = ("seq", "at", "actor", "device_id", "type", "payload", "prev_hash", "hash")
MOVE_EVENTS = {
    "labelled": "device.labelled",
    "in_refurbishment": "device.refurbishment_started",
    "refurbished": "device.refurbished",
    "graded": "device.graded",
    "available": "device.made_available",
    "reserved": "device.reserved",
    "handed_over": "device.handed_over",
    "parts": "device.dismantled",
    "recycled": "device.recycled",
    "lost": "device.lost",
}
Pending = tuple[int, int, int, str, str, str]  # micros, device, order, type, actor, payload


def rows(network: Network, known: list[Fact]) -> Iterator[tuple[Any, ...]]:
    """Every ledger row, in `seq` order (`known`: `workshop.facts(network)`)."""
    stamps = Stamps(network.start)
    days: list[list[Pending]] = [[] for _ in range(SPAN // DAY + 2)]
    for event in _side_events(network):
        days[event[0] // 1_000_000 // DAY].append(event)
    state = {"seq": 0, "prev": GENESIS_HASH}
    flushed = 0
    for device, bench, ids in known:
        today = device.times[0] // DAY
        while flushed < today:
            yield from _write(days, flushed, stamps, state)
            flushed += 1
        for event in _device_events(network, device, bench, ids):
            days[event[0] // 1_000_000 // DAY].append(event)
    while flushed < len(days):
        yield from _write(days, flushed, stamps, state)
        flushed += 1


def _write(
    days: list[list[Pending]], day: int, stamps: Stamps, state: dict[str, Any]
) -> Iterator[tuple[Any, ...]]:
    bucket, days[day] = days[day], []
    bucket.sort()
    seq, prev = state["seq"], state["prev"]
    for micros, device_id, _order, type_, actor, payload in bucket:
        seq += 1
        digest = hashlib.sha256(seq.to_bytes(8, "big")).hexdigest()
        at = stamps.at(micros // 1_000_000, micros % 1_000_000)
        yield (seq, at, actor, device_id or None, type_, payload, prev, digest)
        prev = digest
    state["seq"], state["prev"] = seq, prev


def _micros(seconds: int, key: int) -> int:
    return seconds * 1_000_000 + key * 7919 % 1_000_000


def move_micros(device: Device, n: int) -> int:
    """When the device's `n`-th move happened, in microseconds (a claim's moves share
    its instant, as one transaction makes them)."""
    claimed = device.moves[n] in ("reserved", "handed_over")
    return _micros(device.times[n], device.claim_id if claimed and device.claim_id else device.id)


def _side_events(network: Network) -> Iterator[Pending]:
    order = iter(range(1, 1 << 62))
    for n, at in enumerate(network.donors_created, start=1):
        about = {"donor_id": n, "name": f"Donateur {n}"}
        yield _micros(at, n), 0, next(order), "donor.created", person(n), dumps(about)
    for b in network.batches:
        about = {"batch_id": b.id, "declared": b.declared, "donor_id": b.donor_id}
        created = max(0, b.at - 3600)
        yield _micros(created, b.id), 0, next(order), "batch.created", person(b.id), dumps(about)
        about = {"batch_id": b.id, "created": b.size, "file_sha256": _sha(b.id)}
        imported = max(0, _micros(b.at, b.id) - 1)  # before its devices' events
        yield imported, 0, next(order), "batch.imported", person(b.id), dumps(about)
        closed = workshop.closed_at(network, b.id)
        if closed is not None:
            about = {"batch_id": b.id, "received": b.received}
            yield _micros(closed, b.id), 0, next(order), "batch.closed", "coord", dumps(about)
    for s in network.structures:
        about = {"name": f"Structure {s.id}", "structure_id": s.id}
        yield _micros(s.created, s.id), 0, next(order), "structure.created", "coord", dumps(about)
    for c in network.claims:
        actor, codes_ = f"structure-{c.structure_id}", [code_of(d) for d in c.devices]
        about = {"claim_id": c.id, "devices": codes_, "structure_id": c.structure_id}
        yield _micros(c.at, c.id), 0, next(order), "claim.created", actor, dumps(about)
        if c.handed_over is not None:
            about = {"claim_id": c.id, "devices": codes_}
            at = _micros(c.handed_over, c.id)
            yield at, 0, next(order), "claim.handed_over", person(c.id), dumps(about)


def _sha(key: int) -> str:
    return hashlib.sha256(key.to_bytes(8, "big")).hexdigest()


def _device_events(
    network: Network, device: Device, bench: Bench | None, ids: Ids
) -> Iterator[Pending]:
    key, order = device.id, iter(range(1, 1000))
    for n, (type_, actor, about) in enumerate(_moves(network, device)):
        yield move_micros(device, n), key, next(order), type_, actor, dumps(about)
    if bench is not None:
        for at, type_, about in _bench_events(device, bench, ids):
            yield _micros(at, key + at), key, next(order), type_, person(key), dumps(about)


def _moves(network: Network, device: Device) -> Iterator[tuple[str, str, dict[str, Any]]]:
    received = {
        "batch_id": [None, device.batch_id],
        "category": [None, device.category],
        "code": [None, code_of(device.id)],
        "status": [None, "received"],
    }
    yield "device.received", person(device.batch_id), {"changes": received}
    for n in range(1, device.reached):
        before, after = device.moves[n - 1], device.moves[n]
        changes: dict[str, Any] = {"status": [before, after]}
        about: dict[str, Any] = {"changes": changes}
        actor = person(device.id + n)
        if after == "graded":
            changes["grade"] = [None, device.grade]
            changes["price_cents"] = [None, price(device.category, device.grade)]
        elif after == "reserved":
            changes["structure_id"] = [None, device.structure_id]
            about["claim_id"], actor = device.claim_id, f"structure-{device.structure_id}"
        elif after == "handed_over":
            about["claim_id"] = device.claim_id
        yield MOVE_EVENTS[after], actor, about


def _bench_events(device: Device, bench: Bench, ids: Ids) -> Iterator[tuple[int, str, Any]]:
    if bench.probed is not None:
        yield bench.probed, "device.probed", {"run_id": ids.run, "snapshot_id": ids.snapshot}
        if bench.flagged:
            about = {"flag_id": ids.flag, "kind": "serial_mismatch", "run_id": ids.run}
            yield bench.probed, "device.flagged", about
    for n, type_ in enumerate(bench.media):
        yield bench.media_at, "device.medium_added", {"medium_id": ids.medium + n, "type": type_}
    steps = DEFAULTS[device.category]
    for n in range(1, bench.steps + 1):
        step = steps[(device.id + n) % len(steps)]["key"]
        about = {"key": step, "run_id": ids.run, "state": "passed"}
        yield bench.step_time(n, bench.steps_planned), "run.step_recorded", about
    if bench.erased is not None:
        level = "destroy" if device.moves[3] in ("parts", "recycled") else "purge"
        for n in range(len(bench.media)):
            about = {"erasure_id": ids.erasure + n, "level": level, "medium_id": ids.medium + n}
            about["passed"] = bench.erased_ok
            yield bench.erased, "device.erasure_recorded", about
    if bench.flag_resolved is not None:
        yield bench.flag_resolved, "device.flag_resolved", {"flag_id": ids.flag}
