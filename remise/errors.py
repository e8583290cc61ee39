"""Domain errors and invalid requests, mapped once to JSON answers in the user's language.

Every answer is `{"detail": …, "code": …}` with the status of the error kind
(`db.errors`), plus what the error carries (`errors` for per-field or per-row
problems). Anything else is a bug: logged, and a 500 that says so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from db.engine import BUSY_ERRORS, RETRY_AFTER_SECONDS, DatabaseBusy, is_busy
from db.errors import N_, DomainError
from db.jsonvalue import FIELD_MESSAGES as JSON_FIELD_MESSAGES
from remise.i18n import localise, translate

log = logging.getLogger("remise")

# Pydantic error types that a person can act on, in words we translate.
_FIELD_MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_long": N_("At most %(max_length)s characters."),
    "string_too_short": N_("At least %(min_length)s characters."),
    "int_parsing": N_("A whole number is expected."),
    "int_type": N_("A whole number is expected."),
    "bool_parsing": N_("Yes or no (true or false) is expected."),
    "date_from_datetime_parsing": N_("A date is expected, such as 2026-11-23."),
    "date_parsing": N_("A date is expected, such as 2026-11-23."),
    "greater_than_equal": N_("Must be %(ge)s or more."),
    "less_than_equal": N_("Must be %(le)s or less."),
    "enum": N_("Must be one of: %(expected)s."),
    "literal_error": N_("Must be one of: %(expected)s."),
    "json_invalid": N_("The body is not valid JSON."),
    "extra_forbidden": N_("This field is not expected."),
    **JSON_FIELD_MESSAGES,  # free-form JSON and numbers kept as text (db.jsonvalue)
}


# Why an integer in a path may fail validation: not a number, or out of the database's
# range (`remise.deps.IdPath`). Such an address names nothing, as an unknown id does: 404.
_NOT_AN_ID = frozenset(
    {"int_parsing", "int_type", "int_from_float", "greater_than_equal", "less_than_equal"}
)


def _names_no_row(errors: Sequence[Any]) -> bool:
    return any(e.get("loc", ("",))[0] == "path" and e.get("type") in _NOT_AN_ID for e in errors)


# What Starlette and FastAPI refuse themselves, in words we translate: a body that cannot
# be parsed (bad multipart, an undecodable form) is their 400.
_HTTP_MESSAGES: dict[int, str] = {
    400: N_(
        "The body of this request cannot be read: check that it is well-formed JSON, "
        "or a form as a browser sends it."
    ),
    404: N_("There is nothing at this address."),
    405: N_("This method is not allowed here."),
    413: N_("This request is too large."),
}
_HTTP_CODES = {400: "malformed_body", 413: "body_too_large"}


def locale_of(request: Request) -> str:
    return getattr(request.state, "locale", "fr")


def field_message(locale: str, error: dict[str, Any]) -> str:
    template = _FIELD_MESSAGES.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", ""))
    context = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    try:
        return translate(locale, template, **context)
    except (KeyError, TypeError):
        return str(error.get("msg", ""))


def _where(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(location[0] if location else "")


def _field(error: dict[str, Any]) -> str:
    """The field named by the error's location, and where inside a JSON value (`inside`)."""
    return _where(tuple(error.get("loc", ()))) + str((error.get("ctx") or {}).get("inside", ""))


def _as_page(request: Request, status: int, detail: str) -> Response | None:
    """The error as an HTML page when the request is for a page (see `remise.web`)."""
    render = getattr(request.app.state, "error_page", None)
    return render(request, status, detail) if render is not None else None


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        locale = locale_of(request)
        body = {"detail": translate(locale, exc.template, **exc.params), "code": exc.code}
        if (page := _as_page(request, exc.status, body["detail"])) is not None:
            return page
        return JSONResponse(body | localise(locale, exc.extra), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _names_no_row(exc.errors()):
            return await http_error(request, StarletteHTTPException(404))
        locale = locale_of(request)
        errors = [{"field": _field(e), "message": field_message(locale, e)} for e in exc.errors()]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        detail = translate(locale, N_("The request is not valid: %(problems)s"), problems=summary)
        if (page := _as_page(request, 422, detail)) is not None:
            return page
        return JSONResponse(
            {"detail": detail, "code": "invalid_request", "errors": errors}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail
        if exc.status_code in _HTTP_MESSAGES:
            detail = translate(locale_of(request), _HTTP_MESSAGES[exc.status_code])
        if (page := _as_page(request, exc.status_code, str(detail))) is not None:
            return page
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return JSONResponse(
            {"detail": detail, "code": code},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    _install_busy(app)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        detail = translate(
            locale_of(request),
            N_("Remise hit an unexpected error; it has been logged. Please tell a coordinator."),
        )
        return JSONResponse({"detail": detail, "code": "internal_error"}, status_code=500)


def _install_busy(app: FastAPI) -> None:
    for kind in BUSY_ERRORS:
        app.add_exception_handler(kind, _busy)


async def _busy(request: Request, exc: Exception) -> Response:
    """A writer that waited its turn too long: 503 and when to retry, never a 500."""
    if not is_busy(exc):
        raise exc  # a real database failure: the catch-all logs it as the 500 it is
    detail = translate(locale_of(request), DatabaseBusy.message)
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if (page := _as_page(request, 503, detail)) is not None:
        page.headers.update(retry)
        return page
    return JSONResponse(
        {"detail": detail, "code": DatabaseBusy.code}, status_code=503, headers=retry
    )
