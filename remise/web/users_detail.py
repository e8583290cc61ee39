"""A user's page for the coordinators, `/admin/users/{id}`: their details and the forms
that change their shown name, role and structure, set a new password (their browsers
are signed out; their API tokens revoked unless kept), deactivate or reactivate them,
and revoke any of their API tokens.

A coordinator may neither deactivate themselves nor change their own role, and the last
active coordinator stays one (`remise.accounts`): the refusal says so beside the form.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db.clock import utcnow
from db.errors import N_, DomainError
from remise import accounts, tokens
from remise.auth import Actor
from remise.deps import IdPath, SessionDep
from remise.i18n import translate, translate_plural
from remise.pages import Csrf, FormDep, page_locale, redirect, render, said
from remise.web import users_forms as forms
from remise.web.users_forms import Coordinator
from remise.web.users_queries import UserRow, token_rows, user_row

router = APIRouter(include_in_schema=False)

OWN_PASSWORD = "/account"
DETAIL_FIELDS = ("display_name", "role", "structure_id", "password", "active")
SAVED = N_("Details of “%(username)s” saved.")
UNCHANGED = N_("Nothing changed: the details were already these.")
PASSWORD_KEPT = N_(
    "New password of “%(username)s” set: their browsers are signed out, their API "
    "tokens still work. Tell them the new password in person."
)
PASSWORD_REVOKED = (
    N_(
        "New password of “%(username)s” set: their browsers are signed out and %(num)s "
        "API token was revoked. Tell them the new password in person."
    ),
    N_(
        "New password of “%(username)s” set: their browsers are signed out and %(num)s "
        "API tokens were revoked. Tell them the new password in person."
    ),
)
DEACTIVATED = N_(
    "“%(username)s” is deactivated: they are signed out everywhere and their API tokens "
    "no longer work."
)
REACTIVATED = N_(
    "“%(username)s” is active again: they sign in with their password; their former API "
    "tokens stay revoked."
)
TOKEN_REVOKED = N_("API token n° %(id)s (“%(label)s”) revoked: it no longer works.")


def url_of(user_id: int) -> str:
    return f"/admin/users/{user_id}"


def _shown(session: Session, locale: str, user_id: int) -> UserRow:
    row = user_row(session, locale, user_id, now=utcnow())
    if row is None:
        raise accounts.UnknownUserId(id=user_id)
    return row


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    locale, errors = page_locale(request), errors or {}
    shown = _shown(session, locale, user_id)
    initial = {
        "display_name": shown.display_name,
        "role": shown.role,
        "structure_id": str(shown.structure_id or ""),
    }
    context = {
        "u": shown,
        "is_self": shown.id == actor.user_id,
        "tokens": token_rows(session, locale, user_id, now=utcnow()),
        "roles": forms.role_choices(locale),
        "structures": forms.structure_choices(session),
        "typed": initial | (typed or {}),
        "errors": errors,
        "focus": forms.first(errors, DETAIL_FIELDS),
        "password_hint": forms.password_hint(locale),
    }
    return render(request, "admin_users_detail.html", context, status=status)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(
    user_id: IdPath, request: Request, session: SessionDep, actor: Coordinator
) -> Response:
    """A user's details, their API tokens, and the forms that change them."""
    return _page(request, session, actor, user_id)


@router.post("/admin/users/{user_id}/details", dependencies=[Csrf])
def change_details(
    user_id: IdPath, request: Request, session: SessionDep, actor: Coordinator, form: FormDep
) -> Response:
    """Change the user's shown name, role and structure (`user.updated`)."""
    locale, user = page_locale(request), accounts.user_by_id(session, user_id)
    typed = forms.typed(form, "display_name", "role", "structure_id")
    errors: dict[str, str] = {}
    role = forms.role_of(locale, typed["role"], errors)
    structure_id = forms.structure_of(locale, typed["structure_id"], role, errors)
    status = 422
    if role is not None and not errors:
        try:
            changed = accounts.update_user(
                session,
                actor,
                user_id=user_id,
                display_name=typed["display_name"],
                role=role,
                structure_id=structure_id,
            )
        except DomainError as refused:
            errors, status = forms.refusal(request, refused), refused.status
        else:
            words = translate(locale, SAVED if changed else UNCHANGED, username=user.username)
            return redirect(url_of(user_id), flash=words)
    return _page(request, session, actor, user_id, typed=typed, errors=errors, status=status)


@router.post("/admin/users/{user_id}/password", dependencies=[Csrf])
def reset_password(
    user_id: IdPath, request: Request, session: SessionDep, actor: Coordinator, form: FormDep
) -> Response:
    """Set the password the coordinator typed: the user's browsers are signed out, their
    API tokens revoked unless `keep_tokens` (`user.password_set`). One's own password
    is changed on one's account page, the current one typed first."""
    locale = page_locale(request)
    user = accounts.user_by_id(session, user_id)
    if user.id == actor.user_id:
        return redirect(OWN_PASSWORD)  # with the current one, on one's own account page
    errors: dict[str, str] = {}
    password = forms.new_password(locale, form, errors)
    keep = forms.checked(form, "keep_tokens")
    if not errors:
        try:
            revoked = accounts.set_password(
                session, actor, username=user.username, password=password, keep_tokens=keep
            )
        except DomainError as refused:
            errors = forms.refusal(request, refused, "password")
        else:
            return redirect(
                url_of(user_id), flash=_password_said(locale, user.username, revoked, keep)
            )
    typed = {"keep_tokens": "yes" if keep else ""}
    return _page(request, session, actor, user_id, typed=typed, errors=errors, status=422)


def _password_said(locale: str, username: str, revoked: int, kept: bool) -> str:
    if kept:
        return translate(locale, PASSWORD_KEPT, username=username)
    return translate_plural(locale, *PASSWORD_REVOKED, revoked, num=revoked, username=username)


@router.post("/admin/users/{user_id}/deactivate", dependencies=[Csrf])
def deactivate(
    user_id: IdPath, request: Request, session: SessionDep, actor: Coordinator
) -> Response:
    """The user is signed out everywhere and their tokens stop working at once
    (`user.deactivated`); refused for oneself and for the last active coordinator."""
    user = accounts.user_by_id(session, user_id)
    if not user.active:
        return redirect(url_of(user_id))  # a page shown before another change
    try:
        accounts.deactivate_user(session, actor, username=user.username)
    except DomainError as refused:
        errors = {"active": said(request, refused)}
        return _page(request, session, actor, user_id, errors=errors, status=refused.status)
    words = translate(page_locale(request), DEACTIVATED, username=user.username)
    return redirect(url_of(user_id), flash=words)


@router.post("/admin/users/{user_id}/reactivate", dependencies=[Csrf])
def reactivate(
    user_id: IdPath, request: Request, session: SessionDep, actor: Coordinator
) -> Response:
    """The user may sign in again (`user.reactivated`); their former tokens stay revoked."""
    user = accounts.user_by_id(session, user_id)
    if user.active:
        return redirect(url_of(user_id))  # a page shown before another change
    accounts.reactivate_user(session, actor, user_id=user_id)
    words = translate(page_locale(request), REACTIVATED, username=user.username)
    return redirect(url_of(user_id), flash=words)


@router.post("/admin/users/{user_id}/tokens/{token_id}/revoke", dependencies=[Csrf])
def revoke(
    user_id: IdPath, token_id: IdPath, request: Request, session: SessionDep, actor: Coordinator
) -> Response:
    """Revoke one of the user's API tokens at once (`user.token_revoked`); a token of
    another user answers 404, as an unknown one does."""
    accounts.user_by_id(session, user_id)
    view = tokens.revoke_token(session, actor, token_id=token_id, owner_id=user_id, now=utcnow())
    words = translate(page_locale(request), TOKEN_REVOKED, id=view.id, label=view.label)
    return redirect(url_of(user_id), flash=words)
