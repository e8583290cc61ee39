"""The pages of claims, for the coordinators and the bench: every claim, newest first,
filtered by state and structure, with the waitlist below in the order it is served;
a claim's page (its devices, their state and price, the total, until when it is held,
who collected it and the receipt); cancelling a held claim, asked for on a page of its
own before it is done (303 to the claim, with what it did).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db.errors import N_
from distribution import api, holding, service, views, waitlist
from distribution import shared_pages as shared
from distribution.models import ClaimRead, ClaimState, WaitlistRead
from distribution.shared_pages import Canceller, Giver, PolicyDep
from remise.auth import Actor
from remise.deps import IdPath, SessionDep
from remise.i18n import translate
from remise.pages import Csrf, page_locale, redirect, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
CANCELLED = N_("Claim %(id)s cancelled: its devices are available again.")


@dataclass(frozen=True)
class ClaimRow:
    id: int
    structure_id: int
    structure: str
    state: str
    state_text: str
    devices: int
    total_cents: int
    created_at: str
    expires_at: str
    handed_over_at: str | None
    collector: str | None


@dataclass(frozen=True)
class DeviceRow:
    code: str
    title: str
    category: str
    grade: str | None
    price_cents: int
    state: str
    state_text: str
    scanned: bool


def url_of(claim_id: int) -> str:
    return f"/claims/{claim_id}"


def row_of(locale: str, claim: ClaimRead) -> ClaimRow:
    return ClaimRow(
        id=claim.id,
        structure_id=claim.structure.id,
        structure=claim.structure.name,
        state=claim.state.value,
        state_text=shared.claim_state_text(locale, claim.state.value),
        devices=len(claim.devices),
        total_cents=claim.total_cents,
        created_at=claim.created_at,
        expires_at=claim.expires_at,
        handed_over_at=claim.handed_over_at,
        collector=claim.collector,
    )


def device_rows(locale: str, claim: ClaimRead) -> list[DeviceRow]:
    return [
        DeviceRow(
            code=d.code,
            title=" ".join(filter(None, (d.brand, d.model))) or "—",
            category=shared.category_text(locale, d.category),
            grade=d.grade,
            price_cents=d.price_cents,
            state=d.state.value,
            state_text=shared.item_state_text(locale, d.state.value),
            scanned=d.scanned,
        )
        for d in claim.devices
    ]


def claim_rows(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    structure_id: int | None = None,
    state: ClaimState | None = None,
    offset: int = 0,
) -> list[ClaimRow]:
    """A page of claims, newest first (one more than `PAGE_SIZE`: there is a next page)."""
    locale = page_locale(request)
    found = views.claims_for(
        session, actor, structure_id=structure_id, state=state, limit=PAGE_SIZE + 1, offset=offset
    )
    return [row_of(locale, read) for read in views.claims_read(session, found)]


def entry_row(locale: str, entry: WaitlistRead) -> dict[str, object]:
    return {
        "id": entry.id,
        "structure_id": entry.structure.id,
        "structure": entry.structure.name,
        "state_text": shared.wait_state_text(locale, entry.state.value),
        "position": entry.position,
        "asked": shared.criteria_text(locale, entry.criteria),
        "quantity": entry.quantity,
        "served": entry.served,
        "created_at": entry.created_at,
    }


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 10 else None


@router.get("/claims", response_class=HTMLResponse)
def claims_page(
    request: Request,
    session: SessionDep,
    actor: Giver,
    state: str = "",
    structure: str = "",
    offset: str = "",
) -> Response:
    """Every claim, newest first (of one state, of one structure), and the waitlist."""
    locale = page_locale(request)
    chosen = ClaimState(state) if state in {s.value for s in ClaimState} else None
    structure_id, start = _number(structure), _number(offset) or 0
    rows = claim_rows(
        request, session, actor, structure_id=structure_id, state=chosen, offset=start
    )
    entries = waitlist.entries(session, actor, structure_id=structure_id)
    context = {
        "rows": rows[:PAGE_SIZE],
        "more": len(rows) > PAGE_SIZE,
        "offset": start,
        "page_size": PAGE_SIZE,
        "state": chosen.value if chosen else "",
        "structure_id": structure_id,
        "states": [(s.value, shared.claim_state_text(locale, s.value)) for s in ClaimState],
        "structures": [(s.id, s.name) for s in service.structures_for(session, actor)],
        "entries": [entry_row(locale, views.waitlist_read(session, e)) for e in entries],
    }
    return render(request, "distribution/claims.html", context)


def claim_context(
    request: Request, session: Session, actor: Actor, claim_id: int
) -> dict[str, Any]:
    locale = page_locale(request)
    claim = views.claim_read(session, holding.claim_for(session, actor, claim_id))
    return {
        "claim": claim,
        "row": row_of(locale, claim),
        "devices": device_rows(locale, claim),
        "held": claim.state == ClaimState.RESERVED,
        "handed_over": claim.state == ClaimState.HANDED_OVER,
    }


@router.get("/claims/{claim_id}", response_class=HTMLResponse)
def claim_page(claim_id: IdPath, request: Request, session: SessionDep, actor: Giver) -> Response:
    """A claim's devices with their state and price, its total, until when it is held."""
    return render(
        request, "distribution/claim.html", claim_context(request, session, actor, claim_id)
    )


@router.get("/claims/{claim_id}/cancel", response_class=HTMLResponse)
def cancel_question(
    claim_id: IdPath, request: Request, session: SessionDep, actor: Giver, _may: Canceller
) -> Response:
    """Asks whether to cancel the claim, saying what it does; a claim no longer held
    leads to its page."""
    context = claim_context(request, session, actor, claim_id)
    if not context["held"]:
        return redirect(url_of(claim_id))
    return render(request, "distribution/claim_cancel.html", context)


@router.post("/claims/{claim_id}/cancel", dependencies=[Csrf])
def cancel(
    claim_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: Giver,
    _may: Canceller,
    policy: PolicyDep,
) -> Response:
    """Cancel the held claim: its devices go back to stock (`claim.cancelled`). Raises
    ClaimNotHeld (its page says why) if it ended meanwhile."""
    claim = holding.cancel_claim(session, actor, claim_id, policy=policy)
    said = translate(page_locale(request), CANCELLED, id=claim.id)
    return redirect(url_of(claim_id), flash=said)


@router.get("/claims/{claim_id}/receipt.pdf", response_class=Response)
def receipt(claim_id: IdPath, request: Request, session: SessionDep, actor: Giver) -> Response:
    """The receipt of a handed-over claim, as the API gives it, for a signed-in browser
    (the API itself wants a token)."""
    return api.receipt(claim_id, request, session, actor)
