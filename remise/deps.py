"""FastAPI dependencies: the request's transaction, its actor, and permission checks.

The request session is the transaction owner for the API: it commits when the
route returns and rolls back when it raises. GET and HEAD requests get a
read-only session, which never takes SQLite's write lock.

Both sessions end with the route function (`scope="function"`), before the response
is sent. FastAPI's default ends a dependency with `yield` after the response has gone
out: a client would then read "201 Created" or follow a 303 before the commit, see the
old state on its next request, and never hear of a commit that failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Form, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from db.bounds import OFFSET_MAX, ROW_ID_MAX
from db.engine import new_session
from db.errors import Forbidden, Unauthorized
from remise.accounts import authenticate_token
from remise.auth import Actor, Permission
from remise.settings import Settings

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Every integer in a path or a query is one of these, so that none reaches the database
# out of its range (see `db.bounds`); tests/remise/test_contract.py walks the routes to
# make sure. A path id out of range answers 404, as an unknown id does (`remise.errors`).
IdPath = Annotated[int, Path(ge=1, le=ROW_ID_MAX, description="a row id")]
IdQuery = Annotated[int | None, Query(ge=1, le=ROW_ID_MAX)]
OffsetQuery = Annotated[int, Query(ge=0, le=OFFSET_MAX, description="rows to skip")]
IdForm = Annotated[int | None, Form(ge=1, le=ROW_ID_MAX)]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    session = new_session(get_engine(request), read_only=request.method in _READ_METHODS)
    try:
        yield session
        if request.method not in _READ_METHODS:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_write_session(request: Request) -> Iterator[Session]:
    """A writing transaction whatever the method: for the few GETs that record something
    (fetching a label to print it is a print, and prints are ledger events)."""
    session = new_session(get_engine(request), read_only=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]


# Declared so that /docs offers an "Authorize" button; our handler answers the 401.
_bearer = HTTPBearer(auto_error=False, description="the token `remise user create` prints")


def get_actor(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized()
    actor = authenticate_token(session, credentials.credentials.strip())
    request.state.actor = actor
    if "accept-language" not in request.headers:
        request.state.locale = actor.locale
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


def require(permission: Permission) -> Callable[..., Actor]:
    """A dependency that lets the request through only if its actor has `permission`."""

    def check(actor: ActorDep) -> Actor:
        if not actor.may(permission):
            raise Forbidden()
        return actor

    check.permission = permission  # type: ignore[attr-defined]  # read by the route audit test
    return check
