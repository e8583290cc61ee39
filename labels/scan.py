"""What a USB barcode scanner typed, resolved to one device.

A scanner types like a keyboard: the code, a serial or an IMEI, often with a
trailing Enter, sometimes with stray spaces, and, when it is set up for a QWERTY
keyboard on a French AZERTY computer, with digits turned into `&é"'(`… and A/Q, Z/W
swapped. A scan resolves to one device, or says that nothing matched or which
devices it could be; batch labels (`LOT-12`) and location labels (`LOC-XXXXX`) are
read here too, with the same tolerance.
"""

from __future__ import annotations

import re
from typing import Any, overload

from sqlalchemy import Connection, Row
from sqlmodel import Session, select

from db import codes
from db.devices import DEVICE_TABLE
from db.errors import N_, Conflict, Invalid, NotFound
from db.models import Device
from remise.api.scope import STAFF, DeviceScope, Lookup

MAX_LISTED = 20
# A batch's label: `LOT-12` (or `BATCH 12`), the one place that reads it.
BATCH_LABEL = re.compile(r"(?:LOT|BATCH)[\s\-_:]*(\d{1,9})", re.IGNORECASE)
# What an AZERTY computer shows for the keys a QWERTY-configured scanner meant.
_AZERTY_TO_QWERTY = str.maketrans("&é\"'(-è_çà)qQaAzZwW,?", "1234567890-aAqQwWzZmM")
_AZERTY_ONLY = set("&é\"'(è_çà)")  # what the top row types on AZERTY, but for "-"


class NothingScanned(Invalid):
    code = "nothing_scanned"
    message = N_("Nothing was scanned: scan the label or type a code, serial number or IMEI.")


class NoMatch(NotFound):
    code = "scan_no_match"
    message = N_(
        "Nothing matches “%(text)s”: no device has this code, serial number, IMEI or asset tag."
    )


class MistypedCode(NotFound):
    code = "scan_mistyped_code"
    message = N_("“%(text)s” looks like a device code, but %(reason)s.")


class MistypedLocation(NotFound):
    code = "scan_mistyped_location"
    message = N_("“%(text)s” looks like a location label, but %(reason)s.")


class AmbiguousScan(Conflict):
    code = "scan_ambiguous"
    message = N_("“%(text)s” matches %(count)s devices (%(codes)s): scan the Remise label instead.")


def clean(text: str) -> str:
    """`text` without control characters (Enter, Tab) or surrounding spaces."""
    return "".join(ch for ch in text if ch.isprintable()).strip()


def readings(text: str) -> list[str]:
    """`text` cleaned, then as a QWERTY-set scanner meant it if an AZERTY computer changed it.

    A label's dash comes out as `)` on AZERTY and its digits as `&é"'(`…, never as
    digits: only such a text is read again, so « LOT- » typed by hand is not batch 6.
    """
    cleaned = clean(text)
    if any("0" <= ch <= "9" for ch in cleaned) or not set(cleaned) & _AZERTY_ONLY:
        return [cleaned]
    return [cleaned, cleaned.translate(_AZERTY_TO_QWERTY)]


def batch_number(text: str) -> int | None:
    """The batch a batch label names (`LOT-12`, `lot 12`, `LOT)&é` typed on AZERTY), or None."""
    for reading in readings(text):
        if match := BATCH_LABEL.fullmatch(reading):
            return int(match.group(1))
    return None


def location_code(text: str) -> str | None:
    """The canonical `LOC-XXXXX` a location label's scan reads as (any case, dash or not,
    typed on AZERTY by a QWERTY-set scanner), or None when it does not look like one.

    Raises MistypedLocation, saying why, when it looks like one but cannot be.
    """
    error: codes.CodeError | None = None
    for reading in readings(text):
        if not codes.looks_like_location(reading):
            continue
        try:
            return codes.parse_location(reading)
        except codes.CodeError as exc:
            error = error or exc
    if error is None:
        return None
    raise MistypedLocation(text=clean(text)[:60], reason=error.message)


def _where(db: Session | Connection, lookup: Lookup | None) -> list[Any]:
    """The devices `lookup` finds: rows of the device table from a connection (without
    the ORM), ORM objects from a session; each statement built once per shape."""
    if lookup is None:
        return []
    rows = isinstance(db, Connection)
    statement = _STATEMENTS.get((id(lookup.condition), rows))
    if statement is None:
        table = DEVICE_TABLE if rows else Device
        ordered = select(table).where(lookup.condition).order_by(DEVICE_TABLE.c.id)
        statement = _STATEMENTS[(id(lookup.condition), rows)] = ordered
    if isinstance(db, Connection):
        return list(db.execute(statement, lookup.params).all())
    return list(db.exec(statement, params=lookup.params).all())


# Statements by the condition they select with (kept alive in `remise.api.scope`).
_STATEMENTS: dict[tuple[int, bool], Any] = {}


def _candidates(db: Session | Connection, text: str, scope: DeviceScope) -> list[Any]:
    found = _where(db, scope.code_lookup(text))
    return found or _where(db, scope.identifier_lookup(text))


@overload
def candidates(session: Session, text: str, *, scope: DeviceScope = ...) -> list[Device]: ...
@overload
def candidates(session: Connection, text: str, *, scope: DeviceScope = ...) -> list[Row[Any]]: ...
def candidates(
    session: Session | Connection, text: str, *, scope: DeviceScope = STAFF
) -> list[Any]:
    """Every device `text` could name within `scope`, trying a keyboard-layout mix-up too:
    ORM objects from a session, rows of the device table from a connection."""
    text = clean(text)
    if not text:
        raise NothingScanned()
    found = _candidates(session, text, scope)
    fixed = text.translate(_AZERTY_TO_QWERTY)
    if not found and fixed != text:
        found = _candidates(session, fixed, scope)
    return found


@overload
def resolve(session: Session, text: str, *, scope: DeviceScope = ...) -> Device: ...
@overload
def resolve(session: Connection, text: str, *, scope: DeviceScope = ...) -> Row[Any]: ...
def resolve(session: Session | Connection, text: str, *, scope: DeviceScope = STAFF) -> Any:
    """The one device `text` names within `scope` (see `remise.api.scope`).

    Raises NothingScanned, NoMatch or MistypedCode (not found), AmbiguousScan (several).
    What `scope` hides is never matched, so it fails exactly as a value that exists
    nowhere: the hints depend on the text alone.
    """
    found = candidates(session, text, scope=scope)
    shown = clean(text)[:60]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        listed = [codes.display(d.code) for d in found[:MAX_LISTED]]
        error = AmbiguousScan(text=shown, count=len(found), codes=", ".join(listed))
        error.extra = {"matches": [_summary(d) for d in found[:MAX_LISTED]]}
        raise error
    normalised = codes.normalise(shown)
    if codes.looks_like_location(shown):  # « LOC-7K3Q0 » is no mistyped device code
        raise NoMatch(text=shown)
    if len(normalised) == codes.LENGTH and all(ch in codes.ALPHABET for ch in normalised):
        try:
            codes.parse(shown)
        except codes.CodeError as exc:
            raise MistypedCode(text=shown, reason=exc.message) from exc
    raise NoMatch(text=shown)


def _summary(device: Device | Row[Any]) -> dict[str, str | None]:
    return {
        "code": device.code,
        "code_display": codes.display(device.code),
        "category": device.category,
        "brand": device.brand,
        "model": device.model,
        "status": device.status,
    }
