"""Closed vocabularies shared by the tables: device categories, statuses, roles."""

from __future__ import annotations

from enum import StrEnum

from db.errors import N_


class Category(StrEnum):
    LAPTOP = "laptop"
    DESKTOP = "desktop"
    SMARTPHONE = "smartphone"
    TABLET = "tablet"
    BASIC_PHONE = "basic_phone"
    OTHER = "other"


class Status(StrEnum):
    RECEIVED = "received"
    LABELLED = "labelled"
    IN_REFURBISHMENT = "in_refurbishment"
    REFURBISHED = "refurbished"
    GRADED = "graded"
    AVAILABLE = "available"
    RESERVED = "reserved"
    HANDED_OVER = "handed_over"
    PARTS = "parts"
    RECYCLED = "recycled"
    LOST = "lost"


class Role(StrEnum):
    COORDINATOR = "coordinator"
    BENCH = "bench"
    WORKSHOP = "workshop"
    STRUCTURE = "structure"


# What people read for each status (translated by the catalogs; French UI words in README).
STATUS_LABELS: dict[Status, str] = {
    Status.RECEIVED: N_("received"),
    Status.LABELLED: N_("labelled"),
    Status.IN_REFURBISHMENT: N_("in refurbishment"),
    Status.REFURBISHED: N_("refurbished"),
    Status.GRADED: N_("graded"),
    Status.AVAILABLE: N_("available"),
    Status.RESERVED: N_("reserved"),
    Status.HANDED_OVER: N_("handed over"),
    Status.PARTS: N_("dismantled for parts"),
    Status.RECYCLED: N_("recycled"),
    Status.LOST: N_("lost"),
}

CATEGORY_LABELS: dict[Category, str] = {
    Category.LAPTOP: N_("Laptop"),
    Category.DESKTOP: N_("Desktop computer"),
    Category.SMARTPHONE: N_("Smartphone"),
    Category.TABLET: N_("Tablet"),
    Category.BASIC_PHONE: N_("Basic phone"),
    Category.OTHER: N_("Other"),
}
