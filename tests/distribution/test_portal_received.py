"""The portal's received devices and inbox over HTTP, on SQLite and PostgreSQL: a device
handed over is reported faulty from its form (the description required and limited, the
limit said, a longer one refused whole); the device goes back to the workshop and the
report shows its state; the coordinators' decision arrives in the inbox, unread and
counted in the menu, then marked read; a request served from the waitlist says so too,
newest first. After the warranty, the form gives way to a word about repairs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db import codes
from db.engine import transaction
from db.enums import Category, Role
from db.models import Device
from distribution import portal_received, waitlist
from distribution.claims import ClaimPolicy
from distribution.models import DESCRIPTION_MAX
from remise.auth import system_actor
from remise.i18n import number, translate_plural
from tests.distribution.test_catalog_api import staff, stock
from tests.distribution.test_claims_api import hand_over, turn_clock
from tests.distribution.test_portal_catalog import approved, keys_of, post, shelf
from tests.distribution.test_portal_signup import fr, text_of
from tests.distribution.test_structures_api import ledger_events
from tests.web.test_grading_pages import between

HANDED = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
FAULT = "L'écran reste noir au démarrage."


def received(client: TestClient, engine: Engine, *nicks: str) -> tuple[dict[str, str], int]:
    """The structure's reservation of `nicks`, handed over at HANDED: (shelf, claim id)."""
    turn_clock(client, HANDED)
    on = shelf(engine)
    keys = keys_of(client, "reserve-form")
    made = post(client, "/portal/claims/devices", keys | {"device": [on[n] for n in nicks]})
    claim_id = int(made.headers["location"].rsplit("/", 1)[1])
    given = hand_over(client, staff(engine, Role.BENCH), claim_id, [on[n] for n in nicks])
    assert given.status_code == 200, given.text
    return on, claim_id


def fault_form(page: str, code: str) -> str:
    return between(page, f'id="fault-form-{code}"', "</form>")


def test_a_device_received_is_reported_faulty_and_the_decision_arrives_in_the_inbox(
    client: TestClient, engine: Engine
) -> None:
    approved(client, engine, laptop=5)
    on, claim_id = received(client, engine, "l1", "l2")
    turn_clock(client, HANDED + timedelta(days=30))
    page = text_of(client.get("/portal/received").text)
    form = fault_form(page, on["l1"])
    limit = fr("Required; at most %(max)s characters.", max=number("fr", DESCRIPTION_MAX))
    assert limit in form and "maxlength" not in form  # said, never cut by the browser
    assert f'<label for="field-description-{on["l1"]}">' in form
    assert fr("Under warranty until %(day)s.", day="10 mars 2026") in page
    assert f'href="/portal/reservations/{claim_id}"' in page

    here = f"/portal/received/{on['l1']}/fault"
    empty = post(client, here, keys_of(client, f"fault-form-{on['l1']}", "/portal/received"))
    assert empty.status_code == 422
    assert fr(portal_received.DESCRIBE) in fault_form(text_of(empty.text), on["l1"])
    long = "x" * (DESCRIPTION_MAX + 1)
    keys = keys_of(client, f"fault-form-{on['l1']}", "/portal/received")
    refused = post(client, here, keys | {"description": long})
    assert refused.status_code == 422
    form = fault_form(text_of(refused.text), on["l1"])
    said = fr("At most %(max_length)s characters.", max_length=DESCRIPTION_MAX)
    assert f'id="error-description-{on["l1"]}" role="alert">{said}</p>' in form
    assert f">{long}</textarea>" in form  # whole, not cut
    assert re.search(
        r'aria-describedby="error-description-[^"]+ hint-[^"]+" aria-invalid="true" autofocus', form
    )

    done = post(client, here, keys | {"description": FAULT})
    assert (done.status_code, done.headers["location"]) == (303, "/portal/received#faults")
    page = text_of(client.get("/portal/received").text)
    ((_actor, reported),) = ledger_events(engine, "device.fault_reported")
    fault_id = reported["fault_id"]
    assert fr(portal_received.REPORTED, id=fault_id, device=on["l1"]) in page
    report = between(page, f'id="fault-{fault_id}"', "</tr>")
    assert FAULT in report and fr("waiting for a decision") in report
    assert f'id="fault-form-{on["l1"]}"' not in page and f'id="fault-form-{on["l2"]}"' in page
    assert fr("Reported faulty: back at the association.") in page
    with transaction(engine, read_only=True) as session:
        device = session.exec(select(Device).where(Device.code == codes.parse(on["l1"]))).one()
        assert device.status == "in_refurbishment"

    assert 'id="portal-unread"' not in client.get("/portal/inbox").text
    decision = {"replace": False, "note": "Écran remplacé par l'atelier."}
    answer = client.post(
        f"/api/v1/faults/{fault_id}/decision", headers=staff(engine), json=decision
    )
    assert answer.status_code == 200, answer.text
    inbox = text_of(client.get("/portal/inbox").text)
    unread = translate_plural("fr", "%(num)s unread", "%(num)s unread", 1, num=1)
    assert f'<span class="badge unread" id="portal-unread">{unread}</span>' in inbox
    message = between(inbox, 'class="unread"', "</li>")
    assert f"{fault_id}" in message and on["l1"] in message and "Écran remplacé" in message
    (message_id,) = re.findall(r'id="message-(\d+)" class="unread"', inbox)
    read = post(
        client,
        f"/portal/inbox/{message_id}/read",
        keys_of(client, f"read-{message_id}", "/portal/inbox"),
    )
    assert (read.status_code, read.headers["location"]) == (
        303,
        f"/portal/inbox#message-{message_id}",
    )
    inbox = text_of(client.get("/portal/inbox").text)
    assert 'id="portal-unread"' not in inbox and f'id="message-{message_id}" class="read"' in inbox
    assert f'id="read-{message_id}"' not in inbox


def test_the_inbox_is_newest_first_and_the_warranty_ends(
    client: TestClient, engine: Engine
) -> None:
    approved(client, engine, laptop=5, tablet=2)
    on, _claim = received(client, engine, "l2")
    wanted = {"ask.quantity": "1", "ask.category": "tablet", "ask.waitlist": "yes"}
    for _ in range(2):
        waiting = post(client, "/portal/claims/criteria", keys_of(client, "ask-form") | wanted)
        assert waiting.headers["location"] == "/portal/reservations#waitlist"
    with transaction(engine) as session:
        tablets = [stock(session, category=Category.TABLET) for _ in range(2)]
    with transaction(engine) as session:
        policy = ClaimPolicy(clock=lambda: HANDED)
        first, second = waitlist.serve(session, system_actor("job:waitlist"), policy=policy)
    inbox = text_of(client.get("/portal/inbox").text)
    assert inbox.count('class="unread"') == 2 and all(t in inbox for t in tablets)
    newer = inbox.index(f'href="/portal/reservations/{second.claim_id}"')
    assert newer < inbox.index(f'href="/portal/reservations/{first.claim_id}"')

    turn_clock(client, HANDED + timedelta(days=366))
    page = text_of(client.get("/portal/received").text)
    assert f'id="fault-form-{on["l2"]}"' not in page
    ended = fr(
        "The warranty ended on %(day)s: for a repair, contact the coordinators.",
        day="10 mars 2026",
    )
    assert ended in page
    keys = keys_of(client, "reserve-form")  # any form key will do: the service refuses
    late = post(client, f"/portal/received/{on['l2']}/fault", keys | {"description": FAULT})
    assert late.status_code == 409 and on["l2"] in text_of(late.text)
