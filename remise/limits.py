"""Request bodies: bounded before anything reads them, and read only for a known sender.

`BodyLimit` is a pure ASGI layer around the app. It never reads a body itself; it wraps
`receive` so that whoever reads it (FastAPI parsing JSON, a form, an upload) goes
through it. On the first read, routing is done, so the route is known (`scope["route"]`):

- a route that needs a signed-in sender (`remise.deps.get_actor` for the API,
  `remise.pages.page_actor` for pages) checks the bearer token or session cookie
  first, with the same functions as those dependencies: an unknown sender is answered
  401 (API) or sent to /login (pages) without a byte of its body read;
- the route decides the limit: a multipart body sent to a route that takes files (an
  `UploadFile` parameter, or the whole posted form, `remise.pages.FormDep`) may be as
  large as `max_upload_mb`; anything else (JSON, forms, a multipart body sent where no
  file is expected) is held to `max_body_kb`;
- a declared Content-Length over the limit is refused before reading (413), and the
  bytes are counted as they arrive, so a chunked body or a lying length is cut off as
  soon as it passes the limit.

A Content-Length over the largest limit is refused at once, before routing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.params import File
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import Engine
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from db.errors import N_, DomainError, Message, Unauthorized
from remise import deps, pages
from remise.credentials import BEARER, COOKIE, CredentialCache
from remise.settings import Settings
from remise.threads import workers

MIB = 1024 * 1024


class BodyTooLarge(DomainError):
    status = 413
    code = "body_too_large"
    message = N_(
        "This request is too large: Remise accepts at most %(size)s here. "
        "Send a smaller file, or split it into several."
    )


class RefusedWhileReading(HTTPException):
    """A refusal raised from `receive`. FastAPI turns anything but an HTTPException raised
    while it parses a body into a 400, so the refusal travels inside one and `install`'s
    handler answers it as the app answers the refusal itself."""

    def __init__(self, refusal: Exception) -> None:
        super().__init__(status_code=getattr(refusal, "status", 400), detail=str(refusal))
        self.refusal = refusal


@dataclass(frozen=True)
class Limits:
    body: int  # bytes
    upload: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(body=settings.max_body_kb * 1024, upload=settings.max_upload_mb * MIB)


def too_large(limit: int) -> BodyTooLarge:
    if limit >= MIB:
        return BodyTooLarge(size=Message(N_("%(count)s MB"), {"count": f"{limit / MIB:.3g}"}))
    return BodyTooLarge(size=Message(N_("%(count)s KB"), {"count": f"{limit / 1024:.3g}"}))


@dataclass(frozen=True)
class RoutePolicy:
    """What a route asks of a body: who must have sent it, and whether it holds files."""

    sender: Callable[..., Any] | None  # deps.get_actor, pages.page_actor or None
    takes_files: bool


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any] | None]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def policy_of(route: Any) -> RoutePolicy:
    dependant: Dependant | None = getattr(route, "dependant", None)
    if dependant is None:  # not a FastAPI route (static files): no sender, no files
        return RoutePolicy(sender=None, takes_files=False)
    calls = set(_calls(dependant))
    sender = next((c for c in (deps.get_actor, pages.page_actor) if c in calls), None)
    files = any(isinstance(p.field_info, File) for p in dependant.body_params)
    return RoutePolicy(sender=sender, takes_files=files or pages.form_of in calls)


def declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def _announces_body(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    return "transfer-encoding" in headers or (declared_length(scope) or 0) > 0


class BodyLimit:
    """The ASGI layer described above; `limits` in bytes, the engine for the sender check."""

    def __init__(self, app: ASGIApp, *, limits: Limits, engine: Engine) -> None:
        self.app, self.limits, self.engine = app, limits, engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _announces_body(scope):
            await self.app(scope, receive, send)
            return
        if (declared_length(scope) or 0) > self.limits.upload:
            response = await answer(Request(scope), too_large(self.limits.upload))
            await response(scope, receive, send)
            return
        guard = _Guard(self, scope, receive, send)
        await self.app(scope, guard.receive, guard.send)


class _Guard:
    """One request's body: checked on its first read, counted on every read after."""

    def __init__(self, layer: BodyLimit, scope: Scope, receive: Receive, send: Send) -> None:
        self.layer, self.scope, self._receive, self._send = layer, scope, receive, send
        self.limit: int | None = None
        self.received = 0
        self.answering = False

    async def send(self, message: AsgiMessage) -> None:
        self.answering = self.answering or message["type"] == "http.response.start"
        await self._send(message)

    async def receive(self) -> AsgiMessage:
        if self.answering:  # the body is only drained (a disconnect listener): let it be
            return await self._receive()
        if self.limit is None:
            self.limit = await self._first_read()
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise RefusedWhileReading(too_large(self.limit))
        return message

    async def _first_read(self) -> int:
        policy = policy_of(self.scope.get("route"))
        if policy.sender is deps.get_actor:
            await self._check(BEARER, _bearer_token(self.scope), Unauthorized())
        elif policy.sender is pages.page_actor:
            refusal = pages.LoginRequired(_back_to(self.scope))
            await self._check(COOKIE, _session_cookie(self.scope), refusal)
        multipart = (
            Headers(scope=self.scope).get("content-type", "").startswith("multipart/form-data")
        )
        limits = self.layer.limits
        limit = limits.upload if policy.takes_files and multipart else limits.body
        if (declared_length(self.scope) or 0) > limit:
            raise RefusedWhileReading(too_large(limit))
        return limit

    async def _check(self, kind: str, credential: str, refusal: Exception) -> None:
        """Refuse an unknown sender, without a use recorded: the request records it."""
        cache: CredentialCache = self.scope["app"].state.credentials
        if credential and cache.remembered(kind, credential):
            return
        known = credential and await workers(self.scope).run(
            cache.known, self.layer.engine, kind, credential
        )
        if not known:
            raise RefusedWhileReading(refusal)


def _bearer_token(scope: Scope) -> str:
    scheme, token = get_authorization_scheme_param(Headers(scope=scope).get("authorization"))
    return token.strip() if scheme.lower() == "bearer" else ""


def _session_cookie(scope: Scope) -> str:
    return Request(scope).cookies.get(pages.SESSION_COOKIE, "")


def _back_to(scope: Scope) -> str:
    """Where a signed-out form goes back to after signing in: the page it was on."""
    request = Request(scope)
    referer = urlsplit(request.headers.get("referer") or "")
    if referer.netloc != request.url.netloc:
        return "/"
    return pages.safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))


async def answer(request: Request, refusal: Exception) -> Any:
    """The app's own answer to `refusal`: the handler registered for its class."""
    handlers = request.app.exception_handlers
    for kind in type(refusal).__mro__:
        if kind in handlers:
            return await handlers[kind](request, refusal)
    raise refusal


def install(app: FastAPI, settings: Settings, engine: Engine) -> None:
    """Add the layer to `app` and answer its refusals as the app answers them."""

    async def refused(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, RefusedWhileReading)
        return await answer(request, exc.refusal)

    app.add_exception_handler(RefusedWhileReading, refused)
    app.add_middleware(BodyLimit, limits=Limits.of(settings), engine=engine)
