"""The portal's catalogue and reservations over HTTP, on SQLite and PostgreSQL, for a
structure that signed up and was approved: filters, counts by category and grade with
each grade's meaning, quota use; two devices reserved by ticking them, one by criteria,
the quota's refusal, a request that waits in line with its place, leaving the line;
a reservation's page with its expiry and total, cancelled after asking; the receipt of
one collected. Never a serial on a page."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from db import codes
from db.engine import transaction
from db.enums import Category, Role
from db.models import Device
from distribution import claims, portal_claims, portal_forms
from distribution.claims import ClaimPolicy
from distribution.errors import QuotaExceeded
from distribution.models import Claim, ClaimCreate, Criteria
from remise.auth import system_actor
from tests.distribution.test_catalog_api import staff, stock
from tests.distribution.test_claims_api import hand_over
from tests.distribution.test_portal_signup import (
    approve,
    field_error,
    fr,
    log_in,
    sign_up,
    text_of,
)
from tests.distribution.test_structures_api import ledger_events
from tests.factories import make_structure
from tests.web.test_grading_pages import NBSP, between, form_fields

LINUX = {"ram_gb": 16, "storage_gb": 512, "storage_type": "ssd", "os": "linux"}
WINDOWS = {"ram_gb": 8, "storage_gb": 256, "storage_type": "ssd", "os": "windows"}
SMALL = {"ram_gb": 4, "storage_gb": 128, "storage_type": "hdd", "os": "Linux"}
PHONE = {"ram_gb": 3, "storage_gb": 32, "os": "android"}


def euros(amount: int) -> str:
    return f"{amount},00{NBSP}€"


def shelf(engine: Engine) -> dict[str, str]:
    """Three laptops (A, B, C) and a smartphone, by nickname."""
    with transaction(engine) as session:
        return {
            "l1": stock(session, grade="A", price_cents=9000, specs=LINUX),
            "l2": stock(session, grade="B", price_cents=5000, specs=WINDOWS),
            "l3": stock(session, grade="C", price_cents=3000, specs=SMALL),
            "p1": stock(session, category=Category.SMARTPHONE, price_cents=4000, specs=PHONE),
        }


def approved(client: TestClient, engine: Engine, **quotas: int) -> int:
    assert sign_up(client).status_code == 303
    found = approve(engine, "La Passerelle", **quotas)
    assert log_in(client, "awa") == "/portal"
    return found


def listed(page: str) -> str:
    return between(page, 'id="devices"', "</section>")


def quota_of(page: str, category: str) -> str:
    return text_of(between(page, f'id="quota-{category}"', "</tr>"))


def keys_of(client: TestClient, form_id: str, page: str = "/portal") -> dict[str, str]:
    """The hidden fields of a form on a page shown afresh (a one-time form key each)."""
    return form_fields(client.get(page).text, form_id)


def post(client: TestClient, path: str, fields: dict[str, Any]) -> Any:
    return client.post(path, data=fields, follow_redirects=False)


def test_the_catalogue_filters_counts_and_says_what_each_grade_means(
    client: TestClient, engine: Engine
) -> None:
    approved(client, engine, laptop=3)
    on = shelf(engine)
    answer = client.get("/portal")
    page = text_of(answer.text)
    assert answer.status_code == 200
    assert re.search(r'<select id="field-category" name="category"[^>]*autofocus>', page)
    assert page.count("autofocus") == 1
    counts = between(page, 'id="counts"', "</section>")
    for grade in "ABC":
        assert f"Grade {grade} : bon état" in counts  # what grading wrote, in French
    assert re.search(rf"{fr('Laptop')}</a></th><td><span[^>]*>A</span>", counts)
    assert re.search(rf"{fr('Smartphone')}</a></th><td><span[^>]*>B</span>.*?<td>1</td>", counts)
    assert all(code in listed(page) for code in on.values())
    assert fr("%(used)s / %(quota)s", used=0, quota=3) in quota_of(page, "laptop")
    with transaction(engine, read_only=True) as session:
        serials = [d.serial for d in session.exec(select(Device)).all()]
    assert serials and not any(serial in page for serial in serials)

    def shown(query: str) -> set[str]:
        found = text_of(client.get(f"/portal?{query}").text)
        return {nick for nick, code in on.items() if f'value="{code}"' in listed(found)}

    assert shown("category=laptop&min_ram_gb=8") == {"l1", "l2"}
    assert shown("min_grade=B") == {"l1", "l2", "p1"}
    assert shown("os=linux") == {"l1", "l3"}
    assert shown("max_price=40") == {"l3", "p1"}
    assert shown("max_price=49,99&category=laptop") == {"l3"}
    assert shown("min_storage_gb=200&os=windows") == {"l2"}
    refused = client.get("/portal?min_ram_gb=huit&max_price=12.345")
    assert refused.status_code == 422
    page = text_of(refused.text)
    assert field_error(page, "min_ram_gb") == fr(portal_forms.WHOLE)
    assert field_error(page, "max_price") == fr(portal_forms.EUROS)
    assert 'value="huit"' in page and re.search(r'id="field-min_ram_gb"[^>]*autofocus>', page)


def test_devices_reserved_by_ticking_them_then_by_criteria_within_the_quota(
    client: TestClient, engine: Engine
) -> None:
    approved(client, engine, laptop=3)
    on = shelf(engine)
    page = client.get("/portal?category=laptop").text
    keys = form_fields(page, "reserve-form")
    assert keys["category"] == "laptop" and 'id="pick-' + on["l1"] + '"' in page
    assert f'<label for="pick-{on["l1"]}" class="visually-hidden">' in page
    nothing = post(client, "/portal/claims/devices", keys)
    assert nothing.status_code == 422
    assert fr(portal_claims.NOTHING_TICKED) in text_of(nothing.text)

    made = post(client, "/portal/claims/devices", keys | {"device": [on["l1"], on["l2"]]})
    assert made.status_code == 303
    claim_id = int(made.headers["location"].rsplit("/", 1)[1])
    assert made.headers["location"] == f"/portal/reservations/{claim_id}"
    with transaction(engine, read_only=True) as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None and claim.total_cents == 14000
        expires = claim.expires_at
    until = format_datetime(
        datetime.fromisoformat(expires), "short", tzinfo=ZoneInfo("Europe/Paris"), locale="fr"
    )
    detail = text_of(client.get(made.headers["location"]).text)
    assert until in between(detail, 'id="held-until"', "</dd>")
    assert f"<strong>{euros(140)}</strong>" in detail
    for code, price in ((on["l1"], 90), (on["l2"], 50)):
        row = between(detail, f'<td class="code">{code}</td>', "</tr>")
        assert euros(price) in row and "Lenovo ThinkPad T480" in row
    assert euros(140) in detail and until in detail  # the flash, too

    sent_again = post(client, "/portal/claims/devices", keys | {"device": [on["l3"]]})
    assert sent_again.headers["location"] == made.headers["location"]  # nothing done twice
    keys = keys_of(client, "reserve-form")
    again = post(client, "/portal/claims/devices", keys | {"device": [on["l1"], on["l3"]]})
    assert again.status_code == 409  # l1 is no longer available: nothing reserved
    refusal = between(text_of(again.text), 'id="reserve-problem"', "</div>")
    assert on["l1"] in refusal and on["l3"] not in refusal
    assert f'value="{on["l3"]}" id="pick-{on["l3"]}" checked' in again.text  # kept

    page = client.get("/portal").text
    assert fr("%(used)s / %(quota)s", used=2, quota=3) in quota_of(page, "laptop")
    ask = form_fields(page, "ask-form")
    wanted = {"ask.quantity": "1", "ask.category": "laptop", "ask.max_price": "40"}
    served = post(client, "/portal/claims/criteria", ask | wanted)
    assert served.status_code == 303
    second = int(served.headers["location"].rsplit("/", 1)[1])
    assert on["l3"] in client.get(served.headers["location"]).text

    over = post(client, "/portal/claims/criteria", keys_of(client, "ask-form") | wanted)
    assert over.status_code == 409
    said = text_of(between(over.text, 'id="ask-problem"', "</div>"))
    policy = ClaimPolicy()
    end = policy.quotas.period(policy.clock().astimezone(policy.quotas.zone).date()).end
    quota = {"asked": 1, "remaining": 0, "end": end.isoformat(), "quota": 3, "used": 3}
    assert fr(QuotaExceeded.message, category=fr("Laptop"), **quota) in said
    assert re.search(r'id="field-ask.max_price" name="ask.max_price" value="40"', over.text)
    blank = {"ask.quantity": "", "ask.category": ""}
    missing = post(client, "/portal/claims/criteria", keys_of(client, "ask-form") | blank)
    assert missing.status_code == 422
    page = text_of(missing.text)
    assert field_error(page, "ask.quantity") == fr(portal_forms.QUANTITY_NEEDED)
    assert field_error(page, "ask.category") == fr(portal_forms.CATEGORY_NEEDED)

    rows = text_of(client.get("/portal/reservations").text)
    first_row = between(rows, f'id="reservation-{claim_id}"', "</tr>")
    assert until in first_row and euros(140) in first_row and "<td>2</td>" in first_row
    assert rows.index(f'id="reservation-{second}"') < rows.index(f'id="reservation-{claim_id}"')
    created = [p["claim_id"] for _a, p in ledger_events(engine, "claim.created")]
    assert created == [claim_id, second]


def test_a_request_the_stock_cannot_serve_waits_in_line_with_its_place(
    client: TestClient, engine: Engine
) -> None:
    approved(client, engine, smartphone=5)
    shelf(engine)
    with transaction(engine) as session:  # another structure waits for smartphones first
        make_structure(session, name="Le Relais")
    other = approve(engine, "Le Relais", smartphone=5)
    wait = ClaimCreate(
        quantity=3,
        criteria=Criteria(category=Category.SMARTPHONE),
        waitlist=True,
        structure_id=other,
    )
    with transaction(engine) as session:
        claims.create_claim(session, system_actor("cora"), data=wait, policy=ClaimPolicy())
    page = client.get("/portal").text
    wanted = {"ask.quantity": "2", "ask.category": "smartphone"}
    short = post(client, "/portal/claims/criteria", form_fields(page, "ask-form") | wanted)
    assert short.status_code == 409
    said = text_of(between(short.text, 'id="ask-problem"', "</form>"))
    assert fr(portal_claims.SHORT, found=1, asked=2) in said
    offer = form_fields(short.text, "waitlist-form")
    assert offer["ask.waitlist"] == "yes" and offer["ask.quantity"] == "2"
    joined = post(client, "/portal/claims/criteria", offer)
    assert (joined.status_code, joined.headers["location"]) == (
        303,
        "/portal/reservations#waitlist",
    )
    page = text_of(client.get("/portal/reservations").text)
    assert fr(portal_claims.PLACE, place=2) in page
    (entry,) = re.findall(r'id="entry-(\d+)"', page)
    row = between(page, f'id="entry-{entry}"', "</tr>")
    assert "<strong>2</strong>" in row and "Le Relais" not in page
    assert fr("%(served)s of %(quantity)s", served=0, quantity=2) in row

    leave = form_fields(client.get("/portal/reservations").text, f"leave-{entry}")
    left = post(client, f"/portal/waitlist/{entry}/cancel", leave)
    assert (left.status_code, left.headers["location"]) == (303, "/portal/reservations#waitlist")
    assert f'id="entry-{entry}"' not in client.get("/portal/reservations").text
    assert [p["waitlist_entry_id"] for _a, p in ledger_events(engine, "waitlist.cancelled")] == [
        int(entry)
    ]


def test_a_reservation_is_cancelled_after_asking_and_a_collected_one_has_its_receipt(
    client: TestClient, engine: Engine
) -> None:
    approved(client, engine, laptop=3)
    on = shelf(engine)
    keys = form_fields(client.get("/portal").text, "reserve-form")
    first = post(client, "/portal/claims/devices", keys | {"device": [on["l1"]]}).headers[
        "location"
    ]
    keys = form_fields(client.get("/portal").text, "reserve-form")
    second = post(client, "/portal/claims/devices", keys | {"device": [on["l2"]]}).headers[
        "location"
    ]
    assert client.get(f"{first}/receipt.pdf").status_code == 409  # not collected yet

    question = client.get(f"{first}/cancel")
    assert question.status_code == 200 and on["l1"] in question.text
    done = post(client, f"{first}/cancel", form_fields(question.text, "cancel-form"))
    assert (done.status_code, done.headers["location"]) == (303, first)
    page = text_of(client.get(first).text)
    claim_id = int(first.rsplit("/", 1)[1])
    assert (
        fr("Reservation %(id)s cancelled: its devices are back in the catalogue.", id=claim_id)
        in page
    )
    assert 'id="cancel-link"' not in page
    assert f'value="{on["l1"]}"' in client.get("/portal").text  # back in the catalogue
    assert client.get(f"{first}/cancel", follow_redirects=False).headers["location"] == first
    with transaction(engine, read_only=True) as session:
        device = session.exec(select(Device).where(Device.code == codes.parse(on["l1"]))).one()
        assert device.status == "available"

    given = int(second.rsplit("/", 1)[1])
    assert hand_over(client, staff(engine, Role.BENCH), given, [on["l2"]]).status_code == 200
    page = client.get(second).text
    assert f'href="{second}/receipt.pdf"' in page
    receipt = client.get(f"{second}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.headers["content-type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")
