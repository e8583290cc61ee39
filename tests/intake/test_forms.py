"""The intake forms over HTTP, on SQLite and PostgreSQL: every problem at once beside its
field, a SIRET already known said first, limits stated and enforced, no resubmission."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from db.engine import transaction
from db.enums import Role
from db.models import Batch, Device, Donor
from intake import service
from intake.models import BatchCreate, DeviceIntake, DonorCreate, max_lengths
from remise import accounts
from remise.auth import system_actor
from tests.factories import auth, make_token
from tests.intake.samples import imei

ACTOR = system_actor("tests")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SIRET = "73282932000074"
BAD_SIRET = "73282932000075"  # the check digit is wrong


def signed_in(client: TestClient, engine: Engine, role: Role = Role.COORDINATOR) -> str:
    """Sign a new user of `role` in; returns the form token of its pages."""
    name = f"user-{role.value}"
    with transaction(engine) as session:
        accounts.create_user(
            session, ACTOR, username=name, role=role, password=f"pw-{name}-tournesol"
        )
    token = csrf(client, "/login")
    form = {"username": name, "password": f"pw-{name}-tournesol", "next": "/intake"}
    answer = client.post("/login", data=form | {"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf(client, "/intake")


def csrf(client: TestClient, path: str) -> str:
    found = CSRF.search(client.get(path).text)
    assert found is not None
    return found.group(1)


def count(engine: Engine, table: type[Donor] | type[Batch] | type[Device]) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def make_batch(engine: Engine, *, siret: str | None = None) -> int:
    with transaction(engine) as session:
        donor = service.create_donor(session, ACTOR, data=DonorCreate(name="Acme", siret=siret))
        data = BatchCreate(donor_id=donor.id or 0, pickup_date=date(2026, 11, 2), site="Rezé")
        batch_id = service.create_batch(session, ACTOR, data=data).id
    assert batch_id is not None
    return batch_id


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="e-{re.escape(name)}">([^<]*)</p>', page)
    return found.group(1) if found else None


def input_tag(page: str, name: str) -> str:
    found = re.search(rf'<(?:input|select) id="f-{re.escape(name)}"[^>]*>', page)
    assert found is not None, name
    return found.group(0)


def test_a_bad_siret_and_a_bad_email_are_shown_together_beside_their_fields(
    client: TestClient, engine: Engine
) -> None:
    token = signed_in(client, engine)
    typed = {"name": "Acme", "siret": BAD_SIRET, "contact_email": "pas-une-adresse"}
    answer = client.post("/intake/donors/new", data=typed | {"csrf_token": token})
    assert answer.status_code == 422
    assert "pas un SIRET valide" in (field_error(answer.text, "siret") or "")
    assert "Une adresse e-mail est attendue" in (field_error(answer.text, "contact_email") or "")
    siret = input_tag(answer.text, "siret")
    assert 'aria-invalid="true"' in siret and 'aria-describedby="e-siret"' in siret
    assert " autofocus" in siret  # the first field with a problem
    assert f'value="{BAD_SIRET}"' in siret and 'value="pas-une-adresse"' in answer.text
    assert " autofocus" not in input_tag(answer.text, "name")
    assert count(engine, Donor) == 0


def test_a_known_siret_is_said_with_its_donor_and_recorded_again_only_when_ticked(
    client: TestClient, engine: Engine
) -> None:
    make_batch(engine, siret=SIRET)
    token = signed_in(client, engine)
    typed = {"name": "ACME SAS", "siret": "732 829 320 00074", "csrf_token": token}
    warned = client.post("/intake/donors/new", data=typed)
    assert warned.status_code == 409
    assert "Ce SIRET est déjà celui de « Acme » : créer quand même ?" in warned.text
    assert re.search(r'href="/intake/batches/new\?donor_id=\d+"', warned.text)
    assert 'aria-describedby="w-siret"' in input_tag(warned.text, "siret")
    assert 'value="ACME SAS"' in warned.text
    assert count(engine, Donor) == 1
    created = client.post(
        "/intake/donors/new", data=typed | {"same_siret": "yes"}, follow_redirects=False
    )
    assert created.status_code == 303
    assert re.fullmatch(r"/intake/batches/new\?donor_id=\d+", created.headers["location"])
    assert count(engine, Donor) == 2


def test_the_api_says_which_donors_already_have_the_siret(
    client: TestClient, engine: Engine
) -> None:
    headers = auth(make_token(engine, role=Role.COORDINATOR))
    first = client.post("/api/v1/donors", json={"name": "Acme", "siret": SIRET}, headers=headers)
    assert first.status_code == 201 and first.json()["same_siret"] == []
    again = client.post(
        "/api/v1/donors", json={"name": "ACME SAS", "siret": "732 829 320 00074"}, headers=headers
    )
    assert again.status_code == 201 and again.json()["same_siret"] == [first.json()["id"]]


@pytest.mark.parametrize(
    ("path", "model", "names"),
    [
        ("/intake/donors/new", DonorCreate, ["name", "siret", "contact_name", "contact_email"]),
        ("/intake/batches/new", BatchCreate, ["site", "workshop"]),
        ("/intake/batches/{batch}", DeviceIntake, ["brand", "model", "serial", "imei"]),
    ],
)
def test_every_text_field_states_the_schemas_limit(
    client: TestClient, engine: Engine, path: str, model: type, names: list[str]
) -> None:
    batch_id = make_batch(engine)
    signed_in(client, engine)
    page = client.get(path.format(batch=batch_id)).text
    limits = max_lengths(model)
    assert set(names) <= set(limits)
    for name in limits:
        assert f'maxlength="{limits[name]}"' in input_tag(page, name), name


def test_text_longer_than_its_limit_is_refused_naming_the_limit(
    client: TestClient, engine: Engine
) -> None:
    token = signed_in(client, engine)
    long_name, long_email = "A" * 201, "a" * 250 + "@example.org"
    typed = {"name": long_name, "contact_email": long_email, "csrf_token": token}
    page = client.post("/intake/donors/new", data=typed)
    assert page.status_code == 422
    assert field_error(page.text, "name") == "Au plus 200 caractères."
    assert field_error(page.text, "contact_email") == "Au plus 254 caractères."
    assert f'value="{long_name}"' in page.text  # kept whole, not cut
    headers = auth(make_token(engine, role=Role.COORDINATOR))
    answer = client.post("/api/v1/donors", json={"name": long_name}, headers=headers)
    assert answer.status_code == 422
    assert {"field": "name", "message": "Au plus 200 caractères."} in answer.json()["errors"]
    assert count(engine, Donor) == 0


def test_a_declared_count_problem_is_beside_its_category(
    client: TestClient, engine: Engine
) -> None:
    make_batch(engine)
    token = signed_in(client, engine)
    with Session(engine) as session:
        donor_id = str(session.exec(select(Donor.id)).one())
    typed = {"donor_id": donor_id, "pickup_date": "2026-11-03", "site": "x" * 201}
    answer = client.post(
        "/intake/batches/new",
        data=typed | {"declared.laptop": "-1", "declared.tablet": "2", "csrf_token": token},
    )
    assert answer.status_code == 422
    assert field_error(answer.text, "site") == "Au plus 200 caractères."
    assert field_error(answer.text, "d-laptop") == "Doit valoir 0 ou plus."
    assert 'aria-describedby="e-d-laptop"' in answer.text
    assert re.search(r'id="d-tablet"[^>]*value="2"', answer.text)
    assert " autofocus" in input_tag(answer.text, "site")
    assert count(engine, Batch) == 1


def test_a_new_batch_leads_to_its_own_page(client: TestClient, engine: Engine) -> None:
    make_batch(engine)
    token = signed_in(client, engine, Role.WORKSHOP)
    with Session(engine) as session:
        donor_id = str(session.exec(select(Donor.id)).one())
    typed = {"donor_id": donor_id, "pickup_date": "2026-11-03", "site": "Nantes"}
    answer = client.post(
        "/intake/batches/new", data=typed | {"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/intake/batches/2"


@pytest.mark.parametrize("action", ["devices", "close"])
def test_a_post_only_address_opened_again_leads_to_the_batch(
    client: TestClient, engine: Engine, action: str
) -> None:
    batch_id = make_batch(engine)
    signed_in(client, engine)
    answer = client.get(f"/intake/batches/{batch_id}/{action}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/intake/batches/{batch_id}"


def test_a_device_form_shows_every_problem_and_focuses_the_first(
    client: TestClient, engine: Engine
) -> None:
    batch_id = make_batch(engine)
    token = signed_in(client, engine, Role.WORKSHOP)
    typed = {"category": "smartphone", "brand": "Fairphone", "serial": "", "imei": "35693803564"}
    answer = client.post(f"/intake/batches/{batch_id}/devices", data=typed | {"csrf_token": token})
    assert answer.status_code == 422
    assert field_error(answer.text, "serial") == "Ce champ est obligatoire."
    assert "pas un IMEI valide" in (field_error(answer.text, "imei") or "")
    assert " autofocus" in input_tag(answer.text, "serial")
    assert 'value="Fairphone"' in input_tag(answer.text, "brand")
    assert f'action="/intake/batches/{batch_id}/devices"' in answer.text
    assert count(engine, Device) == 0


def test_a_serial_already_known_is_said_beside_the_serial(
    client: TestClient, engine: Engine
) -> None:
    batch_id = make_batch(engine)
    token = signed_in(client, engine, Role.WORKSHOP)
    typed = {"category": "laptop", "serial": "SN-1", "csrf_token": token}
    url = f"/intake/batches/{batch_id}/devices"
    assert client.post(url, data=typed, follow_redirects=False).status_code == 303
    again = client.post(url, data=typed)
    assert again.status_code == 409
    assert "SN-1" in (field_error(again.text, "serial") or "")
    assert " autofocus" in input_tag(again.text, "serial")
    assert count(engine, Device) == 1


def test_a_registered_device_is_shown_beside_the_form_with_its_label_to_print(
    client: TestClient, engine: Engine
) -> None:
    batch_id = make_batch(engine)
    token = signed_in(client, engine, Role.WORKSHOP)
    typed = {"category": "smartphone", "serial": "SN-2", "imei": imei(777), "csrf_token": token}
    answer = client.post(f"/intake/batches/{batch_id}/devices", data=typed, follow_redirects=False)
    assert answer.status_code == 303
    with Session(engine) as session:
        code = session.exec(select(Device.code)).one()
    assert answer.headers["location"] == f"/intake/batches/{batch_id}?registered={code}"
    page = client.get(answer.headers["location"]).text
    shown = f"{code[:4]}-{code[4:]}"
    status = re.search(r'<div role="status" id="registered">(.*?)</div>', page, re.S)
    assert status is not None and f'<strong class="code big-code">{shown}</strong>' in status[1]
    printing = re.search(
        r'<form method="post" action="/labels/print" class="print-one">.*?</form>', page, re.S
    )
    assert printing is not None
    assert (
        f'name="codes" value="{shown}"' in printing[0] and "Imprimer son étiquette" in printing[0]
    )
    assert 'name="form_key"' in printing[0]
    category = input_tag(page, "category")
    assert " autofocus" in category
    assert re.search(r'<select id="f-category".*?<option value="smartphone" selected>', page, re.S)
    assert 'value=""' in input_tag(page, "serial")


def test_a_code_of_another_batch_is_not_shown_as_registered_here(
    client: TestClient, engine: Engine
) -> None:
    first, second = make_batch(engine), make_batch(engine)
    with transaction(engine) as session:
        data = DeviceIntake.model_validate({"category": "laptop", "serial": "SN-3"})
        code = service.receive_device(session, ACTOR, batch_id=first, data=data).code
    signed_in(client, engine)
    assert 'id="registered">\n' in client.get(f"/intake/batches/{first}?registered={code}").text
    elsewhere = client.get(f"/intake/batches/{second}?registered={code}").text
    assert "big-code" not in elsewhere
    assert "big-code" not in client.get(f"/intake/batches/{second}?registered=nonsense").text


def test_the_device_table_keeps_codes_on_one_line(client: TestClient, engine: Engine) -> None:
    batch_id = make_batch(engine)
    with transaction(engine) as session:
        data = DeviceIntake.model_validate({"category": "laptop", "serial": "SN-4"})
        service.receive_device(session, ACTOR, batch_id=batch_id, data=data)
    signed_in(client, engine)
    page = client.get(f"/intake/batches/{batch_id}").text
    assert re.search(r'<table id="batch-devices">.*?<a class="code"', page, re.S)
    css = client.get("/static/remise.css").text
    assert re.search(r"\.code \{[^}]*white-space: nowrap", css)
