"""The coordinators' dashboard, `/dashboard`: the stock, the flows per week, how long
devices wait at each stage, the batches, devices and reservations that need someone,
the structures' approvals and quotas, the grades set by hand. Each panel shows a chart
(patterns and words, not colour alone) beside its figures as a table, and each table
downloads as CSV or XLSX (`/dashboard/{table}.csv`, `.xlsx`) with the same figures,
up to EXPORT_LIMIT rows where the page shows LIST_LIMIT.

The figures come from `reporting.dashboard` (its queries, timed by bench/dashboard.py),
the tables from `reporting.dashboard_tables`; this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from db.clock import utcnow
from db.errors import N_, NotFound
from remise.auth import Actor, Permission
from remise.deps import SessionDep, get_settings
from remise.pages import page_locale, page_require, render
from remise.settings import Settings
from reporting import charts, dashboard, exports
from reporting import dashboard_tables as tables
from reporting.dashboard_views import PIPELINE, Overview, Structures
from reporting.models import FLOW_LABELS, Flow

router = APIRouter(include_in_schema=False)
Reader = Annotated[Actor, Depends(page_require(Permission.DASHBOARD_READ))]
TableName = Annotated[str, Path(max_length=40, pattern=r"^[a-z]+$")]


class TableNotFound(NotFound):
    code = "dashboard_table_not_found"
    message = N_("The dashboard has no table “%(name)s”: its tables are %(names)s.")


@dataclass(frozen=True)
class Panel:
    id: str
    title: str
    tables: list[tables.Table]
    chart: Markup | None = None
    notes: list[str] = field(default_factory=list)


def now_of(request: Request) -> datetime:
    """What the app takes for now (tests turn `app.state.clock`, as claims read it)."""
    clock: Callable[[], datetime] = getattr(request.app.state, "clock", utcnow)
    return clock()


def words_of(request: Request) -> tables.Words:
    return tables.Words(page_locale(request), ZoneInfo(get_settings(request).timezone))


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, session: SessionDep, _actor: Reader) -> Response:
    """Every panel, each with its chart, its table and its files."""
    now, settings, w = now_of(request), get_settings(request), words_of(request)
    view = dashboard.overview(session, now=now, settings=settings)
    panels = panels_of(w, view, settings)
    return render(request, "reporting/dashboard.html", {"panels": panels, "now": now})


@router.get("/dashboard/{table}.csv", response_class=Response)
def dashboard_csv(table: TableName, request: Request, session: SessionDep, _a: Reader) -> Response:
    """One table of the dashboard as CSV (`;`, UTF-8), every row up to EXPORT_LIMIT."""
    found, now = _export(request, session, table)
    return exports.csv_response(_file(found, now), found.headers, found.export_rows())


@router.get("/dashboard/{table}.xlsx", response_class=Response)
def dashboard_xlsx(table: TableName, request: Request, session: SessionDep, _a: Reader) -> Response:
    """One table of the dashboard as an XLSX workbook, every row up to EXPORT_LIMIT."""
    found, now = _export(request, session, table)
    return exports.xlsx_response(
        _file(found, now), found.headers, found.export_rows(), sheet=found.caption
    )


def _file(table: tables.Table, now: datetime) -> str:
    return f"remise-{table.name}-{now.date().isoformat()}"


def _export(request: Request, session: Session, name: str) -> tuple[tables.Table, datetime]:
    make = EXPORTS.get(name)
    if make is None:
        raise TableNotFound(name=name, names=", ".join(EXPORTS))
    now = now_of(request)
    return make(session, words_of(request), now, get_settings(request)), now


Export = Callable[[Session, tables.Words, datetime, Settings], tables.Table]
LIMIT = dashboard.EXPORT_LIMIT
EXPORTS: dict[str, Export] = {
    "stock": lambda s, w, now, _st: tables.stock_table(w, dashboard.stock(s, now=now)),
    "totals": lambda s, w, now, _st: tables.totals_table(w, dashboard.stock(s, now=now)),
    "throughput": lambda s, w, now, _st: tables.throughput_table(
        w, dashboard.throughput(s, now=now)
    ),
    "backlog": lambda s, w, now, _st: tables.backlog_table(w, dashboard.backlog(s, now=now)),
    "batches": lambda s, w, now, _st: tables.batches_table(
        w, dashboard.unreconciled_batches(s, now=now, limit=LIMIT)
    ),
    "erasure": lambda s, w, now, _st: tables.erasure_table(
        w, dashboard.unerased(s, now=now, limit=LIMIT)
    ),
    "flags": lambda s, w, now, _st: tables.flags_table(
        w, dashboard.open_flags(s, now=now, limit=LIMIT)
    ),
    "claims": lambda s, w, now, st: tables.claims_table(
        w,
        dashboard.expiring_claims(s, now=now, reminder_days=st.claim_reminder_days, limit=LIMIT),
        now,
    ),
    "pending": lambda s, w, now, st: tables.pending_table(
        w, _structures(s, now, st, LIMIT).pending
    ),
    "quotas": lambda s, w, now, st: tables.quotas_table(w, _structures(s, now, st, LIMIT)),
    "overrides": lambda s, w, now, _st: tables.overrides_table(
        w, dashboard.overrides(s, now=now, limit=LIMIT)
    ),
}


def _structures(session: Session, now: datetime, settings: Settings, limit: int) -> Structures:
    quotas = dashboard.quota_policy(settings)
    return dashboard.structures(session, now=now, quotas=quotas, limit=limit)


def panels_of(w: tables.Words, view: Overview, settings: Settings) -> list[Panel]:
    """The page's panels, in the order of its link bar."""
    flows = view.throughput
    counted = (
        w.t(N_("Counted up to %(when)s."), when=w.when(flows.counted_to).text)
        if flows.counted_to
        else w.t(N_("Nothing counted yet: the flows are counted every minute."))
    )
    window = w.t(
        N_("Held claims that end within %(days)s days, when their structure gets a reminder."),
        days=settings.claim_reminder_days,
    )
    return [
        Panel(
            "stock",
            w.t(N_("Stock")),
            [tables.stock_table(w, view.stock), tables.totals_table(w, view.stock)],
            stock_chart(w, view),
        ),
        Panel(
            "throughput",
            w.t(N_("Throughput per week")),
            [tables.throughput_table(w, flows)],
            throughput_chart(w, view),
            [counted],
        ),
        Panel(
            "backlog",
            w.t(N_("Waiting time")),
            [tables.backlog_table(w, view.backlog)],
            backlog_chart(w, view),
        ),
        Panel("batches", w.t(N_("Batches to reconcile")), [tables.batches_table(w, view.batches)]),
        Panel(
            "blocked",
            w.t(N_("Devices held up")),
            [
                tables.erasure_table(w, view.stuck.erasure),
                tables.flags_table(w, view.stuck.flags),
            ],
        ),
        Panel(
            "claims",
            w.t(N_("Reservations about to expire")),
            [tables.claims_table(w, view.expiring, view.now)],
            notes=[window],
        ),
        Panel(
            "structures",
            w.t(N_("Partner structures")),
            [
                tables.pending_table(w, view.structures.pending),
                tables.quotas_table(w, view.structures),
            ],
        ),
        Panel(
            "overrides",
            w.t(N_("Grades set by hand")),
            [tables.overrides_table(w, view.overrides)],
        ),
    ]


def stock_chart(w: tables.Words, view: Overview) -> Markup:
    by_status = view.stock.by_status()
    categories = sorted({c.category for c in view.stock.cells})
    statuses = [s.value for s in PIPELINE]
    series = []
    for category in categories:
        values = [
            sum(c.devices for c in view.stock.cells if c.status == s and c.category == category)
            for s in statuses
        ]
        series.append(charts.Series(w.category(category), values, [w.n(n).text for n in values]))
    return charts.stacked_bar_chart(
        "chart-stock",
        [w.status(s) for s in statuses],
        series,
        totals=[w.n(by_status[s]).text for s in statuses],
        title=w.t(N_("Devices in the pipeline by stage and category")),
        desc=w.t(
            N_(
                "One bar per stage, made of one pattern per category, its total at its end. "
                "The table below gives every figure."
            )
        ),
    )


def throughput_chart(w: tables.Words, view: Overview) -> Markup:
    weeks = view.throughput.weeks
    series = [
        charts.Series(
            w.t(FLOW_LABELS[f]),
            [week.devices[f.value] for week in weeks],
            [w.n(week.devices[f.value]).text for week in weeks],
        )
        for f in Flow
    ]
    return charts.grouped_bar_chart(
        "chart-throughput",
        [w.t(N_("W%(week)s"), week=week.week) for week in weeks],
        series,
        title=w.t(N_("Devices per week, by flow, over %(weeks)s weeks"), weeks=len(weeks)),
        desc=w.t(
            N_(
                "For each week, one bar per flow, each with its own pattern and its number "
                "above it; the current week is the last. The table below gives every figure."
            )
        ),
    )


def backlog_chart(w: tables.Words, view: Overview) -> Markup:
    bars = [
        charts.Bar(
            w.status(stage.status),
            stage.oldest_days or 0,
            tables.days_text(w, stage.oldest_days) if stage.oldest_days is not None else "—",
        )
        for stage in view.backlog
    ]
    return charts.bar_chart(
        "chart-backlog",
        bars,
        title=w.t(N_("Days the oldest device has waited, at each stage")),
        desc=w.t(
            N_(
                "One bar per stage, as long as the oldest device there has waited, in days. "
                "The table below gives the devices waiting longest."
            )
        ),
    )
