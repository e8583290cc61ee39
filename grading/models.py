"""Grading's tables (rules and grid versions, each grading decision) and its schemas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

REASON_MAX = 1000  # an override's written reason


class GradingRulesVersion(SQLModel, table=True):
    """One published version of the grading rules; versions are never edited."""

    __tablename__ = "grading_rules_version"
    __table_args__ = (UniqueConstraint("version", name="grading_rules_version_once"),)

    id: int | None = SQLField(default=None, primary_key=True)
    version: int
    document: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    sha256: str = SQLField(max_length=64)
    note: str | None = SQLField(default=None, sa_column=Column(Text))
    created_at: str = SQLField(max_length=32)
    created_by: str = SQLField(max_length=120)


class PricingGridVersion(SQLModel, table=True):
    """One published version of the price grid, in force from its `effective_from`."""

    __tablename__ = "pricing_grid_version"
    __table_args__ = (UniqueConstraint("version", name="pricing_grid_version_once"),)

    id: int | None = SQLField(default=None, primary_key=True)
    version: int
    effective_from: str = SQLField(max_length=10, index=True)  # ISO date
    document: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    sha256: str = SQLField(max_length=64)
    note: str | None = SQLField(default=None, sa_column=Column(Text))
    created_at: str = SQLField(max_length=32)
    created_by: str = SQLField(max_length=120)


class GradeDecision(SQLModel, table=True):
    """One grading of a device: what the rules computed, any override, and its reasons.
    The newest is the device's grade; earlier ones are its history."""

    __tablename__ = "grade_decision"
    # The grades set by hand, newest first, without reading every decision.
    __table_args__ = (
        Index(
            "ix_grade_decision_override",
            "id",
            postgresql_where=text("override_reason IS NOT NULL"),
            sqlite_where=text("override_reason IS NOT NULL"),
        ),
    )

    id: int | None = SQLField(default=None, primary_key=True)
    device_id: int = SQLField(foreign_key="device.id", index=True)
    run_id: int | None = SQLField(default=None)
    outcome: str = SQLField(max_length=12)  # graded, no_grade, not_sold
    computed_grade: str | None = SQLField(default=None, max_length=2)
    grade: str | None = SQLField(default=None, max_length=2)
    override_reason: str | None = SQLField(default=None, sa_column=Column(Text))
    os: str | None = SQLField(default=None, max_length=12)
    zones: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    reasons: list[dict[str, Any]] = SQLField(sa_column=Column(JSON, nullable=False))
    facts: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    rules_version: int
    grid_version: int | None = SQLField(default=None)
    price_cents: int | None = SQLField(default=None)
    decided_at: str = SQLField(max_length=32)
    decided_by: str = SQLField(max_length=120)
    ledger_seq: int | None = SQLField(default=None)


GradeLetter = Literal["A", "B", "C"]


class Override(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grade: GradeLetter
    reason: Annotated[str, Field(max_length=REASON_MAX)]


class GradeIn(BaseModel):
    """What the grading step judged: each zone's grade (those the checklist answered may
    be left out), an override with its reason, and a TPM 2.0 seen in the firmware."""

    model_config = ConfigDict(extra="forbid")

    cosmetic: dict[Literal["screen", "casing", "keyboard", "buttons"], GradeLetter] = Field(
        default_factory=dict
    )
    override: Override | None = None
    tpm2: bool | None = Field(
        default=None, description="the firmware shows a TPM 2.0 (computers; Windows 11 needs it)"
    )


class ReasonRead(BaseModel):
    rule: str
    effect: str = Field(description="no_grade, not_sold, max_grade, os or override")
    detail: str | None
    text: str = Field(description="in the reader's language, with the value and threshold")
    source: str
    measured: list[dict[str, Any]]


class PriceRead(BaseModel):
    cents: int
    base_cents: int
    tiers: list[dict[str, Any]]
    cap_cents: int | None
    grid_version: int


class GradeRead(BaseModel):
    device: str
    preview: bool
    outcome: str = Field(description="graded, no_grade (fix it first) or not_sold")
    grade: str | None
    computed_grade: str | None
    override: Override | None
    os: str | None
    zones: dict[str, str]
    definitions: dict[str, dict[str, str]] = Field(description="grade → zone → its meaning")
    reasons: list[ReasonRead]
    price: PriceRead | None
    status: str = Field(description="the device's status after grading")
    waiting_for: list[str] = Field(description="what keeps a graded device from `available`")
    rules_version: int
    decision_id: int | None


class VersionRead(BaseModel):
    version: int
    created_at: str | None
    created_by: str | None
    note: str | None
    sha256: str | None
    effective_from: str | None = None


class DocumentRead(BaseModel):
    version: int = Field(description="0: the version shipped with Remise, never published")
    created_at: str | None
    created_by: str | None
    note: str | None
    document: dict[str, Any]


class OverrideRead(BaseModel):
    decision_id: int
    device: str
    category: str
    computed_grade: str | None
    grade: str | None
    reason: str | None
    decided_at: str
    decided_by: str
