"""What intake's forms share: the values typed, and their problems beside each field.

A form shows every problem at once, each beside its field (`e-<field>` in the page),
and focuses the first one in the page's order; what was typed comes back as typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fastapi import Request
from starlette.datastructures import FormData

from db.errors import DomainError
from remise.pages import said

NOT_FIELDS = ("csrf_token", "form_key")  # what every form posts besides its own fields


def typed(form: FormData) -> dict[str, str]:
    """The form's own fields, as typed, without their surrounding spaces."""
    return {k: str(v).strip() for k, v in form.items() if k not in NOT_FIELDS}


def given(values: dict[str, str], names: Iterable[str]) -> dict[str, str]:
    """The fields filled in: an empty one is left out, so that it reads "required" (or
    takes its default), not "wrong type"."""
    return {k: values[k] for k in names if values.get(k)}


def first(errors: dict[str, str], order: Iterable[str]) -> str | None:
    """The first field with a problem, in the page's order: it gets the focus."""
    return next((name for name in order if name in errors), None)


def beside(request: Request, exc: DomainError) -> dict[str, str]:
    """A service's refusal, beside the field it names (`field`), else above the form."""
    return {getattr(exc, "field", "form"): said(request, exc)}


def also_check(
    request: Request,
    errors: dict[str, str],
    values: dict[str, str],
    name: str,
    check: Callable[[str], object],
) -> None:
    """Add a service's own check of one field (a check digit) to the schema's problems:
    the service runs it only once the rest is valid, and a form shows them all at once."""
    if values.get(name) and name not in errors:
        try:
            check(values[name])
        except DomainError as exc:
            errors |= beside(request, exc)
