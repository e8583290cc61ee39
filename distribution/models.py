"""Distribution's tables (claims and their devices, the waitlist, the inbox, fault
reports) and what the API takes and answers. The structure table lives in `db`."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator
from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from db.bounds import ROW_ID_MAX
from db.enums import Category, PublicCategory, StructureStatus
from db.errors import N_

DESCRIPTION_MAX = 2000  # a fault's description
CLAIM_MAX_DEVICES = 100  # devices one claim may name or ask for


class ClaimState(StrEnum):
    RESERVED = "reserved"  # held for the structure until it collects or it expires
    HANDED_OVER = "handed_over"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ItemState(StrEnum):
    RESERVED = "reserved"
    HANDED_OVER = "handed_over"
    RELEASED = "released"  # back in stock: cancelled, expired, or not collected


class WaitState(StrEnum):
    WAITING = "waiting"
    SERVED = "served"
    CANCELLED = "cancelled"


class FaultState(StrEnum):
    OPEN = "open"
    REPLACED = "replaced"
    NOT_REPLACED = "not_replaced"


# A claim's states in words of their own (in French a « réservation » is feminine).
CLAIM_STATE_LABELS: dict[str, str] = {
    ClaimState.RESERVED: N_("held for its structure"),
    ClaimState.HANDED_OVER: N_("handed over to its structure"),
    ClaimState.CANCELLED: N_("cancelled"),
    ClaimState.EXPIRED: N_("expired"),
}
WAIT_STATE_LABELS: dict[str, str] = {
    WaitState.WAITING: N_("waiting"),
    WaitState.SERVED: N_("served"),
    WaitState.CANCELLED: N_("cancelled"),
}

FAULT_STATE_LABELS: dict[str, str] = {
    FaultState.OPEN: N_("waiting for a decision"),
    FaultState.REPLACED: N_("replaced"),
    FaultState.NOT_REPLACED: N_("not replaced"),
}


class Claim(SQLModel, table=True):
    """A reservation of devices by one structure, until handover or expiry."""

    id: int | None = SQLField(default=None, primary_key=True)
    structure_id: int = SQLField(foreign_key="structure.id", index=True)
    state: str = SQLField(max_length=12, index=True)
    created_at: str = SQLField(max_length=32, index=True)
    created_by: str = SQLField(max_length=120)
    expires_at: str = SQLField(max_length=32, index=True)
    reminded_at: str | None = SQLField(default=None, max_length=32)
    waitlist_entry_id: int | None = SQLField(default=None, foreign_key="waitlist_entry.id")
    fault_id: int | None = SQLField(default=None)  # a replacement under warranty
    total_cents: int = 0
    collector: str | None = SQLField(default=None, max_length=200)
    handed_over_at: str | None = SQLField(default=None, max_length=32)
    handed_over_by: str | None = SQLField(default=None, max_length=120)
    ended_at: str | None = SQLField(default=None, max_length=32)  # cancelled or expired
    ended_by: str | None = SQLField(default=None, max_length=120)


class ClaimItem(SQLModel, table=True):
    """One device of a claim, at the price fixed when it was reserved."""

    __tablename__ = "claim_item"
    __table_args__ = (
        # A structure's quota use: its devices of a category reserved in a period, counted
        # from the index alone (the claim's own items aside, those held or given).
        Index(
            "ix_claim_item_quota",
            "structure_id",
            "category",
            "reserved_at",
            "state",
            "counts_in_quota",
            "claim_id",
        ),
        # Every structure's quota use in a period at once (the dashboard), by date first.
        Index(
            "ix_claim_item_period",
            "reserved_at",
            "structure_id",
            "category",
            "state",
            "counts_in_quota",
        ),
    )

    id: int | None = SQLField(default=None, primary_key=True)
    claim_id: int = SQLField(foreign_key="claim.id", index=True)
    device_id: int = SQLField(foreign_key="device.id", index=True)
    structure_id: int = SQLField(foreign_key="structure.id")
    category: str = SQLField(max_length=20)
    price_cents: int
    state: str = SQLField(max_length=12)
    counts_in_quota: bool = True  # a replacement under warranty does not
    reserved_at: str = SQLField(max_length=32)
    scanned_at: str | None = SQLField(default=None, max_length=32)  # at the handover
    scanned_by: str | None = SQLField(default=None, max_length=120)


class WaitlistEntry(SQLModel, table=True):
    """A structure's request for devices the stock could not give yet, served first
    come, first served as devices become available; a partly served entry keeps its
    place for the rest."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (Index("ix_waitlist_queue", "state", "category", "id"),)

    id: int | None = SQLField(default=None, primary_key=True)
    structure_id: int = SQLField(foreign_key="structure.id", index=True)
    state: str = SQLField(max_length=12)
    category: str = SQLField(max_length=20)
    criteria: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    quantity: int
    served: int = 0
    created_at: str = SQLField(max_length=32)
    created_by: str = SQLField(max_length=120)
    ended_at: str | None = SQLField(default=None, max_length=32)


class InboxMessage(SQLModel, table=True):
    """A message to a structure, said in its reader's language when read (`kind` and
    `params` pick and fill the sentence)."""

    __tablename__ = "inbox_message"

    id: int | None = SQLField(default=None, primary_key=True)
    structure_id: int = SQLField(foreign_key="structure.id", index=True)
    kind: str = SQLField(max_length=40)
    params: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    claim_id: int | None = SQLField(default=None)
    created_at: str = SQLField(max_length=32)
    read_at: str | None = SQLField(default=None, max_length=32)
    read_by: str | None = SQLField(default=None, max_length=120)


class FaultReport(SQLModel, table=True):
    """A handed-over device a structure reports faulty under warranty."""

    __tablename__ = "fault_report"

    id: int | None = SQLField(default=None, primary_key=True)
    device_id: int = SQLField(foreign_key="device.id", index=True)
    structure_id: int = SQLField(foreign_key="structure.id", index=True)
    claim_id: int | None = SQLField(default=None)
    description: str = SQLField(sa_column=Column(Text, nullable=False))
    reported_at: str = SQLField(max_length=32)
    reported_by: str = SQLField(max_length=120)
    state: str = SQLField(max_length=14, index=True)
    decision_note: str | None = SQLField(default=None, sa_column=Column(Text))
    decided_at: str | None = SQLField(default=None, max_length=32)
    decided_by: str | None = SQLField(default=None, max_length=120)
    replacement_claim_id: int | None = SQLField(default=None)


# --- what the API takes -------------------------------------------------------------

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Departement = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^(\d{2,3}|2[ABab])$")
]
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{5}$")]
Quotas = dict[Category, Annotated[int, Field(ge=0, le=10_000)]]


class StructureFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: Line | None = None
    postcode: Postcode | None = None
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    departement: Departement | None = Field(
        default=None, description="the département's number: 44, 2A, 974"
    )
    public_category: PublicCategory | None = None
    public_description: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None
    ) = Field(default=None, description="whom it serves, in its own words")
    contact_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    contact_email: EmailStr | None = None
    contact_phone: Annotated[str, StringConstraints(max_length=40)] | None = None


class StructureCreate(StructureFields):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]


class StructureUpdate(StructureFields):
    """A PATCH: only the fields sent change. `status` and `quotas` are the coordinators'."""

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
        | None
    ) = None
    status: StructureStatus | None = None
    quotas: Quotas | None = Field(
        default=None,
        description='devices per category and period, e.g. {"laptop": 10}: the categories '
        "sent are set (0: none), the others kept",
    )


class QuotaUse(BaseModel):
    quota: int
    used: int = Field(description="reserved now, or handed over, in the period")
    remaining: int


class Period(BaseModel):
    start: str
    end: str = Field(description="the first day after the period")


class StructureRead(BaseModel):
    id: int
    name: str
    status: StructureStatus
    address: str | None
    postcode: str | None
    city: str | None
    departement: str | None
    public_category: PublicCategory | None
    public_description: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    quotas: dict[str, int]
    quota_use: dict[str, QuotaUse]
    period: Period
    created_at: str
    updated_at: str | None


Grade = Literal["A", "B", "C"]
Euros = Annotated[Decimal, Field(ge=0, le=100_000, decimal_places=2)]


class Criteria(BaseModel):
    """What devices a claim by quantity, or the catalogue, asks for."""

    model_config = ConfigDict(extra="forbid")

    category: Category
    min_grade: Grade | None = Field(default=None, description="B: grade A or B")
    min_ram_gb: int | None = Field(default=None, ge=0, le=4096)
    min_storage_gb: int | None = Field(default=None, ge=0, le=1_000_000)
    max_price: Euros | None = Field(default=None, description="in euros")
    os: Annotated[str, StringConstraints(max_length=20)] | None = None


class ClaimCreate(BaseModel):
    """Name the devices, or ask for a quantity by criteria (then `waitlist` may say to
    wait in line when the stock has not enough)."""

    model_config = ConfigDict(extra="forbid")

    device_codes: list[Annotated[str, StringConstraints(max_length=40)]] | None = Field(
        default=None, min_length=1, max_length=CLAIM_MAX_DEVICES
    )
    quantity: int | None = Field(default=None, ge=1, le=CLAIM_MAX_DEVICES)
    criteria: Criteria | None = None
    waitlist: bool = False
    structure_id: int | None = Field(
        default=None,
        ge=1,
        le=ROW_ID_MAX,
        description="coordinators only: the structure claimed for",
    )

    @model_validator(mode="after")
    def _one_way(self) -> ClaimCreate:
        if (self.device_codes is None) == (self.quantity is None):
            raise ValueError("send either device_codes or a quantity with criteria")
        if self.quantity is not None and self.criteria is None:
            raise ValueError("a quantity needs criteria, at least a category")
        if self.device_codes is not None and (self.criteria is not None or self.waitlist):
            raise ValueError("named devices take no criteria and no waitlist")
        return self


class HandoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collector: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)
    ]
    device_codes: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        min_length=1,
        max_length=CLAIM_MAX_DEVICES,
        description="the devices scanned, one by one, as they are given",
    )
    release_missing: bool = Field(
        default=False,
        description="the claim's devices not scanned go back to stock (else: refused)",
    )


class FaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=5, max_length=DESCRIPTION_MAX)
    ]


class FaultDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replace: bool
    device_code: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="the replacement, reserved for the structure at no cost"
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


# --- what the API answers ------------------------------------------------------------


class Specs(BaseModel):
    ram_gb: int | None
    storage_gb: int | None
    storage_type: str | None
    screen_in: str | None
    cpu: str | None
    os: str | None
    battery_percent: int | None


class CatalogDevice(BaseModel):
    code: str
    category: str
    brand: str | None
    model: str | None
    grade: str | None
    grade_definition: str | None = Field(description="what the grade means, in your language")
    specs: Specs
    price_cents: int | None


class CatalogPage(BaseModel):
    total: int
    limit: int
    offset: int
    devices: list[CatalogDevice]


class CatalogCount(BaseModel):
    category: str
    grade: str | None
    count: int


class CatalogSummary(BaseModel):
    counts: list[CatalogCount]
    quota_use: dict[str, QuotaUse] | None = Field(
        description="the structure's quotas this period (none for coordinators)"
    )
    period: Period


class ClaimDevice(BaseModel):
    code: str
    category: str
    brand: str | None
    model: str | None
    grade: str | None
    price_cents: int
    state: ItemState
    scanned: bool


class StructureRef(BaseModel):
    id: int
    name: str


class ClaimRead(BaseModel):
    id: int
    structure: StructureRef
    state: ClaimState
    created_at: str
    created_by: str
    expires_at: str
    devices: list[ClaimDevice]
    total_cents: int = Field(description="what the devices held or handed over cost")
    collector: str | None
    handed_over_at: str | None
    waitlist_entry_id: int | None


class WaitlistRead(BaseModel):
    id: int
    structure: StructureRef
    state: WaitState
    criteria: dict[str, Any]
    quantity: int
    served: int
    position: int | None = Field(description="1: served first; none once it no longer waits")
    created_at: str


class WaitlistedRead(BaseModel):
    """The answer to a claim that joined the waitlist (202)."""

    waitlisted: WaitlistRead
    reason: str


class InboxRead(BaseModel):
    id: int
    kind: str
    text: str
    claim_id: int | None
    created_at: str
    read_at: str | None


class FaultRead(BaseModel):
    id: int
    device: str
    structure: StructureRef
    claim_id: int | None
    description: str
    reported_at: str
    reported_by: str
    state: FaultState
    decision_note: str | None
    replacement_claim_id: int | None
