"""Routes grouped by where their paths start, so that a request skips the groups it is
not for: the API (every path under `/api/`) and the pages (none of them), and within
each, every stage's router (`PathRouter.around`)."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

API_PATHS = "/api/"


class PathRouter(APIRouter):
    """Routers whose paths all start with `under` (or, `outside`, none of them do; or,
    `exactly`, are one of these), a request elsewhere is turned away at once, not tried
    against each of their routes. FastAPI tries every route in turn, a few microseconds
    each: a page was matched against all fifty routes of the API before its own (a tenth
    of its time), and the bench's device page against every other page's route."""

    def __init__(
        self,
        *,
        under: str | tuple[str, ...] | None = None,
        outside: str | None = None,
        exactly: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.under, self.outside, self.exactly = under, outside, exactly

    @classmethod
    def around(cls, router: APIRouter) -> PathRouter:
        """`router` in a group of its own, which turns away a path that none of its routes
        can match: one that is none of its fixed paths and begins like none of the others
        (their paths up to the first parameter). A router whose paths cannot all be told
        (a mount, say) is tried for every path, as before."""
        paths = list(_paths(router.routes))
        if None in paths:
            group = cls()
        else:
            fixed = frozenset(p for p in paths if p is not None and "{" not in p)
            starts = {p.partition("{")[0] for p in paths if p is not None and "{" in p}
            group = cls(under=tuple(sorted(starts)), exactly=fixed)
        group.include_router(router)
        return group

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = get_route_path(scope)  # without the root path, as the routes see it
        if self.under is not None and not (path in self.exactly or path.startswith(self.under)):
            return Match.NONE, {}
        if self.outside is not None and path.startswith(self.outside):
            return Match.NONE, {}
        return super().matches(scope)


def _paths(routes: Iterable[BaseRoute], prefix: str = "") -> Iterable[str | None]:
    """The path of every route (None for one whose paths cannot be told), with those of
    the routers included in them (FastAPI keeps them as routes of their own since 0.1xx;
    earlier, it copied their routes)."""
    for route in routes:
        path = getattr(route, "path", None)
        included = getattr(route, "original_router", None)
        if isinstance(path, str) and not hasattr(route, "routes"):  # a Mount has both
            yield prefix + path
        elif isinstance(included, APIRouter):
            context = getattr(route, "include_context", None)
            yield from _paths(included.routes, prefix + str(getattr(context, "prefix", "")))
        else:
            yield None
