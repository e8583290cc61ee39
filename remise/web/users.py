"""The coordinators' page of the user accounts, `/admin/users`: every user with their
role, structure, whether active and how many API tokens of theirs still work, filtered
by role and state and searched by name; and the form that creates a user, with the
password the coordinator chose for them (the password rules of `remise.passwords`).

A created user gets no API token: they make their own on their account page. This
router also carries a user's page (`users_detail`) and everyone's account page
(`account_page`). A form that works comes back (303) with a message, so Back and F5
never send it again; a refusal shows beside its field, what was typed kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db.clock import utcnow
from db.enums import Role
from db.errors import N_, DomainError
from remise import accounts
from remise.deps import SessionDep, get_settings
from remise.i18n import translate
from remise.pages import Csrf, FormDep, page_locale, redirect, render
from remise.web import account_page, users_detail
from remise.web import users_forms as forms
from remise.web.users_forms import Coordinator
from remise.web.users_queries import LIST_MAX, Filters, user_rows

router = APIRouter(include_in_schema=False)

CREATE_FIELDS = ("username", "display_name", "role", "structure_id", "password")
ACTIVE_FILTERS = {"active": True, "deactivated": False}
CREATED = N_(
    "User “%(username)s” created. Tell them their password in person: they sign in "
    "with it and can change it on their account page."
)


def _filters(role: str, active: str, search: str) -> Filters:
    return Filters(
        role=Role(role) if role in {r.value for r in Role} else None,
        active=ACTIVE_FILTERS.get(active),
        search=search.strip()[:80],
    )


def _list_page(
    request: Request,
    session: Session,
    filters: Filters,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    locale, errors = page_locale(request), errors or {}
    rows, total = user_rows(session, locale, filters, now=utcnow())
    context = {
        "rows": rows,
        "total": total,
        "list_max": LIST_MAX,
        "chosen_role": filters.role.value if filters.role else "",
        "chosen_active": next((k for k, v in ACTIVE_FILTERS.items() if v == filters.active), ""),
        "search": filters.search,
        "roles": forms.role_choices(locale),
        "structures": forms.structure_choices(session),
        "typed": typed or {"role": Role.BENCH.value},
        "errors": errors,
        "focus": forms.first(errors, CREATE_FIELDS),
        "password_hint": forms.password_hint(locale),
    }
    return render(request, "admin_users.html", context, status=status)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    session: SessionDep,
    actor: Coordinator,
    role: str = "",
    active: str = "",
    q: str = "",
) -> Response:
    """The users, by user name: `role` and `active` ("active", "deactivated") keep some,
    `q` searches their names."""
    return _list_page(request, session, _filters(role, active, q))


@router.post("/admin/users", dependencies=[Csrf])
def create_user(
    request: Request, session: SessionDep, actor: Coordinator, form: FormDep
) -> Response:
    """Create a user with a role (a structure user: with its structure) and a password
    (`user.created`), then go to their page."""
    locale = page_locale(request)
    typed = forms.typed(form, "username", "display_name", "role", "structure_id")
    errors: dict[str, str] = {}
    if not typed["username"]:
        errors["username"] = translate(locale, forms.REQUIRED)
    role = forms.role_of(locale, typed["role"], errors)
    structure_id = forms.structure_of(locale, typed["structure_id"], role, errors)
    password = forms.new_password(locale, form, errors)
    status = 422
    if role is not None and not errors:
        try:
            user = accounts.add_user(
                session,
                actor,
                username=typed["username"],
                role=role,
                display_name=typed["display_name"],
                structure_id=structure_id,
                password=password,
                locale=get_settings(request).default_locale,
            )
        except DomainError as refused:
            errors, status = forms.refusal(request, refused), refused.status
        else:
            assert user.id is not None
            said = translate(locale, CREATED, username=user.username)
            return redirect(users_detail.url_of(user.id), flash=said)
    filters = Filters()
    return _list_page(request, session, filters, typed=typed, errors=errors, status=status)


router.include_router(users_detail.router)
router.include_router(account_page.router)
