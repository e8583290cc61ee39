"""Which devices an actor may find, and by what: one rule for listings, searches and scans.

Staff see every device and search every identifier, substrings included. A partner
structure sees the devices on offer (`available`) and those its structure holds. It
finds them by their Remise code (exact, in any case or display form) and by the
catalogue's brand and model; by serial number, IMEI or asset tag only the devices it
holds, and only by the exact value. Those identifiers are not public (an asset tag
names the donor): matching them on other devices, or by substring, would let a
structure read them one character at a time from the totals. Whatever it may not
see answers exactly as a value that exists nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Row, bindparam, false, func, or_, true
from sqlalchemy.sql.visitors import cloned_traverse
from sqlmodel import col

from db import codes
from db.devices import identifier_is
from db.enums import Status
from db.models import Device
from remise.auth import Actor

IMEI_LENGTH = 15
_SEPARATORS = str.maketrans("", "", " -")


@dataclass(frozen=True)
class Lookup:
    """A condition with bound parameters, built once per shape, and one look-up's values."""

    condition: ColumnElement[bool]
    params: dict[str, Any]

    def bound(self) -> ColumnElement[bool]:
        """The condition with these values, to combine with others (a search)."""
        return _bind(self.condition, self.params)


def _bind(condition: ColumnElement[bool], params: dict[str, Any]) -> ColumnElement[bool]:
    def value(bind: BindParameter[Any]) -> None:
        if bind.key in params:
            bind.value, bind.required = params[bind.key], False

    return cloned_traverse(condition, {}, {"bindparam": value})


_HOLDER = bindparam("holder")
_SHAPES: dict[tuple[str, bool, bool], ColumnElement[bool]] = {}


@dataclass(frozen=True)
class DeviceScope:
    """What one actor may find: everything (staff) or a structure's share of it."""

    restricted: bool = False
    structure_id: int | BindParameter[Any] | None = None  # a parameter in `_SHAPES`

    @classmethod
    def of(cls, actor: Actor) -> DeviceScope:
        if actor.is_structure:
            return cls(restricted=True, structure_id=actor.structure_id)
        return cls()

    def held(self) -> ColumnElement[bool]:
        """Devices whose hidden identifiers this actor may look up."""
        if not self.restricted:
            return true()
        if self.structure_id is None:  # never `structure_id IS NULL`: that is the whole stock
            return false()
        return col(Device.structure_id) == self.structure_id

    def visible(self) -> ColumnElement[bool]:
        """Devices this actor may see at all."""
        if not self.restricted:
            return true()
        return or_(col(Device.status) == Status.AVAILABLE.value, self.held())

    def holds(self, device: Device | Row[Any]) -> bool:
        if not self.restricted:
            return True
        return self.structure_id is not None and device.structure_id == self.structure_id

    def may_see(self, device: Device | Row[Any]) -> bool:
        return self.holds(device) or device.status == Status.AVAILABLE.value

    def by_code(self, text: str) -> ColumnElement[bool] | None:
        """The visible device whose code `text` spells; None if `text` is no valid code."""
        lookup = self.code_lookup(text)
        return lookup.bound() if lookup is not None else None

    def by_identifier(self, text: str) -> ColumnElement[bool]:
        """Devices held whose serial, IMEI or asset tag is exactly `text` (any case)."""
        return self.identifier_lookup(text).bound()

    # The same conditions as look-ups: built once per shape, with bound parameters, and
    # given this look-up's values, so that a scan does not build its query every time
    # (building it cost more than running it).

    def code_lookup(self, text: str) -> Lookup | None:
        if not codes.is_valid(text):
            return None
        return self._lookup("code", {"code": codes.parse(text)})

    def identifier_lookup(self, text: str) -> Lookup:
        key = text.strip().upper()
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) == IMEI_LENGTH and len(digits) >= len(key.translate(_SEPARATORS)):
            return self._lookup("identifier_or_imei", {"identifier": key, "imei": digits})
        return self._lookup("identifier", {"identifier": key})

    def _lookup(self, kind: str, values: dict[str, Any]) -> Lookup:
        holder = self.restricted and self.structure_id is not None
        shape = (kind, self.restricted, holder)
        condition = _SHAPES.get(shape)
        if condition is None:
            template = DeviceScope(self.restricted, _HOLDER if holder else None)
            condition = _SHAPES[shape] = template._condition(kind)
        params = values | ({"holder": self.structure_id} if holder else {})
        return Lookup(condition, params)

    def _condition(self, kind: str) -> ColumnElement[bool]:
        if kind == "code":
            return (col(Device.code) == bindparam("code")) & self.visible()
        key = bindparam("identifier")
        exact = [identifier_is(Device.serial, key), identifier_is(Device.asset_tag, key)]
        if kind == "identifier_or_imei":
            exact.append(col(Device.imei) == bindparam("imei"))
        return or_(*exact) & self.held()

    def search(self, q: str) -> ColumnElement[bool]:
        """Free text: a code, a brand or model (substring), or an identifier as allowed."""
        text = q.strip().lower()
        public = [col(Device.brand), col(Device.model)]
        hidden = [col(Device.serial), col(Device.imei), col(Device.asset_tag)]
        substring = public if self.restricted else public + hidden
        matches = [func.lower(column).contains(text, autoescape=True) for column in substring]
        if self.restricted:
            matches.append(self.by_identifier(q))
        code = self.by_code(q)
        if code is not None:
            matches.append(code)
        return or_(*matches) & self.visible()


STAFF = DeviceScope()
