"""`remise grade CODE`, `remise grading rules show|set`, `remise pricing grid show|set`,
on the local database, each command one transaction."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from db.clock import utcnow
from db.engine import transaction
from db.errors import DomainError
from grading import documents, service
from grading.models import GradeIn, GradeLetter
from remise.auth import system_actor
from remise.i18n import localise, translate
from remise.runtime import engine_for
from remise.settings import Settings

out = Console()
err = Console(stderr=True)
grading_app = typer.Typer(help="Grading rules, versioned.", no_args_is_help=True)
rules_app = typer.Typer(help="The rules that compute grades.", no_args_is_help=True)
pricing_app = typer.Typer(help="Solidarity prices, versioned.", no_args_is_help=True)
grid_app = typer.Typer(help="The price grid per category and grade.", no_args_is_help=True)
grading_app.add_typer(rules_app, name="rules")
pricing_app.add_typer(grid_app, name="grid")


def _run(work: Any, *, read_only: bool = False) -> Any:
    """`work(session, actor)` in one transaction; exit 1 with the reason when refused."""
    settings = Settings()
    actor = system_actor(f"cli:{getpass.getuser()}")
    try:
        with transaction(engine_for(settings), read_only=read_only) as session:
            return work(session, actor)
    except DomainError as exc:
        locale = settings.default_locale
        err.print(translate(locale, exc.template, **exc.params), highlight=False)
        for problem in exc.extra.get("errors", []):
            message = localise(locale, problem.get("message"))
            err.print(f"  - {problem.get('field')}: {message}", highlight=False)
        raise typer.Exit(1) from exc


def grade_command(
    code: Annotated[str, typer.Argument(help="the device code on its label")],
    preview: Annotated[bool, typer.Option(help="compute only: nothing is written")] = False,
    screen: Annotated[GradeLetter | None, typer.Option(help="the screen's grade")] = None,
    casing: Annotated[GradeLetter | None, typer.Option(help="the casing's grade")] = None,
    keyboard: Annotated[GradeLetter | None, typer.Option(help="the keyboard's grade")] = None,
    buttons: Annotated[GradeLetter | None, typer.Option(help="the buttons' grade")] = None,
    tpm2: Annotated[
        bool | None, typer.Option("--tpm2/--no-tpm2", help="a TPM 2.0 is in the firmware")
    ] = None,
    override: Annotated[GradeLetter | None, typer.Option(help="set this grade by hand")] = None,
    reason: Annotated[str | None, typer.Option(help="why (needed with --override)")] = None,
) -> None:
    """Grade a refurbished device with the rules in force (and apply it unless
    --preview): its grade and every reason, its price, its status after."""
    zones = {"screen": screen, "casing": casing, "keyboard": keyboard, "buttons": buttons}
    fields: dict[str, Any] = {"cosmetic": {z: g for z, g in zones.items() if g}, "tpm2": tpm2}
    if override:
        fields["override"] = {"grade": override, "reason": reason or ""}
    try:
        data = GradeIn.model_validate(fields)
    except ValidationError as exc:
        for problem in exc.errors():
            err.print(f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}", highlight=False)
        raise typer.Exit(2) from exc
    locale = Settings().default_locale

    def work(session: Any, actor: Any) -> Any:
        return service.grade_device(
            session,
            actor,
            code=code,
            data=data,
            preview=preview,
            today=utcnow().date(),
            locale=locale,
        )

    found = _run(work, read_only=preview)
    _print_grade(found, preview, locale)
    if found.outcome != "graded":
        raise typer.Exit(1)


def _print_grade(found: Any, preview: bool, locale: str) -> None:
    said = {"graded": found.grade or "?", "no_grade": "no grade", "not_sold": "not sold"}
    head = f"{found.device}: {said[found.outcome]}"
    if found.computed_grade and found.grade != found.computed_grade:
        head += f" (rules: {found.computed_grade})"
    if found.os:
        head += f", {found.os}"
    if found.price:
        head += f", {documents.euros(found.price.cents, locale)}"
    out.print(head + (" (preview)" if preview else f" → {found.status}"), highlight=False)
    for reason_read in found.reasons:
        out.print(f"  - {reason_read.text}", highlight=False)
    for waiting in found.waiting_for:
        out.print(f"  waiting: {waiting}", highlight=False)


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        err.print(f"{path}: not a JSON document ({exc})", highlight=False)
        raise typer.Exit(2) from exc


@rules_app.command("show")
def rules_show() -> None:
    """Print the rules in force as JSON (version 0: as shipped)."""
    version, document, _row = _run(documents.current_rules_of, read_only=True)
    out.print_json(json.dumps({"version": version, "document": document}, ensure_ascii=False))


@rules_app.command("set")
def rules_set(
    file: Annotated[Path, typer.Argument(help="a whole rules document (JSON)")],
    note: Annotated[str | None, typer.Option(help="what changed and why")] = None,
) -> None:
    """Publish FILE as the next version of the rules; refused, with every problem by
    its place in the document, if it is not valid."""
    document = _load(file)
    row = _run(lambda session, actor: documents.publish_rules(session, actor, document, note))
    out.print(f"rules version {row.version} published", highlight=False)


@grid_app.command("show")
def grid_show() -> None:
    """Print the price grid in force today as JSON (version 0: as shipped)."""
    version, document, _row = _run(
        lambda session, _actor: documents.current_grid_of(session, utcnow().date()),
        read_only=True,
    )
    out.print_json(json.dumps({"version": version, "document": document}, ensure_ascii=False))


@grid_app.command("set")
def grid_set(
    file: Annotated[Path, typer.Argument(help="a whole price grid (JSON), cents")],
    note: Annotated[str | None, typer.Option(help="what changed and why")] = None,
) -> None:
    """Publish FILE as the next version of the grid, in force from its effective_from;
    refused if invalid or above a legal cap without a waiver."""
    document = _load(file)
    row = _run(lambda session, actor: documents.publish_grid(session, actor, document, note))
    out.print(
        f"price grid version {row.version} published, in force from {row.effective_from}",
        highlight=False,
    )
