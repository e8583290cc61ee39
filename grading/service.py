"""Grading a device: its facts read from the ledger, the rules' decision, the price,
and the moves of its life cycle (refurbished → graded → available).

What the bench measured is read from the ledger, never from refurbish's tables: the
checklist answers of the run that made the device `refurbished` (its
`run.step_recorded` events) and the newest `device.probed` event's measures. A grade
becomes `available` in the same transaction once every storage medium's erasure has
passed (db.media) and the grid in force has a price for it; otherwise it waits, and
the answer says for what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from db import codes, devices, lifecycle, media
from db.clock import now_iso
from db.enums import STATUS_LABELS, Status
from db.errors import N_, Message
from db.events import EventType
from db.models import Device, LedgerEvent
from grading import documents, pricing, rules
from grading.errors import (
    NotGradable,
    OverrideNeedsReason,
    OverrideSameGrade,
    OverrideWithoutGrade,
    ZoneNotOfCategory,
    ZonesNotJudged,
)
from grading.facts import catalogue_specs, facts_of
from grading.inputs import BenchInputs, bench_inputs
from grading.models import GradeDecision, GradeIn, GradeRead, PriceRead, ReasonRead
from remise.auth import Actor
from remise.i18n import localise

GRADABLE = (Status.REFURBISHED, Status.GRADED, Status.AVAILABLE)
ZONE_WORDS = {
    "screen": N_("screen"),
    "casing": N_("casing"),
    "keyboard": N_("keyboard"),
    "buttons": N_("buttons"),
}
NO_PRICE = N_("the price grid has no price for this category and grade")


def _reason_read(reason: rules.Reason, locale: str) -> ReasonRead:
    return ReasonRead(
        rule=reason.rule,
        effect=reason.effect,
        detail=reason.detail,
        text=reason.said(locale),
        source=reason.source,
        measured=[
            {"fact": c.fact, "value": c.value, "op": c.op, "threshold": c.threshold}
            for c in reason.measured
        ],
    )


def _stored(reason: rules.Reason) -> dict[str, Any]:
    return {
        "rule": reason.rule,
        "effect": reason.effect,
        "detail": reason.detail,
        "text": {"fr": reason.said("fr"), "en": reason.said("en")},
        "source": reason.source,
        "measured": [
            {"fact": c.fact, "value": c.value, "op": c.op, "threshold": c.threshold}
            for c in reason.measured
        ],
    }


@dataclass(frozen=True)
class Said:
    """Reasons inside a message, said in the language it is translated to."""

    reasons: tuple[rules.Reason, ...]

    def in_(self, locale: str) -> str:
        return "; ".join(r.said(locale) for r in self.reasons)

    def __str__(self) -> str:
        return self.in_("en")


@dataclass(frozen=True)
class Decision:
    outcome: rules.Outcome
    reasons: tuple[rules.Reason, ...]
    grade: str | None
    override_reason: str | None
    facts: dict[str, Any]
    inputs: BenchInputs


def decide(
    session: Session, device: Device, data: GradeIn, document: rules.RulesDocument
) -> Decision:
    """What the rules make of `device` with what the grading step judged; raises
    ZonesNotJudged, OverrideNeedsReason, OverrideSameGrade, OverrideWithoutGrade."""
    inputs = bench_inputs(session, device)
    facts = facts_of(
        device.category,
        inputs.steps,
        inputs.probe,
        dict(device.attributes or {}),
        {"tpm2": data.tpm2},
    )
    facts["functions_failed"] = len(inputs.failed)
    judged = {zone: grade for zone, grade in data.cosmetic.items()}
    own = document.categories.get(device.category)
    for zone in judged:
        if own is not None and zone not in own.zones:
            error = ZoneNotOfCategory(
                zone=Message(ZONE_WORDS[zone]), zones=[Message(ZONE_WORDS[z]) for z in own.zones]
            )
            said = Message(error.template, error.params)
            error.extra = {"errors": [{"field": f"cosmetic.{zone}", "message": said}]}
            raise error
    outcome = rules.decide(document, device.category, facts, inputs.steps, judged)
    reasons = list(outcome.reasons)
    if outcome.outcome == "graded" and outcome.missing:
        zones = [Message(ZONE_WORDS[z]) for z in outcome.missing]
        error = ZonesNotJudged(device=codes.display(device.code), zones=zones)
        error.extra = {"missing": list(outcome.missing)}
        raise error
    grade, override_reason = outcome.grade, None
    if data.override is not None:
        if outcome.outcome != "graded" or grade is None:
            why = Said(tuple(r for r in reasons if r.effect in ("no_grade", "not_sold")))
            raise OverrideWithoutGrade(device=codes.display(device.code), why=why)
        if not data.override.reason.strip():
            raise OverrideNeedsReason(grade=data.override.grade)
        if data.override.grade == grade:
            raise OverrideSameGrade(grade=grade)
        said = rules.Words(
            fr=f"grade modifié à la main, {grade} → {data.override.grade} : "
            f"{data.override.reason.strip()}",
            en=f"grade set by hand, {grade} → {data.override.grade}: "
            f"{data.override.reason.strip()}",
        )
        compared = rules.Compared("grade", data.override.grade, "override", grade)
        reasons.append(
            rules.Reason("override", "override", data.override.grade, said, "", (compared,))
        )
        grade, override_reason = data.override.grade, data.override.reason.strip()
    return Decision(outcome, tuple(reasons), grade, override_reason, facts, inputs)


def grade_device(
    session: Session,
    actor: Actor,
    *,
    code: str,
    data: GradeIn,
    preview: bool,
    today: date,
    locale: str,
) -> GradeRead:
    """Grade device `code` and apply it (unless `preview`): the device becomes `graded`,
    then `available` at its price once its data is erased. Raises NotGradable and the
    errors of `decide`."""
    device = devices.by_code(session, code)
    status = Status(device.status)
    if status not in GRADABLE:
        raise NotGradable(device=codes.display(device.code), status=Message(STATUS_LABELS[status]))
    version, document, _row = documents.current_rules(session)
    decision = decide(session, device, data, document)
    grid_version, grid, _grid_row = documents.current_grid(session, today)
    price = (
        pricing.price_for(grid, device.category, decision.grade, decision.facts)
        if decision.grade
        else None
    )
    waiting = _waiting(session, device, decision, price)
    decision_id = None
    if not preview:
        words = summary(document, decision, dict(device.attributes or {}))
        decision_id = _apply(
            session, actor, device, decision, version, grid_version, price, waiting, words
        )
    return GradeRead(
        device=codes.display(device.code),
        preview=preview,
        outcome=decision.outcome.outcome,
        grade=decision.grade,
        computed_grade=decision.outcome.grade,
        override=data.override if data.override and decision.grade else None,
        os=decision.outcome.os,
        zones=dict(decision.outcome.zones),
        definitions={
            grade: {zone: words.in_(locale) for zone, words in zones.items()}
            for grade, zones in rules.definitions(document, device.category).items()
        },
        reasons=[_reason_read(r, locale) for r in decision.reasons],
        price=_price_read(price, grid_version, locale) if price is not None else None,
        status=device.status,
        waiting_for=[str(localise(locale, w)) for w in waiting],
        rules_version=version,
        decision_id=decision_id,
    )


def summary(
    document: rules.RulesDocument, decision: Decision, attributes: dict[str, Any]
) -> dict[str, Any] | None:
    """What a label, the catalog or a receipt prints with the grade, in each language:
    the grade's sentence, a few words of it, and the short reasons (« Linux maintenu »);
    and the specs the catalogue shows and filters on (`db.catalog` reads them)."""
    grade = decision.grade
    if grade is None:
        return None
    found: dict[str, Any] = {
        "grade": grade,
        "os": decision.outcome.os,
        "specs": catalogue_specs(
            decision.facts, decision.inputs.probe, attributes, decision.outcome.os
        ),
    }
    for locale in ("fr", "en"):
        shorts = [r.said_short(locale) for r in decision.reasons]
        found[locale] = {
            "sentence": document.grades[grade].in_(locale),  # type: ignore[index]
            "words": document.grades_short[grade].in_(locale),  # type: ignore[index]
            "reasons": [s for s in shorts if s],
            "said": [r.said(locale) for r in decision.reasons],  # every reason, in full
        }
    return found


def _price_read(price: pricing.Price, grid_version: int, locale: str) -> PriceRead:
    return PriceRead(
        cents=price.cents,
        base_cents=price.base_cents,
        tiers=[
            {"id": tier, "label": label.in_(locale), "add_cents": cents}
            for tier, label, cents in price.tiers
        ],
        cap_cents=price.cap_cents,
        grid_version=grid_version,
    )


def _waiting(
    session: Session, device: Device, decision: Decision, price: pricing.Price | None
) -> list[Any]:
    if decision.grade is None:
        return []
    found: list[Any] = list(media.outstanding(session, device.id or 0, device.category))
    if price is None:
        found.append(Message(NO_PRICE))
    return found


def _apply(
    session: Session,
    actor: Actor,
    device: Device,
    decision: Decision,
    version: int,
    grid_version: int,
    price: pricing.Price | None,
    waiting: list[Any],
    words: dict[str, Any] | None,
) -> int:
    """Record the decision and move the device; returns the decision's id. The grade's
    words go with it on the device (`attributes.grading`), for whatever prints it."""
    attributes = {k: v for k, v in (device.attributes or {}).items() if k != "grading"}
    if words is not None:
        attributes["grading"] = words
    row = GradeDecision(
        device_id=device.id or 0,
        run_id=decision.inputs.run_id,
        outcome=decision.outcome.outcome,
        computed_grade=decision.outcome.grade,
        grade=decision.grade,
        override_reason=decision.override_reason,
        os=decision.outcome.os,
        zones=dict(decision.outcome.zones),
        reasons=plain([_stored(r) for r in decision.reasons]),
        facts=plain(decision.facts),
        rules_version=version,
        grid_version=grid_version if price is not None else None,
        price_cents=price.cents if price is not None and not waiting else None,
        decided_at=now_iso(),
        decided_by=actor.ledger_name,
    )
    session.add(row)
    session.flush()
    extra = {
        "decision_id": row.id,
        "outcome": row.outcome,
        "computed_grade": row.computed_grade,
        "override": {"grade": row.grade, "reason": row.override_reason}
        if row.override_reason
        else None,
        "os": row.os,
        "zones": row.zones,
        "reasons": row.reasons,
        "rules_version": version,
    }
    who = actor.ledger_name
    if Status(device.status) == Status.AVAILABLE:
        lifecycle.move(
            session,
            device,
            to=Status.GRADED,
            actor=who,
            fields={"price_cents": None},
            extra={"decision_id": row.id, "why": "graded again"},
        )
    if decision.grade is None:
        if device.grade is not None:
            fields = {"grade": None, "attributes": attributes}
            lifecycle.change(session, device, actor=who, fields=fields, extra=extra)
        appended = lifecycle.record(
            session, device, actor=who, event=EventType.DEVICE_GRADE_REFUSED, extra=extra
        )
        row.ledger_seq = appended.seq
        return row.id or 0
    if Status(device.status) == Status.REFURBISHED:
        lifecycle.move(
            session,
            device,
            to=Status.GRADED,
            actor=who,
            fields={"grade": decision.grade, "attributes": attributes},
            extra=extra,
        )
    else:
        lifecycle.change(
            session,
            device,
            actor=who,
            fields={"grade": decision.grade, "attributes": attributes},
            event=EventType.DEVICE_GRADED,
            extra=extra,
        )
    row.ledger_seq = _newest_seq(session, device)
    if price is not None and not waiting:
        lifecycle.move(
            session,
            device,
            to=Status.AVAILABLE,
            actor=who,
            fields={"price_cents": price.cents},
            extra={
                "decision_id": row.id,
                "grid_version": grid_version,
                "base_cents": price.base_cents,
                "tiers": [{"id": t, "add_cents": c} for t, _, c in price.tiers],
            },
        )
    session.add(row)
    return row.id or 0


def _newest_seq(session: Session, device: Device) -> int | None:
    return session.exec(
        select(func.max(LedgerEvent.seq)).where(col(LedgerEvent.device_id) == device.id)
    ).first()


def plain(value: Any) -> Any:
    """`value` as the ledger keeps it: canonical JSON has no floats, so a measure such as
    7.45 GiB is kept as the decimal text "7.45"."""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value == value else None
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def overrides(session: Session) -> list[tuple[GradeDecision, Device]]:
    """Every grade set by hand, newest first, with its device."""
    rows = session.exec(
        select(GradeDecision, Device)
        .join(Device, col(Device.id) == col(GradeDecision.device_id))
        .where(col(GradeDecision.override_reason).is_not(None))
        .order_by(col(GradeDecision.id).desc())
    ).all()
    return [(decision, device) for decision, device in rows]
