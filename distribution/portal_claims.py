"""The catalogue's two forms: reserve the devices ticked, or ask for a quantity meeting
criteria, which may wait in line when the stock has too few (`claims.create_claim`).

A reservation made leads to its page (303); a request that waits leads to the waitlist
with why and its place in line. A refusal comes back on the catalogue, beside the form
it concerns, what was ticked or typed kept: a device taken meanwhile, the quota
exceeded, the structure not active, too few devices (then the waitlist is offered).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from db.devices import InvalidCode
from db.errors import N_
from distribution import claims as claiming
from distribution import portal_forms as forms
from distribution import shared_pages as shared
from distribution import waitlist
from distribution.claims import ClaimPolicy, Outcome
from distribution.errors import (
    DeviceUnavailable,
    NotEnoughStock,
    QuotaExceeded,
    StructureNotActive,
)
from distribution.models import CLAIM_MAX_DEVICES, Claim, ClaimCreate
from distribution.portal_catalog import ASK_FIELDS, Claiming, catalogue, offset_of, typed_filters
from distribution.portal_shell import StructureUser, moment
from distribution.shared_pages import PolicyDep
from remise.auth import Actor
from remise.deps import SessionDep
from remise.i18n import translate
from remise.pages import Csrf, FormDep, form_errors, page_locale, redirect, said

router = APIRouter(include_in_schema=False)

RESERVATIONS = "/portal/reservations"
NOTHING_TICKED = N_("Tick the devices you want to reserve, then send again.")
TOO_MANY = N_("At most %(max)s devices in one reservation.")
SHORT = N_(
    "Only %(found)s available device(s) meet these criteria, and %(asked)s were asked for: "
    "nothing was reserved. Ask for fewer, or join the waitlist: devices are then reserved "
    "for you as they become available, within your quota."
)
PLACE = N_("Your place in line for this category: %(place)s.")
REFUSED = (DeviceUnavailable, QuotaExceeded, StructureNotActive, InvalidCode)


def reservation_url(claim_id: int) -> str:
    return f"{RESERVATIONS}/{claim_id}"


def made_words(request: Request, claim: Claim, count: int) -> str:
    locale = page_locale(request)
    ngettext = shared.plurals(locale)  # so named that `make messages` finds what it says
    return ngettext(
        "Reservation %(id)s: %(num)s device held for you until %(until)s, %(total)s to pay "
        "when you collect it.",
        "Reservation %(id)s: %(num)s devices held for you until %(until)s, %(total)s to pay "
        "when you collect them.",
        count,
        id=claim.id,
        until=moment(request, claim.expires_at),
        total=shared.euros(locale, claim.total_cents),
    )


def _back(
    request: Request,
    session: Session,
    actor: Actor,
    policy: ClaimPolicy,
    form: FormData,
    **kept: Any,
) -> Response:
    """The catalogue as it was when the form was sent, with what the form brings back."""
    typed = typed_filters((k, str(v)) for k, v in form.items())
    offset = offset_of(str(form.get("offset") or ""))
    return catalogue(
        request, session, actor, policy, typed=typed, offset=offset, claiming=Claiming(**kept)
    )


@router.post("/portal/claims/devices", dependencies=[Csrf])
def reserve_ticked(
    request: Request, session: SessionDep, actor: StructureUser, policy: PolicyDep, form: FormDep
) -> Response:
    """Reserve the devices ticked, all or none, then the reservation's page (303)."""
    locale = page_locale(request)
    picked = [str(v).strip() for v in form.getlist("device") if str(v).strip()]
    if not picked:
        error = translate(locale, NOTHING_TICKED)
        return _back(request, session, actor, policy, form, reserve_error=error, status=422)
    try:
        data = ClaimCreate(device_codes=picked)
    except ValidationError as exc:
        error = next(iter(form_errors(locale, exc).values()))
        if len(picked) > CLAIM_MAX_DEVICES:
            error = translate(locale, TOO_MANY, max=CLAIM_MAX_DEVICES)
        kept = {"picked": picked, "reserve_error": error, "status": 422}
        return _back(request, session, actor, policy, form, **kept)
    try:
        outcome = claiming.create_claim(session, actor, data=data, policy=policy)
    except REFUSED as refused:
        session.rollback()
        kept = {"picked": picked, "reserve_error": said(request, refused)}
        return _back(request, session, actor, policy, form, **kept, status=refused.status)
    assert outcome.claim is not None
    claim = outcome.claim
    return redirect(reservation_url(claim.id or 0), flash=made_words(request, claim, len(picked)))


def _asked(form: FormData) -> dict[str, str]:
    return {f"ask.{name}": str(form.get(f"ask.{name}") or "").strip() for name in ASK_FIELDS}


def _request_of(locale: str, typed: dict[str, str]) -> tuple[ClaimCreate | None, dict[str, str]]:
    wanted, errors = forms.read_wanted(locale, typed, prefix="ask.", need_category=True)
    quantity, problem = forms.read_quantity(locale, typed["ask.quantity"])
    if problem:
        errors["ask.quantity"] = problem
    if errors:
        return None, errors
    data = ClaimCreate(
        quantity=quantity, criteria=wanted.criteria(), waitlist=typed["ask.waitlist"] == "yes"
    )
    return data, {}


def _waiting_words(request: Request, session: Session, outcome: Outcome, asked: int) -> str:
    locale = page_locale(request)
    assert outcome.waiting is not None
    reason = claiming.waiting_reason(outcome.found, asked)
    words = translate(locale, reason.template, **reason.params)
    place = waitlist.position(session, outcome.waiting)
    return f"{words} {translate(locale, PLACE, place=place)}" if place else words


@router.post("/portal/claims/criteria", dependencies=[Csrf])
def ask_for_devices(
    request: Request, session: SessionDep, actor: StructureUser, policy: PolicyDep, form: FormDep
) -> Response:
    """Reserve `quantity` devices meeting the criteria, the cheapest first; with too few
    in stock, wait in line if asked (the waitlist, 303), else say so and offer it."""
    locale = page_locale(request)
    typed = _asked(form)
    data, errors = _request_of(locale, typed)
    if data is None:
        kept = {"ask_typed": typed, "ask_errors": errors, "status": 422}
        return _back(request, session, actor, policy, form, **kept)
    try:
        outcome = claiming.create_claim(session, actor, data=data, policy=policy)
    except NotEnoughStock as short:
        session.rollback()
        found, asked = short.extra["found"], short.extra["asked"]
        error = translate(locale, SHORT, found=found, asked=asked)
        kept = {"ask_typed": typed, "ask_errors": {"ask.form": error}, "offer": (found, asked)}
        return _back(request, session, actor, policy, form, **kept, status=409)
    except (QuotaExceeded, StructureNotActive) as refused:
        session.rollback()
        kept = {"ask_typed": typed, "ask_errors": {"ask.form": said(request, refused)}}
        return _back(request, session, actor, policy, form, **kept, status=refused.status)
    if outcome.claim is not None:
        claim = outcome.claim
        words = made_words(request, claim, data.quantity or 0)
        return redirect(reservation_url(claim.id or 0), flash=words)
    words = _waiting_words(request, session, outcome, data.quantity or 0)
    return redirect(f"{RESERVATIONS}#waitlist", flash=words)
