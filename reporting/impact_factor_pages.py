"""The coordinators' page of the impact factors (`/reports/impact-factors`): every
version, the one in force with each factor's source and vintage, and a form to store
the next version from the current one, every value, source, URL and vintage editable.

A category's row left empty (no value, source nor vintage) has no factor: its devices
are not counted. A refused form shows again with what was typed and each problem beside
its field; nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from db.enums import CATEGORY_LABELS, Category
from db.errors import N_
from remise.auth import Actor, Permission
from remise.deps import SessionDep
from remise.i18n import translate
from remise.pages import Csrf, FormDep, form_errors, page_locale, page_require, redirect, render
from reporting import impact_factors, impact_rules
from reporting.impact_factors import FactorVersion
from reporting.impact_rules import MEASURE_LABELS, UNIT_LABELS, UNITS, Measure
from reporting.impact_schemas import NOTE_MAX, ImpactFactorsCreate

router = APIRouter(include_in_schema=False)
Manager = Annotated[Actor, Depends(page_require(Permission.IMPACT_FACTORS_MANAGE))]
PAGE = "/reports/impact-factors"
PARTS = ("value", "source", "url", "vintage", "note")
STORED = N_("Impact factors stored: version %(version)s is in force from now on.")
NOT_A_NUMBER = N_("A number is expected, such as 12,5 or 0,314.")
FORM_REFUSED = N_("Nothing was stored: correct the fields marked below.")


def _typed_number(locale: str, value: float) -> str:
    text = repr(value).removesuffix(".0")
    return text.replace(".", ",") if locale == "fr" else text


def _initial(locale: str, current: FactorVersion) -> dict[str, str]:
    typed = {"title": current.document.title or "", "note": ""}
    for measure, by_category in current.document.factors.items():
        for category, factor in by_category.items():
            name = f"{measure.value}.{category.value}"
            typed[f"{name}.value"] = _typed_number(locale, factor.value)
            for part in PARTS[1:]:
                typed[f"{name}.{part}"] = getattr(factor, part) or ""
    return typed


def _category_label(value: str) -> str:
    try:
        return CATEGORY_LABELS[Category(value)]
    except ValueError:
        return value


def _page(
    request: Request,
    session: Session,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    locale = page_locale(request)
    current = impact_factors.current(session)
    errors = errors or {}
    context: dict[str, Any] = {
        "versions": impact_factors.versions(session),
        "current": current,
        "measures": [(m, MEASURE_LABELS[m], UNIT_LABELS.get(UNITS[m], UNITS[m])) for m in Measure],
        "categories": [c.value for c in Category],
        "table": current.table(),
        "typed": _initial(locale, current) | (typed or {}),
        "errors": errors,
        "focus": next((name for name in errors if name != "form"), None),
        "note_max": NOTE_MAX,
        "ordered": impact_rules.ordered,
        "category_label": _category_label,
    }
    return render(request, "reporting/impact_factors.html", context, status=status)


@router.get(PAGE, response_class=HTMLResponse)
def factors_page(request: Request, session: SessionDep, _actor: Manager) -> Response:
    return _page(request, session)


@router.post(PAGE, dependencies=[Csrf], response_class=HTMLResponse)
def store_factors(request: Request, session: SessionDep, actor: Manager, form: FormDep) -> Response:
    """Store the factors typed as the next version."""
    locale = page_locale(request)
    typed = {key: str(value).strip() for key, value in form.items() if isinstance(value, str)}
    document, errors = _document(locale, typed)
    try:
        data = ImpactFactorsCreate.model_validate(document)
    except ValidationError as exc:
        errors = _field_names(form_errors(locale, exc)) | errors  # "not a number" first
    if errors:
        errors = {"form": translate(locale, FORM_REFUSED)} | errors
        return _page(request, session, typed=typed, errors=errors, status=422)
    stored = impact_factors.create_version(session, actor, data=data)
    return redirect(PAGE, flash=translate(locale, STORED, version=stored.version))


def _document(locale: str, typed: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The factor set typed, as the API takes it (a number that cannot be read left out),
    and the numbers that cannot be read."""
    factors: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    for measure in Measure:
        for category in Category:
            name = f"{measure.value}.{category.value}"
            parts = {part: typed.get(f"{name}.{part}", "") for part in PARTS}
            if not (parts["value"] or parts["source"] or parts["vintage"]):
                continue  # no factor for this category
            factor: dict[str, Any] = {p: v for p, v in parts.items() if v and p != "value"}
            if parts["value"]:
                try:
                    factor["value"] = float(parts["value"].replace(",", ".").replace(" ", ""))
                except ValueError:
                    errors[f"{name}.value"] = translate(locale, NOT_A_NUMBER)
            factors.setdefault(measure.value, {})[category.value] = factor
    document = {"title": typed.get("title") or None, "note": typed.get("note") or None}
    return document | {"factors": factors}, errors


def _field_names(errors: dict[str, str]) -> dict[str, str]:
    """Pydantic's places (`factors.manufacturing.laptop.value`) as the form's names."""
    return {key.removeprefix("factors."): message for key, message in errors.items()}
