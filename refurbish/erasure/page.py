"""What the erasure pages show, in the page's words, and what their forms mean.

The bench's device page reads a device's media and their records in one statement, and
only when its row says it has media (`HAS_MEDIA`); where each medium stands is
`db.media.standings`, the rule the run's finish and the certificates use. A form's
fields become the API's own schemas (`MediumIn`, `ErasureIn`, `ReverifyIn`), each
problem worded for the field it is about, every problem at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, Table, bindparam, exists
from sqlalchemy import select as select_columns

from db import devices
from db.errors import N_
from db.media import (
    HOLDS_DATA,
    LEVELS_OF,
    NO_MEDIUM,
    REASONS,
    ErasureRecord,
    Level,
    MediumState,
    MediumType,
    Method,
    Standing,
    StorageMedium,
    Verification,
    record_state,
    standings,
)
from remise.i18n import number, translate

TYPE_WORDS = {
    MediumType.HDD: N_("Hard disk (HDD)"),
    MediumType.SSD: N_("SSD"),
    MediumType.NVME: N_("NVMe SSD"),
    MediumType.EMMC: N_("eMMC memory"),
    MediumType.INTERNAL: N_("Internal storage"),
    MediumType.SD: N_("Memory card (SD)"),
    MediumType.USB: N_("USB drive"),
    MediumType.OTHER: N_("Other medium"),
}
SOURCE_WORDS = {
    "probe": N_("probed"),
    "manual": N_("entered by hand"),
    "part": N_("fitted as a part"),
    "built_in": N_("built in"),
    "report": N_("entered with its erasure"),
}
LEVEL_WORDS = {Level.CLEAR: N_("Clear"), Level.PURGE: N_("Purge"), Level.DESTROY: N_("Destroy")}
METHOD_WORDS = {
    Method.OVERWRITE: N_("Overwrite"),
    Method.ATA_SECURE_ERASE: N_("ATA Secure Erase"),
    Method.NVME_SANITIZE: N_("NVMe Sanitize"),
    Method.NVME_FORMAT_CRYPTO: N_("NVMe Format with cryptographic erase"),
    Method.CRYPTO_ERASE: N_("Cryptographic erase"),
    Method.FACTORY_RESET: N_("Factory reset of an encrypted device"),
    Method.SHRED: N_("Shredding"),
    Method.PUNCH: N_("Punching"),
    Method.DISINTEGRATE: N_("Disintegration"),
}
# nwipe's patterns (refurbish.erasure.nwipe.METHODS); the proper names stay as they are.
PATTERN_WORDS = {
    "zero": N_("zeros"),
    "one": N_("ones (0xFF)"),
    "random": N_("random data (PRNG)"),
    "dodshort": "DoD Short",
    "dod522022m": "DoD 5220.22-M",
    "gutmann": "Gutmann",
    "ops2": "RCMP TSSIT OPS-II",
    "is5enh": "HMG IS5 Enhanced",
    "bruce7": "Bruce Schneier 7-Pass",
    "bmb": "BMB21-2019",
}
VERIFICATION_WORDS = {
    Verification.FULL: N_("full read-back"),
    Verification.SAMPLED: N_("sampled read-back"),
    Verification.NONE: N_("no verification"),
}
RECORDED_WORDS = {
    "import": N_("imported from the tool's report"),
    "bench": N_("recorded by remise bench erase"),
    "api": N_("sent through the API"),
    "page": N_("entered by hand"),
    "reverify": N_("re-verification by another person"),
}
# Where a medium stands, in words, with a sign and a tone: the colour is never alone.
STATE_WORDS = {
    MediumState.ERASED: N_("Erased"),
    MediumState.DESTROYED: N_("Destroyed"),
    MediumState.FAILED: N_("Failed — erase it again or destroy it"),
    MediumState.UNVERIFIED: N_("Not verified"),
    MediumState.MISSING: N_("Waiting for its erasure"),
    MediumState.NEEDS_REPLACEMENT: N_("Destroyed — replacement to fit"),
}
RECORD_WORDS = {
    MediumState.ERASED: N_("Erased"),
    MediumState.DESTROYED: N_("Destroyed"),
    MediumState.FAILED: N_("Failed"),
    MediumState.UNVERIFIED: N_("Not verified"),
}
SIGNS = {
    MediumState.ERASED: ("✔", "passed"),
    MediumState.DESTROYED: ("✔", "passed"),
    MediumState.FAILED: ("✖", "failed"),
    MediumState.UNVERIFIED: ("⚠", "warn"),
    MediumState.MISSING: ("○", "missing"),
    MediumState.NEEDS_REPLACEMENT: ("⚠", "warn"),
}
YES, NO = N_("yes"), N_("no")

# What the device page reads: each medium with its records, newest first, in one
# statement (a medium without any comes once, its record columns empty). The figures of
# an imported report stay in the API.
_MEDIA: Table = StorageMedium.__table__  # type: ignore[attr-defined]
_RECORDS: Table = ErasureRecord.__table__  # type: ignore[attr-defined]
_RECORD_COLUMNS = [c for c in _RECORDS.c if c.name != "report"]
HAS_MEDIA = exists().where(_MEDIA.c.device_id == devices.DEVICE_TABLE.c.id)
_MEDIA_AND_RECORDS = (
    select_columns(
        *(c.label("m_" + c.name) for c in _MEDIA.c),
        *(c.label("r_" + c.name) for c in _RECORD_COLUMNS),
    )
    .select_from(_MEDIA.outerjoin(_RECORDS, _RECORDS.c.medium_id == _MEDIA.c.id))
    .where(_MEDIA.c.device_id == bindparam("device_id"))
    .order_by(_MEDIA.c.id, _RECORDS.c.id.desc())
)


@dataclass
class RecordShown:
    id: int
    state: str  # what the record alone says: erased, destroyed, failed, unverified
    state_text: str
    sign: str
    tone: str
    when: str | None  # ISO; the template says it in the page's language
    who: str
    facts: list[tuple[str, str]]
    errors: list[str]


@dataclass
class MediumShown:
    id: int
    name: str
    state: str
    state_text: str
    sign: str
    tone: str
    facts: list[tuple[str, str]]
    reason: str | None  # what it still needs, if it keeps the device from `refurbished`
    newest: RecordShown | None = None
    earlier: list[RecordShown] = field(default_factory=list)


@dataclass
class ErasureSection:
    media: list[MediumShown]
    still_to_do: list[str]  # medium by medium (or: no medium known, for a device with data)
    options: list[tuple[int, str]]  # the media, for the forms' choices


def words(locale: str, table: dict[Any, str], value: Any) -> str:
    """`value` in the page's words if `table` knows it, else as it is."""
    found = table.get(value)
    return translate(locale, found) if found is not None else str(value)


def size_text(locale: str, size_bytes: int | None) -> str:
    """A size as people read it on a disk's label: 250 GB, 1.5 TB (decimal units)."""
    if not size_bytes:
        return "—"
    for unit, factor, digits in (
        (N_("%(size)s TB"), 10**12, 2),
        (N_("%(size)s GB"), 10**9, 1),
        (N_("%(size)s MB"), 10**6, 0),
    ):
        if size_bytes >= factor or factor == 10**6:
            value = round(Decimal(size_bytes) / factor, digits).normalize()
            shown = int(value) if value == value.to_integral_value() else float(value)
            return translate(locale, unit, size=number(locale, shown))
    raise AssertionError("unreachable")


def bytes_text(locale: str, size_bytes: int | None) -> str:
    if not size_bytes:
        return "—"
    exact = translate(locale, N_("%(count)s bytes"), count=number(locale, size_bytes))
    return f"{size_text(locale, size_bytes)} ({exact})"


def _records(rows: list[Row[Any]]) -> tuple[list[StorageMedium], list[ErasureRecord]]:
    media: dict[int, StorageMedium] = {}
    records: list[ErasureRecord] = []
    for row in rows:
        values = row._mapping
        if values["m_id"] not in media:
            media[values["m_id"]] = StorageMedium(
                **{c.name: values["m_" + c.name] for c in _MEDIA.c}
            )
        if values["r_id"] is not None:
            shown = {c.name: values["r_" + c.name] for c in _RECORD_COLUMNS}
            records.append(ErasureRecord(**shown))
    return list(media.values()), records


def read(connection: Connection, device_id: int) -> tuple[list[StorageMedium], list[ErasureRecord]]:
    """The device's media, in the order they were found, and all their records."""
    return _records(list(connection.execute(_MEDIA_AND_RECORDS, {"device_id": device_id})))


def medium_name(locale: str, medium: StorageMedium) -> str:
    """How the pages name a medium: its kind in words, make and model, then its serial
    (or its number, and the name the system gave it): `SSD Samsung 860 EVO (S/N S3Z1…)`."""
    kind = words(locale, TYPE_WORDS, medium.type)
    what = " ".join(p for p in (kind, medium.manufacturer, medium.model) if p)
    if medium.serial:
        return f"{what} (S/N {medium.serial})"
    which = translate(locale, N_("no. %(id)s"), id=medium.id)
    return f"{what} ({which}{', ' + medium.name if medium.name else ''})"


def _medium_facts(
    locale: str, medium: StorageMedium, names: dict[int, str]
) -> list[tuple[str, str]]:
    def said(label: str, value: str | None) -> tuple[str, str]:
        return translate(locale, label), value or "—"

    facts = [
        said(N_("Type"), words(locale, TYPE_WORDS, medium.type)),
        said(N_("Make"), medium.manufacturer),
        said(N_("Model"), medium.model),
        said(N_("Serial number"), medium.serial),
        said(N_("Size"), size_text(locale, medium.size_bytes)),
        said(N_("Found"), words(locale, SOURCE_WORDS, medium.source)),
    ]
    if medium.name:
        facts.append(said(N_("Name in the system"), medium.name))
    if medium.replaces_id:
        facts.append(said(N_("Replaces"), names.get(medium.replaces_id, f"#{medium.replaces_id}")))
    return facts


def record_shown(locale: str, record: ErasureRecord) -> RecordShown:
    state = record_state(record)
    sign, tone = SIGNS[state]
    facts: list[tuple[str, str]] = []

    def add(label: str, value: Any) -> None:
        if value not in (None, ""):
            facts.append((translate(locale, label), str(value)))

    add(N_("Level"), words(locale, LEVEL_WORDS, record.level))
    add(N_("Method"), words(locale, METHOD_WORDS, record.method))
    add(N_("Pattern"), words(locale, PATTERN_WORDS, record.pattern) if record.pattern else None)
    add(N_("Passes"), number(locale, record.passes) if record.passes else None)
    add(N_("Tool"), " ".join(p for p in (record.tool, record.tool_version) if p))
    add(N_("Verification"), words(locale, VERIFICATION_WORDS, record.verification_method))
    if record.verification_passed is not None:
        result = N_("passed") if record.verification_passed else N_("failed")
        add(N_("Result"), translate(locale, result))
    add(N_("Counts as evidence"), translate(locale, YES if record.passed else NO))
    add(N_("Hidden areas (HPA/DCO)"), record.hidden_areas)
    add(N_("Recorded"), words(locale, RECORDED_WORDS, record.source))
    add(N_("Report file"), record.report_name)
    if record.reverifies_id:
        add(N_("Checks again"), translate(locale, N_("record %(id)s"), id=record.reverifies_id))
    add(N_("Comment"), record.comment)
    return RecordShown(
        id=record.id or 0,
        state=state.value,
        state_text=words(locale, RECORD_WORDS, state),
        sign=sign,
        tone=tone,
        when=record.finished_at or record.started_at or record.recorded_at,
        who=record.operator,
        facts=facts,
        errors=list(record.errors),
    )


def medium_shown(
    locale: str, standing: Standing, names: dict[int, str], records: list[ErasureRecord]
) -> MediumShown:
    medium, state = standing.medium, standing.state
    sign, tone = SIGNS[state]
    mine = [record_shown(locale, r) for r in records if r.medium_id == medium.id]
    return MediumShown(
        id=medium.id or 0,
        name=names[medium.id or 0],
        state=state.value,
        state_text=words(locale, STATE_WORDS, state),
        sign=sign,
        tone=tone,
        facts=_medium_facts(locale, medium, names),
        reason=None
        if standing.done
        else translate(locale, REASONS[state], medium=names[medium.id or 0]),
        newest=mine[0] if mine else None,
        earlier=mine[1:],
    )


def section(connection: Connection, device: Row[Any], locale: str) -> ErasureSection:
    """The device's media, where each stands and what is still to do; read only if the
    device's row says it has media (`has_media`)."""
    if not device.has_media:
        holds = device.category in HOLDS_DATA
        return ErasureSection([], [translate(locale, NO_MEDIUM)] if holds else [], [])
    media, records = read(connection, device.id)
    records.sort(key=lambda r: -(r.id or 0))
    names = {m.id or 0: medium_name(locale, m) for m in media}
    shown = [medium_shown(locale, s, names, records) for s in standings(media, records)]
    return ErasureSection(
        media=shown,
        still_to_do=[m.reason for m in shown if m.reason],
        options=[(m.id, m.name) for m in shown],
    )


def levels_text(locale: str, method: Method) -> str:
    levels = [lv for lv in Level if lv in LEVELS_OF[method]]
    return " / ".join(words(locale, LEVEL_WORDS, lv) for lv in levels)


@functools.cache
def choices(locale: str) -> dict[str, list[tuple[str, str]]]:
    """The forms' options, in the page's words (the same on every page: made once)."""
    return {
        "types": [(t.value, words(locale, TYPE_WORDS, t)) for t in MediumType],
        "methods": [
            (m.value, f"{words(locale, METHOD_WORDS, m)} — {levels_text(locale, m)}")
            for m in Method
        ],
        "levels": [(lv.value, words(locale, LEVEL_WORDS, lv)) for lv in Level],
        "patterns": [(k, words(locale, PATTERN_WORDS, k)) for k in PATTERN_WORDS],
        "verifications": [(v.value, words(locale, VERIFICATION_WORDS, v)) for v in Verification],
    }
