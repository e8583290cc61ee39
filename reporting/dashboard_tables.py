"""The dashboard's tables in the reader's language: each panel's figures as headers and
rows of cells, which the page shows (with links) and the exports write (numbers as
numbers, times in the installation's time zone). One definition per table, so the page
and its CSV and XLSX files always hold the same figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from db import codes
from db.clock import parse_iso
from db.enums import CATEGORY_LABELS, STATUS_LABELS, Category, Status
from db.errors import N_
from refurbish.hardware.compare import MESSAGES as FLAG_MESSAGES
from remise.i18n import localise, number, translate
from reporting import dashboard_views as v
from reporting.models import FLOW_LABELS, Flow


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Cell:
    value: object  # what a CSV or XLSX file holds
    text: str  # what the page shows
    href: str | None = None
    links: tuple[Link, ...] = ()
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    name: str  # its anchor on the page, and the name of its files
    caption: str
    headers: list[str]
    rows: list[list[Cell]]
    more: int = 0  # rows left out of the page (the files hold up to EXPORT_LIMIT)
    empty: str = ""  # what the page says when there is no row
    capped: bool = False  # `more` is a lower bound: the count stopped there

    def export_rows(self) -> list[list[object]]:
        return [[cell.value for cell in row] for row in self.rows]


@dataclass(frozen=True)
class Words:
    """How the tables write numbers, days and times in one language and zone."""

    locale: str
    zone: ZoneInfo

    def t(self, message: str, **params: object) -> str:
        return translate(self.locale, message, **params)

    def n(self, value: int) -> Cell:
        return Cell(value, number(self.locale, value), numeric=True)

    def status(self, status: str) -> str:
        return self.t(STATUS_LABELS[Status(status)])

    def category(self, category: str) -> str:
        known = category in {c.value for c in Category}
        return self.t(CATEGORY_LABELS[Category(category)]) if known else category

    def day(self, day: date) -> Cell:
        return Cell(day, format_date(day, "medium", locale=self.locale))

    def when(self, stamp: str | None) -> Cell:
        if not stamp:
            return Cell(None, "")
        moment = parse_iso(stamp).astimezone(self.zone)
        text = format_datetime(moment, "medium", tzinfo=self.zone, locale=self.locale)
        return Cell(moment.replace(tzinfo=None), text)


def text(value: str | None) -> Cell:
    return Cell(value or "", value or "")


def device_link(code: str) -> str:
    return f"/bench/devices/{codes.display(code)}"


def device(code: str) -> Cell:
    shown = codes.display(code)
    return Cell(shown, shown, href=device_link(code))


GRADE_COLUMNS: tuple[str | None, ...] = (*("A", "B", "C"), None)


def stock_table(w: Words, stock: v.Stock) -> Table:
    sums: dict[tuple[str, str], dict[str | None, int]] = {}
    for cell in stock.cells:
        grade = cell.grade if cell.grade in GRADE_COLUMNS else None
        by_grade = sums.setdefault((cell.status, cell.category), {})
        by_grade[grade] = by_grade.get(grade, 0) + cell.devices
    rows = [
        [text(w.status(status)), text(w.category(category))]
        + [w.n(found.get(g, 0)) for g in GRADE_COLUMNS]
        + [w.n(sum(found.values()))]
        for (status, category), found in sums.items()
    ]
    if rows:
        columns = [sum(f.get(g, 0) for f in sums.values()) for g in GRADE_COLUMNS]
        rows.append(
            [text(w.t(N_("Total"))), text("")] + [w.n(n) for n in columns] + [w.n(stock.total)]
        )
    return Table(
        "stock",
        w.t(N_("Devices in the pipeline, by stage, category and grade")),
        [w.t(N_("Stage")), w.t(N_("Category"))]
        + [w.t(N_("Grade %(grade)s"), grade=g) if g else w.t(N_("No grade")) for g in GRADE_COLUMNS]
        + [w.t(N_("Total"))],
        rows,
        empty=w.t(N_("No device in the pipeline.")),
    )


def totals_table(w: Words, stock: v.Stock) -> Table:
    rows = [[text(w.t(FLOW_LABELS[f])), w.n(stock.since_start.get(f.value, 0))] for f in Flow]
    rows.append([text(w.status(Status.LOST.value)), w.n(stock.lost)])
    return Table(
        "totals",
        w.t(N_("Devices through each flow since the start, and devices lost")),
        [w.t(N_("Flow")), w.t(N_("Devices"))],
        rows,
    )


def week_label(w: Words, week: v.Week) -> str:
    return w.t(N_("W%(week)s %(year)s"), week=week.week, year=week.year)


def throughput_table(w: Words, flows: v.Throughput) -> Table:
    rows = [
        [text(week_label(w, week)), w.day(week.monday)]
        + [w.n(week.devices.get(f.value, 0)) for f in Flow]
        for week in flows.weeks
    ]
    return Table(
        "throughput",
        w.t(N_("Devices per week, by flow")),
        [w.t(N_("Week")), w.t(N_("From"))] + [w.t(FLOW_LABELS[f]) for f in Flow],
        rows,
    )


def days_text(w: Words, days: int) -> str:
    return translate(w.locale, N_("%(days)s d"), days=number(w.locale, days))


def backlog_table(w: Words, stages: Sequence[v.Stage]) -> Table:
    rows = []
    for stage in stages:
        links = tuple(
            Link(f"{codes.display(o.code)} ({days_text(w, o.days)})", device_link(o.code))
            for o in stage.oldest
        )
        oldest = stage.oldest_days
        rows.append(
            [
                text(w.status(stage.status)),
                w.n(stage.devices),
                w.n(oldest) if oldest is not None else Cell(None, "—"),
                Cell(", ".join(link.text for link in links), "", links=links),
            ]
        )
    return Table(
        "backlog",
        w.t(N_("Devices waiting at each stage, and those waiting longest")),
        [
            w.t(N_("Stage")),
            w.t(N_("Devices")),
            w.t(N_("Oldest (days)")),
            w.t(N_("Waiting longest")),
        ],
        rows,
    )


def batches_table(w: Words, batches: v.Listed[v.BatchGap]) -> Table:
    rows = []
    for b in batches.rows:
        gaps = "; ".join(
            w.t(
                N_("%(category)s: %(received)s received of %(declared)s declared"),
                category=w.category(g.category),
                received=number(w.locale, g.received),
                declared=number(w.locale, g.declared),
            )
            for g in b.gaps
        )
        batch = w.t(N_("Batch %(id)s"), id=b.id)
        rows.append(
            [
                Cell(b.id, batch, href=f"/intake/batches/{b.id}"),
                text(b.donor),
                w.day(b.pickup_date),
                text(b.site),
                text(w.t(N_("closed")) if b.closed else w.t(N_("open"))),
                text(gaps),
            ]
        )
    return Table(
        "batches",
        w.t(N_("Batches whose counts are not reconciled")),
        [
            w.t(N_("Batch")),
            w.t(N_("Donor")),
            w.t(N_("Pickup")),
            w.t(N_("Site")),
            w.t(N_("State")),
            w.t(N_("Differences")),
        ],
        rows,
        batches.more,
        w.t(N_("Every batch's received counts match its declared counts.")),
    )


def erasure_table(w: Words, blocked: v.Listed[v.Blocked]) -> Table:
    rows = [
        [
            device(b.code),
            text(w.status(b.status)),
            text(w.category(b.category)),
            w.when(b.since),
            text("; ".join(str(localise(w.locale, r)) for r in b.reasons)),
        ]
        for b in blocked.rows
    ]
    return Table(
        "erasure",
        w.t(N_("Refurbished or graded devices whose data is not erased yet")),
        [
            w.t(N_("Device")),
            w.t(N_("Status")),
            w.t(N_("Category")),
            w.t(N_("Since")),
            w.t(N_("What is missing")),
        ],
        rows,
        blocked.more,
        w.t(N_("No device waits for its erasure.")),
    )


def flags_table(w: Words, flags: v.Listed[v.Flagged]) -> Table:
    rows = []
    for f in flags.rows:
        said = FLAG_MESSAGES.get(f.kind)
        what = w.t(said, expected=f.expected, found=f.found) if said else f.kind
        rows.append([device(f.code), text(w.status(f.status)), text(what), w.when(f.created_at)])
    return Table(
        "flags",
        w.t(N_("Devices flagged by probing, not resolved")),
        [w.t(N_("Device")), w.t(N_("Status")), w.t(N_("Flag")), w.t(N_("Flagged on"))],
        rows,
        flags.more,
        w.t(N_("No open flag.")),
        flags.capped,
    )


def claims_table(w: Words, claims: v.Listed[v.Expiring], now: datetime) -> Table:
    rows = [
        [
            Cell(c.claim_id, w.t(N_("Claim %(id)s"), id=c.claim_id), href=f"/claims/{c.claim_id}"),
            Cell(c.structure, c.structure, href=f"/structures/{c.structure_id}"),
            w.n(c.devices),
            w.when(c.expires_at),
            w.n(max(0, int((parse_iso(c.expires_at) - now).total_seconds() // 3600))),
        ]
        for c in claims.rows
    ]
    return Table(
        "claims",
        w.t(N_("Reservations about to expire")),
        [
            w.t(N_("Claim")),
            w.t(N_("Structure")),
            w.t(N_("Devices held")),
            w.t(N_("Expires")),
            w.t(N_("Hours left")),
        ],
        rows,
        claims.more,
        w.t(N_("No reservation expires within the reminder window.")),
    )


def pending_table(w: Words, pending: v.Listed[v.Pending]) -> Table:
    rows = [
        [
            Cell(p.name, p.name, href=f"/structures/{p.id}"),
            text(p.city),
            text(p.departement),
            w.when(p.created_at),
        ]
        for p in pending.rows
    ]
    return Table(
        "pending",
        w.t(N_("Structures waiting for approval")),
        [w.t(N_("Structure")), w.t(N_("City")), w.t(N_("Département")), w.t(N_("Signed up"))],
        rows,
        pending.more,
        w.t(N_("No structure waits for approval.")),
    )


def quotas_table(w: Words, found: v.Structures) -> Table:
    rows = []
    for use in found.active.rows:
        name = Cell(use.name, use.name, href=f"/structures/{use.id}")
        if not use.lines:
            rows.append([name, text(w.t(N_("no quota"))), w.n(0), w.n(0), w.n(0)])
        for line in use.lines:
            rows.append(
                [
                    name,
                    text(w.category(line.category)),
                    w.n(line.quota),
                    w.n(line.used),
                    w.n(line.remaining),
                ]
            )
    return Table(
        "quotas",
        w.t(
            N_("Quota use of the active structures, %(start)s to %(end)s"),
            start=format_date(found.period.start, "medium", locale=w.locale),
            end=format_date(found.period.end - timedelta(days=1), "medium", locale=w.locale),
        ),
        [
            w.t(N_("Structure")),
            w.t(N_("Category")),
            w.t(N_("Quota")),
            w.t(N_("Used")),
            w.t(N_("Remaining")),
        ],
        rows,
        found.active.more,
        w.t(N_("No active structure.")),
    )


def overrides_table(w: Words, found: v.Listed[v.Override]) -> Table:
    rows = [
        [
            device(o.code),
            text(w.category(o.category)),
            text(o.computed_grade or "—"),
            text(o.grade or "—"),
            text(o.reason),
            w.when(o.decided_at),
            text(o.decided_by),
        ]
        for o in found.rows
    ]
    return Table(
        "overrides",
        w.t(N_("Grades set by hand, newest first")),
        [
            w.t(N_("Device")),
            w.t(N_("Category")),
            w.t(N_("Computed grade")),
            w.t(N_("Grade set")),
            w.t(N_("Reason")),
            w.t(N_("Decided on")),
            w.t(N_("By")),
        ],
        rows,
        found.more,
        w.t(N_("No grade was set by hand.")),
        found.capped,
    )
