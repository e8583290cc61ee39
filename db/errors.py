"""Error kinds shared by every stage.

Each error carries a stable `code`, the data that explains it, and an English
message template (a gettext msgid, `%(name)s` placeholders) that `remise.errors`
translates and maps once to an HTTP status. Services raise these, never
`HTTPException`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


def N_(message: str) -> str:
    """Mark a message for translation without translating it (babel extracts it)."""
    return message


@dataclass(frozen=True)
class Message:
    """A translatable message kept apart from its parameters, to translate later.

    An error parameter may itself be a Message (a reason inside a sentence):
    `remise.i18n.gettext` translates it first.
    """

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template


class DomainError(Exception):
    """Base of every error a user can cause and act on."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "error"
    message: ClassVar[str] = N_("The request cannot be carried out.")

    def __init__(self, message: str | None = None, /, **params: Any) -> None:
        self.template = message or self.message
        self.params = params
        self.extra: dict[str, Any] = {}
        super().__init__(self.render())

    def render(self) -> str:
        """The English message with its parameters filled in."""
        if not self.params:
            return self.template
        return self.template % {key: _english(value) for key, value in self.params.items()}


def _english(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return value


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = N_("Not found.")


class Invalid(DomainError):
    status = 422
    code = "invalid"
    message = N_("The data sent is not valid.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = N_("This conflicts with the current state.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message = N_("You are not allowed to do this.")


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    message = N_("Sign in first: the token or session is missing, wrong or revoked.")
