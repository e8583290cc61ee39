"""The pages and the API documentation run under the Content-Security-Policy of every
answer (`remise.headers`): nothing they need is refused. The `page` fixture fails a test
whenever the browser reports a refusal; these visits make sure each main page is seen."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Server, csp_refusals, sign_in

PAGES = ["/", "/bench", "/bench/continuous", "/intake", "/intake/donors/new", "/intake/batches/new"]


def _refusals(page: Any, server: Server) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: seen.extend(csp_refusals(m.text, server.base)))
    return seen


def test_the_main_pages_run_under_the_policy(page: Any, server: Server) -> None:
    seen = _refusals(page, server)
    page.goto("/login")
    sign_in(page, "coordinatrice")
    for path in PAGES:
        answer = page.goto(path)
        assert answer.status == 200, path
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        page.wait_for_load_state("load")
    assert seen == []


def test_the_api_documentation_runs_under_the_policy(page: Any, server: Server) -> None:
    seen = _refusals(page, server)
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title")  # drawn by Swagger UI from /openapi.json
    page.wait_for_selector(".opblock-tag")
    page.goto("/redoc")
    page.wait_for_selector("redoc .api-content h1, [role=navigation]")  # drawn by ReDoc
    assert seen == []
