"""What the erasure API takes and answers (the tables are in `db.media`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from db.media import Level, MediumState, MediumType, Method, Verification

TEXT_MAX = 120
COMMENT_MAX = 1000
ERRORS_MAX = 50  # error lines kept per record
ERROR_MAX = 500  # characters of one error line
MAX_SIZE = 2**63 - 1


class MediumIn(BaseModel):
    """A storage medium entered by hand (the probe adds those it finds)."""

    model_config = ConfigDict(extra="forbid")
    type: MediumType
    manufacturer: str | None = Field(default=None, max_length=TEXT_MAX)
    model: str | None = Field(default=None, max_length=TEXT_MAX)
    serial: str | None = Field(default=None, max_length=TEXT_MAX)
    size_bytes: int | None = Field(default=None, ge=1, le=MAX_SIZE)
    name: str | None = Field(
        default=None, max_length=40, description="the kernel's name for it, e.g. sda"
    )


class MediumRead(BaseModel):
    id: int
    type: str
    manufacturer: str | None
    model: str | None
    serial: str | None
    size_bytes: int | None
    name: str | None
    source: str = Field(description="probe, manual, report or part")
    replaces_id: int | None
    created_at: str
    created_by: str
    state: MediumState
    described: str = Field(description="how the pages name it")


class VerificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Verification
    passed: bool | None = Field(
        default=None, description="the result; required unless the method is `none`"
    )

    @model_validator(mode="after")
    def _result(self) -> VerificationIn:
        if self.method != Verification.NONE and self.passed is None:
            raise ValueError("say whether the verification passed (`passed`: true or false)")
        if self.method == Verification.NONE and self.passed is not None:
            raise ValueError("a verification of method `none` has no result: leave out `passed`")
        return self


class ErasureIn(BaseModel):
    """One sanitization of one medium, entered by hand or by a tool of the bench."""

    model_config = ConfigDict(extra="forbid")
    medium_id: int | None = Field(default=None, ge=1, le=MAX_SIZE)
    medium: MediumIn | None = Field(default=None, description="a medium not known yet")
    level: Level
    method: Method
    pattern: str | None = Field(
        default=None, max_length=40, description="overwrite: zero, one, random, dodshort…"
    )
    passes: int | None = Field(default=None, ge=1, le=1000)
    tool: str | None = Field(default=None, max_length=60)
    tool_version: str | None = Field(default=None, max_length=40)
    started_at: str | None = Field(default=None, max_length=32, description="ISO 8601")
    finished_at: str | None = Field(default=None, max_length=32, description="ISO 8601")
    verification: VerificationIn
    hidden_areas: str | None = Field(
        default=None, max_length=COMMENT_MAX, description="HPA/DCO found, and what was done"
    )
    errors: list[str] = Field(default_factory=list, max_length=ERRORS_MAX)
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)

    @model_validator(mode="after")
    def _one_medium(self) -> ErasureIn:
        if (self.medium_id is None) == (self.medium is None):
            raise ValueError("give either `medium_id` (a known medium) or `medium` (a new one)")
        if any(len(e) > ERROR_MAX for e in self.errors):
            raise ValueError(f"an error line may have {ERROR_MAX} characters at most")
        return self


class ErasureRead(BaseModel):
    id: int
    medium_id: int
    run_id: int | None
    level: str
    method: str
    pattern: str | None
    passes: int | None
    tool: str | None
    tool_version: str | None
    started_at: str | None
    finished_at: str | None
    verification: dict[str, Any]
    passed: bool
    hidden_areas: str | None
    errors: list[str]
    comment: str | None
    operator: str
    source: str
    report: dict[str, Any]
    report_sha256: str | None
    report_name: str | None
    reverifies_id: int | None
    recorded_at: str


class MediumErasures(BaseModel):
    medium: MediumRead
    erasures: list[ErasureRead] = Field(description="newest first")


class MissingErasure(BaseModel):
    medium_id: int | None
    state: str
    reason: str


class ImportAnswer(BaseModel):
    report: dict[str, Any] = Field(description="what the file is: tool, version, kind, sha256")
    erasures: list[ErasureRead]
    already_recorded: bool = Field(description="this file was imported before: nothing new")


class ReverifyIn(BaseModel):
    """A second person's check of an erasure: read the medium back (remise bench
    verify-wipe, or the tool's own verification) and say what was found."""

    model_config = ConfigDict(extra="forbid")
    verification: VerificationIn
    tool: str | None = Field(default=None, max_length=60, description="e.g. remise verify-wipe")
    tool_version: str | None = Field(default=None, max_length=40)
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)

    @model_validator(mode="after")
    def _read_back(self) -> ReverifyIn:
        if self.verification.method == Verification.NONE:
            raise ValueError("a re-verification reads the medium back: method full or sampled")
        return self


class SampleItemRead(BaseModel):
    id: int
    week: str = Field(description="ISO week of the erasures drawn from, e.g. 2026-W48")
    erasure_id: int
    device_code: str
    medium_id: int
    medium: str
    level: str
    method: str
    pattern: str | None
    erased_at: str
    erased_by: str = Field(description="who erased it: someone else checks it again")
    drawn_at: str
    state: str = Field(description="queued, passed or failed")
    reverify_id: int | None
    checked_at: str | None
    checked_by: str | None


class DrawRead(BaseModel):
    week: str = Field(description="the ISO week drawn from, e.g. 2026-W48")
    seed: int | None = Field(description="the draw's seed (None when it was drawn before)")
    percent: int
    population: list[int] = Field(description="the passed erasures of the week, by id")
    drawn: list[int] = Field(description="the erasures queued for re-verification")
    already: bool = Field(description="the week was drawn before: nothing new was drawn")


class SamplingRead(BaseModel):
    percent: int
    items: list[SampleItemRead]
