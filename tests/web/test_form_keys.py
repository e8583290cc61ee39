"""One-time form keys (`remise.forms`): Back then submit again shows the first result and
never makes a second batch; a failed form can be corrected and sent again."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import select

from db.engine import transaction
from db.enums import Role
from db.models import Batch
from intake import service as intake_service
from intake.models import DonorCreate
from tests.web.test_pages import ACTOR, make_user, sign_in

KEY = re.compile(r'name="form_key" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _batches(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.exec(select(func.count()).select_from(Batch)).one())


def _batch_form(client: TestClient, engine: Engine) -> dict[str, str]:
    with transaction(engine) as session:
        donor = intake_service.create_donor(session, ACTOR, data=DonorCreate(name="Acme"))
        donor_id = str(donor.id)
    page = client.get("/intake/batches/new").text
    key, csrf = KEY.search(page), CSRF.search(page)
    assert key and csrf, "the batch form carries a one-time key"
    return {
        "csrf_token": csrf.group(1),
        "form_key": key.group(1),
        "donor_id": donor_id,
        "pickup_date": date.today().isoformat(),
        "site": "Rennes",
    }


def test_a_form_sent_again_shows_the_first_result_and_does_nothing_twice(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "cora", Role.COORDINATOR)
    sign_in(client, "cora", next_path="/intake")
    form = _batch_form(client, engine)
    first = client.post("/intake/batches/new", data=form, follow_redirects=False)
    assert first.status_code == 303
    made = first.headers["location"]
    assert re.fullmatch(r"/intake/batches/\d+", made)
    again = client.post("/intake/batches/new", data=form, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == made
    assert _batches(engine) == 1
    shown = client.get(made).text
    assert "Ce formulaire avait déjà été envoyé" in shown


def test_a_refused_form_keeps_its_key_free_for_the_corrected_one(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "cora", Role.COORDINATOR)
    sign_in(client, "cora", next_path="/intake")
    form = _batch_form(client, engine)
    refused = client.post("/intake/batches/new", data=form | {"site": ""})
    assert refused.status_code == 422
    fixed = client.post("/intake/batches/new", data=form, follow_redirects=False)
    assert fixed.status_code == 303 and _batches(engine) == 1


def test_each_page_shown_gets_a_new_key(client: TestClient, engine: Engine) -> None:
    make_user(engine, "cora", Role.COORDINATOR)
    sign_in(client, "cora", next_path="/intake")
    keys = {KEY.search(client.get("/intake/donors/new").text).group(1) for _ in range(3)}  # type: ignore[union-attr]
    assert len(keys) == 3


def test_a_key_of_another_user_is_not_theirs(client: TestClient, engine: Engine) -> None:
    make_user(engine, "cora", Role.COORDINATOR)
    make_user(engine, "paul", Role.COORDINATOR)
    sign_in(client, "cora", next_path="/intake")
    form = _batch_form(client, engine)
    assert client.post("/intake/batches/new", data=form, follow_redirects=False).status_code == 303
    client.cookies.clear()
    sign_in(client, "paul", next_path="/intake")
    page = client.get("/intake/batches/new").text
    form["csrf_token"] = CSRF.search(page).group(1)  # type: ignore[union-attr]
    theirs = client.post("/intake/batches/new", data=form, follow_redirects=False)
    assert theirs.status_code == 303 and _batches(engine) == 2
