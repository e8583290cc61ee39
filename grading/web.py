"""Grading's pages: the bench's grading step (`grade_pages`) and the coordinators' rules,
grid and grades set by hand (`document_pages`), as one router for `remise.web`."""

from __future__ import annotations

from fastapi import APIRouter

from grading import document_pages, grade_pages

router = APIRouter(include_in_schema=False)
for pages in (grade_pages, document_pages):
    router.include_router(pages.router)
