"""The coordinators' pages of the partner structures: the list (those waiting for approval
first) with each one's quota use this period, and a structure's page: its details, its
quota use by category, its claims and waitlist entries, and the forms that approve,
suspend or reactivate it and set its quotas.

A form that works comes back to the structure's page (303) with a message, so Back and
F5 never send it again; refused quotas show beside their field, what was typed kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db.enums import Category, StructureStatus
from db.errors import N_
from db.models import Structure
from distribution import service, views, waitlist
from distribution import shared_pages as shared
from distribution.claim_pages import PAGE_SIZE, claim_rows, entry_row
from distribution.claims import ClaimPolicy
from distribution.models import StructureRead, StructureUpdate
from distribution.shared_pages import Coordinator, PolicyDep
from remise.auth import Actor
from remise.deps import IdPath, SessionDep
from remise.i18n import number, translate
from remise.pages import Csrf, FormDep, page_locale, redirect, render

router = APIRouter(include_in_schema=False)

QUOTA_MAX = 10_000  # as `StructureUpdate.quotas` allows
STATUS_ORDER = (StructureStatus.PENDING, StructureStatus.ACTIVE, StructureStatus.SUSPENDED)
_WHOLE = re.compile(r"^\d+$")

WHOLE_NUMBER = N_("Write a whole number of devices, such as 10; 0 for none.")
TOO_MANY = N_("At most %(max)s: this looks like a typo.")
QUOTAS_SAVED = N_("Quotas of “%(name)s” saved.")
STATUS_SAID = {
    (StructureStatus.PENDING, StructureStatus.ACTIVE): N_(
        "“%(name)s” is approved: it may now claim devices, within its quotas."
    ),
    (StructureStatus.ACTIVE, StructureStatus.SUSPENDED): N_(
        "“%(name)s” is suspended: it may no longer claim; what it holds stays reserved."
    ),
    (StructureStatus.SUSPENDED, StructureStatus.ACTIVE): N_(
        "“%(name)s” is active again: it may claim devices."
    ),
}
# The changes each status offers, with the words of their buttons.
ACTIONS: dict[str, list[tuple[StructureStatus, str]]] = {
    StructureStatus.PENDING: [(StructureStatus.ACTIVE, N_("Approve"))],
    StructureStatus.ACTIVE: [(StructureStatus.SUSPENDED, N_("Suspend"))],
    StructureStatus.SUSPENDED: [(StructureStatus.ACTIVE, N_("Reactivate"))],
}


@dataclass(frozen=True)
class QuotaRow:
    category: str
    title: str
    quota: int
    used: int
    remaining: int


@dataclass(frozen=True)
class StructureRow:
    id: int
    name: str
    status: str
    status_text: str
    departement: str | None
    public: str
    public_description: str | None
    uses: list[QuotaRow]


def url_of(structure_id: int) -> str:
    return f"/structures/{structure_id}"


def _quota_rows(locale: str, shown: StructureRead, *, every: bool) -> list[QuotaRow]:
    """Each category's quota and use (`every` category, or those with a quota or a use)."""
    names = [c.value for c in Category] if every else list(shown.quota_use)
    rows = []
    for category in names:
        use = shown.quota_use.get(category)
        if not every and use is not None and not (use.quota or use.used):
            continue
        rows.append(
            QuotaRow(
                category=category,
                title=shared.category_text(locale, category),
                quota=use.quota if use else 0,
                used=use.used if use else 0,
                remaining=use.remaining if use else 0,
            )
        )
    return rows


def _row(locale: str, shown: StructureRead) -> StructureRow:
    return StructureRow(
        id=shown.id,
        name=shown.name,
        status=shown.status.value,
        status_text=shared.structure_status_text(locale, shown.status.value),
        departement=shown.departement,
        public=shared.public_text(locale, shown.public_category),
        public_description=shown.public_description,
        uses=_quota_rows(locale, shown, every=False),
    )


def _status_filter(text: str) -> StructureStatus | None:
    return StructureStatus(text) if text in {s.value for s in StructureStatus} else None


@router.get("/structures", response_class=HTMLResponse)
def structures_page(
    request: Request,
    session: SessionDep,
    actor: Coordinator,
    policy: PolicyDep,
    status: str = "",
) -> Response:
    """Every structure, those waiting for approval first, then the active and suspended
    ones, each with its quota use this period; `status` keeps one of them."""
    locale, day = page_locale(request), shared.today(policy)
    found = service.structures_for(session, actor)
    chosen = _status_filter(status)
    counts = {s.value: sum(1 for x in found if x.status == s) for s in StructureStatus}
    kept = sorted(
        (s for s in found if chosen is None or s.status == chosen),
        key=lambda s: (STATUS_ORDER.index(StructureStatus(s.status)), s.name.lower()),
    )
    rows = [_row(locale, views.structure_read(session, s, policy.quotas, day)) for s in kept]
    statuses = [(s.value, shared.structure_status_text(locale, s.value)) for s in STATUS_ORDER]
    context = {
        "rows": rows,
        "chosen": chosen.value if chosen else "",
        "statuses": statuses,
        "counts": counts,
        "total": len(found),
        "period_start": policy.quotas.period(day).start,
        "period_last": shared.last_day(policy.quotas.period(day).end),
    }
    return render(request, "distribution/structures.html", context)


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    policy: ClaimPolicy,
    structure: Structure,
    *,
    status: int = 200,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    locale, day = page_locale(request), shared.today(policy)
    shown = views.structure_read(session, structure, policy.quotas, day)
    quotas = _quota_rows(locale, shown, every=True)
    initial = {f"quota.{q.category}": str(q.quota) for q in quotas}
    errors = errors or {}
    entries = waitlist.entries(session, actor, structure_id=shown.id, waiting_only=False)
    claims = claim_rows(request, session, actor, structure_id=shown.id)
    context = {
        "s": shown,
        "status_text": shared.structure_status_text(locale, shown.status.value),
        "public": shared.public_text(locale, shown.public_category),
        "quotas": quotas,
        "period_start": date.fromisoformat(shown.period.start),
        "period_last": shared.last_day(shown.period.end),
        "actions": [(to.value, translate(locale, words)) for to, words in ACTIONS[shown.status]],
        "claims": claims[:PAGE_SIZE],
        "more_claims": len(claims) > PAGE_SIZE,
        "entries": [entry_row(locale, views.waitlist_read(session, e)) for e in reversed(entries)],
        "typed": initial | (typed or {}),
        "errors": errors,
        "focus": next(
            (f"quota.{q.category}" for q in quotas if f"quota.{q.category}" in errors), None
        ),
    }
    return render(request, "distribution/structure.html", context, status=status)


@router.get("/structures/{structure_id}", response_class=HTMLResponse)
def structure_page(
    structure_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: Coordinator,
    policy: PolicyDep,
) -> Response:
    """A structure's details, quota use, claims and waitlist entries, and its forms."""
    structure = service.structure_for(session, actor, structure_id)
    return _page(request, session, actor, policy, structure)


@router.post("/structures/{structure_id}/status", dependencies=[Csrf])
def change_status(
    structure_id: IdPath, request: Request, session: SessionDep, actor: Coordinator, form: FormDep
) -> Response:
    """Approve, suspend or reactivate the structure (`structure.updated`), then back to
    its page with what changed."""
    locale = page_locale(request)
    wanted = _status_filter(str(form.get("status") or ""))
    structure = service.structure_for(session, actor, structure_id)
    before = StructureStatus(structure.status)
    if wanted is None or wanted not in {to for to, _w in ACTIONS[before]}:
        return redirect(url_of(structure_id))  # a page shown before another change
    structure = service.set_status(session, actor, structure_id, wanted)
    said = translate(locale, STATUS_SAID[(before, wanted)], name=structure.name)
    return redirect(url_of(structure_id), flash=said)


def quotas_typed(form: FormDep) -> dict[str, str]:
    return {f"quota.{c.value}": str(form.get(f"quota.{c.value}") or "").strip() for c in Category}


def quotas_of(locale: str, typed: dict[str, str]) -> tuple[dict[Category, int], dict[str, str]]:
    """The quotas typed, by category (an empty field: none), or every problem by field."""
    quotas: dict[Category, int] = {}
    errors: dict[str, str] = {}
    for category in Category:
        name = f"quota.{category.value}"
        text = typed.get(name, "").replace(" ", "").replace("\u00a0", "") or "0"
        if not _WHOLE.match(text):
            errors[name] = translate(locale, WHOLE_NUMBER)
        elif int(text) > QUOTA_MAX:
            errors[name] = translate(locale, TOO_MANY, max=number(locale, QUOTA_MAX))
        else:
            quotas[category] = int(text)
    return quotas, errors


@router.post("/structures/{structure_id}/quotas", dependencies=[Csrf])
def set_quotas(
    structure_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: Coordinator,
    policy: PolicyDep,
    form: FormDep,
) -> Response:
    """Set the structure's quota of each category for every period (`structure.updated`);
    a refused number shows beside its field, nothing saved."""
    locale = page_locale(request)
    structure = service.structure_for(session, actor, structure_id)
    typed = quotas_typed(form)
    quotas, errors = quotas_of(locale, typed)
    if errors:
        return _page(
            request, session, actor, policy, structure, status=422, typed=typed, errors=errors
        )
    data = StructureUpdate(quotas=quotas)
    structure = service.update_structure(session, actor, structure_id, data=data)
    return redirect(
        url_of(structure_id), flash=translate(locale, QUOTAS_SAVED, name=structure.name)
    )
