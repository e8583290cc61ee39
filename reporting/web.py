"""Reporting's pages, as one router for `remise.web`: the dashboard, the inventory
search and the donors' impact reports."""

from __future__ import annotations

from fastapi import APIRouter

from reporting import dashboard_pages, device_pages, donor_pages

router = APIRouter(include_in_schema=False)
for pages in (dashboard_pages, device_pages, donor_pages):
    router.include_router(pages.router)
