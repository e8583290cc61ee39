"""The network drawn: who gave what when, and each device's path through the pipeline.

Five years end at the run's own clock, so that the dashboard's "now" is the seed's
end. Donations grow over the years (their density rises linearly: the network
grew); a batch's devices are registered together, so device ids follow the time
they were received. Each device then waits at each stage (exponential waits, and a
few stall there for months or years: the backlog's old tail), leaves the bench
refurbished, dismantled for parts or recycled, and the refurbished go on to be
graded, listed, claimed and handed over. What has not happened by the end is cut:
the devices still on their way are the stock. Claims gather devices reserved at
about the same time for one structure; their devices share its reservation and its
handover.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

DAY = 86_400
SPAN = 1826 * DAY  # five years, in seconds
SEED = 20261219

CATEGORIES = ("laptop", "desktop", "smartphone", "tablet", "basic_phone", "other")
CATEGORY_WEIGHTS = (42, 14, 24, 8, 5, 7)
REFURBISHED_SHARE = {
    "laptop": 0.75,
    "desktop": 0.6,
    "smartphone": 0.65,
    "tablet": 0.7,
    "basic_phone": 0.5,
    "other": 0.4,
}
GRADES, GRADE_WEIGHTS = ("A", "B", "C"), (30, 50, 20)
# Mean wait before each move, in days; STALL of the devices wait STALL_FACTOR times longer.
WAITS = {
    "labelled": 3.0,
    "in_refurbishment": 30.0,
    "refurbished": 12.0,
    "parts": 8.0,
    "recycled": 8.0,
    "graded": 3.0,
    "available": 2.0,
    "reserved": 45.0,
    "handed_over": 6.0,
}
STALL, STALL_FACTOR = 0.03, (10.0, 60.0)
LOST = 0.004  # reported lost on the way, before being listed
HANDOVER_WITHIN = 13 * DAY  # a claim is collected before it expires (14 days)
CLAIM_SIZES, CLAIM_SIZE_WEIGHTS = (1, 2, 3, 4, 5, 8), (40, 25, 15, 10, 7, 3)
PENDING, SUSPENDED = 0.05, 0.02  # shares of the structures
CLOSED_AFTER = 60 * DAY  # batches older than that are closed, all but a few
# Batches whose declared counts differ from what arrived: the old ones, and those still
# open (being unpacked, their lists not yet checked).
MISMATCHED, MISMATCHED_OPEN = 0.08, 0.3


@dataclass(frozen=True)
class Scale:
    devices: int
    events: int
    batches: int
    donors: int
    structures: int


FULL = Scale(devices=1_000_000, events=10_000_000, batches=10_000, donors=2_000, structures=500)
QUICK = Scale(devices=20_000, events=200_000, batches=200, donors=40, structures=50)


@dataclass(slots=True)
class Device:
    id: int
    batch_id: int
    category: str
    moves: list[str]  # statuses planned, from "received"
    times: list[int]  # seconds since the start, one per move
    reached: int = 0  # how many moves happened by the end
    grade: str | None = None
    structure_id: int | None = None
    claim_id: int | None = None

    @property
    def status(self) -> str:
        return self.moves[self.reached - 1]

    @property
    def since(self) -> int:
        return self.times[self.reached - 1]

    def time_of(self, status: str) -> int | None:
        """When it reached `status` by the end, or None."""
        for move, at in zip(self.moves[: self.reached], self.times, strict=False):
            if move == status:
                return at
        return None


@dataclass(slots=True)
class Batch:
    id: int
    donor_id: int
    at: int
    size: int
    received: dict[str, int] = field(default_factory=dict)
    declared: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Structure:
    id: int
    created: int
    status: str


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    structure_id: int
    at: int
    handed_over: int | None  # None: still reserved at the end
    devices: tuple[int, ...]


@dataclass
class Network:
    scale: Scale
    start: datetime  # the first instant; times are seconds after it
    donors_created: list[int]
    batches: list[Batch]
    structures: list[Structure]
    devices: list[Device]
    claims: list[Claim]
    # Checklist steps recorded per device at the bench, and the share of the devices
    # recording one more: set by `workshop.calibrate` for the ledger's size.
    steps_base: int = 0
    steps_extra: float = 0.0


def draw(scale: Scale, end: datetime | None = None) -> Network:
    """The whole network, deterministic for a scale and an end."""
    end = end or datetime.now(UTC)
    rng = random.Random(SEED)
    batches = _batches(rng, scale)
    devices = [
        _device(rng, b, i, len_before + i + 1)
        for b, len_before in zip(batches, _offsets(batches), strict=True)
        for i in range(b.size)
    ]
    structures = _structures(rng, scale)
    claims = _claims(rng, devices, structures)
    for d in devices:
        d.reached = bisect.bisect_right(d.times, SPAN)
        if d.grade is None and "graded" in d.moves[: d.reached]:
            d.grade = rng.choices(GRADES, GRADE_WEIGHTS)[0]
    _declare(rng, batches, devices)
    donors = [SPAN] * scale.donors
    for b in batches:
        donors[b.donor_id - 1] = min(donors[b.donor_id - 1], max(0, b.at - 3 * DAY))
    donors = [at if at < SPAN else rng.randrange(SPAN) for at in donors]
    start = end - timedelta(seconds=SPAN)
    return Network(scale, start, donors, batches, structures, devices, claims)


def _batches(rng: random.Random, scale: Scale) -> list[Batch]:
    times = sorted(int(SPAN * math.sqrt(rng.random())) for _ in range(scale.batches))
    weights = [rng.lognormvariate(0, 0.8) for _ in times]
    total = sum(weights)
    sizes = [max(1, int(w / total * scale.devices)) for w in weights]
    sizes[-1] += scale.devices - sum(sizes)  # exactly `scale.devices`
    while sizes[-1] < 1:  # rounding took too much: take it back from the largest
        largest = max(range(len(sizes)), key=sizes.__getitem__)
        sizes[largest] -= 1 - sizes[-1]
        sizes[-1] = 1
    # Some donors give often: a skewed draw of the donor.
    return [
        Batch(id=n + 1, donor_id=int(scale.donors * rng.random() ** 2) + 1, at=at, size=size)
        for n, (at, size) in enumerate(zip(times, sizes, strict=True))
    ]


def _offsets(batches: list[Batch]) -> list[int]:
    found, total = [], 0
    for b in batches:
        found.append(total)
        total += b.size
    return found


def _wait(rng: random.Random, status: str) -> int:
    wait = rng.expovariate(1 / WAITS[status]) * DAY
    if rng.random() < STALL:
        wait *= rng.uniform(*STALL_FACTOR)
    return int(wait) + 60


def _device(rng: random.Random, batch: Batch, index: int, device_id: int) -> Device:
    category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
    batch.received[category] = batch.received.get(category, 0) + 1
    if rng.random() < REFURBISHED_SHARE[category]:
        path = ["labelled", "in_refurbishment", "refurbished", "graded", "available"]
        path += ["reserved", "handed_over"]
    else:
        exit_ = "parts" if rng.random() < 0.5 else "recycled"
        path = ["labelled", "in_refurbishment", exit_]
    if rng.random() < LOST:
        path = [*path[: rng.randrange(min(len(path), 5))], "lost"]
    at = batch.at + index * 3  # an import registers a batch's devices together
    moves, times = ["received"], [at]
    for status in path:
        at += _wait(rng, "labelled" if status == "lost" else status)
        moves.append(status)
        times.append(at)
    return Device(device_id, batch.id, category, moves, times)


def _structures(rng: random.Random, scale: Scale) -> list[Structure]:
    created = sorted(
        0 if n < max(1, scale.structures // 10) else rng.randrange(SPAN)
        for n in range(scale.structures)
    )
    pending = max(1, int(scale.structures * PENDING))
    found = []
    for n, at in enumerate(created):
        status = "suspended" if rng.random() < SUSPENDED else "active"
        if n >= scale.structures - pending:  # the newest ones wait for approval
            at, status = SPAN - rng.randrange(90 * DAY), "pending"
        found.append(Structure(n + 1, at, status))
    return found


def _claims(rng: random.Random, devices: list[Device], structures: list[Structure]) -> list[Claim]:
    """Claims of devices reserved at about the same time, each for an active structure
    that existed then; their devices take the claim's reservation and handover times."""
    active = [s for s in structures if s.status == "active"]
    created = [s.created for s in active]
    wanted = sorted(
        (d.times[d.moves.index("reserved")], d.id) for d in devices if "reserved" in d.moves
    )
    claims: list[Claim] = []
    at = 0
    while at < len(wanted):
        size = rng.choices(CLAIM_SIZES, CLAIM_SIZE_WEIGHTS)[0]
        group = wanted[at : at + size]
        at += size
        reserved = group[-1][0]  # every device of it was listed by then
        handed = reserved + min(_wait(rng, "handed_over"), HANDOVER_WITHIN)
        structure = active[rng.randrange(max(1, bisect.bisect_right(created, reserved)))]
        for _, device_id in group:
            d = devices[device_id - 1]
            index = d.moves.index("reserved")
            d.times[index], d.times[index + 1] = reserved, handed
        if reserved > SPAN:
            continue  # claimed after the end: its devices are still listed
        claim = Claim(len(claims) + 1, structure.id, reserved, handed, tuple(i for _, i in group))
        for device_id in claim.devices:
            devices[device_id - 1].structure_id = structure.id
            devices[device_id - 1].claim_id = claim.id
        claims.append(claim if handed <= SPAN else _still_reserved(claim))
    return claims


def _still_reserved(claim: Claim) -> Claim:
    return Claim(claim.id, claim.structure_id, claim.at, None, claim.devices)


def _declare(rng: random.Random, batches: list[Batch], devices: list[Device]) -> None:
    """What donors declared: what arrived, but for a few batches a count or two off."""
    for b in batches:
        b.declared = dict(b.received)
        if rng.random() < (MISMATCHED if b.at + CLOSED_AFTER <= SPAN else MISMATCHED_OPEN):
            category = rng.choice(CATEGORIES)
            b.declared[category] = max(0, b.declared.get(category, 0) + rng.choice((-3, -1, 1, 2)))
            if not b.declared[category]:
                del b.declared[category]
