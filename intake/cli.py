"""`remise intake …`: bulk imports and receipts from the command line, for workshops' scripts."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from db import ledger
from db.engine import Transactions, transaction
from db.enums import Category
from db.errors import DomainError
from intake import api, categories, importer, receipt, refused, service
from remise.auth import system_actor
from remise.i18n import localise, translate
from remise.runtime import engine_for
from remise.settings import Settings

app = typer.Typer(help="Donations: import asset lists, print receipts.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _engine_and_locale() -> tuple[Engine, Settings]:
    settings = Settings()
    try:
        return engine_for(settings), settings
    except DomainError as exc:
        err.print(translate(settings.default_locale, exc.template, **exc.params))
        raise typer.Exit(1) from exc


def _answers(given: list[str]) -> dict[str, Category]:
    """`--category-for VALUE=CATEGORY` options, checked (BadCategoryAnswer names the value)."""
    pairs = dict(text.rpartition("=")[::2] for text in given)
    return categories.parse_answers({value.strip(): answer for value, answer in pairs.items()})


def _print_readings(outcome: importer.Outcome, locale: str, console: Console) -> None:
    """How each category value was read; the values still waiting, with their rows."""
    if not outcome.readings:
        return
    table = Table(title="categories read", title_justify="left")
    for column in ("value", "category", "rows", "how"):
        table.add_column(column, overflow="fold")
    for reading in outcome.readings:
        how = categories.EVIDENCE_LABELS[reading.evidence] if reading.evidence else None
        table.add_row(
            reading.value or "-",
            reading.category.value if reading.category else "? " + "/".join(reading.choices),
            str(reading.count),
            translate(locale, how) if how else f'--category-for "{reading.value}=…"',
        )
    console.print(table)
    for question in outcome.questions():
        rows = ", ".join(str(row) for row in question.rows)
        more = " …" if question.count > len(question.rows) else ""
        console.print(f'  "{question.value}", {question.count} rows ({rows}{more})')


def _print_refused(exc: importer.ImportRefused | importer.CategoryUnanswered, locale: str) -> None:
    table = Table(title=translate(locale, exc.template, **exc.params), title_justify="left")
    for column in ("row", "column", "problem"):
        table.add_column(column, overflow="fold")
    for issue in exc.extra["errors"]:
        table.add_row(str(issue.row), issue.column, localise(locale, issue.message))
    err.print(table)
    if exc.extra["error_count"] > len(exc.extra["errors"]):
        err.print(f"… {exc.extra['error_count'] - len(exc.extra['errors'])} more.")


@app.command("import")
def import_command(
    batch_id: Annotated[int, typer.Argument(help="the batch the devices belong to")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX")],
    dry_run: Annotated[bool, typer.Option(help="check and report, write nothing")] = False,
    skip_invalid: Annotated[bool, typer.Option(help="import the valid rows only")] = False,
    category: Annotated[Category | None, typer.Option(help="for rows with no category")] = None,
    category_for: Annotated[
        list[str] | None,
        typer.Option(
            "--category-for",
            help='what a value naming two kinds of device means: "Téléphone=smartphone" '
            "(again for each value)",
        ),
    ] = None,
) -> None:
    """Import a donor's asset list into a batch: all rows, or none if any is wrong."""
    engine, settings = _engine_and_locale()
    locale = settings.default_locale
    try:
        answers = _answers(category_for or [])
    except DomainError as exc:
        err.print(translate(locale, exc.template, **exc.params))
        raise typer.Exit(1) from exc
    actor = system_actor(f"cli:{getpass.getuser()}")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=err) as bar, file.open("rb") as stream:
            tasks: dict[str, int] = {}

            def progress(phase: str, done: int, total: int | None) -> None:
                task = tasks.setdefault(phase, bar.add_task(phase, total=total))
                bar.update(task, completed=done, total=total)

            options = importer.Options(
                file.name,
                dry_run,
                skip_invalid,
                category,
                progress,
                max_rows=settings.max_import_rows,
                refused_dir=refused.folder(settings.data_dir),
                limits=api.file_limits(settings),
                answers=answers,
            )
            with transaction(engine, read_only=True) as session:
                batch = service.open_batch(session, batch_id)
            # Chunks of their own, committed one by one: the server's users keep working.
            outcome = importer.import_rows(
                Transactions(engine), actor, batch=batch, stream=stream, options=options
            )
    except (importer.ImportRefused, importer.CategoryUnanswered) as exc:
        _print_refused(exc, locale)
        if exc.outcome is not None:
            _print_readings(exc.outcome, locale, err)
        raise typer.Exit(1) from exc
    except DomainError as exc:
        err.print(translate(locale, exc.template, **exc.params))
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    _print_readings(outcome, locale, out)
    verb = "would create" if dry_run else "created"
    out.print(
        f"{outcome.rows} rows: {verb} {outcome.created}, already present "
        f"{outcome.already_present}, skipped {outcome.skipped} (file sha256 {outcome.file_sha256})"
    )
    for issue in outcome.issues:
        out.print(f"  skipped row {issue.row}, {issue.column}: {localise(locale, issue.message)}")
    if outcome.issue_count > len(outcome.issues):
        out.print(f"  … {outcome.issue_count - len(outcome.issues)} more problems.")
    if outcome.refused_file:
        out.print(f"Refused rows: GET /api/v1/imports/{outcome.import_id}/refused.csv")


@app.command("receipt")
def receipt_command(
    batch_id: Annotated[int, typer.Argument(help="the batch")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PDF file to write")],
) -> None:
    """Write the donor's receipt for a batch (PDF, in French)."""
    engine, settings = _engine_and_locale()
    try:
        with transaction(engine, read_only=True) as session:
            view = service.receipt_view(
                session,
                batch_id,
                organisation=settings.organisation,
                label=lambda m: translate("fr", m),
                head=str(ledger.head(session)),
            )
    except DomainError as exc:
        err.print(exc.render())
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    output.write_bytes(receipt.render_receipt(view))
    out.print(f"Receipt written to {output}")
