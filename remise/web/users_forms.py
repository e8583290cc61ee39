"""What the account pages share: the words of the roles, the structures to choose from,
the fields typed in their forms, and which field each refusal belongs beside."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from db.bounds import ROW_ID_MAX
from db.enums import Role
from db.errors import N_, DomainError
from db.models import Structure
from remise import accounts, passwords, tokens
from remise.auth import Actor, Permission
from remise.i18n import translate
from remise.pages import page_require, said

Coordinator = Annotated[Actor, Depends(page_require(Permission.USERS_MANAGE))]
Someone = Annotated[Actor, Depends(page_require(Permission.ME))]

ROLE_LABELS: dict[str, str] = {
    Role.COORDINATOR: N_("Coordinator"),
    Role.BENCH: N_("Bench volunteer"),
    Role.WORKSHOP: N_("Workshop"),
    Role.STRUCTURE: N_("Partner structure"),
}
REQUIRED = N_("This field is required.")
TOO_LONG = N_("At most %(max_length)s characters.")
CHOOSE_A_ROLE = N_("Choose one of the roles in the list.")
CHOOSE_A_STRUCTURE = N_("Choose the structure this user belongs to.")
NOT_THE_SAME = N_("The two new passwords are not the same: type them again.")
WHOLE_DAYS = N_("Write a whole number of days from 1 to %(max)s, or leave it empty: no expiry.")
PASSWORD_HINT = N_(
    "At least %(min)s characters, or a passphrase of %(words)s words or more, such as "
    "“rivière tulipe carton mardi”; not a common password nor the user's name."
)
PASSWORD_MAX = 1000  # as the sign-in form takes
TEXT_MAX = 400  # what a text field keeps of what was typed: its service says if too long

# The field beside which each refusal of `remise.accounts` and `remise.tokens` shows.
FIELD_OF: dict[type[DomainError], str] = {
    accounts.BadUsername: "username",
    accounts.UsernameTaken: "username",
    accounts.BadDisplayName: "display_name",
    accounts.StructureRequired: "structure_id",
    accounts.StructureNotAllowed: "structure_id",
    accounts.UnknownStructure: "structure_id",
    passwords.WeakPassword: "password",
    tokens.BadExpiry: "expires_days",
    accounts.NotOnYourself: "role",
    accounts.LastCoordinator: "role",
}


def field_of(error: DomainError, default: str = "form") -> str:
    for kind in type(error).__mro__:
        if kind in FIELD_OF:
            return FIELD_OF[kind]
    return default


def refusal(request: Request, error: DomainError, default: str = "form") -> dict[str, str]:
    """A domain error as the form's problems: its message beside its field."""
    return {field_of(error, default): said(request, error)}


def role_text(locale: str, role: str) -> str:
    words = ROLE_LABELS.get(role)
    return translate(locale, words) if words else role


def role_choices(locale: str) -> list[tuple[str, str]]:
    return [(role.value, role_text(locale, role.value)) for role in Role]


def structure_choices(session: Session) -> list[tuple[int, str]]:
    """Every structure a structure user may belong to, by name."""
    found = session.exec(select(Structure.id, Structure.name).order_by(col(Structure.name)))
    return [(int(structure_id), name) for structure_id, name in found.all()]


def password_hint(locale: str) -> str:
    return translate(
        locale, PASSWORD_HINT, min=passwords.MIN_LENGTH, words=passwords.PASSPHRASE_WORDS
    )


def typed(form: FormData, *names: str, limit: int = TEXT_MAX) -> dict[str, str]:
    """The text of each field named (stripped, cut at `limit`: the page shows it back)."""
    return {name: str(form.get(name) or "").strip()[:limit] for name in names}


def secret(form: FormData, name: str) -> str:
    """A password as typed: never stripped, never shown back."""
    return str(form.get(name) or "")[:PASSWORD_MAX]


def checked(form: FormData, name: str) -> bool:
    return form.get(name) == "yes"


def role_of(locale: str, text: str, errors: dict[str, str]) -> Role | None:
    if text in {role.value for role in Role}:
        return Role(text)
    errors["role"] = translate(locale, CHOOSE_A_ROLE)
    return None


def structure_of(locale: str, text: str, role: Role | None, errors: dict[str, str]) -> int | None:
    """The structure chosen (none: ""); a structure user without one is refused here, in
    the words of the page (the service's own words name the command line's option)."""
    if not text:
        if role == Role.STRUCTURE:
            errors["structure_id"] = translate(locale, CHOOSE_A_STRUCTURE)
        return None
    if text.isascii() and text.isdigit() and 1 <= int(text) <= ROW_ID_MAX:
        return int(text)
    errors["structure_id"] = translate(locale, CHOOSE_A_STRUCTURE)
    return None


def new_password(
    locale: str, form: FormData, errors: dict[str, str], *, again: str | None = None
) -> str:
    """The new password typed in `password` (and again in `again`, if the form asks)."""
    password = secret(form, "password")
    if not password:
        errors["password"] = translate(locale, REQUIRED)
    elif again is not None and secret(form, again) != password:
        errors[again] = translate(locale, NOT_THE_SAME)
    return password


def first(errors: dict[str, str], order: tuple[str, ...]) -> str | None:
    """The field to focus: the first one of `order` with a problem."""
    return next((name for name in order if name in errors), next(iter(errors), None))
