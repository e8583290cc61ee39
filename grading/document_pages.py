"""The coordinators' pages: the grading rules in force as sentences, with an editor of
their JSON document; the grades set by hand; the price grid in force, the legal caps and
an editor of its prices in euros.

A published version comes back to its page (303) with a message; a refused one shows
again with what was typed kept and every problem by its place in the document (each
price beside its input, a cap beside its category's row), nothing published.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db import codes
from db.clock import utcnow
from db.errors import N_, DomainError
from grading import document_views, documents, page_forms, pricing, service, views
from grading.errors import InvalidDocument
from remise.auth import Actor, Permission
from remise.deps import SessionDep
from remise.i18n import number, translate
from remise.pages import Csrf, FormDep, page_locale, page_require, redirect, render, said

router = APIRouter(include_in_schema=False)
Manager = Annotated[Actor, Depends(page_require(Permission.GRADING_MANAGE))]

RULES_PUBLISHED = N_("Rules published: version %(version)s is in force from now on.")
GRID_PUBLISHED = N_("Price grid published: version %(version)s, in force from %(date)s.")
NOT_JSON_SUMMARY = N_("The document is not valid JSON and nothing changed.")


def _rules_page(
    request: Request,
    session: Session,
    *,
    status: int = 200,
    typed: dict[str, str] | None = None,
    problems: list[dict[str, str]] | None = None,
    summary: str | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    locale = page_locale(request)
    version, document, row = documents.current_rules(session)
    shown = document.model_dump(mode="json", by_alias=True)
    context = {
        "version": version,
        "row": row,
        "document": document,
        "grades": [(g, w.in_(locale)) for g, w in document.grades.items()],
        "rules": document_views.rules_shown(locale, document),
        "definitions": document_views.definitions_shown(locale, document),
        "needs_os": [views.category_label(locale, c) for c in document.needs_os],
        "typed": {"document": document_views.pretty(shown), "note": ""} | (typed or {}),
        "problems": problems,
        "summary": summary,
        "errors": errors or {},
        "note_max": page_forms.NOTE_MAX,
        "focus": "note" if errors and "note" in errors and problems is None else None,
    }
    return render(request, "grading/rules.html", context, status=status)


@router.get("/grading/rules", response_class=HTMLResponse)
def rules_page(request: Request, session: SessionDep, _actor: Manager) -> Response:
    """The rules in force, each as a sentence with its source, and their editor."""
    return _rules_page(request, session)


@router.post("/grading/rules", dependencies=[Csrf])
def publish_rules(request: Request, session: SessionDep, actor: Manager, form: FormDep) -> Response:
    """Publish the document typed as the next version of the rules."""
    locale = page_locale(request)
    typed = {name: str(form.get(name) or "") for name in ("document", "note")}
    typed["note"] = typed["note"].strip()
    if len(typed["note"]) > page_forms.NOTE_MAX:
        message = translate(
            locale, page_forms.TOO_LONG, max_length=number(locale, page_forms.NOTE_MAX)
        )
        return _rules_page(request, session, status=422, typed=typed, errors={"note": message})
    document, problem = page_forms.parsed_json(locale, typed["document"])
    if problem is not None:
        summary = translate(locale, NOT_JSON_SUMMARY)
        problems = [{"field": "JSON", "message": problem}]
        return _rules_page(
            request, session, status=422, typed=typed, problems=problems, summary=summary
        )
    try:
        row = documents.publish_rules(session, actor, document, typed["note"] or None)
    except InvalidDocument as exc:
        session.rollback()
        problems = page_forms.problems_of(exc)
        return _rules_page(
            request, session, status=422, typed=typed, problems=problems, summary=said(request, exc)
        )
    return redirect("/grading/rules", flash=translate(locale, RULES_PUBLISHED, version=row.version))


@router.get("/grading/overrides", response_class=HTMLResponse)
def overrides_page(request: Request, session: SessionDep, _actor: Manager) -> Response:
    """Every grade set by hand against the rules, newest first, with its reason."""
    locale = page_locale(request)
    listed = [
        {
            "device": codes.display(device.code),
            "category": views.category_label(locale, device.category),
            "computed_grade": decision.computed_grade,
            "grade": decision.grade,
            "reason": decision.override_reason,
            "when": decision.decided_at,
            "who": decision.decided_by,
        }
        for decision, device in service.overrides(session)
    ]
    return render(request, "grading/overrides.html", {"overrides": listed})


def _grid_page(
    request: Request,
    session: Session,
    *,
    status: int = 200,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    locale = page_locale(request)
    today = utcnow().date()
    version, grid, row = documents.current_grid(session, today)
    rows = document_views.grid_rows(locale, grid)
    prices = {
        f"price.{r.category}.{g}": page_forms.euros_typed(locale, cents)
        for r in rows
        for g, cents in r.prices.items()
    }
    dumped = grid.model_dump(mode="json", by_alias=True)
    initial = prices | {
        "effective_from": today.isoformat(),
        "note": "",
        "tiers": document_views.pretty(dumped["tiers"]),
        "waivers": document_views.pretty(dumped["waivers"]),
    }
    errors = errors or {}
    context = {
        "version": version,
        "row": row,
        "grid": grid,
        "rows": rows,
        "tiers": document_views.tiers_shown(locale, grid),
        "caps": document_views.caps_shown(locale),
        "caps_source": pricing.CAPS_SOURCE,
        "typed": initial | (typed or {}),
        "errors": errors,
        "focus": _grid_focus(errors, rows),
        "note_max": page_forms.NOTE_MAX,
        "json_open": any(n in errors for n in ("tiers", "waivers")),
        "upcoming": [
            v for v in documents.grid_versions(session) if v.effective_from > today.isoformat()
        ],
    }
    return render(request, "grading/grid.html", context, status=status)


def _grid_focus(errors: dict[str, str], rows: list[document_views.GridRow]) -> str | None:
    """The first input with a problem: a price, the first of a row over its cap, then
    the other fields."""
    for row in rows:
        for grade in row.prices:
            name = f"price.{row.category}.{grade}"
            if name in errors or f"row.{row.category}" in errors:
                return name
    return next((n for n in ("effective_from", "note", "tiers", "waivers") if n in errors), None)


@router.get("/pricing/grid", response_class=HTMLResponse)
def grid_page(request: Request, session: SessionDep, _actor: Manager) -> Response:
    """The grid in force today, the legal caps, and the editor of its prices."""
    return _grid_page(request, session)


@router.post("/pricing/grid", dependencies=[Csrf])
def publish_grid(request: Request, session: SessionDep, actor: Manager, form: FormDep) -> Response:
    """Publish the prices typed (in euros) as the next version of the grid."""
    locale = page_locale(request)
    _version, current, _row = documents.current_grid(session, utcnow().date())
    categories = list(current.prices)
    typed = page_forms.grid_typed(form, categories)
    document, errors = page_forms.grid_document(locale, typed, current, categories)
    status = 422
    if document is not None:
        try:
            row = documents.publish_grid(session, actor, document, typed["note"] or None)
        except DomainError as exc:
            errors = page_forms.grid_refused(locale, exc, said(request, exc), categories)
            status = exc.status
    if errors:
        session.rollback()
        return _grid_page(request, session, status=status, typed=typed, errors=errors)
    when = document_views.day_text(locale, row.effective_from)
    message = translate(locale, GRID_PUBLISHED, version=row.version, date=when)
    return redirect("/pricing/grid", flash=message)
