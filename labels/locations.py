"""Known locations: the shelves and rooms a coordinator creates, each with a `LOC-…` label.

Creating one writes `location.created` on the ledger. A location's label is what
opens a stock-take in continuous scanning (`labels.stocktake`); the devices found
there hold its name in `device.location`, the field people already read as text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from db import codes, ledger
from db.clock import now_iso
from db.enums import CATEGORY_LABELS, STATUS_LABELS, Category, Status
from db.errors import N_, Conflict, NotFound
from db.events import EventType
from db.models import Device, Location, LocationKind
from labels import scan
from labels.content import LabelContent, location_content
from remise.auth import Actor

MAX_NAME = 200
MAX_TRIES = 50  # a random code is taken once in thousands; never loop for ever
KIND_LABELS = {LocationKind.SHELF: N_("Shelf"), LocationKind.ROOM: N_("Room")}

LocationName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)
]


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: LocationName = Field(description="what people read: « Étagère A1 »")
    kind: LocationKind | None = Field(default=None, description="a shelf or a room")


class LocationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str = Field(description="`LOC-XXXXX`, what its label's barcode carries")
    name: str
    kind: LocationKind | None
    created_at: str
    created_by: str | None


class LocationNotFound(NotFound):
    code = "location_not_found"
    message = N_("No location has the code or the name “%(text)s”.")


class LocationExists(Conflict):
    code = "location_exists"
    message = N_("A location named “%(name)s” already exists: %(code)s.")


class NoFreeLocationCode(Conflict):
    code = "no_free_location_code"
    message = N_("No free location code was found: try again.")


def _tidy(name: str) -> str:
    return " ".join(name.split())


def _named(session: Session, name: str) -> Location | None:
    # Compared in Python: SQLite's lower() leaves « É » as it is.
    wanted = _tidy(name).casefold()
    rows = session.exec(select(Location)).all()
    return next((row for row in rows if row.name.casefold() == wanted), None)


def _free_code(session: Session) -> str:
    for _ in range(MAX_TRIES):
        code = codes.new_location_code()
        if session.exec(select(Location.id).where(Location.code == code)).first() is None:
            return code
    raise NoFreeLocationCode()


def create_location(session: Session, actor: Actor, *, data: LocationCreate) -> Location:
    """Record a shelf or a room under a fresh code; `location.created` on the ledger.

    Raises LocationExists when the name is taken (whatever its case or spacing).
    """
    ledger.lock(session)  # two coordinators creating the same name: one wins
    name = _tidy(data.name)
    if same := _named(session, name):
        raise LocationExists(name=same.name, code=same.code)
    location = Location(
        code=_free_code(session),
        name=name,
        kind=data.kind.value if data.kind else None,
        created_at=now_iso(),
        created_by=actor.ledger_name,
    )
    session.add(location)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.LOCATION_CREATED,
        payload={
            "location_id": location.id,
            "code": location.code,
            "name": name,
            "kind": location.kind,
        },
    )
    return location


def _sort_key(location: Location) -> str:
    # « Étagère » among the E, not after the Z as the databases' byte order puts it
    return unicodedata.normalize("NFKD", location.name).casefold()


def all_locations(session: Session) -> list[Location]:
    """Every location, by name as people sort them."""
    return sorted(session.exec(select(Location)).all(), key=_sort_key)


def by_code(session: Session, text: str) -> Location:
    """The location a scanned or typed `LOC-…` names; MistypedLocation, LocationNotFound."""
    code = scan.location_code(text)
    found = None
    if code is not None:
        found = session.exec(select(Location).where(Location.code == code)).first()
    if found is None:
        raise LocationNotFound(text=scan.clean(text)[:60])
    return found


def find(session: Session, text: str) -> Location:
    """The location `text` names by its code or, failing that, its name (any case)."""
    if scan.location_code(text) is not None:
        return by_code(session, text)
    found = _named(session, text)
    if found is None:
        raise LocationNotFound(text=scan.clean(text)[:60])
    return found


def device_counts(session: Session) -> dict[str, int]:
    """How many devices each location name holds."""
    query = (
        select(Device.location, func.count())
        .where(col(Device.location).is_not(None))
        .group_by(col(Device.location))
    )
    return {name: count for name, count in session.exec(query).all() if name}


LISTED_HERE = 50  # a location page lists this many devices; the inventory search, all


def devices_at(
    session: Session, name: str, *, limit: int = LISTED_HERE
) -> tuple[list[dict[str, Any]], int]:
    """The devices kept at the location `name` (the first `limit`, by code), each with
    its category and status as msgids, and how many there are: one read of the devices
    there (a CTE the planner keeps, so that it does not walk the whole code index
    looking for a shelf's few devices), counted as they are sorted."""
    columns = (Device.code, Device.category, Device.brand, Device.model, Device.status)
    here = (
        select(*(col(c) for c in columns))
        .where(col(Device.location) == name)
        .cte("here")
        .prefix_with("MATERIALIZED")
    )
    counted = select_columns(*here.c, func.count().over().label("total"))
    query = counted.order_by(here.c.code).limit(limit)
    rows = session.execute(query).all()
    listed = [
        {
            "code": codes.display(row.code),
            "category": CATEGORY_LABELS.get(Category(row.category), N_("Other")),
            "device": " ".join(part for part in (row.brand, row.model) if part),
            "status": STATUS_LABELS[Status(row.status)],
        }
        for row in rows
    ]
    return listed, rows[0].total if rows else 0


def label_contents(
    rows: Sequence[Location], *, translate: Callable[[str], str]
) -> list[LabelContent]:
    """What the labels of `rows` say, in the language `translate` speaks."""
    return [
        location_content(
            code=row.code,
            name=row.name,
            kind_label=KIND_LABELS.get(LocationKind(row.kind)) if row.kind else None,
            translate=translate,
        )
        for row in rows
    ]
