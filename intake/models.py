"""Intake's own table (import records) and what its API takes and answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from annotated_types import MaxLen
from pydantic import BaseModel, EmailStr, Field, field_validator
from pydantic_core import PydanticCustomError
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


EMAIL_MAX = 254  # the longest address RFC 5321 lets through, and the column's size


def max_lengths(model: type[BaseModel]) -> dict[str, int]:
    """The longest text each field of `model` takes: the pages' `maxlength`, so that a
    form and the API it shares a schema with cannot disagree."""
    return {
        name: limit.max_length
        for name, field in model.model_fields.items()
        for limit in field.metadata
        if isinstance(limit, MaxLen)
    }


class DonorCreate(BaseModel):
    name: str = Field(min_length=2, max_length=200)
    siret: str | None = Field(default=None, max_length=20, description="14 digits, spaces allowed")
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: EmailStr | None = Field(default=None, max_length=EMAIL_MAX)
    contact_phone: str | None = Field(default=None, max_length=40)

    @field_validator("contact_email", mode="before")
    @classmethod
    def _not_too_long(cls, value: Any) -> Any:
        # Checked before the address itself, so that the answer names the limit rather
        # than the e-mail validator's English words.
        if isinstance(value, str) and len(value) > EMAIL_MAX:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": EMAIL_MAX},
            )
        return value


class DonorRead(BaseModel):
    id: int
    name: str
    siret: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    created_at: str


class DonorCreated(DonorRead):
    same_siret: list[int] = Field(
        default_factory=list,
        description="donors recorded earlier with the same SIRET: most often the same company "
        "entered again, whose id to use instead (the donor is created all the same)",
    )


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


class CategoryReading(BaseModel):
    """How one value of the file's category column was read, and for how many rows."""

    value: str = Field(description="the value as the file writes it (its first spelling)")
    category: Category | None = Field(
        description="the category read; null: the value names two kinds of device and waits "
        "for an answer (send `categories`), those rows are not imported until then"
    )
    count: int = Field(description="rows read this way")
    rows: list[int] = Field(description="the first 20 of those rows (the file's row numbers)")
    evidence: str | None = Field(
        description="how it was decided: `name` (the word says it), `default` (no category: "
        "the `category` parameter), `smartphone_model`, `basic_phone_model`, `computer_model` "
        "(the brand and model are known), `imei` (a phone, not a laptop), `answer` (yours); "
        "null while waiting"
    )
    explanation: str | None = Field(description="`evidence` for a person, in their language")
    choices: list[Category] = Field(description="the categories to choose from, while waiting")


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
    waiting_rows: int = Field(
        0, description="rows whose category waits for an answer; refused until it is given"
    )
    category_readings: list[CategoryReading] = Field(
        default_factory=list,
        description="how each value of the category column was read, for the rows to import "
        "and those waiting for an answer",
    )
