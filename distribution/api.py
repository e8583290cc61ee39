"""Routes for partner structures, the catalogue, claims, the waitlist, the inbox and
faults under warranty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status

from db.clock import utcnow
from db.enums import Category, StructureStatus
from db.errors import Message
from distribution import catalog, faults, holding, inbox, service, views, waitlist
from distribution import claims as claiming
from distribution import receipt as receipts
from distribution.claims import ClaimPolicy
from distribution.errors import ClaimNeedsBody, ReceiptNotYet
from distribution.models import (
    CLAIM_STATE_LABELS,
    CatalogPage,
    CatalogSummary,
    ClaimCreate,
    ClaimRead,
    ClaimState,
    Euros,
    FaultDecision,
    FaultIn,
    FaultRead,
    FaultState,
    Grade,
    HandoverIn,
    InboxRead,
    StructureCreate,
    StructureRead,
    StructureUpdate,
    WaitlistedRead,
    WaitlistRead,
)
from remise.auth import Actor, Permission
from remise.deps import IdPath, IdQuery, OffsetQuery, SessionDep, get_settings, require
from remise.errors import locale_of
from remise.i18n import localise
from remise.idempotency import IdempotencyDep, fingerprint
from remise.settings import Settings

router = APIRouter(prefix="/api/v1")
STRUCTURES, CATALOG, CLAIMS = ["structures"], ["catalogue"], ["claims and handover"]
Reader = Annotated[Actor, Depends(require(Permission.STRUCTURES_READ))]
Manager = Annotated[Actor, Depends(require(Permission.STRUCTURES_MANAGE))]
Browser = Annotated[Actor, Depends(require(Permission.CATALOG_READ))]
Claimant = Annotated[Actor, Depends(require(Permission.CLAIMS_MAKE))]
ClaimReader = Annotated[Actor, Depends(require(Permission.CLAIMS_READ))]
Giver = Annotated[Actor, Depends(require(Permission.CLAIMS_HANDOVER))]
Reporter = Annotated[Actor, Depends(require(Permission.FAULTS_REPORT))]
Decider = Annotated[Actor, Depends(require(Permission.FAULTS_DECIDE))]
InboxReader = Annotated[Actor, Depends(require(Permission.INBOX_READ))]
Limit = Annotated[int, Query(ge=1, le=200, description="devices per page")]


def policy_of(settings: Settings, clock: Callable[[], datetime] = utcnow) -> ClaimPolicy:
    """The settings claims follow, and the clock they read."""
    return ClaimPolicy(
        quotas=service.QuotaPolicy(settings.quota_period, ZoneInfo(settings.timezone)),
        hold_days=settings.claim_hold_days,
        reminder_days=settings.claim_reminder_days,
        warranty_months=settings.warranty_months,
        clock=clock,
    )


def claim_policy(request: Request) -> ClaimPolicy:
    """`policy_of` the app's settings; an app built for tests may turn its clock
    (`app.state.clock`)."""
    return policy_of(get_settings(request), getattr(request.app.state, "clock", utcnow))


PolicyDep = Annotated[ClaimPolicy, Depends(claim_policy)]


def _today(policy: ClaimPolicy) -> Any:
    return policy.clock().astimezone(policy.quotas.zone).date()


# --- structures ----------------------------------------------------------------------


@router.get("/structures", response_model=list[StructureRead], tags=STRUCTURES)
def list_structures(
    session: SessionDep,
    actor: Reader,
    policy: PolicyDep,
    state: Annotated[StructureStatus | None, Query(alias="status")] = None,
) -> list[StructureRead]:
    """Every partner structure with its quota use this period (a structure: its own)."""
    today = _today(policy)
    return [
        views.structure_read(session, s, policy.quotas, today)
        for s in service.structures_for(session, actor, status=state)
    ]


@router.get("/structures/{structure_id}", response_model=StructureRead, tags=STRUCTURES)
def get_structure(
    structure_id: IdPath, session: SessionDep, actor: Reader, policy: PolicyDep
) -> StructureRead:
    structure = service.structure_for(session, actor, structure_id)
    return views.structure_read(session, structure, policy.quotas, _today(policy))


@router.post(
    "/structures",
    response_model=StructureRead,
    status_code=status.HTTP_201_CREATED,
    tags=STRUCTURES,
)
def create_structure(
    body: StructureCreate,
    session: SessionDep,
    actor: Manager,
    idem: IdempotencyDep,
    policy: PolicyDep,
) -> Any:
    """Record a partner structure: `pending` until approved (PATCH `status`)."""

    def create() -> StructureRead:
        structure = service.create_structure(session, actor, data=body)
        return views.structure_read(session, structure, policy.quotas, _today(policy))

    return idem.once(session, fingerprint(body), create)


@router.patch("/structures/{structure_id}", response_model=StructureRead, tags=STRUCTURES)
def update_structure(
    structure_id: IdPath,
    session: SessionDep,
    actor: Reader,
    policy: PolicyDep,
    body: Annotated[StructureUpdate, Body(default_factory=StructureUpdate)],
) -> StructureRead:
    """Change what is sent: a coordinator any field (`status`: pending, active,
    suspended; `quotas`: per category), a structure its own details only."""
    structure = service.update_structure(session, actor, structure_id, data=body)
    return views.structure_read(session, structure, policy.quotas, _today(policy))


# --- catalogue -----------------------------------------------------------------------


@router.get("/catalog", response_model=CatalogPage, tags=CATALOG)
def browse_catalog(
    request: Request,
    session: SessionDep,
    _actor: Browser,
    category: Category | None = None,
    min_grade: Grade | None = Query(default=None, description="B: grade A or B"),
    min_ram_gb: Annotated[int | None, Query(ge=0, le=4096)] = None,
    min_storage_gb: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
    max_price: Annotated[Euros | None, Query(description="in euros")] = None,
    os: Annotated[str | None, Query(max_length=20)] = None,
    limit: Limit = 50,
    offset: OffsetQuery = 0,
) -> CatalogPage:
    """The available devices, best grade then cheapest first, with their total: specs,
    grade and what it means, price. Never a donor, a serial or an IMEI."""
    filters = catalog.conditions(
        category=category.value if category else None,
        min_grade=min_grade,
        min_ram_gb=min_ram_gb,
        min_storage_gb=min_storage_gb,
        max_price_cents=catalog.cents(max_price),
        os=os,
    )
    return catalog.listing(
        session, filters=filters, limit=limit, offset=offset, locale=locale_of(request)
    )


@router.get("/catalog/summary", response_model=CatalogSummary, tags=CATALOG)
def catalog_summary(session: SessionDep, actor: Browser, policy: PolicyDep) -> CatalogSummary:
    """Available devices by category and grade, and what the structure's quota leaves."""
    today = _today(policy)
    use = None
    if actor.is_structure:
        structure = service.structure_for(session, actor, actor.structure_id or 0)
        use = service.quota_use(session, structure, policy.quotas, today)
    return CatalogSummary(
        counts=catalog.counts(session),
        quota_use=use,
        period=views.period_read(policy.quotas, today),
    )


# --- claims --------------------------------------------------------------------------


@router.post(
    "/claims",
    response_model=ClaimRead,
    status_code=status.HTTP_201_CREATED,
    tags=CLAIMS,
    responses={202: {"model": WaitlistedRead, "description": "not enough stock: waiting"}},
)
def create_claim(
    request: Request,
    session: SessionDep,
    actor: Claimant,
    idem: IdempotencyDep,
    policy: PolicyDep,
    body: ClaimCreate | None = None,
) -> Any:
    """Reserve devices, all or nothing: named (`device_codes`) or by `quantity` and
    `criteria`. 409 says why not: structure not active, quota exceeded (with what is
    left), a device no longer available (named), not enough stock. With `waitlist`:
    true, not enough stock joins the waitlist instead (202)."""
    if body is None:
        raise ClaimNeedsBody()
    request_fingerprint = fingerprint(actor.structure_id, body)
    if (replayed := idem.replay(session, request_fingerprint)) is not None:
        return replayed
    outcome = claiming.create_claim(session, actor, data=body, policy=policy)
    if outcome.claim is not None:
        made = views.claim_read(session, outcome.claim)
        return idem.answer(session, request_fingerprint, made, status_code=201)
    assert outcome.waiting is not None
    reason = localise(
        locale_of(request), claiming.waiting_reason(outcome.found, body.quantity or 0)
    )
    waiting = WaitlistedRead(
        waitlisted=views.waitlist_read(session, outcome.waiting), reason=str(reason)
    )
    return idem.answer(session, request_fingerprint, waiting, status_code=202)


@router.get("/claims", response_model=list[ClaimRead], tags=CLAIMS)
def list_claims(
    session: SessionDep,
    actor: ClaimReader,
    structure_id: IdQuery = None,
    state: ClaimState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: OffsetQuery = 0,
) -> list[ClaimRead]:
    """The caller's structure's claims; all of them for staff (filter by structure and
    state), newest first."""
    found = views.claims_for(
        session, actor, structure_id=structure_id, state=state, limit=limit, offset=offset
    )
    return views.claims_read(session, found)


@router.get("/claims/{claim_id}", response_model=ClaimRead, tags=CLAIMS)
def get_claim(claim_id: IdPath, session: SessionDep, actor: ClaimReader) -> ClaimRead:
    return views.claim_read(session, holding.claim_for(session, actor, claim_id))


@router.delete("/claims/{claim_id}", response_model=ClaimRead, tags=CLAIMS)
def cancel_claim(
    claim_id: IdPath, session: SessionDep, actor: Claimant, policy: PolicyDep
) -> ClaimRead:
    """Give up a held claim: its devices go back to stock (`device.released`)."""
    claim = holding.cancel_claim(session, actor, claim_id, policy=policy)
    return views.claim_read(session, claim)


@router.post("/claims/{claim_id}/handover", response_model=ClaimRead, tags=CLAIMS)
def hand_over(
    claim_id: IdPath,
    body: HandoverIn,
    session: SessionDep,
    actor: Giver,
    idem: IdempotencyDep,
    policy: PolicyDep,
) -> Any:
    """Give the scanned devices to the structure's `collector`, at the prices fixed at
    reservation. A device not in the claim is refused by name; the claim's devices not
    scanned are refused unless `release_missing` puts them back in stock."""

    def give() -> ClaimRead:
        claim = holding.hand_over(session, actor, claim_id, data=body, policy=policy)
        return views.claim_read(session, claim)

    return idem.once(session, fingerprint(claim_id, body), give, status_code=200)


@router.get(
    "/claims/{claim_id}/receipt.pdf",
    tags=CLAIMS,
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def receipt(
    claim_id: IdPath, request: Request, session: SessionDep, actor: ClaimReader
) -> Response:
    """The structure's receipt of a handed-over claim, in French (PDF)."""
    claim = holding.claim_for(session, actor, claim_id)
    if claim.state != ClaimState.HANDED_OVER:
        raise ReceiptNotYet(id=claim_id, state=Message(CLAIM_STATE_LABELS[claim.state]))
    pdf = receipts.render_receipt(receipts.view_of(session, claim, get_settings(request)))
    name = f"remise-recu-{claim_id}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


# --- waitlist, inbox -----------------------------------------------------------------


@router.get("/waitlist", response_model=list[WaitlistRead], tags=CLAIMS)
def list_waitlist(
    session: SessionDep, actor: ClaimReader, structure_id: IdQuery = None
) -> list[WaitlistRead]:
    """The entries still waiting, with their place in line (a structure: its own)."""
    found = waitlist.entries(session, actor, structure_id=structure_id)
    return [views.waitlist_read(session, e) for e in found]


@router.delete("/waitlist/{entry_id}", response_model=WaitlistRead, tags=CLAIMS)
def leave_waitlist(
    entry_id: IdPath, session: SessionDep, actor: Claimant, policy: PolicyDep
) -> WaitlistRead:
    entry = waitlist.cancel_entry(session, actor, entry_id, policy=policy)
    return views.waitlist_read(session, entry)


@router.get("/inbox", response_model=list[InboxRead], tags=CLAIMS)
def read_inbox(
    request: Request, session: SessionDep, actor: InboxReader, unread: bool = False
) -> list[InboxRead]:
    """The structure's messages, newest first: reservations served from the waitlist,
    about to end, ended; decisions on faults."""
    found = inbox.messages_of(session, actor.structure_id or 0, unread_only=unread)
    return [inbox.read_of(m, locale_of(request)) for m in found]


@router.post("/inbox/{message_id}/read", response_model=InboxRead, tags=CLAIMS)
def mark_read(
    message_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: InboxReader,
    idem: IdempotencyDep,
) -> Any:
    """Mark a message read; marking it again changes nothing."""

    def mark() -> InboxRead:
        return inbox.read_of(inbox.mark_read(session, actor, message_id), locale_of(request))

    return idem.once(session, fingerprint(message_id), mark, status_code=200)


# --- faults --------------------------------------------------------------------------


@router.post(
    "/devices/{code}/fault",
    response_model=FaultRead,
    status_code=status.HTTP_201_CREATED,
    tags=CLAIMS,
)
def report_fault(
    code: str,
    body: FaultIn,
    session: SessionDep,
    actor: Reporter,
    idem: IdempotencyDep,
    policy: PolicyDep,
) -> Any:
    """Report a handed-over device faulty within its warranty: it goes back to
    refurbishment (`device.returned`), and a coordinator decides its replacement."""

    def report() -> FaultRead:
        found = faults.report_fault(session, actor, code, data=body, policy=policy)
        return views.fault_read(session, found)

    return idem.once(session, fingerprint(code, body), report)


@router.get("/faults", response_model=list[FaultRead], tags=CLAIMS)
def list_faults(
    session: SessionDep, actor: Reporter, state: FaultState | None = None
) -> list[FaultRead]:
    return [views.fault_read(session, f) for f in faults.faults(session, actor, state=state)]


@router.post("/faults/{fault_id}/decision", response_model=FaultRead, tags=CLAIMS)
def decide_fault(
    fault_id: IdPath,
    body: FaultDecision,
    request: Request,
    session: SessionDep,
    actor: Decider,
    idem: IdempotencyDep,
    policy: PolicyDep,
) -> Any:
    """Replace the device (a device reserved for the structure at no cost) or not."""
    mail = get_settings(request).smtp_url is not None

    def decide() -> FaultRead:
        found = faults.decide_fault(session, actor, fault_id, data=body, policy=policy, mail=mail)
        return views.fault_read(session, found)

    return idem.once(session, fingerprint(fault_id, body), decide, status_code=200)
