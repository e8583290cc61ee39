"""Intake pages of donors: creating one, told first when its SIRET is already known.

`intake.web` mounts this router.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from db.errors import N_
from db.models import Donor
from intake import service
from intake.form_problems import also_check, first, given, typed
from intake.models import DonorCreate, max_lengths
from remise.auth import Actor, Permission
from remise.deps import SessionDep
from remise.i18n import translate
from remise.pages import Csrf, FormDep, form_errors, page_locale, page_require, redirect, render

router = APIRouter(include_in_schema=False)
DonorManager = Annotated[Actor, Depends(page_require(Permission.DONORS_MANAGE))]
EMAIL_EXPECTED = N_("An e-mail address is expected, such as dons@example.org.")
SAME_SIRET_OK = "same_siret"  # the box ticked to record a donor whose SIRET is known
LIMITS = max_lengths(DonorCreate)  # the page's `maxlength`s are the schema's
FIELDS = ("name", "siret", "contact_name", "contact_email", "contact_phone")  # page order


@router.get("/intake/donors/new", response_class=HTMLResponse)
def new_donor(request: Request, _actor: DonorManager) -> Response:
    return render(request, "intake/donor_new.html", _form({}, {}))


def _form(values: dict[str, str], errors: dict[str, str], known: Donor | None = None) -> Any:
    focus = first(errors, FIELDS) or ("siret" if known else "name")
    return {"values": values, "errors": errors, "limits": LIMITS, "focus": focus, "known": known}


@router.post("/intake/donors/new", dependencies=[Csrf], response_class=HTMLResponse)
def create_donor(
    request: Request, session: SessionDep, actor: DonorManager, form: FormDep
) -> Response:
    """Record a donor, then on to a batch of theirs. A SIRET already known is said first,
    with the donor who has it; it is recorded again once the box saying so is ticked."""
    values = typed(form)
    data, errors = _donor(request, values)
    if data is None:
        return render(request, "intake/donor_new.html", _form(values, errors), status=422)
    if values.get(SAME_SIRET_OK) != "yes" and (known := _known(session, data)) is not None:
        return render(request, "intake/donor_new.html", _form(values, {}, known), status=409)
    donor = service.create_donor(session, actor, data=data)
    message = translate(page_locale(request), N_("Donor %(name)s created."), name=donor.name)
    return redirect(f"/intake/batches/new?donor_id={donor.id}", flash=message)


def _donor(request: Request, values: dict[str, str]) -> tuple[DonorCreate | None, dict[str, str]]:
    """The donor typed, or every problem with it by field: the schema's and the SIRET's."""
    locale, errors, data = page_locale(request), {}, None
    try:
        data = DonorCreate.model_validate(given(values, FIELDS))
    except ValidationError as exc:
        errors = form_errors(locale, exc)
        # The e-mail validator's own words are English: say what is expected instead.
        if any(e["loc"] == ("contact_email",) and e["type"] == "value_error" for e in exc.errors()):
            errors["contact_email"] = translate(locale, EMAIL_EXPECTED)
    also_check(request, errors, values, "siret", service.normalised_siret)
    return (None if errors else data), errors


def _known(session: Session, data: DonorCreate) -> Donor | None:
    """The first donor already recorded with this SIRET, if any."""
    if not data.siret:
        return None
    same = service.donors_with_siret(session, service.normalised_siret(data.siret))
    return same[0] if same else None
