"""A device's storage media and their erasure records: the evidence that its data is gone.

Refurbishment writes these tables (through `db.lifecycle`, each change a ledger event in
the same transaction); grading, distribution and the certificates read them, which is
why they live here. What a medium's records add up to is decided in one place,
`state_of`: the newest record of a medium decides (an erasure after a failed one clears
the failure; a failed re-verification after a passed erasure blocks again), and a
destroyed medium counts only once a replacement was fitted.

Levels and methods are those of NIST SP 800-88 (Rev. 1, December 2014; Rev. 2 of
September 2025 keeps Clear, Purge and Destroy and points to IEEE 2883 for techniques).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from db.errors import N_, Message


class MediumType(StrEnum):
    HDD = "hdd"
    SSD = "ssd"
    NVME = "nvme"
    EMMC = "emmc"
    INTERNAL = "internal"  # a phone's or a tablet's internal storage
    SD = "sd"
    USB = "usb"
    OTHER = "other"


class Level(StrEnum):
    CLEAR = "clear"
    PURGE = "purge"
    DESTROY = "destroy"


class Method(StrEnum):
    OVERWRITE = "overwrite"
    ATA_SECURE_ERASE = "ata_secure_erase"
    NVME_SANITIZE = "nvme_sanitize"
    NVME_FORMAT_CRYPTO = "nvme_format_crypto"
    CRYPTO_ERASE = "crypto_erase"
    FACTORY_RESET = "factory_reset"  # of an encrypted phone or tablet
    SHRED = "shred"
    PUNCH = "punch"
    DISINTEGRATE = "disintegrate"


class Verification(StrEnum):
    FULL = "full"  # every sector read back
    SAMPLED = "sampled"  # a sample of sectors read back, or the operator's check
    NONE = "none"


# The levels each method can reach (NIST SP 800-88 Rev. 1, appendix A): a software
# overwrite clears; the drives' own sanitize commands and cryptographic erase purge;
# a factory reset clears, and purges where it destroys the key of an encrypted store.
LEVELS_OF: dict[Method, frozenset[Level]] = {
    Method.OVERWRITE: frozenset({Level.CLEAR}),
    Method.ATA_SECURE_ERASE: frozenset({Level.CLEAR, Level.PURGE}),
    Method.NVME_SANITIZE: frozenset({Level.PURGE}),
    Method.NVME_FORMAT_CRYPTO: frozenset({Level.PURGE}),
    Method.CRYPTO_ERASE: frozenset({Level.PURGE}),
    Method.FACTORY_RESET: frozenset({Level.CLEAR, Level.PURGE}),
    Method.SHRED: frozenset({Level.DESTROY}),
    Method.PUNCH: frozenset({Level.DESTROY}),
    Method.DISINTEGRATE: frozenset({Level.DESTROY}),
}
STORAGE_PARTS = frozenset({"ssd", "hdd"})  # parts (refurbish.models.PartKind) that hold data
# Categories (db.enums.Category) whose devices always hold data: one of them without any
# known medium is not erased, as nobody looked. Phones and tablets get their internal
# storage as a medium when their first run starts.
HOLDS_DATA = frozenset({"laptop", "desktop", "smartphone", "tablet", "basic_phone"})
BUILT_IN = frozenset({"smartphone", "tablet", "basic_phone"})


class StorageMedium(SQLModel, table=True):
    """A disk, a memory card or a phone's internal storage that belongs to a device."""

    __tablename__ = "storage_medium"
    # A device's media and which ones replace a destroyed one, from the index alone
    # (the dashboard's devices held up by erasure).
    __table_args__ = (Index("ix_storage_medium_device", "device_id", "id", "replaces_id"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    type: str = Field(max_length=12)
    manufacturer: str | None = Field(default=None, max_length=120)
    model: str | None = Field(default=None, max_length=120)
    serial: str | None = Field(default=None, max_length=120)
    size_bytes: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    name: str | None = Field(default=None, max_length=40)  # as the probe saw it: sda, nvme0n1
    source: str = Field(max_length=12)  # probe, manual, report, part
    snapshot_id: int | None = Field(default=None)
    replaces_id: int | None = Field(default=None)  # the destroyed medium it replaces
    created_at: str = Field(max_length=32)
    created_by: str = Field(max_length=120)


class ErasureRecord(SQLModel, table=True):
    """One sanitization of one medium (or a re-verification of one), as evidence."""

    __tablename__ = "erasure_record"
    # A medium's newest erasure and its outcome, from the index alone.
    __table_args__ = (Index("ix_erasure_record_newest", "medium_id", "id", "passed", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    medium_id: int = Field(foreign_key="storage_medium.id", index=True)
    run_id: int | None = Field(default=None)
    level: str = Field(max_length=10)
    method: str = Field(max_length=24)
    pattern: str | None = Field(default=None, max_length=40)
    passes: int | None = Field(default=None)
    tool: str | None = Field(default=None, max_length=60)
    tool_version: str | None = Field(default=None, max_length=40)
    started_at: str | None = Field(default=None, max_length=32)
    finished_at: str | None = Field(default=None, max_length=32)
    verification_method: str = Field(max_length=10)
    verification_passed: bool | None = Field(default=None)
    passed: bool = Field(index=True)
    hidden_areas: str | None = Field(default=None, sa_column=Column(Text))
    errors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    operator: str = Field(max_length=200)
    source: str = Field(max_length=10)  # api, import, bench
    report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    report_sha256: str | None = Field(default=None, max_length=64, index=True)
    report_name: str | None = Field(default=None, max_length=255)
    reverifies_id: int | None = Field(default=None)  # a re-verification of that record
    ledger_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    recorded_at: str = Field(max_length=32, index=True)
    recorded_by: str = Field(max_length=120)


class ErasureCertificate(SQLModel, table=True):
    """A certificate of sanitization as issued: its signed content, kept as it was.

    A later certificate of the same batch or device supersedes it without invalidating it:
    each stays verifiable against the ledger."""

    __tablename__ = "erasure_certificate"
    __table_args__ = (UniqueConstraint("code", name="certificate_code_once"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20)  # the public verification code
    scope: str = Field(max_length=10)  # batch, device
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    device_id: int | None = Field(default=None, foreign_key="device.id", index=True)
    envelope: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    supersedes_id: int | None = Field(default=None)
    ledger_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    issued_at: str = Field(max_length=32)
    issued_by: str = Field(max_length=120)


class ErasureSample(SQLModel, table=True):
    """An erasure drawn for re-verification by another operator (R2v3 sampling)."""

    __tablename__ = "erasure_sample"
    __table_args__ = (UniqueConstraint("week", "erasure_id", name="sample_once_a_week"),)

    id: int | None = Field(default=None, primary_key=True)
    week: str = Field(max_length=10, index=True)  # ISO week of the erasures: 2026-W48
    erasure_id: int = Field(foreign_key="erasure_record.id", index=True)
    device_id: int = Field(foreign_key="device.id")
    medium_id: int = Field(foreign_key="storage_medium.id")
    drawn_at: str = Field(max_length=32)
    state: str = Field(default="queued", max_length=10, index=True)  # queued, passed, failed
    reverify_id: int | None = Field(default=None)  # the re-verification's record
    checked_at: str | None = Field(default=None, max_length=32)
    checked_by: str | None = Field(default=None, max_length=200)


class MediumState(StrEnum):
    MISSING = "missing"  # no record yet
    ERASED = "erased"  # its newest record passed
    FAILED = "failed"  # its newest record failed: erase it again, or destroy it
    UNVERIFIED = "unverified"  # erased, but nobody read it back: verify it, or erase again
    DESTROYED = "destroyed"  # destroyed, and a replacement was fitted
    NEEDS_REPLACEMENT = "needs_replacement"  # destroyed, nothing fitted in its place


DONE = frozenset({MediumState.ERASED, MediumState.DESTROYED})


@dataclass(frozen=True)
class Standing:
    """Where one medium stands, and why, for the run's missing list and the certificate."""

    medium: StorageMedium
    state: MediumState
    record: ErasureRecord | None  # the newest record, if any

    @property
    def done(self) -> bool:
        return self.state in DONE

    @property
    def reason(self) -> Message:
        return Message(REASONS[self.state], {"medium": described(self.medium)})


REASONS: dict[MediumState, str] = {
    MediumState.MISSING: N_("%(medium)s: no erasure recorded yet"),
    MediumState.ERASED: N_("%(medium)s: erased"),
    MediumState.FAILED: N_("%(medium)s: the last erasure failed; erase it again or destroy it"),
    MediumState.UNVERIFIED: N_(
        "%(medium)s: erased without a verification; erase it again with one, or destroy it"
    ),
    MediumState.DESTROYED: N_("%(medium)s: destroyed and replaced"),
    MediumState.NEEDS_REPLACEMENT: N_(
        "%(medium)s: destroyed; fit a replacement (record it as a part) and erase it"
    ),
}
NO_MEDIUM = N_("no storage medium is known: probe the device or enter its disks")


def described(medium: StorageMedium) -> Message:
    """How people tell a medium apart: `SSD Samsung SSD 860 EVO (S/N S3Z1NB0K123456A)`,
    `internal storage Galaxy A52 (#3)`."""
    what = " ".join(w for w in (medium.manufacturer, medium.model) if w)
    if medium.serial:
        which = f"S/N {medium.serial}"
    else:
        which = f"#{medium.id}{', ' + medium.name if medium.name else ''}"
    if medium.type == MediumType.INTERNAL:
        return Message(N_("internal storage %(what)s (%(which)s)"), {"what": what, "which": which})
    kind = medium.type.upper()
    return Message("%(kind)s %(what)s (%(which)s)", {"kind": kind, "what": what, "which": which})


def describe(medium: StorageMedium) -> str:
    """`described`, in English (in error messages that list media, and the API)."""
    return str(described(medium)).replace("  ", " ")


def record_state(record: ErasureRecord) -> MediumState:
    if not record.passed:
        unverified = record.verification_method == Verification.NONE and not record.errors
        return MediumState.UNVERIFIED if unverified else MediumState.FAILED
    return MediumState.DESTROYED if record.level == Level.DESTROY else MediumState.ERASED


def media_of(session: Session, device_id: int) -> Sequence[StorageMedium]:
    query = select(StorageMedium).where(col(StorageMedium.device_id) == device_id)
    return session.exec(query.order_by(col(StorageMedium.id))).all()


def records_of(session: Session, device_id: int) -> Sequence[ErasureRecord]:
    """A device's records, newest first."""
    query = select(ErasureRecord).where(col(ErasureRecord.device_id) == device_id)
    return session.exec(query.order_by(col(ErasureRecord.id).desc())).all()


def standings(media: Iterable[StorageMedium], records: Iterable[ErasureRecord]) -> list[Standing]:
    """Each medium's standing, in the order of `media`; `records` in any order."""
    media = list(media)
    newest: dict[int, ErasureRecord] = {}
    for record in records:
        kept = newest.get(record.medium_id)
        if kept is None or (record.id or 0) > (kept.id or 0):
            newest[record.medium_id] = record
    replaced = {m.replaces_id for m in media if m.replaces_id is not None}
    found = []
    for medium in media:
        last = newest.get(medium.id or 0)
        state = record_state(last) if last is not None else MediumState.MISSING
        if state == MediumState.DESTROYED and medium.id not in replaced:
            state = MediumState.NEEDS_REPLACEMENT
        found.append(Standing(medium, state, last))
    return found


def standing_of_device(session: Session, device_id: int) -> list[Standing]:
    return standings(media_of(session, device_id), records_of(session, device_id))


def outstanding(session: Session, device_id: int, category: str) -> list[Message]:
    """Why the device's data cannot be called erased yet, medium by medium (empty: it can).

    A device of a category that holds data, without any known medium, is not erased:
    nobody looked."""
    found = standing_of_device(session, device_id)
    if not found and category in HOLDS_DATA:
        return [Message(NO_MEDIUM)]
    return [s.reason for s in found if not s.done]
