"""Distribution's pages for the coordinators and the bench: the partner structures and
their quotas (`structure_pages`), claims and the waitlist (`claim_pages`), the handover
by scanning (`handover_pages`), as one router for `remise.web`. The structures' own
portal is not here."""

from __future__ import annotations

from fastapi import APIRouter

from distribution import claim_pages, handover_pages, structure_pages

router = APIRouter(include_in_schema=False)
for pages in (structure_pages, claim_pages, handover_pages):
    router.include_router(pages.router)
