"""A structure's reservations in its portal: each with its state, until when it is held,
its devices and their total; a reservation's page (its devices, cancelling it after
asking, the receipt of one collected); its requests waiting in line, with their place
and a button that leaves the line.

Every reservation and entry is looked up through `holding.claim_for` and
`waitlist.entry_for`, which answer another structure's as if it did not exist (404).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db.errors import N_
from distribution import api, holding, views, waitlist
from distribution import shared_pages as shared
from distribution.claim_pages import device_rows, entry_row
from distribution.models import ClaimRead, ClaimState
from distribution.portal_claims import RESERVATIONS, reservation_url
from distribution.portal_shell import StructureUser, portal_render
from distribution.shared_pages import PolicyDep
from remise.auth import Actor
from remise.deps import IdPath, OffsetQuery, SessionDep
from remise.i18n import translate
from remise.pages import Csrf, page_locale, redirect

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
# A reservation's state as the structure lives it.
STATE_WORDS: dict[str, str] = {
    ClaimState.RESERVED: N_("held for you: to collect"),
    ClaimState.HANDED_OVER: N_("collected"),
    ClaimState.CANCELLED: N_("cancelled"),
    ClaimState.EXPIRED: N_("expired"),
}
CANCELLED = N_("Reservation %(id)s cancelled: its devices are back in the catalogue.")
LEFT_LINE = N_("You left the line: request %(id)s no longer waits.")


def _row(locale: str, claim: ClaimRead) -> dict[str, Any]:
    return {
        "id": claim.id,
        "state": claim.state.value,
        "state_text": shared.label(locale, STATE_WORDS, claim.state.value),
        "devices": len(claim.devices),
        "total_cents": claim.total_cents,
        "created_at": claim.created_at,
        "expires_at": claim.expires_at,
        "handed_over_at": claim.handed_over_at,
        "held": claim.state == ClaimState.RESERVED,
        "collected": claim.state == ClaimState.HANDED_OVER,
    }


@router.get(RESERVATIONS, response_class=HTMLResponse)
def reservations_page(
    request: Request, session: SessionDep, actor: StructureUser, offset: OffsetQuery = 0
) -> Response:
    """The structure's reservations, newest first, and its requests waiting in line."""
    locale = page_locale(request)
    found = views.claims_for(session, actor, limit=PAGE_SIZE + 1, offset=offset)
    rows = [_row(locale, claim) for claim in views.claims_read(session, found)]
    entries = waitlist.entries(session, actor)
    context = {
        "rows": rows[:PAGE_SIZE],
        "offset": offset,
        "previous": max(offset - PAGE_SIZE, 0) if offset else None,
        "next": offset + PAGE_SIZE if len(rows) > PAGE_SIZE else None,
        "entries": [entry_row(locale, views.waitlist_read(session, e)) for e in entries],
    }
    return portal_render(
        request, session, actor, "portal_reservations.html", context, here=RESERVATIONS
    )


def _context(request: Request, session: Session, actor: Actor, claim_id: int) -> dict[str, Any]:
    locale = page_locale(request)
    claim = views.claim_read(session, holding.claim_for(session, actor, claim_id))
    return {"claim": claim, "row": _row(locale, claim), "devices": device_rows(locale, claim)}


@router.get(f"{RESERVATIONS}/{{claim_id}}", response_class=HTMLResponse)
def reservation_page(
    claim_id: IdPath, request: Request, session: SessionDep, actor: StructureUser
) -> Response:
    """A reservation's devices (code, category, model, grade, price) and its total."""
    context = _context(request, session, actor, claim_id)
    return portal_render(
        request, session, actor, "portal_reservation.html", context, here=RESERVATIONS
    )


@router.get(f"{RESERVATIONS}/{{claim_id}}/cancel", response_class=HTMLResponse)
def cancel_question(
    claim_id: IdPath, request: Request, session: SessionDep, actor: StructureUser
) -> Response:
    """Asks whether to cancel, saying what it does; one no longer held leads to its page."""
    context = _context(request, session, actor, claim_id)
    if not context["row"]["held"]:
        return redirect(reservation_url(claim_id))
    return portal_render(request, session, actor, "portal_cancel.html", context, here=RESERVATIONS)


@router.post(f"{RESERVATIONS}/{{claim_id}}/cancel", dependencies=[Csrf])
def cancel(
    claim_id: IdPath, request: Request, session: SessionDep, actor: StructureUser, policy: PolicyDep
) -> Response:
    """Cancel the held reservation: its devices go back to the catalogue
    (`claim.cancelled`); one that ended meanwhile is refused with its state (409)."""
    claim = holding.cancel_claim(session, actor, claim_id, policy=policy)
    said = translate(page_locale(request), CANCELLED, id=claim.id)
    return redirect(reservation_url(claim_id), flash=said)


@router.get(f"{RESERVATIONS}/{{claim_id}}/receipt.pdf", response_class=Response)
def receipt(
    claim_id: IdPath, request: Request, session: SessionDep, actor: StructureUser
) -> Response:
    """The receipt of a collected reservation (PDF), as the API gives it; another
    structure's is a 404, one not collected yet a 409."""
    return api.receipt(claim_id, request, session, actor)


@router.post("/portal/waitlist/{entry_id}/cancel", dependencies=[Csrf])
def leave_line(
    entry_id: IdPath, request: Request, session: SessionDep, actor: StructureUser, policy: PolicyDep
) -> Response:
    """Leave the line (`waitlist.cancelled`): devices already served stay reserved."""
    entry = waitlist.cancel_entry(session, actor, entry_id, policy=policy)
    said = translate(page_locale(request), LEFT_LINE, id=entry.id)
    return redirect(f"{RESERVATIONS}#waitlist", flash=said)
