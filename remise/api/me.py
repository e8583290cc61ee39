"""The caller's own API tokens: list them, make one, revoke one.

A new token is shown once, in the 201 answer that makes it. With an Idempotency-Key,
the answer is remembered without the token, and a retry with the same key answers 409
naming the token made the first time (revoke it if its answer was lost, then ask again
with a new key): a replay never shows a secret twice, and nothing stores it. A token
made here expires no later than the token that made it.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, Field

from db.clock import utcnow
from db.errors import N_, Conflict
from remise import tokens
from remise.auth import Actor, Permission
from remise.deps import IdPath, SessionDep, require
from remise.idempotency import IdempotencyDep, fingerprint

router = APIRouter(prefix="/api/v1/me", tags=["service"])
Me = Annotated[Actor, Depends(require(Permission.ME))]


class TokenAlreadyIssued(Conflict):
    code = "token_already_issued"
    message = N_(
        "This Idempotency-Key already made API token %(id)s, and a token is shown only "
        "once. If its answer was lost, revoke token %(id)s and ask again with a new key."
    )


class TokenRead(BaseModel):
    """An API token as it may be shown: never the token itself nor its hash."""

    id: int
    label: str
    created_at: str
    expires_at: str | None = Field(description="none: until revoked")
    last_used_at: str | None = Field(description="to the minute")
    revoked_at: str | None


class TokenIssued(TokenRead):
    token: str = Field(description="shown this once: keep it now")


class TokenCreate(BaseModel):
    label: str = Field(min_length=1, max_length=tokens.MAX_LABEL, description="what it is for")
    expires_days: int | None = Field(
        default=None, ge=1, le=tokens.MAX_EXPIRY_DAYS, description="none: until revoked"
    )


def _read(view: tokens.TokenView) -> TokenRead:
    return TokenRead.model_validate(view, from_attributes=True)


def _bearer(request: Request) -> str:
    _scheme, credentials = get_authorization_scheme_param(request.headers.get("authorization"))
    return credentials.strip()


@router.get("/tokens", response_model=list[TokenRead])
def my_tokens(session: SessionDep, actor: Me) -> list[TokenRead]:
    """The caller's API tokens, newest first, revoked and expired ones included."""
    assert actor.user_id is not None
    return [_read(view) for view in tokens.tokens_of(session, actor.user_id)]


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def make_token(
    body: TokenCreate, request: Request, session: SessionDep, actor: Me, idem: IdempotencyDep
) -> Any:
    """Make a new API token for the caller; the token is in this answer only."""
    asked = fingerprint(body)
    if replayed := idem.replay(session, asked):
        raise TokenAlreadyIssued(id=_replayed_id(replayed))
    row, token = tokens.issue_own_token(
        session, actor, bearer=_bearer(request), label=body.label, expires_days=body.expires_days
    )
    shown = _read(tokens.TokenView.of(row))
    idem.answer(session, asked, shown)  # remembered without the token
    issued = TokenIssued(**shown.model_dump(), token=token)
    return JSONResponse(issued.model_dump(), status_code=201)


def _replayed_id(replayed: JSONResponse) -> int:
    return int(orjson.loads(bytes(replayed.body))["id"])


@router.delete("/tokens/{token_id}", response_model=TokenRead)
def revoke_my_token(token_id: IdPath, session: SessionDep, actor: Me) -> TokenRead:
    """Revoke one of the caller's tokens at once; another user's answers 404."""
    view = tokens.revoke_token(
        session, actor, token_id=token_id, owner_id=actor.user_id, now=utcnow()
    )
    return _read(view)
