"""Faults under warranty through the real HTTP API, on SQLite and PostgreSQL: a structure
reports a device it was handed; the device goes back to refurbishment with its history;
a coordinator replaces it at no cost and outside the quota, or not; the structure reads
the decision in its inbox. Another structure's device, a device not handed over and a
warranty that is over are refused with the reason. The clock is turned, never waited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.engine import transaction
from db.enums import Role
from tests.distribution.test_catalog_api import active_structure, browse, codes_in, staff, stock
from tests.distribution.test_claims_api import (
    hand_over,
    history,
    post_claim,
    status_of,
    turn_clock,
)
from tests.distribution.test_structures_api import ledger_events, ledger_ok

EN = {"Accept-Language": "en"}
HANDED = datetime(2025, 1, 31, 10, 0, tzinfo=UTC)
FAULT = {"description": "L'écran reste noir au démarrage."}


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return staff(engine)


def given(
    client: TestClient, engine: Engine, headers: dict[str, str], at: datetime = HANDED
) -> tuple[str, int]:
    """A device claimed by the structure and handed over to it at `at`: (code, claim id)."""
    turn_clock(client, at)
    with transaction(engine) as session:
        code = stock(session)
    claim = post_claim(client, headers, device_codes=[code])
    answer = hand_over(client, staff(engine, Role.BENCH), claim["id"], [code])
    assert answer.status_code == 200, answer.text
    return code, claim["id"]


def report(
    client: TestClient, headers: dict[str, str], code: str, expect: int = 201
) -> dict[str, Any]:
    answer = client.post(f"/api/v1/devices/{code}/fault", headers=headers | EN, json=FAULT)
    assert answer.status_code == expect, answer.text
    found: dict[str, Any] = answer.json()
    return found


def decide(client: TestClient, fault_id: int, body: dict[str, Any], expect: int = 200) -> Any:
    answer = client.post(f"/api/v1/faults/{fault_id}/decision", headers=body.pop("by"), json=body)
    assert answer.status_code == expect, answer.text
    return answer.json()


def test_a_fault_within_warranty_sends_the_device_back_to_refurbishment(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, mine = active_structure(client, engine)
    code, claim_id = given(client, engine, headers)
    turn_clock(client, HANDED + timedelta(days=200))
    keyed = headers | {"Idempotency-Key": "fault-1"}
    fault = report(client, keyed, code)
    assert report(client, keyed, code) == fault  # a retry reports nothing twice
    assert (fault["device"], fault["claim_id"], fault["state"]) == (code, claim_id, "open")
    assert fault["structure"]["id"] == mine and fault["description"] == FAULT["description"]
    assert status_of(engine, code) == "in_refurbishment"
    (reported, extra), (returned, moved) = history(client, engine, code)[-2:]
    assert (reported, returned) == ("device.fault_reported", "device.returned")
    assert extra["fault_id"] == fault["id"] and extra["description"] == FAULT["description"]
    assert moved["changes"]["status"] == ["handed_over", "in_refurbishment"]
    assert moved["changes"]["structure_id"] == [mine, None]
    assert len(ledger_events(engine, "device.fault_reported")) == 1
    assert code not in codes_in(browse(client, coordinator))
    assert [f["id"] for f in client.get("/api/v1/faults", headers=headers).json()] == [fault["id"]]
    ledger_ok(client, coordinator)


def test_another_structures_device_is_refused(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine)
    other, _theirs = active_structure(client, engine, "Mission locale")
    code, _claim = given(client, engine, other)
    refused = report(client, headers, code, 403)
    assert refused["code"] == "device_not_yours" and code in refused["detail"]
    with transaction(engine) as session:
        reserved_for_them = stock(session)
    post_claim(client, other, device_codes=[reserved_for_them])
    assert report(client, headers, reserved_for_them, 403)["code"] == "device_not_yours"
    assert status_of(engine, code) == "handed_over"
    assert ledger_events(engine, "device.fault_reported") == []
    assert client.get("/api/v1/faults", headers=headers).json() == []


def test_a_device_not_handed_over_is_refused(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine)
    with transaction(engine) as session:
        held, on_offer = stock(session), stock(session)
    post_claim(client, headers, device_codes=[held])
    refused = report(client, headers, held, 409)
    assert refused["code"] == "device_not_handed_over" and "reserved" in refused["detail"]
    assert report(client, coordinator, on_offer, 409)["code"] == "device_not_handed_over"
    assert report(client, headers, "ZZZZ-ZZZZ", 422)["code"] == "invalid_device_code"
    assert status_of(engine, held) == "reserved" and status_of(engine, on_offer) == "available"


def test_the_warranty_ends_twelve_months_after_the_handover(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine)
    late, _claim = given(client, engine, headers)
    in_time, _claim = given(client, engine, headers)
    turn_clock(client, datetime(2026, 2, 1, 10, 0, tzinfo=UTC))
    refused = report(client, headers, late, 409)
    assert refused["code"] == "warranty_over"
    assert "2025-01-31" in refused["detail"] and "2026-01-31" in refused["detail"]
    assert status_of(engine, late) == "handed_over"
    turn_clock(client, datetime(2026, 1, 31, 10, 0, tzinfo=UTC))  # the last day
    assert report(client, headers, in_time)["state"] == "open"


def test_the_warranty_counts_days_in_the_associations_time_zone(
    client: TestClient, engine: Engine
) -> None:
    headers, _mine = active_structure(client, engine)
    code, _claim = given(client, engine, headers, datetime(2025, 1, 31, 23, 30, tzinfo=UTC))
    turn_clock(client, datetime(2026, 2, 1, 12, 0, tzinfo=UTC))  # 1 February in Paris
    report(client, headers, code)


def test_a_replacement_is_free_and_outside_the_quota(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, mine = active_structure(client, engine, laptop=1)
    code, _claim = given(client, engine, headers)
    fault = report(client, headers, code)
    with transaction(engine) as session:
        spare, taken = stock(session, price_cents=8000), stock(session)
    assert decide(client, fault["id"], {"replace": True, "by": headers}, 403)
    needed = decide(client, fault["id"], {"replace": True, "by": coordinator}, 422)
    assert needed["code"] == "replacement_needed"
    no_room = post_claim(client, coordinator, device_codes=[taken], structure_id=mine, expect=409)
    assert no_room["code"] == "quota_exceeded"  # its quota is used up: a replacement still goes
    decided = decide(
        client,
        fault["id"],
        {"replace": True, "device_code": spare, "note": "Même modèle", "by": coordinator},
    )
    assert decided["state"] == "replaced" and decided["decision_note"] == "Même modèle"
    replacement = client.get(f"/api/v1/claims/{decided['replacement_claim_id']}", headers=headers)
    body = replacement.json()
    assert (body["state"], body["total_cents"], body["structure"]["id"]) == ("reserved", 0, mine)
    assert [(d["code"], d["price_cents"]) for d in body["devices"]] == [(spare, 0)]
    kind, payload = history(client, engine, spare)[-1]
    assert (kind, payload["claim_id"], payload["price_cents"]) == ("device.reserved", body["id"], 0)
    use = client.get(f"/api/v1/structures/{mine}", headers=headers).json()["quota_use"]
    assert use["laptop"] == {"quota": 1, "used": 1, "remaining": 0}  # the first one only
    [(_actor, event)] = ledger_events(engine, "fault.decided")
    assert (event["decision"], event["replacement_claim_id"]) == ("replaced", body["id"])
    again = decide(client, fault["id"], {"replace": False, "by": coordinator}, 409)
    assert again["code"] == "fault_decided"
    [message] = client.get("/api/v1/inbox", headers=headers | EN).json()
    assert message["kind"] == "fault.decided" and message["claim_id"] == body["id"]
    assert "replacement device is reserved for you" in message["text"]
    ledger_ok(client, coordinator)


def test_no_replacement_is_said_in_the_inbox(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine)
    code, _claim = given(client, engine, headers)
    fault = report(client, headers, code)
    with transaction(engine) as session:
        gone = stock(session)
    post_claim(client, headers, device_codes=[gone])
    unavailable = decide(
        client, fault["id"], {"replace": True, "device_code": gone, "by": coordinator}, 409
    )
    assert unavailable["code"] == "device_unavailable" and gone in unavailable["detail"]
    note = {"replace": False, "note": "Casse non couverte", "by": coordinator}
    decided = decide(client, fault["id"], note)
    assert (decided["state"], decided["replacement_claim_id"]) == ("not_replaced", None)
    [message] = client.get("/api/v1/inbox", headers=headers | EN).json()
    assert "no replacement" in message["text"] and "Casse non couverte" in message["text"]
    assert message["claim_id"] is None and message["read_at"] is None
    open_ones = client.get("/api/v1/faults", headers=coordinator, params={"state": "open"})
    assert open_ones.json() == []


def test_a_structure_reads_and_marks_its_own_messages_only(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine)
    other, _theirs = active_structure(client, engine, "Mission locale")
    faults = []
    for who in (headers, headers, other):
        code, _claim = given(client, engine, who)
        faults.append(report(client, who, code)["id"])
    for fault_id in faults:
        decide(client, fault_id, {"replace": False, "by": coordinator})
    newer, older = client.get("/api/v1/inbox", headers=headers).json()
    assert newer["id"] > older["id"]
    [theirs] = client.get("/api/v1/inbox", headers=other).json()
    answer = client.post(f"/api/v1/inbox/{older['id']}/read", headers=headers)
    assert answer.status_code == 200 and answer.json()["read_at"] is not None
    again = client.post(f"/api/v1/inbox/{older['id']}/read", headers=headers).json()
    assert again["read_at"] == answer.json()["read_at"]  # read once, kept
    unread = client.get("/api/v1/inbox", headers=headers, params={"unread": True}).json()
    assert [m["id"] for m in unread] == [newer["id"]]
    refused = client.post(f"/api/v1/inbox/{theirs['id']}/read", headers=headers)
    assert refused.status_code == 404 and refused.json()["code"] == "inbox_message_not_found"
    assert client.get("/api/v1/inbox", headers=other).json()[0]["read_at"] is None
    assert client.post("/api/v1/inbox/999999/read", headers=headers).status_code == 404
    assert client.get("/api/v1/inbox", headers=coordinator).status_code == 403
