"""The pages' templates: one Jinja environment per language, with fixed texts translated
when a template is compiled rather than each time a page is shown.

A page says dozens of fixed texts, `{{ _("Print label") }}`. Called at run time, each
is a function call through Jinja's context, a catalogue look-up and an escape, on every
page: on the bench's device page they were a third of the rendering. Here every
environment belongs to one language, and `_("…")` with one literal and nothing else is
replaced, as the template is read, by its translation marked safe (what `_` returns at
run time: translations are trusted like the template itself); Jinja then folds it into
the template's static text. `_("…", name=value)`, a text joined by `~`, `ngettext` and
`{% trans %}` are left to run time, with the `_` of `remise.pages.gettext_for`. Templates
keep their plain `_("…")`, so `make messages` finds every message as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined, Template
from jinja2.bccache import Bucket
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from remise.i18n import DEFAULT_LOCALE, LOCALES, translations


class FixedTexts(Extension):
    """`_("literal")` becomes `("translation"|safe)` in the environment's language."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        catalog = translations(self.environment.globals["page_language"])
        window: list[Token] = []
        previous: Token | None = None
        for token in stream:
            window.append(token)
            if len(window) < 5:
                continue
            name, opening, text, closing, following = window
            if (
                name.type == "name"
                and name.value == "_"
                and opening.type == "lparen"
                and text.type == "string"
                and closing.type == "rparen"
                and (previous is None or previous.type not in _LEFT_AS_IS)
                and following.type != "tilde"
            ):
                translated = catalog.gettext(text.value)
                line = name.lineno
                yield Token(line, "lparen", "(")
                yield Token(line, "string", translated)
                yield Token(line, "pipe", "|")
                yield Token(line, "name", "safe")
                yield Token(line, "rparen", ")")
                previous, window = closing, [following]
                continue
            previous = window.pop(0)
            yield previous
        yield from window


# `x._("…")` is someone else's `_`. Joined by `~`, a constant is folded into plain text,
# which autoescape would then escape: such a text is translated at run time, as before.
_LEFT_AS_IS = {"dot", "tilde"}


class _Compiled(BytecodeCache):
    """Templates compiled in one language, kept for the process: every app made in it
    (the test suite makes hundreds) compiles each template once. A template whose source
    changed is compiled again (Jinja checks the source's checksum)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = {locale: _Compiled() for locale in LOCALES}


def environment(
    directories: list[Path], locale: str, filters: dict[str, Callable[..., Any]]
) -> Environment:
    """The Jinja environment of the pages in `locale`, searching `directories` in order."""
    env = Environment(
        loader=FileSystemLoader(directories),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", FixedTexts],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates are part of the release: not looked at on disk again on every page
        # (each page includes several). A changed template needs a restart.
        auto_reload=False,
        bytecode_cache=_COMPILED.get(locale),
    )
    env.globals["page_language"] = locale
    env.filters.update(filters)
    return env


class Templates:
    """The pages' environments, one per language, sharing their globals."""

    def __init__(self, directories: list[Path], filters: dict[str, Callable[..., Any]]) -> None:
        self._by_locale = {locale: environment(directories, locale, filters) for locale in LOCALES}

    def get_template(self, name: str, locale: str = DEFAULT_LOCALE) -> Template:
        return self._by_locale.get(locale, self._by_locale[DEFAULT_LOCALE]).get_template(name)

    def add_globals(self, **values: Any) -> None:
        for env in self._by_locale.values():
            env.globals.update(values)
