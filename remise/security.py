"""Passwords (argon2) and API tokens (random, stored as SHA-256)."""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
TOKEN_PREFIX = "rms_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def _unusable() -> str:
    """A hash no typed password matches, made on first need (not at every import)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches. Without a hash (no such user, no password) an argon2
    check is still run, so that an unknown user name is not refused any faster."""
    if not stored_hash:
        _check(_unusable(), password)
        return False
    return _check(stored_hash, password)


def _check(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh API token: 256 random bits, prefixed so that leaks are easy to grep."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens carry 256 bits of entropy, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.strip().encode()).hexdigest()
