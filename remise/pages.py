"""Pages: the Jinja templates, the signed-in browser, CSRF, flash messages, formats.

A browser signs in at `/login` and gets an HttpOnly, SameSite=Lax session cookie
holding a random token; `web_session` keeps its hash, so logging out ends it.
Every form carries a CSRF token derived from that cookie with the secret key
(HMAC), so a page of another site cannot post for the user. Stages' `web.py`
routes depend on `page_actor`/`page_require` and answer with `render`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import pass_context
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from db import codes
from db.errors import N_, DomainError, Forbidden
from remise import forms
from remise.auth import Actor, Permission
from remise.deps import SessionDep, credential_cache, get_engine, get_settings
from remise.errors import field_message
from remise.i18n import LOCALES, localise, number, translate, translations
from remise.settings import Settings
from remise.templating import Templates
from remise.threads import workers

SESSION_COOKIE = "remise_session"
LOCALE_COOKIE = "remise_locale"
FLASH_COOKIE = "remise_flash"
ANON_COOKIE = "remise_anon"  # before signing in: the login form's CSRF token hangs on it
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """No signed-in user: the page answers with a redirection to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRefused(Forbidden):
    code = "csrf_refused"
    message = N_(
        "This form has expired or did not come from Remise: reload the page and try again."
    )


def templates(directories: list[Path]) -> Templates:
    """The pages' templates, searching `directories` in order, one environment per
    language (`remise.templating`), with the filters of the pages."""
    filters: dict[str, Callable[..., Any]] = {"when": _when, "day": _day, "number": _number}
    return Templates(directories, filters | {"euros": _euros, "t": _t, "code": codes.display})


def _moment(value: str | datetime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pass_context
def _when(context: Any, value: str | datetime | None, width: str = "medium") -> str:
    """An instant in the user's language and the installation's time zone."""
    if value is None:
        return ""
    zone = ZoneInfo(context["settings"].timezone)
    return format_datetime(_moment(value), width, tzinfo=zone, locale=context["locale"])


@pass_context
def _day(context: Any, value: Any, width: str = "medium") -> str:
    return "" if value is None else format_date(value, width, locale=context["locale"])


@pass_context
def _number(context: Any, value: float | int | str | None) -> str:
    """A number in the user's language (`remise.i18n.number`)."""
    return "" if value is None else number(context["locale"], value)


@pass_context
def _euros(context: Any, cents: int | None) -> str:
    return "" if cents is None else format_currency(cents / 100, "EUR", locale=context["locale"])


@pass_context
def _t(context: Any, value: Any) -> Any:
    """A Message, or a text given in each language, in the user's language."""
    return localise(context["locale"], value)


def page_locale(request: Request) -> str:
    """The signed-in user's language, else the one chosen on this browser, else the default."""
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is not None and actor.locale in LOCALES:
        return actor.locale
    chosen = request.cookies.get(LOCALE_COOKIE)
    return chosen if chosen in LOCALES else get_settings(request).default_locale


@functools.lru_cache(maxsize=4096)
def _translated(locale: str, message: str) -> Markup:
    """A template's message in `locale`: a page says dozens, the same on every page."""
    return Markup(translations(locale).gettext(message))


def gettext_for(locale: str) -> tuple[Callable[..., str], Callable[..., str]]:
    """`_` and `ngettext` for templates: translated, then formatted with escaped values."""
    catalog = translations(locale)

    def gettext(message: str, **params: Any) -> str:
        text = _translated(locale, message)
        return text % params if params else text

    def ngettext(singular: str, plural: str, count: int, **params: Any) -> str:
        text = Markup(catalog.ngettext(singular, plural, count))
        return text % {"num": count, **params}

    return gettext, ngettext


def csrf_token(settings: Settings, session_token: str) -> str:
    """The form token of a session: an HMAC of its cookie, so nothing more is stored."""
    key = settings.secret_key.encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """The page `name` with the shell's context: who, language, CSRF token, messages."""
    settings = get_settings(request)
    locale = page_locale(request)
    request.state.locale = locale
    gettext, ngettext = gettext_for(locale)
    session_token, new_anon = _csrf_key(request)
    flash = unquote(request.cookies.get(FLASH_COOKIE, ""))
    shell = {
        "request": request,
        "settings": settings,
        "actor": getattr(request.state, "actor", None),
        "locale": locale,
        "locales": LOCALES,
        "Permission": Permission,
        "csrf_token": csrf_token(settings, session_token),
        "form_key": secrets.token_urlsafe(16),  # one per page shown: see `remise.forms`
        "flash": flash,
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
    }
    template = request.app.state.pages.get_template(name, locale)
    response = HTMLResponse(template.render(shell | (context or {})), status_code=status)
    response.headers["Content-Language"] = locale
    response.headers["Cache-Control"] = "no-store"
    if flash:
        delete_cookie(response, FLASH_COOKIE)
    if new_anon:
        set_cookie(response, ANON_COOKIE, new_anon)
    return response


def _csrf_key(request: Request) -> tuple[str, str | None]:
    """What the CSRF token is derived from: the session, else an anonymous cookie (made
    here if missing, and returned second so that the response sets it)."""
    if token := request.cookies.get(SESSION_COOKIE):
        return token, None
    if anon := request.cookies.get(ANON_COOKIE):
        return "anon:" + anon, None
    anon = secrets.token_urlsafe(24)
    return "anon:" + anon, anon


def said(request: Request, error: DomainError) -> str:
    """A domain error's message in the page's language."""
    return translate(page_locale(request), error.template, **error.params)


# Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
# "/\t/evil.example" or "/\\evil.example" would lead to another site: refuse them all.
_NOT_IN_A_LOCAL_PATH = re.compile(r"[\x00-\x1f\x7f\\]")
_MAX_NEXT = 2000


def safe_next(url: str | None, default: str = "/") -> str:
    """`url` if it is a path on this site, else `default`: no other site ("//x", "/\\x",
    "/%2F%2Fx"), no scheme ("https:", "javascript:"), no control character."""
    if not url or len(url) > _MAX_NEXT or not _local(url):
        return default
    decoded = url
    for _ in range(3):  # what a proxy or a later redirection might decode, too
        decoded = unquote(decoded)
        if not _local(decoded):
            return default
    return url


def _local(url: str) -> bool:
    if not url.startswith("/") or url.startswith("//") or _NOT_IN_A_LOCAL_PATH.search(url):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def set_cookie(
    response: Response, name: str, value: str, *, max_age: int | None = None, script: bool = False
) -> None:
    """Every cookie the pages set: for the whole site, SameSite=Lax, HttpOnly unless a
    `script` must read it. The Secure flag is added to every answer's cookies at the
    edge when REMISE_COOKIE_SECURE is on (see `remise.headers`)."""
    response.set_cookie(name, value, max_age=max_age, httponly=not script, samesite="lax", path="/")


def delete_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax")


def redirect(url: str, *, flash: str | None = None) -> RedirectResponse:
    """A 303 to the local path `url` (after a form), with a message for the next page."""
    location = safe_next(url)
    forms.remember(location)
    response = RedirectResponse(location, status_code=303)
    if flash:
        set_cookie(response, FLASH_COOKIE, quote(flash), max_age=60)
    return response


async def page_actor(request: Request) -> Actor:
    """The signed-in user, or LoginRequired (a redirection to /login, then back here)."""
    token = request.cookies.get(SESSION_COOKIE)
    actor = await cookie_actor(request, token) if token else None
    if actor is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(here)
    request.state.actor = actor
    request.state.locale = actor.locale
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


def page_require(permission: Permission) -> Callable[..., Awaitable[Actor]]:
    """A dependency: the signed-in user, if allowed `permission` (a 403 page otherwise)."""

    async def check(actor: PageActor) -> Actor:
        if not actor.may(permission):
            raise Forbidden()
        return actor

    return check


async def cookie_actor(request: Request, token: str) -> Actor | None:
    """Who a session cookie stands for (None: nobody), remembered by `remise.credentials`:
    the database is asked, in a worker thread and a short transaction of its own, only
    when it does not remember."""
    cache = credential_cache(request)
    actor = cache.cookie(token)
    if actor is None:
        actor = await workers(request).run(cache.cookie_from, get_engine(request), token)
    return actor


async def check_csrf(request: Request, session: SessionDep) -> None:
    """Refuse a form (or a script's POST) without this session's CSRF token; send a form
    already sent once to its first result (`remise.forms`)."""
    token, new_anon = _csrf_key(request)
    sent = request.headers.get(CSRF_HEADER)
    key: str | None = None
    if sent is None:
        form = await request.form()
        value, once = form.get(CSRF_FIELD), form.get(forms.FIELD)
        sent = value if isinstance(value, str) else ""
        key = once if isinstance(once, str) else None
    if new_anon or not hmac.compare_digest(sent, csrf_token(get_settings(request), token)):
        raise CsrfRefused()
    cookie = request.cookies.get(SESSION_COOKIE)
    actor = await cookie_actor(request, cookie) if cookie and key else None
    user_id = actor.user_id if actor is not None else None
    forms.expect(None)
    # In anyio's threads, where writers wait for the lock (never on the event loop, and
    # never in `remise.threads`' threads, which only read); the key is then remembered
    # here, in the request's context, where the route finds it.
    pending = await run_in_threadpool(
        forms.look_up, session, user_id=user_id, key=key, path=request.url.path
    )
    forms.expect(pending)


Csrf = Depends(check_csrf)


def form_errors(locale: str, error: ValidationError) -> dict[str, str]:
    """A form's problems by field name, in the user's language (the first per field)."""
    found: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item.get("loc", ())) or "form"
        found.setdefault(name, field_message(locale, dict(item)))
    return found


async def form_of(request: Request) -> FormData:
    """The posted form, parsed on the event loop so that the route itself can be a plain
    `def`: database work must run in the thread pool, never block the loop."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_of)]
