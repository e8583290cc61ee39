"""The portal's start page: the catalogue a structure reserves from.

Filters (category, grade, RAM, storage, system, price) on the available devices, the
count of each category and grade with what the grade means, the structure's quota use
this period, a page of devices with a box to tick on each (reserve those very devices),
and a request by quantity and criteria that may wait in line when the stock has too
few. Never a donor, a serial or an IMEI: the catalogue has none.

A structure not yet approved, or suspended, sees a page saying so instead: it may not
reserve. The claim forms' refusals come back here (`catalogue`), what was typed kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlmodel import Session, col

from db.bounds import OFFSET_MAX
from db.enums import GRADES
from db.errors import N_
from db.models import CatalogItem
from distribution import catalog, service
from distribution import portal_forms as forms
from distribution import shared_pages as shared
from distribution.claims import ClaimPolicy
from distribution.models import CatalogDevice, Specs
from distribution.portal_shell import HOME, StructureUser, may_claim, own_structure, portal_render
from distribution.shared_pages import PolicyDep
from remise.auth import Actor
from remise.deps import SessionDep, get_settings
from remise.i18n import number, translate
from remise.pages import page_locale

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
Typed = Annotated[str, Query(max_length=40)]
GRADE_WORDS = {
    "A": N_("grade A only"),
    "B": shared.GRADE_OR_BETTER,
    "C": shared.GRADE_OR_BETTER,
}
SPEC_WORDS = {
    "ram_gb": N_("%(value)s GB of RAM"),
    "storage_gb": N_("%(value)s GB of storage"),
    "screen_in": N_("%(value)s″ screen"),
    "os": shared.SYSTEM,
    "battery_percent": N_("battery at %(value)s %%"),
}


@dataclass(frozen=True)
class DeviceRow:
    code: str
    category: str
    title: str
    grade: str | None
    definition: str | None
    specs: list[str]
    price_cents: int | None


@dataclass(frozen=True)
class CountRow:
    category: str
    category_text: str
    grade: str | None
    definition: str | None
    count: int


@dataclass
class Claiming:
    """What the claim forms bring back to the page: what was ticked or typed, and why
    it was refused; `offer` the waitlist, when the stock has too few (found, asked)."""

    picked: list[str] = field(default_factory=list)
    reserve_error: str | None = None
    ask_typed: dict[str, str] = field(default_factory=dict)
    ask_errors: dict[str, str] = field(default_factory=dict)
    offer: tuple[int, int] | None = None
    status: int = 200


def specs_text(locale: str, specs: Specs) -> list[str]:
    """A device's specs in words: « 8 GB of RAM », « 256 GB of storage (ssd) »…"""
    said: list[str] = []
    for name, words in SPEC_WORDS.items():
        value = getattr(specs, name)
        if value is None:
            continue
        shown = number(locale, value) if isinstance(value, int) else value
        said.append(translate(locale, words, value=shown, os=value))
        if name == "storage_gb" and specs.storage_type:
            said[-1] += f" ({specs.storage_type.upper()})"
    if specs.cpu:
        said.append(specs.cpu)
    return said


def device_row(locale: str, device: CatalogDevice) -> DeviceRow:
    return DeviceRow(
        code=device.code,
        category=shared.category_text(locale, device.category),
        title=" ".join(filter(None, (device.brand, device.model))) or "—",
        grade=device.grade,
        definition=device.grade_definition,
        specs=specs_text(locale, device.specs),
        price_cents=device.price_cents,
    )


def definitions(session: Session, locale: str) -> dict[str, str]:
    """What each grade in stock means, as grading wrote it, in the reader's language."""
    words = col(CatalogItem.definition_en if locale == "en" else CatalogItem.definition_fr)
    rows = session.execute(
        select(col(CatalogItem.grade), func.min(words)).group_by(col(CatalogItem.grade))
    ).all()
    return {grade: said for grade, said in rows if grade and said}


def systems(session: Session) -> list[str]:
    """The systems of the devices in stock, for the system field's suggestions."""
    column = col(CatalogItem.os)
    rows = session.execute(select(column).where(column.is_not(None)).distinct().order_by(column))
    return [str(os) for (os,) in rows]


def count_rows(session: Session, locale: str, meanings: dict[str, str]) -> list[CountRow]:
    return [
        CountRow(
            category=c.category,
            category_text=shared.category_text(locale, c.category),
            grade=c.grade,
            definition=meanings.get(c.grade or ""),
            count=c.count,
        )
        for c in catalog.counts(session)
    ]


def quota_rows(
    session: Session, locale: str, actor: Actor, policy: ClaimPolicy
) -> list[dict[str, Any]]:
    structure = own_structure(session, actor)
    use = service.quota_use(session, structure, policy.quotas, shared.today(policy))
    return [
        {
            "category": category,
            "title": shared.category_text(locale, category),
            "quota": u.quota,
            "used": u.used,
            "remaining": u.remaining,
        }
        for category, u in use.items()
    ]


def page_address(typed: dict[str, str], offset: int) -> str:
    kept = {name: typed[name] for name in forms.FIELDS if typed.get(name)}
    return HOME + "?" + urlencode(kept | {"offset": offset}) + "#devices"


def _choices(locale: str) -> dict[str, Any]:
    return {
        "categories": shared.categories(locale),
        "grades": [(g, translate(locale, GRADE_WORDS[g], grade=g)) for g in GRADES],
    }


def _listing(
    session: Session, locale: str, typed: dict[str, str], offset: int
) -> tuple[dict[str, str], dict[str, Any]]:
    """The filters' problems, and the page of devices they keep (none if a filter is wrong)."""
    wanted, errors = forms.read_wanted(locale, typed)
    if errors:
        return errors, {"rows": [], "total": 0, "previous": None, "next": None}
    found = catalog.listing(
        session, filters=wanted.conditions(), limit=PAGE_SIZE, offset=offset, locale=locale
    )
    more = offset + PAGE_SIZE < found.total
    return errors, {
        "rows": [device_row(locale, d) for d in found.devices],
        "total": found.total,
        "first": offset + 1,
        "last": offset + len(found.devices),
        "previous": page_address(typed, max(offset - PAGE_SIZE, 0)) if offset else None,
        "next": page_address(typed, offset + PAGE_SIZE) if more else None,
    }


def catalogue(
    request: Request,
    session: Session,
    actor: Actor,
    policy: ClaimPolicy,
    *,
    typed: dict[str, str],
    offset: int,
    claiming: Claiming | None = None,
) -> HTMLResponse:
    """The catalogue page, filtered by `typed`, at `offset`, with what the claim forms
    bring back, if anything."""
    locale = page_locale(request)
    claiming = claiming or Claiming()
    errors, listing = _listing(session, locale, typed, offset)
    day = shared.today(policy)
    context = {
        "typed": typed,
        "errors": errors,
        "offset": offset,
        "listing": listing,
        "counts": count_rows(session, locale, definitions(session, locale)),
        "systems": systems(session),
        "quotas": quota_rows(session, locale, actor, policy),
        "period_start": policy.quotas.period(day).start,
        "period_last": shared.last_day(policy.quotas.period(day).end),
        "claiming": claiming,
        "ask": {name: claiming.ask_typed.get(f"ask.{name}", "") for name in ASK_FIELDS},
        "ask_errors": claiming.ask_errors,
        "focus": _focus(errors, claiming),
        **_choices(locale),
    }
    status = 422 if errors and claiming.status == 200 else claiming.status
    return portal_render(
        request, session, actor, "portal_catalog.html", context, here=HOME, status=status
    )


ASK_FIELDS = (*forms.FIELDS, "quantity", "waitlist")
ASK_ORDER = ("ask.quantity", *(f"ask.{name}" for name in forms.FIELDS))


def _focus(errors: dict[str, str], claiming: Claiming) -> str:
    """The id of what has the focus: the first field with a problem, the problem of a
    form, else the first filter."""
    if errors:
        return next(f"field-{name}" for name in forms.FIELDS if name in errors)
    if "ask.form" in claiming.ask_errors:
        return "ask-problem"
    if claiming.ask_errors:
        return next(f"field-{key}" for key in ASK_ORDER if key in claiming.ask_errors)
    return "reserve-problem" if claiming.reserve_error else "field-category"


def typed_filters(values: Iterable[tuple[str, str]]) -> dict[str, str]:
    found = dict(values)
    return {name: found.get(name, "").strip() for name in forms.FIELDS}


def offset_of(text: str) -> int:
    try:
        return forms.whole(text, maximum=OFFSET_MAX) or 0
    except forms.Problem:
        return 0


@router.get(HOME, response_class=HTMLResponse)
def catalogue_page(
    request: Request,
    session: SessionDep,
    actor: StructureUser,
    policy: PolicyDep,
    category: Typed = "",
    min_grade: Typed = "",
    min_ram_gb: Typed = "",
    min_storage_gb: Typed = "",
    os: Typed = "",
    max_price: Typed = "",
    offset: Typed = "",
) -> Response:
    """The catalogue with its filters, counts and quota use; a structure that may not
    reserve (waiting for approval, suspended) is told so instead."""
    structure = own_structure(session, actor)
    if not may_claim(structure):
        context = {"contact": get_settings(request).coordinator_email}
        return portal_render(request, session, actor, "portal_waiting.html", context, here=HOME)
    typed = typed_filters(
        {
            "category": category,
            "min_grade": min_grade,
            "min_ram_gb": min_ram_gb,
            "min_storage_gb": min_storage_gb,
            "os": os,
            "max_price": max_price,
        }.items()
    )
    return catalogue(request, session, actor, policy, typed=typed, offset=offset_of(offset))
