"""Finding devices by what people hold in their hands: code, serial or IMEI."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, Table, bindparam, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from db import codes
from db.errors import N_, Invalid, NotFound
from db.models import Device


class InvalidCode(Invalid):
    code = "invalid_device_code"
    message = N_("“%(text)s” is not a valid device code: %(reason)s.")


class DeviceNotFound(NotFound):
    code = "device_not_found"
    message = N_("No device has the code %(code)s.")


def _code(text: str) -> str:
    try:
        return codes.parse(text)
    except codes.CodeError as exc:
        raise InvalidCode(text=text.strip()[:40], reason=exc.message) from exc


def by_code(session: Session, text: str) -> Device:
    """The device whose code `text` spells; InvalidCode if mistyped, DeviceNotFound if unknown."""
    code = _code(text)
    device = session.exec(select(Device).where(Device.code == code)).first()
    if device is None:
        raise DeviceNotFound(code=codes.display(code))
    return device


# The device table's row, read without the ORM: for the look-ups that only show a device
# (a scan, the API's GET), where building an ORM object costs more than the query.
DEVICE_TABLE: Table = Device.__table__  # type: ignore[attr-defined]


def by_code_with(*extra: ColumnElement[Any]) -> Select[Any]:
    """The device table's columns and `extra` (say, scalar subqueries about the device:
    one query instead of several), for the device whose code is bound as `code`."""
    return select_columns(DEVICE_TABLE, *extra).where(DEVICE_TABLE.c.code == bindparam("code"))


_ROW_BY_CODE = by_code_with()


def row_by_code(
    connection: Connection, text: str, statement: Select[Any] = _ROW_BY_CODE
) -> Row[Any]:
    """`by_code`, as a row of the device table (its columns as attributes), or of
    `statement`, made by `by_code_with`."""
    code = _code(text)
    row = connection.execute(statement, {"code": code}).first()
    if row is None:
        raise DeviceNotFound(code=codes.display(code))
    return row


def identifier_is(column: Any, key: str | Any | Collection[str]) -> ColumnElement[bool]:
    """`upper(column)` is `key` (a value or a bound parameter) or one of a list of keys,
    as the partial index of a serial or an asset tag needs it said: only devices that
    have one are in it (`db.models`)."""
    upper = func.upper(column)
    many = isinstance(key, list | tuple | set | frozenset)
    matches = upper.in_(key) if many else upper == key
    return col(column).is_not(None) & matches


def by_serial(session: Session, serial: str) -> Sequence[Device]:
    """Devices with this serial number, ignoring case and surrounding spaces."""
    key = serial.strip().upper()
    return session.exec(select(Device).where(identifier_is(Device.serial, key))).all()


def by_imei(session: Session, imei: str) -> Sequence[Device]:
    key = "".join(ch for ch in imei if ch.isdigit())
    return session.exec(select(Device).where(Device.imei == key)).all()
