"""Liveness and identity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection, text

from remise import __version__
from remise.auth import Actor, Permission
from remise.deps import reading, require

router = APIRouter(prefix="/api/v1", tags=["service"])


def _database(connection: Connection) -> str:
    connection.execute(text("SELECT 1"))
    return connection.dialect.name


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Answers 200 when the service and its database answer."""
    database = await reading(request, _database)
    return {"status": "ok", "version": __version__, "database": database}


@router.get("/me")
async def me(actor: Annotated[Actor, Depends(require(Permission.ME))]) -> dict[str, Any]:
    """Who this token belongs to."""
    return {
        "username": actor.username,
        "role": actor.role.value,
        "structure_id": actor.structure_id,
        "locale": actor.locale,
    }
