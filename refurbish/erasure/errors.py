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
        "The report does not say which disk is which (%(why)s): tell it, for each drive, "
        "as ?medium=DRIVE:MEDIUM_ID (--medium DRIVE:MEDIUM_ID in the CLI). "
        "Drives in the report: %(drives)s. Media of device %(device)s: %(media)s."
    )


class BadMatching(Invalid):
    code = "bad_medium_matching"
    message = N_("medium=%(given)s: %(reason)s.")
    # The reasons, each a sentence of its own to translate.
    FORM = N_("write it DRIVE:MEDIUM_ID, such as sda:12")
    TWICE = N_("drive %(drive)s is given twice")
    NO_DRIVE = N_("the report has no drive %(drive)s (it has %(drives)s)")
    NO_MEDIUM = N_("device %(device)s has no medium %(medium)s")
    TWO_DRIVES = N_("medium %(medium)s is given to two drives")
    OTHER_SERIAL = N_("drive %(drive)s has serial %(serial)s, medium %(medium)s has %(other)s")
    OTHER_SIZE = N_(
        "drive %(drive)s holds %(size)s bytes, medium %(medium)s holds %(other)s: it is "
        "another disk"
    )
