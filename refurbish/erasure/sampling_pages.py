"""The re-verification queue (R2v3): each week's sample of erasures, checked again by
a person other than the one who erased it.

A form per erasure still to check; a refusal (the person who erased it) shows beside
that form, what was typed kept. Coordinators see the failed checks first and may draw
last week's sample if nobody did (the scheduled job does it each week).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from db import codes
from db.clock import utcnow
from db.errors import N_, DomainError
from db.media import StorageMedium
from db.models import Device
from refurbish.erasure import page as wording
from refurbish.erasure import page_forms, sampling, service
from refurbish.erasure.device_forms import Worker, first, typed_in
from refurbish.erasure.models import SampleItemRead
from remise.auth import Actor, Permission
from remise.deps import IdPath, SessionDep, get_settings
from remise.i18n import translate
from remise.pages import Csrf, FormDep, page_locale, page_require, redirect, render, said

router = APIRouter(include_in_schema=False)
# Coordinators draw the weekly sample and are shown its failures first.
COORDINATES = Permission.ERASURES_SAMPLE

# The re-verification queue (R2v3): each week's sample, checked by another person.
SAMPLE_TABS = (
    ("queued", N_("To check")),
    ("passed", N_("Checked: passed")),
    ("failed", N_("Checked: failed")),
    ("all", N_("All")),
)
SAMPLE_WORDS = {"queued": N_("to check"), "passed": N_("passed"), "failed": N_("failed")}


def _last_week() -> str:
    return sampling.week_of(utcnow().date() - timedelta(days=7))


def _item(locale: str, item: SampleItemRead, names: dict[int, str]) -> dict[str, Any]:
    return {
        "item": item,
        "medium": names.get(item.medium_id, item.medium),
        "level": wording.words(locale, wording.LEVEL_WORDS, item.level),
        "method": wording.words(locale, wording.METHOD_WORDS, item.method),
        "pattern": wording.words(locale, wording.PATTERN_WORDS, item.pattern)
        if item.pattern
        else None,
        "state": wording.words(locale, SAMPLE_WORDS, item.state),
    }


def _sampling(
    request: Request,
    session: Session,
    actor: Actor,
    shown: str,
    *,
    status: int = 200,
    refused_id: int | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    locale = page_locale(request)
    shown = shown if shown in {key for key, _ in SAMPLE_TABS} else "queued"
    every = sampling.queue(session, state=None)
    counts = {key: sum(1 for i in every if key in ("all", i.state)) for key, _ in SAMPLE_TABS}
    listed = [i for i in every if shown in ("all", i.state)]
    ids = sorted({i.medium_id for i in every})
    media = session.exec(select(StorageMedium).where(col(StorageMedium.id).in_(ids))).all()
    names = {m.id or 0: wording.medium_name(locale, m) for m in media}
    week = _last_week()
    context = {
        "tabs": [(key, translate(locale, label), counts[key]) for key, label in SAMPLE_TABS],
        "shown": shown,
        "items": [_item(locale, i, names) for i in listed],
        "failed": [_item(locale, i, names) for i in every if i.state == "failed"],
        "me": service.operator_name(session, actor),
        "coordinator": actor.may(COORDINATES),
        "week": week,
        "drawn": sampling.drawn_before(session, week),
        "percent": get_settings(request).erasure_sample_percent,
        "refused_id": refused_id,
        "errors": errors or {},
        "typed": typed or {},
        "focus": first(errors or {}, page_forms.REVERIFY_FIELDS),
        "limits": page_forms.LIMITS,
    }
    return render(request, "refurbish/erasure/sampling.html", context, status=status)


@router.get("/erasures/sampling", response_class=HTMLResponse)
def sampling_page(
    request: Request,
    session: SessionDep,
    actor: Worker,
    state: Annotated[str, Query(max_length=10)] = "queued",
) -> Response:
    """The erasures drawn for re-verification, by state: to check, passed, failed, all."""
    return _sampling(request, session, actor, state)


@router.get("/erasures/sampling/draw")
@router.get("/erasures/sampling/{erasure_id}/reverify")
def back_to_sampling(_actor: Worker) -> Response:
    return redirect("/erasures/sampling")


@router.post("/erasures/sampling/{erasure_id}/reverify", dependencies=[Csrf])
def reverify(
    erasure_id: IdPath, request: Request, session: SessionDep, actor: Worker, form: FormDep
) -> Response:
    """Record another person's check of a sampled erasure; the one who erased it is
    refused beside the form."""
    locale = page_locale(request)
    typed = typed_in(form, page_forms.REVERIFY_FIELDS)
    tab = str(form.get("tab") or "queued")
    checked, errors = page_forms.reverify_from_form(locale, typed)
    if checked is not None:
        try:
            record = sampling.reverify(session, actor, erasure_id=erasure_id, data=checked)
        except DomainError as exc:
            errors = {"form": said(request, exc)}
    if errors:
        session.rollback()
        status = 409 if "form" in errors else 422
        return _sampling(
            request,
            session,
            actor,
            tab,
            status=status,
            refused_id=erasure_id,
            errors=errors,
            typed=typed,
        )
    device = session.get(Device, record.device_id)
    assert device is not None
    if record.passed:
        message = N_("Check of erasure %(id)s recorded: it passed.")
    else:
        message = N_(
            "Check of erasure %(id)s recorded: it failed. Device %(device)s is blocked until "
            "the medium is erased again or destroyed."
        )
    said_done = translate(locale, message, id=erasure_id, device=codes.display(device.code))
    return redirect(f"/erasures/sampling?state={tab}", flash=said_done)


@router.post("/erasures/sampling/draw", dependencies=[Csrf])
def draw(
    request: Request,
    session: SessionDep,
    actor: Annotated[Actor, Depends(page_require(COORDINATES))],
) -> Response:
    """Draw last week's sample now (the scheduled job does it each week); drawn once."""
    locale = page_locale(request)
    week = _last_week()
    found = sampling.draw(
        session, actor, percent=get_settings(request).erasure_sample_percent, week=week
    )
    message = N_("Sample of week %(week)s: %(drawn)s of %(population)s erasures drawn.")
    said_done = translate(
        locale, message, week=week, drawn=len(found.drawn), population=len(found.population)
    )
    return redirect("/erasures/sampling", flash=said_done)
