"""Security headers on every answer, and the Secure flag on every cookie.

`SecurityHeaders` wraps the whole app, outside even the handler of unexpected errors
(see `remise.app.Remise`), so that API answers, pages, static files, errors and the API
documentation all carry:

- a Content-Security-Policy: scripts only from Remise's own files (no inline script,
  no `on…=` attribute: they live in `remise/static/*.js`), styles from its files plus
  the inline `<style>` blocks that carry this answer's nonce (`request.state.csp_nonce`,
  for the label sizes of the print page), nothing framing Remise (`frame-ancestors`);
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`, and the older
  `X-Frame-Options: DENY` for browsers that ignore `frame-ancestors`.

The API documentation's own libraries (Swagger UI, ReDoc) add inline styles while they
run, and ReDoc starts a worker from a `blob:` URL, so those two pages alone accept
inline styles and blob workers; their scripts stay file-only.

When `cookie_secure` is on, every Set-Cookie of every answer is marked `Secure` here,
whoever set it: one place, so no cookie (a stage's, a library's) can be forgotten.
"""

from __future__ import annotations

import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_DOCUMENTATION = ("/docs", "/redoc")

_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' {styles}; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'{more}"
)

FIXED = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"DENY",
}


def policy(path: str, nonce: str) -> str:
    """The Content-Security-Policy of the answer to `path`."""
    if path in _DOCUMENTATION:  # ReDoc also searches in a worker it makes from a blob
        return _POLICY.format(styles="'unsafe-inline'", more="; worker-src 'self' blob:")
    return _POLICY.format(styles=f"'nonce-{nonce}'", more="")


def secure_cookie(value: bytes) -> bytes:
    attributes = {part.strip().lower() for part in value.split(b";")[1:]}
    return value if b"secure" in attributes else value + b"; Secure"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, cookie_secure: bool) -> None:
        self.app, self.cookie_secure = app, cookie_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        csp = policy(scope.get("path", ""), nonce).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(message.get("headers", []), csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, headers: list[tuple[bytes, bytes]], csp: bytes) -> list[tuple[bytes, bytes]]:
        ours = {b"content-security-policy": csp, **FIXED}
        kept = [(name, value) for name, value in headers if name.lower() not in ours]
        if self.cookie_secure:
            kept = [
                (name, secure_cookie(value) if name.lower() == b"set-cookie" else value)
                for name, value in kept
            ]
        return kept + list(ours.items())
