"""What a USB barcode scanner typed, resolved to one device.

A scanner types like a keyboard: the code, a serial or an IMEI, often with a
trailing Enter, sometimes with stray spaces, and, when it is set up for a QWERTY
keyboard on a French AZERTY computer, with digits turned into `&é"'(`… and A/Q, Z/W
swapped. A scan resolves to one device, or says that nothing matched or which
devices it could be.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from db import codes, devices
from db.enums import Status
from db.errors import N_, Conflict, Invalid, NotFound
from db.models import Device

MAX_LISTED = 20
# What an AZERTY computer shows for the keys a QWERTY-configured scanner meant.
_AZERTY_TO_QWERTY = str.maketrans("&é\"'(-è_çà)qQaAzZwW,?", "1234567890-aAqQwWzZmM")


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


class AmbiguousScan(Conflict):
    code = "scan_ambiguous"
    message = N_("“%(text)s” matches %(count)s devices (%(codes)s): scan the Remise label instead.")


def clean(text: str) -> str:
    """`text` without control characters (Enter, Tab) or surrounding spaces."""
    return "".join(ch for ch in text if ch.isprintable()).strip()


def _by_code(session: Session, text: str) -> list[Device]:
    if not codes.is_valid(text):
        return []
    code = codes.parse(text)
    return list(session.exec(select(Device).where(col(Device.code) == code)).all())


def _by_identifiers(session: Session, text: str) -> list[Device]:
    found = {d.id: d for d in devices.by_serial(session, text)}
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 15 and len(digits) >= len(text.replace(" ", "").replace("-", "")):
        found |= {d.id: d for d in devices.by_imei(session, digits)}
    tag = text.upper()
    tagged = session.exec(select(Device).where(func.upper(Device.asset_tag) == tag)).all()
    found |= {d.id: d for d in tagged}
    return [found[key] for key in sorted(found, key=lambda k: k or 0)]


def _candidates(session: Session, text: str) -> list[Device]:
    return _by_code(session, text) or _by_identifiers(session, text)


def _visible(found: Sequence[Device], structure_id: int | None) -> list[Device]:
    if structure_id is None:
        return list(found)
    return [
        d for d in found if d.status == Status.AVAILABLE.value or d.structure_id == structure_id
    ]


def candidates(session: Session, text: str, *, structure_id: int | None = None) -> list[Device]:
    """Every device `text` could name, trying a keyboard-layout mix-up if nothing matches."""
    text = clean(text)
    if not text:
        raise NothingScanned()
    found = _visible(_candidates(session, text), structure_id)
    fixed = text.translate(_AZERTY_TO_QWERTY)
    if not found and fixed != text:
        found = _visible(_candidates(session, fixed), structure_id)
    return found


def resolve(session: Session, text: str, *, structure_id: int | None = None) -> Device:
    """The one device `text` names (a structure sees only its own and available devices).

    Raises NothingScanned, NoMatch or MistypedCode (not found), AmbiguousScan (several).
    """
    found = candidates(session, text, structure_id=structure_id)
    shown = clean(text)[:60]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        listed = [codes.display(d.code) for d in found[:MAX_LISTED]]
        error = AmbiguousScan(text=shown, count=len(found), codes=", ".join(listed))
        error.extra = {"matches": [_summary(d) for d in found[:MAX_LISTED]]}
        raise error
    normalised = codes.normalise(shown)
    if len(normalised) == codes.LENGTH and all(ch in codes.ALPHABET for ch in normalised):
        try:
            codes.parse(shown)
        except codes.CodeError as exc:
            raise MistypedCode(text=shown, reason=exc.message) from exc
    raise NoMatch(text=shown)


def _summary(device: Device) -> dict[str, str | None]:
    return {
        "code": device.code,
        "code_display": codes.display(device.code),
        "category": device.category,
        "brand": device.brand,
        "model": device.model,
        "status": device.status,
    }
