"""The bench's grading step: the device, a choice per cosmetic zone with each grade's
written definition, the TPM question of computers, the grade the rules compute (with
every reason, the system and the price) before it is applied, and the earlier gradings.

« Calculer le grade » shows the result and writes nothing; « Appliquer ce grade » (or a
grade set by hand, with its written reason) applies it and comes back here (303) with a
message saying what it did. A refusal shows beside the zone or field it is about, what
was chosen and typed kept, nothing saved; a GET on a form's address leads here.
"""

from __future__ import annotations

from typing import Annotated, Any

from babel.numbers import format_currency
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db import devices
from db.clock import utcnow
from db.enums import STATUS_LABELS, Status
from db.errors import N_, DomainError, Message
from db.models import Device
from grading import documents, page_forms, service, views
from grading.errors import NotGradable
from grading.models import REASON_MAX, GradeIn, GradeRead
from grading.rules import RulesDocument
from remise.auth import Actor, Permission
from remise.deps import SessionDep
from remise.i18n import translate
from remise.pages import Csrf, FormDep, page_locale, page_require, redirect, render, said

router = APIRouter(include_in_schema=False)
Worker = Annotated[Actor, Depends(page_require(Permission.RUNS_WORK))]

APPLIED = N_("Grade %(grade)s applied: available at %(price)s")
APPLIED_WAITING = N_("Grade %(grade)s applied; before it is available it waits for: %(waiting)s.")
NO_GRADE = N_("No grade: %(why)s")


def url_of(code: str) -> str:
    return f"/bench/devices/{code}/grade"


def _typed_tpm(device: Device) -> str:
    """As the device's specs say, else not checked."""
    seen = (device.attributes or {}).get("tpm2")
    return "unknown" if not isinstance(seen, bool) else ("yes" if seen else "no")


def _focus(errors: dict[str, str], zones: list[views.ZoneChoice], result: GradeRead | None) -> str:
    """Where the keyboard starts: the first field with a problem, else the result's
    button, else the first zone nobody judged, else the button that computes."""
    order = [f"zone.{z.zone}" for z in zones] + list(page_forms.GRADE_FIELDS)
    first = next((name for name in order if name in errors), None)
    if first is not None:
        return first
    if "form" in errors:
        return "problem"
    if result is not None:
        return "apply"
    return next((f"zone.{z.zone}" for z in zones if z.checked is None), "compute")


def _placed(
    errors: dict[str, str], zones: list[views.ZoneChoice], result: GradeRead | None
) -> dict[str, str]:
    """`errors` where the page can show them: a zone it does not show, or an override
    without its form (no grade to override), is said above the step."""
    shown = {f"zone.{z.zone}" for z in zones} | {"tpm2", "form"}
    if result is not None and result.grade is not None:
        shown |= {"override_grade", "reason"}
    placed = {name: text for name, text in errors.items() if name in shown}
    left = [text for name, text in errors.items() if name not in shown]
    if left:
        placed["form"] = " ".join([placed["form"], *left] if "form" in placed else left)
    return placed


def _page(
    request: Request,
    session: Session,
    code: str,
    *,
    status: int = 200,
    zones_typed: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    result: GradeRead | None = None,
    override_open: bool = False,
) -> HTMLResponse:
    locale = page_locale(request)
    device = devices.by_code(session, code)
    shown = views.device_shown(locale, device, service.GRADABLE)
    _version, document, _row = documents.current_rules(session)
    steps = service.bench_inputs(session, device).steps if shown.gradable else {}
    zones = views.zones_of(locale, document, device.category, steps, zones_typed)
    typed = {"tpm2": _typed_tpm(device)} | (typed or {})
    errors = _placed(errors or {}, zones, result)
    if not shown.gradable:
        status_text = Message(STATUS_LABELS[Status(device.status)])
        errors.setdefault("form", said(request, NotGradable(device=shown.code, status=status_text)))
    context = {
        "device": shown,
        "zones": zones,
        "computer": device.category in views.COMPUTERS,
        "tpm_choices": [(v, translate(locale, w)) for v, w in views.TPM_CHOICES],
        "typed": typed,
        "errors": errors,
        "focus": _focus(errors, zones, result),
        "result": result,
        "result_words": _result_words(locale, document, result) if result else None,
        "override_open": override_open or any(n in errors for n in ("override_grade", "reason")),
        "grades": [(g, w.in_(locale)) for g, w in document.grades.items()],
        "reason_max": REASON_MAX,
        "history": views.history_of(session, locale, device),
    }
    return render(request, "grading/grade.html", context, status=status)


def _result_words(locale: str, document: RulesDocument, result: GradeRead) -> dict[str, Any]:
    sentence = document.grades.get(result.grade) if result.grade else None  # type: ignore[call-overload]
    return {
        "outcome": views.label(locale, views.OUTCOME_WORDS, result.outcome),
        "sentence": sentence.in_(locale) if sentence is not None else None,
        "system": views.label(locale, views.SYSTEM_WORDS, result.os) if result.os else None,
        "zones": [(views.label(locale, views.ZONE_TITLES, z), g) for z, g in result.zones.items()],
        "stopping": views.stopping(result.reasons),
    }


@router.get("/bench/devices/{code}/grade", response_class=HTMLResponse)
def grading_step(code: str, request: Request, session: SessionDep, _actor: Worker) -> Response:
    """The grading step of a refurbished, graded or available device."""
    return _page(request, session, code)


@router.get("/bench/devices/{code}/grade/preview")
def back_to_grading(code: str, _actor: Worker) -> Response:
    """A computed result reloaded, or a bookmark: the grading step."""
    return redirect(url_of(code))


def _grade(
    request: Request, session: Session, actor: Actor, code: str, data: GradeIn, *, preview: bool
) -> GradeRead:
    return service.grade_device(
        session,
        actor,
        code=code,
        data=data,
        preview=preview,
        today=utcnow().date(),
        locale=page_locale(request),
    )


@router.post("/bench/devices/{code}/grade/preview", dependencies=[Csrf])
def preview(
    code: str, request: Request, session: SessionDep, actor: Worker, form: FormDep
) -> Response:
    """The grade the rules give with these choices, its reasons and price; nothing is
    written (200), or each problem beside its zone (409/422)."""
    locale = page_locale(request)
    zones, typed = page_forms.grade_typed(form)
    data, errors = page_forms.grade_in(locale, zones, typed, override=False)
    result, status = None, 422
    if data is not None:
        try:
            result = _grade(request, session, actor, code, data, preview=True)
        except DomainError as exc:
            errors, status = page_forms.grading_refused(locale, exc, said(request, exc)), exc.status
    return _page(
        request,
        session,
        code,
        status=status if errors else 200,
        zones_typed=zones,
        typed=typed,
        errors=errors,
        result=result,
    )


def _done(locale: str, result: GradeRead) -> str:
    """What an applied grading did, said for the grading step's message."""
    if result.grade is None:
        why = "; ".join(views.stopping(result.reasons)) or views.label(
            locale, views.OUTCOME_WORDS, result.outcome
        )
        return translate(locale, NO_GRADE, why=why)
    if result.status == Status.AVAILABLE and result.price is not None:
        return translate(
            locale, APPLIED, grade=result.grade, price=_price(locale, result.price.cents)
        )
    waiting = "; ".join(result.waiting_for)
    return translate(locale, APPLIED_WAITING, grade=result.grade, waiting=waiting)


def _price(locale: str, cents: int) -> str:
    return format_currency(cents / 100, "EUR", locale=locale)


@router.post("/bench/devices/{code}/grade", dependencies=[Csrf])
def apply(
    code: str, request: Request, session: SessionDep, actor: Worker, form: FormDep
) -> Response:
    """Apply the grade computed (or one set by hand with its reason) and come back to the
    step (303) with what it did; a refusal shows beside its field, nothing saved."""
    locale = page_locale(request)
    by_hand = form.get("action") == "override"
    zones, typed = page_forms.grade_typed(form)
    data, errors = page_forms.grade_in(locale, zones, typed, override=by_hand)
    status = 422
    if data is not None:
        try:
            result = _grade(request, session, actor, code, data, preview=False)
        except DomainError as exc:
            errors, status = page_forms.grading_refused(locale, exc, said(request, exc)), exc.status
    if errors:
        session.rollback()
        return _page(
            request,
            session,
            code,
            status=status,
            zones_typed=zones,
            typed=typed,
            errors=errors,
            result=_again(request, session, actor, code, zones, typed),
            override_open=by_hand,
        )
    return redirect(url_of(result.device), flash=_done(locale, result))


def _again(
    request: Request,
    session: Session,
    actor: Actor,
    code: str,
    zones: dict[str, str],
    typed: dict[str, str],
) -> GradeRead | None:
    """The result computed before the refused form was sent, to show beside it again."""
    data, _errors = page_forms.grade_in(page_locale(request), zones, typed, override=False)
    if data is None:
        return None
    try:
        return _grade(request, session, actor, code, data, preview=True)
    except DomainError:
        return None
