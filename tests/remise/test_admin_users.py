"""The coordinators' user pages over HTTP, on SQLite and PostgreSQL: a user of each role
created (a structure user with its structure) signs in and lands on their start page;
the list filtered and searched; refusals beside their field, what was typed kept; who
may open the pages at all.

Messages are compared with `translate("fr", …)` of the code's own msgids, so that the
tests hold before and after the French catalogue has them.
"""

from __future__ import annotations

import html
import re
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import col, func, select

from db.engine import transaction
from db.enums import Role
from db.models import LedgerEvent, User
from remise import accounts
from remise.auth import START_PAGES
from remise.i18n import translate
from remise.web import users, users_detail
from remise.web import users_forms as forms
from tests.factories import ACTOR, make_structure
from tests.web.test_pages import make_user, sign_in

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="form_key" value="([^"]+)"')


def fr(message: str, **params: Any) -> str:
    return translate("fr", message, **params)


def text_of(answer: Any) -> str:
    return html.unescape(answer.text)


def keys(client: TestClient, path: str) -> dict[str, str]:
    """The hidden keys of the forms of the page at `path`, as a browser would send them."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    csrf, key = CSRF.search(page.text), KEY.search(page.text)
    assert csrf and key
    return {"csrf_token": csrf[1], "form_key": key[1]}


def post(client: TestClient, path: str, form: dict[str, str], **fields: str) -> Any:
    return client.post(path, data=form | fields, follow_redirects=False)


def coordinator(client: TestClient, engine: Engine, name: str = "cora") -> None:
    make_user(engine, name, Role.COORDINATOR)
    sign_in(client, name, next_path="/admin/users")


def user_id(engine: Engine, name: str) -> int:
    with transaction(engine, read_only=True) as session:
        found = accounts.user_named(session, name).id
        assert found is not None
        return found


def events(engine: Engine, type_: str) -> list[tuple[str, dict[str, Any]]]:
    with transaction(engine, read_only=True) as session:
        rows = session.exec(
            select(LedgerEvent).where(LedgerEvent.type == type_).order_by(col(LedgerEvent.seq))
        ).all()
        return [(row.actor, orjson.loads(row.payload)) for row in rows]


def create(client: TestClient, **fields: str) -> Any:
    form = {"username": "", "display_name": "", "role": "bench", "structure_id": ""}
    return post(client, "/admin/users", keys(client, "/admin/users") | form, **fields)


def users_named(engine: Engine, name: str) -> int:
    with transaction(engine, read_only=True) as session:
        return int(session.exec(select(func.count()).where(User.username == name)).one())


@pytest.mark.parametrize("role", list(Role))
def test_a_coordinator_creates_a_user_of_each_role_who_lands_on_their_start_page(
    client: TestClient, engine: Engine, role: Role
) -> None:
    coordinator(client, engine)
    with transaction(engine) as session:
        structure = str(make_structure(session, name="Secours solidaire"))
    chosen = structure if role == Role.STRUCTURE else ""
    made = create(
        client,
        username="Lucie",
        display_name="Lucie Martin",
        role=role.value,
        structure_id=chosen,
        password="pw-lucie-tournesol",
    )
    assert made.status_code == 303, made.text
    assert made.headers["location"] == users_detail.url_of(user_id(engine, "lucie"))
    page = text_of(client.get(made.headers["location"]))
    assert fr(users.CREATED, username="lucie") in page
    assert "Lucie Martin" in page and forms.role_text("fr", role.value) in page
    belongs = page.partition("<dt>Structure</dt><dd>")[2].partition("</dd>")[0]
    assert belongs == ("Secours solidaire" if role == Role.STRUCTURE else "—")
    assert events(engine, "user.created")[-1] == (
        "cora",
        {"user": "lucie", "role": role.value, "structure_id": int(chosen) if chosen else None},
    )
    with TestClient(client.app) as browser:  # Lucie, on her own computer
        landed = browser.post(
            "/login",
            data={"username": "lucie", "password": "pw-lucie-tournesol"}
            | {"csrf_token": CSRF.search(browser.get("/login").text)[1]},  # type: ignore[index]
            follow_redirects=False,
        )
        assert landed.status_code == 303 and landed.headers["location"] == START_PAGES[role]
        assert browser.get("/account").status_code == 200


def test_a_new_user_has_no_api_token_until_they_make_one(
    client: TestClient, engine: Engine
) -> None:
    coordinator(client, engine)
    assert create(client, username="lucie", password="pw-lucie-tournesol").status_code == 303
    listed = text_of(client.get("/admin/users"))
    row = listed.partition(f'id="user-{user_id(engine, "lucie")}"')[2].partition("</tr>")[0]
    assert re.search(r"<td>0</td>\s*$", row.strip()), row


def test_a_structure_user_needs_a_structure_and_the_others_none(
    client: TestClient, engine: Engine
) -> None:
    coordinator(client, engine)
    with transaction(engine) as session:
        structure = str(make_structure(session))
    alone = create(client, username="passe", role="structure", password="pw-passe-tournesol")
    assert alone.status_code == 422
    page = alone.text
    assert html.unescape(page).count(fr(forms.CHOOSE_A_STRUCTURE)) == 1
    assert re.search(r'id="new-structure_id"[^>]*aria-describedby="error-structure_id', page)
    assert 'value="passe"' in page and "pw-passe-tournesol" not in page  # typed kept, not it
    bench = create(
        client, username="marc", role="bench", structure_id=structure, password="pw-marc-tournesol"
    )
    assert bench.status_code == 422
    assert fr(accounts.StructureNotAllowed.message) in text_of(bench)
    gone = create(client, username="paul", role="structure", structure_id="999999")
    assert gone.status_code == 422
    assert users_named(engine, "passe") + users_named(engine, "marc") == 0


@pytest.mark.parametrize(
    ("fields", "field", "status"),
    [
        ({"username": "lucie", "password": "court"}, "password", 422),
        ({"username": "lucie", "password": "password1234"}, "password", 422),
        ({"username": "lucie", "password": ""}, "password", 422),
        ({"username": "", "password": "pw-lucie-tournesol"}, "username", 422),
        ({"username": "Lucie Martin", "password": "pw-lucie-tournesol"}, "username", 422),
        ({"username": "cora", "password": "pw-cora2-tournesol"}, "username", 409),
        ({"username": "lucie", "role": "admin", "password": "pw-lucie-tournesol"}, "role", 422),
        (
            {"username": "lucie", "display_name": "x" * 201, "password": "pw-lucie-tournesol"},
            "display_name",
            422,
        ),
    ],
)
def test_a_refused_user_says_why_beside_the_field(
    client: TestClient, engine: Engine, fields: dict[str, str], field: str, status: int
) -> None:
    coordinator(client, engine)
    refused = create(client, **fields)
    assert refused.status_code == status, refused.text
    assert f'<p class="field-error" id="error-{field}" role="alert">' in refused.text
    assert re.search(rf'id="new-{field}"[^>]*aria-invalid="true"[^>]*autofocus', refused.text)
    if fields.get("password"):
        assert f'value="{fields["password"]}"' not in refused.text
    assert users_named(engine, "lucie") == 0


def test_the_list_filters_by_role_and_state_and_searches_names(
    client: TestClient, engine: Engine
) -> None:
    coordinator(client, engine)
    with transaction(engine) as session:
        for name, role, shown in [
            ("elodie", Role.BENCH, "Élodie Durand"),
            ("marc", Role.BENCH, "Marc Petit"),
            ("atelier", Role.WORKSHOP, "Atelier du Blosne"),
        ]:
            accounts.create_user(session, ACTOR, username=name, role=role, display_name=shown)
        accounts.deactivate_user(session, ACTOR, username="marc")

    def listed(**query: str) -> list[str]:
        page = client.get("/admin/users", params=query)
        assert page.status_code == 200
        return re.findall(r'<a href="/admin/users/\d+">([^<]+)</a>', page.text)

    assert listed() == ["atelier", "cora", "elodie", "marc"]
    assert listed(role="bench") == ["elodie", "marc"]
    assert listed(active="deactivated") == ["marc"]
    assert listed(role="bench", active="active") == ["elodie"]
    assert listed(q="ELODIE") == ["elodie"] == listed(q="durand") == listed(q="élo")
    assert listed(q="personne") == []
    assert listed(role="nonsense", active="nonsense") == listed()  # unknown: no filter
    page = text_of(client.get("/admin/users", params={"q": "atelier"}))
    row = page.partition('href="/admin/users/')[2].partition("</tr>")[0]
    assert "Atelier du Blosne" in row and forms.role_text("fr", "workshop") in row
    assert re.search(r"<td>1</td>\s*$", row.strip()), row  # its token made with the account


def test_only_coordinators_open_the_user_pages(client: TestClient, engine: Engine) -> None:
    target = str(users_detail.url_of(1))
    signed_out = client.get("/admin/users", follow_redirects=False)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/login?next=/admin/users"
    with transaction(engine) as session:
        structure = make_structure(session)
    for role in (Role.BENCH, Role.WORKSHOP, Role.STRUCTURE):
        name = f"u-{role.value}"
        make_user(engine, name, role, structure_id=structure if role == Role.STRUCTURE else None)
        client.cookies.clear()
        sign_in(client, name, next_path="/account")
        form = keys(client, "/account")
        assert 'href="/admin/users"' not in client.get("/account").text  # not in the menu
        assert client.get("/admin/users").status_code == 403
        assert client.get(target).status_code == 403
        made = post(client, "/admin/users", form, username="x", role="coordinator")
        assert made.status_code == 403
        assert post(client, f"{target}/deactivate", form).status_code == 403
    assert users_named(engine, "x") == 0
    client.cookies.clear()
    coordinator(client, engine)
    assert 'href="/admin/users"' in client.get("/account").text


def test_an_unknown_user_is_the_404_page(client: TestClient, engine: Engine) -> None:
    coordinator(client, engine)
    form = keys(client, "/admin/users")
    for answer in (
        client.get("/admin/users/999999"),
        client.get("/admin/users/0"),
        post(client, "/admin/users/999999/deactivate", form),
        post(client, "/admin/users/999999/password", form, password="pw-x-tournesol-vert"),
        post(client, "/admin/users/999999/tokens/1/revoke", form),
    ):
        assert answer.status_code == 404, (answer.request.url, answer.text)
        assert answer.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("address", "page"),
    [
        ("/admin/users/{id}/password", "/admin/users/{id}"),
        ("/admin/users/{id}/details", "/admin/users/{id}"),
        ("/admin/users/{id}/tokens/1/revoke", "/admin/users/{id}"),
        ("/account/tokens", "/account"),
        ("/account/password", "/account"),
    ],
)
def test_a_form_address_opened_leads_to_its_page(
    client: TestClient, engine: Engine, address: str, page: str
) -> None:
    coordinator(client, engine)
    me = str(user_id(engine, "cora"))
    answer = client.get(address.format(id=me), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == page.format(id=me)


def test_a_create_form_sent_twice_makes_one_user(client: TestClient, engine: Engine) -> None:
    coordinator(client, engine)
    form = keys(client, "/admin/users") | {"role": "bench", "structure_id": ""}
    fields = {"username": "lucie", "display_name": "", "password": "pw-lucie-tournesol"}
    first = post(client, "/admin/users", form, **fields)
    again = post(client, "/admin/users", form, **fields)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert users_named(engine, "lucie") == 1
