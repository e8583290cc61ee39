"""Claims through the real HTTP API, on SQLite and PostgreSQL: by codes and by criteria,
all or nothing; every refusal with its code and what it names; the waitlist; retries with
an Idempotency-Key; who reads which claim; cancelling; and the handover at the prices
fixed at reservation. The ledger is checked after each change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db import codes, lifecycle
from db.devices import by_code
from db.engine import transaction
from db.enums import Category, Role
from tests.distribution.test_catalog_api import active_structure, browse, codes_in, staff, stock
from tests.distribution.test_structures_api import ledger_events, ledger_ok
from tests.factories import auth, make_token

CLAIMS = "/api/v1/claims"
NOW = datetime(2025, 5, 12, 8, 0, tzinfo=UTC)


def turn_clock(client: TestClient, moment: datetime) -> None:
    """What the app takes for now (`app.state.clock`, read by `claim_policy`)."""
    client.app.state.clock = lambda: moment  # type: ignore[attr-defined]


def fields_of(body: dict[str, Any], *keys: str) -> tuple[Any, ...]:
    return tuple(body[key] for key in keys)


def post_claim(
    client: TestClient, headers: dict[str, str], expect: int = 201, **body: Any
) -> dict[str, Any]:
    answer = client.post(CLAIMS, headers=headers, json=body)
    assert answer.status_code == expect, answer.text
    found: dict[str, Any] = answer.json()
    return found


def history(client: TestClient, engine: Engine, code: str) -> list[tuple[str, dict[str, Any]]]:
    """The device's events as staff read them: (type, payload), oldest first."""
    answer = client.get(f"/api/v1/devices/{code}/history", headers=staff(engine))
    assert answer.status_code == 200, answer.text
    return [(e["type"], e["payload"]) for e in answer.json()]


def status_of(engine: Engine, code: str) -> str:
    with transaction(engine, read_only=True) as session:
        return str(by_code(session, code).status)


def hand_over(
    client: TestClient, headers: dict[str, str], claim_id: int, codes: list[str], **more: Any
) -> Any:
    body = {"collector": "Awa Diallo", "device_codes": codes, **more}
    return client.post(f"{CLAIMS}/{claim_id}/handover", headers=headers, json=body)


@pytest.fixture
def coordinator(engine: Engine) -> dict[str, str]:
    return staff(engine)


def test_a_claim_by_codes_reserves_them_with_prices_total_and_expiry(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    turn_clock(client, NOW)
    headers, mine = active_structure(client, engine)
    with transaction(engine) as session:
        first, second = stock(session, price_cents=4500), stock(session, price_cents=7000)
    typed = second.lower().replace("-", "")  # as a volunteer types it
    claim = post_claim(client, headers, device_codes=[first, typed, first])
    assert claim["state"] == "reserved"
    assert claim["structure"] == {"id": mine, "name": "La Passerelle"}
    assert [(d["code"], d["price_cents"], d["state"]) for d in claim["devices"]] == [
        (first, 4500, "reserved"),
        (second, 7000, "reserved"),
    ]
    assert claim["total_cents"] == 11500 and not any(d["scanned"] for d in claim["devices"])
    assert claim["created_at"] == "2025-05-12T08:00:00.000000Z"
    assert claim["expires_at"] == "2025-05-26T08:00:00.000000Z"  # 14 days
    assert client.get(f"{CLAIMS}/{claim['id']}", headers=headers).json() == claim
    for code, price in ((first, 4500), (second, 7000)):
        assert status_of(engine, code) == "reserved"
        kind, payload = history(client, engine, code)[-1]
        assert kind == "device.reserved" and payload["claim_id"] == claim["id"]
        assert payload["price_cents"] == price
        assert payload["changes"]["structure_id"] == [None, mine]
    [(_actor, created)] = ledger_events(engine, "claim.created")
    assert created["claim_id"] == claim["id"] and created["total_cents"] == 11500
    ledger_ok(client, coordinator)


def test_a_claim_by_criteria_takes_the_cheapest_devices_that_meet_them(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine)
    with transaction(engine) as session:
        big = {"ram_gb": 16, "storage_gb": 512}
        dear = stock(session, grade="A", price_cents=9000, specs=big)
        cheap = stock(session, grade="B", price_cents=4000, specs=big)
        middle = stock(session, grade="B", price_cents=6000, specs=big)
        stock(session, grade="C", price_cents=1000, specs=big)  # grade too low
        stock(session, grade="A", price_cents=2000, specs={"ram_gb": 4})  # too little RAM
        stock(session, category=Category.SMARTPHONE, price_cents=500)  # another category
    criteria = {"category": "laptop", "min_grade": "B", "min_ram_gb": 8}
    claim = post_claim(client, headers, quantity=2, criteria=criteria)
    assert [d["code"] for d in claim["devices"]] == [cheap, middle]
    assert claim["total_cents"] == 10000
    assert dear in codes_in(browse(client, coordinator, category="laptop"))
    ledger_ok(client, coordinator)


@pytest.mark.parametrize("status", ["pending", "suspended"])
def test_a_structure_that_is_not_active_may_not_claim(
    client: TestClient, engine: Engine, coordinator: dict[str, str], status: str
) -> None:
    headers, mine = active_structure(client, engine)
    client.patch(f"/api/v1/structures/{mine}", headers=coordinator, json={"status": status})
    with transaction(engine) as session:
        code = stock(session)
    for body in ({"device_codes": [code]}, {"quantity": 1, "criteria": {"category": "laptop"}}):
        refused = post_claim(client, headers | {"Accept-Language": "en"}, 409, **body)
        assert refused["code"] == "structure_not_active", body
        assert "La Passerelle" in refused["detail"]
    assert status_of(engine, code) == "available" and ledger_events(engine, "claim.created") == []


def test_a_claim_beyond_the_quota_says_what_remains(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine, laptop=2)
    with transaction(engine) as session:
        codes = [stock(session) for _ in range(3)]
        tablet = stock(session, category=Category.TABLET)
    refused = post_claim(client, headers, 409, device_codes=codes)
    assert refused["code"] == "quota_exceeded"
    assert fields_of(refused, "category", "remaining", "quota") == ("laptop", 2, 2)
    post_claim(client, headers, device_codes=codes[:1])
    by_criteria = {"quantity": 2, "criteria": {"category": "laptop"}, "waitlist": True}
    refused = post_claim(client, headers, 409, **by_criteria)
    assert (refused["code"], refused["remaining"]) == ("quota_exceeded", 1)
    no_quota = post_claim(client, headers, 409, device_codes=[tablet])  # no tablet quota
    assert fields_of(no_quota, "code", "category", "remaining") == ("quota_exceeded", "tablet", 0)
    assert [status_of(engine, c) for c in codes[1:]] == ["available", "available"]
    assert post_claim(client, headers, device_codes=codes[1:2])["total_cents"] == 5000


def test_the_quota_renews_at_midnight_in_paris_when_the_quarter_turns(
    client: TestClient, engine: Engine
) -> None:
    headers, _mine = active_structure(client, engine, laptop=1)
    with transaction(engine) as session:
        codes_ = [stock(session) for _ in range(3)]
    turn_clock(client, datetime(2025, 3, 31, 21, 30, tzinfo=UTC))
    post_claim(client, headers, device_codes=codes_[:1])  # 23:30 in Paris: the first quarter
    turn_clock(client, datetime(2025, 3, 31, 21, 59, tzinfo=UTC))
    assert post_claim(client, headers, 409, device_codes=codes_[1:2])["remaining"] == 0
    turn_clock(client, datetime(2025, 3, 31, 22, 0, tzinfo=UTC))
    post_claim(client, headers, device_codes=codes_[1:2])  # midnight in Paris: a new quarter
    summary = client.get("/api/v1/catalog/summary", headers=headers).json()
    assert summary["period"] == {"start": "2025-04-01", "end": "2025-07-01"}
    assert summary["quota_use"]["laptop"] == {"quota": 1, "used": 1, "remaining": 0}


def test_a_named_device_no_longer_available_is_named_and_nothing_is_reserved(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine)
    other, _theirs = active_structure(client, engine, "Mission locale")
    with transaction(engine) as session:
        free, taken = stock(session), stock(session)
    post_claim(client, other, device_codes=[taken])
    refused = post_claim(
        client, headers | {"Accept-Language": "en"}, 409, device_codes=[free, taken]
    )
    assert refused["code"] == "device_unavailable" and refused["devices"] == [taken]
    assert taken in refused["detail"] and free not in refused["devices"]
    assert status_of(engine, free) == "available"
    assert len(ledger_events(engine, "claim.created")) == 1
    nowhere = codes.display(codes.new_code())  # well formed, but no such device
    missing = post_claim(client, headers, 409, device_codes=[nowhere])
    assert (missing["code"], missing["devices"]) == ("device_unavailable", [nowhere])
    unreadable = post_claim(client, headers, 422, device_codes=["NOT-ACODE"])
    assert unreadable["code"] == "invalid_device_code"


def test_not_enough_stock_is_refused_or_waits_in_line(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, mine = active_structure(client, engine)
    other, _theirs = active_structure(client, engine, "Mission locale")
    with transaction(engine) as session:
        codes = [stock(session), stock(session)]
    ask = {"quantity": 3, "criteria": {"category": "laptop", "min_grade": "B"}}
    refused = post_claim(client, headers | {"Accept-Language": "en"}, 409, **ask)
    assert refused["code"] == "not_enough_stock"
    assert refused["detail"].startswith("Only 2 available device(s) meet these criteria, and 3")
    assert [status_of(engine, c) for c in codes] == ["available", "available"]
    waiting = post_claim(client, headers, 202, waitlist=True, **ask)
    entry = waiting["waitlisted"]
    assert fields_of(entry, "position", "quantity", "served", "state") == (1, 3, 0, "waiting")
    assert entry["structure"]["id"] == mine and entry["criteria"]["min_grade"] == "B"
    assert waiting["reason"]
    second = post_claim(client, other, 202, waitlist=True, **ask)["waitlisted"]
    assert second["position"] == 2
    mine_only = client.get("/api/v1/waitlist", headers=headers).json()
    assert [(e["id"], e["position"]) for e in mine_only] == [(entry["id"], 1)]
    everyone = client.get("/api/v1/waitlist", headers=coordinator).json()
    assert [e["position"] for e in everyone] == [1, 2]
    assert [p["quantity"] for _a, p in ledger_events(engine, "claim.waitlisted")] == [3, 3]
    assert [status_of(engine, c) for c in codes] == ["available", "available"]
    left = client.delete(f"/api/v1/waitlist/{entry['id']}", headers=headers)
    assert left.status_code == 200 and left.json()["state"] == "cancelled"
    assert client.get("/api/v1/waitlist", headers=other).json()[0]["position"] == 1
    again = client.delete(f"/api/v1/waitlist/{entry['id']}", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "waitlist_entry_not_waiting"
    assert client.delete(f"/api/v1/waitlist/{second['id']}", headers=headers).status_code == 404
    assert len(ledger_events(engine, "waitlist.cancelled")) == 1
    ledger_ok(client, coordinator)


def test_a_retry_with_the_same_key_replays_the_answer_and_creates_nothing(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, _mine = active_structure(client, engine)
    with transaction(engine) as session:
        code = stock(session)
    keyed = headers | {"Idempotency-Key": "claim-1"}
    first = client.post(CLAIMS, headers=keyed, json={"device_codes": [code]})
    again = client.post(CLAIMS, headers=keyed, json={"device_codes": [code]})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(client.get(CLAIMS, headers=headers).json()) == 1
    assert len(ledger_events(engine, "claim.created")) == 1
    wait = {"quantity": 5, "criteria": {"category": "laptop"}, "waitlist": True}
    waited = [
        client.post(CLAIMS, headers=headers | {"Idempotency-Key": "wait-1"}, json=wait)
        for _ in range(2)
    ]
    assert [w.status_code for w in waited] == [202, 202] and waited[0].json() == waited[1].json()
    assert len(ledger_events(engine, "claim.waitlisted")) == 1
    reused = client.post(CLAIMS, headers=keyed, json={"device_codes": [code], "waitlist": False})
    assert reused.status_code == 201  # the same request, parsed: replayed
    other = client.post(CLAIMS, headers=keyed, json={"quantity": 1, "criteria": wait["criteria"]})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    ledger_ok(client, coordinator)


# Claims the API refuses to read: a rule of ClaimCreate each.
BAD_CLAIMS: list[dict[str, Any]] = [
    {"device_codes": ["ABCD-EFGH"], "quantity": 1, "criteria": {"category": "laptop"}},
    {"quantity": 2},
    {"device_codes": ["ABCD-EFGH"], "waitlist": True},
    {"device_codes": ["ABCD-EFGH"], "criteria": {"category": "laptop"}},
    {},
    {"device_codes": []},
    {"quantity": 0, "criteria": {"category": "laptop"}},
    {"quantity": 101, "criteria": {"category": "laptop"}},
    {"quantity": 1, "criteria": {"category": "laptop", "colour": "red"}},
    {"quantity": 1, "criteria": {"min_grade": "A"}},
]


def test_malformed_claims_are_422(client: TestClient, engine: Engine) -> None:
    headers, _mine = active_structure(client, engine)
    for body in BAD_CLAIMS:
        answer = client.post(CLAIMS, headers=headers, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["code"] == "invalid_request", body
    coordinator_claim = {"quantity": 1, "criteria": {"category": "laptop"}}
    answer = client.post(CLAIMS, headers=staff(engine), json=coordinator_claim)
    assert answer.status_code == 422 and answer.json()["code"] == "structure_needed"
    assert ledger_events(engine, "claim.created") == []


def test_a_structure_lists_its_own_claims_and_staff_filter_them(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, mine = active_structure(client, engine)
    other, theirs = active_structure(client, engine, "Mission locale")
    with transaction(engine) as session:
        a, b, theirs_code = stock(session), stock(session), stock(session)
    kept = post_claim(client, headers, device_codes=[a])["id"]
    dropped = post_claim(client, headers, device_codes=[b])["id"]
    their_claim = post_claim(client, other, device_codes=[theirs_code])["id"]
    client.delete(f"{CLAIMS}/{dropped}", headers=headers)

    def ids(who: dict[str, str], **params: Any) -> list[int]:
        return [c["id"] for c in client.get(CLAIMS, headers=who, params=params).json()]

    assert ids(headers) == [dropped, kept]  # newest first
    assert ids(other) == [their_claim]
    assert ids(headers, structure_id=theirs) == [dropped, kept]  # a structure: its own only
    assert ids(coordinator) == [their_claim, dropped, kept]
    assert ids(coordinator, structure_id=mine) == [dropped, kept]
    assert ids(coordinator, structure_id=mine, state="reserved") == [kept]
    assert ids(coordinator, state="cancelled") == [dropped]
    assert ids(coordinator, limit=1, offset=1) == [dropped]
    assert ids(staff(engine, Role.BENCH)) == [their_claim, dropped, kept]
    for path in (f"{CLAIMS}/{their_claim}", f"{CLAIMS}/{their_claim}/receipt.pdf"):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404 and answer.json()["code"] == "claim_not_found", path
    assert client.delete(f"{CLAIMS}/{their_claim}", headers=headers).status_code == 404
    assert client.get(f"{CLAIMS}/{their_claim}", headers=coordinator).status_code == 200
    assert status_of(engine, theirs_code) == "reserved"


def test_cancelling_puts_the_devices_back_and_frees_the_quota(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, mine = active_structure(client, engine, laptop=2)
    with transaction(engine) as session:
        codes_ = [stock(session), stock(session)]
    claim = post_claim(client, headers, device_codes=codes_)
    answer = client.delete(f"{CLAIMS}/{claim['id']}", headers=headers)
    assert answer.status_code == 200, answer.text
    cancelled = answer.json()
    assert cancelled["state"] == "cancelled" and cancelled["total_cents"] == 0
    assert {d["state"] for d in cancelled["devices"]} == {"released"}
    assert sorted(codes_in(browse(client, headers))) == sorted(codes_)
    for code in codes_:
        assert status_of(engine, code) == "available"
        kind, payload = history(client, engine, code)[-1]
        assert kind == "device.released" and payload["claim_id"] == claim["id"]
        assert payload["changes"]["structure_id"] == [mine, None]
    [(_actor, event)] = ledger_events(engine, "claim.cancelled")
    assert event["claim_id"] == claim["id"] and len(event["devices"]) == 2
    again = client.delete(f"{CLAIMS}/{claim['id']}", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "claim_not_held"
    assert len(ledger_events(engine, "claim.cancelled")) == 1
    use = client.get(f"/api/v1/structures/{mine}", headers=headers).json()["quota_use"]
    assert use["laptop"] == {"quota": 2, "used": 0, "remaining": 2}
    assert post_claim(client, headers, device_codes=codes_)["total_cents"] == 10000
    ledger_ok(client, coordinator)


def test_staff_hand_over_the_scanned_devices_at_the_reserved_prices(
    client: TestClient, engine: Engine, coordinator: dict[str, str]
) -> None:
    headers, mine = active_structure(client, engine)
    with transaction(engine) as session:
        given, left = stock(session, price_cents=4500), stock(session, price_cents=6000)
        stranger = stock(session)
    claim = post_claim(client, headers, device_codes=[given, left])
    with transaction(engine) as session:  # repriced after the reservation: not for this claim
        lifecycle.change(
            session, by_code(session, given), actor="tests", fields={"price_cents": 9900}
        )
    for not_staff in (headers, auth(make_token(engine, role=Role.WORKSHOP))):
        assert hand_over(client, not_staff, claim["id"], [given, left]).status_code == 403
    bench = staff(engine, Role.BENCH)  # the bench volunteer hands over, as coordinators do
    refused = hand_over(client, bench, claim["id"], [given, stranger]).json()
    assert refused["code"] == "device_not_in_claim" and stranger in refused["detail"]
    unscanned = hand_over(client, bench, claim["id"], [given]).json()
    assert unscanned["code"] == "devices_not_scanned" and unscanned["devices"] == [left]
    assert status_of(engine, given) == "reserved" and status_of(engine, stranger) == "available"
    keyed = bench | {"Idempotency-Key": "handover-1"}
    answer = hand_over(client, keyed, claim["id"], [given], release_missing=True)
    assert answer.status_code == 200, answer.text
    retry = hand_over(client, keyed, claim["id"], [given], release_missing=True)
    assert (retry.status_code, retry.json()) == (200, answer.json())  # a retry, not a 409
    done = answer.json()
    assert fields_of(done, "state", "collector") == ("handed_over", "Awa Diallo")
    assert done["total_cents"] == 4500  # the price at reservation, not the new one
    assert done["handed_over_at"] is not None
    states = [(d["code"], d["state"]) for d in done["devices"]]
    assert states == [(given, "handed_over"), (left, "released")]
    assert (status_of(engine, given), status_of(engine, left)) == ("handed_over", "available")
    kind, payload = history(client, engine, given)[-1]
    assert kind == "device.handed_over" and payload["price_cents"] == 4500
    assert (payload["claim_id"], payload["collector"]) == (claim["id"], "Awa Diallo")
    assert history(client, engine, left)[-1][0] == "device.released"
    [(_actor, event)] = ledger_events(engine, "claim.handed_over")
    assert (event["total_cents"], event["released"]) == (4500, [codes.parse(left)])
    twice = hand_over(client, bench, claim["id"], [given])
    assert twice.status_code == 409 and twice.json()["code"] == "claim_not_held"
    use = client.get(f"/api/v1/structures/{mine}", headers=headers).json()["quota_use"]
    assert use["laptop"]["used"] == 1
    ledger_ok(client, coordinator)
