"""Settings, read once from the environment (`REMISE_…`) at the entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REMISE_", env_file=None, extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/remise.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql://user@host/db",
    )
    data_dir: Path = Field(default=Path("var"), description="PDFs, uploads and other files")
    environment: Literal["development", "production"] = "development"
    secret_key: str = Field(default=DEVELOPMENT_SECRET, description="signs session cookies")
    default_locale: Literal["fr", "en"] = "fr"
    organisation: str = Field(default="Remise", description="the association, on receipts")
    idempotency_days: int = Field(default=30, ge=1, description="how long retried POSTs replay")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        default="NORMAL",
        description="FULL makes each commit survive a power cut, at one fsync per commit",
    )
    label_layouts: Path | None = Field(
        default=None,
        description="TOML file of extra label formats (default: label-layouts.toml in data_dir)",
    )
    timezone: str = Field(default="Europe/Paris", description="how pages show times")
    session_hours: int = Field(default=12, ge=1, le=24 * 30, description="web sign-in lifetime")
    cookie_secure: bool = Field(
        default=False, description="send the session cookie over HTTPS only (behind TLS: true)"
    )
    scheduler_enabled: bool = True
    ledger_check_interval_minutes: int = Field(default=60, ge=1)

    @property
    def label_layouts_file(self) -> Path:
        return self.label_layouts or self.data_dir / "label-layouts.toml"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (for example Europe/Paris)") from exc
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "REMISE_SECRET_KEY must be a random value of 32 characters or more in "
                "production: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return self
