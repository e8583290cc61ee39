"""Passwords (argon2), API tokens (random, stored as SHA-256), known-device cookies (HMAC)."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import orjson
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


KNOWN_DEVICE_USERS = 8  # a shared workshop computer remembers its last few volunteers


@dataclass(frozen=True)
class KnownDevice:
    """A browser where some users signed in with their password (see `remise.lockout`).

    `device` is a random name the browser keeps for as long as its cookie lives, so that
    wrong passwords typed there are counted apart from those of its network address.
    """

    device: str
    users: tuple[str, ...]

    def remembering(self, username: str) -> KnownDevice:
        """This browser once `username` signed in there, latest first."""
        others = tuple(name for name in self.users if name != username)
        return KnownDevice(self.device, (username, *others)[:KNOWN_DEVICE_USERS])


def new_known_device() -> KnownDevice:
    return KnownDevice(secrets.token_urlsafe(12), ())


def _device_mac(secret_key: str, payload: bytes) -> str:
    key = hashlib.sha256(b"remise known device:" + secret_key.encode()).digest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def seal_known_device(secret_key: str, known: KnownDevice) -> str:
    """The cookie value: the device and its users, readable, signed with the secret key."""
    payload = base64.urlsafe_b64encode(orjson.dumps([known.device, list(known.users)]))
    return f"{payload.decode()}.{_device_mac(secret_key, payload)}"


def open_known_device(secret_key: str, cookie: str | None) -> KnownDevice | None:
    """The device a cookie names, or None if absent, altered or signed with another key."""
    if not cookie or len(cookie) > 2000 or "." not in cookie:
        return None
    payload, _, mac = cookie.rpartition(".")
    if not hmac.compare_digest(mac, _device_mac(secret_key, payload.encode())):
        return None
    try:
        device, users = orjson.loads(base64.urlsafe_b64decode(payload))
        return KnownDevice(str(device), tuple(str(name) for name in users))
    except (binascii.Error, orjson.JSONDecodeError, TypeError, ValueError):
        return None
