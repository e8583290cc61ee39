"""The dashboard's view models: what each panel's query (`reporting.dashboard`) returns,
in numbers, codes, ISO times and Messages; the pages format them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

from db.clock import parse_iso
from db.enums import Status
from db.errors import Message
from db.lifecycle import MAIN_PATH
from distribution.rules import Period

PIPELINE: tuple[Status, ...] = MAIN_PATH[:-1]  # received … reserved: still with us


@dataclass(frozen=True)
class StockCell:
    status: str
    category: str
    grade: str | None
    devices: int


@dataclass(frozen=True)
class Stock:
    cells: list[StockCell]  # the pipeline's statuses, by category and grade
    since_start: dict[str, int]  # flow → devices through it since the start
    lost: int

    def by_status(self) -> dict[str, int]:
        found = dict.fromkeys((s.value for s in PIPELINE), 0)
        for cell in self.cells:
            found[cell.status] += cell.devices
        return found

    @property
    def total(self) -> int:
        return sum(cell.devices for cell in self.cells)


@dataclass(frozen=True)
class Week:
    year: int
    week: int
    monday: date
    devices: dict[str, int]  # flow → devices that week


@dataclass(frozen=True)
class Throughput:
    weeks: list[Week]  # oldest first, the current (partial) week last
    counted_to: str | None  # the time of the newest event counted, if any


@dataclass(frozen=True)
class Waiting:
    code: str
    category: str
    since: str
    days: int


@dataclass(frozen=True)
class Stage:
    status: str
    devices: int
    oldest: list[Waiting]  # those waiting longest, longest first

    @property
    def oldest_days(self) -> int | None:
        return self.oldest[0].days if self.oldest else None


def age_days(since: str, now: datetime) -> int:
    return max(0, (now - parse_iso(since)).days)


@dataclass(frozen=True)
class CategoryGap:
    category: str
    declared: int
    received: int


@dataclass(frozen=True)
class BatchGap:
    id: int
    donor: str
    pickup_date: date
    site: str
    closed: bool
    gaps: list[CategoryGap]  # the categories whose counts differ

    @property
    def declared(self) -> int:
        return sum(g.declared for g in self.gaps)

    @property
    def received(self) -> int:
        return sum(g.received for g in self.gaps)


T = TypeVar("T")


@dataclass(frozen=True)
class Listed(Generic[T]):
    """A panel's list as shown, and how many more there are (at least, if `capped`: the
    count stopped at `reporting.dashboard.COUNT_MAX`)."""

    rows: list[T] = field(default_factory=list)
    total: int = 0
    capped: bool = False

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


@dataclass(frozen=True)
class Blocked:
    code: str
    status: str
    category: str
    since: str | None
    reasons: list[Message]  # why its data is not erased yet, medium by medium


@dataclass(frozen=True)
class Flagged:
    flag_id: int
    code: str
    status: str
    kind: str
    expected: str
    found: str
    created_at: str


@dataclass(frozen=True)
class Stuck:
    erasure: Listed[Blocked]
    flags: Listed[Flagged]


@dataclass(frozen=True)
class Expiring:
    claim_id: int
    structure_id: int
    structure: str
    expires_at: str
    devices: int


@dataclass(frozen=True)
class Pending:
    id: int
    name: str
    city: str | None
    departement: str | None
    created_at: str


@dataclass(frozen=True)
class QuotaLine:
    category: str
    quota: int
    used: int
    remaining: int


@dataclass(frozen=True)
class QuotaUse:
    id: int
    name: str
    lines: list[QuotaLine]

    @property
    def fullest(self) -> float:
        """The largest share of a quota used (1.0: a category is used up)."""
        return max(
            (ln.used / ln.quota if ln.quota else 1.0 for ln in self.lines if ln.used or ln.quota),
            default=0.0,
        )


@dataclass(frozen=True)
class Structures:
    pending: Listed[Pending]
    active: Listed[QuotaUse]  # the fullest first
    period: Period


@dataclass(frozen=True)
class Override:
    decision_id: int
    code: str
    category: str
    computed_grade: str | None
    grade: str | None
    reason: str
    decided_at: str
    decided_by: str


@dataclass(frozen=True)
class Overview:
    now: datetime
    stock: Stock
    throughput: Throughput
    backlog: list[Stage]
    batches: Listed[BatchGap]
    stuck: Stuck
    expiring: Listed[Expiring]
    structures: Structures
    overrides: Listed[Override]
