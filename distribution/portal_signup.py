"""A partner structure signs up on the portal, without an account yet: the structure,
`pending` until a coordinator approves it, and its first user, in one transaction; the
coordinators are told by e-mail (when `coordinator_email` is set) and find it first on
their list of structures.

The form is anonymous, so it is protected as the sign-in form is: a CSRF token bound to
the browser's anonymous cookie, and a body held to `max_body_kb` (`remise.limits`: the
form is read here, not through `pages.FormDep`, which would allow an upload's size).
A refused form comes back with each problem beside its field and what was typed kept,
the passwords aside.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.datastructures import FormData

from db.clock import now_iso
from db.enums import PublicCategory, Role
from db.errors import N_, DomainError
from db.models import MailOutbox, Structure, User
from distribution import service
from distribution import shared_pages as shared
from distribution.models import StructureCreate
from remise import accounts
from remise.auth import Actor
from remise.deps import SessionDep, get_settings
from remise.errors import field_message
from remise.i18n import translate
from remise.pages import Csrf, page_locale, redirect, render
from remise.passwords import WeakPassword, check_password
from remise.settings import Settings

router = APIRouter(include_in_schema=False)

SIGNUP = "/portal/signup"
DONE = "/portal/signup/done"
# In the order of the form, which the focus follows to the first problem.
STRUCTURE_FIELDS = (
    "name",
    "address",
    "postcode",
    "city",
    "departement",
    "public_category",
    "public_description",
    "contact_name",
    "contact_email",
    "contact_phone",
)
USER_FIELDS = ("username", "display_name")
REQUIRED = ("name", "postcode", "city", "public_category", "contact_name", "contact_email")
DISPLAY_NAME_MAX = 200  # as `User.display_name` holds
REQUIRED_WORDS = N_("This field is required.")
TOO_LONG = N_("At most %(max_length)s characters.")
DIFFERENT = N_("The two passwords differ: type the same one in both fields.")
SIGNED_UP = N_(
    "“%(name)s” is signed up, with the user name %(username)s: the coordinators will "
    "look at it soon."
)
# Fields whose pattern a person reads better in words than as pydantic says it.
SHAPES = {
    "postcode": N_("Write the 5 digits of the postcode, such as 44000."),
    "departement": N_("Write the number of the département, such as 44, 2A or 974."),
    "contact_email": N_("Write an e-mail address, such as contact@example.org."),
    "public_category": N_("Choose one of the list."),
}
MAIL_SUBJECT = N_("New partner structure to approve: %(name)s")
MAIL_BODY = N_(
    "“%(name)s” (%(city)s) signed up on the portal and waits for approval.\n"
    "Public: %(public)s. %(words)s\n"
    "Contact: %(contact)s, %(email)s, %(phone)s.\n"
    "First user: %(username)s.\n\n"
    "Approve it, and set its quotas, on its page: %(url)s"
)


def _typed(form: FormData) -> dict[str, str]:
    """What was typed, one line each (a name never holds a line break, which would also
    break a mail's subject), the public's description as written; never the passwords."""
    typed = {}
    for name in (*STRUCTURE_FIELDS, *USER_FIELDS):
        value = str(form.get(name) or "")
        typed[name] = value.strip() if name == "public_description" else " ".join(value.split())
    return typed


def _structure_data(
    locale: str, typed: dict[str, str]
) -> tuple[StructureCreate | None, dict[str, str]]:
    errors = {name: translate(locale, REQUIRED_WORDS) for name in REQUIRED if not typed[name]}
    sent = {name: typed[name] for name in STRUCTURE_FIELDS if typed[name]}
    try:
        data = StructureCreate(**sent)
    except ValidationError as exc:
        for item in exc.errors():
            name = str(item["loc"][0]) if item.get("loc") else "name"
            said = translate(locale, SHAPES[name]) if name in SHAPES else None
            errors.setdefault(name, said or field_message(locale, dict(item)))
        return None, errors
    return (None if errors else data), errors


def _name_problem(session: Session, locale: str, name: str) -> dict[str, str]:
    """The name taken already (any case), said with the other problems; `create_structure`
    refuses it too, should another sign-up take it meanwhile."""
    if len(name) < 2:
        return {}
    key = name.lower()
    if session.exec(select(Structure).where(func.lower(Structure.name) == key)).first():
        return {"name": said(locale, service.StructureExists(name=name))}
    return {}


def _user_problems(
    session: Session, locale: str, typed: dict[str, str], password: str, confirm: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    username = typed["username"].lower()
    if not username:
        errors["username"] = translate(locale, REQUIRED_WORDS)
    elif session.exec(select(User).where(User.username == username)).first():
        errors["username"] = said(locale, accounts.UsernameTaken(username=username))
    if len(typed["display_name"]) > DISPLAY_NAME_MAX:
        errors["display_name"] = translate(locale, TOO_LONG, max_length=DISPLAY_NAME_MAX)
    if not password:
        errors["password"] = translate(locale, REQUIRED_WORDS)
    elif password != confirm:
        errors["password_confirm"] = translate(locale, DIFFERENT)
    else:
        inputs = (username, typed["display_name"], typed["contact_name"], typed["name"])
        try:
            check_password(password, user_inputs=inputs)
        except WeakPassword as weak:
            errors["password"] = said(locale, weak)
    return errors


def said(locale: str, error: DomainError) -> str:
    return translate(locale, error.template, **error.params)


def _create(
    session: Session, locale: str, data: StructureCreate, typed: dict[str, str], password: str
) -> tuple[Structure | None, dict[str, str]]:
    """The structure and its first user; or, with nothing written, the field refused."""
    actor = Actor(user_id=None, username=f"signup:{typed['username'].lower()}", role=Role.STRUCTURE)
    try:
        structure = service.create_structure(session, actor, data=data)
    except service.StructureExists as taken:
        return None, {"name": said(locale, taken)}
    try:
        accounts.create_user(
            session,
            actor,
            username=typed["username"],
            role=Role.STRUCTURE,
            display_name=typed["display_name"] or typed["contact_name"],
            structure_id=structure.id,
            password=password,
            locale=locale,
        )
    except (accounts.BadUsername, accounts.UsernameTaken) as refused:
        session.rollback()
        return None, {"username": said(locale, refused)}
    except WeakPassword as weak:
        session.rollback()
        return None, {"password": said(locale, weak)}
    return structure, {}


def _tell_coordinators(
    session: Session, settings: Settings, structure: Structure, username: str
) -> None:
    """An e-mail in the outbox, in French, sent after the commit (`remise.mail`)."""
    if not settings.coordinator_email:
        return
    public = shared.public_text("fr", structure.public_category)
    params = {
        "name": structure.name,
        "city": structure.city or "—",
        "public": public or "—",
        "words": structure.public_description or "",
        "contact": structure.contact_name or "—",
        "email": structure.contact_email or "—",
        "phone": structure.contact_phone or "—",
        "username": username,
        "url": f"{settings.public_url.rstrip('/')}/structures/{structure.id}",
    }
    now = now_iso()
    session.add(
        MailOutbox(
            to_address=settings.coordinator_email,
            subject=translate("fr", MAIL_SUBJECT, name=structure.name)[:300],
            body=translate("fr", MAIL_BODY, **params) + "\n\n— Remise\n",
            created_at=now,
            next_attempt_at=now,
        )
    )
    session.flush()


def _page(
    request: Request,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    locale = page_locale(request)
    errors = errors or {}
    order = (*STRUCTURE_FIELDS, *USER_FIELDS, "password", "password_confirm")
    context = {
        "typed": typed or dict.fromkeys((*STRUCTURE_FIELDS, *USER_FIELDS), ""),
        "errors": errors,
        "focus": next((name for name in order if name in errors), "name"),
        "publics": [(p.value, shared.public_text(locale, p.value)) for p in PublicCategory],
        "required": (*REQUIRED, "username"),
    }
    return render(request, "distribution/portal_signup.html", context, status=status)


async def posted(request: Request) -> FormData:
    """The posted form, held to the body limit of a form (not an upload's)."""
    return await request.form()


@router.get(SIGNUP, response_class=HTMLResponse)
def signup_page(request: Request) -> Response:
    """The sign-up form of a partner structure and its first user."""
    return _page(request)


@router.post(SIGNUP, dependencies=[Csrf])
def sign_up(request: Request, session: SessionDep, form: FormData = Depends(posted)) -> Response:
    """Record the structure, `pending`, and its first user; tell the coordinators; then
    the page that says what comes next (303). Problems come back beside their fields."""
    locale = page_locale(request)
    typed = _typed(form)
    password, confirm = str(form.get("password") or ""), str(form.get("password_confirm") or "")
    data, errors = _structure_data(locale, typed)
    errors |= _name_problem(session, locale, typed["name"])
    errors |= _user_problems(session, locale, typed, password, confirm)
    structure = None
    if data is not None and not errors:
        structure, errors = _create(session, locale, data, typed, password)
    if structure is None:
        return _page(request, typed=typed, errors=errors, status=422)
    username = typed["username"].lower()
    _tell_coordinators(session, get_settings(request), structure, username)
    said_here = translate(locale, SIGNED_UP, name=structure.name, username=username)
    return redirect(DONE, flash=said_here)


@router.get(DONE, response_class=HTMLResponse)
def signed_up(request: Request) -> Response:
    """What comes next: the coordinators approve the structure, then it may claim."""
    return render(request, "distribution/portal_signup_done.html")
