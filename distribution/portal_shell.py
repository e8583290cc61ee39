"""What every page of the structures' portal shares: who may open it (a structure's
user, for its own structure only), the structure it is for, the portal's menu with the
inbox's unread count, and the page rendered with them.

Staff opening the portal get a 403 page that points to their own start page: the portal
shows one structure's catalogue, quotas and reservations, which staff have elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func
from sqlmodel import Session, col, select

from db.enums import StructureStatus
from db.errors import N_, Forbidden
from db.models import Structure
from distribution import service
from distribution import shared_pages as shared
from distribution.models import InboxMessage
from remise.auth import Actor, start_page
from remise.deps import get_settings
from remise.pages import PageActor, page_locale, render

HOME = "/portal"
INBOX = "/portal/inbox"
# The portal's menu: (key, path, words), in the order shown; the key names its link's id.
MENU: tuple[tuple[str, str, str], ...] = (
    ("catalogue", HOME, N_("Catalogue")),
    ("reservations", "/portal/reservations", N_("Reservations")),
    ("inbox", INBOX, N_("Inbox")),
    ("received", "/portal/received", N_("Received devices")),
    ("account", "/portal/account", N_("Account")),
)


class PortalForStructures(Forbidden):
    code = "portal_for_structures"
    message = N_(
        "The portal is for the users of partner structures. Your own pages start at %(start)s."
    )


async def structure_user(actor: PageActor) -> Actor:
    """The signed-in user, if it belongs to a structure (a 403 page otherwise)."""
    if not actor.is_structure or actor.structure_id is None:
        raise PortalForStructures(start=start_page(actor.role))
    return actor


StructureUser = Annotated[Actor, Depends(structure_user)]


def own_structure(session: Session, actor: Actor) -> Structure:
    return service.structure_for(session, actor, actor.structure_id or 0)


def may_claim(structure: Structure) -> bool:
    return structure.status == StructureStatus.ACTIVE


def unread_count(session: Session, structure_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(InboxMessage)
            .where(
                col(InboxMessage.structure_id) == structure_id,
                col(InboxMessage.read_at).is_(None),
            )
        ).one()
    )


def moment(request: Request, stored: str) -> str:
    """A stored instant as the pages show it (`|when("short")`), for a message."""
    instant = datetime.fromisoformat(stored)
    instant = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    zone = ZoneInfo(get_settings(request).timezone)
    return format_datetime(instant, "short", tzinfo=zone, locale=page_locale(request))


def portal_render(
    request: Request,
    session: Session,
    actor: Actor,
    name: str,
    context: dict[str, Any],
    *,
    here: str,
    status: int = 200,
) -> HTMLResponse:
    """`distribution/<name>` with the portal's menu (`here` marked), the structure's
    name and status, and the inbox's unread count."""
    structure = own_structure(session, actor)
    locale = page_locale(request)
    shell = {
        "portal_menu": MENU,
        "portal_here": here,
        "portal_structure": structure.name,
        "portal_status": structure.status,
        "portal_status_text": shared.structure_status_text(locale, structure.status),
        "portal_unread": unread_count(session, structure.id or 0),
    }
    return render(request, f"distribution/{name}", shell | context, status=status)
