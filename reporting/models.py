"""Reporting's own tables: the pipeline's flows counted per day (see `reporting.flows`),
and the versions of the impact factors (see `reporting.impact_factors`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.errors import N_
from db.events import EventType


class Flow(StrEnum):
    """What the dashboard's throughput counts, each from one ledger event type."""

    RECEIVED = "received"
    REFURBISHED = "refurbished"
    HANDED_OVER = "handed_over"
    PARTS = "parts"
    RECYCLED = "recycled"


FLOW_OF_EVENT: dict[str, Flow] = {
    EventType.DEVICE_RECEIVED.value: Flow.RECEIVED,
    EventType.DEVICE_REFURBISHED.value: Flow.REFURBISHED,
    EventType.DEVICE_HANDED_OVER.value: Flow.HANDED_OVER,
    EventType.DEVICE_DISMANTLED.value: Flow.PARTS,
    EventType.DEVICE_RECYCLED.value: Flow.RECYCLED,
}

FLOW_LABELS: dict[Flow, str] = {
    Flow.RECEIVED: N_("received"),
    Flow.REFURBISHED: N_("refurbished"),
    Flow.HANDED_OVER: N_("handed over"),
    Flow.PARTS: N_("dismantled for parts"),
    Flow.RECYCLED: N_("recycled"),
}


class FlowDay(SQLModel, table=True):
    """How many devices went through `flow` on `day` (UTC, `YYYY-MM-DD`): the events of
    that type in the ledger, counted once by `reporting.flows.count`."""

    __tablename__ = "flow_day"
    __table_args__ = (
        CheckConstraint(
            "flow IN (" + ", ".join(f"'{f.value}'" for f in Flow) + ")", name="flow_known"
        ),
    )

    day: str = Field(primary_key=True, max_length=10)
    flow: str = Field(primary_key=True, max_length=20)
    devices: int = Field(default=0)


class ImpactFactorSet(SQLModel, table=True):
    """One version of the factors the donors' impact reports use, each with its source
    and vintage (`reporting.impact_factors`); a version is never edited, a change is the
    next version. Version 1 is the set shipped with Remise until one is stored."""

    __tablename__ = "impact_factor_set"
    __table_args__ = (UniqueConstraint("version", name="impact_factor_version_once"),)

    id: int | None = Field(default=None, primary_key=True)
    version: int
    factors: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: str = Field(max_length=32)
    created_by: str = Field(max_length=120)
