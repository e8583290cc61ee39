"""Finding devices by what people hold in their hands: code, serial or IMEI."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, select

from db import codes
from db.errors import N_, Invalid, NotFound
from db.models import Device


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
