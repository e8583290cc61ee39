"""Erasure pages: a device's storage media at the bench (`device_forms`), the question a
report asks (`import_pages`), the re-verification queue (`sampling_pages`) and the
public check of a certificate (`verify_pages`), as one router for `remise.web`."""

from __future__ import annotations

from fastapi import APIRouter

from refurbish.erasure import device_forms, import_pages, sampling_pages, verify_pages

router = APIRouter(include_in_schema=False)
for pages in (device_forms, import_pages, sampling_pages, verify_pages):
    router.include_router(pages.router)
