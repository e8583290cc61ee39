"""A new API token, carried from the form that made it to the page it leads to, once.

The form answers with a redirection (303), so the token cannot be in its answer; never
in the address either (it would stay in the history, the server's logs, a Referer). It
travels in a cookie of its own, sent only to /account, HttpOnly, living two minutes, and
sealed (AES-GCM) with a key derived from the secret key *and this browser's session
cookie*, which the server never stores: the database never holds the token, and the
cookie opens in no other session. The page that shows it deletes the cookie, so a reload
or Back shows it no more (the pages are never cached: `Cache-Control: no-store`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request
from fastapi.responses import Response

from remise.deps import get_settings
from remise.pages import SESSION_COOKIE

COOKIE = "remise_new_token"
PATH = "/account"
SECONDS = 120  # from the form's answer to the page: moments, unless the network stalls
_NONCE = 12
_PURPOSE = b"api token shown once"
_MAX_COOKIE = 1000


@dataclass(frozen=True)
class NewToken:
    id: int
    token: str


def _key(secret_key: str, session_token: str) -> bytes:
    material = b"remise new token:" + session_token.encode()
    return hmac.new(secret_key.encode(), material, hashlib.sha256).digest()


def seal(secret_key: str, session_token: str, shown: NewToken) -> str:
    nonce = os.urandom(_NONCE)
    data = orjson.dumps([shown.id, shown.token])
    sealed = AESGCM(_key(secret_key, session_token)).encrypt(nonce, data, _PURPOSE)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(secret_key: str, session_token: str, cookie: str) -> NewToken | None:
    """The token a cookie carries, or None if it was sealed for another session, under
    another key, or altered."""
    if not cookie or len(cookie) > _MAX_COOKIE:
        return None
    try:
        raw = base64.urlsafe_b64decode(cookie.encode())
        key = _key(secret_key, session_token)
        data = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], _PURPOSE)
        token_id, token = orjson.loads(data)
        return NewToken(int(token_id), str(token))
    except (InvalidTag, binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        return None


def keep(request: Request, response: Response, shown: NewToken) -> None:
    """Have the browser carry `shown` to the next /account page."""
    session_token = request.cookies.get(SESSION_COOKIE, "")
    value = seal(get_settings(request).secret_key, session_token, shown)
    response.set_cookie(COOKIE, value, max_age=SECONDS, path=PATH, httponly=True, samesite="strict")


def take(request: Request) -> NewToken | None:
    """The new token the browser carries for this session, if any (`forget` it then)."""
    cookie = request.cookies.get(COOKIE)
    session_token = request.cookies.get(SESSION_COOKIE)
    if not cookie or not session_token:
        return None
    return unseal(get_settings(request).secret_key, session_token, cookie)


def forget(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")
