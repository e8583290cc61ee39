"""Numbers as French people type them, and text limits that refuse rather than cut:
the rules as tables, then the API and the bench page's forms on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.engine import transaction
from db.enums import Role, Status
from db.errors import Message
from refurbish import checklist_form, checklists
from refurbish.checklists import MAX_TEXT, BadValue, Kind, Step
from refurbish.models import COLLECTOR_MAX, COMMENT_MAX, PART_MAX, PARTS_MAX, Outcome, PartKind
from remise import i18n
from tests.factories import auth, make_device, make_token
from tests.web.test_pages import csrf_of, make_user, sign_in

LABEL = {"fr": "Étape", "en": "Step"}
PERCENT = Step(key="battery", label=LABEL, kind=Kind.MEASURE, unit="%", min=60, max=100)
HOURS = Step(key="hours", label=LABEL, kind=Kind.MEASURE, unit="h")
NOTE = Step(key="notes", label=LABEL, kind=Kind.NOTE)
SPACES = re.compile(r"[\s\u202f\u00a0]+")


@pytest.mark.parametrize(
    ("text", "unit", "number"),
    [
        ("85", "%", 85),
        ("85 %", "%", 85),
        ("85%", "%", 85),
        ("85,5", "%", 85.5),
        ("85.5", "%", 85.5),
        ("85,5 %", "%", 85.5),
        ("85,5\u00a0%", "%", 85.5),  # a no-break space before the unit
        ("1 234,5", "h", 1234.5),  # thousands apart by a space
        ("1\u202f234,5", "h", 1234.5),  # … a narrow no-break space, as babel writes them
        ("1\u00a0234", "h", 1234),  # … a no-break space
        ("12 345 678", "h", 12345678),
        ("1 234,5 h", "h", 1234.5),
        ("1 234,5 H", "h", 1234.5),
        ("\u22123", "h", -3),  # the minus sign a word processor writes
        ("-3,5", "h", -3.5),
        ("  60 ", "%", 60),
        ("8.55e1", "%", 85.5),  # what a program sends
        ("0", None, 0),
    ],
)
def test_numbers_are_read_as_people_type_them(text: str, unit: str | None, number: float) -> None:
    assert checklists.parse_number(text, unit) == number


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("beaucoup", "%"),
        ("", "%"),
        ("%", "%"),
        ("12 34", "h"),  # spaces only between thousands
        ("1 2345", "h"),
        ("85 h", "%"),  # another step's unit
        ("85 %%", "%"),
        ("85,5,5", "%"),
        ("1 234.567,5", "h"),
    ],
)
def test_what_is_no_number_is_refused(text: str, unit: str) -> None:
    with pytest.raises(BadValue) as refused:
        checklists.parse_number(text, unit)
    assert refused.value.reason == "a number is expected"


@pytest.mark.parametrize(
    ("step", "given", "stored"),
    [
        (PERCENT, "85 %", 85),
        (PERCENT, "85,5 %", "85.5"),
        (PERCENT, "85,5", "85.5"),
        (HOURS, "1 234,5 h", "1234.5"),
        (HOURS, "1\u202f234", 1234),
    ],
)
def test_measures_typed_the_french_way_are_stored_as_numbers(
    step: Step, given: str, stored: Any
) -> None:
    assert checklists.normalise(step, given) == stored


@pytest.mark.parametrize(
    ("length", "kept"),
    [(1, True), (MAX_TEXT - 1, True), (MAX_TEXT, True), (MAX_TEXT + 1, False), (5000, False)],
)
def test_a_note_over_the_limit_is_refused_never_cut(length: int, kept: bool) -> None:
    text = "a" * length
    if kept:
        assert checklists.normalise(NOTE, f"  {text} ") == text
        return
    with pytest.raises(BadValue) as refused:
        checklists.normalise(NOTE, text)
    reason = Message(refused.value.reason, refused.value.params)
    french = SPACES.sub(" ", i18n.localise("fr", reason))
    assert french == f"2 000 caractères au plus : ce texte en a {length:,}".replace(",", " ")
    assert i18n.localise("en", reason) == f"2,000 characters at most: this text has {length:,}"


@pytest.mark.parametrize(
    ("count", "french", "english"),
    [
        (1, "1 étape demande une autre valeur.", "1 step needs another value."),
        (2, "2 étapes demandent une autre valeur.", "2 steps need another value."),
        (17, "17 étapes demandent une autre valeur.", "17 steps need another value."),
    ],
)
def test_the_count_of_steps_to_correct_is_singular_or_plural(
    count: int, french: str, english: str
) -> None:
    error = checklist_form.ChecklistInvalid(count=count)
    assert error.said("fr") == f"Rien n'a été enregistré : {french}"
    assert error.said("en") == f"Nothing was saved: {english}"


GOOD_FINISH = {"outcome": "parts", "parts": "ram: 8 GB DDR4\nécran 14 pouces", "comment": " ok "}


@pytest.mark.parametrize(
    ("changed", "field", "says"),
    [
        ({"outcome": ""}, "outcome", "Choose how the refurbishment ended."),
        ({"outcome": "lost"}, "outcome", "Choose how the refurbishment ended."),
        ({"comment": "c" * (COMMENT_MAX + 1)}, "comment", "1,000 characters at most"),
        ({"collector": "c" * (COLLECTOR_MAX + 1)}, "collector", "200 characters at most"),
        ({"parts": "ram: " + "r" * (PART_MAX + 1)}, "parts", "line 1: 200 characters at most"),
        ({"parts": "ok\n" + "x" * (PART_MAX + 1)}, "parts", "line 2: 200 characters at most"),
        ({"parts": "ram:"}, "parts", "line 1: say what the part is after “ram:”"),
        ({"parts": "a\n" * (PARTS_MAX + 1)}, "parts", "50 parts at most: this list has 51"),
    ],
)
def test_the_finish_form_names_the_field_that_does_not_suit(
    changed: dict[str, str], field: str, says: str
) -> None:
    with pytest.raises(checklist_form.FinishInvalid) as refused:
        checklist_form.finish_data(GOOD_FINISH | changed)
    problems = refused.value.extra["fields"]
    assert list(problems) == [field]
    assert i18n.localise("en", problems[field]).startswith(says)


@pytest.mark.parametrize(
    ("changed", "parts"),
    [
        ({}, [(PartKind.RAM, "8 GB DDR4"), (PartKind.OTHER, "écran 14 pouces")]),
        ({"parts": "ssd: " + "s" * PART_MAX}, [(PartKind.SSD, "s" * PART_MAX)]),
        ({"parts": "\n".join(["a"] * PARTS_MAX)}, [(PartKind.OTHER, "a")] * PARTS_MAX),
    ],
)
def test_the_finish_form_keeps_what_is_within_its_limits(
    changed: dict[str, str], parts: list[tuple[PartKind, str]]
) -> None:
    data = checklist_form.finish_data(GOOD_FINISH | changed)
    assert data.outcome == Outcome.PARTS and data.comment == "ok" and data.collector is None
    assert [(p.kind, p.description) for p in data.parts] == parts


# --- the API and the page, on a database ------------------------------------------


@pytest.fixture
def bench(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.BENCH))


@pytest.fixture
def code(engine: Engine) -> str:
    with transaction(engine) as session:
        return make_device(session, status=Status.LABELLED).code


@pytest.fixture
def run_id(client: TestClient, bench: dict[str, str], code: str) -> int:
    answer = client.post(f"/api/v1/devices/{code}/runs", headers=bench, json={})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


@pytest.mark.parametrize(
    ("typed", "stored", "state"),
    [
        ("85 %", 85, "passed"),
        ("85,5", "85.5", "passed"),
        ("85,5 %", "85.5", "passed"),
        ("1 234,5", "1234.5", "failed"),
        ("1\u202f234,5 %", "1234.5", "failed"),
    ],
)
def test_the_api_takes_a_measure_typed_the_french_way(
    client: TestClient, bench: dict[str, str], run_id: int, typed: str, stored: Any, state: str
) -> None:
    url = f"/api/v1/runs/{run_id}/steps/battery_health"
    answer = client.put(url, headers=bench, json={"value": typed})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["value"], answer.json()["state"]) == (stored, state)


def test_the_api_refuses_a_note_over_the_limit_naming_field_and_limit(
    client: TestClient, bench: dict[str, str], run_id: int
) -> None:
    url = f"/api/v1/runs/{run_id}/steps/notes"
    answer = client.put(url, headers=bench, json={"value": "n" * 5000})
    assert answer.status_code == 422, answer.text
    body = answer.json()  # refused as any JSON text over 2,000 characters (db.jsonvalue)
    assert [e["field"] for e in body["errors"]] == ["value"]
    assert "2000caractères" in SPACES.sub("", body["errors"][0]["message"])
    kept = client.put(url, headers=bench, json={"value": "n" * MAX_TEXT})
    assert kept.status_code == 200 and len(kept.json()["value"]) == MAX_TEXT
    too_long_note = client.put(
        url, headers=bench, json={"value": "RAS", "note": "n" * (MAX_TEXT + 1)}
    )
    assert too_long_note.status_code == 422
    assert [e["field"] for e in too_long_note.json()["errors"]] == ["note"]


def test_the_page_refuses_a_long_part_naming_its_line_and_finishes_nothing(
    client: TestClient, engine: Engine, bench: dict[str, str], run_id: int, code: str
) -> None:
    make_user(engine, "lucie", Role.BENCH)
    sign_in(client, "lucie")
    page = f"/bench/devices/{code[:4]}-{code[4:]}"
    token = csrf_of(client, page)
    parts = "ram: 8 GB\nssd: " + "s" * (PART_MAX + 50)
    answer = client.post(
        f"/bench/runs/{run_id}/finish",
        data={"csrf_token": token, "outcome": "parts", "parts": parts, "comment": "démonté"},
        follow_redirects=False,
    )
    assert answer.status_code == 422, answer.text
    said = SPACES.sub(" ", answer.text)
    assert 'id="finish-error-parts">ligne 2 : 200 caractères au plus : ce texte en a 250<' in said
    assert "s" * (PART_MAX + 50) in answer.text  # what was typed is still in the form
    assert 'value="démonté"' in answer.text
    run = client.get(f"/api/v1/runs/{run_id}", headers=bench).json()
    assert run["open"] is True


def test_the_page_shows_a_stored_measure_the_french_way(
    client: TestClient, engine: Engine, bench: dict[str, str], run_id: int, code: str
) -> None:
    url = f"/api/v1/runs/{run_id}/steps/battery_health"
    assert client.put(url, headers=bench, json={"value": "87.25"}).status_code == 200
    make_user(engine, "lucie", Role.BENCH)
    sign_in(client, "lucie")
    page = client.get(f"/bench/devices/{code[:4]}-{code[4:]}").text
    assert 'name="step.battery_health" inputmode="decimal" value="87,25"' in page
    token = csrf_of(client, f"/bench/devices/{code[:4]}-{code[4:]}")
    again = client.post(  # the page sends the number back as shown: nothing changes
        f"/bench/runs/{run_id}/checklist",
        data={"csrf_token": token, "step.battery_health": "87,25"},
        follow_redirects=False,
    )
    assert again.status_code == 303, again.text
    assert again.headers["location"].endswith(f"?saved={run_id}")
    shown = client.get(again.headers["location"]).text
    assert "Étapes enregistrées : 0." in shown
