"""The password policy: long enough, and not one that guessers try first.

A password needs at least MIN_LENGTH characters, or PASSPHRASE_WORDS words or more (a
passphrase such as "rivière tulipe carton mardi" is easier to remember and stronger
than "P@ssw0rd!"). It must then score at least MIN_SCORE on zxcvbn, which ships its
lists of common passwords, names and words and spots keyboard walks, dates, repetitions
and the user's own names (given as `user_inputs`). zxcvbn explains in English only, so
the refusal carries one of our own translated messages saying which rule failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from zxcvbn import zxcvbn

from db.errors import N_, Invalid

MIN_LENGTH = 12
PASSPHRASE_WORDS = 4  # words of 2 letters or more, whatever separates them
MIN_SCORE = 3  # zxcvbn: 3 "safely unguessable", about 10^8 guesses or more
ZXCVBN_PREFIX = 72  # zxcvbn refuses longer input; a long password's prefix is scored
_WORD = re.compile(r"[^\W\d_]{2,}")


class WeakPassword(Invalid):
    code = "weak_password"
    message = N_("This password is too easy to guess: choose another one.")


class PasswordTooShort(WeakPassword):
    code = "password_too_short"
    message = N_(
        "This password is too short: use at least %(min)s characters, "
        "or a passphrase of %(words)s words or more."
    )


class PasswordTooCommon(WeakPassword):
    code = "password_too_common"
    message = N_(
        "This password is too common or too predictable (a known password, a word, a date, "
        "a keyboard pattern or repetitions): add a few unrelated words."
    )


class PasswordLikeUserName(WeakPassword):
    code = "password_like_user_name"
    message = N_(
        "This password is too close to the user's name: choose one that does not contain it."
    )


def check_password(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """Raise a WeakPassword saying why `password` may not be used; return if it may."""
    if len(password) < MIN_LENGTH and len(_WORD.findall(password)) < PASSPHRASE_WORDS:
        raise PasswordTooShort(min=MIN_LENGTH, words=PASSPHRASE_WORDS)
    inputs = [word.lower() for word in user_inputs if word]
    verdict = zxcvbn(password[:ZXCVBN_PREFIX], user_inputs=inputs)
    if verdict["score"] >= MIN_SCORE:
        return
    if any(_from_user(match) for match in verdict["sequence"]):
        raise PasswordLikeUserName()
    raise PasswordTooCommon()


def _from_user(match: dict[str, Any]) -> bool:
    return match.get("dictionary_name") == "user_inputs"
