"""Everyone's own account page, `/account`: their details and language, the form that
changes their password (the current one first, counted as wrong sign-ins are by
`remise.lockout`), and their API tokens: make one (shown once, on the page the form
leads to: `users_once`), see them all, revoke one.

Their other browsers are signed out when the password changes; this one stays signed
in. Their API tokens keep working unless they ask to revoke them too.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db.clock import utcnow
from db.errors import N_, DomainError, Unauthorized
from db.models import User
from remise import accounts, security, tokens
from remise.auth import Actor
from remise.deps import IdPath, SessionDep, get_settings
from remise.i18n import LOCALES, translate
from remise.lockout import TooManyAttempts
from remise.pages import SESSION_COOKIE, Csrf, FormDep, page_locale, redirect, render, said
from remise.web import users_forms as forms
from remise.web import users_once
from remise.web.account import DEVICE_COOKIE
from remise.web.users_forms import Someone
from remise.web.users_queries import token_rows, user_row

router = APIRouter(include_in_schema=False)

HERE = "/account"
FIELDS = ("current", "password", "password_again", "label", "expires_days")
LOCALE_NAMES = {"fr": "Français", "en": "English"}
WRONG_CURRENT = N_("This is not your current password.")
PASSWORD_CHANGED = N_(
    "Your password is changed. Your other browsers are signed out; your API tokens still work."
)
PASSWORD_CHANGED_REVOKED = N_(
    "Your password is changed. Your other browsers are signed out and your API tokens revoked."
)
TOKEN_MADE = N_("API token n° %(id)s made: copy it now, it will not be shown again.")
TOKEN_REVOKED = N_("API token n° %(id)s (“%(label)s”) revoked: it no longer works.")


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    assert actor.user_id is not None
    locale, errors, now = page_locale(request), errors or {}, utcnow()
    listed = token_rows(session, locale, actor.user_id, now=now)
    carried = users_once.take(request)
    new = carried if carried and any(t.id == carried.id for t in listed) else None
    context = {
        "me": user_row(session, locale, actor.user_id, now=now),
        "tokens": listed,
        "new_token": new,
        "locale_names": [(code, LOCALE_NAMES.get(code, code)) for code in LOCALES],
        "typed": typed or {},
        "errors": errors,
        "focus": "new-token" if new else forms.first(errors, FIELDS),
        "password_hint": forms.password_hint(locale),
        "max_days": tokens.MAX_EXPIRY_DAYS,
        "label_max": tokens.MAX_LABEL,
    }
    response = render(request, "account.html", context, status=status)
    if users_once.COOKIE in request.cookies:
        users_once.forget(response)  # shown now, or never: a reload shows it no more
    return response


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep, actor: Someone) -> Response:
    """The signed-in user's details, language, password form and API tokens."""
    return _page(request, session, actor)


def _check_current(request: Request, session: Session, actor: Actor, current: str) -> str | None:
    """Why the current password typed is refused (wrong ones are counted), or None."""
    settings = get_settings(request)
    address = request.client.host if request.client else "unknown"
    device = security.open_known_device(settings.secret_key, request.cookies.get(DEVICE_COOKIE))
    try:
        accounts.sign_in(session, actor.username, current, address=address, device=device)
    except TooManyAttempts as refused:
        return said(request, refused)
    except Unauthorized:
        return translate(page_locale(request), WRONG_CURRENT)
    return None


@router.post("/account/password", dependencies=[Csrf])
def change_password(
    request: Request, session: SessionDep, actor: Someone, form: FormDep
) -> Response:
    """Change one's own password (`user.password_set`): the other browsers are signed
    out, the API tokens revoked too if `revoke_tokens` is ticked."""
    locale, errors = page_locale(request), dict[str, str]()
    current = forms.secret(form, "current")
    if not current:
        errors["current"] = translate(locale, forms.REQUIRED)
    elif wrong := _check_current(request, session, actor, current):
        errors["current"] = wrong
    password = forms.new_password(locale, form, errors, again="password_again")
    revoke = forms.checked(form, "revoke_tokens")
    if not errors:
        try:
            accounts.set_password(
                session,
                actor,
                username=actor.username,
                password=password,
                keep_tokens=not revoke,
                keep_session=request.cookies.get(SESSION_COOKIE),
            )
        except DomainError as refused:
            errors = forms.refusal(request, refused, "password")
        else:
            words = PASSWORD_CHANGED_REVOKED if revoke else PASSWORD_CHANGED
            return redirect(HERE, flash=translate(locale, words))
    typed = {"revoke_tokens": "yes" if revoke else ""}
    return _page(request, session, actor, typed=typed, errors=errors, status=422)


@router.post("/account/tokens", dependencies=[Csrf])
def make_token(request: Request, session: SessionDep, actor: Someone, form: FormDep) -> Response:
    """Make an API token for oneself (`user.token_issued`), shown once on the next page."""
    locale = page_locale(request)
    typed = forms.typed(form, "label", "expires_days")
    errors: dict[str, str] = {}
    days = _days(locale, typed, errors)
    if not typed["label"]:
        errors["label"] = translate(locale, forms.REQUIRED)
    elif len(typed["label"]) > tokens.MAX_LABEL:
        errors["label"] = translate(locale, forms.TOO_LONG, max_length=tokens.MAX_LABEL)
    if errors:
        return _page(request, session, actor, typed=typed, errors=errors, status=422)
    user = session.get(User, actor.user_id)
    assert user is not None
    row, token = tokens.issue_token(
        session, user, label=typed["label"], expires_days=days, actor=actor
    )
    assert row.id is not None
    response = redirect(HERE, flash=translate(locale, TOKEN_MADE, id=row.id))
    users_once.keep(request, response, users_once.NewToken(row.id, token))
    return response


def _days(locale: str, typed: dict[str, str], errors: dict[str, str]) -> int | None:
    """The token's lifetime in days typed (empty: none), within `tokens.MAX_EXPIRY_DAYS`."""
    text = typed["expires_days"].replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if text.isascii() and text.isdigit() and 1 <= int(text) <= tokens.MAX_EXPIRY_DAYS:
        return int(text)
    errors["expires_days"] = translate(locale, forms.WHOLE_DAYS, max=tokens.MAX_EXPIRY_DAYS)
    return None


@router.post("/account/tokens/{token_id}/revoke", dependencies=[Csrf])
def revoke_token(
    token_id: IdPath, request: Request, session: SessionDep, actor: Someone
) -> Response:
    """Revoke one of one's own API tokens at once; another's answers 404."""
    view = tokens.revoke_token(
        session, actor, token_id=token_id, owner_id=actor.user_id, now=utcnow()
    )
    words = translate(page_locale(request), TOKEN_REVOKED, id=view.id, label=view.label)
    return redirect(HERE, flash=words)
