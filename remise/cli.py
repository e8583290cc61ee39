"""The `remise` command line (typer): database, server, demo data, users, ledger.

Each command is the transaction owner of what it does: it commits all of it or
nothing. Errors a person can fix print one line in the configured language and exit
with status 1; the success output of scripts' favourite commands stays parseable.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import Engine

from db import ledger, replay
from db.engine import transaction
from db.enums import Status
from db.errors import DomainError
from distribution import cli as distribution_cli
from grading import cli as grading_cli
from intake import cli as intake_cli
from labels import cli as labels_cli
from refurbish import bench_cli
from refurbish import cli as refurbish_cli
from refurbish.erasure import certificate_cli
from refurbish.erasure import cli as erasure_cli
from remise import demo, migrate, users_cli
from remise.i18n import translate
from remise.runtime import engine_for
from remise.settings import Settings

app = typer.Typer(
    help="Remise: donated devices from intake to partner structures.", no_args_is_help=True
)
db_app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)
ledger_app = typer.Typer(help="Check the hash-chained ledger.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_cli.app, name="user")
app.add_typer(ledger_app, name="ledger")
app.add_typer(intake_cli.app, name="intake")
app.add_typer(labels_cli.app, name="labels")
app.add_typer(labels_cli.location_app, name="location")
app.add_typer(refurbish_cli.app, name="run")
app.add_typer(bench_cli.app, name="bench")
app.add_typer(erasure_cli.app, name="erasure")
app.add_typer(certificate_cli.app, name="certificate")
app.command("grade")(grading_cli.grade_command)
app.add_typer(grading_cli.grading_app, name="grading")
app.add_typer(grading_cli.pricing_app, name="pricing")
app.add_typer(distribution_cli.app, name="structure")

out = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    return Settings()


def _fail(message: str) -> NoReturn:
    err.print(
        f"[bold red]Erreur :[/] {message}"
        if _settings().default_locale == "fr"
        else f"[bold red]Error:[/] {message}"
    )
    raise typer.Exit(1)


@contextmanager
def _engine(*, migrated: bool = True) -> Iterator[Engine]:
    settings = _settings()
    try:
        engine = engine_for(settings, migrated=migrated)
    except DomainError as exc:
        _fail(translate(settings.default_locale, exc.template, **exc.params))
    try:
        yield engine
    except DomainError as exc:
        _fail(translate(settings.default_locale, exc.template, **exc.params))
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Create the tables or bring them up to date (safe to run again)."""
    with _engine(migrated=False) as engine:
        migrate.upgrade(engine, revision)
        out.print(f"Database at revision {migrate.current_revision(engine)}.")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the one this Remise needs."""
    with _engine(migrated=False) as engine:
        current = migrate.current_revision(engine) or "none"
        out.print(f"current: {current}  needed: {migrate.head_revision()}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Serve the web pages and the API (OpenAPI at /docs).

    X-Forwarded-For and -Proto are believed only from REMISE_TRUSTED_PROXIES, by the app
    itself (`remise.app.Remise`): uvicorn's own handling, which believes any local
    process by default, is off, so that the login lockout counts the real address.
    """
    import uvicorn

    with _engine():
        pass  # refuses an unmigrated database before uvicorn starts
    out.print(f"Remise on http://{host}:{port}  (API documentation: http://{host}:{port}/docs)")
    uvicorn.run(
        "remise.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
    )


@app.command("demo")
def demo_command(
    devices: Annotated[
        int, typer.Option(min=0, help="make sure N extra devices exist, spread over the stages")
    ] = 0,
    stage: Annotated[
        Status | None,
        typer.Option(
            help="put every extra device at this stage (available: graded, priced, in the "
            "catalogue); default: spread over the stages up to available"
        ),
    ] = None,
    logins_only: Annotated[
        bool, typer.Option("--logins", help="only list the demo logins again; seed nothing")
    ] = False,
) -> None:
    """Seed demo data once (idempotent); print the demo logins the first time."""
    if _settings().environment == "production":
        _fail("refusing to seed demo data into a production database")
    if logins_only:
        _list_demo_logins()
        return
    with _engine() as engine:
        with transaction(engine) as session:
            logins = demo.seed(session)
            certificate = demo.certify(session, _settings()) if logins is not None else None
        if certificate is not None:
            out.print(f"Certificate of sanitization of the demo batch: {certificate}")
        if logins is None:
            out.print(
                "Demo data already present. "
                "Logins: `make demo-logins` (or `remise demo --logins`).",
                soft_wrap=True,
            )
        else:
            _print_logins(logins)
        if devices:
            with Progress(console=out) as progress, transaction(engine) as session:
                task = progress.add_task("extra devices", total=devices)
                try:
                    added = demo.seed_extra(
                        session,
                        devices,
                        stage=stage,
                        progress=lambda n: progress.advance(task, n),
                    )
                except ValueError as exc:
                    _fail(str(exc))
            out.print(f"{added} extra devices added.")


def _print_logins(logins: list[demo.Login]) -> None:
    table = Table(title="Demo logins")
    for column in ("user", "password", "role"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.username, login.password, login.role)
    out.print(table)
    out.print("API tokens (Authorization: Bearer …):")
    for login in logins:
        out.print(f"  {login.username}: {login.token}", soft_wrap=True)
    out.print(
        "Logins again at any time: `make demo-logins` (the tokens are not shown again).",
        soft_wrap=True,
    )


def _list_demo_logins() -> None:
    """The demo users and their fixed passwords; never a hash, never a token."""
    with _engine() as engine, transaction(engine, read_only=True) as session:
        found = demo.accounts(session)
    if not found:
        _fail("no demo data in this database yet: run `remise demo` (or `make run`) first")
    table = Table(title="Demo logins")
    for column in ("user", "password", "role"):
        table.add_column(column)
    for account in found:
        shown = account.password if account.works else "(changed or deactivated since)"
        table.add_row(account.username, shown, account.role)
    out.print(table)
    out.print(
        "API tokens are shown only once, when made: for a new one, "
        "`remise user token USER --label LABEL`.",
        soft_wrap=True,
    )


@ledger_app.command("head")
def ledger_head() -> None:
    """Print the newest event as SEQ:HASH, to publish or keep with a backup."""
    with _engine() as engine, transaction(engine, read_only=True) as session:
        print(ledger.head(session))


@ledger_app.command("verify")
def ledger_verify(
    head: Annotated[str | None, typer.Option(help="a head published earlier, SEQ:HASH")] = None,
) -> None:
    """Walk the whole chain; exit 1 and print the first bad event if it is broken."""
    try:
        expected = ledger.Head.parse(head) if head else None
    except ValueError as exc:
        _fail(str(exc))
    with _engine() as engine, transaction(engine, read_only=True) as session:
        result = ledger.verify(session, expected_head=expected)
    if not result.ok:
        err.print(f"[bold red]Ledger broken at event {result.first_bad_seq}[/]: {result.reason}")
        print(f"first bad event: {result.first_bad_seq}")
        raise typer.Exit(1)
    out.print(f"Ledger intact: {result.checked} events, head {result.head}")


@ledger_app.command("replay")
def ledger_replay(
    repair: Annotated[
        bool, typer.Option(help="set differing fields back to the ledger's values")
    ] = False,
) -> None:
    """Rebuild every device from its events and list where the tables differ."""
    with _engine() as engine, transaction(engine, read_only=not repair) as session:
        found = replay.differences(session)
        for diff in found[:200]:
            out.print(f"{diff.code} {diff.field}: table {diff.table!r}, ledger {diff.ledger!r}")
        if found and repair:
            out.print(f"{replay.repair(session, found)} devices set back to the ledger's values.")
    if not found:
        out.print("Tables and ledger agree.")
    elif not repair:
        err.print(f"{len(found)} differences (run with --repair to fix the tables).")
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
