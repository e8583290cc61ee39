"""Refurbishment's own tables (templates, runs, steps, parts) and its API schemas."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from db.jsonvalue import JsonScalar
from refurbish.checklists import MAX_TEXT, Kind, State
from refurbish.erasure.models import MediumIn, MissingErasure

# How long what a volunteer writes may be; the pages give these as `maxlength` and say
# them, and a longer text is refused naming the limit, never cut.
COMMENT_MAX = 1000
PART_MAX = 200  # a part's description, what came out or went in
COLLECTOR_MAX = 200
PARTS_MAX = 50  # parts harvested from one device


class ChecklistTemplate(SQLModel, table=True):
    """One published version of a category's checklist; versions are never edited."""

    __tablename__ = "checklist_template"
    __table_args__ = (UniqueConstraint("category", "version", name="checklist_version"),)

    id: int | None = SQLField(default=None, primary_key=True)
    category: str = SQLField(max_length=20, index=True)
    version: int
    steps: list[dict[str, Any]] = SQLField(sa_column=Column(JSON, nullable=False))
    created_at: str = SQLField(max_length=32)
    created_by: str = SQLField(max_length=120)


class RefurbishmentRun(SQLModel, table=True):
    """A device's pass at the bench, from start to an outcome, on one checklist version."""

    __tablename__ = "refurbishment_run"

    id: int | None = SQLField(default=None, primary_key=True)
    device_id: int = SQLField(foreign_key="device.id", index=True)
    template_id: int = SQLField(foreign_key="checklist_template.id")
    open: bool = SQLField(default=True, index=True)
    outcome: str | None = SQLField(default=None, max_length=20)
    outcome_detail: dict[str, Any] = SQLField(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    started_at: str = SQLField(max_length=32)
    started_by: str = SQLField(max_length=120)
    finished_at: str | None = SQLField(default=None, max_length=32)
    finished_by: str | None = SQLField(default=None, max_length=120)


class RunStep(SQLModel, table=True):
    """The latest recording of one step of a run (each recording is also a ledger event)."""

    __tablename__ = "run_step"
    __table_args__ = (UniqueConstraint("run_id", "key", name="run_step_once"),)

    id: int | None = SQLField(default=None, primary_key=True)
    run_id: int = SQLField(foreign_key="refurbishment_run.id", index=True)
    key: str = SQLField(max_length=48)
    value: Any = SQLField(default=None, sa_column=Column(JSON, nullable=True))
    note: str | None = SQLField(default=None, sa_column=Column(Text))
    state: str = SQLField(max_length=12)
    recorded_at: str = SQLField(max_length=32)
    recorded_by: str = SQLField(max_length=120)


class PartChange(SQLModel, table=True):
    """A part replaced during a run: what came out, what went in."""

    __tablename__ = "part_change"

    id: int | None = SQLField(default=None, primary_key=True)
    run_id: int = SQLField(foreign_key="refurbishment_run.id", index=True)
    device_id: int = SQLField(foreign_key="device.id", index=True)
    part: str = SQLField(max_length=20)
    removed: str | None = SQLField(default=None, max_length=200)
    fitted: str = SQLField(max_length=200)
    recorded_at: str = SQLField(max_length=32)
    recorded_by: str = SQLField(max_length=120)


class HarvestedPart(SQLModel, table=True):
    """A part taken from a device dismantled for parts: stock of its own kind."""

    __tablename__ = "harvested_part"

    id: int | None = SQLField(default=None, primary_key=True)
    source_device_id: int = SQLField(foreign_key="device.id", index=True)
    run_id: int = SQLField(foreign_key="refurbishment_run.id")
    kind: str = SQLField(max_length=20, index=True)
    description: str = SQLField(max_length=200)
    in_stock: bool = SQLField(default=True, index=True)
    created_at: str = SQLField(max_length=32)


class DeviceSnapshot(SQLModel, table=True):
    """What a bench station read of a device's hardware (`remise bench probe --upload`)."""

    __tablename__ = "device_snapshot"

    id: int | None = SQLField(default=None, primary_key=True)
    device_id: int = SQLField(foreign_key="device.id", index=True)
    run_id: int | None = SQLField(default=None, foreign_key="refurbishment_run.id")
    source: str = SQLField(max_length=20)
    body: dict[str, Any] = SQLField(sa_column=Column(JSON, nullable=False))
    taken_at: str = SQLField(max_length=32)
    taken_by: str = SQLField(max_length=120)


class DeviceFlag(SQLModel, table=True):
    """A mismatch between a snapshot and intake, open until a coordinator resolves it."""

    __tablename__ = "device_flag"

    id: int | None = SQLField(default=None, primary_key=True)
    device_id: int = SQLField(foreign_key="device.id", index=True)
    snapshot_id: int = SQLField(foreign_key="device_snapshot.id")
    run_id: int | None = SQLField(default=None, foreign_key="refurbishment_run.id")
    kind: str = SQLField(max_length=30)
    expected: str = SQLField(max_length=200)
    found: str = SQLField(max_length=200)
    open: bool = SQLField(default=True, index=True)
    resolution: str | None = SQLField(default=None, sa_column=Column(Text))
    resolved_at: str | None = SQLField(default=None, max_length=32)
    resolved_by: str | None = SQLField(default=None, max_length=120)
    created_at: str = SQLField(max_length=32)


# --- API -------------------------------------------------------------------------


class PartKind(StrEnum):
    BATTERY = "battery"
    SSD = "ssd"
    HDD = "hdd"
    RAM = "ram"
    CHARGER = "charger"
    SCREEN = "screen"
    KEYBOARD = "keyboard"
    OTHER = "other"


class Outcome(StrEnum):
    REFURBISHED = "refurbished"
    PARTS = "parts"  # dismantled: its parts become stock
    RECYCLED = "recycled"  # to a WEEE collector


class ChecklistRead(BaseModel):
    category: str
    version: int
    created_at: str
    created_by: str
    steps: list[dict[str, Any]]


class StepRecord(BaseModel):
    value: JsonScalar = Field(
        description="true/false, a number in the step's unit, an option's key, text, or the "
        "`photo` reference that POST /runs/{id}/photos answered"
    )
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class StepView(BaseModel):
    key: str
    label: str
    kind: Kind
    required: bool
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    options: list[dict[str, Any]] = []
    value: Any = None
    note: str | None = None
    state: State
    blocking: bool
    recorded_at: str | None = None
    recorded_by: str | None = None


class PartChangeRead(BaseModel):
    part: str
    removed: str | None
    fitted: str
    recorded_at: str
    recorded_by: str


class RunRead(BaseModel):
    id: int
    device_code: str
    category: str
    checklist_version: int
    open: bool
    outcome: str | None
    outcome_detail: dict[str, Any]
    started_at: str
    started_by: str
    finished_at: str | None
    finished_by: str | None
    steps: list[StepView]
    parts: list[PartChangeRead]
    blocking: list[str] = Field(description="keys of the steps that keep it from `refurbished`")
    erasure: list[MissingErasure] = Field(
        default_factory=list,
        description="the media whose erasure keeps it from `refurbished`, one by one",
    )


class RunStart(BaseModel):
    comment: str | None = Field(
        default=None,
        max_length=COMMENT_MAX,
        description="why it comes back (returned or reopened)",
    )


class PartReplaced(BaseModel):
    part: PartKind
    removed: str | None = Field(default=None, max_length=PART_MAX, description="what came out")
    fitted: str = Field(
        min_length=1, max_length=PART_MAX, description="what went in, e.g. 8 GB DDR4"
    )
    medium: MediumIn | None = Field(
        default=None,
        description="an ssd or hdd fitted: the disk (make, model, serial, size); it becomes a "
        "storage medium of the device, which needs its own erasure record",
    )


class HarvestedPartIn(BaseModel):
    kind: PartKind
    description: str = Field(min_length=1, max_length=PART_MAX)


class RunFinish(BaseModel):
    outcome: Outcome
    parts: list[HarvestedPartIn] = Field(default_factory=list, max_length=PARTS_MAX)
    collector: str | None = Field(
        default=None, max_length=COLLECTOR_MAX, description="the WEEE collector (recycled)"
    )
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)


class FlagRead(BaseModel):
    id: int
    kind: str
    expected: str
    found: str
    message: str
    open: bool
    run_id: int | None
    resolution: str | None
    resolved_at: str | None
    resolved_by: str | None
    created_at: str


class SnapshotAnswer(BaseModel):
    id: int
    run_id: int | None
    filled: list[str] = Field(description="device fields that were empty and are now set")
    flags: list[FlagRead]


class FlagResolve(BaseModel):
    comment: str = Field(min_length=3, max_length=1000, description="what was found and done")
