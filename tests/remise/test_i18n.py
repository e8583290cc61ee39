"""Every message a user can see has its French translation, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from remise import i18n

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
SOURCES = ("db", "intake", "labels", "refurbish", "grading", "distribution", "remise")


def source_messages() -> set[str]:
    found: set[str] = set()
    for package in SOURCES:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package,
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_code_has_a_french_translation() -> None:
    with (i18n.CATALOGS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source)
    messages = source_messages()
    assert len(messages) > 300  # the pages' messages are in: templates are extracted too
    untranslated = sorted(m for m in messages if m not in catalog or not catalog[m].string)
    assert untranslated == []


def test_translations_keep_their_placeholders() -> None:
    french = i18n.translations("fr")
    for message in source_messages():
        assert set(PLACEHOLDER.findall(french.gettext(message))) == set(
            PLACEHOLDER.findall(message)
        )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "fr"),
        ("", "fr"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE,en;q=0.5,fr;q=0.8", "fr"),
        ("de-DE,en;q=0.9,fr;q=0.8", "en"),
        ("fr-CA", "fr"),
        ("es", "fr"),
        ("en;q=abc,fr", "fr"),
        ("*", "fr"),
    ],
)
def test_negotiate_picks_the_best_supported_language(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected
