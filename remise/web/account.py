"""Signing in and out, the language of the pages, and the home page of each role."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from db.errors import N_, Unauthorized
from remise import accounts, security
from remise.auth import start_page
from remise.deps import SessionDep, get_settings
from remise.i18n import LOCALES, translate
from remise.lockout import TooManyAttempts
from remise.pages import (
    LOCALE_COOKIE,
    SESSION_COOKIE,
    Csrf,
    PageActor,
    page_locale,
    redirect,
    render,
    safe_next,
)

router = APIRouter(include_in_schema=False)
YEAR_SECONDS = 365 * 24 * 3600
DEVICE_COOKIE = "remise_device"  # names who signed in on this browser: see remise.lockout
ENDED_NOTICE = timedelta(days=7)  # how long after its session a browser is told it ended


def _heading(next: str) -> str:
    """Where the sign-in is on its way to: "" for nowhere in particular (then the role's
    start page), else a path on this site, the home page if `next` was another site."""
    return safe_next(next) if next else ""


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, session: SessionDep, next: str = "", expired: str = ""
) -> Response:
    """The sign-in form; it says so when the browser's session has just ended (`expired`
    set by the redirection, or a session cookie that no longer opens a session)."""
    stale = request.cookies.get(SESSION_COOKIE)
    ended = expired not in ("", "0") or bool(
        stale and accounts.web_session_actor(session, stale) is None
    )
    context = {"next": _heading(next), "error": None, "username": "", "expired": ended}
    return render(request, "login.html", context)


@router.post("/login", dependencies=[Csrf], response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password; on success, open a session and go where the user was heading,
    else to the start page of the user's role (`remise.auth.START_PAGES`)."""
    settings = get_settings(request)
    address = request.client.host if request.client else "unknown"
    device = security.open_known_device(settings.secret_key, request.cookies.get(DEVICE_COOKIE))
    try:
        actor = accounts.sign_in(session, username, password, address=address, device=device)
    except (Unauthorized, TooManyAttempts) as refused:
        error = translate(page_locale(request), refused.template, **refused.params)
        context = {"next": _heading(next), "error": error, "username": username, "expired": False}
        return render(request, "login.html", context, status=refused.status)
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in LOCALES and chosen != actor.locale:
        accounts.set_locale(session, actor, chosen)  # the language picked before signing in
    lifetime = timedelta(hours=settings.session_hours)
    token = accounts.open_web_session(session, actor, lifetime=lifetime)
    response = RedirectResponse(_heading(next) or start_page(actor.role), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        # kept past the session's end, which the server enforces (`web_session`), so that
        # the sign-in page can tell a browser whose session ended (`login_page`)
        max_age=int((lifetime + ENDED_NOTICE).total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    known = (device or security.new_known_device()).remembering(actor.username)
    response.set_cookie(
        DEVICE_COOKIE,
        security.seal_known_device(settings.secret_key, known),
        max_age=YEAR_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, session: SessionDep) -> Response:
    if token := request.cookies.get(SESSION_COOKIE):
        accounts.close_web_session(session, token)
    message = translate(page_locale(request), N_("You are signed out."))
    response = redirect("/login", flash=message)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language", dependencies=[Csrf])
def choose_language(
    request: Request,
    session: SessionDep,
    locale: Annotated[str, Form(max_length=8)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Switch the pages' language; remembered on the account and on this browser."""
    if locale not in LOCALES:
        locale = get_settings(request).default_locale
    token = request.cookies.get(SESSION_COOKIE)
    actor = accounts.web_session_actor(session, token) if token else None
    if actor is not None:
        accounts.set_locale(session, actor, locale)
    response = redirect(safe_next(next))
    response.set_cookie(LOCALE_COOKIE, locale, max_age=YEAR_SECONDS, samesite="lax", path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, actor: PageActor) -> Response:
    """Each role's starting points."""
    return render(request, "home.html")
