"""Domain errors and invalid requests, mapped once to JSON answers in the user's language.

Every answer is `{"detail": …, "code": …}` with the status of the error kind
(`db.errors`), plus what the error carries (`errors` for per-field or per-row
problems). Anything else is a bug: logged, and a 500 that says so.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from db.errors import N_, DomainError
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
}


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
        locale = locale_of(request)
        errors = [
            {"field": _where(tuple(e.get("loc", ()))), "message": field_message(locale, e)}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        detail = translate(locale, N_("The request is not valid: %(problems)s"), problems=summary)
        if (page := _as_page(request, 422, detail)) is not None:
            return page
        return JSONResponse(
            {"detail": detail, "code": "invalid_request", "errors": errors}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            404: N_("There is nothing at this address."),
            405: N_("This method is not allowed here."),
        }
        detail = exc.detail
        if exc.status_code in messages:
            detail = translate(locale_of(request), messages[exc.status_code])
        if (page := _as_page(request, exc.status_code, str(detail))) is not None:
            return page
        return JSONResponse(
            {"detail": detail, "code": f"http_{exc.status_code}"},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        detail = translate(
            locale_of(request),
            N_("Remise hit an unexpected error; it has been logged. Please tell a coordinator."),
        )
        return JSONResponse({"detail": detail, "code": "internal_error"}, status_code=500)
