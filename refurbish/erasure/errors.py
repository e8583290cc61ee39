"""What can go wrong when recording an erasure, said so that a volunteer knows what to do."""

from __future__ import annotations

from db.errors import N_, Conflict, Invalid, NotFound


class MediumNotFound(NotFound):
    code = "medium_not_found"
    message = N_("Device %(device)s has no storage medium number %(id)s. Its media: %(media)s.")


class MediumKnown(Conflict):
    code = "medium_already_known"
    message = N_(
        "Device %(device)s already has the medium with serial %(serial)s (number %(id)s): "
        "record its erasure with medium_id %(id)s."
    )


class LevelNotOfMethod(Invalid):
    code = "level_not_of_method"
    message = N_(
        "The method “%(method)s” reaches %(levels)s, not “%(level)s” (NIST SP 800-88): "
        "choose the level the method really reached."
    )


class BadTimes(Invalid):
    code = "bad_erasure_times"
    message = N_("%(field)s: %(reason)s.")


class NotAReportFile(Invalid):
    code = "not_an_erasure_report"
    message = N_("“%(name)s” is not an erasure report Remise can read: %(reason)s.")


class ReportVerifiesOnly(Invalid):
    code = "report_verifies_only"
    message = N_(
        "“%(name)s” only checked that the disk holds %(pattern)s (%(method)s): it erased "
        "nothing. Import the report of the erasure itself."
    )


class ReportDiskUnknown(Invalid):
    code = "report_disk_not_of_device"
    message = N_(
        "The report is about the disk %(drive)s, which device %(device)s does not have "
        "(its media: %(media)s). If that disk is in this device, add it first "
        "(POST /api/v1/devices/%(device)s/media)."
    )


class ReportNeedsMatching(Conflict):
    code = "report_needs_matching"
    message = N_(
        "The report does not say which disk is which (serial %(why)s): tell it, for each drive, "
        "as ?medium=DRIVE:MEDIUM_ID (--medium DRIVE:MEDIUM_ID in the CLI). "
        "Drives in the report: %(drives)s. Media of device %(device)s: %(media)s."
    )


class BadMatching(Invalid):
    code = "bad_medium_matching"
    message = N_("medium=%(given)s: %(reason)s.")
