"""The partner structures' portal, `/portal`, as one router for `distribution.web`:
signing a structure up (`portal_signup`), the catalogue (`portal_catalog`) and its claim
forms (`portal_claims`), the reservations and the waitlist (`portal_reservations`), the
inbox and the account (`portal_inbox`), the devices received and their faults
(`portal_received`). What the pages share is in `portal_shell`.

A structure's user sees its own structure's data only: every page reads through the
services' scoped look-ups, which answer another structure's reservation, waitlist
entry, message or device as if it did not exist. Staff get a 403 page there.
"""

from __future__ import annotations

from fastapi import APIRouter

from distribution import (
    portal_catalog,
    portal_claims,
    portal_inbox,
    portal_received,
    portal_reservations,
    portal_signup,
)

router = APIRouter(include_in_schema=False)
for pages in (
    portal_signup,
    portal_catalog,
    portal_claims,
    portal_reservations,
    portal_inbox,
    portal_received,
):
    router.include_router(pages.router)
