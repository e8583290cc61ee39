"""Fixed texts are translated when a template is compiled: `_("literal")` reads as its
translation whatever `_` the page passes, everything else still calls `_` when shown,
the output is the one the run-time `_` gives, and Babel still finds every message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from jinja2 import Environment

from remise.i18n import translations
from remise.pages import gettext_for
from remise.templating import Templates, environment

LABELS_FORM = Path(__file__).resolve().parents[2] / "labels/templates/labels/print_form.html"


def runtime(message: str, **params: Any) -> str:
    """A `_` that no page has: what it returns shows that it was called."""
    return f"RUN[{message}]{params or ''}"


class Holder:
    def _(self, message: str) -> str:
        return f"OBJ[{message}]"


def env_with(tmp_path: Path, locale: str, **templates: str) -> Environment:
    for name, text in templates.items():
        (tmp_path / f"{name}.html").write_text(text, encoding="utf-8")
    return environment([tmp_path], locale, {})


def shown(env: Environment, template: str, **context: Any) -> str:
    return env.get_template(f"{template}.html").render(**context)


def test_the_french_catalogue_translates_the_messages_used_here() -> None:
    assert translations("fr").gettext("Sign out") == "Se déconnecter"
    assert translations("fr").gettext("Label format") == "Format d'étiquette"
    assert translations("fr").gettext("Batch %(id)s") == "Lot %(id)s"


def test_a_fixed_text_is_translated_when_compiled_not_by_the_pages_underscore(
    tmp_path: Path,
) -> None:
    env = env_with(tmp_path, "fr", page='{{ _("Sign out") }}')
    assert shown(env, "page", _=runtime) == "Se déconnecter"


def test_a_fixed_text_needs_no_underscore_at_all(tmp_path: Path) -> None:
    """Replaced at compile time, the call is gone: StrictUndefined has nothing to refuse."""
    env = env_with(tmp_path, "fr", page='<button>{{ _("Sign out") }}</button>')
    assert shown(env, "page") == "<button>Se déconnecter</button>"


def test_a_text_with_parameters_still_calls_underscore_when_shown(tmp_path: Path) -> None:
    env = env_with(tmp_path, "fr", page='{{ _("Batch %(id)s", id=number) }}')
    assert shown(env, "page", _=runtime, number=7) == "RUN[Batch %(id)s]{&#39;id&#39;: 7}"
    gettext, _ngettext = gettext_for("fr")
    assert shown(env, "page", _=gettext, number=7) == "Lot 7"


def test_an_underscore_method_of_an_object_is_left_alone(tmp_path: Path) -> None:
    env = env_with(tmp_path, "fr", page='{{ holder._("Sign out") }}')
    assert shown(env, "page", _=runtime, holder=Holder()) == "OBJ[Sign out]"


def test_a_text_given_as_a_variable_is_translated_when_shown(tmp_path: Path) -> None:
    env = env_with(tmp_path, "fr", page='{% set m = "Sign out" %}{{ _(m) }}')
    assert shown(env, "page", _=runtime) == "RUN[Sign out]"


def test_in_english_the_literal_is_kept(tmp_path: Path) -> None:
    env = env_with(tmp_path, "en", page='{{ _("Sign out") }}|{{ _("No such message, ever") }}')
    assert shown(env, "page", _=runtime) == "Sign out|No such message, ever"


def test_fixed_texts_side_by_side_are_each_translated(tmp_path: Path) -> None:
    env = env_with(
        tmp_path,
        "fr",
        page='{{ _("Sign out") }}{{ _("Sign out") }} {{ _("Sign out") + " / " + _("Sign out") }}',
    )
    assert shown(env, "page") == "Se déconnecterSe déconnecter Se déconnecter / Se déconnecter"


def test_each_language_has_its_own_compiled_templates(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text('{{ _("Sign out") }}', encoding="utf-8")
    templates = Templates([tmp_path], {})
    assert templates.get_template("page.html", "fr").render() == "Se déconnecter"
    assert templates.get_template("page.html", "en").render() == "Sign out"
    assert templates.get_template("page.html", "fr").render() == "Se déconnecter"
    assert templates.get_template("page.html", "de").render() == "Se déconnecter"  # default


# Messages whose translation, or text, holds characters HTML escapes: the page must show
# what the run-time `_` of `remise.pages` shows (it marks translations safe).
ESCAPED = ["Label format", "Fish & <b>chips</b> at l'Atelier", "Ce n'est pas <i>rien</i> & co"]


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("message", ESCAPED)
@pytest.mark.parametrize(
    "around",
    [
        "{{ %s }}",
        '<input placeholder="{{ %s }}">',
        "{{ %s|upper }}",
        "{{ (%s, 'x')|join(' ') }}",
        "{{ %s ~ name }}",
    ],
)
def test_a_fixed_text_shows_as_the_run_time_underscore_shows_it(
    tmp_path: Path, locale: str, message: str, around: str
) -> None:
    fixed = around % f'_("{message}")'
    at_run_time = '{% set m = "' + message + '" %}' + around % "_(m)"
    env = env_with(tmp_path, locale, fixed=fixed, at_run_time=at_run_time)
    gettext, _ngettext = gettext_for(locale)
    compiled = shown(env, "fixed", _=gettext, name="!")
    if "~" not in around:  # a text joined by `~` is translated at run time (templating.py)
        assert compiled == shown(env, "fixed", _=runtime, name="!")  # translated when compiled
    assert compiled == shown(env, "at_run_time", _=gettext, name="!")
    assert "&amp;" not in compiled and "&lt;" not in compiled  # not escaped a second time


@pytest.mark.parametrize("message", ["Label format", "Fish & <b>chips</b>"])
def test_a_fixed_text_joined_to_a_literal_shows_as_at_run_time(
    tmp_path: Path, message: str
) -> None:
    fixed = '{{ _("' + message + '") ~ "!" }}'
    at_run_time = '{% set m = "' + message + '" %}{{ _(m) ~ "!" }}'
    env = env_with(tmp_path, "fr", fixed=fixed, at_run_time=at_run_time)
    gettext, _ngettext = gettext_for("fr")
    assert shown(env, "fixed", _=gettext) == shown(env, "at_run_time", _=gettext)


def test_babel_still_finds_the_messages_of_a_template() -> None:
    found = {
        message
        for _line, message, _comments, _context in extract_from_file(
            "jinja2", str(LABELS_FORM), keywords={"_": None, "gettext": None}
        )
    }
    assert "Label format" in found
    assert "Roll (thermal printer)" in found and "A4 sheets" in found
