"""After signing in, each role lands on its own start page, unless it was heading
somewhere; a session that ended is said so on the sign-in page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import select

from db.clock import iso, utcnow
from db.engine import transaction
from db.enums import Role
from db.models import WebSession
from remise import accounts
from remise.auth import START_PAGES, start_page
from tests.factories import ACTOR, make_structure

HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
ENDED = "Votre session a pris fin"


def make_user(engine: Engine, name: str, role: Role) -> None:
    with transaction(engine) as session:
        structure = make_structure(session) if role == Role.STRUCTURE else None
        accounts.create_user(
            session,
            ACTOR,
            username=name,
            role=role,
            password=f"pw-{name}-tournesol",
            structure_id=structure,
        )


def login_form(client: TestClient, query: str = "") -> dict[str, str]:
    """The hidden fields of the sign-in form, as the page gives them."""
    page = client.get(f"/login{query}")
    assert page.status_code == 200
    form = page.text.partition('action="/login"')[2].partition("</form>")[0]
    return dict(HIDDEN.findall(form))


def post_login(client: TestClient, name: str, **fields: str) -> str:
    """Sign in as `name` with the page's own form; where the answer leads."""
    data = login_form(client) | fields | {"username": name, "password": f"pw-{name}-tournesol"}
    answer = client.post("/login", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.BENCH, "/bench"),
        (Role.WORKSHOP, "/intake"),
        (Role.COORDINATOR, "/dashboard"),
        (Role.STRUCTURE, "/portal"),
    ],
)
def test_start_page_of_each_role(role: Role, expected: str) -> None:
    assert start_page(role) == expected


def test_every_role_has_a_start_page() -> None:
    assert set(START_PAGES) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_signing_in_without_a_destination_lands_on_the_role_start_page(
    client: TestClient, engine: Engine, role: Role
) -> None:
    make_user(engine, "lucie", role)
    landed = post_login(client, "lucie")
    assert landed == START_PAGES[role]
    assert client.get(landed).status_code == 200  # the role may open its start page


def test_opening_the_home_page_signed_out_asks_for_no_destination(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert login_form(client)["next"] == ""


@pytest.mark.parametrize("heading", ["/intake", "/bench/continuous?x=1", "/"])
def test_an_explicit_next_wins_over_the_start_page(
    client: TestClient, engine: Engine, heading: str
) -> None:
    make_user(engine, "lucie", Role.COORDINATOR)
    assert post_login(client, "lucie", next=heading) == heading


def test_a_page_asked_for_while_signed_out_comes_back_after_signing_in(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "lucie", Role.BENCH)
    sent = client.get("/bench/continuous", follow_redirects=False).headers["location"]
    assert sent == "/login?next=/bench/continuous"
    assert post_login(client, "lucie", next=login_form(client, sent[6:])["next"]) == sent[12:]


@pytest.mark.parametrize(
    "unsafe", ["//evil.example", "https://evil.example/", "/\\evil.example", "/%2F%2Fevil"]
)
def test_an_unsafe_next_is_refused(client: TestClient, engine: Engine, unsafe: str) -> None:
    make_user(engine, "lucie", Role.BENCH)
    landed = post_login(client, "lucie", next=unsafe)
    assert landed == "/"  # this site's home page, never the other site


def test_the_sign_in_page_says_when_the_session_ended_and_keeps_next(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "lucie", Role.BENCH)
    assert ENDED not in client.get("/login").text
    post_login(client, "lucie")
    with transaction(engine) as session:  # the bench shift is over
        session.execute(update(WebSession).values(expires_at=iso(utcnow() - timedelta(minutes=1))))
    sent = client.get("/bench/devices/K7M2-Q9XS", follow_redirects=False).headers["location"]
    page = client.get(sent).text
    assert ENDED in page and 'role="alert" id="login-expired"' in page
    assert login_form(client, sent[6:])["next"] == "/bench/devices/K7M2-Q9XS"
    assert (
        post_login(client, "lucie", next="/bench/devices/K7M2-Q9XS") == "/bench/devices/K7M2-Q9XS"
    )
    assert ENDED not in client.get("/login").text  # signed in again: nothing ended


def test_an_expired_flag_from_a_redirection_is_shown(client: TestClient) -> None:
    page = client.get("/login", params={"expired": "1", "next": "/intake"}).text
    assert ENDED in page and 'name="next" value="/intake"' in page
    assert ENDED not in client.get("/login", params={"expired": "0"}).text


def test_signing_out_is_not_taken_for_an_ended_session(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    post_login(client, "lucie")
    form = dict(HIDDEN.findall(client.get("/bench").text))
    out = client.post("/logout", data={"csrf_token": form["csrf_token"]}, follow_redirects=False)
    assert out.status_code == 303
    assert ENDED not in client.get("/login").text


def test_the_cookie_outlives_its_session_so_its_end_can_be_told(
    client: TestClient, engine: Engine
) -> None:
    """Browsers drop a cookie at its Max-Age: one dropped with its session would leave
    the sign-in page nothing to tell an ended session by."""
    make_user(engine, "lucie", Role.BENCH)
    data = login_form(client) | {"username": "lucie", "password": "pw-lucie-tournesol"}
    answer = client.post("/login", data=data, follow_redirects=False)
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("remise_session=")
    )
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))  # type: ignore[union-attr]
    with transaction(engine, read_only=True) as session:
        [ends] = session.exec(select(WebSession.expires_at)).all()
    lasts = datetime.fromisoformat(ends.replace("Z", "+00:00")) - utcnow()
    assert max_age > lasts.total_seconds() + 24 * 3600
