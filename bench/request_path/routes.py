"""What `bench.http` loads, and the targets it holds the figures to, as data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Auth = Literal["bearer", "cookie"] | None


@dataclass(frozen=True)
class Route:
    slug: str
    server: Literal["remise", "bare"]
    template: str  # the path, with {code} (as printed on labels) or {serial}
    auth: Auth = None
    baseline: str | None = None  # the bare route doing the same look-up (throughput ratio)

    @property
    def key(self) -> str | None:
        return next((k for k in ("code", "serial") if f"{{{k}}}" in self.template), None)


ROUTES: tuple[Route, ...] = (
    Route("remise-device", "remise", "/api/v1/devices/{code}", "bearer", "bare-sync-device"),
    Route("remise-scan", "remise", "/api/v1/scan/{serial}", "bearer", "bare-sync-scan"),
    Route("remise-health", "remise", "/api/v1/health", None, "bare-sync-health"),
    Route("remise-device-page", "remise", "/bench/devices/{code}", "cookie", "bare-sync-device"),
    Route("bare-sync-device", "bare", "/sync/devices/{code}"),
    Route("bare-async-device", "bare", "/async/devices/{code}", None, "bare-sync-device"),
    Route("bare-sqlmodel-device", "bare", "/sqlmodel/devices/{code}", None, "bare-sync-device"),
    Route("bare-sync-scan", "bare", "/sync/scan/{serial}"),
    Route("bare-sync-health", "bare", "/sync/health"),
)
BY_SLUG = {route.slug: route for route in ROUTES}
assert all(r.baseline in BY_SLUG for r in ROUTES if r.baseline)

TARGET_CONNECTIONS = 32


@dataclass(frozen=True)
class Target:
    """A bound on one figure at `TARGET_CONNECTIONS` connections.

    `share`: the route's requests/s over `other`'s, at least `bound`;
    `p99`: the route's 99th percentile, under `bound` ms;
    `cost`: `other`'s requests/s over the route's (how much dearer it is), at most `bound`.
    """

    name: str
    kind: Literal["share", "p99", "cost"]
    route: str
    bound: float
    other: str | None = None


TARGETS: tuple[Target, ...] = (
    Target(
        "device look-up, share of bare sync raw SQL",
        "share",
        "remise-device",
        0.5,
        "bare-sync-device",
    ),
    Target(
        "scan by serial, share of bare sync raw SQL", "share", "remise-scan", 0.5, "bare-sync-scan"
    ),
    Target("device look-up p99 (ms)", "p99", "remise-device", 50.0),
    Target("scan by serial p99 (ms)", "p99", "remise-scan", 50.0),
    Target(
        "device page, cost of the JSON look-up", "cost", "remise-device-page", 2.0, "remise-device"
    ),
)
assert all(t.route in BY_SLUG and (t.other is None or t.other in BY_SLUG) for t in TARGETS)
