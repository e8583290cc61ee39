"""The JSON API on a real database: look-ups, listings, history, errors, languages."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session as SASession

from db import codes
from db.engine import transaction
from db.enums import Category, Role, Status
from remise.app import create_app
from remise.settings import Settings
from tests.factories import auth, make_device, make_structure, make_token


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine, role=Role.COORDINATOR))


def test_health_answers_without_a_token(client: TestClient, db_url: str) -> None:
    answer = client.get("/api/v1/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["database"] == ("sqlite" if db_url.startswith("sqlite") else "postgresql")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer rms_not-a-real-token", "Basic abc"])
def test_missing_or_wrong_token_is_401_in_french(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    answer = client.get("/api/v1/devices", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized"
    assert answer.json()["detail"].startswith("Connectez-vous")


def test_device_by_code_in_any_case_and_with_hyphen(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    with transaction(engine) as session:
        device = make_device(session, status=Status.LABELLED, brand="Dell", model="Latitude 5490")
    for typed in (
        device.code,
        device.code.lower(),
        codes.display(device.code),
        f" {device.code}\n",
    ):
        answer = client.get(f"/api/v1/devices/{typed.strip()}", headers=coordinator)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["code"] == device.code and body["code_display"] == codes.display(device.code)
        assert (body["status"], body["brand"], body["model"]) == (
            "labelled",
            "Dell",
            "Latitude 5490",
        )


def test_mistyped_code_is_refused_not_matched(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    with transaction(engine) as session:
        code = make_device(session).code
    typo = code[:3] + ("0" if code[3] != "0" else "1") + code[4:]
    answer = client.get(f"/api/v1/devices/{typo}", headers=coordinator)
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_device_code"
    assert "mal saisi" in answer.json()["detail"]
    english = client.get(f"/api/v1/devices/{typo}", headers=coordinator | {"Accept-Language": "en"})
    assert "mistyped" in english.json()["detail"]


def test_unknown_but_well_formed_code_is_404(
    client: TestClient, coordinator: dict[str, str]
) -> None:
    code = codes.new_code()
    answer = client.get(f"/api/v1/devices/{code}", headers=coordinator)
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"Aucun appareil ne porte le code {codes.display(code)}."


def test_listing_filters_and_pages(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    with transaction(engine) as session:
        structure = make_structure(session)
        for _ in range(3):
            make_device(session, status=Status.AVAILABLE, category=Category.LAPTOP)
        make_device(
            session, status=Status.AVAILABLE, category=Category.SMARTPHONE, imei="356938035643809"
        )
        make_device(session, status=Status.RECEIVED, serial="PF-1XZ9", brand="Lenovo")
        make_device(session, status=Status.RESERVED, structure_id=structure)
    page = client.get("/api/v1/devices?status=available&limit=2", headers=coordinator).json()
    assert page["total"] == 4 and len(page["items"]) == 2 and page["limit"] == 2
    rest = client.get(
        "/api/v1/devices?status=available&limit=2&offset=2", headers=coordinator
    ).json()
    assert {d["code"] for d in page["items"]}.isdisjoint({d["code"] for d in rest["items"]})
    phones = client.get("/api/v1/devices?category=smartphone", headers=coordinator).json()
    assert [d["imei"] for d in phones["items"]] == ["356938035643809"]
    assert client.get("/api/v1/devices?q=pf-1x", headers=coordinator).json()["total"] == 1
    assert client.get("/api/v1/devices?q=100%25", headers=coordinator).json()["total"] == 0
    assert client.get("/api/v1/devices?grade=b", headers=coordinator).json()["total"] == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=sold", "status"),
        ("category=fridge", "category"),
        ("limit=0", "limit"),
        ("limit=10000", "limit"),
        ("offset=-1", "offset"),
    ],
)
def test_bad_filters_are_422_naming_the_field(
    client: TestClient, coordinator: dict[str, str], query: str, field: str
) -> None:
    answer = client.get(f"/api/v1/devices?{query}", headers=coordinator)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field
    assert answer.json()["detail"].startswith("La demande n'est pas valide")


def test_history_lists_every_event_in_order(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    with transaction(engine) as session:
        code = make_device(session, status=Status.GRADED).code
    events = client.get(f"/api/v1/devices/{code}/history", headers=coordinator).json()
    assert [e["type"] for e in events] == [
        "device.received",
        "device.labelled",
        "device.refurbishment_started",
        "device.refurbished",
        "device.graded",
    ]
    assert events[-1]["payload"]["changes"]["grade"] == [None, "B"]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)


def test_ledger_verify_and_head_through_the_api(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    with transaction(engine) as session:
        make_device(session, status=Status.LABELLED)
    head = client.get("/api/v1/ledger/head", headers=coordinator).json()
    report = client.get("/api/v1/ledger/verify", headers=coordinator).json()
    assert report["ok"] and report["checked"] == head["seq"] and report["head_hash"] == head["hash"]
    with engine.begin() as connection:
        connection.execute(text("UPDATE ledger_event SET actor = 'x' WHERE seq = 2"))
    broken = client.get("/api/v1/ledger/verify", headers=coordinator).json()
    assert not broken["ok"] and broken["first_bad_seq"] == 2
    bad_head = client.get("/api/v1/ledger/verify?head=12", headers=coordinator)
    assert bad_head.status_code == 422 and bad_head.json()["code"] == "bad_ledger_head"


@pytest.mark.parametrize("role", [Role.BENCH, Role.WORKSHOP, Role.STRUCTURE])
def test_only_coordinators_verify_the_ledger(
    client: TestClient, engine: Engine, role: Role
) -> None:
    token = make_token(
        engine, role=role, structure="Centre social" if role == Role.STRUCTURE else None
    )
    answer = client.get("/api/v1/ledger/verify", headers=auth(token))
    assert answer.status_code == 403
    assert answer.json()["detail"] == "Vous n'avez pas le droit de faire cela."


def test_accept_language_english_and_content_language(client: TestClient) -> None:
    answer = client.get("/api/v1/devices", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert answer.headers["content-language"] == "en"
    assert answer.json()["detail"].startswith("Sign in first")


def test_unknown_address_is_a_json_404(client: TestClient) -> None:
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404 and answer.json()["detail"] == "Il n'y a rien à cette adresse."


def test_me_tells_who_the_token_is(client: TestClient, engine: Engine) -> None:
    token = make_token(engine, role=Role.STRUCTURE, structure="Mission locale")
    me = client.get("/api/v1/me", headers=auth(token)).json()
    assert me["role"] == "structure" and me["structure_id"] is not None


def test_reporting_a_device_lost_then_again_is_409_naming_the_states(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    with transaction(engine) as session:
        code = make_device(session, status=Status.LABELLED).code
    url = f"/api/v1/devices/{code}/lost"
    lost = client.post(
        url, json={"comment": "introuvable à l'inventaire du 20/11"}, headers=coordinator
    )
    assert lost.status_code == 200 and lost.json()["status"] == "lost"
    history = client.get(f"/api/v1/devices/{code}/history", headers=coordinator).json()
    assert history[-1]["type"] == "device.lost"
    assert history[-1]["payload"]["comment"] == "introuvable à l'inventaire du 20/11"
    again = client.post(url, json={"comment": "encore"}, headers=coordinator)
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"
    assert again.json()["current"] == "lost" and again.json()["allowed"] == []
    assert "est « perdu » : il ne peut pas passer à « perdu »" in again.json()["detail"]
    assert again.json()["detail"].endswith("États suivants possibles : aucun.")
    after = client.get(f"/api/v1/devices/{code}/history", headers=coordinator).json()
    assert len(after) == len(history)


def test_only_coordinators_report_devices_lost(client: TestClient, engine: Engine) -> None:
    with transaction(engine) as session:
        code = make_device(session, status=Status.LABELLED).code
    bench = auth(make_token(engine, role=Role.BENCH))
    answer = client.post(f"/api/v1/devices/{code}/lost", json={"comment": "perdu"}, headers=bench)
    assert answer.status_code == 403


def test_lost_report_needs_a_comment(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    with transaction(engine) as session:
        code = make_device(session, status=Status.LABELLED).code
    answer = client.post(f"/api/v1/devices/{code}/lost", json={}, headers=coordinator)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "comment", "message": "Ce champ est obligatoire."}]


def test_a_write_is_committed_before_its_answer_leaves(
    settings: Settings, engine: Engine, coordinator: dict[str, str]
) -> None:
    """A client that reads "201" (or follows a 303) must find the change on its next
    request, and must not be told of success when the commit then fails."""
    order: list[str] = []
    app = create_app(settings, engine=engine)

    async def watch(scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                order.append("answer")
            await send(message)

        await app(scope, receive, sending)

    def committed(_session: object) -> None:
        order.append("commit")

    sa.event.listen(SASession, "after_commit", committed)
    try:
        with TestClient(watch) as client:
            answer = client.post("/api/v1/donors", json={"name": "ACME"}, headers=coordinator)
    finally:
        sa.event.remove(SASession, "after_commit", committed)
    assert answer.status_code == 201, answer.text
    # Every commit, the request's own and (PostgreSQL) the token's last use, a short
    # transaction of its own, is over before the answer starts.
    assert order[-1] == "answer" and order.count("answer") == 1 and "commit" in order
