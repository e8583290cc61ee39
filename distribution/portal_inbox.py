"""A structure's inbox in its portal (reservations served from the waitlist, about to
end, ended; decisions on its fault reports), newest first, the unread ones marked and
marked read one by one; and its account: the structure's details and who is signed in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from db.errors import N_
from db.models import User
from distribution import inbox, views
from distribution import shared_pages as shared
from distribution.portal_shell import INBOX, StructureUser, own_structure, portal_render
from distribution.shared_pages import PolicyDep
from remise.deps import IdPath, SessionDep, get_settings
from remise.i18n import translate
from remise.pages import Csrf, page_locale, redirect

router = APIRouter(include_in_schema=False)

SHOWN = 200  # the newest messages shown; older ones stay readable through the API
MARKED = N_("Message marked as read.")


@router.get(INBOX, response_class=HTMLResponse)
def inbox_page(request: Request, session: SessionDep, actor: StructureUser) -> Response:
    """The structure's messages, newest first, the unread ones marked."""
    locale = page_locale(request)
    found = inbox.messages_of(session, actor.structure_id or 0)[:SHOWN]
    context = {"messages": [inbox.read_of(m, locale) for m in found]}
    return portal_render(request, session, actor, "portal_inbox.html", context, here=INBOX)


@router.post(f"{INBOX}/{{message_id}}/read", dependencies=[Csrf])
def mark_read(
    message_id: IdPath, request: Request, session: SessionDep, actor: StructureUser
) -> Response:
    """Mark one of the structure's messages read (again: nothing changes); back to the
    inbox (303). Another structure's message is a 404."""
    inbox.mark_read(session, actor, message_id)
    said = translate(page_locale(request), MARKED)
    return redirect(f"{INBOX}#message-{message_id}", flash=said)


@router.get("/portal/account", response_class=HTMLResponse)
def account_page(
    request: Request, session: SessionDep, actor: StructureUser, policy: PolicyDep
) -> Response:
    """The structure's details as the coordinators know them, and the signed-in user."""
    locale = page_locale(request)
    structure = own_structure(session, actor)
    shown = views.structure_read(session, structure, policy.quotas, shared.today(policy))
    user = session.get(User, actor.user_id)
    context = {
        "s": shown,
        "public": shared.public_text(locale, shown.public_category),
        "user_name": actor.username,
        "display_name": user.display_name if user else actor.username,
        "contact": get_settings(request).coordinator_email,
    }
    return portal_render(
        request, session, actor, "portal_account.html", context, here="/portal/account"
    )
