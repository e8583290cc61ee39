"""What grading refuses, with what the person can do about it."""

from __future__ import annotations

from db.errors import N_, Conflict, Invalid


class NotGradable(Conflict):
    code = "not_gradable"
    message = N_(
        "Device %(device)s is “%(status)s”: only a refurbished device is graded (or graded "
        "again while it is graded or available, not reserved)."
    )


class ZonesNotJudged(Invalid):
    code = "zones_not_judged"
    message = N_("Judge every zone of device %(device)s first: %(zones)s.")


class OverrideNeedsReason(Invalid):
    code = "override_needs_reason"
    message = N_("An override of the computed grade needs a written reason: why %(grade)s?")


class OverrideSameGrade(Invalid):
    code = "override_same_grade"
    message = N_("The rules already give grade %(grade)s: there is nothing to override.")


class OverrideWithoutGrade(Invalid):
    code = "override_without_grade"
    message = N_(
        "Device %(device)s gets no grade (%(why)s): it cannot be overridden; fix it first."
    )


class InvalidDocument(Invalid):
    code = "invalid_document"
    message = N_(
        "The %(what)s is not valid and nothing changed; each problem is named by its place "
        "in the document (problems: %(count)s)."
    )


class GridOverCap(Invalid):
    code = "grid_over_cap"
    message = N_(
        "The grid asks up to %(highest)s in the category “%(category)s”, above the legal cap of "
        "%(cap)s (décret of 7 November 2022): lower it, or state in “waivers” why the cap "
        "does not apply. Nothing changed."
    )


class ZoneNotOfCategory(Invalid):
    code = "zone_not_of_category"
    message = N_(
        "A device of this category has no zone %(zone)s to judge: its zones are %(zones)s."
    )


class GridBeforeInForce(Invalid):
    code = "grid_before_in_force"
    message = N_(
        "A grid taking effect on %(date)s would come before version %(version)s, in force "
        "from %(other)s: choose a date on or after %(other)s. Nothing changed."
    )
