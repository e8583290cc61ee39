"""The web pages: the shell (sign-in, language, home), each stage's pages, static files.

`install` mounts them on the app. Pages are server-rendered (Jinja2) with a little
plain JavaScript; every asset is served from `remise/static`, nothing from a CDN.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute, Match

from db.errors import N_
from distribution import web as distribution_web
from grading import web as grading_web
from intake import import_pages as intake_import_pages
from intake import web as intake_web
from labels import web as labels_web
from refurbish import web as refurbish_web
from refurbish.erasure import web as erasure_web
from remise import forms, pages
from remise.i18n import translate
from remise.routing import API_PATHS, PathRouter
from remise.web import account, users
from reporting import web as reporting_web

STATIC = Path(__file__).resolve().parent.parent / "static"
TEMPLATES = [
    Path(__file__).resolve().parent.parent / "templates",
    Path(intake_web.__file__).parent / "templates",
    Path(labels_web.__file__).parent / "templates",
    Path(refurbish_web.__file__).parent / "templates",
    Path(grading_web.__file__).parent / "templates",
    Path(distribution_web.__file__).parent / "templates",
    Path(reporting_web.__file__).parent / "templates",
]


ALREADY_SENT = N_("This form had already been sent: here is what it did. Nothing was done twice.")

HEADINGS = {
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Not possible now"),
    422: N_("Please check"),
    400: N_("Please check"),
    413: N_("Too large"),
    429: N_("Please wait"),
    503: N_("Busy, try again"),
}


def is_page(request: Request) -> bool:
    """Whether a request is for a page (answered in HTML) rather than the API."""
    path: str = request.scope.get("path", "")  # not `request.url`: parsing it costs more
    return not path.startswith(("/api/", "/docs", "/redoc", "/openapi", "/static"))


def error_page(request: Request, status: int, detail: str) -> Response | None:
    """An error as a page, for page requests; None for the API (which answers JSON)."""
    if not is_page(request):
        return None
    if status == 405 and request.method in ("GET", "HEAD"):
        # A POST-only address opened, reloaded or come back to (a form's error page
        # after the session expired, a bookmark): the nearest page above it.
        return RedirectResponse(_nearest_page(request), status_code=303)
    referer = urlsplit(request.headers.get("referer") or "")
    back = referer.path if referer.netloc == request.url.netloc and referer.path else "/"
    locale = pages.page_locale(request)
    heading = translate(locale, HEADINGS.get(status, N_("Something went wrong")))
    context = {"heading": heading, "detail": detail, "back": pages.safe_next(back)}
    return pages.render(request, "error.html", context, status=status)


def _nearest_page(request: Request) -> str:
    """The closest address above the request's path that a GET answers (at worst, "/")."""
    path = request.url.path.rstrip("/")
    while path:
        path = path.rpartition("/")[0]
        scope = {"type": "http", "method": "GET", "path": path or "/", "root_path": ""}
        for route in request.app.router.routes:
            if isinstance(route, BaseRoute) and route.matches(scope)[0] == Match.FULL:
                return path or "/"
    return "/"


def install(app: FastAPI) -> None:
    """Mount the pages, their templates and static files on `app`."""
    templates = pages.templates(TEMPLATES)
    settings = app.state.settings
    templates.add_globals(
        label_layouts=lambda: labels_web.layout_choices(settings),
        layout_size=labels_web.layout_size,
    )
    app.state.pages = templates
    app.state.error_page = error_page
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    pages_router = PathRouter(outside=API_PATHS)
    for router in (
        account.router,
        users.router,
        labels_web.router,
        refurbish_web.router,
        erasure_web.router,
        intake_web.router,
        intake_import_pages.router,
        grading_web.router,
        distribution_web.router,
        reporting_web.router,
    ):
        pages_router.include_router(PathRouter.around(router))
    app.include_router(pages_router)

    @app.exception_handler(forms.AlreadySent)
    async def already_sent(request: Request, exc: forms.AlreadySent) -> Response:
        said = translate(pages.page_locale(request), ALREADY_SENT)
        return pages.redirect(exc.location, flash=said)

    @app.exception_handler(pages.LoginRequired)
    async def login_required(request: Request, exc: pages.LoginRequired) -> Response:
        # the home page is where a browser opens, not a destination: after signing in,
        # each role starts on its own page (`remise.auth.START_PAGES`)
        target = "/login" if exc.next_url == "/" else f"/login?next={quote(exc.next_url)}"
        return RedirectResponse(target, status_code=303)
