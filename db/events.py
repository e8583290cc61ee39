"""Event names and the shape of their payloads: the only contract between stages.

Every event that changes a device carries `{"changes": {field: [before, after]}}`
for each projected field it changed (see `PROJECTED_FIELDS`), so that a device's
current row can be rebuilt from its events alone (`db.replay`). Events may add other
keys beside `changes` (`where`, `file_sha256`, `comment`…) that say why or how.
Renaming an event or changing a payload needs a migration and a test vector.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from db.errors import N_


class EventType(StrEnum):
    # device life cycle (see db.lifecycle.TRANSITIONS)
    DEVICE_RECEIVED = "device.received"
    DEVICE_LABELLED = "device.labelled"
    DEVICE_REFURBISHMENT_STARTED = "device.refurbishment_started"
    DEVICE_REFURBISHED = "device.refurbished"
    DEVICE_REOPENED = "device.reopened"
    DEVICE_GRADED = "device.graded"
    DEVICE_MADE_AVAILABLE = "device.made_available"
    DEVICE_WITHDRAWN = "device.withdrawn"
    DEVICE_RESERVED = "device.reserved"
    DEVICE_RELEASED = "device.released"
    DEVICE_HANDED_OVER = "device.handed_over"
    DEVICE_RETURNED = "device.returned"
    DEVICE_DISMANTLED = "device.dismantled"
    DEVICE_RECYCLED = "device.recycled"
    DEVICE_LOST = "device.lost"
    # device changes that keep its status
    DEVICE_UPDATED = "device.updated"
    DEVICE_LABEL_REPRINTED = "device.label_reprinted"
    DEVICE_PART_REPLACED = "device.part_replaced"
    RUN_STEP_RECORDED = "run.step_recorded"
    DEVICE_PROBED = "device.probed"
    DEVICE_FLAGGED = "device.flagged"
    DEVICE_FLAG_RESOLVED = "device.flag_resolved"
    DEVICE_SEEN = "device.seen"  # scanned in a reception or a stock-take
    # data erasure (db.media)
    DEVICE_MEDIUM_ADDED = "device.medium_added"
    DEVICE_ERASURE_RECORDED = "device.erasure_recorded"
    DEVICE_ERASURE_REVERIFIED = "device.erasure_reverified"
    CERTIFICATE_ISSUED = "certificate.issued"
    ERASURE_SAMPLE_DRAWN = "erasure.sample_drawn"
    # grading
    DEVICE_GRADE_REFUSED = "device.grade_refused"  # the rules give it no grade: fix it first
    GRADING_RULES_PUBLISHED = "grading.rules_published"
    PRICING_GRID_PUBLISHED = "pricing.grid_published"
    # donations
    DONOR_CREATED = "donor.created"
    BATCH_CREATED = "batch.created"
    BATCH_IMPORTED = "batch.imported"
    BATCH_CLOSED = "batch.closed"
    # refurbishment
    CHECKLIST_PUBLISHED = "checklist.published"
    # accounts and partners
    USER_CREATED = "user.created"
    USER_PASSWORD_SET = "user.password_set"  # its browsers are signed out with it
    USER_DEACTIVATED = "user.deactivated"  # its browsers are signed out, its tokens revoked
    USER_UPDATED = "user.updated"  # name, role or structure: `changes`, before and after
    USER_REACTIVATED = "user.reactivated"  # its former tokens stay revoked
    USER_TOKEN_ISSUED = "user.token_issued"  # after the first, made with the account
    USER_TOKEN_REVOKED = "user.token_revoked"
    STRUCTURE_CREATED = "structure.created"
    STRUCTURE_UPDATED = "structure.updated"  # details, status or quotas: before and after
    # distribution (claims, waitlist, handover, faults)
    CLAIM_CREATED = "claim.created"
    CLAIM_WAITLISTED = "claim.waitlisted"
    CLAIM_SERVED = "claim.served"  # a waitlist entry got devices (all it asked, or some)
    CLAIM_CANCELLED = "claim.cancelled"
    CLAIM_EXPIRED = "claim.expired"
    CLAIM_REMINDED = "claim.reminded"  # its reservation ends in a few days
    CLAIM_HANDED_OVER = "claim.handed_over"
    WAITLIST_CANCELLED = "waitlist.cancelled"
    DEVICE_FAULT_REPORTED = "device.fault_reported"
    FAULT_DECIDED = "fault.decided"
    # places
    LOCATION_CREATED = "location.created"


# What people read for each device event (translated by the catalogs).
EVENT_LABELS: dict[str, str] = {
    EventType.DEVICE_RECEIVED: N_("Received"),
    EventType.DEVICE_LABELLED: N_("Labelled"),
    EventType.DEVICE_REFURBISHMENT_STARTED: N_("Refurbishment started"),
    EventType.DEVICE_REFURBISHED: N_("Refurbished"),
    EventType.DEVICE_REOPENED: N_("Reopened"),
    EventType.DEVICE_GRADED: N_("Graded"),
    EventType.DEVICE_MADE_AVAILABLE: N_("Made available"),
    EventType.DEVICE_WITHDRAWN: N_("Withdrawn"),
    EventType.DEVICE_RESERVED: N_("Reserved"),
    EventType.DEVICE_RELEASED: N_("Released"),
    EventType.DEVICE_HANDED_OVER: N_("Handed over"),
    EventType.DEVICE_RETURNED: N_("Returned"),
    EventType.DEVICE_DISMANTLED: N_("Dismantled for parts"),
    EventType.DEVICE_RECYCLED: N_("Recycled"),
    EventType.DEVICE_LOST: N_("Reported lost"),
    EventType.DEVICE_UPDATED: N_("Details changed"),
    EventType.DEVICE_LABEL_REPRINTED: N_("Label reprinted"),
    EventType.DEVICE_PART_REPLACED: N_("Part replaced"),
    EventType.RUN_STEP_RECORDED: N_("Checklist step recorded"),
    EventType.DEVICE_PROBED: N_("Probed at the bench"),
    EventType.DEVICE_FLAGGED: N_("Flagged"),
    EventType.DEVICE_FLAG_RESOLVED: N_("Flag resolved"),
    EventType.DEVICE_SEEN: N_("Seen in a scan"),
    EventType.DEVICE_MEDIUM_ADDED: N_("Storage medium added"),
    EventType.DEVICE_ERASURE_RECORDED: N_("Data erasure recorded"),
    EventType.DEVICE_ERASURE_REVERIFIED: N_("Data erasure checked again"),
    EventType.DEVICE_GRADE_REFUSED: N_("No grade given"),
    EventType.DEVICE_FAULT_REPORTED: N_("Fault reported by the structure"),
}


# The device columns that events carry and replay rebuilds.
PROJECTED_FIELDS: tuple[str, ...] = (
    "code",
    "batch_id",
    "category",
    "brand",
    "model",
    "serial",
    "imei",
    "asset_tag",
    "status",
    "grade",
    "price_cents",
    "location",
    "structure_id",
    "attributes",
)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{field: [before, after]}` for each field whose value differs."""
    return {
        field: [before.get(field), value]
        for field, value in after.items()
        if before.get(field) != value
    }
