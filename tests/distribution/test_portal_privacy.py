"""A structure never sees another's data in the portal, whatever address it types, over
HTTP on SQLite and PostgreSQL: structure B, signed in, opens or posts to every address
naming structure A's reservations (held and collected), receipt, waitlist entry, inbox
message, received device, and A's pages on the coordinators' side: each answers 403 or
404 and none shows A's name, contact or device codes; nothing of A's changes. B's own
portal pages show none of it either."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db.engine import transaction
from db.enums import Role
from db.models import LedgerEvent, Structure
from distribution import inbox
from distribution.models import InboxMessage
from tests.distribution.test_catalog_api import staff
from tests.distribution.test_claims_api import hand_over
from tests.distribution.test_portal_catalog import approved, keys_of, post, shelf
from tests.distribution.test_portal_signup import STRUCTURE, approve, log_in, sign_up

A_NAME, A_EMAIL = STRUCTURE["name"], STRUCTURE["contact_email"]


@dataclass(frozen=True)
class OfA:
    held: int  # a reservation held
    given: int  # a reservation collected
    entry: int  # a request waiting in line
    message: int
    codes: list[str]
    structure: int


def world_of_a(client: TestClient, engine: Engine) -> OfA:
    structure = approved(client, engine, laptop=5, tablet=2)
    on = shelf(engine)
    held = post(
        client, "/portal/claims/devices", keys_of(client, "reserve-form") | {"device": [on["l1"]]}
    )
    given = post(
        client, "/portal/claims/devices", keys_of(client, "reserve-form") | {"device": [on["l2"]]}
    )
    held_id, given_id = (int(r.headers["location"].rsplit("/", 1)[1]) for r in (held, given))
    assert hand_over(client, staff(engine, Role.BENCH), given_id, [on["l2"]]).status_code == 200
    wanted = {"ask.quantity": "1", "ask.category": "tablet", "ask.waitlist": "yes"}
    assert post(client, "/portal/claims/criteria", keys_of(client, "ask-form") | wanted).is_redirect
    page = client.get("/portal/reservations").text
    (entry,) = re.findall(r'id="entry-(\d+)"', page)
    with transaction(engine) as session:
        found = session.get(Structure, structure)
        assert found is not None
        message = inbox.notify(
            session,
            found,
            kind="claim.reminder",
            params={"claim": held_id, "devices": [on["l1"]], "expires": "2030-01-01"},
            now="2030-01-01T00:00:00+00:00",
            claim_id=held_id,
            mail=False,
        )
        message_id = message.id or 0
    return OfA(held_id, given_id, int(entry), message_id, [on["l1"], on["l2"]], structure)


def structure_b(client: TestClient, engine: Engine) -> None:
    """Structure B signs up, is approved, and signs in on the same browser."""
    client.cookies.clear()
    fields = {"name": "Le Relais", "username": "bruno", "contact_email": "b@relais.example"}
    assert sign_up(client, **fields).status_code == 303
    approve(engine, "Le Relais", laptop=5)
    assert log_in(client, "bruno") == "/portal"


def ledger_size(engine: Engine) -> int:
    with transaction(engine, read_only=True) as session:
        return len(session.exec(select(LedgerEvent.seq)).all())


def reads(a: OfA) -> list[str]:
    mine = f"/portal/reservations/{a.held}"
    return [
        mine,
        f"{mine}/cancel",
        f"/portal/reservations/{a.given}",
        f"/portal/reservations/{a.given}/receipt.pdf",
        f"/claims/{a.held}",
        f"/claims/{a.held}/cancel",
        f"/claims/{a.given}",
        f"/claims/{a.given}/receipt.pdf",
        f"/claims/{a.held}/handover",
        f"/structures/{a.structure}",
    ]


def writes(a: OfA) -> list[str]:
    return [
        f"/portal/reservations/{a.held}/cancel",
        f"/portal/waitlist/{a.entry}/cancel",
        f"/portal/inbox/{a.message}/read",
        f"/portal/received/{a.codes[1]}/fault",
        f"/claims/{a.held}/cancel",
        f"/claims/{a.held}/handover/scan",
        f"/structures/{a.structure}/status",
        f"/structures/{a.structure}/quotas",
    ]


def assert_nothing_of_a(body: str, a: OfA, where: str) -> None:
    """Nothing of A in `body`, but the address B typed itself (the language switch names
    it, to come back to it)."""
    body = body.replace(where, "")
    for secret in (A_NAME, A_EMAIL, *a.codes):
        assert secret not in body, f"{where} shows {secret}"


def test_structure_b_gets_nothing_of_structure_a_at_any_address(
    client: TestClient, engine: Engine
) -> None:
    a = world_of_a(client, engine)
    structure_b(client, engine)
    before = ledger_size(engine)
    for path in reads(a):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code in (403, 404), path
        assert_nothing_of_a(answer.text, a, path)
    for path in writes(a):
        keys = keys_of(client, "ask-form")  # B's own form: a real CSRF token and form key
        form = keys | {
            "description": "L'écran reste noir.",
            "code": a.codes[0],
            "status": "suspended",
        }
        answer = client.post(path, data=form, follow_redirects=False)
        assert answer.status_code in (403, 404), path
        assert_nothing_of_a(answer.text, a, path)
    assert ledger_size(engine) == before  # nothing of A's moved
    with transaction(engine, read_only=True) as session:
        message = session.get(InboxMessage, a.message)
        assert message is not None and message.read_at is None

    for path in (
        "/portal",
        "/portal/reservations",
        "/portal/inbox",
        "/portal/received",
        "/portal/account",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert_nothing_of_a(page.text, a, path)
    assert "Le Relais" in client.get("/portal/account").text


@pytest.mark.parametrize("path", ["/portal/reservations/0", "/portal/reservations/99999999999"])
def test_an_address_out_of_range_is_the_404_page(
    client: TestClient, engine: Engine, path: str
) -> None:
    approved(client, engine, laptop=1)
    answer = client.get(path)
    assert answer.status_code == 404 and "<html" in answer.text
