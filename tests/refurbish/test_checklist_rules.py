"""Checklist rules as tables: values judged, steps that block, templates that are refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from db.enums import Category
from refurbish import checklists
from refurbish.checklists import BadValue, Kind, State, Step, Template

LABEL = {"fr": "Étape", "en": "Step"}
YES_NO = Step(key="wifi", label=LABEL, kind=Kind.YES_NO, required=True)
MEASURE = Step(key="battery", label=LABEL, kind=Kind.MEASURE, unit="%", min=60, max=100)
OPEN_MEASURE = Step(key="hours", label=LABEL, kind=Kind.MEASURE, unit="h", max=20000)
CHOICE = Step(
    key="screen",
    label=LABEL,
    kind=Kind.CHOICE,
    required=True,
    options=[
        {"key": "perfect", "label": LABEL, "passes": True},
        {"key": "cracked", "label": LABEL, "passes": False},
    ],
)
NOTE = Step(key="notes", label=LABEL, kind=Kind.NOTE)


@pytest.mark.parametrize(
    ("step", "given", "stored", "state"),
    [
        (YES_NO, True, True, State.PASSED),
        (YES_NO, False, False, State.FAILED),
        (MEASURE, 60, 60, State.PASSED),  # bounds included
        (MEASURE, 100, 100, State.PASSED),
        (MEASURE, 59.5, "59.5", State.FAILED),  # decimals kept as strings: no floats
        (MEASURE, "87,5", "87.5", State.PASSED),  # a French decimal comma
        (MEASURE, "101", 101, State.FAILED),
        (OPEN_MEASURE, -3, -3, State.PASSED),  # no minimum
        (CHOICE, "perfect", "perfect", State.PASSED),
        (CHOICE, "cracked", "cracked", State.FAILED),
        (NOTE, "  rayure sous le clavier ", "rayure sous le clavier", State.RECORDED),
    ],
)
def test_values_are_stored_and_judged(step: Step, given: Any, stored: Any, state: State) -> None:
    value = checklists.normalise(step, given)
    assert value == stored and checklists.judge(step, value) == state


@pytest.mark.parametrize(
    ("step", "given"),
    [
        (YES_NO, "yes"),
        (YES_NO, 1),
        (MEASURE, "beaucoup"),
        (MEASURE, True),
        (MEASURE, None),
        (CHOICE, "scratched"),
        (NOTE, "   "),
        (NOTE, 42),
    ],
)
def test_values_that_do_not_suit_their_step_are_refused(step: Step, given: Any) -> None:
    with pytest.raises(BadValue):
        checklists.normalise(step, given)


@pytest.mark.parametrize(
    ("text", "value"),
    [("oui", True), ("O", True), ("yes", True), ("1", True), ("non", False), ("false", False)],
)
def test_typed_yes_and_no(text: str, value: bool) -> None:
    assert checklists.from_text(YES_NO, text) is value


def test_typed_garbage_is_not_a_yes() -> None:
    with pytest.raises(BadValue):
        checklists.from_text(YES_NO, "peut-être")


@pytest.mark.parametrize(
    ("step", "state", "blocks"),
    [
        (YES_NO, State.MISSING, True),  # required, not done
        (YES_NO, State.FAILED, True),
        (YES_NO, State.PASSED, False),
        (MEASURE, State.MISSING, False),  # optional measure not taken
        (MEASURE, State.FAILED, True),  # out of range blocks, required or not
        (CHOICE, State.FAILED, True),
        (NOTE, State.MISSING, False),
        (Step(key="webcam", label=LABEL, kind=Kind.YES_NO), State.FAILED, False),
    ],
)
def test_what_blocks_refurbished(step: Step, state: State, blocks: bool) -> None:
    assert checklists.blocking(step, state) is blocks


@pytest.mark.parametrize(
    "steps",
    [
        [{"key": "a_b", "label": LABEL, "kind": "yes_no"}] * 2,  # duplicate keys
        [{"key": "m1", "label": LABEL, "kind": "measure"}],  # a measure without unit
        [{"key": "m2", "label": LABEL, "kind": "measure", "unit": "%", "min": 9, "max": 1}],
        [{"key": "c1", "label": LABEL, "kind": "choice", "options": []}],
        [
            {
                "key": "c2",
                "label": LABEL,
                "kind": "choice",
                "options": [
                    {"key": "x", "label": LABEL, "passes": False},
                    {"key": "y", "label": LABEL, "passes": False},
                ],
            }
        ],
        [
            {
                "key": "y1",
                "label": LABEL,
                "kind": "yes_no",
                "options": [{"key": "x", "label": LABEL}, {"key": "y", "label": LABEL}],
            }
        ],
        [{"key": "y2", "label": LABEL, "kind": "yes_no", "unit": "%"}],
        [{"key": "Bad Key", "label": LABEL, "kind": "yes_no"}],
        [{"key": "nolabel", "label": {"fr": "Étape"}, "kind": "yes_no"}],
        [],
    ],
)
def test_templates_that_make_no_sense_are_refused(steps: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationError):
        Template.model_validate({"steps": steps})


@pytest.mark.parametrize("category", list(Category))
def test_every_category_ships_a_valid_checklist(category: Category) -> None:
    template = checklists.default_template(category)
    keys = [step.key for step in template.steps]
    assert "cleaning" in keys and len(keys) == len(set(keys))
    assert all(step.label.fr and step.label.en for step in template.steps)


@pytest.mark.parametrize("category", [Category.SMARTPHONE, Category.TABLET])
def test_phones_check_reset_and_account_lock(category: Category) -> None:
    keys = {s.key for s in checklists.default_template(category).steps}
    assert {"factory_reset", "os_version", "account_lock_removed", "battery_health"} <= keys


@pytest.mark.parametrize("category", [Category.LAPTOP, Category.DESKTOP])
def test_computers_check_storage_and_system_and_leave_erasure_to_its_records(
    category: Category,
) -> None:
    keys = {s.key for s in checklists.default_template(category).steps}
    assert {"os_install", "storage_health"} <= keys
    assert checklists.SUPERSEDED_ERASURE_STEP not in keys  # evidence per medium (db.media)
