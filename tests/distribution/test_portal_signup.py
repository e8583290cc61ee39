"""A partner structure signs up on the portal, over HTTP on SQLite and PostgreSQL: the
structure `pending` and its first user in one transaction, the coordinators told by an
e-mail in the outbox (when `coordinator_email` is set) and on their list; a refused form
answers beside each field with what was typed kept, never the password; the anonymous
form wants its CSRF token. A pending or suspended structure is told it may not reserve;
staff are refused the portal.

The helpers here (signing up, approving, signing in) serve the other portal tests.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import select

from db.engine import transaction
from db.enums import Category, Role, StructureStatus
from db.models import MailOutbox, Structure, User
from distribution import portal_signup, service
from distribution.models import StructureCreate, StructureUpdate
from distribution.portal_shell import PortalForStructures
from remise.app import create_app
from remise.auth import start_page, system_actor
from remise.i18n import translate
from remise.settings import Settings
from tests.distribution.test_structures_api import ledger_events
from tests.web.test_grading_pages import between, form_fields
from tests.web.test_pages import csrf_of, make_user, sign_in

COORDINATORS = "coordination@remise.example"
PASSWORD = "rivière tulipe carton mardi"
STRUCTURE = {
    "name": "La Passerelle",
    "address": "3 rue des Olivettes",
    "postcode": "44000",
    "city": "Nantes",
    "departement": "44",
    "public_category": "job_seekers",
    "public_description": "Des personnes qui cherchent un emploi",
    "contact_name": "Awa Diallo",
    "contact_email": "awa@passerelle.example",
    "contact_phone": "02 40 00 00 00",
}
USER = {"username": "awa", "display_name": "Awa D."}


def fr(message: str, **params: Any) -> str:
    return translate("fr", message, **params)


def text_of(page: str) -> str:
    return html.unescape(page)


@pytest.fixture
def client(settings: Settings, engine: sa.Engine) -> Iterator[TestClient]:
    """The app, with the coordinators' address set."""
    configured = settings.model_copy(update={"coordinator_email": COORDINATORS})
    with TestClient(create_app(configured, engine=engine)) as test_client:
        yield test_client


def sign_up(client: TestClient, **changes: str) -> Any:
    """Send the sign-up form as the page gives it, with `changes` to the fields."""
    keys = form_fields(client.get(portal_signup.SIGNUP).text, "signup-form")
    typed = STRUCTURE | USER | {"password": PASSWORD, "password_confirm": PASSWORD} | changes
    return client.post(portal_signup.SIGNUP, data=keys | typed, follow_redirects=False)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in with the login page's form; where the answer leads."""
    client.cookies.clear()
    data = {"csrf_token": csrf_of(client), "username": username, "password": password, "next": ""}
    answer = client.post("/login", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    return str(answer.headers["location"])


def structure_named(engine: sa.Engine, name: str) -> Structure:
    with transaction(engine, read_only=True) as session:
        return session.exec(select(Structure).where(Structure.name == name)).one()


def approve(engine: sa.Engine, name: str, **quotas: int) -> int:
    """Approve the structure and set its quotas, as the coordinators' page does."""
    actor = system_actor("cora")
    found = structure_named(engine, name).id or 0
    with transaction(engine) as session:
        service.set_status(session, actor, found, StructureStatus.ACTIVE)
        chosen = {Category(c): n for c, n in quotas.items()}
        service.update_structure(session, actor, found, data=StructureUpdate(quotas=chosen))
    return found


def suspend(engine: sa.Engine, structure_id: int) -> None:
    with transaction(engine) as session:
        service.set_status(session, system_actor("cora"), structure_id, StructureStatus.SUSPENDED)


def field_error(page: str, name: str) -> str:
    """The problem shown beside the field `name`, checked to be named by the field."""
    found = re.search(
        rf'<p class="field-error" id="error-{re.escape(name)}" role="alert">(.*?)</p>', page
    )
    assert found, f"no problem beside {name}"
    field = re.search(rf'id="field-{re.escape(name)}"[^>]*>', page)
    assert field and f'aria-describedby="error-{name}' in field.group(0)
    assert 'aria-invalid="true"' in field.group(0)
    return found.group(1)


def test_signing_up_makes_a_pending_structure_its_user_and_a_mail_to_the_coordinators(
    client: TestClient, engine: sa.Engine
) -> None:
    form = client.get(portal_signup.SIGNUP)
    assert form.status_code == 200
    assert 'id="field-name"' in form.text and "autofocus" in between(
        form.text, 'id="field-name"', ">"
    )
    for name in (*STRUCTURE, *USER, "password", "password_confirm"):
        assert f'<label for="field-{name}">' in form.text, name
    done = sign_up(client)
    assert (done.status_code, done.headers["location"]) == (303, portal_signup.DONE)
    thanks = text_of(client.get(portal_signup.DONE).text)
    said = fr(portal_signup.SIGNED_UP, name="La Passerelle", username="awa")
    assert said in thanks and fr("Thank you: your structure waits for approval") in thanks

    made = structure_named(engine, "La Passerelle")
    assert (made.status, made.postcode, made.public_category) == ("pending", "44000", "job_seekers")
    assert made.contact_email == "awa@passerelle.example"
    with transaction(engine, read_only=True) as session:
        user = session.exec(select(User).where(User.username == "awa")).one()
        mails = session.exec(select(MailOutbox)).all()
    assert (user.role, user.structure_id, user.display_name) == ("structure", made.id, "Awa D.")
    assert [m.to_address for m in mails] == [COORDINATORS]
    assert "La Passerelle" in mails[0].subject and f"/structures/{made.id}" in mails[0].body
    assert "Awa Diallo" in mails[0].body and "\n" not in mails[0].subject
    ((actor, created),) = ledger_events(engine, "structure.created")
    assert (actor, created["status"]) == ("signup:awa", "pending")
    assert ledger_events(engine, "user.created")[-1][1]["structure_id"] == made.id

    make_user(engine, "cora", Role.COORDINATOR)
    sign_in(client, "cora")
    listed = text_of(client.get("/structures").text)
    assert "La Passerelle" in listed and fr("waiting for approval") in listed


def test_a_refused_form_says_why_beside_each_field_and_keeps_what_was_typed(
    client: TestClient, engine: sa.Engine
) -> None:
    assert sign_up(client).status_code == 303
    again = sign_up(
        client,
        postcode="4400",
        contact_email="pas-une-adresse",
        password_confirm="autre chose encore",
        city="",
    )
    assert again.status_code == 422
    page = text_of(again.text)
    assert field_error(page, "name") == fr(service.StructureExists.message, name="La Passerelle")
    assert field_error(page, "username") == fr(
        "The user name “%(username)s” is already taken.", username="awa"
    )
    assert field_error(page, "postcode") == fr(portal_signup.SHAPES["postcode"])
    assert field_error(page, "contact_email") == fr(portal_signup.SHAPES["contact_email"])
    assert field_error(page, "city") == fr(portal_signup.REQUIRED_WORDS)
    assert field_error(page, "password_confirm") == fr(portal_signup.DIFFERENT)
    assert 'value="4400"' in page and 'value="Awa Diallo"' in page and "Des personnes" in page
    assert PASSWORD not in page  # never sent back
    assert re.search(r'id="field-name"[^>]*autofocus>', page) and page.count("autofocus") == 1

    weak = sign_up(
        client, name="Le Relais", username="relais", password="azerty", password_confirm="azerty"
    )
    assert weak.status_code == 422
    assert "Le Relais" in weak.text and 'id="error-password"' in weak.text
    assert structure_named_or_none(engine, "Le Relais") is None  # nothing written
    with transaction(engine, read_only=True) as session:
        assert len(session.exec(select(MailOutbox)).all()) == 1


def structure_named_or_none(engine: sa.Engine, name: str) -> Structure | None:
    with transaction(engine, read_only=True) as session:
        return session.exec(select(Structure).where(Structure.name == name)).first()


def test_without_the_coordinators_address_no_mail_is_queued(
    settings: Settings, engine: sa.Engine
) -> None:
    assert settings.coordinator_email is None
    with TestClient(create_app(settings, engine=engine)) as unconfigured:
        assert sign_up(unconfigured).status_code == 303
    assert structure_named(engine, "La Passerelle").status == "pending"
    with transaction(engine, read_only=True) as session:
        assert session.exec(select(MailOutbox)).all() == []


def test_the_anonymous_form_is_held_to_a_forms_size_even_as_multipart(
    settings: Settings, engine: sa.Engine
) -> None:
    small = settings.model_copy(update={"max_body_kb": 64})
    with TestClient(create_app(small, engine=engine)) as client:
        keys = form_fields(client.get(portal_signup.SIGNUP).text, "signup-form")
        typed = STRUCTURE | USER | {"public_description": "x" * 100_000}
        padding = {"padding": ("padding.txt", b"y" * 200_000, "text/plain")}
        answer = client.post(portal_signup.SIGNUP, data=keys | typed, files=padding)
    assert answer.status_code == 413  # an upload's limit would have let it through
    assert structure_named_or_none(engine, "La Passerelle") is None


def test_the_form_asks_every_detail_of_a_structure() -> None:
    assert sorted(portal_signup.STRUCTURE_FIELDS) == sorted(StructureCreate.model_fields)


def test_the_anonymous_form_wants_its_csrf_token(client: TestClient, engine: sa.Engine) -> None:
    client.get(portal_signup.SIGNUP)
    typed = STRUCTURE | USER | {"password": PASSWORD, "password_confirm": PASSWORD}
    refused = client.post(portal_signup.SIGNUP, data=typed | {"csrf_token": "x" * 64})
    assert refused.status_code == 403
    assert structure_named_or_none(engine, "La Passerelle") is None


def test_a_pending_then_suspended_structure_is_told_it_may_not_reserve(
    client: TestClient, engine: sa.Engine
) -> None:
    assert sign_up(client).status_code == 303
    assert log_in(client, "awa") == start_page(Role.STRUCTURE) == "/portal"
    page = text_of(client.get("/portal").text)
    assert fr("Your structure waits for approval") in page
    assert 'id="reserve-form"' not in page and 'id="ask-form"' not in page
    assert f'href="mailto:{COORDINATORS}"' in page
    keys = {"csrf_token": csrf_of(client, "/portal"), "device": "ABCD-EFGH"}
    refused = client.post("/portal/claims/devices", data=keys)
    assert refused.status_code == 409  # the service says why, whatever the page showed
    assert fr("waiting for approval") in text_of(refused.text)

    found = approve(engine, "La Passerelle", laptop=2)
    assert 'id="ask-form"' in client.get("/portal").text
    suspend(engine, found)
    page = text_of(client.get("/portal").text)
    assert fr("Your structure is suspended") in page and 'id="ask-form"' not in page


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.BENCH, Role.WORKSHOP])
def test_staff_are_refused_the_portal_and_pointed_to_their_pages(
    client: TestClient, engine: sa.Engine, role: Role
) -> None:
    make_user(engine, "lucie", role)
    sign_in(client, "lucie")
    for path in ("/portal", "/portal/reservations", "/portal/inbox", "/portal/received"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        said = fr(PortalForStructures.message, start=start_page(role))
        assert said in text_of(answer.text)
