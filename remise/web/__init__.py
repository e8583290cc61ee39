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

from db.errors import N_
from intake import web as intake_web
from labels import web as labels_web
from refurbish import web as refurbish_web
from remise import pages
from remise.i18n import translate
from remise.web import account

STATIC = Path(__file__).resolve().parent.parent / "static"
TEMPLATES = [
    Path(__file__).resolve().parent.parent / "templates",
    Path(intake_web.__file__).parent / "templates",
    Path(labels_web.__file__).parent / "templates",
    Path(refurbish_web.__file__).parent / "templates",
]


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
    path = request.url.path
    return not path.startswith(("/api/", "/docs", "/redoc", "/openapi", "/static"))


def error_page(request: Request, status: int, detail: str) -> Response | None:
    """An error as a page, for page requests; None for the API (which answers JSON)."""
    if not is_page(request):
        return None
    referer = urlsplit(request.headers.get("referer") or "")
    back = referer.path if referer.netloc == request.url.netloc and referer.path else "/"
    locale = pages.page_locale(request)
    heading = translate(locale, HEADINGS.get(status, N_("Something went wrong")))
    context = {"heading": heading, "detail": detail, "back": pages.safe_next(back)}
    return pages.render(request, "error.html", context, status=status)


def install(app: FastAPI) -> None:
    """Mount the pages, their templates and static files on `app`."""
    env = pages.environment(TEMPLATES)
    settings = app.state.settings
    env.globals["label_layouts"] = lambda: labels_web.layout_choices(settings)
    app.state.pages = env
    app.state.error_page = error_page
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (account.router, labels_web.router, refurbish_web.router, intake_web.router):
        app.include_router(router)

    @app.exception_handler(pages.LoginRequired)
    async def login_required(request: Request, exc: pages.LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)
