"""Intake's own table (import records) and what its API takes and answers."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import Column, Text
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from db.bounds import RowId
from db.enums import Category
from db.jsonvalue import Count, JsonObject

# An import's record is written first, in state "writing"; it becomes "done" with the
# last chunk, or "interrupted" if writing stopped (sending the file again finishes it).
IMPORT_WRITING = "writing"
IMPORT_DONE = "done"
IMPORT_INTERRUPTED = "interrupted"


class ImportRecord(SQLModel, table=True):
    """One import of an asset list into a batch: who, which file, what came of it."""

    __tablename__ = "import_record"

    id: int | None = SQLField(default=None, primary_key=True)
    batch_id: int = SQLField(foreign_key="batch.id", index=True)
    file_sha256: str = SQLField(max_length=64, index=True)
    filename: str = SQLField(max_length=255)
    rows: int
    created: int
    already_present: int
    skipped: int
    # Imports before migration 0009 kept their refused rows here, as a JSON document;
    # later ones keep them in `refused_file`, under data_dir (see `intake.refused`).
    refused_csv: str | None = SQLField(default=None, sa_column=Column(Text))
    actor: str = SQLField(max_length=120)
    created_at: str = SQLField(max_length=32)
    state: str = SQLField(
        default=IMPORT_DONE, max_length=16, sa_column_kwargs={"server_default": IMPORT_DONE}
    )
    refused_file: str | None = SQLField(default=None, max_length=80)


class DonorCreate(BaseModel):
    name: str = Field(min_length=2, max_length=200)
    siret: str | None = Field(default=None, max_length=20, description="14 digits, spaces allowed")
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: EmailStr | None = None
    contact_phone: str | None = Field(default=None, max_length=40)


class DonorRead(BaseModel):
    id: int
    name: str
    siret: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    created_at: str


class BatchCreate(BaseModel):
    donor_id: RowId
    pickup_date: date
    site: str = Field(min_length=2, max_length=200)
    declared: dict[Category, Count] = Field(default_factory=dict)
    workshop: str | None = Field(default=None, max_length=200)


class CategoryCounts(BaseModel):
    declared: int
    received: int
    difference: int


class BatchRead(BaseModel):
    id: int
    donor_id: int
    donor_name: str
    pickup_date: date
    site: str
    workshop: str | None
    declared: dict[str, int]
    received: dict[str, int]
    counts: dict[str, CategoryCounts]
    balanced: bool
    closed: bool
    closing_comment: str | None
    closed_at: str | None
    created_at: str


class BatchClose(BaseModel):
    comment: str | None = Field(default=None, max_length=2000)


class DeviceIntake(BaseModel):
    category: Category
    brand: str | None = Field(default=None, max_length=120)
    model: str | None = Field(default=None, max_length=200)
    serial: str = Field(min_length=1, max_length=120)
    imei: str | None = Field(default=None, max_length=40)
    asset_tag: str | None = Field(default=None, max_length=120)
    attributes: JsonObject = Field(
        default_factory=dict,
        description="free facts (specs, condition…): text, whole numbers, yes/no, lists, "
        "objects; decimal numbers are kept as text",
    )


class RowError(BaseModel):
    row: int
    column: str
    message: str


class ImportReport(BaseModel):
    import_id: int | None
    dry_run: bool
    file_sha256: str
    rows: int
    created: int
    already_present: int
    skipped: int
    problem_count: int = Field(description="problems found in all; `skipped_rows` lists the first")
    skipped_rows: list[RowError]
    refused_csv_url: str | None
    devices_url: str
