"""FastAPI dependencies: the request's transaction, its actor, and permission checks.

The request session is the transaction owner for the API: it commits when the
route returns and rolls back when it raises. GET and HEAD requests get a
read-only session, which never takes SQLite's write lock.

Every hop from the event loop to a worker thread costs more than a look-up by primary
key, and FastAPI makes one for each plain `def` dependency: the dependencies here are
`async` and reach the database in one hop each only when they must. A session is made
on the loop (it connects only when first used) and finished in one hop, or none when it
never connected (`finish`); the sender's credential is looked up in one hop, or none
when `remise.credentials` remembers it; permission checks never leave the loop. The
look-ups made all day (a scan, a device, the bench's device page, the health check) read
rows on a connection of their own, in one hop, with no session at all (`reading`).

A request never holds a pooled connection while it waits for a thread, where it can
help it: with every thread waiting for a connection and every connection held by a
request waiting for a thread, nothing would move again (a fresh server did just that,
for the 30 s of the pool's timeout, under 32 clients). Hence the credential look-up's
own short transaction, and a pool as large as the threads (`db.engine.make_engine`).

Both sessions end with the route function (`scope="function"`), before the response
is sent. FastAPI's default ends a dependency with `yield` after the response has gone
out: a client would then read "201 Created" or follow a 303 before the commit, see the
old state on its next request, and never hear of a commit that failed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

from anyio import CancelScope
from fastapi import Depends, Form, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from db.bounds import OFFSET_MAX, ROW_ID_MAX
from db.engine import is_read_only, is_sqlite, lookup_engine, new_session
from db.errors import Forbidden, Unauthorized
from remise import tokens
from remise.auth import Actor, Permission
from remise.credentials import CredentialCache
from remise.settings import Settings
from remise.threads import workers

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")
P = ParamSpec("P")
TOKEN_USE = "remise_token_use"  # in the request's state: a token use its transaction records

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


def _end(session: Session, *, commit: bool, token_use: tuple[int, str] | None = None) -> None:
    try:
        if commit:
            if token_use is not None:
                tokens.record_use_in(session, *token_use)
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def finish(
    request: Request, session: Session, *, commit: bool, token_use: tuple[int, str] | None = None
) -> None:
    """Commit (or roll back) and close `session`, with the token's use if one is due:
    on the threads that end transactions (`remise.threads.Workers.end`) if it holds a
    connection, on the loop if it never connected (nothing to send), and shielded from
    a client gone meanwhile, so that its connection always goes back to the pool."""
    if session.get_transaction() is None and not (commit and token_use):
        session.close()
        return
    with CancelScope(shield=True):
        await workers(request).end(_end, session, commit=commit, token_use=token_use)


async def reading(
    request: Request,
    work: Callable[Concatenate[Connection, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`work(connection, *args, **kwargs)` in one worker thread, on a read-only connection
    of its own, given back to the pool in the same hop: for the look-ups a scanner or a
    script makes all day, which read rows, not ORM objects (a session costs more than the
    query), and need no request session at all. The connection is `db.engine.lookup_engine`'s:
    on PostgreSQL, outside any transaction (a statement or two need none)."""
    engine = lookup_engine(get_engine(request))

    def run() -> T:
        with engine.connect() as connection:
            return work(connection, *args, **kwargs)

    return await workers(request).run(run)


@asynccontextmanager
async def _owned(request: Request, *, read_only: bool) -> AsyncIterator[Session]:
    """The request's transaction: committed if the route returns (unless read-only),
    rolled back if it raises."""
    session = new_session(get_engine(request), read_only=read_only)
    try:
        yield session
    except BaseException:
        await finish(request, session, commit=False)
        raise
    use = None if read_only else request.scope.get("state", {}).pop(TOKEN_USE, None)
    await finish(request, session, commit=not read_only, token_use=use)


async def get_session(request: Request) -> AsyncIterator[Session]:
    async with _owned(request, read_only=request.method in _READ_METHODS) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_write_session(request: Request) -> AsyncIterator[Session]:
    """A writing transaction whatever the method: for the few GETs that record something
    (fetching a label to print it is a print, and prints are ledger events)."""
    async with _owned(request, read_only=False) as session:
        yield session


WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]


# Declared so that /docs offers an "Authorize" button; our handler answers the 401.
_bearer = HTTPBearer(auto_error=False, description="the token `remise user create` prints")


def credential_cache(request: Request) -> CredentialCache:
    cache: CredentialCache = request.app.state.credentials
    return cache


async def get_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None or not credentials.credentials.strip():
        raise Unauthorized()
    token, cache = credentials.credentials.strip(), credential_cache(request)
    actor = cache.bearer(token)
    if actor is None:
        actor = await _bearer_from_database(request, cache, token)
    request.state.actor = actor
    if "accept-language" not in request.headers:
        request.state.locale = actor.locale
    return actor


async def _bearer_from_database(request: Request, cache: CredentialCache, token: str) -> Actor:
    """The token's actor, read in a short transaction of its own on a reading thread: no
    request holds a connection while it waits for a thread (the pool would run dry, every
    thread waiting for a connection held by a request waiting for a thread). The minute's
    use, if due, is a write: a writing request on SQLite records it in its own
    transaction (`_owned`), for it may hold the lock a write of its own would wait for;
    any other request records it by a short write of its own, on anyio's threads, where
    writers wait for the lock (never on the reading threads of `remise.threads`)."""
    engine = get_engine(request)
    holder = await workers(request).run(cache.bearer_from, engine, token, record_use=False)
    if holder.unrecorded is not None:
        use = (holder.token_id, holder.unrecorded)
        if is_sqlite(engine) and request.method not in _READ_METHODS:
            request.scope.setdefault("state", {})[TOKEN_USE] = use
        elif await run_in_threadpool(tokens.record_use_alone, engine, *use):
            cache.used(token, holder.unrecorded)
    return holder.actor


async def in_thread(
    request: Request, session: Session, work: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """`work(*args, **kwargs)` with the request's `session`, in a worker thread: a reading
    thread of `remise.threads` for a read-only session, anyio's threads for a writing
    one, whose first statement may wait for the write lock."""
    if is_read_only(session.get_bind()):
        return await workers(request).run(work, *args, **kwargs)
    return await run_in_threadpool(work, *args, **kwargs)


ActorDep = Annotated[Actor, Depends(get_actor)]


def require(permission: Permission) -> Callable[..., Awaitable[Actor]]:
    """A dependency that lets the request through only if its actor has `permission`."""

    async def check(actor: ActorDep) -> Actor:
        if not actor.may(permission):
            raise Forbidden()
        return actor

    check.permission = permission  # type: ignore[attr-defined]  # read by the route audit test
    return check
