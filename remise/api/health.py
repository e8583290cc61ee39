"""Liveness and identity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import text

from remise import __version__
from remise.auth import Actor, Permission
from remise.deps import SessionDep, require

router = APIRouter(prefix="/api/v1", tags=["service"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, Any]:
    """Answers 200 when the service and its database answer."""
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return {"status": "ok", "version": __version__, "database": session.get_bind().dialect.name}


@router.get("/me")
def me(actor: Annotated[Actor, Depends(require(Permission.ME))]) -> dict[str, Any]:
    """Who this token belongs to."""
    return {
        "username": actor.username,
        "role": actor.role.value,
        "structure_id": actor.structure_id,
        "locale": actor.locale,
    }
