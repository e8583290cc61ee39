"""`remise run …`: refurbishment runs from the command line, for workshops that script
their benches (one command a step, exit status 1 with the reason when refused)."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from db.engine import transaction
from db.errors import DomainError
from refurbish import checklists, queries, service
from refurbish.models import HarvestedPartIn, Outcome, PartKind, PartReplaced, RunFinish
from remise.auth import Actor, system_actor
from remise.i18n import localise, translate
from remise.runtime import engine_for
from remise.settings import Settings

app = typer.Typer(help="Refurbishment runs: start, record steps, finish.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
STATE_MARK = {"passed": "✔", "failed": "✘", "missing": "·", "recorded": "✎"}


def _actor() -> Actor:
    return system_actor(f"cli:{getpass.getuser()}")


def _show(run_id: int, settings: Settings) -> None:
    locale = settings.default_locale
    with transaction(engine_for(settings), read_only=True) as session:
        view = queries.run_view(session, service.run(session, run_id), locale)
    status = view.outcome or "in progress"
    table = Table(title=f"Run {view.id} · {view.device_code} · {view.category} · {status}")
    for column in ("", "step", "key", "value", "expected"):
        table.add_column(column)
    for step in view.steps:
        expected = (
            f"{step.min:g}–{step.max:g} {step.unit}" if step.unit and step.min is not None else ""
        )
        expected = expected or ", ".join(o["key"] for o in step.options)
        mark = STATE_MARK[step.state.value] + ("!" if step.blocking else "")
        value = "" if step.value is None else str(step.value)
        table.add_row(mark, step.label + (" *" if step.required else ""), step.key, value, expected)
    out.print(table)
    if view.blocking and view.open:
        out.print(f"Still to do before `refurbished`: {', '.join(view.blocking)}")


def _fail(exc: DomainError, locale: str) -> typer.Exit:
    err.print(translate(locale, exc.template, **exc.params))
    for item in exc.extra.get("blocking", []):
        err.print(f"  - {item['key']}: {localise(locale, item['reason'])}")
    return typer.Exit(1)


@contextmanager
def _refusals(locale: str) -> Iterator[None]:
    """Turn a refusal into its message on stderr and exit status 1."""
    try:
        yield
    except checklists.BadValue as exc:
        err.print(translate(locale, exc.reason, **exc.params))
        raise typer.Exit(1) from exc
    except DomainError as exc:
        raise _fail(exc, locale) from exc


@app.command("start")
def start_command(
    code: Annotated[str, typer.Argument(help="the device code on its label")],
    comment: Annotated[str | None, typer.Option(help="why it comes back, if it does")] = None,
) -> None:
    """Start a run on a labelled device (or one coming back); prints the checklist."""
    settings = Settings()
    with _refusals(settings.default_locale):
        with transaction(engine_for(settings)) as session:
            run_id = service.start_run(session, _actor(), code=code, comment=comment).id or 0
        _show(run_id, settings)
    out.print(f"run {run_id}")


@app.command("step")
def step_command(
    run_id: Annotated[int, typer.Argument(help="the run number")],
    key: Annotated[str, typer.Argument(help="the step's key (see `remise run show`)")],
    value: Annotated[str, typer.Argument(help="oui/non, a number, an option's key, or text")],
    note: Annotated[str | None, typer.Option(help="a remark on this step")] = None,
) -> None:
    """Record one step's value (again, if it changed)."""
    settings = Settings()
    with _refusals(settings.default_locale), transaction(engine_for(settings)) as session:
        step = service.template_of_run(session, service.run(session, run_id)).step(key)
        parsed = checklists.from_text(step, value) if step is not None else value
        row = service.record_step(
            session,
            _actor(),
            run_id=run_id,
            key=key,
            value=parsed,
            note=note,
            data_dir=settings.data_dir,
        )
        state = row.state
    out.print(f"{key}: {value} → {state}")


@app.command("part")
def part_command(
    run_id: Annotated[int, typer.Argument(help="the run number")],
    part: Annotated[PartKind, typer.Argument(help="the kind of part")],
    fitted: Annotated[str, typer.Argument(help="what went in, e.g. '8 GB DDR4'")],
    removed: Annotated[str | None, typer.Option(help="what came out")] = None,
) -> None:
    """Record a part replaced during the run; the device's specs follow."""
    settings = Settings()
    data = PartReplaced(part=part, fitted=fitted, removed=removed)
    with _refusals(settings.default_locale), transaction(engine_for(settings)) as session:
        service.replace_part(session, _actor(), run_id=run_id, data=data)
    out.print(f"{part}: {removed or '?'} → {fitted}")


def _harvested(parts: list[str]) -> list[HarvestedPartIn]:
    """`KIND:DESCRIPTION` options as parts; a bad kind exits 1 naming the kinds."""
    harvested = []
    for text in parts:
        kind, _, description = text.partition(":")
        if kind.strip() not in PartKind.__members__.values() or not description.strip():
            kinds = ", ".join(PartKind)
            err.print(f"--part {text!r}: KIND:DESCRIPTION is expected, KIND one of {kinds}")
            raise typer.Exit(1)
        harvested.append(HarvestedPartIn(kind=PartKind(kind.strip()), description=description))
    return harvested


@app.command("finish")
def finish_command(
    run_id: Annotated[int, typer.Argument(help="the run number")],
    outcome: Annotated[Outcome, typer.Argument(help="how the run ends")],
    part: Annotated[
        list[str] | None, typer.Option(help="a harvested part, KIND:DESCRIPTION (repeatable)")
    ] = None,
    collector: Annotated[str | None, typer.Option(help="the WEEE collector (recycled)")] = None,
    comment: Annotated[str | None, typer.Option(help="a remark on the outcome")] = None,
) -> None:
    """Finish the run; `refurbished` is refused while a step blocks it (exit 1, listed)."""
    settings = Settings()
    data = RunFinish(
        outcome=outcome, parts=_harvested(part or []), collector=collector, comment=comment
    )
    with _refusals(settings.default_locale), transaction(engine_for(settings)) as session:
        service.finish_run(session, _actor(), run_id=run_id, data=data)
    out.print(f"run {run_id}: {outcome}")


@app.command("show")
def show_command(run_id: Annotated[int, typer.Argument(help="the run number")]) -> None:
    """Show a run's checklist: ✔ passed, ✘ failed, · not done, ! blocks `refurbished`."""
    settings = Settings()
    with _refusals(settings.default_locale):
        _show(run_id, settings)
