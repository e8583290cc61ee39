"""Distribution's pages: for the coordinators and the bench, the partner structures and
their quotas (`structure_pages`), claims and the waitlist (`claim_pages`), the handover
by scanning (`handover_pages`); for the structures themselves, their portal under
`/portal` (`portal_pages`). One router for `remise.web`."""

from __future__ import annotations

from fastapi import APIRouter

from distribution import claim_pages, handover_pages, portal_pages, structure_pages

router = APIRouter(include_in_schema=False)
for pages in (structure_pages, claim_pages, handover_pages, portal_pages):
    router.include_router(pages.router)
