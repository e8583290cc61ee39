"""Finding devices by what people hold in their hands: code, serial or IMEI."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from db import codes
from db.errors import N_, Invalid, NotFound
from db.models import Device

_CHUNK = 900  # stays under SQLite's bound-parameter limit


class InvalidCode(Invalid):
    code = "invalid_device_code"
    message = N_("“%(text)s” is not a valid device code: %(reason)s.")


class DeviceNotFound(NotFound):
    code = "device_not_found"
    message = N_("No device has the code %(code)s.")


def by_code(session: Session, text: str) -> Device:
    """The device whose code `text` spells; InvalidCode if mistyped, DeviceNotFound if unknown."""
    try:
        code = codes.parse(text)
    except codes.CodeError as exc:
        raise InvalidCode(text=text.strip()[:40], reason=exc.message) from exc
    device = session.exec(select(Device).where(Device.code == code)).first()
    if device is None:
        raise DeviceNotFound(code=codes.display(code))
    return device


def by_serial(session: Session, serial: str) -> Sequence[Device]:
    """Devices with this serial number, ignoring case and surrounding spaces."""
    key = serial.strip().upper()
    return session.exec(select(Device).where(func.upper(Device.serial) == key)).all()


def by_imei(session: Session, imei: str) -> Sequence[Device]:
    key = "".join(ch for ch in imei if ch.isdigit())
    return session.exec(select(Device).where(Device.imei == key)).all()


def allocate_codes(session: Session, count: int) -> list[str]:
    """`count` fresh codes that no device holds yet (random, so re-drawn on collision)."""
    chosen: set[str] = set()
    while len(chosen) < count:
        wanted = {codes.new_code() for _ in range(count - len(chosen))} - chosen
        candidates = sorted(wanted)
        taken: set[str] = set()
        for start in range(0, len(candidates), _CHUNK):
            chunk = candidates[start : start + _CHUNK]
            taken.update(session.exec(select(Device.code).where(col(Device.code).in_(chunk))))
        chosen |= wanted - taken
    return list(chosen)


def ids_of(session: Session, device_codes: Sequence[str]) -> dict[str, int]:
    """The ids of the devices with these codes, by code."""
    found: dict[str, int] = {}
    for start in range(0, len(device_codes), _CHUNK):
        chunk = list(device_codes[start : start + _CHUNK])
        rows = session.exec(select(Device.code, Device.id).where(col(Device.code).in_(chunk)))
        found.update({code: device_id for code, device_id in rows if device_id is not None})
    return found
