"""One hop to a worker thread for a request's database work, the lightest there is.

FastAPI runs every plain `def` route or dependency through anyio's thread pool; each
such hop enters a cancel scope and a capacity limiter, and measured on the device
look-up, it cost more on the event loop than the query itself cost in its thread.
The routes that read all day (a scan, a device, a health check) and the look-up of a
request's credential make their one hop here instead: asyncio's own executor, with the
caller's context variables, on `threads` threads of Remise's own (`Settings.threads`).

A request whose client goes away stops waiting, but its work runs to its end in the
thread, which gives its connection back to the pool as it ends: nothing leaks.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from starlette.requests import HTTPConnection

T = TypeVar("T")
P = ParamSpec("P")


class _Pool:
    """Threads started as work comes, ended with the app's lifespan (and started again
    if the app serves again, as tests do)."""

    def __init__(self, threads: int, name: str) -> None:
        self.threads, self.name = threads, name
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix=self.name)
            return self._executor

    def shutdown(self) -> None:
        """Let the work under way finish, in its threads, and take no more."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)


class Workers:
    """The threads of one app (`app.state.workers`): `run` for a request's work, `end`
    for the commit or rollback that ends its transaction.

    Ends have threads of their own. A transaction's end never waits for a lock or a
    connection (it holds them): were it to queue behind work that waits for the very
    lock it holds (writers in line for SQLite's, or for a pooled connection), each
    would wait for the other until the lock's timeout, and writers were answered
    "busy" by the dozen once more came at once than there were threads."""

    def __init__(self, threads: int) -> None:
        self._work = _Pool(threads, "remise-db")
        self._ends = _Pool(threads, "remise-end")

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        call = functools.partial(contextvars.copy_context().run, work, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._work.executor(), call)

    async def end(self, work: Callable[P, None], *args: P.args, **kwargs: P.kwargs) -> None:
        """`work` on the ends' threads; once queued it runs even if the request is
        cancelled meanwhile (its connection must go back to the pool)."""
        call = functools.partial(contextvars.copy_context().run, work, *args, **kwargs)
        loop = asyncio.get_running_loop()
        await asyncio.shield(loop.run_in_executor(self._ends.executor(), call))

    def shutdown(self) -> None:
        self._work.shutdown()
        self._ends.shutdown()


def workers(connection: HTTPConnection | Any) -> Workers:
    """The workers of the app serving `connection` (a request, or its ASGI scope)."""
    app = connection["app"] if isinstance(connection, dict) else connection.app
    found: Workers = app.state.workers
    return found
