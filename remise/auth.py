"""Who is acting, and what each role may do: the role × permission matrix.

Every API route depends on `require(permission)`; `tests/remise/test_auth.py`
checks that no route under `/api/v1` is left without one. Structure users are
further confined to their own structure's data by the routes' scope checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from db.enums import Role

ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.COORDINATOR, Role.BENCH, Role.WORKSHOP})


class Permission(StrEnum):
    DEVICES_READ = "devices.read"
    DEVICES_HISTORY = "devices.history"
    DEVICES_REPORT_LOST = "devices.report_lost"
    LEDGER_VERIFY = "ledger.verify"
    DONORS_READ = "donors.read"
    DONORS_MANAGE = "donors.manage"
    BATCHES_READ = "batches.read"
    BATCHES_MANAGE = "batches.manage"
    DEVICES_RECEIVE = "devices.receive"
    STRUCTURES_READ = "structures.read"
    STRUCTURES_MANAGE = "structures.manage"
    LABELS_PRINT = "labels.print"
    RUNS_WORK = "runs.work"
    CHECKLISTS_READ = "checklists.read"
    CHECKLISTS_MANAGE = "checklists.manage"
    FLAGS_RESOLVE = "flags.resolve"
    ERASURES_SAMPLE = "erasures.sample"
    GRADING_MANAGE = "grading.manage"
    LOCATIONS_READ = "locations.read"
    LOCATIONS_MANAGE = "locations.manage"
    CATALOG_READ = "catalog.read"
    CLAIMS_MAKE = "claims.make"
    CLAIMS_READ = "claims.read"
    CLAIMS_HANDOVER = "claims.handover"
    FAULTS_REPORT = "faults.report"
    FAULTS_DECIDE = "faults.decide"
    INBOX_READ = "inbox.read"
    DASHBOARD_READ = "dashboard.read"
    INVENTORY_SEARCH = "inventory.search"
    USERS_MANAGE = "users.manage"
    REPORTS_READ = "reports.read"
    IMPACT_FACTORS_MANAGE = "impact_factors.manage"
    ME = "me"
    API_SCRIPTS = "api.scripts"


POLICY: dict[Permission, frozenset[Role]] = {
    Permission.DEVICES_READ: ALL_ROLES,
    Permission.DEVICES_HISTORY: ALL_ROLES,
    Permission.DEVICES_REPORT_LOST: frozenset({Role.COORDINATOR}),
    Permission.LEDGER_VERIFY: frozenset({Role.COORDINATOR}),
    Permission.DONORS_READ: STAFF,
    Permission.DONORS_MANAGE: frozenset({Role.COORDINATOR}),
    Permission.BATCHES_READ: STAFF,
    Permission.BATCHES_MANAGE: frozenset({Role.COORDINATOR, Role.WORKSHOP}),
    Permission.DEVICES_RECEIVE: STAFF,
    Permission.STRUCTURES_READ: frozenset({Role.COORDINATOR, Role.STRUCTURE}),
    Permission.STRUCTURES_MANAGE: frozenset({Role.COORDINATOR}),
    Permission.LABELS_PRINT: STAFF,
    Permission.RUNS_WORK: STAFF,
    Permission.CHECKLISTS_READ: STAFF,
    Permission.CHECKLISTS_MANAGE: frozenset({Role.COORDINATOR}),
    Permission.FLAGS_RESOLVE: frozenset({Role.COORDINATOR}),
    Permission.ERASURES_SAMPLE: frozenset({Role.COORDINATOR}),  # draws the R2v3 sample
    Permission.GRADING_MANAGE: frozenset({Role.COORDINATOR}),  # rules, grid, overrides
    Permission.LOCATIONS_READ: STAFF,  # whoever scans reads the shelves and rooms
    Permission.LOCATIONS_MANAGE: frozenset({Role.COORDINATOR}),
    Permission.CATALOG_READ: frozenset({Role.COORDINATOR, Role.STRUCTURE}),
    Permission.CLAIMS_MAKE: frozenset({Role.COORDINATOR, Role.STRUCTURE}),
    # The bench hands claims over, so it reads them; a structure reads its own only.
    Permission.CLAIMS_READ: frozenset({Role.COORDINATOR, Role.BENCH, Role.STRUCTURE}),
    Permission.CLAIMS_HANDOVER: frozenset({Role.COORDINATOR, Role.BENCH}),
    Permission.FAULTS_REPORT: frozenset({Role.COORDINATOR, Role.STRUCTURE}),
    Permission.FAULTS_DECIDE: frozenset({Role.COORDINATOR}),
    Permission.INBOX_READ: frozenset({Role.STRUCTURE}),
    Permission.DASHBOARD_READ: frozenset({Role.COORDINATOR}),
    # Staff look devices up by any identifier; a structure sees only its catalogue.
    Permission.INVENTORY_SEARCH: STAFF,
    Permission.USERS_MANAGE: frozenset({Role.COORDINATOR}),
    Permission.REPORTS_READ: frozenset({Role.COORDINATOR}),  # donors' impact reports
    Permission.IMPACT_FACTORS_MANAGE: frozenset({Role.COORDINATOR}),
    Permission.ME: ALL_ROLES,
    # Whom the pages point to the API documentation: the scripts of workshops and
    # coordinators. Every role may still hold tokens (ME); this only decides the tiles.
    Permission.API_SCRIPTS: frozenset({Role.COORDINATOR, Role.WORKSHOP}),
}

# Where each role lands after signing in, unless the sign-in was on the way elsewhere:
# a bench volunteer at the scan field, a workshop at the reception of batches, a
# coordinator on the dashboard, a structure in its portal's catalogue.
START_PAGES: dict[Role, str] = {
    Role.BENCH: "/bench",
    Role.WORKSHOP: "/intake",
    Role.COORDINATOR: "/dashboard",
    Role.STRUCTURE: "/portal",
}


@dataclass(frozen=True)
class Actor:
    """The authenticated user a request or command acts for."""

    user_id: int | None
    username: str
    role: Role
    structure_id: int | None = None
    locale: str = "fr"

    @property
    def ledger_name(self) -> str:
        """How the ledger names this actor."""
        return self.username

    def may(self, permission: Permission) -> bool:
        return self.role in POLICY[permission]

    @property
    def is_structure(self) -> bool:
        return self.role == Role.STRUCTURE


def start_page(role: Role) -> str:
    """The page `role` opens on after signing in."""
    return START_PAGES.get(role, "/")


def system_actor(name: str) -> Actor:
    """An actor for the CLI and jobs: `cli:alice`, `job:ledger-check`."""
    return Actor(user_id=None, username=name, role=Role.COORDINATOR)
