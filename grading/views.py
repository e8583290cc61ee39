"""What the grading pages show, in the page's words: the device at the grading step, its
zones to judge with each grade's written definition, its earlier gradings, and the rules
and the grid in force as sentences and tables. Reads only; no page logic in templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from db import codes
from db.enums import CATEGORY_LABELS, STATUS_LABELS, Status
from db.errors import N_
from db.models import Device
from grading import rules
from grading.models import GradeDecision
from grading.rules import RulesDocument
from remise.i18n import translate

COMPUTERS = ("laptop", "desktop")  # asked whether the firmware shows a TPM 2.0
ZONE_TITLES = {
    "screen": N_("Screen"),
    "casing": N_("Casing"),
    "keyboard": N_("Keyboard"),
    "buttons": N_("Buttons"),
}
OUTCOME_WORDS = {
    "graded": N_("Grade given"),
    "no_grade": N_("No grade until it is fixed"),
    "not_sold": N_("Not sold as it is"),
}
SYSTEM_WORDS = {"windows": N_("Windows"), "linux": N_("Maintained Linux")}
TPM_CHOICES = (("yes", N_("Yes")), ("no", N_("No")), ("unknown", N_("Not checked")))


def label(locale: str, table: dict[Any, str], value: Any) -> str:
    """`value` in the page's words if `table` knows it, else as it is."""
    found = table.get(value)
    return translate(locale, found) if found is not None else str(value)


def category_label(locale: str, category: str) -> str:
    known = {c.value: text for c, text in CATEGORY_LABELS.items()}
    return label(locale, known, category)


@dataclass(frozen=True)
class DeviceShown:
    code: str
    category: str  # its key: laptop…
    category_text: str
    model: str
    status: str  # its key
    status_text: str
    grade: str | None
    price_cents: int | None
    gradable: bool


def device_shown(locale: str, device: Device, gradable: tuple[Status, ...]) -> DeviceShown:
    model = " ".join(p for p in (device.brand, device.model) if p) or "—"
    status = Status(device.status)
    return DeviceShown(
        code=codes.display(device.code),
        category=device.category,
        category_text=category_label(locale, device.category),
        model=model,
        status=status.value,
        status_text=translate(locale, STATUS_LABELS[status]),
        grade=device.grade,
        price_cents=device.price_cents,
        gradable=status in gradable,
    )


@dataclass(frozen=True)
class ZoneChoice:
    zone: str
    title: str
    grades: list[tuple[str, str]]  # (grade, what it means for this zone)
    checked: str | None
    from_checklist: bool  # checked as the checklist answered it


def zones_of(
    locale: str,
    document: RulesDocument,
    category: str,
    steps: dict[str, Any],
    typed: dict[str, str] | None,
) -> list[ZoneChoice]:
    """The zones of `category` to judge, each grade with its definition, checked as
    typed (a form shown again) or else as the checklist answered."""
    answered, _missing = rules.zone_grades(document, category, steps, {})
    meanings = rules.definitions(document, category)
    own = document.categories.get(category)
    found = []
    for zone in own.zones if own is not None else ():
        chosen = typed.get(zone) if typed is not None else answered.get(zone)
        found.append(
            ZoneChoice(
                zone=zone,
                title=label(locale, ZONE_TITLES, zone),
                grades=[(g, meanings[g][zone].in_(locale)) for g in rules.GRADES],
                checked=chosen or None,
                from_checklist=typed is None and zone in answered,
            )
        )
    return found


@dataclass(frozen=True)
class PastGrading:
    when: str
    grade: str | None
    computed_grade: str | None
    outcome: str
    outcome_text: str
    who: str
    override_reason: str | None
    price_cents: int | None
    reasons: list[str]  # what stopped a grade, in the page's language


def history_of(session: Session, locale: str, device: Device) -> list[PastGrading]:
    """The device's gradings, newest first."""
    rows = session.exec(
        select(GradeDecision)
        .where(col(GradeDecision.device_id) == device.id)
        .order_by(col(GradeDecision.id).desc())
    ).all()
    return [
        PastGrading(
            when=row.decided_at,
            grade=row.grade,
            computed_grade=row.computed_grade,
            outcome=row.outcome,
            outcome_text=label(locale, OUTCOME_WORDS, row.outcome),
            who=row.decided_by,
            override_reason=row.override_reason,
            price_cents=row.price_cents,
            reasons=[
                _stored_text(r, locale)
                for r in row.reasons
                if r.get("effect") in ("no_grade", "not_sold")
            ],
        )
        for row in rows
    ]


def _stored_text(reason: dict[str, Any], locale: str) -> str:
    text = reason.get("text") or {}
    return str(text.get(locale) or text.get("fr") or reason.get("rule", ""))


def stopping(reasons: list[Any]) -> list[str]:
    """The texts of the reasons that keep a device from a grade."""
    return [r.text for r in reasons if r.effect in ("no_grade", "not_sold")]
