"""`remise user …`: accounts, passwords and API tokens, for a coordinator at the server.

Each command commits all it does or nothing. A new token is printed alone on the last
line of standard output (`TOKEN=$(remise user token lucie --label scan | tail -1)`);
everything else goes to standard error. Tokens are never shown again, nor their hashes.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from db.clock import utcnow
from db.engine import transaction
from db.enums import Role
from db.errors import DomainError
from distribution.service import ensure_structure
from remise import accounts, tokens
from remise.auth import Actor, system_actor
from remise.i18n import translate
from remise.runtime import engine_for
from remise.settings import Settings

app = typer.Typer(help="Manage user accounts and API tokens.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
ROW_ID_MAX = 2**63 - 1
ExpiresDays = Annotated[
    int | None,
    typer.Option(
        min=1, max=tokens.MAX_EXPIRY_DAYS, help="the API token stops working after N days"
    ),
]


def _fail(locale: str, exc: DomainError) -> NoReturn:
    label = "Erreur :" if locale == "fr" else "Error:"
    err.print(f"[bold red]{label}[/] {translate(locale, exc.template, **exc.params)}")
    raise typer.Exit(1)


@contextmanager
def _session() -> Iterator[tuple[Session, Actor]]:
    """One transaction as `cli:<login>`; a domain error prints one line and exits 1."""
    settings = Settings()
    try:
        engine = engine_for(settings)
        try:
            with transaction(engine) as session:
                yield session, system_actor(f"cli:{getpass.getuser()}")
        finally:
            engine.dispose()
    except DomainError as exc:
        _fail(settings.default_locale, exc)


@app.command("create")
def user_create(
    role: Annotated[Role, typer.Option(help="what the user may do")],
    name: Annotated[str, typer.Option(help="user name, used to log in")],
    structure: Annotated[
        str | None, typer.Option(help="structure of a structure user (created if new)")
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="password for the web pages (none: API only)")
    ] = None,
    display_name: Annotated[str | None, typer.Option(help="name shown in pages")] = None,
    expires_days: ExpiresDays = None,
) -> None:
    """Create a user; its API token is printed alone on the last line."""
    with _session() as (session, actor):
        structure_id = None
        if structure:
            structure_id = ensure_structure(session, actor, name=structure).id
        _user, token = accounts.create_user(
            session,
            actor,
            username=name,
            role=role,
            display_name=display_name,
            structure_id=structure_id,
            password=password,
            expires_days=expires_days,
        )
    err.print(f"User {name.lower()} ({role.value}) created. API token:")
    sys.stdout.write(token + "\n")  # alone on the last line, for scripts


@app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="user name")],
    password: Annotated[
        str,
        typer.Option(
            prompt="New password",
            confirmation_prompt=True,
            hide_input=True,
            help="the new password (asked twice, unseen, when not given)",
        ),
    ],
    keep_tokens: Annotated[
        bool, typer.Option(help="keep the user's API tokens working (default: revoke them)")
    ] = False,
) -> None:
    """Set a user's password for the pages: its browsers are signed out and, unless
    --keep-tokens, its API tokens revoked (the user signs in again and makes new ones)."""
    with _session() as (session, actor):
        revoked = accounts.set_password(
            session, actor, username=name, password=password, keep_tokens=keep_tokens
        )
    said = "its API tokens are kept" if keep_tokens else f"{revoked} API token(s) revoked"
    err.print(f"Password of {name.strip().lower()} set; its browsers are signed out, {said}.")


@app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="user name")],
    label: Annotated[str, typer.Option(help="what the token is for, shown in listings")],
    expires_days: ExpiresDays = None,
) -> None:
    """Issue a new API token for a user; it is printed once, alone on the last line."""
    with _session() as (session, actor):
        user = accounts.user_named(session, name)
        row, token = tokens.issue_token(
            session, user, label=label, expires_days=expires_days, actor=actor
        )
    until = f"until {row.expires_at}" if row.expires_at else "until revoked"
    err.print(f"API token {row.id} of {user.username} ({until}):")
    sys.stdout.write(token + "\n")  # alone on the last line, for scripts


@app.command("tokens")
def user_tokens(name: Annotated[str, typer.Argument(help="user name")]) -> None:
    """List a user's API tokens (never the tokens themselves), newest first."""
    with _session() as (session, _actor):
        user = accounts.user_named(session, name)
        assert user.id is not None
        found = tokens.tokens_of(session, user.id)
    table = Table(title=f"API tokens of {user.username}")
    for column in ("id", "label", "created", "expires", "last used", "revoked"):
        table.add_column(column)
    for view in found:
        when = (view.created_at, view.expires_at, view.last_used_at, view.revoked_at)
        table.add_row(str(view.id), view.label, *(_minute(moment) for moment in when))
    out.print(table)


def _minute(moment: str | None) -> str:
    return moment[:16].replace("T", " ") if moment else "—"


@app.command("revoke")
def user_revoke(
    token_id: Annotated[int, typer.Argument(min=1, max=ROW_ID_MAX, help="token id")],
) -> None:
    """Revoke an API token at once (ids are in `remise user tokens NAME`)."""
    with _session() as (session, actor):
        view = tokens.revoke_token(session, actor, token_id=token_id, now=utcnow())
    err.print(f"API token {view.id} ({view.label}) revoked.")


@app.command("deactivate")
def user_deactivate(name: Annotated[str, typer.Argument(help="user name")]) -> None:
    """The user can no longer sign in nor use the API: its browsers are signed out and
    its API tokens revoked at once; the ledger records it."""
    with _session() as (session, actor):
        done = accounts.deactivate_user(session, actor, username=name)
    err.print(
        f"User {name.strip().lower()} deactivated: {done.sessions_ended} browser(s) signed "
        f"out, {done.tokens_revoked} API token(s) revoked."
    )
