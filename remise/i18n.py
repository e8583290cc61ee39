"""Translations: gettext catalogs managed with Babel, French first.

The `.po` catalogs under `remise/locale/` are the source; they are compiled in
memory when first needed, so there is no build step and no `.mo` file to forget.
`make messages` extracts new messages and updates the catalogs.
"""

from __future__ import annotations

import io
from dataclasses import fields, is_dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from db.errors import Message

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
CATALOGS = Path(__file__).parent / "locale"


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for `locale` (English is the source language)."""
    path = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
    if locale == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def translate(locale: str, message: str, **params: Any) -> str:
    """`message` in `locale`, with its parameters (translated first if they are Messages)."""
    text = translations(locale).gettext(message)
    if not params:
        return text
    return text % {key: _param(locale, value) for key, value in params.items()}


def translate_plural(locale: str, singular: str, plural: str, count: int, **params: Any) -> str:
    """The form of `singular`/`plural` that `count` takes in `locale`, with its parameters."""
    text = translations(locale).ngettext(singular, plural, count)
    return text % {key: _param(locale, value) for key, value in params.items()}


def number(locale: str, value: float | int | str) -> str:
    """A number (or a decimal string, as measures are stored) in `locale`, with every
    decimal it has: a form field showing it sends the same number back. Pages show the
    same few numbers (limits, label sizes) again and again: each is formatted once."""
    return _number(locale, repr(value), value)


@lru_cache(maxsize=4096)
def _number(locale: str, _spelt: str, value: float | int | str) -> str:
    # Keyed by how the value is spelt too: 1, 1.0 and "1.0" are equal keys, and so are
    # 0.0 and -0.0, but babel may not write them alike.
    return format_decimal(value, locale=locale, decimal_quantization=False)


def _param(locale: str, value: Any) -> Any:
    """A message parameter as text: Messages translated, lists of them joined."""
    if isinstance(value, list | tuple):
        return ", ".join(str(_param(locale, item)) for item in value)
    return localise(locale, value)


def negotiate(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Pick a supported locale from an Accept-Language header, best q-value first."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, quality = part.strip().partition(";q=")
        try:
            ranked.append((-float(quality or 1), index, tag.strip().replace("-", "_")))
        except ValueError:
            continue
    preferred = [tag for _, _, tag in sorted(ranked) if tag and tag != "*"]
    try:
        found = Locale.negotiate(preferred, list(LOCALES), sep="_")
    except (UnknownLocaleError, ValueError):
        found = None
    return found.language if found else default


def localise(locale: str, value: Any) -> Any:
    """`value` with every Message in it translated: inside lists, dicts and dataclasses."""
    if isinstance(value, Message):
        return translate(locale, value.template, **value.params)
    if callable(getattr(value, "in_", None)):  # a text given in each language (checklists)
        return value.in_(locale)
    if isinstance(value, dict):
        return {key: localise(locale, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [localise(locale, item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: localise(locale, getattr(value, f.name)) for f in fields(value)}
    return value
