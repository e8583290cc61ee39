"""Intake pages: batches and one device at a time (donors: `intake.donor_pages`; a
workshop's whole file: `intake.import_pages`).

A form with problems comes back with every problem beside its field, the first one
focused and what was typed kept (`intake.form_problems`); a form that worked redirects
(303) to the page of what it made, so that Back or F5 never sends it again. A POST-only
address opened again (the address bar, a bookmark) leads to its batch.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from db import codes
from db.enums import CATEGORY_LABELS, STATUS_LABELS, Category, Status
from db.errors import N_, DomainError
from intake import api, donor_pages, service
from intake.form_problems import also_check, beside, first, given, typed
from intake.models import BatchCreate, DeviceIntake, max_lengths
from remise.auth import Actor, Permission
from remise.deps import IdPath, IdQuery, SessionDep, get_settings
from remise.i18n import translate
from remise.pages import (
    Csrf,
    FormDep,
    form_errors,
    page_locale,
    page_require,
    redirect,
    render,
    said,
)

router = APIRouter(include_in_schema=False)
router.include_router(donor_pages.router)
Reader = Annotated[Actor, Depends(page_require(Permission.BATCHES_READ))]
BatchManager = Annotated[Actor, Depends(page_require(Permission.BATCHES_MANAGE))]
Receiver = Annotated[Actor, Depends(page_require(Permission.DEVICES_RECEIVE))]
REFUSED_LISTED = 10  # the batch page links the CSV of refused rows of its latest imports
DEVICES_PER_PAGE = 100  # a batch of thousands stays one quick page at a time

# The forms' text limits are the schemas' (`maxlength`), and their fields in page order.
BATCH_LIMITS = max_lengths(BatchCreate)
DEVICE_LIMITS = max_lengths(DeviceIntake)
BATCH_GIVEN = ("donor_id", "pickup_date", "site", "workshop")
BATCH_FIELDS = (*BATCH_GIVEN, *(f"declared.{c.value}" for c in Category))
DEVICE_FIELDS = ("category", "brand", "model", "serial", "imei", "asset_tag")


def _categories(locale: str) -> list[tuple[str, str]]:
    return [(c.value, translate(locale, CATEGORY_LABELS[c])) for c in Category]


@router.get("/intake", response_class=HTMLResponse)
def intake_home(
    request: Request, session: SessionDep, _actor: Reader, donor_id: IdQuery = None
) -> Response:
    """Batches, open ones first, and the donors; one donor's only with `donor_id`."""
    giver = service.donor(session, donor_id) if donor_id is not None else None
    found = service.batches(session, donor_id=donor_id)
    batches = sorted(found, key=lambda b: (b.closed, -(b.id or 0)))
    names = {d.id: d.name for d in service.donors(session)}
    context = {"batches": batches, "donors": names, "donor": giver}
    return render(request, "intake/home.html", context)


@router.get("/intake/batches/new", response_class=HTMLResponse)
def new_batch(
    request: Request, session: SessionDep, _actor: BatchManager, donor_id: IdQuery = None
) -> Response:
    values = {"donor_id": str(donor_id or ""), "pickup_date": date.today().isoformat()}
    return render(request, "intake/batch_new.html", _batch_form(request, session, values, {}))


def _batch_form(
    request: Request, session: Session, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "limits": BATCH_LIMITS,
        "focus": first(errors, BATCH_FIELDS) or ("site" if values.get("donor_id") else "donor_id"),
        "donors": service.donors(session),
        "categories": _categories(page_locale(request)),
    }


@router.post("/intake/batches/new", dependencies=[Csrf], response_class=HTMLResponse)
def create_batch(
    request: Request, session: SessionDep, actor: BatchManager, form: FormDep
) -> Response:
    values = typed(form)
    declared = {
        c.value: values[f"declared.{c.value}"]
        for c in Category
        if values.get(f"declared.{c.value}")
    }
    try:
        filled = given(values, BATCH_GIVEN)
        data = BatchCreate.model_validate(filled | {"declared": declared})
        batch = service.create_batch(session, actor, data=data)
    except ValidationError as exc:
        context = _batch_form(request, session, values, form_errors(page_locale(request), exc))
        return render(request, "intake/batch_new.html", context, status=422)
    except DomainError as exc:
        context = _batch_form(request, session, values, beside(request, exc))
        return render(request, "intake/batch_new.html", context, status=exc.status)
    message = translate(page_locale(request), N_("Batch %(id)s created."), id=batch.id)
    return redirect(f"/intake/batches/{batch.id}", flash=message)


def batch_page_view(
    request: Request,
    session: Session,
    batch_id: int,
    *,
    status: int = 200,
    page: int = 1,
    **extra: Any,
) -> HTMLResponse:
    locale = page_locale(request)
    found = service.batch(session, batch_id)
    view = service.batch_view(session, found)
    total = sum(view.received.values())
    pages = max(1, -(-total // DEVICES_PER_PAGE))
    page = min(page, pages)  # a page past the end shows the last one
    offset = (page - 1) * DEVICES_PER_PAGE
    devices = service.batch_devices(
        session, batch_id, newest_first=True, limit=DEVICES_PER_PAGE, offset=offset
    )
    device_errors = extra.get("device_errors", {})
    context = {
        "batch": view,
        "listing": {
            "total": total,
            "page": page,
            "pages": pages,
            "first": offset + 1,
            "last": offset + len(devices),
        },
        "devices": [
            {
                "code": codes.display(d.code),
                "category": translate(locale, CATEGORY_LABELS[Category(d.category)]),
                "brand": d.brand,
                "model": d.model,
                "serial": d.serial,
                "status": translate(locale, STATUS_LABELS[Status(d.status)]),
            }
            for d in devices
        ],
        "category_names": dict(_categories(locale)),
        "categories": _categories(locale),
        "device_errors": device_errors,
        "device_values": {},
        "device_limits": DEVICE_LIMITS,
        "device_focus": first(device_errors, DEVICE_FIELDS),
        "registered": None,
        "report": None,
        "problem": None,
        "refused_imports": [
            {"id": r.id, "filename": r.filename, "skipped": r.skipped, "at": r.created_at}
            for r in service.imports_with_refused_rows(session, batch_id)[:REFUSED_LISTED]
        ],
    }
    return render(request, "intake/batch.html", context | extra, status=status)


@router.get("/intake/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(
    batch_id: IdPath,
    request: Request,
    session: SessionDep,
    _actor: Reader,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    registered: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """A batch: declared and received counts, its devices (newest first, a page at a time),
    registering, importing, labels; `registered` names the device just registered, shown
    beside the form, whose category the next one keeps."""
    device = service.batch_device(session, batch_id, registered) if registered else None
    if device is None:
        return batch_page_view(request, session, batch_id, page=page)
    shown = {"code": codes.display(device.code)}
    return batch_page_view(
        request,
        session,
        batch_id,
        page=page,
        registered=shown,
        device_values={"category": device.category},
        device_focus="category",
    )


@router.get("/intake/batches/{batch_id}/devices", response_class=Response)
@router.get("/intake/batches/{batch_id}/close", response_class=Response)
def back_to_batch(batch_id: IdPath) -> Response:
    """A form's address opened again (the address bar, a bookmark): its batch page."""
    return redirect(f"/intake/batches/{batch_id}")


@router.post("/intake/batches/{batch_id}/devices", dependencies=[Csrf], response_class=HTMLResponse)
def register_device(
    batch_id: IdPath, request: Request, session: SessionDep, actor: Receiver, form: FormDep
) -> Response:
    """Register one device; back to the batch, which shows its code beside the form."""
    values = typed(form)
    try:
        data = DeviceIntake.model_validate(given(values, DEVICE_FIELDS))
        device = service.receive_device(session, actor, batch_id=batch_id, data=data)
    except ValidationError as exc:
        errors = form_errors(page_locale(request), exc)
        also_check(request, errors, values, "imei", service.normalised_imei)
        return _device_again(request, session, batch_id, values, errors, status=422)
    except DomainError as exc:
        session.rollback()
        errors = beside(request, exc)
        return _device_again(request, session, batch_id, values, errors, status=exc.status)
    # No "#register": a page with a fragment to scroll to skips `autofocus` (HTML).
    return redirect(f"/intake/batches/{batch_id}?registered={device.code}")


def _device_again(
    request: Request,
    session: Session,
    batch_id: int,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status: int,
) -> HTMLResponse:
    return batch_page_view(
        request, session, batch_id, status=status, device_errors=errors, device_values=values
    )


@router.post("/intake/batches/{batch_id}/close", dependencies=[Csrf], response_class=HTMLResponse)
def close_batch(
    batch_id: IdPath,
    request: Request,
    session: SessionDep,
    actor: BatchManager,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        service.close_batch(session, actor, batch_id=batch_id, comment=comment.strip() or None)
    except DomainError as exc:
        session.rollback()
        return batch_page_view(
            request, session, batch_id, status=exc.status, problem=said(request, exc)
        )
    message = translate(page_locale(request), N_("Batch %(id)s closed."), id=batch_id)
    return redirect(f"/intake/batches/{batch_id}", flash=message)


@router.get("/intake/batches/{batch_id}/receipt.pdf", response_class=Response)
def receipt_pdf(
    batch_id: IdPath, request: Request, session: SessionDep, _actor: Reader
) -> Response:
    """The donor's receipt (PDF, in French), as the API gives it."""
    return api.receipt_response(session, batch_id, organisation=get_settings(request).organisation)
