"""What the certificate calls things, in the reader's language: the erasure vocabulary as
msgids, and dates, sizes and counts written the way French or English readers expect."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal

from db.enums import CATEGORY_LABELS, Category
from db.errors import N_
from remise.i18n import translate

# NIST SP 800-88's three levels; French keeps the standard's names beside its own words.
LEVELS = {"clear": N_("Clear"), "purge": N_("Purge"), "destroy": N_("Destroy")}
METHODS = {
    "overwrite": N_("Overwrite"),
    "ata_secure_erase": N_("ATA Secure Erase"),
    "nvme_sanitize": N_("NVMe Sanitize"),
    "nvme_format_crypto": N_("NVMe Format with cryptographic erase"),
    "crypto_erase": N_("Cryptographic erase"),
    # a factory reset only sanitizes an encrypted phone: it destroys the storage's key
    "factory_reset": N_("Factory reset of the encrypted storage (cryptographic erase)"),
    "shred": N_("Shredding"),
    "punch": N_("Punching"),
    "disintegrate": N_("Disintegration"),
}
# Overwrite patterns, as nwipe names its methods; any other is printed as recorded.
PATTERNS = {
    "zero": N_("zeros"),
    "one": N_("ones"),
    "random": N_("random data"),
    "prng": N_("random data"),
    "dodshort": N_("DoD short"),
    "dod522022m": N_("DoD 5220.22-M"),
    "gutmann": N_("Gutmann"),
    "ops2": N_("RCMP TSSIT OPS-II"),
    "is5enh": N_("HMG IS5 enhanced"),
}
VERIFICATION_METHODS = {
    "full": N_("full read"),
    "sampled": N_("sampled read"),
    "none": N_("no verification"),
}
MEDIUM_TYPES = {
    "hdd": N_("Hard disk drive"),
    "ssd": N_("SSD"),
    "nvme": N_("NVMe SSD"),
    "emmc": N_("eMMC storage"),
    "internal": N_("Internal storage"),
    "sd": N_("SD card"),
    "usb": N_("USB drive"),
    "other": N_("Other"),
}
STATUSES = {
    "passed": N_("Erased"),
    "destroyed": N_("Destroyed"),
    "failed": N_("Failed"),
    "missing": N_("Waiting"),
}
DESTINATIONS = {
    "reuse": N_("reuse through a partner structure"),
    "parts": N_("dismantled for parts"),
    "recycling": N_("recycling"),
}
LOCALES = {"fr": "fr_FR", "en": "en_GB"}  # en_GB: day before month, as in the French text
SIZE_UNITS = (
    (10**12, N_("TB")),
    (10**9, N_("GB")),
    (10**6, N_("MB")),
    (10**3, N_("kB")),
)  # fmt: skip; decimal units, as drive makers print them
DASH = "—"
FRENCH_SPACES = (
    (" :", "\u00a0:"), (" ;", "\u00a0;"), (" !", "\u00a0!"), (" ?", "\u00a0?"),
    ("« ", "«\u00a0"), (" »", "\u00a0»"),
)  # fmt: skip


class Words:
    """The certificate's texts in `locale`, times shown in `zone`."""

    def __init__(self, locale: str, zone: ZoneInfo) -> None:
        self.locale = locale
        self.zone = zone
        self._babel = LOCALES.get(locale, "en_GB")

    def __call__(self, message: str, **params: Any) -> str:
        """`message` translated; French spaces before : ; » and after « do not break."""
        text = translate(self.locale, message, **params)
        if self.locale != "fr":
            return text
        for spaced, kept in FRENCH_SPACES:
            text = text.replace(spaced, kept)
        return text

    def term(self, table: dict[str, str], key: str | None) -> str:
        """A vocabulary word (LEVELS, METHODS…); unknown keys are printed as recorded."""
        if not key:
            return DASH
        return self(table[key]) if key in table else key

    def category(self, key: str | None) -> str:
        try:
            return self(CATEGORY_LABELS[Category(key or Category.OTHER)])
        except ValueError:  # a category added after this certificate's code
            return key or DASH

    def moment(self, value: str | None) -> datetime | None:
        """An ISO 8601 time of the content, in the reader's zone (naive times are UTC)."""
        if not value:
            return None
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo("UTC"))
        return moment.astimezone(self.zone)

    def day(self, value: str | None) -> str:
        """23 nov. 2026 / 23 Nov 2026: short enough for a table cell."""
        moment = self.moment(value)
        return format_date(moment.date(), "medium", locale=self._babel) if moment else DASH

    def long_day(self, value: str | None) -> str:
        """1er novembre 2026 / 1 November 2026."""
        moment = self.moment(value)
        if moment is None:
            return DASH
        text = format_date(moment.date(), "d MMMM y", locale=self._babel)
        return "1er" + text[1:] if self.locale == "fr" and moment.day == 1 else text

    def long_moment(self, value: str | None) -> str:
        """23 novembre 2026 à 10 h 30 / 23 November 2026 at 10:30."""
        moment = self.moment(value)
        if moment is None:
            return DASH
        clock = self(N_("%(hour)s:%(minute)s"), hour=moment.hour, minute=f"{moment.minute:02d}")
        return self(N_("%(date)s at %(time)s"), date=self.long_day(value), time=clock)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self._babel)

    def size(self, size_bytes: int | None) -> str:
        """250,1 Go / 250.1 GB."""
        if size_bytes is None:
            return ""
        for factor, unit in SIZE_UNITS:
            if size_bytes >= factor:
                amount = (Decimal(size_bytes) / factor).quantize(Decimal("0.1"), ROUND_HALF_UP)
                figure = format_decimal(amount, format="#,##0.#", locale=self._babel)
                return f"{figure}\u00a0{self(unit)}"
        return self(N_("%(count)s bytes"), count=size_bytes)

    def passes(self, count: int | None) -> str:
        if count is None:
            return ""
        if count == 1:
            return self(N_("1 pass"))
        return self(N_("%(count)s passes"), count=self.number(count))

    def devices(self, count: int) -> str:
        if count == 0:
            return self(N_("no device"))
        if count == 1:
            return self(N_("1 device"))
        return self(N_("%(count)s devices"), count=self.number(count))

    def media(self, count: int) -> str:
        if count == 0:
            return self(N_("no storage medium"))
        if count == 1:
            return self(N_("1 storage medium"))
        return self(N_("%(count)s storage media"), count=self.number(count))
