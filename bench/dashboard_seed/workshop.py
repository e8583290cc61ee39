"""What the bench recorded of each device, derived from its id and its path alone.

The ledger (`history`) and the bench's tables (`tables`) are written in separate
passes over the devices; both read `facts`, whose draws are hashes of the device's
id (not a shared random stream), and whose row ids are counted in device order, so
that both passes agree without keeping a row in memory.

A device that reached the bench has one run (open while it is there), a snapshot
when it was probed, its storage media (none for `other`), their erasures once done
(a few failed: of the devices still at the bench, and of those refurbished or graded
but not listed, the dashboard's blocked devices), a flag
for a few (open until resolved), and a grade decision once graded (a few
overridden).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.dashboard_seed.plan import CLOSED_AFTER, DAY, SPAN, Device, Network

MASK = (1 << 64) - 1
FLAGGED = 0.03
FORGOTTEN = 0.15  # of the flags: resolved after months, if ever
ERASURE_FAILS = 0.2  # of the devices still at the bench whose erasure is recorded
BLOCKED = 0.1  # of those refurbished or graded by the end: the dashboard's blocked devices
OVERRIDDEN = 0.03
MEDIA = {
    "laptop": (("ssd",), ("hdd",), ("ssd", "hdd")),
    "desktop": (("hdd",), ("ssd",), ("ssd", "hdd")),
    "smartphone": (("internal",),),
    "tablet": (("internal",),),
    "basic_phone": (("internal",),),
    "other": ((),),
}


def draw(key: int, salt: int) -> float:
    """A uniform draw in [0, 1) fixed by `key` and `salt` (splitmix64)."""
    x = (key * 0x9E3779B97F4A7C15 + salt * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return (x ^ (x >> 31)) / 2**64


@dataclass(frozen=True, slots=True)
class Bench:
    """One device's pass at the bench, as it stood at the end (times in seconds)."""

    started: int
    ended: int | None  # None: still there
    planned_end: int
    probed: int | None
    media: tuple[str, ...]  # the types of the media known by the end
    media_at: int
    erased: int | None  # when the erasures were recorded
    erased_ok: bool
    flag_resolved: int | None  # when its flag was resolved (flagged only)
    flagged: bool
    steps: int  # checklist steps recorded by the end, the first of
    steps_planned: int  # those its run records

    def step_time(self, n: int, count: int) -> int:
        return _step(self.started, self.planned_end, n, count)


@dataclass(frozen=True, slots=True)
class Ids:
    run: int
    snapshot: int
    medium: int  # the first of its media
    erasure: int  # the first of its erasures
    flag: int
    decision: int


def bench_of(device: Device, steps_base: int = 0, steps_extra: float = 0.0) -> Bench | None:
    if device.reached < 3 or device.moves[2] != "in_refurbishment":
        return None
    started, planned_end = device.times[2], device.times[3]
    ended = planned_end if device.reached > 3 else None
    key = device.id
    options = MEDIA[device.category]
    media = options[int(draw(key, 1) * len(options))]
    media_at = started + 900
    erased = started + max(1800, (planned_end - started) * 3 // 5)
    erased_ok = draw(key, 2) >= ERASURE_FAILS
    if ended is not None:  # only a device not listed yet may lack its evidence
        erased_ok = device.status not in ("refurbished", "graded") or draw(key, 2) >= BLOCKED
    flagged = draw(key, 3) < FLAGGED and started + 600 <= SPAN
    resolved = min(started + 600 + int((1 + 9 * draw(key, 4)) * DAY), planned_end)
    if draw(key, 8) < FORGOTTEN:  # nobody looked at it for months
        resolved = started + int((30 + 370 * draw(key, 4)) * DAY)
    count = steps_base + (1 if draw(key, 5) < steps_extra else 0)
    steps = sum(1 for n in range(1, count + 1) if _step(started, planned_end, n, count) <= SPAN)
    return Bench(
        started=started,
        ended=ended,
        planned_end=planned_end,
        probed=started + 600 if started + 600 <= SPAN else None,
        media=media if media_at <= SPAN else (),
        media_at=media_at,
        erased=erased if erased <= SPAN and media_at <= SPAN else None,
        erased_ok=erased_ok,
        flag_resolved=resolved if flagged and resolved <= SPAN else None,
        flagged=flagged,
        steps=steps,
        steps_planned=count,
    )


def _step(started: int, planned_end: int, n: int, count: int) -> int:
    return started + 1200 + (planned_end - started) * n // (count + 2)


def overridden(device: Device) -> bool:
    return draw(device.id, 6) < OVERRIDDEN


Fact = tuple[Device, Bench | None, Ids]


def facts(network: Network) -> list[Fact]:
    """Every device with its bench facts and its rows' ids, in device order (computed
    once, then read by every table and the ledger)."""
    found: list[Fact] = []
    run = snapshot = medium = erasure = flag = decision = 1
    for device in network.devices:
        bench = bench_of(device, network.steps_base, network.steps_extra)
        found.append((device, bench, Ids(run, snapshot, medium, erasure, flag, decision)))
        if device.grade is not None:
            decision += 1
        if bench is None:
            continue
        run += 1
        snapshot += 1 if bench.probed is not None else 0
        medium += len(bench.media)
        erasure += len(bench.media) if bench.erased is not None else 0
        flag += 1 if bench.flagged else 0
    return found


def events_of(device: Device, bench: Bench | None) -> int:
    """How many ledger events the device has by the end (see `history`)."""
    found = device.reached
    if bench is None:
        return found
    found += (bench.probed is not None) + len(bench.media) + bench.steps
    found += len(bench.media) if bench.erased is not None else 0
    return found + bench.flagged + (bench.flag_resolved is not None)


def calibrate(network: Network) -> None:
    """Set the checklist steps per device so that the ledger holds about
    `network.scale.events` events in all."""
    fixed, weight = _side_events(network), 0.0
    for device in network.devices:
        bench = bench_of(device)
        fixed += events_of(device, bench)
        if bench is not None:
            length = max(1, bench.planned_end - bench.started)
            weight += min(1.0, max(0.0, (SPAN - bench.started) / length))
    share = max(0.0, (network.scale.events - fixed) / max(1.0, weight))
    network.steps_base, network.steps_extra = int(share), share - int(share)


def _side_events(network: Network) -> int:
    """The events of no device: donors, batches, structures, claims (see `history`)."""
    closed = sum(1 for b in network.batches if closed_at(network, b.id) is not None)
    claims = sum(2 if c.handed_over is not None else 1 for c in network.claims)
    return (
        len(network.donors_created)
        + 2 * len(network.batches)
        + closed
        + claims
        + len(network.structures)
    )


def closed_at(network: Network, batch_id: int) -> int | None:
    """When the batch was closed (by the end), or None: all but a few older than two
    months were."""
    batch = network.batches[batch_id - 1]
    if batch.at + CLOSED_AFTER > SPAN or draw(batch_id, 7) < 0.01:
        return None
    return batch.at + int((3 + 20 * draw(batch_id, 8)) * DAY)
