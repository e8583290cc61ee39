"""The password policy: long enough, not common, not the user's name; said in French."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from db.engine import transaction
from db.enums import Role
from remise import accounts, passwords
from remise.i18n import translate
from tests.factories import ACTOR


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("court", passwords.PasswordTooShort),
        ("k7#Qz!p2Lm9", passwords.PasswordTooShort),  # 11 characters, one word
        ("k7#Qz!p2Lm9w", None),  # 12
        ("password1234", passwords.PasswordTooCommon),
        ("azertyuiop123", passwords.PasswordTooCommon),
        ("motdepasse123", passwords.PasswordTooCommon),
        ("aaaaaaaaaaaaaaaa", passwords.PasswordTooCommon),
        ("lucie123456789", passwords.PasswordLikeUserName),
        ("rivière tulipe carton mardi", None),  # a passphrase
        ("demo-benevole-remise", None),  # the demo's logins pass too
        ("x" * 5000 + "y", passwords.PasswordTooCommon),  # scored on its first characters
    ],
)
def test_the_policy_says_which_rule_a_password_breaks(
    password: str, refusal: type[passwords.WeakPassword] | None
) -> None:
    if refusal is None:
        passwords.check_password(password, user_inputs=("lucie", "Lucie Martin"))
    else:
        with pytest.raises(refusal):
            passwords.check_password(password, user_inputs=("lucie", "Lucie Martin"))


def test_a_refusal_is_said_in_french_with_its_reason() -> None:
    with pytest.raises(passwords.WeakPassword) as short:
        passwords.check_password("court")
    said = translate("fr", short.value.template, **short.value.params)
    assert said.startswith("Ce mot de passe est trop court : utilisez au moins 12 caractères")
    with pytest.raises(passwords.WeakPassword) as common:
        passwords.check_password("password1234")
    assert "trop courant" in translate("fr", common.value.template, **common.value.params)
    assert common.value.status == 422 and common.value.code == "password_too_common"


def test_the_display_name_counts_as_the_users_name_too(engine: Engine) -> None:
    with transaction(engine) as session, pytest.raises(passwords.PasswordLikeUserName):
        accounts.create_user(
            session,
            ACTOR,
            username="lm",
            role=Role.BENCH,
            display_name="Marguerite",
            password="marguerite2024",
        )


def test_setting_a_weak_password_changes_nothing(engine: Engine) -> None:
    with transaction(engine) as session:
        accounts.create_user(
            session, ACTOR, username="lucie", role=Role.BENCH, password="pw-lucie-tournesol"
        )
    with transaction(engine) as session, pytest.raises(passwords.PasswordTooCommon):
        accounts.set_password(session, ACTOR, username="lucie", password="password1234")
    with transaction(engine) as session:
        assert accounts.authenticate_password(session, "lucie", "pw-lucie-tournesol")
