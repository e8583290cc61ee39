"""`remise structure list|show|approve|suspend|quota`, and `remise claims expire-now`:
partner structures from the command line, each command one transaction."""

from __future__ import annotations

import getpass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from db.clock import utcnow
from db.engine import transaction
from db.enums import Category, StructureStatus
from db.errors import DomainError
from distribution import service
from distribution.models import StructureUpdate
from remise.auth import system_actor
from remise.i18n import localise, translate
from remise.runtime import engine_for
from remise.settings import Settings

out = Console()
err = Console(stderr=True)
app = typer.Typer(help="Partner structures: approval, suspension, quotas.", no_args_is_help=True)


def _run(work: Any, *, read_only: bool = False) -> Any:
    """`work(session, actor, settings)` in one transaction; exit 1 with the reason."""
    settings = Settings()
    actor = system_actor(f"cli:{getpass.getuser()}")
    try:
        with transaction(engine_for(settings), read_only=read_only) as session:
            return work(session, actor, settings)
    except DomainError as exc:
        locale = settings.default_locale
        err.print(translate(locale, exc.template, **exc.params), highlight=False)
        for problem in exc.extra.get("errors", []):
            err.print(
                f"  - {problem.get('field')}: {localise(locale, problem.get('message'))}",
                highlight=False,
            )
        raise typer.Exit(1) from exc


def _policy(settings: Settings) -> service.QuotaPolicy:
    return service.QuotaPolicy(settings.quota_period, ZoneInfo(settings.timezone))


def _use(session: Any, structure: Any, settings: Settings) -> str:
    policy = _policy(settings)
    today = utcnow().astimezone(policy.zone).date()
    use = service.quota_use(session, structure, policy, today)
    return ", ".join(f"{c} {u.used}/{u.quota}" for c, u in use.items()) or "-"


@app.command("list")
def list_structures(
    status: Annotated[
        StructureStatus | None, typer.Option(help="only those in this status")
    ] = None,
) -> None:
    """Every structure: status, département, quota use this period (used/quota)."""

    def work(session: Any, actor: Any, settings: Settings) -> None:
        table = Table(title="Structures")
        for column in ("id", "name", "status", "dép.", "quota use (used/quota)"):
            table.add_column(column)
        for s in service.structures_for(session, actor, status=status):
            row = (str(s.id), s.name, s.status, s.departement or "-", _use(session, s, settings))
            table.add_row(*row)
        out.print(table)

    _run(work, read_only=True)


def _set_status(structure_id: int, status: StructureStatus) -> None:
    def work(session: Any, actor: Any, _settings: Settings) -> None:
        found = service.set_status(session, actor, structure_id, status)
        out.print(f"{found.name}: {found.status}")

    _run(work)


@app.command("approve")
def approve(structure_id: Annotated[int, typer.Argument(help="the structure's id")]) -> None:
    """Make a structure active: it may claim devices, within its quotas."""
    _set_status(structure_id, StructureStatus.ACTIVE)


@app.command("suspend")
def suspend(structure_id: Annotated[int, typer.Argument(help="the structure's id")]) -> None:
    """Suspend a structure: it may no longer claim (what it holds stays held)."""
    _set_status(structure_id, StructureStatus.SUSPENDED)


@app.command("quota")
def quota(
    structure_id: Annotated[int, typer.Argument(help="the structure's id")],
    quotas: Annotated[
        list[str],
        typer.Argument(help="CATEGORY=N pairs, e.g. laptop=10 smartphone=20 (0: none)"),
    ],
) -> None:
    """Set a structure's quota of some categories for each period (the others stay)."""
    parsed: dict[Category, int] = {}
    for pair in quotas:
        name, sep, number = pair.partition("=")
        try:
            parsed[Category(name.strip())] = int(number)
        except ValueError:
            known = ", ".join(c.value for c in Category)
            err.print(f"“{pair}” is not CATEGORY=N (categories: {known}; N a whole number)")
            raise typer.Exit(2) from None
        if not sep or parsed[Category(name.strip())] < 0:
            err.print(f"“{pair}” is not CATEGORY=N with N 0 or more")
            raise typer.Exit(2)

    def work(session: Any, actor: Any, settings: Settings) -> None:
        found = service.update_structure(
            session, actor, structure_id, data=StructureUpdate(quotas=parsed)
        )
        out.print(f"{found.name}: {_use(session, found, settings)}")

    _run(work)
