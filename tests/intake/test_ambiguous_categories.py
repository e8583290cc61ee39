"""« Téléphone » and « Portable » name two kinds of device: read from each row's evidence,
else asked, never guessed. The rules as a table; the API on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from db.engine import transaction
from db.enums import Category
from db.models import Device
from intake import categories, rules
from intake.categories import BadCategoryAnswer, Evidence, UnreadableAnswers
from remise.cli import app
from tests.intake.samples import delimited, imei
from tests.intake.test_api import batch_id, coordinator, count_devices, workshop

__all__ = ["batch_id", "coordinator", "workshop"]  # fixtures, used by name below

runner = CliRunner()
HEADER = ["Catégorie", "Marque", "Modèle", "N° de série", "IMEI"]


@pytest.mark.parametrize(
    ("brand", "model", "expected"),
    [
        ("Samsung", "Galaxy S9", Category.SMARTPHONE),
        ("Samsung", "Galaxy A52", Category.SMARTPHONE),
        ("Samsung", "Galaxy Note 10", Category.SMARTPHONE),
        ("Samsung", "Galaxy Tab A", None),  # a tablet: neither table knows it
        ("Samsung", "Galaxy Book 2", Category.LAPTOP),
        ("Apple", "iPhone 8", Category.SMARTPHONE),
        ("Apple", "MacBook Air", Category.LAPTOP),
        ("Google", "Pixel 6a", Category.SMARTPHONE),
        ("Xiaomi", "Redmi Note 9", Category.SMARTPHONE),
        ("Xiaomi", "Mi 11", Category.SMARTPHONE),
        ("Huawei", "P30 Pro", Category.SMARTPHONE),
        ("Huawei", "Mate 20", Category.SMARTPHONE),
        ("OnePlus", "8T", Category.SMARTPHONE),
        ("Fairphone", "4", Category.SMARTPHONE),
        ("Motorola", "Moto G8", Category.SMARTPHONE),
        ("Nokia", "5.3", Category.SMARTPHONE),
        ("Nokia", "G20", Category.SMARTPHONE),
        ("Nokia", "105", Category.BASIC_PHONE),
        ("Nokia", "3310", Category.BASIC_PHONE),
        ("Doro", "6520", Category.BASIC_PHONE),
        ("Alcatel", "2053", Category.BASIC_PHONE),
        ("Alcatel", "1S", None),
        ("Dell", "Latitude 5490", Category.LAPTOP),
        ("HP", "840", Category.LAPTOP),  # HP makes no phones
        ("Lenovo", "ThinkPad T480", Category.LAPTOP),
        ("Lenovo", "K6", None),  # Lenovo makes phones too
        (None, None, None),
        ("", "Inconnu", None),
    ],
)
def test_model_kinds(brand: str | None, model: str | None, expected: Category | None) -> None:
    kind = categories.model_kind(brand, model)
    assert (kind[0] if kind else None) == expected


S, B, L = Category.SMARTPHONE, Category.BASIC_PHONE, Category.LAPTOP
E = Evidence


@pytest.mark.parametrize(
    ("row", "answers", "category", "evidence"),
    [
        ({"category": "Téléphone"}, {}, None, None),
        ({"category": "TÉLÉPHONE "}, {}, None, None),
        ({"category": "Téléphone", "imei": imei(1)}, {}, None, None),  # both kinds have one
        ({"category": "Téléphone", "model": "Galaxy S9"}, {}, S, E.SMARTPHONE_MODEL),
        ({"category": "Téléphone", "brand": "Nokia", "model": "105"}, {}, B, E.BASIC_PHONE_MODEL),
        ({"category": "Téléphone", "brand": "Dell", "model": "Latitude"}, {}, None, None),
        ({"category": "Téléphone"}, {"telephone": S}, S, E.ANSWER),
        # The row's own evidence wins over the answer given for its value.
        ({"category": "Tél", "brand": "Nokia", "model": "105"}, {"tel": S}, B, E.BASIC_PHONE_MODEL),
        ({"category": "Portable"}, {}, None, None),
        ({"category": "Portable", "imei": imei(2)}, {}, S, E.IMEI),
        (
            {"category": "Portable", "imei": imei(3), "model": "Nokia 105"},
            {},
            B,
            E.BASIC_PHONE_MODEL,
        ),
        ({"category": "Portable", "brand": "HP", "model": "840"}, {}, L, E.COMPUTER_MODEL),
        ({"category": "Portable"}, {"portable": L}, L, E.ANSWER),
        ({"category": "Ordinateur portable"}, {}, L, E.NAME),
        ({"category": "Smartphone"}, {}, S, E.NAME),
        ({"category": "Téléphone basique"}, {}, B, E.NAME),
        ({}, {}, Category.TABLET, E.DEFAULT),
    ],
)
def test_category_readings(
    row: dict[str, str],
    answers: dict[str, Category],
    category: Category | None,
    evidence: Evidence | None,
) -> None:
    reading = rules.read_category(row, default=Category.TABLET, answers=answers)
    assert isinstance(reading, rules.Reading)
    assert (reading.category, reading.evidence) == (category, evidence)


def test_an_unanswered_row_is_a_problem_that_names_the_choices() -> None:
    draft, problems = rules.check_row(
        {"category": "Téléphone", "serial": "S1"}, {}, default_category=None
    )
    assert draft is None and [p.field for p in problems] == ["category"]
    assert "Basic phone" in str(problems[0].message.params["choices"].params["first"])


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ('{"Téléphone": "smartphone"}', {"telephone": Category.SMARTPHONE}),
        ('{"PORTABLE": "Basic phone"}', {"portable": Category.BASIC_PHONE}),
        ('{"portable": "laptop", "Tel": "basic_phone"}', {"portable": L, "tel": B}),
        ("", {}),
        (None, {}),
    ],
)
def test_answers_are_read_by_value(given: str | None, expected: dict[str, Category]) -> None:
    assert categories.answers_from_json(given) == expected


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ('{"Téléphone": "laptop"}', BadCategoryAnswer),  # not one of its meanings
        ('{"Téléphone": "fridge"}', BadCategoryAnswer),
        ('{"Smartphone": "smartphone"}', BadCategoryAnswer),  # not a value Remise asks about
        ('["smartphone"]', UnreadableAnswers),
        ('{"Téléphone": 3}', UnreadableAnswers),
        ("{", UnreadableAnswers),
    ],
)
def test_bad_answers_are_refused(given: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        categories.answers_from_json(given)


# --- through the API --------------------------------------------------------------------

PHONES = [
    ["Téléphone", "", "", f"TEL-{n}", ""]  # rows 2-13: nothing says which
    for n in range(12)
] + [
    ["Téléphone", "Samsung", "Galaxy S9", "S9-1", imei(9)],  # 14: the model says smartphone
    ["Téléphone", "Nokia", "105", "N105-1", imei(105)],  # 15: the model says basic phone
    ["Portable", "", "", "P-IMEI-1", imei(1)],  # 16-18: an IMEI, so not a laptop
    ["Portable", "", "", "P-IMEI-2", imei(2)],
    ["Portable", "", "", "P-IMEI-3", imei(3)],
    ["Ordinateur portable", "Dell", "Latitude", "LAT-1", ""],  # 19
]


def post(
    client: TestClient,
    headers: dict[str, str],
    batch: int,
    data: bytes,
    answers: dict[str, str] | None = None,
    **params: object,
):  # type: ignore[no-untyped-def]
    query = "&".join(f"{k}={str(v).lower()}" for k, v in params.items())
    form = {"categories": orjson.dumps(answers).decode()} if answers is not None else {}
    return client.post(
        f"/api/v1/batches/{batch}/import?{query}",
        headers=headers,
        data=form,
        files={"file": ("parc.csv", data, "text/csv")},
    )


def test_the_dry_run_says_how_each_value_was_read_and_asks_about_the_rest(
    client: TestClient, workshop: dict[str, str], batch_id: int
) -> None:
    report = post(client, workshop, batch_id, delimited(PHONES, header=HEADER), dry_run=True)
    assert report.status_code == 200, report.text
    body = report.json()
    readings = {(r["value"], r["category"], r["evidence"]): r for r in body["category_readings"]}
    asked = readings["Téléphone", None, None]
    assert (asked["count"], asked["rows"]) == (12, list(range(2, 14)))
    assert asked["choices"] == ["basic_phone", "smartphone"]
    assert readings["Téléphone", "smartphone", "smartphone_model"]["rows"] == [14]
    assert readings["Téléphone", "basic_phone", "basic_phone_model"]["rows"] == [15]
    by_imei = readings["Portable", "smartphone", "imei"]
    assert by_imei["count"] == 3 and "IMEI" in by_imei["explanation"]
    assert readings["Ordinateur portable", "laptop", "name"]["count"] == 1
    assert (body["waiting_rows"], body["created"], body["skipped"]) == (12, 6, 12)


def test_an_import_is_refused_until_answered_then_creates_smartphones(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    data = delimited(PHONES, header=HEADER)
    refused = post(client, workshop, batch_id, data)
    assert refused.status_code == 422 and refused.json()["code"] == "category_unanswered"
    assert "Téléphone" in refused.json()["detail"]
    (question,) = refused.json()["questions"]
    assert question == {
        "value": "Téléphone",
        "count": 12,
        "rows": list(range(2, 14)),
        "choices": ["basic_phone", "smartphone"],
    }
    assert count_devices(engine) == 0
    answered = post(client, workshop, batch_id, data, {"Téléphone": "smartphone"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["created"] == len(PHONES)
    with transaction(engine, read_only=True) as session:
        kinds = {d.serial: d.category for d in session.exec(select(Device)).all()}
    assert {kinds[f"TEL-{n}"] for n in range(12)} == {"smartphone"}
    assert kinds["S9-1"] == "smartphone" and kinds["N105-1"] == "basic_phone"
    assert {kinds[f"P-IMEI-{n}"] for n in (1, 2, 3)} == {"smartphone"}
    assert kinds["LAT-1"] == "laptop"


def test_skip_invalid_leaves_unanswered_rows_out_with_why(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    report = post(client, workshop, batch_id, delimited(PHONES, header=HEADER), skip_invalid=True)
    assert report.status_code == 200, report.text
    assert (report.json()["created"], report.json()["skipped"]) == (6, 12)
    lines = client.get(report.json()["refused_csv_url"], headers=workshop).text.splitlines()
    assert len(lines) == 13 and "Téléphone basique" in lines[1] and "Smartphone" in lines[1]
    assert count_devices(engine) == 6


def test_a_bad_answer_is_422_naming_the_value(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    data = delimited(PHONES, header=HEADER)
    wrong = post(client, workshop, batch_id, data, {"Téléphone": "laptop"})
    assert wrong.status_code == 422 and wrong.json()["code"] == "bad_category_answer"
    assert "Téléphone" in wrong.json()["detail"] and "basic_phone" in wrong.json()["detail"]
    garbled = client.post(
        f"/api/v1/batches/{batch_id}/import",
        headers=workshop,
        data={"categories": "smartphone"},
        files={"file": ("parc.csv", data, "text/csv")},
    )
    assert garbled.status_code == 422
    assert garbled.json()["code"] == "unreadable_category_answers"
    assert count_devices(engine) == 0


def test_the_answers_are_part_of_the_idempotency_fingerprint(
    client: TestClient, engine: Engine, workshop: dict[str, str], batch_id: int
) -> None:
    data = delimited(PHONES, header=HEADER)
    headers = workshop | {"Idempotency-Key": "lot-telephones"}
    first = post(client, headers, batch_id, data, {"Téléphone": "smartphone"})
    again = post(client, headers, batch_id, data, {"Téléphone": "smartphone"})
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    other = post(client, headers, batch_id, data, {"Téléphone": "basic_phone"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert count_devices(engine) == len(PHONES)


def test_rows_already_imported_ask_nothing_again(
    client: TestClient, workshop: dict[str, str], batch_id: int
) -> None:
    data = delimited(PHONES, header=HEADER)
    assert post(client, workshop, batch_id, data, {"Téléphone": "basic_phone"}).status_code == 200
    again = post(client, workshop, batch_id, data)
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["already_present"]) == (0, len(PHONES))
    assert again.json()["category_readings"] == []


# --- from the command line ---------------------------------------------------------------


def test_the_cli_takes_the_answers_and_prints_the_readings(
    engine: Engine, db_url: str, batch_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", db_url)
    monkeypatch.setenv("COLUMNS", "200")
    path = tmp_path / "telephones.csv"
    path.write_bytes(delimited(PHONES, header=HEADER))
    command = ["intake", "import", str(batch_id), str(path)]
    asked = runner.invoke(app, command)
    assert asked.exit_code == 1 and count_devices(engine) == 0
    assert '"Téléphone", 12 rows (2, 3' in asked.stderr and "basic_phone/smartphone" in asked.stderr
    wrong = runner.invoke(app, [*command, "--category-for", "Téléphone=laptop"])
    assert wrong.exit_code == 1 and "Téléphone" in wrong.stderr and count_devices(engine) == 0
    done = runner.invoke(app, [*command, "--category-for", "Téléphone=smartphone"])
    assert done.exit_code == 0, done.stderr
    assert f"created {len(PHONES)}" in done.stdout and "votre réponse" in done.stdout
    assert count_devices(engine) == len(PHONES)
