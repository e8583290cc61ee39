"""What distribution refuses, and why, in words a structure's volunteer can act on."""

from __future__ import annotations

from db.errors import N_, Conflict, Forbidden, Invalid, NotFound


class StructureNotActive(Conflict):
    code = "structure_not_active"
    message = N_(
        "The structure “%(name)s” is %(status)s: only an approved, active structure may "
        "claim devices. Ask the coordinators."
    )


class QuotaExceeded(Conflict):
    code = "quota_exceeded"
    message = N_(
        "This asks for %(asked)s device(s) of the category “%(category)s”, but the quota "
        "leaves %(remaining)s until %(end)s (quota %(quota)s, used %(used)s)."
    )


class DeviceUnavailable(Conflict):
    code = "device_unavailable"
    message = N_(
        "No longer available: %(devices)s. Nothing was reserved: claim the others again "
        "without them."
    )


class NotEnoughStock(Conflict):
    code = "not_enough_stock"
    message = N_(
        "Only %(found)s available device(s) meet these criteria, and %(asked)s were asked "
        'for. Nothing was reserved. Ask for fewer, or send "waitlist": true to wait in '
        "line for them."
    )


class ClaimNeedsBody(Invalid):
    code = "claim_needs_body"
    message = N_(
        "Say what to reserve: the devices' codes (device_codes), or a quantity with "
        "criteria (at least a category)."
    )


class StructureNeeded(Invalid):
    code = "structure_needed"
    message = N_("Say which structure this is for (structure_id).")


class ClaimNotFound(NotFound):
    code = "claim_not_found"
    message = N_("No claim number %(id)s.")


class ClaimNotHeld(Conflict):
    code = "claim_not_held"
    message = N_("Claim %(id)s is %(state)s: its devices are no longer held.")


class NotInClaim(Conflict):
    code = "device_not_in_claim"
    message = N_(
        "Device %(device)s (%(model)s) is not part of claim %(id)s: put it aside, do not give it."
    )


class NotScanned(Conflict):
    code = "devices_not_scanned"
    message = N_(
        "Claim %(id)s still holds %(devices)s, not scanned. Scan them, or say that they "
        "stay here (they go back to stock)."
    )


class ReceiptNotYet(Conflict):
    code = "receipt_not_yet"
    message = N_("Claim %(id)s is %(state)s: its receipt exists once it is handed over.")


class WaitlistEntryNotFound(NotFound):
    code = "waitlist_entry_not_found"
    message = N_("No waitlist entry number %(id)s.")


class NotWaiting(Conflict):
    code = "waitlist_entry_not_waiting"
    message = N_("Waitlist entry %(id)s is %(state)s: it no longer waits.")


class MessageNotFound(NotFound):
    code = "inbox_message_not_found"
    message = N_("No message number %(id)s in this inbox.")


class NotYourDevice(Forbidden):
    code = "device_not_yours"
    message = N_(
        "Device %(device)s was not handed over to your structure: only the structure that "
        "received it may report it faulty."
    )


class NotHandedOver(Conflict):
    code = "device_not_handed_over"
    message = N_("Device %(device)s is %(status)s: only a handed-over device may be reported.")


class WarrantyOver(Conflict):
    code = "warranty_over"
    message = N_(
        "Device %(device)s was handed over on %(handed_over)s: its warranty of %(months)s "
        "months ended on %(end)s. Contact the coordinators for a repair."
    )


class FaultNotFound(NotFound):
    code = "fault_not_found"
    message = N_("No fault report number %(id)s.")


class FaultDecided(Conflict):
    code = "fault_decided"
    message = N_("Fault report %(id)s was already decided (%(state)s).")


class ReplacementNeeded(Invalid):
    code = "replacement_needed"
    message = N_("Name the replacement device (device_code), or decide not to replace.")
