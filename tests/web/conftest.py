"""Browser tests: `remise serve` on a demo SQLite database, driven by Debian's chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Without
it the browser tests skip, unless REMISE_REQUIRE_TOOLS=1 (CI), where they fail.
Every page a test visits is checked with axe-core (vendored from npm under
`vendor/`) and saved as a screenshot under tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
REQUIRE_TOOLS = os.environ.get("REMISE_REQUIRE_TOOLS") == "1"
DEADLINE_SECONDS = 30
CSP_REFUSAL = "Content Security Policy"  # in the console message of every CSP refusal
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class Server:
    base: str
    tokens: dict[str, str]  # demo user name → API token
    env: dict[str, str]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real `remise serve` on 127.0.0.1 with the demo data, for one test module."""
    folder = tmp_path_factory.mktemp("web")
    env = os.environ | {
        "REMISE_DATABASE_URL": f"sqlite:///{folder / 'remise.db'}",
        "REMISE_DATA_DIR": str(folder / "data"),
        "REMISE_SCHEDULER_ENABLED": "false",
    }
    remise = [sys.executable, "-m", "remise"]
    subprocess.run([*remise, "db", "upgrade"], env=env, check=True, capture_output=True)
    demo = subprocess.run([*remise, "demo"], env=env, capture_output=True, text=True, check=True)
    tokens = dict(re.findall(r"^\s+(\w+): (rms_\S+)$", demo.stdout, re.MULTILINE))
    port = _free_port()
    process = subprocess.Popen(
        [*remise, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "serve.log").open("w"),  # kept with the test's files
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not _answers(f"{base}/api/v1/health"):
            assert process.poll() is None, "remise serve stopped"
            assert time.monotonic() < deadline, "remise serve did not answer in time"
            time.sleep(0.1)
        yield Server(base, tokens, env)
    finally:
        process.terminate()
        process.wait(timeout=10)


def api(server: Server, user: str, method: str, path: str, body: object = None) -> object:
    """Call the JSON API as a demo user (to prepare data the page then shows)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        server.base + path,
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {server.tokens[user]}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        payload = answer.read()
    content = answer.headers.get("Content-Type", "")
    return json.loads(payload) if content.startswith("application/json") else payload


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if REQUIRE_TOOLS:
            pytest.fail("chromium is required (REMISE_REQUIRE_TOOLS=1): apt-get install chromium")
        pytest.skip("no /usr/bin/chromium")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object, server: Server) -> Iterator[object]:
    """A fresh browser context (no cookies) at 1366×768, the bench computers' screen."""
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=server.base, viewport={"width": 1366, "height": 768}, locale="fr-FR"
    )
    context.set_default_timeout(30_000)  # a 2-core CI machine also runs the other tests
    opened = context.new_page()
    refused: list[str] = []  # what the Content-Security-Policy blocked (remise.headers)
    opened.on("console", lambda m: refused.extend(csp_refusals(m.text, server.base)))  # type: ignore[attr-defined]
    yield opened
    context.close()
    assert refused == [], "the Content-Security-Policy blocked something on these pages"


def csp_refusals(message: str, base: str) -> list[str]:
    """The console message of a Content-Security-Policy refusal of something Remise needs:
    [message], or [] (another message, or a load from another site, kept out on purpose:
    ReDoc's logo from its CDN)."""
    if CSP_REFUSAL not in message:
        return []
    blocked = re.search(r"'(https?://[^/']+)", message)
    return [] if blocked and blocked.group(1) != base else [message]


def check_page(page: object, name: str) -> None:
    """Save a screenshot, then fail on any serious or critical axe-core violation."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
    # Evaluated through the DevTools protocol: a <script> tag added here would be inline,
    # which the pages' Content-Security-Policy refuses.
    page.evaluate(AXE.read_text())  # type: ignore[attr-defined]
    results = page.evaluate(  # type: ignore[attr-defined]
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"axe-core on {name}"


def sign_in(page: object, user: str, *, next_path: str = "/") -> None:
    page.goto(f"/login?next={next_path}")  # type: ignore[attr-defined]
    page.get_by_label("Nom d'utilisateur").fill(user)  # type: ignore[attr-defined]
    page.get_by_label("Mot de passe").fill(f"demo-{user}-remise")  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.click("main button[type=submit]")  # type: ignore[attr-defined]
    path = next_path.partition("?")[0]
    landed = urlsplit(page.url).path  # type: ignore[attr-defined]
    if landed != path:  # refused: say what the page said rather than wait for nothing
        said = page.inner_text("main")  # type: ignore[attr-defined]
        pytest.fail(f"signing in as {user} led to {page.url} instead of {path}: {said}")  # type: ignore[attr-defined]
