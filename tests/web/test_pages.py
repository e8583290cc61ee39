"""The pages over HTTP, on SQLite and PostgreSQL: sign-in, CSRF, roles, errors as pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import select

from db import lifecycle
from db.engine import transaction
from db.enums import Role, Status
from db.errors import Unauthorized
from db.events import EventType
from db.models import LedgerEvent, LoginFailure, WebSession
from intake import service as intake_service
from intake.models import BatchCreate, DonorCreate
from remise import accounts, scheduler
from remise.auth import system_actor
from tests.factories import auth, make_device, make_structure, make_token
from tests.refurbish.walking import erase_every_medium, fill

ACTOR = system_actor("tests")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(engine: Engine, name: str, role: Role, *, structure_id: int | None = None) -> None:
    with transaction(engine) as session:
        accounts.create_user(
            session,
            ACTOR,
            username=name,
            role=role,
            password=f"pw-{name}-tournesol",
            structure_id=structure_id,
        )


def csrf_of(client: TestClient, path: str = "/login") -> str:
    found = CSRF.search(client.get(path).text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, name: str, *, next_path: str = "/") -> None:
    answer = client.post(
        "/login",
        data={
            "username": name,
            "password": f"pw-{name}-tournesol",
            "next": next_path,
            "csrf_token": csrf_of(client),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == next_path


def test_a_page_asks_to_sign_in_then_comes_back(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    answer = client.get("/bench?x=1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/bench%3Fx%3D1"
    sign_in(client, "lucie", next_path="/bench?x=1")
    assert client.get("/bench").status_code == 200


def test_the_session_cookie_is_httponly_and_samesite(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    answer = client.post(
        "/login",
        data={"username": "lucie", "password": "pw-lucie-tournesol", "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert "remise_session=rms_" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_a_wrong_password_is_refused_in_french(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    answer = client.post(
        "/login",
        data={"username": "lucie", "password": "nope", "csrf_token": csrf_of(client)},
    )
    assert answer.status_code == 401
    assert "Nom d&#39;utilisateur ou mot de passe incorrect" in answer.text
    assert "remise_session" not in answer.headers.get("set-cookie", "")


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    refused = client.post("/login", data={"username": "lucie", "password": "pw-lucie-tournesol"})
    assert refused.status_code == 403
    assert "rechargez la page" in refused.text
    sign_in(client, "lucie")
    forged = client.post("/logout", data={"csrf_token": "0" * 64})
    assert forged.status_code == 403


def test_signing_out_ends_the_session_on_the_server(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    sign_in(client, "lucie")
    token = client.cookies.get("remise_session")
    assert token is not None
    out = client.post(
        "/logout", data={"csrf_token": csrf_of(client, "/bench")}, follow_redirects=False
    )
    assert out.status_code == 303
    client.cookies.set("remise_session", token)  # a copy of the cookie kept by someone
    assert client.get("/bench", follow_redirects=False).status_code == 303


def test_expired_sessions_let_nobody_in_and_are_forgotten(engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    with transaction(engine) as session:
        actor = accounts.authenticate_password(session, "lucie", "pw-lucie-tournesol")
        token = accounts.open_web_session(
            session, actor, lifetime=timedelta(hours=12), clock=lambda: long_ago
        )
    with transaction(engine) as session:
        assert accounts.web_session_actor(session, token) is None
    assert scheduler.forget_web_sessions(engine) == 1
    with transaction(engine) as session:
        assert session.exec(select(func.count()).select_from(WebSession)).one() == 0


def test_a_structure_user_cannot_open_the_bench(client: TestClient, engine: Engine) -> None:
    with transaction(engine) as session:
        structure_id = make_structure(session)
    make_user(engine, "passerelle", Role.STRUCTURE, structure_id=structure_id)
    sign_in(client, "passerelle")
    answer = client.get("/bench")
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "Non autorisé" in answer.text


def test_the_language_choice_is_kept_on_the_account(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    sign_in(client, "lucie")
    client.post(
        "/language",
        data={"locale": "en", "next": "/bench", "csrf_token": csrf_of(client, "/bench")},
    )
    client.cookies.delete("remise_locale")  # another browser: the account remembers
    answer = client.get("/bench")
    assert '<html lang="en">' in answer.text and "<h1>Bench</h1>" in answer.text


def test_scanning_an_unknown_text_says_so_and_a_code_opens_the_device(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "lucie", Role.BENCH)
    with transaction(engine) as session:
        device = make_device(session, status=Status.LABELLED, serial="SCANME42")
        code = f"{device.code[:4]}-{device.code[4:]}"
    sign_in(client, "lucie")
    unknown = client.get("/bench/scan", params={"q": "<script>x</script>"})
    assert unknown.status_code == 404
    assert "<script>x" not in unknown.text and "&lt;script&gt;" in unknown.text
    opened = client.get("/bench/scan", params={"q": "scanme42\n"}, follow_redirects=False)
    assert opened.headers["location"] == f"/bench/devices/{code}"
    page = client.get(opened.headers["location"])
    assert page.status_code == 200 and "Commencer le reconditionnement" in page.text
    # label formats are worded in the page's language, sizes in its number format
    assert "thermal-62mm — 62 × 30 mm, 300 ppp (Brother QL, DK-22205)" in page.text
    assert "a4-2x7 — 2 × 7 étiquettes de 99,1 × 38,1 mm (Avery L7163" in page.text


def test_a_missing_device_page_is_a_404_page(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    sign_in(client, "lucie")
    answer = client.get("/bench/devices/ZZZZ-ZZZZ")
    assert answer.status_code in (404, 422)
    assert answer.headers["content-type"].startswith("text/html")


def test_printing_from_a_page_records_the_print(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    with transaction(engine) as session:
        device = make_device(session, status=Status.RECEIVED)
        code = device.code
    sign_in(client, "lucie")
    preview = client.get(f"/labels/devices/{code}/preview.png")
    assert preview.headers["content-type"] == "image/png"
    sheet = client.post(
        "/labels/print",
        data={"codes": code, "format": "a4-3x8", "csrf_token": csrf_of(client, "/bench")},
    )
    assert sheet.headers["content-type"] == "application/pdf"
    with transaction(engine, read_only=True) as session:
        types = session.exec(
            select(LedgerEvent.type).where(LedgerEvent.device_id == device.id)
        ).all()
    assert types == ["device.received", "device.labelled"]  # the preview recorded nothing


def test_a_device_form_with_a_bad_field_names_it(client: TestClient, engine: Engine) -> None:
    make_user(engine, "camille", Role.WORKSHOP)
    sign_in(client, "camille")
    with transaction(engine) as session:
        donor = intake_service.create_donor(session, ACTOR, data=DonorCreate(name="Mairie"))
        batch = intake_service.create_batch(
            session,
            ACTOR,
            data=BatchCreate(donor_id=donor.id or 0, pickup_date=date(2026, 11, 2), site="Rezé"),
        )
        batch_id = batch.id
    answer = client.post(
        f"/intake/batches/{batch_id}/devices",
        data={"category": "laptop", "serial": "", "csrf_token": csrf_of(client, "/intake")},
    )
    assert answer.status_code == 422
    assert 'id="e-serial"' in answer.text and "Ce champ est obligatoire" in answer.text


def test_an_empty_batch_form_says_which_fields_are_required(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "camille", Role.WORKSHOP)
    with transaction(engine) as session:
        intake_service.create_donor(session, ACTOR, data=DonorCreate(name="Mairie"))
    sign_in(client, "camille")
    answer = client.post(
        "/intake/batches/new",
        data={
            "donor_id": "",
            "pickup_date": "",
            "site": "",
            "csrf_token": csrf_of(client, "/intake"),
        },
    )
    assert answer.status_code == 422
    for field in ("donor_id", "pickup_date", "site"):
        assert f'id="e-{field}"' in answer.text
    assert answer.text.count("Ce champ est obligatoire") == 3


def test_the_history_speaks_the_volunteers_language(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    with transaction(engine) as session:
        device = make_device(session, status=Status.LABELLED)
        code = f"{device.code[:4]}-{device.code[4:]}"
    sign_in(client, "lucie")
    token = csrf_of(client, f"/bench/devices/{code}")
    started = client.post(
        f"/bench/devices/{code}/run", data={"csrf_token": token}, follow_redirects=False
    )
    assert started.status_code == 303, started.text
    run_id = re.search(r"/bench/runs/(\d+)/checklist", client.get(f"/bench/devices/{code}").text)
    assert run_id is not None
    saved = client.post(
        f"/bench/runs/{run_id.group(1)}/checklist",
        data={
            "csrf_token": token,
            "step.keyboard": "yes",
            "step.screen": "perfect",
            "step.battery_health": "85,5 %",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    page = client.get(f"/bench/devices/{code}").text
    assert "état : étiqueté → en reconditionnement" in page
    assert "étape : Toutes les touches fonctionnent · valeur : — → oui · résultat : Réussi" in page
    assert "étape : État de l&#39;écran · valeur : — → Parfait" in page
    assert "étape : Santé de la batterie · valeur : — → 85,5 ·" in page  # French decimals
    assert f"code : — → {code}" in page  # as printed on the label
    assert "run_id" not in page and "state:" not in page and "passage : " in page


def test_the_history_shows_any_payload_without_failing(client: TestClient, engine: Engine) -> None:
    """Events written by other stages or older versions carry lists and tables too."""
    make_user(engine, "lucie", Role.BENCH)
    with transaction(engine) as session:
        device = make_device(session, status=Status.LABELLED)
        code = f"{device.code[:4]}-{device.code[4:]}"
        lifecycle.record(
            session,
            device,
            actor="atelier",
            event=EventType.DEVICE_SEEN,
            extra={"note": ["a", "b", "c"], "comment": {"x": [1, 2]}, "status": "inconnu"},
        )
    sign_in(client, "lucie")
    page = client.get(f"/bench/devices/{code}")
    assert page.status_code == 200
    assert "note : [&#34;a&#34;, &#34;b&#34;, &#34;c&#34;]" in page.text
    assert "état : inconnu" in page.text


def test_a_finished_device_is_not_restarted_by_the_next_scan(
    client: TestClient, engine: Engine
) -> None:
    """On a refurbished device the focus waits in the scan field (a scan then Enter opens
    the next device), restarting is a plain button, and the past run reads in words."""
    make_user(engine, "lucie", Role.BENCH)
    headers = auth(make_token(engine, role=Role.BENCH))
    with transaction(engine) as session:
        code = make_device(session, status=Status.LABELLED).code
    run = client.post(f"/api/v1/devices/{code}/runs", headers=headers, json={}).json()
    fill(client, headers, run["id"])
    erase_every_medium(client, headers, code)
    finished = client.post(
        f"/api/v1/runs/{run['id']}/finish", headers=headers, json={"outcome": "refurbished"}
    )
    assert finished.status_code == 200, finished.text
    sign_in(client, "lucie")
    page = client.get(f"/bench/devices/{code}").text
    assert re.search(r'<input id="rescan"[^>]* autofocus>', page)
    assert page.count("autofocus") == 1
    assert "Le reconditionner à nouveau" in page and "Commencer le reconditionnement" not in page
    assert f"Passage {run['id']} : reconditionné" in page
    assert "Toutes les touches fonctionnent : oui" in page


def test_a_large_batch_is_listed_a_page_at_a_time(client: TestClient, engine: Engine) -> None:
    make_user(engine, "camille", Role.WORKSHOP)
    with transaction(engine) as session:
        donor = intake_service.create_donor(session, ACTOR, data=DonorCreate(name="Mairie"))
        data = BatchCreate(donor_id=donor.id or 0, pickup_date=date(2026, 11, 2), site="Rezé")
        batch_id = intake_service.create_batch(session, ACTOR, data=data).id
        serials = [
            make_device(session, batch_id=batch_id, serial=f"PAGE{n:04d}").serial
            for n in range(1, 251)
        ]
    sign_in(client, "camille")
    rows = re.compile(r"<td>(PAGE\d{4})</td>")
    first = client.get(f"/intake/batches/{batch_id}").text
    assert rows.findall(first) == serials[::-1][:100]  # the newest first
    assert "Appareils 1 à 100 sur 250, les plus récents d'abord" in first
    assert f'href="/intake/batches/{batch_id}?page=2" rel="next"' in first
    last = client.get(f"/intake/batches/{batch_id}?page=3").text
    assert rows.findall(last) == serials[:50][::-1]
    assert 'rel="next"' not in last and "Page 3 sur 3" in last
    assert rows.findall(client.get(f"/intake/batches/{batch_id}?page=40").text) == rows.findall(
        last
    )  # past the end: the last page
    refused = client.get(f"/intake/batches/{batch_id}?page=0")
    assert refused.status_code == 422 and "<html" in refused.text


def test_guessing_a_password_is_stopped_after_five_tries(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "lucie", Role.BENCH)

    def attempt(password: str, name: str = "lucie") -> int:
        data = {"username": name, "password": password, "csrf_token": csrf_of(client)}
        return client.post("/login", data=data, follow_redirects=False).status_code

    assert [attempt(f"guess-{n}") for n in range(5)] == [401] * 5
    locked = client.post(
        "/login",
        data={"username": "Lucie", "password": "pw-lucie-tournesol", "csrf_token": csrf_of(client)},
    )
    assert locked.status_code == 429  # even the right password, while locked
    assert "Réessayez dans 15 min" in locked.text
    assert attempt("pw-lucie-tournesol", name="autre") == 401  # other users are not locked
    with transaction(engine) as session:  # a quarter of an hour later
        later = datetime.now(UTC) + timedelta(minutes=15, seconds=1)
        actor = accounts.sign_in(
            session, "lucie", "pw-lucie-tournesol", address="testclient", clock=lambda: later
        )
        assert actor.username == "lucie"
        left = session.exec(select(LoginFailure.username)).all()
        assert left == ["autre"]  # lucie's wrong passwords are forgotten


def test_a_right_password_forgets_the_wrong_ones_and_old_ones_are_purged(engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    with transaction(engine) as session:
        for _ in range(4):
            with pytest.raises(Unauthorized):
                accounts.sign_in(session, "lucie", "faux", address="10.0.0.7")
        accounts.sign_in(session, "lucie", "pw-lucie-tournesol", address="10.0.0.7")
        for _ in range(4):  # four more: still not locked, the count started again
            with pytest.raises(Unauthorized):
                accounts.sign_in(session, "lucie", "faux", address="10.0.0.7")
        assert accounts.sign_in(session, "lucie", "pw-lucie-tournesol", address="10.0.0.7")
        with pytest.raises(Unauthorized):
            accounts.sign_in(session, "lucie", "faux", address="10.0.0.8")
    soon = datetime.now(UTC) + timedelta(minutes=16)
    scheduler.forget_web_sessions(engine, now=soon)
    with transaction(engine) as session:
        assert session.exec(select(func.count()).select_from(LoginFailure)).one() == 0


def test_a_snapshot_stored_before_the_stricter_schema_does_not_break_the_device_page(
    client: TestClient, engine: Engine
) -> None:
    """A snapshot kept before its values were checked at the edge (a battery health of
    "Infinity") is shown as unreadable, not as a 500."""
    from refurbish.models import DeviceSnapshot

    make_user(engine, "lucie", Role.BENCH)
    with transaction(engine) as session:
        device = make_device(session, status=Status.LABELLED)
        code = f"{device.code[:4]}-{device.code[4:]}"
        assert device.id is not None
        body = {"batteries": [{"health_percent": "Infinity"}], "warnings": []}
        session.add(
            DeviceSnapshot(
                device_id=device.id,
                source="live",
                body=body,
                taken_at="2026-11-30T10:00:00+00:00",
                taken_by="lucie",
            )
        )
    sign_in(client, "lucie")
    page = client.get(f"/bench/devices/{code}")
    assert page.status_code == 200, page.text[:500]
    assert "sondez à nouveau l'appareil" in page.text.replace("&#39;", "'")
