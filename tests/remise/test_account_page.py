"""Everyone's account page over HTTP, on SQLite and PostgreSQL: an API token made there is
shown once (a reload, Back, another session or a form sent again never show it), works
on the API, is revoked there; the password changed with the current one (wrong ones
counted), the other browsers signed out, this one kept; the menu's links."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import col, func, select

from db.clock import utcnow
from db.engine import transaction
from db.enums import Role
from db.models import ApiToken, LoginFailure
from remise.i18n import translate
from remise.pages import SESSION_COOKIE
from remise.web import account_page, users_once
from remise.web import users_forms as forms
from tests.factories import auth, make_structure
from tests.remise.test_admin_users import events, fr, keys, post, text_of, user_id
from tests.remise.test_admin_users_access import second_browser, signs_in
from tests.web.test_pages import make_user, sign_in

SHOWN = re.compile(r'id="new-token" class="code" value="(rms_[^"]+)"')


def bench(client: TestClient, engine: Engine, name: str = "lucie") -> None:
    make_user(engine, name, Role.BENCH)
    sign_in(client, name, next_path="/account")


def make_token(client: TestClient, **fields: str) -> tuple[str, str]:
    """Make a token with the page's form; the page it leads to, and the token shown."""
    answer = post(client, "/account/tokens", keys(client, "/account"), **fields)
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    page = client.get("/account").text
    found = SHOWN.search(page)
    assert found, page
    return page, found[1]


def tokens_of(engine: Engine, name: str) -> int:
    with transaction(engine, read_only=True) as session:
        counted = select(func.count()).where(ApiToken.user_id == user_id(engine, name))
        return int(session.exec(counted).one())


def test_a_token_made_on_the_account_page_is_shown_once_and_works(
    client: TestClient, engine: Engine
) -> None:
    bench(client, engine)
    answer = post(
        client, "/account/tokens", keys(client, "/account"), label="scanner", expires_days="30"
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/account"
    sealed = client.cookies.get(users_once.COOKIE)
    page = client.get("/account")
    found = SHOWN.search(page.text)
    assert found and "rms_" not in answer.headers["location"]
    token = found[1]
    assert sealed and token not in sealed and token not in answer.headers.get("set-cookie", "")
    assert page.headers["cache-control"] == "no-store"
    assert re.search(r'id="new-token"[^>]*autofocus', page.text)  # ready to be copied
    assert users_once.COOKIE not in client.cookies  # taken
    assert token not in client.get("/account").text  # a reload shows it no more
    me = client.get("/api/v1/me", headers=auth(token))
    assert me.status_code == 200 and me.json()["username"] == "lucie"
    [listed] = [
        t
        for t in client.get("/api/v1/me/tokens", headers=auth(token)).json()
        if t["label"] == "scanner"
    ]
    expires = datetime.fromisoformat(listed["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - (utcnow() + timedelta(days=30))) < timedelta(minutes=5)
    made = events(engine, "user.token_issued")[-1]
    assert made[0] == "lucie" and made[1]["token_id"] == listed["id"]
    revoked = post(client, f"/account/tokens/{listed['id']}/revoke", keys(client, "/account"))
    assert revoked.status_code == 303
    said = text_of(client.get("/account"))
    assert fr(account_page.TOKEN_REVOKED, id=listed["id"], label="scanner") in said
    refused = client.get("/api/v1/me", headers=auth(token))
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"


def test_the_sealed_token_opens_in_no_other_session(client: TestClient, engine: Engine) -> None:
    bench(client, engine)
    post(client, "/account/tokens", keys(client, "/account"), label="scanner")
    sealed, session = client.cookies.get(users_once.COOKIE), client.cookies.get(SESSION_COOKIE)
    assert sealed and session
    with TestClient(client.app) as other:  # the same user, signed in elsewhere
        sign_in(other, "lucie", next_path="/account")
        other.cookies.set(users_once.COOKIE, sealed)
        assert not SHOWN.search(other.get("/account").text)
    altered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    for carried, shown in ((altered, False), (sealed, True)):
        with TestClient(client.app) as copy:  # this very session, its cookie altered or not
            copy.cookies.set(SESSION_COOKIE, session)
            copy.cookies.set(users_once.COOKIE, carried)
            assert bool(SHOWN.search(copy.get("/account").text)) is shown


def test_a_token_form_sent_again_makes_no_second_token_and_shows_none(
    client: TestClient, engine: Engine
) -> None:
    bench(client, engine)
    before = tokens_of(engine, "lucie")
    form = keys(client, "/account") | {"label": "scanner", "expires_days": ""}
    first = client.post("/account/tokens", data=form, follow_redirects=False)
    client.get("/account")  # shown, then gone
    again = client.post("/account/tokens", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    page = client.get(again.headers["location"])
    assert "Ce formulaire avait déjà été envoyé" in page.text or "already been sent" in page.text
    assert not SHOWN.search(page.text)
    assert tokens_of(engine, "lucie") == before + 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"label": "", "expires_days": ""}, "label"),
        ({"label": "x" * 121, "expires_days": ""}, "label"),
        ({"label": "scanner", "expires_days": "0"}, "expires_days"),
        ({"label": "scanner", "expires_days": "3651"}, "expires_days"),
        ({"label": "scanner", "expires_days": "une semaine"}, "expires_days"),
        ({"label": "scanner", "expires_days": "²"}, "expires_days"),
    ],
)
def test_a_refused_token_says_why_beside_the_field(
    client: TestClient, engine: Engine, fields: dict[str, str], field: str
) -> None:
    bench(client, engine)
    before = tokens_of(engine, "lucie")
    refused = post(client, "/account/tokens", keys(client, "/account"), **fields)
    assert refused.status_code == 422
    assert f'<p class="field-error" id="error-{field}" role="alert">' in refused.text
    assert re.search(rf'id="token-{field}"[^>]*aria-invalid="true"[^>]*autofocus', refused.text)
    assert f'value="{fields["expires_days"]}"' in refused.text  # what was typed, kept
    assert tokens_of(engine, "lucie") == before


def test_another_users_token_cannot_be_revoked_from_ones_account(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, "marc", Role.BENCH)
    bench(client, engine)
    with transaction(engine, read_only=True) as session:
        marcs = session.exec(
            select(ApiToken.id).where(ApiToken.user_id == user_id(engine, "marc"))
        ).one()
    refused = post(client, f"/account/tokens/{marcs}/revoke", keys(client, "/account"))
    assert refused.status_code == 404
    with transaction(engine, read_only=True) as session:
        assert session.get(ApiToken, marcs).revoked is False  # type: ignore[union-attr]


def _change(client: TestClient, **fields: str) -> object:
    return post(client, "/account/password", keys(client, "/account"), **fields)


def test_changing_ones_password_keeps_this_browser_and_ends_the_others(
    client: TestClient, engine: Engine
) -> None:
    bench(client, engine)  # with the token made with the account
    other = second_browser(client, "lucie")
    try:
        new = "rivière tulipe carton mardi"
        changed = _change(client, current="pw-lucie-tournesol", password=new, password_again=new)
        assert changed.status_code == 303, changed.text  # type: ignore[attr-defined]
        assert fr(account_page.PASSWORD_CHANGED) in text_of(client.get("/account"))
        assert client.get("/bench").status_code == 200  # still signed in here
        ended = other.get("/bench", follow_redirects=False)
        assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    finally:
        other.__exit__(None, None, None)
    assert not signs_in(client, "lucie", "pw-lucie-tournesol")
    assert signs_in(client, "lucie", "rivière tulipe carton mardi")
    with transaction(engine, read_only=True) as session:
        assert session.exec(select(ApiToken.revoked)).all() == [False]  # tokens kept
    assert events(engine, "user.password_set") == [("lucie", {"user": "lucie"})]


def test_changing_ones_password_may_revoke_ones_tokens(client: TestClient, engine: Engine) -> None:
    bench(client, engine)
    _page, token = make_token(client, label="scanner")
    new = "rivière tulipe carton mardi"
    changed = _change(
        client, current="pw-lucie-tournesol", password=new, password_again=new, revoke_tokens="yes"
    )
    assert changed.status_code == 303  # type: ignore[attr-defined]
    assert fr(account_page.PASSWORD_CHANGED_REVOKED) in text_of(client.get("/account"))
    assert client.get("/api/v1/me", headers=auth(token)).status_code == 401


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"current": "pas le bon mot de passe"}, "current", account_page.WRONG_CURRENT),
        ({"current": ""}, "current", forms.REQUIRED),
        ({"password_again": "autre chose encore ici"}, "password_again", forms.NOT_THE_SAME),
        ({"password": "court", "password_again": "court"}, "password", None),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    client: TestClient, engine: Engine, fields: dict[str, str], field: str, message: str | None
) -> None:
    bench(client, engine)
    new = "rivière tulipe carton mardi"
    sent = {"current": "pw-lucie-tournesol", "password": new, "password_again": new} | fields
    refused = _change(client, **sent)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    page = refused.text  # type: ignore[attr-defined]
    assert f'<p class="field-error" id="error-{field}" role="alert">' in page
    if message:
        assert fr(message) in text_of(refused)
    for typed in sent.values():
        assert not typed or f'value="{typed}"' not in page  # passwords are never shown back
    assert signs_in(client, "lucie", "pw-lucie-tournesol")


def test_wrong_current_passwords_are_counted_as_wrong_sign_ins(
    client: TestClient, engine: Engine
) -> None:
    bench(client, engine)
    new = "rivière tulipe carton mardi"
    for _ in range(5):
        _change(client, current="pas le bon", password=new, password_again=new)
    with transaction(engine, read_only=True) as session:
        failures = session.exec(
            select(func.count()).where(col(LoginFailure.username) == "lucie")
        ).one()
    assert failures == 5
    locked = _change(client, current="pw-lucie-tournesol", password=new, password_again=new)
    assert locked.status_code == 422  # type: ignore[attr-defined]
    assert "min" in text_of(locked)  # try again in N min
    assert 'id="error-current" role="alert"' in locked.text  # type: ignore[attr-defined]
    # counted against this browser, where she signed in: she is locked out nowhere else
    assert signs_in(client, "lucie", "pw-lucie-tournesol")


@pytest.mark.parametrize("role", list(Role))
def test_everyone_has_an_account_page_in_the_menu(
    client: TestClient, engine: Engine, role: Role
) -> None:
    with transaction(engine) as session:
        structure = make_structure(session, name="Secours solidaire")
    make_user(engine, "lucie", role, structure_id=structure if role == Role.STRUCTURE else None)
    sign_in(client, "lucie", next_path="/account")
    page = client.get("/account")
    assert page.status_code == 200
    shown = text_of(page)
    assert 'href="/account" aria-current="page"' in page.text
    assert forms.role_text("fr", role.value) in shown
    assert ("Secours solidaire" in shown) == (role == Role.STRUCTURE)
    assert ('href="/admin/users"' in page.text) == (role == Role.COORDINATOR)


def test_the_language_chosen_on_the_account_page_is_kept(
    client: TestClient, engine: Engine
) -> None:
    bench(client, engine)
    csrf = keys(client, "/account")["csrf_token"]
    chosen = client.post(
        "/language",
        data={"csrf_token": csrf, "locale": "en", "next": "/account"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/account"
    page = client.get("/account")
    assert page.headers["content-language"] == "en"
    assert translate("en", "Change my password") in page.text
    assert 'value="en" lang="en" selected' in page.text
