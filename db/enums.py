"""Closed vocabularies shared by the tables: device categories, statuses, roles."""

from __future__ import annotations

from enum import StrEnum


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
