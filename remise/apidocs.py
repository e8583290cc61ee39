"""The API documentation pages, /docs (Swagger UI) and /redoc, from local files only.

FastAPI's own pages load their libraries from a CDN and start Swagger UI with an inline
script; here the libraries come from fastapi-offline's files (works offline) and the
start-up script from `remise/static/api-docs.js`, so that the pages run under the
Content-Security-Policy of every answer (`remise.headers`): no inline script.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

LIBRARIES = Path(fastapi_offline.__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Serve the documentation pages and their libraries on `app`."""
    app.mount("/static-offline-docs", StaticFiles(directory=LIBRARIES), name="static-offline-docs")

    def page(request: Request, name: str) -> HTMLResponse:
        template = request.app.state.pages.get_template(f"api/{name}.html")
        context = {
            "title": app.title,
            "root": request.scope.get("root_path", ""),
            "openapi_url": app.openapi_url,
        }
        return HTMLResponse(template.render(context))

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        return page(request, "swagger")

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return page(request, "redoc")
