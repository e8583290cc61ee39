"""The devices a structure received (handed over to it), each until when it is under
warranty and, while it is, a form that reports it faulty (`faults.report_fault`: the
device goes back to the workshop, a coordinator decides on a replacement); and the
structure's fault reports with their state.

The description is required and at most `DESCRIPTION_MAX` characters, the limit said
beside it; a longer one is refused with the text kept, never cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from db import codes
from db.clock import parse_iso
from db.devices import DeviceNotFound, InvalidCode
from db.enums import Status
from db.errors import N_, NotFound
from db.models import Device
from distribution import faults, rules, views
from distribution import shared_pages as shared
from distribution.claims import ClaimPolicy
from distribution.errors import NotHandedOver, NotYourDevice, WarrantyOver
from distribution.models import (
    DESCRIPTION_MAX,
    FAULT_STATE_LABELS,
    Claim,
    ClaimItem,
    FaultIn,
    ItemState,
)
from distribution.portal_shell import StructureUser, portal_render
from distribution.shared_pages import PolicyDep
from remise.auth import Actor
from remise.deps import SessionDep
from remise.i18n import translate
from remise.pages import Csrf, FormDep, form_errors, page_locale, redirect, said

router = APIRouter(include_in_schema=False)

RECEIVED = "/portal/received"
SHOWN = 500  # the latest devices received shown
CodePath = Annotated[str, Path(max_length=40)]
DESCRIBE = N_("Describe what does not work, in a few words at least.")
REPORTED = N_(
    "Fault report %(id)s recorded for %(device)s. Bring the device back to the "
    "association; the coordinators decide on a replacement and tell you in your inbox."
)
REFUSED = (NotHandedOver, WarrantyOver)


class NotReceived(NotFound):
    """A code that names no device the structure received: said without the code, so
    that probing another structure's codes learns nothing (the API says NotYourDevice)."""

    code = "device_not_received"
    message = N_("None of the devices you received has this code.")


@dataclass(frozen=True)
class ReceivedRow:
    code: str
    title: str
    category: str
    grade: str | None
    price_cents: int
    claim_id: int
    handed_over_at: str | None
    warranty_end: date
    with_us: bool  # still with the structure (not reported faulty since)
    may_report: bool


def _received(session: Session, structure_id: int) -> list[tuple[ClaimItem, Device, Claim]]:
    rows = session.exec(
        select(ClaimItem, Device, Claim)
        .join(Device, col(Device.id) == col(ClaimItem.device_id))
        .join(Claim, col(Claim.id) == col(ClaimItem.claim_id))
        .where(
            col(ClaimItem.structure_id) == structure_id,
            col(ClaimItem.state) == ItemState.HANDED_OVER.value,
        )
        .order_by(col(Claim.handed_over_at).desc(), col(ClaimItem.id))
        .limit(SHOWN)
    ).all()
    return [(item, device, claim) for item, device, claim in rows]


def received_rows(
    session: Session, locale: str, actor: Actor, policy: ClaimPolicy
) -> list[ReceivedRow]:
    today, zone = shared.today(policy), policy.quotas.zone
    found = []
    for item, device, claim in _received(session, actor.structure_id or 0):
        handed = parse_iso(claim.handed_over_at or claim.created_at).astimezone(zone).date()
        end = rules.warranty_end(handed, months=policy.warranty_months)
        with_us = device.status == Status.HANDED_OVER and device.structure_id == claim.structure_id
        found.append(
            ReceivedRow(
                code=codes.display(device.code),
                title=" ".join(filter(None, (device.brand, device.model))) or "—",
                category=shared.category_text(locale, item.category),
                grade=device.grade,
                price_cents=item.price_cents,
                claim_id=claim.id or 0,
                handed_over_at=claim.handed_over_at,
                warranty_end=end,
                with_us=with_us,
                may_report=with_us and today <= end,
            )
        )
    return found


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    policy: ClaimPolicy,
    *,
    fault: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    locale = page_locale(request)
    reports = [views.fault_read(session, f) for f in faults.faults(session, actor)]
    context: dict[str, Any] = {
        "rows": received_rows(session, locale, actor, policy),
        "reports": reports,
        "report_states": {
            r.id: shared.label(locale, FAULT_STATE_LABELS, r.state.value) for r in reports
        },
        "fault": fault or {"code": "", "typed": "", "error": ""},
        "description_max": DESCRIPTION_MAX,
    }
    return portal_render(
        request, session, actor, "portal_received.html", context, here=RECEIVED, status=status
    )


@router.get(RECEIVED, response_class=HTMLResponse)
def received_page(
    request: Request, session: SessionDep, actor: StructureUser, policy: PolicyDep
) -> Response:
    """The devices received, with the fault form of those under warranty; the reports."""
    return _page(request, session, actor, policy)


def _shown_code(text: str) -> str:
    try:
        return codes.display(codes.parse(text))
    except codes.CodeError:
        return text.strip()


def _description(locale: str, text: str) -> tuple[FaultIn | None, str]:
    if not text.strip():
        return None, translate(locale, DESCRIBE)
    try:
        return FaultIn(description=text), ""
    except ValidationError as exc:
        return None, form_errors(locale, exc).get("description", translate(locale, DESCRIBE))


@router.post(f"{RECEIVED}/{{code}}/fault", dependencies=[Csrf])
def report_fault(
    code: CodePath,
    request: Request,
    session: SessionDep,
    actor: StructureUser,
    policy: PolicyDep,
    form: FormDep,
) -> Response:
    """Report the device faulty: it goes back to the workshop (`device.returned`), then
    back to this page (303). A refusal comes back beside the device's form."""
    locale = page_locale(request)
    text = str(form.get("description") or "")
    fault = {"code": _shown_code(code), "typed": text, "error": ""}
    data, problem = _description(locale, text)
    if data is None:
        return _page(request, session, actor, policy, fault=fault | {"error": problem}, status=422)
    try:
        report = faults.report_fault(session, actor, code, data=data, policy=policy)
    except (DeviceNotFound, InvalidCode, NotYourDevice) as unknown:
        raise NotReceived() from unknown
    except REFUSED as refused:
        session.rollback()
        fault["error"] = said(request, refused)
        return _page(request, session, actor, policy, fault=fault, status=refused.status)
    words = translate(locale, REPORTED, id=report.id, device=fault["code"])
    return redirect(f"{RECEIVED}#faults", flash=words)
