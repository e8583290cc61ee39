"""The inventory search, `/devices`, and its exports, `/devices.csv` and `/devices.xlsx`.

Staff find any device by what they hold (code, serial, IMEI, asset tag) or by brand
and model, filter by status, category, grade, batch, donor, location and structure,
sort by a column and export the whole search. Each row opens the device's bench page.
A bad parameter is said beside its field (422), the search kept as it was typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from db.clock import now_iso
from db.errors import N_, Message
from remise.auth import Actor, Permission
from remise.deps import SessionDep
from remise.i18n import localise, translate
from remise.pages import page_locale, page_require, render
from reporting import exports, inventory, inventory_params, inventory_view
from reporting.inventory_view import PAGING, PARAMS

router = APIRouter(include_in_schema=False)
Searcher = Annotated[Actor, Depends(page_require(Permission.INVENTORY_SEARCH))]
TEMPLATE = "reporting/devices.html"

TOO_MANY = N_(
    "This search finds more than %(max)s devices, more than an export holds: narrow it "
    "down with the filters, then export again."
)
TOO_MANY_XLSX = N_(
    "This search finds more than %(max)s devices, more than an Excel file holds here: "
    "narrow it down with the filters, or export it as CSV (up to %(csv)s devices)."
)


class Refused(Exception):
    """The search cannot run as sent: the page, with a message per bad parameter."""

    def __init__(self, errors: dict[str, Message]) -> None:
        super().__init__(sorted(errors))
        self.errors = errors


def _params(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in PARAMS + PAGING}


def _page(
    request: Request, session: Session, *, errors: dict[str, Message] | None = None
) -> HTMLResponse:
    """The page of the search the request asks; with `errors`, those messages and no rows."""
    locale, params = page_locale(request), _params(request)
    asked, bad = inventory_params.read(params)
    search, unknown = inventory_view.resolve(session, asked.filters)
    context = inventory_view.form_context(session, locale, params, asked)
    errors = bad | unknown | (errors or {})
    if errors:
        context["errors"] = localise(locale, errors)
        return render(request, TEMPLATE, context, status=422)
    context |= inventory_view.found(session, locale, search, asked, params)
    return render(request, TEMPLATE, context)


@router.get("/devices", response_class=HTMLResponse)
def devices_page(request: Request, session: SessionDep, _actor: Searcher) -> Response:
    """The inventory: a search field, filters, a sortable table a page at a time."""
    return _page(request, session)


def _table(
    request: Request, session: Session, *, cap: int, too_many: str
) -> tuple[list[str], Iterator[list[object]]]:
    """The whole search's header and rows for a file; Refused if it cannot be exported
    (a bad parameter, or more than `cap` devices)."""
    locale = page_locale(request)
    asked, errors = inventory_params.read(_params(request))
    search, unknown = inventory_view.resolve(session, asked.filters)
    if errors or unknown:
        raise Refused(errors | unknown)
    search = inventory_view.with_match(session, search)
    if (session.scalar(inventory.count_select(search, cap)) or 0) > cap:
        limits = {"max": cap, "csv": inventory.EXPORT_CAP}
        raise Refused({"export": Message(too_many, limits)})
    rows = session.execute(inventory.export_select(search, asked.order, cap)).all()
    # The rows are read now, before the session ends; their cells are made as the file is
    # written (`export_rows` is a generator), not all kept at once beside them.
    return inventory_view.export_headers(locale), inventory_view.export_rows(locale, rows)


def _filename(request: Request) -> str:
    stem = translate(page_locale(request), N_("inventory"))  # ASCII: a file's name
    return f"{stem}-{now_iso()[:10]}"


@router.get("/devices.csv", response_class=Response)
def devices_csv(request: Request, session: SessionDep, _actor: Searcher) -> Response:
    """The whole search as a `;` CSV: identifiers, donor and structure included."""
    try:
        headers, rows = _table(request, session, cap=inventory.EXPORT_CAP, too_many=TOO_MANY)
    except Refused as refused:
        return _page(request, session, errors=refused.errors)
    return exports.csv_response(_filename(request), headers, rows)


@router.get("/devices.xlsx", response_class=Response)
def devices_xlsx(request: Request, session: SessionDep, _actor: Searcher) -> Response:
    """The whole search as an XLSX workbook of one sheet (fewer rows than a CSV: openpyxl
    writes about 3,000 rows a second, a CSV 30,000)."""
    try:
        headers, rows = _table(request, session, cap=inventory.XLSX_CAP, too_many=TOO_MANY_XLSX)
    except Refused as refused:
        return _page(request, session, errors=refused.errors)
    sheet = translate(page_locale(request), N_("Devices"))
    return exports.xlsx_response(_filename(request), headers, rows, sheet=sheet)
