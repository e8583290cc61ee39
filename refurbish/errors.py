"""What can go wrong at the bench, said so that a volunteer knows what to do."""

from __future__ import annotations

from db.errors import N_, Conflict, Invalid, NotFound


class RunNotFound(NotFound):
    code = "run_not_found"
    message = N_("No refurbishment run number %(id)s.")


class RunAlreadyOpen(Conflict):
    code = "run_already_open"
    message = N_("Device %(device)s already has a run in progress (number %(run)s): continue it.")


class RunClosed(Conflict):
    code = "run_closed"
    message = N_("Run %(id)s is finished (%(outcome)s): start a new run to change anything.")


class UnknownStep(NotFound):
    code = "unknown_step"
    message = N_("The checklist of run %(run)s has no step “%(key)s”. Its steps: %(keys)s.")


class BadStepValue(Invalid):
    code = "bad_step_value"
    message = N_("“%(value)s” does not suit the step “%(step)s”: %(reason)s.")


class RunBlocked(Conflict):
    code = "run_blocked"
    message = N_("The device cannot be marked refurbished yet. Still to do: %(steps)s.")


class PartsRequired(Invalid):
    code = "parts_required"
    message = N_("List the parts harvested from the device (at least one).")


class CollectorRequired(Invalid):
    code = "collector_required"
    message = N_("Give the name of the WEEE collector that takes the device.")


class CommentRequired(Invalid):
    code = "run_comment_required"
    message = N_("Say why device %(device)s comes back to the bench (a comment is required).")


class ChecklistVersionNotFound(NotFound):
    code = "checklist_version_not_found"
    message = N_("The %(category)s checklist has no version %(version)s.")


class ErasureIsNotAStep(Invalid):
    code = "erasure_is_not_a_step"
    message = N_(
        "A checklist cannot have a “data_erasure” step: data erasure is recorded per storage "
        "medium, with its evidence (POST /api/v1/devices/{code}/erasures)."
    )


class DisksNotErased(Conflict):
    code = "disks_not_erased"
    message = N_(
        "The disks harvested as parts still hold the donor's data. Still to do: %(media)s."
    )
