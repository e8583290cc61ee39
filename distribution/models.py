"""What the API takes and answers about partner structures (the table lives in `db`)."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field


class StructureCreate(BaseModel):
    name: str = Field(min_length=2, max_length=200)
    city: str | None = Field(default=None, max_length=120)
    contact_email: EmailStr | None = None


class StructureRead(BaseModel):
    id: int
    name: str
    city: str | None
    contact_email: str | None
    created_at: str
