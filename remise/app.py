"""The FastAPI application factory: one engine, the error mapping, every stage's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine

from db.engine import make_engine
from distribution import api as distribution_api
from intake import api as intake_api
from labels import api as labels_api
from refurbish import api as refurbish_api
from refurbish import probing_api
from remise import __version__, errors, migrate, pages, scheduler, web
from remise.api import devices, health, ledger
from remise.i18n import negotiate
from remise.settings import Settings

DESCRIPTION = """
Remise follows donated devices from intake to a partner structure: labels,
refurbishment, grading, distribution, each change recorded on a hash-chained ledger.

Authenticate with `Authorization: Bearer <token>` (`remise user create` prints one).
Errors answer `{"detail": …, "code": …}` in French, or in English with
`Accept-Language: en`.
"""


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

    # The documentation pages' scripts are served by the app: no CDN, works offline.
    app = FastAPIOffline(
        title="Remise",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    errors.install(app)

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
    return app
