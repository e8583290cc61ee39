"""Shared tables: donors, batches, devices, structures, users, API tokens, the ledger.

Stages add tables of their own in their `models.py`; these are the ones several
stages read. A device's `status` is written only by `db.lifecycle`, ledger rows only
by `db.ledger`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from db.enums import Category, PublicCategory, Role, Status, StructureStatus

JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def _one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_known")


class Donor(SQLModel, table=True):
    """A company (or person) that gives devices."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    siret: str | None = Field(default=None, max_length=14)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=40)
    created_at: str = Field(max_length=32)


class Batch(SQLModel, table=True):
    """A donation lot: what one donor gave at one pickup."""

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donor.id", index=True)
    pickup_date: date
    site: str = Field(max_length=200)
    declared: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSONDocument, nullable=False)
    )
    workshop: str | None = Field(default=None, max_length=200)
    closed: bool = Field(default=False)
    closing_comment: str | None = Field(default=None, sa_column=Column(Text))
    closed_at: str | None = Field(default=None, max_length=32)
    closed_by: str | None = Field(default=None, max_length=120)
    created_at: str = Field(max_length=32)
    created_by: str | None = Field(default=None, max_length=120)


class Structure(SQLModel, table=True):
    """A partner social structure that receives devices for the people it helps.

    Only an `active` one may claim; `quotas` says how many devices of each category it
    may take in a period (`{"laptop": 10}`; a category it does not name: none).
    """

    __table_args__ = (
        _one_of("status", StructureStatus),
        CheckConstraint(
            "public_category IS NULL OR public_category IN ("
            + ", ".join(f"'{v.value}'" for v in PublicCategory)
            + ")",
            name="public_category_known",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    status: str = Field(default=StructureStatus.PENDING.value, sa_type=String(12), index=True)
    address: str | None = Field(default=None, max_length=300)
    postcode: str | None = Field(default=None, max_length=10)
    city: str | None = Field(default=None, max_length=120)
    departement: str | None = Field(default=None, max_length=3, index=True)
    public_category: str | None = Field(default=None, sa_type=String(20))
    public_description: str | None = Field(default=None, max_length=1000)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=40)
    quotas: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSONDocument, nullable=False)
    )
    created_at: str = Field(max_length=32)
    updated_at: str | None = Field(default=None, max_length=32)


def _where_present(name: str, expression: Any, column: str) -> Index:
    """An index of the devices that have a `column`: most leave a serial, an IMEI or an
    asset tag empty, and an index counting every NULL looks unselective to SQLite."""
    where = text(f"{column} IS NOT NULL")
    return Index(name, expression, sqlite_where=where, postgresql_where=where)


class Device(SQLModel, table=True):
    """One donated device, identified publicly by its `code`."""

    __table_args__ = (
        _one_of("category", Category),
        _one_of("status", Status),
        # Only where a device has one (migration 0011): see `db.devices.identifier_is`.
        _where_present("ix_device_serial_upper", func.upper(text("serial")), "serial"),
        _where_present("ix_device_asset_tag_upper", func.upper(text("asset_tag")), "asset_tag"),
        _where_present("ix_device_imei", "imei", "imei"),
        # The dashboard: the stock counted from an index alone, and the devices waiting
        # longest at each stage (migration 0015).
        Index("ix_device_stock", "status", "category", "grade"),
        Index("ix_device_backlog", "status", "status_since"),
        Index("ix_device_batch_category", "batch_id", "category"),  # batches reconciled
        Index("ix_device_location", "location", "id"),  # what a shelf holds, in order
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True)
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    category: str = Field(sa_type=String(20), index=True)
    brand: str | None = Field(default=None, max_length=120)
    model: str | None = Field(default=None, max_length=200)
    serial: str | None = Field(default=None, max_length=120, index=True)
    imei: str | None = Field(default=None, max_length=15)
    asset_tag: str | None = Field(default=None, max_length=120)
    status: str = Field(sa_type=String(20), index=True)
    grade: str | None = Field(default=None, max_length=8, index=True)
    price_cents: int | None = Field(default=None)
    location: str | None = Field(default=None, max_length=200)
    structure_id: int | None = Field(default=None, foreign_key="structure.id", index=True)
    # When the device reached its status: set by `db.lifecycle` with each move, never
    # in the ledger's events (their own time says it).
    status_since: str | None = Field(default=None, max_length=32)
    attributes: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONDocument, nullable=False)
    )


class CatalogItem(SQLModel, table=True):
    """The `available` devices as structures browse them: one row per device, kept by
    `db.lifecycle` in the transaction that moves the device in or out of `available`
    (see `db.catalog`). Its columns are the specs a structure filters on, indexed; never
    a donor, a serial or an IMEI."""

    __tablename__ = "catalog_item"
    __table_args__ = (
        # The listing's order, and the filters a count reads without the table's rows.
        Index(
            "ix_catalog_browse",
            "category",
            "grade_rank",
            "price_cents",
            "device_id",
            "ram_gb",
            "storage_gb",
            "os",
        ),
        Index("ix_catalog_ram", "ram_gb"),
        Index("ix_catalog_storage", "storage_gb"),
        Index("ix_catalog_price", "price_cents"),
        # What a claim by criteria takes first (distribution.catalog.CLAIM_ORDER), and
        # the devices a claim names.
        Index("ix_catalog_claim", "category", "price_cents", "since", "device_id"),
        Index("ix_catalog_code", "code", unique=True),
    )

    device_id: int = Field(primary_key=True, foreign_key="device.id")
    code: str = Field(max_length=8)
    category: str = Field(sa_type=String(20))
    brand: str | None = Field(default=None, max_length=120)
    model: str | None = Field(default=None, max_length=200)
    grade: str | None = Field(default=None, max_length=8)
    grade_rank: int = Field(default=9)  # A 1, B 2, C 3; ungraded last
    price_cents: int | None = Field(default=None)
    ram_gb: int | None = Field(default=None)
    storage_gb: int | None = Field(default=None)
    storage_type: str | None = Field(default=None, max_length=12)
    screen_in: str | None = Field(default=None, max_length=8)
    cpu: str | None = Field(default=None, max_length=200)
    os: str | None = Field(default=None, max_length=20)  # lower case: filtered by equality
    battery_percent: int | None = Field(default=None)
    # The grade's sentence as grading wrote it, in each language the pages speak.
    definition_fr: str | None = Field(default=None, sa_column=Column(Text))
    definition_en: str | None = Field(default=None, sa_column=Column(Text))
    since: str = Field(max_length=32)


class MailOutbox(SQLModel, table=True):
    """An e-mail to send, written in the transaction that has something to say, sent
    after it commits by `remise.mail` (retried until it goes, or gives up)."""

    __tablename__ = "mail_outbox"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(max_length=32)
    attempts: int = Field(default=0)
    next_attempt_at: str = Field(max_length=32, index=True)
    sent_at: str | None = Field(default=None, max_length=32, index=True)
    failed: bool = Field(default=False)  # gave up after the last attempt
    last_error: str | None = Field(default=None, max_length=500)


class User(SQLModel, table=True):
    """A person or a client program that acts in Remise."""

    __tablename__ = "user_account"
    __table_args__ = (_one_of("role", Role),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(sa_type=String(20))
    structure_id: int | None = Field(default=None, foreign_key="structure.id", index=True)
    password_hash: str | None = Field(default=None, max_length=200)
    locale: str = Field(default="fr", max_length=8)
    active: bool = Field(default=True)
    created_at: str = Field(max_length=32)


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is kept, the token is shown once."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=120)
    revoked: bool = Field(default=False)
    created_at: str = Field(max_length=32)
    expires_at: str | None = Field(default=None, max_length=32)  # None: until revoked
    revoked_at: str | None = Field(default=None, max_length=32)
    last_used_at: str | None = Field(default=None, max_length=32)  # to the minute


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, the table its SHA-256.

    Kept on the server so that logging out, or deactivating the user, ends it at once.
    """

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: str = Field(max_length=32)
    expires_at: str = Field(max_length=32, index=True)


class LedgerEvent(SQLModel, table=True):
    """One event of the append-only ledger; see `db.ledger` and `db.canonical`."""

    __tablename__ = "ledger_event"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: str = Field(max_length=32)
    actor: str = Field(max_length=120)
    device_id: int | None = Field(default=None, foreign_key="device.id", index=True)
    type: str = Field(max_length=64, index=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class JobCursor(SQLModel, table=True):
    """How far a reacting job has read the ledger (see `db.ledger.events_after`)."""

    __tablename__ = "job_cursor"

    name: str = Field(primary_key=True, max_length=80)
    seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed on retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key", name="idempotency_key_per_user"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    key: str = Field(max_length=200)
    method: str = Field(max_length=8)
    path: str = Field(max_length=300)
    fingerprint: str = Field(max_length=64)
    status_code: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(max_length=32, index=True)


class LoginFailure(SQLModel, table=True):
    """A wrong password typed at /login: too many from one address lock that user there."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_who", "username", "address", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80)
    address: str = Field(max_length=64)
    at: str = Field(max_length=32, index=True)  # the hourly purge reads by age


class LocationKind(StrEnum):
    SHELF = "shelf"
    ROOM = "room"


class Location(SQLModel, table=True):
    """A known place devices are kept (a shelf, a room), with a printed `LOC-…` label.

    Its label opens a stock-take in continuous scanning; the devices there hold its
    name in `device.location`.
    """

    __table_args__ = (_one_of("kind", LocationKind),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=9, unique=True)  # LOC-XXXXX, see db.codes
    name: str = Field(max_length=200, unique=True)
    kind: str | None = Field(default=None, sa_type=String(10))
    created_at: str = Field(max_length=32)
    created_by: str | None = Field(default=None, max_length=120)
