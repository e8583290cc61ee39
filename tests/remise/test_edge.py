"""The request edge: bodies bounded and read only for a known sender, security headers on
every answer, cookies, local redirect targets, forwarded headers, the 400 translated."""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.engine import transaction
from db.enums import Role, Status
from remise import accounts, pages
from remise.app import create_app
from remise.auth import system_actor
from remise.settings import Settings
from remise.web import TEMPLATES
from tests.factories import auth, make_device, make_token
from tests.liveserver import LiveServer, live_server

MIB = 1024 * 1024
PASSWORD = "a quiet harbour at dawn 42"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DONOR = b'{"name": "Banque Solidaire", "siret": "732 829 320 00074"}'


# --- talking to the app at the ASGI level, to see how much of a body it reads --------


class Body:
    """A request body handed over in chunks, counting how many the app asked for."""

    def __init__(self, chunk: bytes, count: int) -> None:
        self.chunk, self.left, self.read = chunk, count, 0

    async def receive(self) -> dict[str, Any]:
        if self.left == 0:
            return {"type": "http.disconnect"}
        self.left -= 1
        self.read += 1
        return {"type": "http.request", "body": self.chunk, "more_body": self.left > 0}


def asgi_post(
    app: FastAPI, path: str, body: Body, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    answer: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    anyio.run(app, scope, body.receive, send)
    return answer["status"], answer["headers"], answer["body"]


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


def json_headers(token: str | None = None, **more: str) -> dict[str, str]:
    sent = {"host": "testserver", "content-type": "application/json", **more}
    return sent | ({"authorization": f"Bearer {token}"} if token else {})


@pytest.mark.parametrize("credentials", [None, "Bearer rms_not-a-token", "Basic dXNlcjpwdw=="])
def test_an_unknown_sender_is_refused_401_before_its_body_is_read(
    app: FastAPI, credentials: str | None
) -> None:
    body = Body(b"x" * 65536, 2560)  # 160 MB, chunked
    headers = json_headers(**{"transfer-encoding": "chunked"})
    if credentials:
        headers["authorization"] = credentials
    status, _headers, answer = asgi_post(app, "/api/v1/donors", body, headers)
    assert status == 401 and b'"code":"unauthorized"' in answer
    assert body.read == 0


def test_a_signed_out_form_is_sent_to_sign_in_before_its_body_is_read(app: FastAPI) -> None:
    for cookie in ({}, {"cookie": f"{pages.SESSION_COOKIE}=rms_forged"}):
        body = Body(b"x" * 65536, 800)
        headers = {
            "host": "testserver",
            "content-type": "multipart/form-data; boundary=x",
            "content-length": str(65536 * 800),
            "referer": "http://testserver/intake/batches/1",
            **cookie,
        }
        status, answer_headers, _ = asgi_post(app, "/intake/batches/1/import", body, headers)
        assert status == 303
        assert answer_headers["location"] == "/login?next=/intake/batches/1"
        assert body.read == 0


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    app: FastAPI, engine: Engine
) -> None:
    token = make_token(engine)
    body = Body(b"x" * 65536, 32)  # 2 MB, more than the 1 MB for JSON
    headers = json_headers(token, **{"content-length": str(2 * MIB)})
    status, _headers, answer = asgi_post(app, "/api/v1/donors", body, headers)
    assert status == 413 and b'"code":"body_too_large"' in answer
    assert "au plus 1 Mo ici" in answer.decode()
    assert body.read == 0


@pytest.mark.parametrize("declared", [None, "100"])  # chunked, or a length that lies
def test_a_body_is_cut_off_as_soon_as_it_passes_the_limit(
    app: FastAPI, engine: Engine, declared: str | None
) -> None:
    token = make_token(engine)
    body = Body(b"x" * 65536, 2560)
    framing = {"content-length": declared} if declared else {"transfer-encoding": "chunked"}
    headers = json_headers(token, **framing)
    status, _headers, answer = asgi_post(app, "/api/v1/donors", body, headers)
    assert status == 413 and b'"code":"body_too_large"' in answer
    assert body.read == 17  # 1 MB is 16 chunks: the 17th passes the limit, and is the last


def test_a_small_body_from_a_known_sender_goes_through(app: FastAPI, engine: Engine) -> None:
    body = Body(DONOR, 1)
    headers = json_headers(make_token(engine), **{"content-length": str(len(DONOR))})
    status, _headers, answer = asgi_post(app, "/api/v1/donors", body, headers)
    assert status == 201, answer


# --- the limits through the ordinary client ------------------------------------------


def test_too_large_is_said_in_the_request_language(client: TestClient, engine: Engine) -> None:
    token = make_token(engine)

    def chunks() -> Iterator[bytes]:
        for _ in range(3):
            yield b" " * MIB

    french = client.post("/api/v1/donors", content=b" " * (2 * MIB), headers=auth(token))
    assert french.status_code == 413
    assert french.json() == {
        "detail": "Cette requête est trop volumineuse : Remise accepte au plus 1 Mo ici. "
        "Envoyez un fichier plus petit, ou découpez-le en plusieurs.",
        "code": "body_too_large",
    }
    english = client.post(
        "/api/v1/donors", content=chunks(), headers=auth(token, **{"Accept-Language": "en"})
    )
    assert "content-length" not in english.request.headers
    assert english.status_code == 413
    assert english.json()["detail"].startswith("This request is too large: Remise accepts at")


@pytest.fixture
def small(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    limited = settings.model_copy(update={"max_body_kb": 64, "max_upload_mb": 1})
    with TestClient(create_app(limited, engine=engine)) as test_client:
        yield test_client


def _batch(client: TestClient, headers: dict[str, str]) -> int:
    donor = client.post("/api/v1/donors", content=DONOR, headers=headers)
    batch = client.post(
        "/api/v1/batches",
        headers=headers,
        json={"donor_id": donor.json()["id"], "pickup_date": "2026-11-02", "site": "Nantes"},
    )
    assert batch.status_code == 201, batch.text
    return int(batch.json()["id"])


def _csv(size: int) -> bytes:
    """An asset list of about `size` bytes."""
    rows = b"".join(b"laptop,SN%08d\n" % n for n in range(size // 18 + 1))
    return b"category,serial\n" + rows


def test_an_upload_may_be_larger_than_a_json_body_but_not_than_its_own_limit(
    small: TestClient, engine: Engine
) -> None:
    coordinator = auth(make_token(engine), **{"Content-Type": "application/json"})
    batch = _batch(small, coordinator)
    token = {"Authorization": coordinator["Authorization"], "Accept-Language": "en"}
    url = f"/api/v1/batches/{batch}/import?dry_run=true"
    fits = small.post(url, headers=token, files={"file": ("list.csv", _csv(200_000), "text/csv")})
    assert fits.status_code != 413, fits.text
    too_big = small.post(
        url, headers=token, files={"file": ("list.csv", _csv(MIB + 1), "text/csv")}
    )
    assert too_big.status_code == 413
    assert "at most 1 MB here" in too_big.json()["detail"]
    # The same size as JSON, or as a multipart body where no file is expected: 64 KB.
    as_json = small.post("/api/v1/donors", headers=coordinator, content=b" " * 200_000)
    assert as_json.status_code == 413 and "64 Ko" in as_json.json()["detail"]
    as_form = small.post(
        "/api/v1/donors", headers=token, files={"file": ("x.csv", _csv(200_000), "text/csv")}
    )
    assert as_form.status_code == 413 and "64 KB" in as_form.json()["detail"]


def make_user(engine: Engine, name: str, role: Role) -> None:
    with transaction(engine) as session:
        accounts.create_user(
            session, system_actor("tests"), username=name, role=role, password=PASSWORD
        )


def csrf_of(client: TestClient, path: str = "/login") -> str:
    found = CSRF.search(client.get(path).text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, engine: Engine, name: str, role: Role = Role.COORDINATOR) -> None:
    make_user(engine, name, role)
    data = {"username": name, "password": PASSWORD, "next": "/", "csrf_token": csrf_of(client)}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303


def test_a_page_form_too_large_gets_the_error_page(small: TestClient, engine: Engine) -> None:
    sign_in(small, engine, "claire")
    data = {"csrf_token": csrf_of(small, "/intake/donors/new"), "name": "x" * 100_000}
    answer = small.post("/intake/donors/new", data=data)
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "au plus 64 Ko ici" in answer.text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),  # no boundary
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n"),
    ],
)
def test_a_malformed_body_is_a_400_in_the_request_language(
    client: TestClient, engine: Engine, content_type: str, body: bytes
) -> None:
    token = make_token(engine)
    batch = _batch(client, auth(token, **{"Content-Type": "application/json"}))
    url = f"/api/v1/batches/{batch}/import"
    french = client.post(url, content=body, headers=auth(token, **{"Content-Type": content_type}))
    assert french.status_code == 400
    assert french.json() == {
        "detail": "Le contenu de cette requête est illisible : vérifiez qu'il s'agit d'un JSON "
        "bien formé, ou d'un formulaire tel qu'un navigateur l'envoie.",
        "code": "malformed_body",
    }
    english = client.post(
        url,
        content=body,
        headers=auth(token, **{"Content-Type": content_type, "Accept-Language": "en"}),
    )
    assert english.json()["detail"].startswith("The body of this request cannot be read")


# --- security headers -----------------------------------------------------------------


def _check_headers(headers: Any, path: str) -> None:
    policy = dict(
        part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'", path
    assert policy["frame-ancestors"] == "'none'", path
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'", path
    assert "unsafe-inline" not in policy["default-src"], path
    assert headers["x-content-type-options"] == "nosniff", path
    assert headers["referrer-policy"] == "same-origin", path


def test_every_answer_carries_the_security_headers(settings: Settings, engine: Engine) -> None:
    app = create_app(settings, engine=engine)

    @app.get("/api/v1/test-boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        answers = {
            "json": client.get("/api/v1/health"),
            "page": client.get("/login"),
            "redirect": client.get("/", follow_redirects=False),
            "static": client.get("/static/remise.css"),
            "docs": client.get("/docs"),
            "docs script": client.get("/static-offline-docs/swagger-ui-bundle.js"),
            "openapi": client.get("/openapi.json"),
            "404": client.get("/api/v1/nothing-here"),
            "401": client.post("/api/v1/donors", content=DONOR),
            "413": client.post("/api/v1/donors", content=b" " * (60 * MIB)),
            "500": client.get("/api/v1/test-boom"),
        }
    assert answers["500"].status_code == 500 and answers["413"].status_code == 413
    for name, answer in answers.items():
        _check_headers(answer.headers, name)
    styles = answers["page"].headers["content-security-policy"]
    assert "style-src 'self' 'nonce-" in styles and "unsafe-inline" not in styles


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_WITHOUT_NONCE = re.compile(r"<style(?![^>]*\bnonce=)[^>]*>|\sstyle\s*=", re.IGNORECASE)


def _templates() -> list[Path]:
    return sorted(p for folder in TEMPLATES for p in folder.rglob("*.html"))


def test_no_template_holds_an_inline_script_handler_or_style() -> None:
    found = []
    for path in _templates():
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, STYLE_WITHOUT_NONCE):
            found += [f"{path.name}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert len(_templates()) > 15
    assert found == []


def test_the_label_print_page_style_carries_the_answer_nonce(
    client: TestClient, engine: Engine
) -> None:
    sign_in(client, engine, "lucie", Role.BENCH)
    with transaction(engine) as session:
        code = make_device(session, status=Status.RECEIVED).code
    data = {
        "codes": code,
        "format": "thermal-62mm",
        "back": "javascript:alert(1)",
        "csrf_token": csrf_of(client, "/bench"),
    }
    page = client.post("/labels/print", data=data)
    assert page.status_code == 200, page.text
    nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce is not None and f'<style nonce="{nonce[1]}">' in page.text
    assert 'href="/bench"' in page.text and "javascript:" not in page.text


# --- cookies --------------------------------------------------------------------------


def _cookies(answer: Any) -> dict[str, str]:
    return {v.split("=", 1)[0]: v for v in answer.headers.get_list("set-cookie")}


def test_every_cookie_is_secure_when_asked(settings: Settings, engine: Engine) -> None:
    secure = settings.model_copy(update={"cookie_secure": True})
    with TestClient(create_app(secure, engine=engine), base_url="https://testserver") as client:
        make_user(engine, "claire", Role.COORDINATOR)
        login = client.get("/login")
        data = {"username": "claire", "password": PASSWORD, "csrf_token": csrf_of(client)}
        signed_in = client.post("/login", data=data, follow_redirects=False)
        language = client.post(
            "/language",
            data={"locale": "en", "next": "/", "csrf_token": csrf_of(client, "/")},
            follow_redirects=False,
        )
        logout = client.post(
            "/logout", data={"csrf_token": csrf_of(client, "/")}, follow_redirects=False
        )
    cookies = (
        _cookies(login) | _cookies(signed_in) | _cookies(language) | _cookies(logout)
    ).values()
    names = {c.split("=", 1)[0] for c in cookies}
    assert {pages.ANON_COOKIE, pages.SESSION_COOKIE, pages.LOCALE_COOKIE} <= names
    assert pages.FLASH_COOKIE in names
    for cookie in cookies:
        assert "; secure" in cookie.lower(), cookie


def test_cookies_are_not_marked_secure_by_default_in_development(client: TestClient) -> None:
    cookie = client.get("/login").headers["set-cookie"]
    assert cookie.startswith(pages.ANON_COOKIE) and "secure" not in cookie.lower()


@pytest.mark.parametrize(
    ("environment", "asked", "expected"),
    [
        ("development", None, False),
        ("development", True, True),
        ("production", None, True),
        ("production", False, False),
    ],
)
def test_cookies_are_secure_by_default_in_production(
    environment: str, asked: bool | None, expected: bool
) -> None:
    given = {} if asked is None else {"cookie_secure": asked}
    settings = Settings(environment=environment, secret_key="k" * 40, **given)  # type: ignore[arg-type]
    assert settings.cookie_secure is expected


# --- redirect targets -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/", "/"),
        ("/intake/batches/3?page=2#register", "/intake/batches/3?page=2#register"),
        ("/bench/devices/RMS-2K4F-9QX7", "/bench/devices/RMS-2K4F-9QX7"),
        ("/search?q=a%20b", "/search?q=a%20b"),
        (None, "D"),
        ("", "D"),
        ("//evil.example", "D"),
        ("///evil.example", "D"),
        ("/\\evil.example", "D"),
        ("\\\\evil.example", "D"),
        ("/%2F%2Fevil.example", "D"),
        ("/%2f/evil.example", "D"),
        ("/%5Cevil.example", "D"),
        ("/%252F%252Fevil.example", "D"),
        ("\t//evil.example", "D"),
        ("/\t/evil.example", "D"),
        ("/\n/evil.example", "D"),
        ("/%09/evil.example", "D"),
        ("/\x00", "D"),
        ("/\x7f", "D"),
        (" /x", "D"),
        ("https://evil.example", "D"),
        ("https:evil.example", "D"),
        ("javascript:alert(1)", "D"),
        ("JaVaScRiPt:alert(1)", "D"),
        ("data:text/html,x", "D"),
        ("evil.example", "D"),
        ("/" + "a" * 2000, "D"),
    ],
)
def test_only_a_local_path_is_a_redirect_target(url: str | None, expected: str) -> None:
    assert pages.safe_next(url, "D") == expected


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "/%2F%2Fevil.example"])
def test_signing_in_never_leads_to_another_site(
    client: TestClient, engine: Engine, target: str
) -> None:
    make_user(engine, "claire", Role.COORDINATOR)
    shown = client.get("/login", params={"next": target})
    assert 'name="next" value="/"' in shown.text
    data = {"username": "claire", "password": PASSWORD, "next": target}
    answer = client.post(
        "/login", data=data | {"csrf_token": csrf_of(client)}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    language = client.post(
        "/language",
        data={"locale": "en", "next": target, "csrf_token": csrf_of(client, "/")},
        follow_redirects=False,
    )
    assert language.headers["location"] == "/"


# --- forwarded headers ----------------------------------------------------------------


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert Settings(trusted_proxies=" 10.0.0.1, 192.168.0.0/16 ").trusted_proxy_list == [
        "10.0.0.1",
        "192.168.0.0/16",
    ]
    with pytest.raises(ValueError, match="not an address or a network"):
        Settings(trusted_proxies="10.0.0.1, proxy.local")


def _wrong_logins(server: LiveServer, forwarded_for: list[str]) -> list[int]:
    """Wrong passwords at /login from one browser, each claiming another X-Forwarded-For."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with browser.open(f"{server.base}/login", timeout=30) as page:
        csrf = CSRF.search(page.read().decode())
    assert csrf is not None
    statuses = []
    for address in forwarded_for:
        form = {"username": "claire", "password": "not her password", "csrf_token": csrf[1]}
        asked = urllib.request.Request(
            f"{server.base}/login",
            data=urllib.parse.urlencode(form).encode(),
            headers={"X-Forwarded-For": address},
        )
        try:
            with browser.open(asked, timeout=30) as answer:
                statuses.append(answer.status)
        except urllib.error.HTTPError as refused:
            statuses.append(refused.code)
    return statuses


ADDRESSES = [f"10.9.{n}.1" for n in range(6)]


def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    tmp_path: Path, sqlite_template: Path
) -> None:
    database = tmp_path / "remise.db"
    shutil.copyfile(sqlite_template, database)
    url = f"sqlite:///{database}"
    with live_server(url, tmp_path / "data", demo=False) as server:
        assert _wrong_logins(server, ADDRESSES) == [401] * 5 + [429]  # one address: 127.0.0.1
    trusted = {"REMISE_TRUSTED_PROXIES": "127.0.0.1"}
    with live_server(url, tmp_path / "data", env=trusted, demo=False) as server:
        others = [f"10.8.{n}.1" for n in range(6)]
        assert _wrong_logins(server, others) == [401] * 6  # six addresses, one try each
