"""Intake's own table (import records) and what its API takes and answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, EmailStr, Field, field_validator
from sqlalchemy import Column, Text
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from db.enums import Category


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
    refused_csv: str | None = SQLField(default=None, sa_column=Column(Text))
    actor: str = SQLField(max_length=120)
    created_at: str = SQLField(max_length=32)


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
    donor_id: int
    pickup_date: date
    site: str = Field(min_length=2, max_length=200)
    declared: dict[Category, int] = Field(default_factory=dict)
    workshop: str | None = Field(default=None, max_length=200)

    @field_validator("declared")
    @classmethod
    def _counts_are_natural(cls, value: dict[Category, int]) -> dict[Category, int]:
        if any(count < 0 for count in value.values()):
            raise ValueError("declared counts cannot be negative")
        return value


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
    attributes: dict[str, Any] = Field(default_factory=dict)


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
    skipped_rows: list[RowError]
    refused_csv_url: str | None
    devices_url: str
