"""The handover of a claim, at the counter: its devices scanned one by one, then given to
the person who collects them for the structure.

The scan field has the focus: a USB scanner types the code, then Enter. Each scan ticks
its device (`holding.scan`) and comes back here (303); a device that is not in the claim
is refused by name beside the field, to be put aside. « Valider la remise » gives the
scanned devices (`holding.hand_over`) and leads to the claim's page and its receipt. If
some devices of the claim are not scanned, the page asks whether they stay here and go
back to stock, naming them; only that answer, for those very devices, releases them.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from db import codes
from db.devices import InvalidCode
from db.errors import N_
from distribution import claim_pages, holding
from distribution import shared_pages as shared
from distribution.claims import ClaimPolicy
from distribution.errors import NotInClaim, NotScanned
from distribution.models import Claim, ClaimState, HandoverIn, ItemState
from distribution.shared_pages import Giver, PolicyDep
from remise.auth import Actor
from remise.deps import IdPath, SessionDep
from remise.i18n import translate
from remise.pages import Csrf, FormDep, form_errors, page_locale, redirect, render, said

router = APIRouter(include_in_schema=False)

CODE_MAX = 40  # what a scan may type: a code, a serial, a label's text
NOTHING_SCANNED = N_(
    "No device is scanned yet: scan each device as you give it. If the structure takes "
    "none of them, cancel the claim instead."
)
LOOKS_LIKE_A_CODE = N_(
    "This is a device code, not a name: scan the devices in the scan field, and write "
    "here the name of the person who collects them."
)
REQUIRED = N_("This field is required.")  # as the API says it
UNSCANNED = N_("%(device)s is no longer scanned: it is not given.")


def url_of(claim_id: int) -> str:
    return f"/claims/{claim_id}/handover"


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    claim_id: int,
    *,
    status: int = 200,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    question: list[str] | None = None,
) -> HTMLResponse:
    context = claim_pages.claim_context(request, session, actor, claim_id)
    devices = context["devices"]
    errors = errors or {}
    asked = set(question or ())
    context |= {
        "scanned_count": sum(1 for d in devices if d.scanned),
        "typed": {"code": "", "collector": ""} | (typed or {}),
        "errors": errors,
        "question": [d for d in devices if d.code in asked],
        "unscanned": " ".join(sorted(asked)),
        # the scan field keeps the focus, unless the page asks or shows a problem below
        "scan_focus": not (asked or errors.get("collector") or errors.get("form")),
        "code_max": CODE_MAX,
    }
    return render(request, "distribution/handover.html", context, status=status)


@router.get("/claims/{claim_id}/handover", response_class=HTMLResponse)
def handover_page(
    claim_id: IdPath, request: Request, session: SessionDep, actor: Giver
) -> Response:
    """The scan field, the claim's devices ticked as they are scanned, and the form that
    gives them; a claim no longer held leads to its page."""
    claim = holding.claim_for(session, actor, claim_id)
    if claim.state != ClaimState.RESERVED:
        return redirect(claim_pages.url_of(claim_id))
    return _page(request, session, actor, claim_id)


def _scanned_words(request: Request, session: Session, claim: Claim, code: str) -> str:
    """What a scan did, said for the page's message: the device, and how many are done."""
    items = holding.items_of(session, claim.id or 0)
    held = [(i, d) for i, d in items if i.state == ItemState.RESERVED]
    done = sum(1 for i, _d in held if i.scanned_at is not None)
    device = next(d for _i, d in held if d.code == code)
    model = " ".join(filter(None, (device.brand, device.model))) or "—"
    ngettext = shared.plurals(page_locale(request))
    return ngettext(
        "%(device)s (%(model)s) scanned: %(done)s device of %(total)s.",
        "%(device)s (%(model)s) scanned: %(done)s devices of %(total)s.",
        done,
        device=codes.display(code),
        model=model,
        done=done,
        total=len(held),
    )


@router.post("/claims/{claim_id}/handover/scan", dependencies=[Csrf])
def scan(
    claim_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: Giver,
    policy: PolicyDep,
    form: FormDep,
) -> Response:
    """Tick the scanned device as given, then back to the scan field (303); a device not
    in the claim, or a mistyped code, is refused beside the field (409, 422)."""
    text = str(form.get("code") or "").strip()[:CODE_MAX]
    if not text:
        return redirect(url_of(claim_id))  # Enter on an empty field
    try:
        device = holding.scan(session, actor, claim_id, text, policy=policy)
    except (NotInClaim, InvalidCode) as refused:
        session.rollback()
        errors = {"code": said(request, refused)}
        return _page(request, session, actor, claim_id, status=refused.status, errors=errors)
    claim = holding.claim_for(session, actor, claim_id)
    return redirect(url_of(claim_id), flash=_scanned_words(request, session, claim, device.code))


@router.post("/claims/{claim_id}/handover/unscan", dependencies=[Csrf])
def unscan(
    claim_id: IdPath, request: Request, session: SessionDep, actor: Giver, form: FormDep
) -> Response:
    """Untick a device scanned by mistake; back to the scan field."""
    text = str(form.get("code") or "").strip()[:CODE_MAX]
    holding.unscan(session, actor, claim_id, text)
    said_here = translate(page_locale(request), UNSCANNED, device=codes.display(codes.parse(text)))
    return redirect(url_of(claim_id), flash=said_here)


def _problems(locale: str, collector: str, scanned: list[str]) -> dict[str, str]:
    """The problems of the handover form: nothing scanned, no usable collector's name."""
    errors: dict[str, str] = {}
    if not scanned:
        errors["form"] = translate(locale, NOTHING_SCANNED)
    if not collector:
        errors["collector"] = translate(locale, REQUIRED)
        return errors
    if codes.is_valid(collector):
        errors["collector"] = translate(locale, LOOKS_LIKE_A_CODE)
        return errors
    try:
        HandoverIn(collector=collector, device_codes=scanned or ["-"])
    except ValidationError as exc:
        errors |= {k: v for k, v in form_errors(locale, exc).items() if k == "collector"}
    return errors


def _give(
    session: Session,
    actor: Actor,
    claim_id: int,
    data: HandoverIn,
    *,
    confirmed: list[str] | None,
    policy: ClaimPolicy,
) -> Claim:
    """Hand over; the devices not scanned go back to stock only if the answer given was
    about these very devices (`confirmed`), else NotScanned asks again."""
    try:
        return holding.hand_over(session, actor, claim_id, data=data, policy=policy)
    except NotScanned as exc:
        if confirmed is None or sorted(exc.extra["devices"]) != confirmed:
            raise
    data = data.model_copy(update={"release_missing": True})
    return holding.hand_over(session, actor, claim_id, data=data, policy=policy)


def _given_words(locale: str, claim: Claim, given: int, released: int) -> str:
    ngettext = shared.plurals(locale)
    words = ngettext(
        "Claim %(id)s handed over to %(collector)s: %(num)s device, %(total)s due.",
        "Claim %(id)s handed over to %(collector)s: %(num)s devices, %(total)s due.",
        given,
        id=claim.id,
        collector=claim.collector,
        total=shared.euros(locale, claim.total_cents),
    )
    if released:
        words += " " + ngettext(
            "%(num)s device stays here and is back in stock.",
            "%(num)s devices stay here and are back in stock.",
            released,
        )
    return words


@router.post("/claims/{claim_id}/handover", dependencies=[Csrf])
def hand_over(
    claim_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: Giver,
    policy: PolicyDep,
    form: FormDep,
) -> Response:
    """Give the scanned devices to the collector named, then the claim's page (303);
    the devices not scanned are named with the question whether they stay here (409)."""
    locale = page_locale(request)
    typed = {"collector": str(form.get("collector") or "").strip()}
    holding.claim_for(session, actor, claim_id)
    items = holding.items_of(session, claim_id)
    held = [d for i, d in items if i.state == ItemState.RESERVED]
    scanned = [
        codes.display(d.code) for i, d in items if i.state == ItemState.RESERVED and i.scanned_at
    ]
    errors = _problems(locale, typed["collector"], scanned)
    if errors:
        return _page(request, session, actor, claim_id, status=422, typed=typed, errors=errors)
    confirmed = None
    if form.get("release_missing") == "yes":
        confirmed = sorted(str(form.get("unscanned") or "").split())
    data = HandoverIn(collector=typed["collector"], device_codes=scanned)
    try:
        claim = _give(session, actor, claim_id, data, confirmed=confirmed, policy=policy)
    except NotScanned as exc:
        session.rollback()
        asked = list(exc.extra["devices"])
        return _page(request, session, actor, claim_id, status=409, typed=typed, question=asked)
    words = _given_words(locale, claim, len(scanned), len(held) - len(scanned))
    return redirect(claim_pages.url_of(claim_id), flash=words)
