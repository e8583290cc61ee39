"""The inventory search (`/devices`): a search, read from the page, turned into SQL.

Pure: no session. `reporting.inventory_params` reads the page's parameters; the select
functions here build what the page and its exports run.

One search field: a text that is a device code (any case, dash or not), a serial
number, an IMEI or an asset tag finds those devices exactly, through their indexes
(`db.devices.identifier_is`); any other text finds the devices whose brand and model
contain each of its words (`WORDS`, the expression a trigram index can serve on
PostgreSQL: see README). The listing is paged by offset, a bounded page at a time,
ordered by one column and the row id (so that pages never overlap).

A page takes two queries. The first reads the ids of the devices found, in no order,
up to `COUNT_CAP` + 1 of them: their number is the total shown ("more than 10,000"
beyond), and a count of a million rows would cost more than the page. When they are
`FEW`, the second reads the page among them by primary key: a rare match must not let
the planner walk the whole table backwards by id, hoping to meet 50 matches soon.
When they are many, the second is the search again, ordered, with an offset: walking
an index in the page's order then meets 50 matches soon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, or_, select
from sqlalchemy.sql.util import ClauseAdapter
from sqlmodel import col

from db import codes
from db.devices import DEVICE_TABLE, identifier_is
from db.enums import Category, Status
from db.errors import N_, Message
from db.models import Batch, Device, Donor, Structure
from reporting.inventory_params import NO_GRADE, Filters, Order, SortKey, Window

MAX_WORDS = 5  # brand and model words: more would only make a slower, emptier search
IMEI_LENGTH = 15
COUNT_CAP = 10_000
FEW = 5_000  # found ids a page is read among by primary key (more: by the search)
EXACT_MAX = 1_000  # devices that share one identifier, at most (one does, or a few)
EXPORT_CAP = 100_000  # rows of a CSV export
XLSX_CAP = 20_000  # rows of an XLSX export: openpyxl writes them ten times slower
LIKE_ESCAPE = "/"
_SEPARATORS = str.maketrans("", "", " -")  # what an IMEI printed on a box holds besides

# The brand and model as one lower-case text, as the index of README spells it: the
# constants inline (a bound parameter would not match the index's expression).
WORDS = func.lower(
    func.coalesce(col(Device.brand), literal_column("''"))
    .op("||")(literal_column("' '"))
    .op("||")(func.coalesce(col(Device.model), literal_column("''")))
)


def _rank(column: Any, values: Sequence[str]) -> Any:
    """`column`'s value as its place in `values`, the constants inline: an index of
    this expression (README) serves the sort only if the query spells it the same."""
    ranks: list[tuple[Any, Any]] = [
        (column == literal_column(f"'{v}'"), literal_column(str(i))) for i, v in enumerate(values)
    ]
    return case(*ranks)


# Statuses in the order devices go through them, categories as the forms list them.
_STATUS_RANK = _rank(col(Device.status), [s.value for s in Status])
_CATEGORY_RANK = _rank(col(Device.category), [c.value for c in Category])
# What each sort orders by, before the row id: a brand's devices by model.
SORT_COLUMNS: dict[SortKey, tuple[Any, ...]] = {
    SortKey.CODE: (col(Device.code),),
    SortKey.CATEGORY: (_CATEGORY_RANK,),
    SortKey.BRAND: (col(Device.brand), col(Device.model)),
    SortKey.MODEL: (col(Device.model),),
    SortKey.STATUS: (_STATUS_RANK,),
    SortKey.GRADE: (col(Device.grade),),
    SortKey.STATUS_SINCE: (col(Device.status_since),),
    SortKey.LOCATION: (col(Device.location),),
}

# --- what the search text finds ----------------------------------------------------------


def exact_match(text: str) -> ColumnElement[bool] | None:
    """The devices `text` names exactly: by its code, serial number, asset tag or IMEI,
    each through its index. None when `text` is empty."""
    key = text.strip().upper()
    if not key:
        return None
    found = [identifier_is(Device.serial, key), identifier_is(Device.asset_tag, key)]
    if codes.is_valid(text):
        found.append(col(Device.code) == codes.parse(text))
    digits = "".join(ch for ch in key if ch.isdigit())
    if len(digits) == IMEI_LENGTH and len(digits) == len(key.translate(_SEPARATORS)):
        found.append(col(Device.imei) == digits)
    return or_(*found)


def _like_pattern(word: str) -> str:
    for special in (LIKE_ESCAPE, "%", "_"):
        word = word.replace(special, LIKE_ESCAPE + special)
    return f"%{word}%"


def words_match(text: str) -> ColumnElement[bool]:
    """Devices whose brand and model, read together, contain each word of `text` (any
    case): « lenovo t480 », « thinkpad 480 »."""
    words = text.lower().split()[:MAX_WORDS]
    return and_(*(WORDS.like(_like_pattern(w), escape=LIKE_ESCAPE) for w in words))


def code_problem(text: str) -> Message | None:
    """Why `text`, which looks like a device code (8 letters and digits), is not one."""
    squeezed = codes.normalise(text)
    if len(squeezed) != codes.LENGTH or not squeezed.isalnum():
        return None
    try:
        codes.parse(text)
    except codes.CodeError as exc:
        template = N_("“%(text)s” is not a valid device code: %(reason)s.")
        return Message(template, {"text": text.strip(), "reason": exc.message})
    return None


# --- the selects ---------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """A search ready to run: the filters with the donors and structures they name
    resolved to ids and, when its text names devices exactly, their ids (`exact_ids`)."""

    filters: Filters
    donor_ids: tuple[int, ...] | None = None
    structure_ids: tuple[int, ...] | None = None
    exact_ids: tuple[int, ...] | None = None

    @property
    def exact(self) -> bool:
        return self.exact_ids is not None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE of the search: its text, then each filter given."""
        f = self.filters
        where = [self._text()] if f.q else []
        if f.status is not None:
            where.append(col(Device.status) == f.status.value)
        if f.category is not None:
            where.append(col(Device.category) == f.category.value)
        if f.grade is not None:
            grade = col(Device.grade)
            where.append(grade.is_(None) if f.grade == NO_GRADE else grade == f.grade)
        if f.batch_id is not None:
            where.append(col(Device.batch_id) == f.batch_id)
        if f.location:
            where.append(col(Device.location) == f.location)
        return where + self._named()

    def _text(self) -> ColumnElement[bool]:
        if self.exact_ids is not None:
            return col(Device.id).in_(self.exact_ids)
        return words_match(self.filters.q)

    def _named(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.donor_ids is not None:
            batches = select(col(Batch.id)).where(col(Batch.donor_id).in_(self.donor_ids))
            where.append(col(Device.batch_id).in_(batches))
        if self.structure_ids is not None:
            where.append(col(Device.structure_id).in_(self.structure_ids))
        return where


def ordering(order: Order) -> list[Any]:
    """ORDER BY: the columns (empty values last going up, first going down, as an index
    of them reads both ways on PostgreSQL), then the row id; by default the newest first."""
    if order.key is None:
        return [col(Device.id).desc()]
    columns = SORT_COLUMNS[order.key]
    if order.descending:
        return [*(c.desc().nulls_first() for c in columns), col(Device.id).desc()]
    return [*(c.asc().nulls_last() for c in columns), col(Device.id).asc()]


# The listing's columns, by name.
LIST_COLUMNS = (
    "code",
    "category",
    "brand",
    "model",
    "status",
    "grade",
    "status_since",
    "location",
)
_LISTED = [DEVICE_TABLE.c[name] for name in LIST_COLUMNS]


def ids_select(search: Search, cap: int = COUNT_CAP) -> Select[Any]:
    """The ids of the devices found, `cap` + 1 at most (more: "over `cap`"), in no
    order: the scan stops as soon as it has them."""
    return select(col(Device.id)).where(*search.conditions()).limit(cap + 1)


def rows_select(ids: Sequence[int], order: Order, window: Window) -> Select[Any]:
    """The page's rows among the devices `ids` (all those found), in order. The rows are
    read by primary key first, in a CTE the planner must not fold into the query: else
    it would walk the order's index across the table, keeping the rows of `ids`."""
    found = (
        select(DEVICE_TABLE.c.id, *_LISTED)
        .where(col(Device.id).in_(ids))
        .cte("found")
        .prefix_with("MATERIALIZED")
    )
    in_found = ClauseAdapter(found)
    order_by = [in_found.traverse(term) for term in ordering(order)]
    query = select(*(found.c[name] for name in LIST_COLUMNS)).order_by(*order_by)
    return query.limit(window.size).offset(window.offset)


def page_select(search: Search, order: Order, window: Window) -> Select[Any]:
    """The page's rows, read by the search itself (when it finds many devices)."""
    query = select(*_LISTED).where(*search.conditions())
    return query.order_by(*ordering(order)).limit(window.size).offset(window.offset)


def count_select(search: Search, cap: int) -> Select[Any]:
    """How many devices the search finds, counted up to `cap` + 1."""
    return select(func.count()).select_from(ids_select(search, cap).subquery())


def exact_probe(text: str) -> Select[Any] | None:
    """The ids of the devices that have `text` as their code or identifier, whatever the
    filters (so that the page can say the filters hide them); None for no text."""
    match = exact_match(text)
    return None if match is None else select(col(Device.id)).where(match).limit(EXACT_MAX)


def export_select(search: Search, order: Order, cap: int = EXPORT_CAP) -> Select[Any]:
    """Every device found (up to `cap` + 1, to tell an export too large), with its
    identifiers, price, batch, donor and structure names, in the page's order."""
    columns: tuple[Any, ...] = (
        col(Device.code),
        col(Device.category),
        col(Device.brand),
        col(Device.model),
        col(Device.serial),
        col(Device.imei),
        col(Device.asset_tag),
        col(Device.status),
        col(Device.status_since),
        col(Device.grade),
        col(Device.price_cents),
        col(Device.location),
        col(Device.batch_id),
        col(Donor.name).label("donor"),
        col(Structure.name).label("structure"),
    )
    query = (
        select(*columns)
        .outerjoin(Batch, col(Batch.id) == col(Device.batch_id))
        .outerjoin(Donor, col(Donor.id) == col(Batch.donor_id))
        .outerjoin(Structure, col(Structure.id) == col(Device.structure_id))
        .where(*search.conditions())
    )
    return query.order_by(*ordering(order)).limit(cap + 1)
