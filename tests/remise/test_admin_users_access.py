"""What a coordinator's changes to a user do at once, over HTTP on SQLite and PostgreSQL:
a new password signs their browsers out and the old one fails; deactivated, their
browser and their API tokens are refused at once, reactivated they sign in again (their
old tokens stay revoked); a new role holds at their next page; their tokens revoked one
by one. Nobody deactivates themselves, and the last active coordinator stays one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from db.engine import transaction
from db.enums import Role
from db.models import ApiToken
from remise import accounts, tokens
from remise.i18n import translate_plural
from remise.web import users_detail
from remise.web.users_queries import TOKEN_STATES
from tests.factories import ACTOR, auth
from tests.remise.test_admin_users import (
    CSRF,
    coordinator,
    events,
    fr,
    keys,
    post,
    text_of,
    user_id,
)
from tests.web.test_pages import make_user, sign_in


def second_browser(client: TestClient, name: str) -> TestClient:
    """Another browser where `name` signs in (enter it with `with`)."""
    browser = TestClient(client.app)
    browser.__enter__()
    sign_in(browser, name, next_path="/account")
    return browser


def token_of(engine: Engine, name: str, label: str = "scanner") -> tuple[int, str]:
    with transaction(engine) as session:
        row, token = tokens.issue_token(session, accounts.user_named(session, name), label=label)
        assert row.id is not None
        return row.id, token


def signs_in(client: TestClient, name: str, password: str) -> bool:
    with TestClient(client.app) as browser:
        csrf = CSRF.search(browser.get("/login").text)
        assert csrf
        answer = browser.post(
            "/login",
            data={"username": name, "password": password, "csrf_token": csrf[1]},
            follow_redirects=False,
        )
        return answer.status_code == 303


@pytest.mark.parametrize("keep_tokens", [False, True])
def test_a_new_password_signs_their_browsers_out_and_the_old_one_fails(
    client: TestClient, engine: Engine, keep_tokens: bool
) -> None:
    make_user(engine, "lucie", Role.BENCH)
    _id, token = token_of(engine, "lucie")
    coordinator(client, engine)
    page = users_detail.url_of(user_id(engine, "lucie"))
    lucie = second_browser(client, "lucie")
    try:
        assert lucie.get("/bench").status_code == 200
        fields = {"password": "rivière tulipe carton mardi"} | (
            {"keep_tokens": "yes"} if keep_tokens else {}
        )
        answer = post(client, f"{page}/password", keys(client, page), **fields)
        assert answer.status_code == 303 and answer.headers["location"] == page
        said = text_of(client.get(page))
        if keep_tokens:
            assert fr(users_detail.PASSWORD_KEPT, username="lucie") in said
        else:
            words = translate_plural(
                "fr", *users_detail.PASSWORD_REVOKED, 2, num=2, username="lucie"
            )
            assert words in said
        ended = lucie.get("/bench", follow_redirects=False)
        assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    finally:
        lucie.__exit__(None, None, None)
    assert not signs_in(client, "lucie", "pw-lucie-tournesol")
    assert signs_in(client, "lucie", "rivière tulipe carton mardi")
    api = client.get("/api/v1/me", headers=auth(token))
    assert api.status_code == (200 if keep_tokens else 401)
    assert events(engine, "user.password_set")[-1] == ("cora", {"user": "lucie"})


def test_a_weak_new_password_is_refused_beside_its_field(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "lucie", Role.BENCH)
    coordinator(client, engine)
    page = users_detail.url_of(user_id(engine, "lucie"))
    for weak in ("court", "password1234", "lucie-lucie-lucie"):
        refused = post(client, f"{page}/password", keys(client, page), password=weak)
        assert refused.status_code == 422
        assert '<p class="field-error" id="error-password" role="alert">' in refused.text
        assert f'value="{weak}"' not in refused.text
    assert signs_in(client, "lucie", "pw-lucie-tournesol")


def test_a_deactivated_user_is_refused_at_once_on_the_pages_and_the_api(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "lucie", Role.BENCH)
    _id, token = token_of(engine, "lucie")
    coordinator(client, engine)
    page = users_detail.url_of(user_id(engine, "lucie"))
    lucie = second_browser(client, "lucie")
    try:
        assert lucie.get("/bench").status_code == 200
        assert client.get("/api/v1/me", headers=auth(token)).status_code == 200  # remembered
        answer = post(client, f"{page}/deactivate", keys(client, page))
        assert answer.status_code == 303
        assert fr(users_detail.DEACTIVATED, username="lucie") in text_of(client.get(page))
        refused = client.get("/api/v1/me", headers=auth(token))
        assert refused.status_code == 401 and refused.json()["code"] == "account_deactivated"
        ended = lucie.get("/bench", follow_redirects=False)
        assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    finally:
        lucie.__exit__(None, None, None)
    assert not signs_in(client, "lucie", "pw-lucie-tournesol")
    listed = client.get("/admin/users", params={"active": "deactivated"}).text
    assert f'href="{page}">lucie</a>' in listed
    assert events(engine, "user.deactivated")[-1] == (
        "cora",
        {"user": "lucie", "tokens_revoked": 2},  # hers, and the one made with the account
    )
    again = post(client, f"{page}/reactivate", keys(client, page))
    assert again.status_code == 303
    assert fr(users_detail.REACTIVATED, username="lucie") in text_of(client.get(page))
    assert signs_in(client, "lucie", "pw-lucie-tournesol")
    stays = client.get("/api/v1/me", headers=auth(token))
    assert stays.status_code == 401 and stays.json()["code"] == "token_revoked"
    assert events(engine, "user.reactivated") == [("cora", {"user": "lucie"})]


def test_a_coordinator_cannot_deactivate_themselves_nor_change_their_own_role(
    client: TestClient, engine: Engine
) -> None:
    coordinator(client, engine)
    page = users_detail.url_of(user_id(engine, "cora"))
    shown = client.get(page).text
    assert 'id="deactivate-form"' not in shown  # no button: the page says why
    refused = post(client, f"{page}/deactivate", keys(client, page))
    assert refused.status_code == 409
    assert fr(accounts.NotOnYourself.message) in text_of(refused)
    assert 'id="error-active" role="alert"' in refused.text
    demoted = post(
        client,
        f"{page}/details",
        keys(client, page),
        display_name="",
        role="bench",
        structure_id="",
    )
    assert demoted.status_code == 409
    assert 'id="error-role" role="alert"' in demoted.text
    assert client.get("/admin/users").status_code == 200  # still a coordinator
    renamed = post(
        client,
        f"{page}/details",
        keys(client, page),
        display_name="Cora Lemoine",
        role="coordinator",
        structure_id="",
    )
    assert renamed.status_code == 303  # the rest of one's own details may change
    assert "Cora Lemoine" in client.get(page).text
    assert 'id="password-form"' not in client.get(page).text  # with the current one, there
    own = post(client, f"{page}/password", keys(client, page), password="rivière tulipe carton")
    assert own.status_code == 303 and own.headers["location"] == "/account"
    assert signs_in(client, "cora", "pw-cora-tournesol")


def test_the_last_active_coordinator_stays_one(engine: Engine) -> None:
    """Through the pages a coordinator acts on others, and stays one: only a command (or
    two coordinators removing each other at the same moment) could leave none."""
    with transaction(engine) as session:
        cora = accounts.create_user(session, ACTOR, username="cora", role=Role.COORDINATOR)[0]
        paul = accounts.create_user(session, ACTOR, username="paul", role=Role.COORDINATOR)[0]
        paul_acting = accounts.actor_for(paul)
        accounts.deactivate_user(session, accounts.actor_for(cora), username="paul")
    with transaction(engine) as session:  # paul's request, read as he still was
        with pytest.raises(accounts.LastCoordinator) as refused:
            accounts.deactivate_user(session, paul_acting, username="cora")
        assert "cora" in str(refused.value)
        with pytest.raises(accounts.LastCoordinator):
            accounts.deactivate_user(session, ACTOR, username="cora")  # `remise user …`
        assert cora.id is not None
        with pytest.raises(accounts.LastCoordinator):
            accounts.update_user(
                session,
                ACTOR,
                user_id=cora.id,
                display_name=None,
                role=Role.BENCH,
                structure_id=None,
            )
    with transaction(engine, read_only=True) as session:
        assert accounts.user_named(session, "cora").active


def test_a_new_role_holds_at_their_next_page(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    coordinator(client, engine)
    page = users_detail.url_of(user_id(engine, "lucie"))
    lucie = second_browser(client, "lucie")
    try:
        assert lucie.get("/intake/batches/new").status_code == 403
        fields = {"display_name": "Lucie M.", "role": "workshop", "structure_id": ""}
        assert post(client, f"{page}/details", keys(client, page), **fields).status_code == 303
        assert fr(users_detail.SAVED, username="lucie") in text_of(client.get(page))
        assert lucie.get("/intake/batches/new").status_code == 200
    finally:
        lucie.__exit__(None, None, None)
    assert events(engine, "user.updated") == [
        (
            "cora",
            {
                "user": "lucie",
                "changes": {"display_name": ["lucie", "Lucie M."], "role": ["bench", "workshop"]},
            },
        )
    ]
    same = post(client, f"{page}/details", keys(client, page), **fields)
    assert same.status_code == 303
    assert fr(users_detail.UNCHANGED) in text_of(client.get(page))
    assert len(events(engine, "user.updated")) == 1


def test_a_coordinator_revokes_one_of_their_tokens(client: TestClient, engine: Engine) -> None:
    make_user(engine, "lucie", Role.BENCH)
    make_user(engine, "marc", Role.BENCH)
    scanner, token = token_of(engine, "lucie", "scanner")
    _script, other = token_of(engine, "lucie", "script")
    marcs, _marc_token = token_of(engine, "marc")
    coordinator(client, engine)
    page = users_detail.url_of(user_id(engine, "lucie"))
    shown = client.get(page).text
    assert "scanner" in shown and "script" in shown and token not in shown
    assert f'action="{page}/tokens/{scanner}/revoke"' in shown
    revoked = post(client, f"{page}/tokens/{scanner}/revoke", keys(client, page))
    assert revoked.status_code == 303
    assert fr(users_detail.TOKEN_REVOKED, id=scanner, label="scanner") in text_of(client.get(page))
    assert f'action="{page}/tokens/{scanner}/revoke"' not in client.get(page).text
    refused = client.get("/api/v1/me", headers=auth(token))
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert client.get("/api/v1/me", headers=auth(other)).status_code == 200
    not_hers = post(client, f"{page}/tokens/{marcs}/revoke", keys(client, page))
    assert not_hers.status_code == 404
    with transaction(engine, read_only=True) as session:
        assert session.get(ApiToken, marcs).revoked is False  # type: ignore[union-attr]
    assert events(engine, "user.token_revoked") == [
        ("cora", {"user": "lucie", "token_id": scanner})
    ]


def test_the_users_page_lists_their_tokens_with_their_state(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "lucie", Role.BENCH)
    with transaction(engine) as session:
        lucie = accounts.user_named(session, "lucie")
        tokens.issue_token(session, lucie, label="for a week", expires_days=7)
        row, _token = tokens.issue_token(session, lucie, label="long gone", expires_days=1)
        row.expires_at = "2020-01-01T00:00:00Z"
        session.add(row)
    coordinator(client, engine)
    page = client.get(users_detail.url_of(user_id(engine, "lucie"))).text
    week = page.partition("for a week")[2].partition("</tr>")[0]
    gone = page.partition("long gone")[2].partition("</tr>")[0]
    assert "/revoke" in week and "/revoke" not in gone
    assert fr(TOKEN_STATES["expired"]) in gone and fr(TOKEN_STATES["live"]) in week
    listed = client.get("/admin/users", params={"q": "lucie"}).text
    assert (
        listed.partition('href="/admin/users/')[2]
        .partition("</tr>")[0]
        .strip()
        .endswith("<td>2</td>")
    )  # the one made with the account, and the week's
