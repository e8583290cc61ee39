"""Distribution's pages over HTTP, on SQLite and PostgreSQL: the structures (waiting for
approval first) approved, suspended and given quotas; claims and the waitlist; a claim
cancelled after asking; the handover by scanning, a device not in the claim refused by
name, the devices not scanned released only when said to stay. Roles, French, English.

Every form that works answers 303 (Back and F5 send nothing again); every refusal comes
back beside its field, what was typed kept. Data is prepared through the JSON API. The
French words expected are read from the catalogue (`fr`), the English ones are the code's.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import col, select

from db import codes
from db.engine import transaction
from db.enums import Role, Status, StructureStatus
from db.models import Device, LedgerEvent
from distribution import claim_pages, handover_pages, structure_pages
from distribution.errors import NotInClaim
from remise.i18n import number, translate, translate_plural, translations
from tests.factories import auth, make_device, make_token
from tests.web.test_grading_pages import NBSP, at_the_bench, between, coordinator, form_fields
from tests.web.test_grading_pages import shown as text_of
from tests.web.test_pages import csrf_of, make_user, sign_in

PRICE = f"50,00{NBSP}€"  # the factories' grade B price
PENDING, ACTIVE, SUSPENDED = StructureStatus


def fr(message: str, **params: Any) -> str:
    return translate("fr", message, **params)


def fr_n(singular: str, plural: str, count: int, **params: Any) -> str:
    return translate_plural("fr", singular, plural, count, num=count, **params)


def like(message: str) -> re.Pattern[str]:
    """The French of `message`, whatever its parameters say."""
    parts = re.split(r"%\(\w+\)s", translations("fr").gettext(message))
    return re.compile(".+?".join(re.escape(p) for p in parts))


def staff(engine: Engine) -> dict[str, str]:
    return auth(make_token(engine))


def structure(
    client: TestClient, token: dict[str, str], name: str, status: str = "pending", **quotas: int
) -> int:
    made = client.post("/api/v1/structures", headers=token, json={"name": name})
    assert made.status_code == 201, made.text
    found = int(made.json()["id"])
    if status != "pending" or quotas:
        changed = {"status": status, "quotas": quotas}
        assert client.patch(f"/api/v1/structures/{found}", headers=token, json=changed).is_success
    return found


def in_stock(engine: Engine, count: int) -> list[str]:
    with transaction(engine) as session:
        made = [make_device(session, status=Status.AVAILABLE) for _ in range(count)]
        return [codes.display(d.code) for d in made]


def claim(client: TestClient, token: dict[str, str], structure_id: int, devices: list[str]) -> int:
    body = {"device_codes": devices, "structure_id": structure_id}
    made = client.post("/api/v1/claims", headers=token, json=body)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def events(engine: Engine, type_: str) -> list[dict[str, Any]]:
    with transaction(engine, read_only=True) as session:
        rows = session.exec(
            select(LedgerEvent).where(LedgerEvent.type == type_).order_by(col(LedgerEvent.seq))
        ).all()
        return [orjson.loads(r.payload) for r in rows]


def statuses_changed(engine: Engine) -> list[list[str]]:
    changes = [e["changes"] for e in events(engine, "structure.updated")]
    return [c["status"] for c in changes if "status" in c]


def status_of(engine: Engine, code: str) -> str:
    with transaction(engine, read_only=True) as session:
        found = session.exec(select(Device).where(Device.code == codes.parse(code))).one()
        return str(found.status)


def post(client: TestClient, path: str, keys: dict[str, str], **fields: str) -> Any:
    return client.post(path, data=keys | fields, follow_redirects=False)


def rows_of(page: str) -> str:
    return between(page, "<tbody>", "</tbody>")


def test_the_list_puts_pending_structures_first_with_their_quota_use(
    client: TestClient, engine: Engine
) -> None:
    token = staff(engine)
    amis = structure(client, token, "Amis du quartier", "active", laptop=3)
    structure(client, token, "Bercail", "suspended")
    structure(client, token, "Zèbres numériques")
    claim(client, token, amis, in_stock(engine, 1))
    coordinator(client, engine)
    home = text_of(client.get("/").text)
    assert f'<a href="/structures"><strong>{fr("Partner structures")}</strong>' in home
    table = rows_of(text_of(client.get("/structures").text))
    order = [table.index(n) for n in ("Zèbres numériques", "Amis du quartier", "Bercail")]
    assert order == sorted(order)  # pending, active, suspended; not by name
    laptops = fr("%(category)s: %(used)s of %(quota)s", category=fr("Laptop"), used=1, quota=3)
    assert fr("waiting for approval") in table and laptops in table
    suspended = text_of(client.get("/structures?status=suspended").text)
    assert "Bercail" in suspended and "Amis du quartier" not in rows_of(suspended)
    assert '<option value="suspended" selected>' in suspended
    assert "Zèbres numériques" in client.get("/structures?status=bogus").text  # all of them


def test_a_coordinator_approves_suspends_and_reactivates_and_back_sends_nothing_twice(
    client: TestClient, engine: Engine
) -> None:
    name = "Repair Café Chantenay"
    found = structure(client, staff(engine), name)
    here = f"/structures/{found}"
    coordinator(client, engine)
    page = client.get(here).text
    assert 'id="status-form-suspended"' not in page
    approve = form_fields(page, "status-form-active")
    answer = post(client, f"{here}/status", approve)
    assert (answer.status_code, answer.headers["location"]) == (303, here)
    page = text_of(client.get(here).text)
    assert fr(structure_pages.STATUS_SAID[PENDING, ACTIVE], name=name) in page
    assert 'class="badge status-active"' in page
    again = post(client, f"{here}/status", approve)  # Back, then sent again
    assert (again.status_code, again.headers["location"]) == (303, here)
    assert "Ce formulaire avait déjà été envoyé" in text_of(client.get(here).text)
    assert statuses_changed(engine) == [["pending", "active"]]

    stale = post(client, f"{here}/status", approve | {"form_key": "x" * 20})
    assert stale.status_code == 303  # approving an active one again: nothing to do
    suspend = form_fields(client.get(here).text, "status-form-suspended")
    assert post(client, f"{here}/status", suspend).status_code == 303
    page = client.get(here).text
    assert fr(structure_pages.STATUS_SAID[ACTIVE, SUSPENDED], name=name) in text_of(page)
    assert post(client, f"{here}/status", form_fields(page, "status-form-active")).is_redirect
    assert fr(structure_pages.STATUS_SAID[SUSPENDED, ACTIVE], name=name) in text_of(
        client.get(here).text
    )
    assert statuses_changed(engine) == [
        ["pending", "active"],
        ["active", "suspended"],
        ["suspended", "active"],
    ]


def test_quotas_refused_beside_their_field_keep_what_was_typed(
    client: TestClient, engine: Engine
) -> None:
    token = staff(engine)
    found = structure(client, token, "Amis du quartier", "active", laptop=2)
    here = f"/structures/{found}"
    claim(client, token, found, in_stock(engine, 1))
    coordinator(client, engine)
    page = client.get(here).text
    keys = form_fields(page, "quotas-form")
    assert 'name="quota.laptop" value="2"' in page
    typed = {"quota.laptop": "dix", "quota.smartphone": "-3", "quota.tablet": "20000"}
    refused = post(client, f"{here}/quotas", keys, **typed, **{"quota.desktop": "4"})
    assert refused.status_code == 422
    page = text_of(refused.text)
    laptop = between(page, 'for="field-quota.laptop"', "</tr>")
    said = fr(structure_pages.WHOLE_NUMBER)
    assert f'<p class="field-error" id="error-quota.laptop" role="alert">{said}</p>' in laptop
    assert re.search(
        r'id="field-quota.laptop" name="quota.laptop" value="dix"[^>]*'
        r'aria-describedby="error-quota.laptop" aria-invalid="true" autofocus>',
        laptop,
    )
    too_many = fr(structure_pages.TOO_MANY, max=number("fr", 10_000))
    assert 'id="error-quota.smartphone"' in page and too_many in page
    assert 'value="4"' in between(page, 'for="field-quota.desktop"', "</tr>")  # kept
    assert 'id="error-quota.desktop"' not in page and page.count("autofocus") == 1
    assert client.get(f"/api/v1/structures/{found}", headers=token).json()["quotas"] == {
        "laptop": 2
    }

    sent = post(client, f"{here}/quotas", keys, **{"quota.laptop": "10", "quota.smartphone": " 20"})
    assert (sent.status_code, sent.headers["location"]) == (303, here)
    quotas = client.get(f"/api/v1/structures/{found}", headers=token).json()["quotas"]
    assert (quotas["laptop"], quotas["smartphone"], quotas["tablet"]) == (10, 20, 0)
    page = text_of(client.get(here).text)
    assert fr(structure_pages.QUOTAS_SAVED, name="Amis du quartier") in page
    row = between(page, 'for="field-quota.laptop"', "</tr>")
    assert re.search(r"<td>1</td>\s*<td>9</td>", row)  # used, remaining
    assert events(engine, "structure.updated")[-1]["changes"]["quotas"][1]["laptop"] == 10


def test_claims_newest_first_filtered_with_the_waitlist_in_order(
    client: TestClient, engine: Engine
) -> None:
    token = staff(engine)
    amis = structure(client, token, "Amis du quartier", "active", laptop=10)
    bercail = structure(client, token, "Bercail", "active", laptop=10)
    first = claim(client, token, amis, in_stock(engine, 2))
    second = claim(client, token, bercail, in_stock(engine, 1))
    assert client.delete(f"/api/v1/claims/{second}", headers=token).status_code == 200
    for who, quantity in ((bercail, 4), (amis, 3)):
        asked = {"quantity": quantity, "criteria": {"category": "laptop"}, "waitlist": True}
        answer = client.post("/api/v1/claims", headers=token, json=asked | {"structure_id": who})
        assert answer.status_code == 202
    coordinator(client, engine)
    page = text_of(client.get("/claims").text)
    listed = between(page, 'class="claims"', "</table>")
    older, newer = (fr("Claim %(id)s", id=n) + "<" for n in (first, second))
    assert listed.index(newer) < listed.index(older)
    assert fr("cancelled") in listed and f"100,00{NBSP}€" in listed
    cancelled = text_of(client.get("/claims?state=cancelled&structure=").text)
    assert newer in cancelled and older not in cancelled
    of_amis = between(text_of(client.get(f"/claims?structure={amis}").text), "<tbody>", "</table>")
    assert older in of_amis and newer not in of_amis and "Bercail" not in of_amis
    waiting = between(page, 'id="waitlist"', "</section>")
    assert waiting.index("Bercail") < waiting.index("Amis du quartier")
    assert "<strong>1</strong>" in waiting and "<strong>2</strong>" in waiting
    asks = fr_n("%(num)s device: %(what)s", "%(num)s devices: %(what)s", 4, what=fr("Laptop"))
    assert asks in waiting


def test_a_claim_shows_its_devices_and_is_cancelled_after_asking(
    client: TestClient, engine: Engine
) -> None:
    token = staff(engine)
    found = structure(client, token, "Amis du quartier", "active", laptop=5)
    devices = in_stock(engine, 2)
    claimed = claim(client, token, found, devices)
    coordinator(client, engine)
    page = text_of(client.get(f"/claims/{claimed}").text)
    for code in devices:
        assert f'<td class="code">{code}</td>' in page
    assert page.count(f'<td class="money">{PRICE}</td>') == 2
    assert f"<strong>100,00{NBSP}€</strong>" in page and fr("Held until") in page
    assert f'href="/claims/{claimed}/handover"' in page and "receipt.pdf" not in page
    assert client.get(f"/claims/{claimed}/receipt.pdf").status_code == 409

    question = client.get(f"/claims/{claimed}/cancel")
    assert fr("Cancel claim %(id)s?", id=claimed) in text_of(question.text)
    keys = form_fields(question.text, "cancel-form")
    done = post(client, f"/claims/{claimed}/cancel", keys)
    assert (done.status_code, done.headers["location"]) == (303, f"/claims/{claimed}")
    said = fr(claim_pages.CANCELLED, id=claimed)
    assert said in text_of(client.get(f"/claims/{claimed}").text)
    assert [status_of(engine, c) for c in devices] == ["available", "available"]
    assert [e["claim_id"] for e in events(engine, "claim.cancelled")] == [claimed]
    assert post(client, f"/claims/{claimed}/cancel", keys).status_code == 303  # sent again
    assert len(events(engine, "claim.cancelled")) == 1
    back = client.get(f"/claims/{claimed}/cancel", follow_redirects=False)
    assert back.headers["location"] == f"/claims/{claimed}"


def handover_of(client: TestClient, claimed: int) -> str:
    answer = client.get(f"/claims/{claimed}/handover")
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def scan(client: TestClient, claimed: int, text: str) -> Any:
    keys = form_fields(handover_of(client, claimed), "scan-form")
    return post(client, f"/claims/{claimed}/handover/scan", keys, code=text)


def scanned_said(code: str, done: int, total: int) -> str:
    return fr_n(
        "%(device)s (%(model)s) scanned: %(done)s device of %(total)s.",
        "%(device)s (%(model)s) scanned: %(done)s devices of %(total)s.",
        done,
        device=code,
        model="Lenovo ThinkPad T480",
        done=done,
        total=total,
    )


def test_a_volunteer_hands_over_by_scanning_and_a_device_not_in_the_claim_is_refused(
    client: TestClient, engine: Engine
) -> None:
    token = staff(engine)
    found = structure(client, token, "Amis du quartier", "active", laptop=5)
    first, second, other = in_stock(engine, 3)
    claimed = claim(client, token, found, [first, second])
    at_the_bench(client, engine)
    page = handover_of(client, claimed)
    assert re.search(r'id="scan" name="code"[^>]*data-scan-field autofocus>', page)
    assert "form_key" not in between(page, 'id="scan-form"', "</form>")  # harmless twice
    ticked = scan(client, claimed, first.lower().replace("-", ""))
    assert (ticked.status_code, ticked.headers["location"]) == (303, f"/claims/{claimed}/handover")
    page = text_of(handover_of(client, claimed))
    assert scanned_said(first, 1, 2) in page
    tick = fr("scanned")
    assert re.search(rf'<tr class="ticked">\s*<td><span class="tick yes">{tick}</span>', page)

    refused = scan(client, claimed, other)
    assert refused.status_code == 409
    form = text_of(between(refused.text, 'id="scan-form"', "</form>"))
    error = between(form, '<div class="error scan-refused" role="alert" id="error-code">', "</div>")
    assert other in error and like(NotInClaim.message).search(error)
    assert re.search(r'id="scan" name="code"[^>]*aria-describedby="error-code" aria-invalid', form)
    assert 'value="' not in between(form, 'id="scan"', ">")  # emptied for the next scan
    assert scan(client, claimed, "ABC").status_code == 422
    assert scan(client, claimed, second).status_code == 303
    unscan = form_fields(handover_of(client, claimed), f"unscan-{second}")
    assert post(client, f"/claims/{claimed}/handover/unscan", unscan).status_code == 303
    assert status_of(engine, second) == "reserved"
    assert scan(client, claimed, second).status_code == 303

    keys = form_fields(handover_of(client, claimed), "handover-form")
    for typed, said in (
        ("", fr(handover_pages.REQUIRED)),
        ("A", fr("At least %(min_length)s characters.", min_length=2)),
        (other, fr(handover_pages.LOOKS_LIKE_A_CODE)),
    ):
        wrong = post(client, f"/claims/{claimed}/handover", keys, collector=typed)
        assert wrong.status_code == 422
        near = text_of(between(wrong.text, 'id="handover-form"', "</form>"))
        assert f'<p class="field-error" id="error-collector" role="alert">{said}</p>' in near
        assert re.search(
            rf'name="collector" value="{typed}"[^>]*'
            r'aria-describedby="error-collector" aria-invalid="true" autofocus',
            near,
        )
    given = post(client, f"/claims/{claimed}/handover", keys, collector="Awa Diallo")
    assert (given.status_code, given.headers["location"]) == (303, f"/claims/{claimed}")
    page = text_of(client.get(f"/claims/{claimed}").text)
    assert given_said(claimed, 2, f"100,00{NBSP}€") in page
    assert f'href="/claims/{claimed}/receipt.pdf"' in page
    statuses = [status_of(engine, c) for c in (first, second, other)]
    assert statuses == ["handed_over", "handed_over", "available"]
    assert [e["collector"] for e in events(engine, "claim.handed_over")] == ["Awa Diallo"]
    again = post(client, f"/claims/{claimed}/handover", keys, collector="Awa Diallo")
    assert again.headers["location"] == f"/claims/{claimed}"
    assert len(events(engine, "claim.handed_over")) == 1
    assert client.get(f"/claims/{claimed}/handover", follow_redirects=False).status_code == 303


def given_said(claimed: int, given: int, total: str) -> str:
    return fr_n(
        "Claim %(id)s handed over to %(collector)s: %(num)s device, %(total)s due.",
        "Claim %(id)s handed over to %(collector)s: %(num)s devices, %(total)s due.",
        given,
        id=claimed,
        collector="Awa Diallo",
        total=total,
    )


def stays_here(count: int) -> str:
    return fr_n(
        "Does it stay here? It then goes back to stock, and the structure is not charged for it.",
        "Do they stay here? They then go back to stock, and the structure is not charged for them.",
        count,
    )


def test_devices_not_scanned_go_back_to_stock_only_when_said_to_stay(
    client: TestClient, engine: Engine
) -> None:
    token = staff(engine)
    found = structure(client, token, "Amis du quartier", "active", laptop=5)
    devices = in_stock(engine, 3)
    claimed = claim(client, token, found, devices)
    here = f"/claims/{claimed}/handover"
    coordinator(client, engine)
    keys = form_fields(handover_of(client, claimed), "handover-form")
    nothing = post(client, here, keys, collector="Awa Diallo")
    assert nothing.status_code == 422
    assert fr(handover_pages.NOTHING_SCANNED) in text_of(nothing.text)
    assert scan(client, claimed, devices[0]).status_code == 303
    asked = post(client, here, keys, collector="Awa Diallo")
    assert asked.status_code == 409
    box = text_of(between(asked.text, 'id="question"', "</div>"))
    assert devices[1] in box and devices[2] in box and devices[0] not in box
    assert stays_here(2) in box
    assert "data-scan-field" not in asked.text  # the question has the focus
    answer = form_fields(asked.text, "handover-form")
    assert answer["release_missing"] == "yes" and 'value="Awa Diallo"' in asked.text
    assert [status_of(engine, c) for c in devices] == ["reserved"] * 3

    assert scan(client, claimed, devices[1]).status_code == 303  # meanwhile, at the counter
    again = post(client, here, answer, collector="Awa Diallo")
    assert again.status_code == 409  # the answer was about two devices: asked again for one
    box = text_of(between(again.text, 'id="question"', "</div>"))
    assert devices[2] in box and devices[1] not in box and stays_here(1) in box
    given = post(client, here, form_fields(again.text, "handover-form"), collector="Awa Diallo")
    assert given.status_code == 303
    page = text_of(client.get(f"/claims/{claimed}").text)
    left = fr_n(
        "%(num)s device stays here and is back in stock.",
        "%(num)s devices stay here and are back in stock.",
        1,
    )
    assert f"{given_said(claimed, 2, f'100,00{NBSP}€')} {left}" in page
    assert [status_of(engine, c) for c in devices] == ["handed_over", "handed_over", "available"]
    assert events(engine, "claim.handed_over")[-1]["released"] == [codes.parse(devices[2])]


def test_a_structure_user_may_open_none_of_these_pages_and_the_bench_not_all(
    client: TestClient, engine: Engine
) -> None:
    token = staff(engine)
    found = structure(client, token, "Amis du quartier", "active", laptop=5)
    claimed = claim(client, token, found, in_stock(engine, 1))
    make_user(engine, "sam", Role.STRUCTURE, structure_id=found)
    sign_in(client, "sam")
    home = client.get("/").text
    assert 'href="/structures"' not in home and 'href="/claims"' not in home
    pages = ("/structures", f"/structures/{found}", "/claims", f"/claims/{claimed}")
    for path in (*pages, f"/claims/{claimed}/handover", f"/claims/{claimed}/cancel"):
        assert client.get(path).status_code == 403, path
    form = {"csrf_token": csrf_of(client, "/"), "code": "x"}
    assert client.post(f"/claims/{claimed}/handover/scan", data=form).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    at_the_bench(client, engine)
    home = client.get("/").text
    assert 'href="/claims"' in home and 'href="/structures"' not in home
    assert client.get("/structures").status_code == 403
    page = client.get(f"/claims/{claimed}").text
    assert f"/claims/{claimed}/cancel" not in page and 'href="/structures/' not in page
    assert client.get(f"/claims/{claimed}/cancel").status_code == 403
    assert client.get("/claims/999").status_code == 404


def test_the_pages_speak_english_when_asked_and_a_post_address_leads_to_its_page(
    client: TestClient, engine: Engine
) -> None:
    token = staff(engine)
    found = structure(client, token, "Amis du quartier", "active", laptop=5)
    inside, outside = in_stock(engine, 2)
    claimed = claim(client, token, found, [inside])
    coordinator(client, engine)
    client.post("/language", data={"csrf_token": csrf_of(client, "/"), "locale": "en"})
    page = text_of(client.get("/structures").text)
    assert '<html lang="en">' in page and "Partner structures" in page
    assert "Laptop: 1 of 5" in page and ">active</span>" in page
    keys = form_fields(client.get(f"/structures/{found}").text, "quotas-form")
    refused = text_of(
        post(client, f"/structures/{found}/quotas", keys, **{"quota.laptop": "x"}).text
    )
    assert "Write a whole number of devices, such as 10; 0 for none." in refused
    said = text_of(scan(client, claimed, outside).text)
    assert f"Device {outside}" in said and "put it aside, do not give it." in said
    assert "Validate the handover" in said and "0 devices scanned out of 1" in said
    for address, page_of in (
        (f"/structures/{found}/quotas", f"/structures/{found}"),
        (f"/claims/{claimed}/handover/scan", f"/claims/{claimed}/handover"),
    ):
        assert client.get(address, follow_redirects=False).headers["location"] == page_of
