"""The grading engine with the rules Remise ships (grading/default_rules.json), as tables:
each rule at its boundary, the tri-state conditions, the zones, the reasons and their
words, and the documents the schema refuses. Pure: no database.

Figures (reference-data §3.2, §4, §5): a phone or tablet battery under 80 % gets no grade
(Back Market); a laptop battery under 60 % is not A (the association's choice); 4 GB of
RAM and 25 GB of storage for a maintained Linux, and Windows 11 needs a supported
processor, 4 GB, 64 GB and TPM 2.0 (Microsoft).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from grading.documents import HERE, shipped_rules
from grading.rules import Compared, Condition, RulesDocument, decide, evaluate, zone_grades

RULES = shipped_rules()
LAPTOP: dict[str, Any] = {
    "battery_percent": 90.0, "ram_gb": 8.0, "storage_gb": 256.1, "has_ssd": True,
    "has_hdd": False, "smart_failing": False, "cpu_windows11": False, "tpm2": None,
    "functions_failed": 0,
}  # fmt: skip
PHONE: dict[str, Any] = {
    "battery_percent": 90.0, "ram_gb": None, "storage_gb": 64.0, "has_ssd": None,
    "has_hdd": None, "smart_failing": None, "cpu_windows11": None, "tpm2": None,
    "functions_failed": 0,
}  # fmt: skip
BASE = {"laptop": LAPTOP, "desktop": LAPTOP, "smartphone": PHONE, "tablet": PHONE}


def all_a(category: str) -> dict[str, str]:
    return dict.fromkeys(RULES.categories[category].zones, "A")


def run(category: str, *, judged: dict[str, str] | None = None, **changes: Any) -> Any:
    facts = {**BASE[category], **changes}
    return decide(RULES, category, facts, {}, all_a(category) if judged is None else judged)


@pytest.mark.parametrize(
    ("category", "changes", "expected"),
    [
        ("smartphone", {"battery_percent": 80}, ("graded", "A")),
        ("smartphone", {"battery_percent": 80.0}, ("graded", "A")),
        ("smartphone", {"battery_percent": 79.9}, ("no_grade", None)),
        ("tablet", {"battery_percent": 80}, ("graded", "A")),
        ("tablet", {"battery_percent": 79.9}, ("no_grade", None)),
        ("smartphone", {"battery_percent": None}, ("graded", "A")),  # not measured
        ("laptop", {"battery_percent": 60}, ("graded", "A")),
        ("laptop", {"battery_percent": 59}, ("graded", "B")),
        ("laptop", {"battery_percent": 59.99}, ("graded", "B")),
        ("laptop", {"battery_percent": 10}, ("graded", "B")),  # a laptop battery only caps
        ("laptop", {"battery_percent": None}, ("graded", "A")),
        ("desktop", {"battery_percent": 10}, ("graded", "A")),
        ("laptop", {"ram_gb": 4}, ("graded", "A")),
        ("laptop", {"ram_gb": 3.9}, ("not_sold", None)),
        ("desktop", {"ram_gb": 4.0}, ("graded", "A")),
        ("desktop", {"ram_gb": 3.9}, ("not_sold", None)),
        ("smartphone", {"ram_gb": 1}, ("graded", "A")),  # computers' minimum only
        ("laptop", {"storage_gb": 25}, ("graded", "A")),
        ("laptop", {"storage_gb": 24.9}, ("not_sold", None)),
        ("desktop", {"storage_gb": 25.0}, ("graded", "A")),
        ("desktop", {"storage_gb": 24.9}, ("not_sold", None)),
        ("smartphone", {"storage_gb": 8}, ("graded", "A")),
        ("laptop", {"has_hdd": True, "has_ssd": False}, ("graded", "B")),
        ("desktop", {"has_hdd": True, "has_ssd": False}, ("graded", "B")),
        ("laptop", {"has_hdd": True, "has_ssd": True}, ("graded", "A")),
        ("laptop", {"has_hdd": True, "has_ssd": None}, ("graded", "A")),  # other disk unknown
        ("laptop", {"has_hdd": None, "has_ssd": None}, ("graded", "A")),
        ("laptop", {"functions_failed": 1}, ("no_grade", None)),
        ("smartphone", {"functions_failed": 2}, ("no_grade", None)),
        ("laptop", {"functions_failed": None}, ("graded", "A")),
        ("laptop", {"functions_failed": 1, "ram_gb": 2}, ("no_grade", None)),  # both stop
    ],
)
def test_each_rule_at_its_boundary(
    category: str, changes: dict[str, Any], expected: tuple[str, str | None]
) -> None:
    found = run(category, **changes)
    assert (found.outcome, found.grade) == expected


WINDOWS_READY = {"cpu_windows11": True, "ram_gb": 4, "storage_gb": 64, "tpm2": True}


@pytest.mark.parametrize("category", ["laptop", "desktop"])
@pytest.mark.parametrize(
    ("changes", "system"),
    [
        ({}, "windows"),
        ({"storage_gb": 63.9}, "linux"),
        ({"ram_gb": 8, "storage_gb": 512}, "windows"),
        ({"tpm2": None}, "linux"),  # a TPM nobody checked: never Windows
        ({"tpm2": False}, "linux"),
        ({"cpu_windows11": False}, "linux"),
        ({"cpu_windows11": None}, "linux"),  # a processor the name does not tell
        ({"cpu_windows11": None, "tpm2": None}, "linux"),
        ({"ram_gb": 3.9}, None),  # under every maintained system
        ({"storage_gb": 24.9}, None),
    ],
)
def test_windows_needs_every_requirement_else_linux(
    category: str, changes: dict[str, Any], system: str | None
) -> None:
    found = run(category, **{**WINDOWS_READY, **changes})
    assert found.os == system
    assert found.outcome == ("graded" if system else "not_sold")
    applied = [r.rule for r in found.reasons if r.effect == "os"]
    assert applied == {"windows": ["windows_11"], "linux": ["maintained_linux"], None: []}[system]


@pytest.mark.parametrize("fact", ["ram_gb", "storage_gb"])
def test_a_computer_whose_size_nobody_measured_gets_no_system_and_no_grade(fact: str) -> None:
    found = run("laptop", **{fact: None})
    assert found.outcome != "graded" and found.grade is None and found.os is None
    assert not any(r.rule.endswith("_below_linux") for r in found.reasons)  # unknown: no rule


@pytest.mark.parametrize(
    ("category", "fact"),
    [
        ("smartphone", "battery_percent"), ("tablet", "battery_percent"),
        ("laptop", "battery_percent"), ("laptop", "has_hdd"), ("laptop", "has_ssd"),
        ("laptop", "functions_failed"), ("smartphone", "functions_failed"),
    ],
)  # fmt: skip
def test_an_unknown_fact_never_triggers_a_rule(category: str, fact: str) -> None:
    worst = {"battery_percent": 1.0, "has_hdd": True, "has_ssd": False, "functions_failed": 3}
    triggered = run(category, **worst)
    unknown = run(category, **{**worst, fact: None})
    fired = {r.rule for r in triggered.reasons} - {r.rule for r in unknown.reasons}
    assert fired  # the rule the fact triggered when measured…
    assert all(fact not in [c.fact for c in r.measured] for r in unknown.reasons)  # …and not now


@pytest.mark.parametrize(
    ("category", "steps", "judged", "zones", "grade"),
    [
        ("laptop", {"casing": "good", "screen": "perfect"}, {"keyboard": "A"},
         {"screen": "A", "casing": "A", "keyboard": "A"}, "A"),
        ("laptop", {"casing": "worn", "screen": "perfect"}, {"keyboard": "A"},
         {"screen": "A", "casing": "B", "keyboard": "A"}, "B"),
        ("laptop", {"casing": "good", "screen": "scratches"}, {"keyboard": "A"},
         {"screen": "B", "casing": "A", "keyboard": "A"}, "B"),
        ("laptop", {"casing": "worn", "screen": "perfect"}, {"keyboard": "A", "casing": "A"},
         {"screen": "A", "casing": "A", "keyboard": "A"}, "A"),  # judged over the checklist
        ("laptop", {"casing": "good", "screen": "perfect"}, {"keyboard": "A", "screen": "C"},
         {"screen": "C", "casing": "A", "keyboard": "A"}, "C"),
        ("laptop", {}, {"screen": "A", "casing": "B", "keyboard": "C"},
         {"screen": "A", "casing": "B", "keyboard": "C"}, "C"),  # the worst zone decides
        ("smartphone", {"casing": "good", "screen": "scratches"}, {"buttons": "A"},
         {"screen": "B", "casing": "A", "buttons": "A"}, "B"),
        ("tablet", {"casing": "worn", "screen": "scratches"}, {"buttons": "C"},
         {"screen": "B", "casing": "B", "buttons": "C"}, "C"),
        ("desktop", {"casing": "worn"}, {}, {"casing": "B"}, "B"),
    ],
)  # fmt: skip
def test_zones_from_the_checklist_and_the_judged_ones(
    category: str,
    steps: dict[str, Any],
    judged: dict[str, str],
    zones: dict[str, str],
    grade: str,
) -> None:
    found = decide(RULES, category, BASE[category], steps, judged)
    assert found.zones == zones and found.missing == ()
    assert (found.outcome, found.cosmetic, found.grade) == ("graded", grade, grade)


@pytest.mark.parametrize(
    ("steps", "judged", "missing"),
    [
        ({"casing": "damaged", "screen": "perfect"}, {"keyboard": "A"}, ["casing"]),
        ({"casing": "good", "screen": "cracked"}, {"keyboard": "A"}, ["screen"]),
        ({"casing": True, "screen": "perfect"}, {"keyboard": "A"}, ["casing"]),
        ({"casing": "good", "screen": "perfect"}, {}, ["keyboard"]),  # no step says it
        ({}, {}, ["screen", "casing", "keyboard"]),
    ],
)
def test_a_zone_the_checklist_does_not_grade_stays_to_judge(
    steps: dict[str, Any], judged: dict[str, str], missing: list[str]
) -> None:
    assert zone_grades(RULES, "laptop", steps, judged)[1] == missing
    found = decide(RULES, "laptop", LAPTOP, steps, judged)
    assert found.grade is None and list(found.missing) == missing


@pytest.mark.parametrize(
    ("judged", "changes", "grade"),
    [
        ({"screen": "A", "casing": "A", "keyboard": "A"}, {"battery_percent": 50}, "B"),
        ({"screen": "C", "casing": "A", "keyboard": "A"}, {"battery_percent": 50}, "C"),
        ({"screen": "B", "casing": "A", "keyboard": "A"}, {"has_hdd": True, "has_ssd": False}, "B"),
    ],
)
def test_a_cap_lowers_a_grade_and_never_raises_one(
    judged: dict[str, str], changes: dict[str, Any], grade: str
) -> None:
    assert run("laptop", judged=judged, **changes).grade == grade


def test_every_applying_rule_is_a_reason_with_its_measures() -> None:
    found = run("laptop", battery_percent=52.5, has_hdd=True, has_ssd=False, storage_gb=500.1)
    assert [(r.rule, r.effect, r.detail) for r in found.reasons] == [
        ("laptop_battery_a", "max_grade", "B"),
        ("hard_disk_only", "max_grade", "B"),
        ("maintained_linux", "os", "linux"),
    ]
    assert [r.measured for r in found.reasons] == [
        (Compared("battery_percent", 52.5, "<", 60),),
        (Compared("has_hdd", True, "==", True), Compared("has_ssd", False, "==", False)),
        (Compared("ram_gb", 8.0, ">=", 4), Compared("storage_gb", 500.1, ">=", 25)),
    ]
    assert all(r.source for r in found.reasons)


def test_every_stopping_rule_is_a_reason_too() -> None:
    found = run("laptop", functions_failed=2, ram_gb=2.0, storage_gb=16.0)
    assert found.outcome == "no_grade"  # no_grade wins over not_sold
    assert [(r.rule, r.measured) for r in found.reasons] == [
        ("function_failed", (Compared("functions_failed", 2, ">", 0),)),
        ("ram_below_linux", (Compared("ram_gb", 2.0, "<", 4),)),
        ("storage_below_linux", (Compared("storage_gb", 16.0, "<", 25),)),
    ]
    phone = run("smartphone", battery_percent=79.9)
    [reason] = phone.reasons
    assert (reason.rule, reason.measured) == (
        "phone_battery_80",
        (Compared("battery_percent", 79.9, "<", 80),),
    )


@pytest.mark.parametrize(
    ("category", "changes", "rule", "locale", "text"),
    [
        ("smartphone", {"battery_percent": 79.9}, "phone_battery_80", "fr",
         "batterie 79,9 % < 80 % : pas de grade avant remplacement"),
        ("smartphone", {"battery_percent": 79.9}, "phone_battery_80", "en",
         "battery 79.9 % < 80 %: no grade before it is replaced"),
        ("tablet", {"battery_percent": 42}, "phone_battery_80", "fr",
         "batterie 42 % < 80 % : pas de grade avant remplacement"),
        ("laptop", {"battery_percent": 59.5}, "laptop_battery_a", "fr",
         "batterie 59,5 % < 60 % : pas de grade A"),
        ("laptop", {"ram_gb": 3.5}, "ram_below_linux", "fr",
         "RAM 3,5 Go < 4 Go : sous le minimum d'un système maintenu, pas vendu en l'état"),
        ("laptop", {"storage_gb": 24.9}, "storage_below_linux", "en",
         "storage 24.9 GB < 25 GB: below any maintained system's minimum, not sold as it is"),
        ("laptop", {"functions_failed": 2}, "function_failed", "fr",
         "fonctions en échec au contrôle : 2 ; pas de grade avant réparation"),
        ("laptop", {}, "maintained_linux", "fr",
         "pas compatible Windows 11 (ou pas vérifié) : livré sous un Linux maintenu "
         "(RAM 8 Go ≥ 4 Go, 25 Go de stockage)"),
        ("laptop", {"ram_gb": 5.5}, "maintained_linux", "en",
         "does not meet Windows 11's requirements (or not checked): ships with a maintained "
         "Linux (RAM 5.5 GB ≥ 4 GB, 25 GB storage)"),
    ],
)  # fmt: skip
def test_a_reason_says_its_value_and_threshold_in_each_language(
    category: str, changes: dict[str, Any], rule: str, locale: str, text: str
) -> None:
    [reason] = [r for r in run(category, **changes).reasons if r.rule == rule]
    assert reason.said(locale) == text


@pytest.mark.parametrize(
    ("category", "changes", "rule", "said"),
    [
        ("smartphone", {"battery_percent": 79.96}, "phone_battery_80", r"batterie ([\d,]+) %"),
        ("laptop", {"battery_percent": 59.97}, "laptop_battery_a", r"batterie ([\d,]+) %"),
    ],
)
def test_a_reason_never_shows_a_failing_measure_as_its_threshold(
    category: str, changes: dict[str, Any], rule: str, said: str
) -> None:
    """A probe reads battery health to 0.01 % (« 79.96 »): rounded to one decimal, it
    would read « batterie 80 % < 80 % », which says nothing true."""
    [reason] = [r for r in run(category, **changes).reasons if r.rule == rule]
    shown = re.match(said, reason.said("fr"))
    assert shown is not None, reason.said("fr")
    value, threshold = float(shown.group(1).replace(",", ".")), reason.measured[0].threshold
    assert value < threshold, reason.said("fr")


def leaf(fact: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"fact": fact, "op": op, "value": value}


LOW, HIGH, UNKNOWN = leaf("a", "<", 5), leaf("a", ">", 5), leaf("b", "<", 5)
CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (LOW, True), (HIGH, False), (UNKNOWN, None),
        ({"all": [LOW, UNKNOWN]}, None), ({"all": [HIGH, UNKNOWN]}, False),
        ({"any": [LOW, UNKNOWN]}, True), ({"any": [HIGH, UNKNOWN]}, None),
        ({"not": UNKNOWN}, None), ({"not": HIGH}, True),
        (leaf("b", "unknown"), True), (leaf("b", "known"), False), (leaf("a", "known"), True),
        (leaf("a", "in", [1, 2, 3]), True), (leaf("word", "<", 5), None),  # text vs number
        (leaf("a", "==", True), False), (leaf("yes", "==", True), True),
    ],
)  # fmt: skip
def test_conditions_are_tri_state(condition: Any, holds: bool | None) -> None:
    parsed = CONDITION.validate_python(condition)
    assert evaluate(parsed, {"a": 2, "b": None, "word": "two", "yes": True})[0] is holds


def shipped_json() -> dict[str, Any]:
    return json.loads((HERE / "default_rules.json").read_text())


def test_the_shipped_rules_validate_and_survive_a_round_trip() -> None:
    dumped = RULES.model_dump(mode="json", by_alias=True)
    assert RulesDocument.model_validate(dumped) == RULES
    assert {r.id for r in RULES.rules} >= {
        "function_failed", "phone_battery_80", "laptop_battery_a", "hard_disk_only",
        "ram_below_linux", "storage_below_linux", "windows_11", "maintained_linux",
    }  # fmt: skip


def broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(shipped_json())
    change(document)
    return document


def rule(document: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in document["rules"] if r["id"] == rule_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: rule(d, "hard_disk_only").update(categories=["laptop", "fridge"]), "fridge"),
        (lambda d: d["categories"].update(fridge=d["categories"]["desktop"]), "fridge"),
        (lambda d: d["needs_os"].append("fridge"), "fridge"),
        (lambda d: rule(d, "phone_battery_80")["when"].update(value="80"), "with a number"),
        (lambda d: rule(d, "phone_battery_80")["when"].update(value=True), "with a number"),
        (lambda d: rule(d, "phone_battery_80")["when"].update(op="in", value=[]), "non-empty list"),
        (lambda d: rule(d, "phone_battery_80")["when"].update(op="known"), "takes no value"),
        (lambda d: rule(d, "phone_battery_80")["when"].update(op="~"), "op"),
        (lambda d: rule(d, "phone_battery_80").update(effect={"no_grade": True, "max_grade": "B"}),
         "exactly one"),
        (lambda d: rule(d, "phone_battery_80").update(effect={}), "exactly one"),
        (lambda d: rule(d, "laptop_battery_a").update(effect={"max_grade": "D"}), "max_grade"),
        (lambda d: d["rules"].append(copy.deepcopy(d["rules"][0])), "used twice"),
        (lambda d: d["categories"]["laptop"]["definitions"]["B"].pop("screen"),
         "no definition for zone screen"),
        (lambda d: d["categories"]["laptop"]["definitions"].pop("C"), "grade C has no definitions"),
        (lambda d: d["categories"]["laptop"]["zones"].append("hinge"), "zones"),
        (lambda d: d["grades"].pop("B"), "grades"),
        (lambda d: d.update(comment="extra"), "comment"),
        (lambda d: rule(d, "phone_battery_80")["reason"].pop("en"), "en"),
        (lambda d: rule(d, "phone_battery_80")["when"].update(fact="Battery %"), "fact"),
        (lambda d: d["from_steps"]["casing"]["values"].update(good="A+"), "from_steps"),
        (lambda d: d["from_steps"].update(hinge=d["from_steps"]["casing"]), "hinge"),
    ],
)  # fmt: skip
def test_an_invalid_rules_document_is_refused(change: Any, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RulesDocument.model_validate(broken(change))
    assert message in str(refused.value)
