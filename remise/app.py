"""The FastAPI application factory: one engine, the error mapping, every stage's routes."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI, Request
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from db.engine import make_engine
from distribution import api as distribution_api
from grading import api as grading_api
from intake import api as intake_api
from labels import api as labels_api
from refurbish import api as refurbish_api
from refurbish import probing_api
from refurbish.erasure import api as erasure_api
from refurbish.erasure import certificate_api, signing
from remise import (
    __version__,
    apidocs,
    errors,
    limits,
    migrate,
    openapi,
    pages,
    scheduler,
    web,
)
from remise.api import devices, health, ledger, me
from remise.credentials import CredentialCache
from remise.headers import SecurityHeaders
from remise.i18n import negotiate
from remise.routing import API_PATHS, PathRouter
from remise.settings import Settings
from remise.threads import Workers
from reporting import api as reporting_api

DESCRIPTION = """
Remise follows donated devices from intake to a partner structure: labels,
refurbishment, grading, distribution, each change recorded on a hash-chained ledger.

Authenticate with `Authorization: Bearer <token>` (`remise user create` prints one).
Errors answer `{"detail": …, "code": …}` in French, or in English with
`Accept-Language: en`.
"""


class ChooseLocale:
    """The language of the answer, in `request.state.locale` before anything runs and in
    Content-Language unless the answer set its own: for pages the user's choice, else
    French (see `remise.pages`); for the API, Accept-Language (a signed-in user's own
    language when there is none: `remise.deps.get_actor`). A pure ASGI layer: Starlette's
    `BaseHTTPMiddleware` would run every request in a task group of its own."""

    def __init__(self, app: ASGIApp, *, default_locale: str) -> None:
        self.app, self.default_locale = app, default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if web.is_page(request):
            locale = pages.page_locale(request)
        else:
            locale = negotiate(request.headers.get("accept-language"), self.default_locale)
        state = scope.setdefault("state", {})
        state["locale"] = locale

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Language", state.get("locale", locale))
            await send(message)

        await self.app(scope, receive, send_with_language)


class Remise(FastAPI):
    """The app with its outer edge around everything, even the handler of unexpected
    errors that Starlette keeps outermost: so that every answer, a 500 included, carries
    the security headers, and the client address is settled before anything reads it."""

    def build_middleware_stack(self) -> ASGIApp:
        settings: Settings = self.state.settings
        app: ASGIApp = SecurityHeaders(
            super().build_middleware_stack(), cookie_secure=bool(settings.cookie_secure)
        )
        if settings.trusted_proxy_list:  # else the peer's address is the client's
            app = ProxyHeadersMiddleware(app, trusted_hosts=settings.trusted_proxy_list)
        return app


def serve_app() -> FastAPI:
    """The app `remise serve` runs: `create_app` for a long-lived server process."""
    app = create_app()
    app.state.freeze_heap = True
    return app


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the service; raises NotMigrated if the database needs `remise db upgrade`."""
    settings = settings or Settings()
    engine = engine or make_engine(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.threads,
    )
    migrate.check_current(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # As many threads as the pool keeps connections: none waits for one (anyio's
        # default, 40 threads for SQLAlchemy's 5 + 10, left most threads queueing).
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if getattr(app.state, "freeze_heap", False):
            # What start-up built (modules, routes, schemas, templates) lives as long as
            # the process: out of the collector's sight, a full collection no longer
            # walks it, and the slowest answers under load came twice as fast (p99).
            gc.collect()
            gc.freeze()
        jobs = scheduler.start(engine, settings) if settings.scheduler_enabled else None
        try:
            yield
        finally:
            if jobs is not None:
                jobs.shutdown(wait=False)
            app.state.workers.shutdown()

    app = Remise(
        title="Remise",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # remise.apidocs serves them from local files, without inline scripts
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    if settings.environment == "production":
        # Certificates must be signed with the association's own key, kept and published:
        # production refuses to start without it rather than make one nobody knows.
        app.state.certificate_key = signing.key_for(
            settings.certificate_key, settings.data_dir, production=True
        )
    app.state.credentials = CredentialCache(settings.credential_cache_seconds)
    app.state.workers = Workers(settings.threads)
    errors.install(app)
    apidocs.install(app)
    limits.install(app, settings, engine)  # inside choose_locale: its refusals are translated

    app.add_middleware(ChooseLocale, default_locale=settings.default_locale)

    routers = (
        health.router,
        me.router,
        devices.router,
        ledger.router,
        intake_api.router,
        labels_api.router,
        refurbish_api.router,
        probing_api.router,
        erasure_api.router,
        certificate_api.router,
        grading_api.router,
        distribution_api.router,
        reporting_api.router,
    )
    api = PathRouter(under=API_PATHS)
    for router in routers:
        api.include_router(PathRouter.around(router))
    app.include_router(api)

    web.install(app)
    openapi.install(app)  # the error answers, declared where they occur
    return app
