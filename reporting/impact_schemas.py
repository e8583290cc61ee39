"""What the impact factors' API and pages take and answer: a factor set, validated (each
value a positive number, each factor with its source and vintage, in its measure's
unit), and its versions."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from db.enums import Category
from reporting.impact_rules import UNITS, Measure

VALUE_MAX = 100_000  # kg per device: a factor above 100 t is a typing error
SOURCE_MAX = 300
URL_MAX = 500
VINTAGE_MAX = 60
NOTE_MAX = 1000
TITLE_MAX = 200

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class FactorIn(BaseModel):
    """One factor: how much one device of a category weighs in a measure, and where the
    figure comes from."""

    model_config = ConfigDict(extra="forbid")

    value: float = Field(gt=0, le=VALUE_MAX, allow_inf_nan=False, description="per device")
    unit: str | None = Field(default=None, description="the measure's unit; left out: filled in")
    source: Annotated[Text, StringConstraints(max_length=SOURCE_MAX)]
    url: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=URL_MAX, pattern=r"^https?://\S+$"),
        ]
        | None
    ) = None
    vintage: Annotated[Text, StringConstraints(max_length=VINTAGE_MAX)] = Field(
        description="the release of the figure: 2025, 2022"
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTE_MAX)] | None = (
        None
    )


class FactorSetIn(BaseModel):
    """A whole set: `factors[measure][category]`. A category a measure does not name has
    no factor for it, and its devices are not counted in that measure."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=TITLE_MAX)] | None = (
        None
    )
    factors: dict[Measure, dict[Category, FactorIn]]

    @model_validator(mode="after")
    def _units_and_content(self) -> FactorSetIn:
        if not any(self.factors.values()):
            raise ValueError("a factor set needs at least one factor")
        for measure, by_category in self.factors.items():
            for category, factor in by_category.items():
                if factor.unit is None:
                    factor.unit = UNITS[measure]
                elif factor.unit != UNITS[measure]:
                    raise ValueError(
                        f"factors.{measure.value}.{category.value}.unit: {measure.value} "
                        f"is in {UNITS[measure]!r}, not {factor.unit!r}"
                    )
        return self


class ImpactFactorsCreate(FactorSetIn):
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTE_MAX)] | None = (
        Field(default=None, description="what changed and why, kept with the version")
    )


class FactorSetRead(BaseModel):
    version: int
    current: bool
    stored: bool = Field(description="false: the set shipped with Remise, not stored yet")
    created_at: str | None
    created_by: str | None
    note: str | None
    title: str | None
    factors: dict[str, dict[str, dict[str, Any]]]


class FactorVersionRead(BaseModel):
    version: int
    current: bool
    stored: bool
    created_at: str | None
    created_by: str | None
    note: str | None
