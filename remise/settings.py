"""Settings, read once from the environment (`REMISE_…`) at the entry point."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from remise.mail import BadSmtpUrl, Server

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
    cookie_secure: bool | None = Field(
        default=None,
        description="send every cookie over HTTPS only; unset: on in production, off otherwise",
    )
    max_body_kb: int = Field(
        default=1024, ge=1, description="largest JSON or form body a request may send, in KB"
    )
    max_upload_mb: int = Field(
        default=50, ge=1, description="largest file upload (asset list, photo), in MB"
    )
    trusted_proxies: str = Field(
        default="",
        description="reverse proxies whose X-Forwarded-For/-Proto are believed: comma-separated "
        "addresses or networks (none by default)",
    )
    max_import_rows: int = Field(
        default=500_000, ge=1, description="rows an imported asset list may have, at most"
    )
    upload_keep_hours: int = Field(
        default=24, ge=1, description="how long a checked but unconfirmed upload is kept"
    )
    refused_rows_days: int = Field(
        default=30, ge=1, description="how long refused rows stay downloadable after a batch closes"
    )
    max_xlsx_uncompressed_mb: int = Field(
        default=200, ge=1, description="an .xlsx asset list may unpack to this many MB at most"
    )
    max_xlsx_ratio: int = Field(
        default=100, ge=2, description="most unpacked:packed size of an .xlsx part over 1 MB"
    )
    max_cell_chars: int = Field(
        default=32_767, ge=255, le=100_000, description="longest cell of an imported list"
    )
    threads: int = Field(
        default=16,
        ge=1,
        le=200,
        description="worker threads per process for the requests' database work; each "
        "engine keeps as many connections (PostgreSQL: mind max_connections across workers)",
    )
    credential_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="how long a worker remembers a token or session that worked, in seconds "
        "(0: look it up every time); a change made in another process is seen this much later",
    )
    certificate_key: Path | None = Field(
        default=None,
        description="the Ed25519 key (PEM) that signs erasure certificates; unset: "
        "certificate-key.pem in data_dir, made on first use (development only: production "
        "refuses to start without one; make it with `remise certificate new-key FILE`)",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the address donors reach Remise at: certificates' QR codes open "
        "PUBLIC_URL/verify/CODE",
    )
    erasure_sample_percent: int = Field(
        default=5,
        ge=1,
        le=100,
        description="share of the media erased each week drawn for re-verification by "
        "another operator (R2v3 asks for 5 % at least)",
    )
    erasure_sample_weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = Field(
        default="mon", description="the day the weekly re-verification sample is drawn"
    )
    organisation_siret: str | None = Field(
        default=None,
        pattern=r"^\d{14}$",
        description="the association's SIRET (14 digits), printed on the structures' receipts",
    )
    quota_period: Literal["month", "quarter", "year"] = Field(
        default="quarter", description="the calendar period a structure's quotas are counted in"
    )
    claim_hold_days: int = Field(
        default=14, ge=1, le=365, description="how long a claim holds its devices until handover"
    )
    claim_reminder_days: int = Field(
        default=3, ge=0, le=60, description="a structure is reminded this many days before expiry"
    )
    warranty_months: int = Field(
        default=12, ge=0, le=120, description="a handed-over device may be reported faulty so long"
    )
    smtp_url: str | None = Field(
        default=None,
        description="where e-mail goes out: smtp://[user:password@]host[:port] (smtps:// for "
        "TLS, smtp+starttls://); unset: structures read their inbox only",
    )
    mail_from: str = Field(default="remise@localhost", description="the sender of e-mails")
    coordinator_email: str | None = Field(
        default=None,
        max_length=254,
        description="where news for the coordinators goes by e-mail (a structure signed up "
        "and waits for approval); unset: the dashboard only",
    )
    distribution_interval_minutes: int = Field(
        default=1, ge=1, le=60, description="how often expiries, reminders and the waitlist run"
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

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Server.parse(value)
            except BadSmtpUrl as exc:
                raise ValueError(str(exc)) from exc
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        for item in _items(value):
            try:
                ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an address or a network (10.0.0.0/8)") from exc
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _items(self.trusted_proxies)

    @model_validator(mode="after")
    def _secure_cookies_in_production(self) -> Settings:
        if self.cookie_secure is None:
            self.cookie_secure = self.environment == "production"
        return self

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


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
