"""The FastAPI application factory: one engine, the error mapping, every stage's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from sqlalchemy import Engine
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from db.engine import make_engine
from distribution import api as distribution_api
from intake import api as intake_api
from labels import api as labels_api
from refurbish import api as refurbish_api
from refurbish import probing_api
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
from remise.headers import SecurityHeaders
from remise.i18n import negotiate
from remise.settings import Settings

DESCRIPTION = """
Remise follows donated devices from intake to a partner structure: labels,
refurbishment, grading, distribution, each change recorded on a hash-chained ledger.

Authenticate with `Authorization: Bearer <token>` (`remise user create` prints one).
Errors answer `{"detail": …, "code": …}` in French, or in English with
`Accept-Language: en`.
"""


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


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the service; raises NotMigrated if the database needs `remise db upgrade`."""
    settings = settings or Settings()
    engine = engine or make_engine(
        settings.database_url, sqlite_synchronous=settings.sqlite_synchronous
    )
    migrate.check_current(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs = scheduler.start(engine, settings) if settings.scheduler_enabled else None
        try:
            yield
        finally:
            if jobs is not None:
                jobs.shutdown(wait=False)

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
    errors.install(app)
    apidocs.install(app)
    limits.install(app, settings, engine)  # inside choose_locale: its refusals are translated

    @app.middleware("http")
    async def choose_locale(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if web.is_page(request):  # pages: the user's choice, else French (see remise.pages)
            request.state.locale = pages.page_locale(request)
        else:
            request.state.locale = negotiate(
                request.headers.get("accept-language"), settings.default_locale
            )
        response = await call_next(request)
        response.headers.setdefault("Content-Language", request.state.locale)
        return response

    routers = (
        health.router,
        me.router,
        devices.router,
        ledger.router,
        intake_api.router,
        labels_api.router,
        refurbish_api.router,
        probing_api.router,
        distribution_api.router,
    )
    for router in routers:
        app.include_router(router)

    web.install(app)
    openapi.install(app)  # the error answers, declared where they occur
    return app
