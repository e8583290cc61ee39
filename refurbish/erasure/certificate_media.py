"""What each row of the media table says: a device's title line, then one line per medium
with its make, model and serial, how it was sanitized and verified, and who checked it."""

from __future__ import annotations

from typing import Any

from db.errors import N_
from refurbish.erasure.certificate_style import MEDIA_COLUMNS, printable
from refurbish.erasure.certificate_table import DeviceBlock, MediumLine
from refurbish.erasure.certificate_words import (
    DASH,
    DESTINATIONS,
    LEVELS,
    MEDIUM_TYPES,
    METHODS,
    PATTERNS,
    STATUSES,
    VERIFICATION_METHODS,
    Words,
)

SEPARATOR = " · "
SERIAL_NUMBER = N_("Serial number")
ASSET_TAG = N_("Asset tag")  # NIST's "property number": the donor's own inventory number
VERIFICATION_RESULTS = {True: N_("passed"), False: N_("failed"), None: N_("no result")}


def media_header(words: Words) -> list[str]:
    return [words(label) for label, _ in MEDIA_COLUMNS]


def device_block(number: int, device: dict[str, Any], words: Words) -> DeviceBlock:
    """A device's title line (code, category, make, model, serial, asset tag, destination)
    and one line per medium."""
    parts = [str(number), device["code"], words.category(device.get("category"))]
    make = _joined(" ", device.get("brand"), device.get("model"))
    parts += [make] if make else []
    if device.get("serial"):
        parts.append(_joined(" ", words(SERIAL_NUMBER), device["serial"]))
    if device.get("asset_tag"):
        parts.append(_joined(" ", words(ASSET_TAG), device["asset_tag"]))
    parts.append(
        words(N_("Destination: %(where)s"), where=_destination(device.get("destination"), words))
    )
    media = [_medium(medium, words) for medium in device.get("media") or []]
    if not media:
        empty = (words(N_("No storage medium recorded")), *[""] * (len(MEDIA_COLUMNS) - 1))
        media = [MediumLine(empty, None)]
    return DeviceBlock(printable(SEPARATOR.join(parts)), media)


def _destination(value: str | dict[str, Any] | None, words: Words) -> str:
    """reuse, parts, recycling; or {"kind": "reuse", "structure": name} naming the partner."""
    if isinstance(value, dict):
        if value.get("kind") == "reuse" and value.get("structure"):
            return words(N_("reuse through %(structure)s"), structure=value["structure"])
        value = value.get("kind")
    if not value:
        return words(N_("not decided yet"))
    return words.term(DESTINATIONS, value)


def _medium(medium: dict[str, Any], words: Words) -> MediumLine:
    cells = (
        _identity(medium, words),
        _sanitization(medium, words),
        _joined(" ", medium.get("tool"), medium.get("tool_version")) or DASH,
        _verification(medium, words),
        _joined(
            "\n",
            words.day(medium.get("finished_at") or medium.get("started_at")),
            medium.get("operator"),  # NIST asks who sanitized; the public page leaves it out
        ),
        _validation(medium.get("validation"), words),
        words.term(STATUSES, medium.get("status")),
    )
    return MediumLine(tuple(printable(cell) for cell in cells), medium.get("status"))


def _identity(medium: dict[str, Any], words: Words) -> str:
    """Type and size, make and model, serial number: one line each."""
    size = words.size(medium.get("size_bytes"))
    serial = medium.get("serial")
    return _joined(
        "\n",
        _joined(" ", words.term(MEDIUM_TYPES, medium.get("type")), size),
        _joined(" ", medium.get("manufacturer"), medium.get("model")),
        _joined(" ", words(SERIAL_NUMBER), serial) if serial else words(N_("no serial number")),
    )


def _joined(separator: str, *parts: str | None) -> str:
    """The parts that are there, joined."""
    return separator.join(part for part in parts if part)


def _sanitization(medium: dict[str, Any], words: Words) -> str:
    """Level and method, then pattern and passes, then hidden areas found (HPA/DCO)."""
    if not medium.get("level") and not medium.get("method"):
        return DASH
    level = words.term(LEVELS, medium.get("level"))
    lines = [f"{level}{SEPARATOR}{words.term(METHODS, medium.get('method'))}"]
    how = [words.term(PATTERNS, medium["pattern"])] if medium.get("pattern") else []
    how += [words.passes(medium["passes"])] if medium.get("passes") else []
    if how:
        lines.append(", ".join(how))
    if medium.get("hidden_areas"):
        lines.append(words(N_("Hidden areas: %(found)s"), found=medium["hidden_areas"]))
    return "\n".join(lines)


def _verification(medium: dict[str, Any], words: Words) -> str:
    method = medium.get("verification_method")
    if not method:
        return DASH
    if method == "none":
        return words.term(VERIFICATION_METHODS, method)
    outcome = VERIFICATION_RESULTS[medium.get("verification_passed")]
    return f"{words.term(VERIFICATION_METHODS, method)}, {words(outcome)}"


def _validation(validation: dict[str, Any] | None, words: Words) -> str:
    if not validation:
        return DASH
    outcome = words(N_("confirmed") if validation.get("passed") else N_("not confirmed"))
    return _joined("\n", validation.get("by"), words.day(validation.get("at")), outcome)
