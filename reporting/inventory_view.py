"""What the inventory page shows: names resolved, the rows found, the links that sort
and page, and the rows of an export, in the reader's language."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Row, func, select
from sqlmodel import Session, col

from db import codes
from db.bounds import ROW_ID_MAX
from db.enums import CATEGORY_LABELS, GRADES, STATUS_LABELS, Category, Status
from db.errors import N_, Message
from db.models import Batch, Donor, Location, Structure
from remise.i18n import localise, translate
from reporting import inventory
from reporting.inventory_params import (
    NO_GRADE,
    PAGE_SIZES,
    Asked,
    Filters,
    SortKey,
    whole_number,
)

PARAMS = ("q", "status", "category", "grade", "batch", "donor", "structure", "location")
PAGING = ("sort", "order", "size", "page")
CHOICES_MAX = 300  # a select of more names is no help: the page asks for a typed one
SEVERAL_SHOWN = 5
LOCATIONS_MAX = 10_000  # the shelves and rooms a name is looked for among
DEVICE_PAGE = "/bench/devices/"
CENTS = Decimal(100)

HEADINGS = {
    SortKey.CODE: N_("Code"),
    SortKey.CATEGORY: N_("Category"),
    SortKey.BRAND: N_("Brand"),
    SortKey.MODEL: N_("Model"),
    SortKey.STATUS: N_("Status"),
    SortKey.GRADE: N_("Grade"),
    SortKey.STATUS_SINCE: N_("Status since"),
    SortKey.LOCATION: N_("Location"),
}
UNKNOWN_ID = {
    "batch": N_("No batch has the number %(id)s."),
    "donor": N_("No donor has the number %(id)s."),
    "structure": N_("No structure has the number %(id)s."),
}
NONE_NAMED = N_("No name contains “%(text)s”.")
SEVERAL_NAMED = N_("Several names contain “%(text)s”: %(names)s. Type more of the name.")


def _existing(session: Session, table: Any, number: int, field: str) -> dict[str, Message]:
    found = session.scalar(select(table.id).where(table.id == number))
    return {} if found is not None else {field: Message(UNKNOWN_ID[field], {"id": number})}


def _named(session: Session, table: Any, text: str, field: str) -> tuple[Any, dict[str, Any]]:
    """The ids `text` names in `table` (donors, structures): a number is an id; a name
    is the one of that name (any case), else the only one whose name contains it."""
    if not text:
        return None, {}
    number = whole_number(text, ROW_ID_MAX)
    if number is not None:
        return (number,), _existing(session, table, number, field)
    name = func.lower(col(table.name))
    same = session.scalars(select(table.id).where(name == text.lower())).all()
    if same:
        return tuple(same), {}
    query = select(table.id, table.name).where(name.contains(text.lower(), autoescape=True))
    rows = session.execute(query.order_by(table.name).limit(SEVERAL_SHOWN + 1)).all()
    if len(rows) == 1:
        return (rows[0].id,), {}
    if not rows:
        return (), {field: Message(NONE_NAMED, {"text": text})}
    names = ", ".join(r.name for r in rows[:SEVERAL_SHOWN]) + (
        "…" if len(rows) > SEVERAL_SHOWN else ""
    )
    return (), {field: Message(SEVERAL_NAMED, {"text": text, "names": names})}


def _location(session: Session, text: str) -> str:
    """A known location's name as it is written, when `text` names it in another case;
    else `text` itself (a device's location is free text). Compared in Python, as
    `labels.locations` does: SQLite's lower() leaves « É » as it is."""
    if not text:
        return text
    wanted = text.casefold()
    names = session.scalars(select(col(Location.name)).limit(LOCATIONS_MAX)).all()
    return next((name for name in names if name.casefold() == wanted), text)


def resolve(session: Session, filters: Filters) -> tuple[inventory.Search, dict[str, Any]]:
    """The search the filters ask, their donors and structures resolved to ids, and a
    message for each that names nothing."""
    donors, errors = _named(session, Donor, filters.donor, "donor")
    structures, unknown = _named(session, Structure, filters.structure, "structure")
    errors |= unknown
    if filters.batch_id is not None:
        errors |= _existing(session, Batch, filters.batch_id, "batch")
    filters = replace(filters, location=_location(session, filters.location))
    return inventory.Search(filters, donor_ids=donors, structure_ids=structures), errors


def with_match(session: Session, search: inventory.Search) -> inventory.Search:
    """`search`, matching its text exactly if any device has it as code or identifier."""
    probe = inventory.exact_probe(search.filters.q)
    ids = tuple(session.scalars(probe).all()) if probe is not None else ()
    return replace(search, exact_ids=ids or None)


# --- the links -------------------------------------------------------------------------


def href(params: dict[str, str], path: str = "/devices", **changes: Any) -> str:
    """`path` with the non-empty parameters of `params`, changed by `changes`."""
    merged = {k: str(v) for k, v in (params | changes).items() if v not in ("", None)}
    return f"{path}?{urlencode(merged)}" if merged else path


def _headings(params: dict[str, str], asked: Asked) -> list[dict[str, Any]]:
    """Each column heading: its link (ascending first, then the other way) and aria-sort."""
    order, found = asked.order, []
    for key, words in HEADINGS.items():
        current = order.key == key
        going = "desc" if current and not order.descending else "asc"
        sort = None
        if current:
            sort = "descending" if order.descending else "ascending"
        link = href(params, sort=key.value, order=going, page="")
        found.append({"key": key.value, "words": words, "href": link, "aria_sort": sort})
    return found


def _names(session: Session, table: Any) -> list[tuple[Any, str]] | None:
    """The (id, name) of each row of `table` by name, or None when too many for a select."""
    rows = session.execute(
        select(table.id, table.name).order_by(table.name).limit(CHOICES_MAX + 1)
    ).all()
    return None if len(rows) > CHOICES_MAX else [(str(r.id), r.name) for r in rows]


def form_context(
    session: Session, locale: str, params: dict[str, str], asked: Asked
) -> dict[str, Any]:
    """The search form as it was sent, its choices, the headings and export links."""
    places = _names(session, Location)
    filters_only = {k: v for k, v in params.items() if k in PARAMS}
    kept = filters_only | {k: params[k] for k in ("sort", "order") if params.get(k)}
    return {
        "values": params,
        "errors": {},
        "statuses": [(s.value, translate(locale, STATUS_LABELS[s])) for s in Status],
        "categories": [(c.value, translate(locale, CATEGORY_LABELS[c])) for c in Category],
        "grades": [(g, g) for g in GRADES] + [(NO_GRADE, translate(locale, N_("No grade")))],
        "sizes": PAGE_SIZES,
        "size": asked.window.size,
        "donors": _names(session, Donor),
        "structures": _names(session, Structure),
        "locations": None if places is None else [(name, name) for _id, name in places],
        "headings": _headings(params, asked),
        "csv_href": href(kept, "/devices.csv"),
        "caps": {"csv": inventory.EXPORT_CAP, "xlsx": inventory.XLSX_CAP},
        "xlsx_href": href(kept, "/devices.xlsx"),
        "filtered": any(filters_only.values()),
        "rows": [],
        "summary": None,
        "pager": None,
        "exact": False,
        "code_hint": None,
        "past_the_end": False,
    }


# --- the rows found ---------------------------------------------------------------------


def _row(locale: str, row: Row[Any]) -> dict[str, Any]:
    shown = codes.display(row.code)
    return {
        "code": shown,
        "href": DEVICE_PAGE + shown,
        "category": translate(locale, CATEGORY_LABELS[Category(row.category)]),
        "brand": row.brand or "",
        "model": row.model or "",
        "status": translate(locale, STATUS_LABELS[Status(row.status)]),
        "grade": row.grade or "",
        "since": row.status_since,
        "location": row.location or "",
    }


def _pager(params: dict[str, str], asked: Asked, shown: int, total: int) -> dict[str, Any]:
    window, cap = asked.window, inventory.COUNT_CAP
    last = None if total > cap else max(1, -(-total // window.size))
    more = window.offset + shown < total if last else shown == window.size
    return {
        "first": href(params, page="") if window.page > 1 else None,
        "previous": href(params, page=window.page - 1) if window.page > 1 else None,
        "next": href(params, page=window.page + 1) if more else None,
        "last": href(params, page=last) if last and window.page < last else None,
        "page": window.page,
        "pages": last,
    }


def found(
    session: Session, locale: str, search: inventory.Search, asked: Asked, params: dict[str, str]
) -> dict[str, Any]:
    """The page of devices found, how many there are (up to the cap) and the pager."""
    search = with_match(session, search)
    ids = session.scalars(inventory.ids_select(search)).all()
    total = len(ids)
    if total <= inventory.FEW:
        page = inventory.rows_select(ids, asked.order, asked.window)
    else:
        page = inventory.page_select(search, asked.order, asked.window)
    rows = session.execute(page).all()
    first = asked.window.offset + 1
    summary = {
        "first": first,
        "last": asked.window.offset + len(rows),
        "total": total,
        "capped": total > inventory.COUNT_CAP,
        "cap": inventory.COUNT_CAP,
    }
    hint = None
    if search.filters.q and not search.exact and not rows:  # « thinkpad » has 8 letters too
        hint = inventory.code_problem(search.filters.q)
    return {
        "rows": [_row(locale, r) for r in rows],
        "summary": summary,
        "exact": search.exact,
        "code_hint": localise(locale, hint),
        "pager": _pager(params, asked, len(rows), total),
        "past_the_end": not rows and total > 0,
    }


# --- an export --------------------------------------------------------------------------

EXPORT_HEADERS = (
    N_("Code"),
    N_("Category"),
    N_("Brand"),
    N_("Model"),
    N_("Serial number"),
    N_("IMEI"),
    N_("Asset tag"),
    N_("Status"),
    N_("Status since"),
    N_("Grade"),
    N_("Price (€)"),
    N_("Location"),
    N_("Batch"),
    N_("Donor"),
    N_("Structure"),
)


def export_headers(locale: str) -> list[str]:
    return [translate(locale, words) for words in EXPORT_HEADERS]


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def export_rows(locale: str, rows: Sequence[Row[Any]]) -> Iterator[list[object]]:
    """Each device's cells: labels in `locale`, prices in euros, instants as datetimes."""
    statuses = {s.value: translate(locale, STATUS_LABELS[s]) for s in Status}
    categories = {c.value: translate(locale, CATEGORY_LABELS[c]) for c in Category}
    for r in rows:
        price = None if r.price_cents is None else Decimal(r.price_cents) / CENTS
        yield [
            codes.display(r.code),
            categories.get(r.category, r.category),
            r.brand,
            r.model,
            r.serial,
            r.imei,
            r.asset_tag,
            statuses.get(r.status, r.status),
            _moment(r.status_since),
            r.grade,
            price,
            r.location,
            r.batch_id,
            r.donor,
            r.structure,
        ]
