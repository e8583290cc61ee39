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


class StructureStatus(StrEnum):
    PENDING = "pending"  # signed up, not yet approved: it may not claim
    ACTIVE = "active"
    SUSPENDED = "suspended"


class PublicCategory(StrEnum):
    """Whom a partner structure serves (with its own words beside)."""

    YOUTH = "youth"
    JOB_SEEKERS = "job_seekers"
    SENIORS = "seniors"
    REFUGEES = "refugees"
    HOUSING = "housing"  # people in housing precarity
    OTHER = "other"


STRUCTURE_STATUS_LABELS: dict[StructureStatus, str] = {
    StructureStatus.PENDING: N_("waiting for approval"),
    StructureStatus.ACTIVE: N_("active"),
    StructureStatus.SUSPENDED: N_("suspended"),
}

PUBLIC_LABELS: dict[PublicCategory, str] = {
    PublicCategory.YOUTH: N_("Young people"),
    PublicCategory.JOB_SEEKERS: N_("Job seekers"),
    PublicCategory.SENIORS: N_("Seniors"),
    PublicCategory.REFUGEES: N_("Refugees"),
    PublicCategory.HOUSING: N_("People in housing precarity"),
    PublicCategory.OTHER: N_("Other"),
}

# Grades from best to worst: a catalogue's `min_grade=B` means A or B.
GRADES: tuple[str, ...] = ("A", "B", "C")
