"""Refurbishment use cases: checklists, runs, steps, parts, outcomes.

Every change goes through `db.lifecycle` in the caller's transaction: starting a
run moves the device to in_refurbishment, each step recorded is a
`run.step_recorded` event with the value before and after, each part replaced a
`device.part_replaced` event changing the device's specs, and finishing moves the
device to refurbished, parts or recycled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlmodel import Session, col, select

from db import codes, devices, ledger, lifecycle, media
from db.clock import now_iso
from db.enums import STATUS_LABELS, Category, Status
from db.errors import N_, Message
from db.events import EventType
from db.models import Device
from refurbish import checklists, photos
from refurbish.checklists import Kind, State, Template
from refurbish.erasure import service as erasure
from refurbish.erasure.models import MediumIn
from refurbish.errors import (
    BadStepValue,
    ChecklistVersionNotFound,
    CollectorRequired,
    CommentRequired,
    DisksNotErased,
    ErasureIsNotAStep,
    PartsRequired,
    RunAlreadyOpen,
    RunBlocked,
    RunClosed,
    RunNotFound,
    UnknownStep,
)
from refurbish.models import (
    ChecklistTemplate,
    HarvestedPart,
    PartChange,
    PartReplaced,
    RefurbishmentRun,
    RunFinish,
    RunStep,
)
from remise.auth import Actor

# Where a device may come back to the bench from, and whether it needs a reason.
_COMES_BACK = {Status.HANDED_OVER: True, Status.REFURBISHED: False, Status.GRADED: False}


def can_start(status: Status) -> bool:
    """Whether a run may start on a device in `status` (open runs aside)."""
    return Status.IN_REFURBISHMENT in lifecycle.allowed_next(status)


def starts_again(status: Status) -> bool:
    """Whether a run on a device in `status` would be a second pass (finished, graded or
    back from a structure) rather than its first."""
    return status in _COMES_BACK


def start_needs_comment(status: Status) -> bool:
    """A device back from a structure needs a reason to start again."""
    return bool(_COMES_BACK.get(status))


OUTCOMES = {"refurbished": Status.REFURBISHED, "parts": Status.PARTS, "recycled": Status.RECYCLED}


def _newest(session: Session, category: Category) -> ChecklistTemplate | None:
    return session.exec(
        select(ChecklistTemplate)
        .where(col(ChecklistTemplate.category) == category.value)
        .order_by(col(ChecklistTemplate.version).desc())
        .limit(1)
    ).first()


def current_template(session: Session, category: Category) -> ChecklistTemplate:
    """The newest checklist of `category`; the shipped one becomes version 1 on first use."""
    newest = _newest(session, category)
    if newest is not None:
        return newest
    return _publish(session, "system", category, checklists.default_template(category), 1)


def shown_template(
    session: Session, category: Category, version: int | None = None
) -> ChecklistTemplate:
    """A checklist to read, publishing nothing: a stored version or, while none is stored,
    the shipped one as version 1 (unsaved: a GET writes nothing)."""
    newest = _newest(session, category)
    if newest is not None:
        return newest if version is None else template_version(session, category, version)
    if version not in (None, 1):
        raise ChecklistVersionNotFound(category=category.value, version=version)
    steps = checklists.default_template(category).model_dump(mode="json", exclude_none=True)
    return ChecklistTemplate(
        category=category.value, version=1, steps=steps["steps"], created_at="", created_by="Remise"
    )


def template_version(session: Session, category: Category, version: int) -> ChecklistTemplate:
    found = session.exec(
        select(ChecklistTemplate).where(
            col(ChecklistTemplate.category) == category.value,
            col(ChecklistTemplate.version) == version,
        )
    ).first()
    if found is None:
        raise ChecklistVersionNotFound(category=category.value, version=version)
    return found


def publish_template(
    session: Session, actor: Actor, *, category: Category, template: Template
) -> ChecklistTemplate:
    """Publish a new version of `category`'s checklist; runs in progress keep theirs.

    Raises ErasureIsNotAStep for a `data_erasure` step: erasure is recorded per medium."""
    if template.step(checklists.SUPERSEDED_ERASURE_STEP) is not None:
        raise ErasureIsNotAStep()
    version = current_template(session, category).version + 1
    return _publish(session, actor.ledger_name, category, template, version)


def _publish(
    session: Session, actor: str, category: Category, template: Template, version: int
) -> ChecklistTemplate:
    steps = template.model_dump(mode="json", exclude_none=True)["steps"]
    row = ChecklistTemplate(
        category=category.value,
        version=version,
        steps=steps,
        created_at=now_iso(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    digest = hashlib.sha256(orjson.dumps(steps, option=orjson.OPT_SORT_KEYS)).hexdigest()
    ledger.lock(session)
    ledger.append(
        session,
        actor=actor,
        type=EventType.CHECKLIST_PUBLISHED,
        payload={"category": category.value, "version": version, "steps_sha256": digest},
    )
    return row


def template_of(row: ChecklistTemplate) -> Template:
    return Template.model_validate({"steps": row.steps})


def run(session: Session, run_id: int) -> RefurbishmentRun:
    found = session.get(RefurbishmentRun, run_id)
    if found is None:
        raise RunNotFound(id=run_id)
    return found


def _open_run(session: Session, device_id: int) -> RefurbishmentRun | None:
    return session.exec(
        select(RefurbishmentRun).where(
            col(RefurbishmentRun.device_id) == device_id, col(RefurbishmentRun.open)
        )
    ).first()


def start_run(
    session: Session, actor: Actor, *, code: str, comment: str | None = None
) -> RefurbishmentRun:
    """Start a run on the device `code`: labelled, or back from a structure or grading.

    Raises RunAlreadyOpen, CommentRequired (a returned device needs a reason),
    IllegalTransition (any other status).
    """
    device = devices.by_code(session, code)
    assert device.id is not None
    if (already := _open_run(session, device.id)) is not None:
        raise RunAlreadyOpen(device=codes.display(device.code), run=already.id)
    status = Status(device.status)
    if _COMES_BACK.get(status) and not (comment and comment.strip()):
        raise CommentRequired(device=codes.display(device.code))
    template = current_template(session, Category(device.category))
    new = RefurbishmentRun(
        device_id=device.id,
        template_id=template.id or 0,
        started_at=now_iso(),
        started_by=actor.ledger_name,
    )
    session.add(new)
    session.flush()
    extra: dict[str, Any] = {"run_id": new.id, "checklist_version": template.version}
    if comment and comment.strip():
        extra["comment"] = comment.strip()
    lifecycle.move(
        session, device, to=Status.IN_REFURBISHMENT, actor=actor.ledger_name, extra=extra
    )
    if device.category in media.BUILT_IN and not any(
        m.type == media.MediumType.INTERNAL for m in media.media_of(session, device.id)
    ):
        built_in = MediumIn(type=media.MediumType.INTERNAL, model=device.model)
        erasure.add_medium(session, actor, device, built_in, source="built_in")
    return new


def _device_of(session: Session, found: RefurbishmentRun) -> Device:
    device = session.get(Device, found.device_id)
    assert device is not None
    return device


def _writable(found: RefurbishmentRun) -> None:
    if not found.open:
        outcome = OUTCOMES.get(found.outcome or "")
        label = Message(STATUS_LABELS[outcome]) if outcome else found.outcome
        raise RunClosed(id=found.id, outcome=label)


def open_run(session: Session, run_id: int) -> RefurbishmentRun:
    """The run, while it takes steps, parts and photos; raises RunNotFound, RunClosed."""
    found = run(session, run_id)
    _writable(found)
    return found


def template_of_run(session: Session, found: RefurbishmentRun) -> Template:
    row = session.get(ChecklistTemplate, found.template_id)
    assert row is not None
    return template_of(row)


def steps_of(session: Session, run_id: int) -> dict[str, RunStep]:
    rows = session.exec(select(RunStep).where(col(RunStep.run_id) == run_id)).all()
    return {r.key: r for r in rows}


def record_step(
    session: Session,
    actor: Actor,
    *,
    run_id: int,
    key: str,
    value: Any,
    note: str | None,
    data_dir: Path | None = None,
) -> RunStep:
    """Record (or re-record) one step of an open run, judged against its checklist.

    A photo step's value must be the reference of a photo kept for this run under
    `data_dir` (`photos.keep`); without a `data_dir`, photo steps are refused.
    Raises RunClosed, UnknownStep, BadStepValue.
    """
    found = open_run(session, run_id)
    template = template_of_run(session, found)
    step = template.step(key)
    if step is None:
        keys = ", ".join(s.key for s in template.steps)
        raise UnknownStep(run=run_id, key=key[:48], keys=keys)
    stored = _normalised(step, value, run_id=run_id, data_dir=data_dir)
    state = checklists.judge(step, stored)
    row = steps_of(session, run_id).get(key)
    before = row.value if row is not None else None
    now, who = now_iso(), actor.ledger_name
    if row is None:
        row = RunStep(run_id=run_id, key=key, state=state, recorded_at=now, recorded_by=who)
    row.value, row.note, row.state = stored, (note or "").strip() or None, state.value
    row.recorded_at, row.recorded_by = now, who
    session.add(row)
    session.flush()
    lifecycle.record(
        session,
        _device_of(session, found),
        actor=who,
        event=EventType.RUN_STEP_RECORDED,
        extra={
            "run_id": run_id,
            "step": key,
            "value": [before, stored],
            "state": state.value,
            **({"note": row.note} if row.note else {}),
        },
    )
    return row


def _normalised(step: checklists.Step, value: Any, *, run_id: int, data_dir: Path | None) -> Any:
    """The value as stored; BadStepValue, with the reason as the error of field `value`."""
    try:
        stored = checklists.normalise(step, value)
        if step.kind == Kind.PHOTO and not (data_dir and photos.is_kept(data_dir, run_id, stored)):
            raise checklists.BadValue(N_("a photo sent for run %(run)s is expected"), run=run_id)
    except checklists.BadValue as exc:
        reason = Message(exc.reason, exc.params)
        error = BadStepValue(value=str(value)[:60], step=step.label, reason=reason)
        error.extra = {"errors": [{"field": "value", "message": reason}]}
        raise error from exc
    return stored


def replace_part(session: Session, actor: Actor, *, run_id: int, data: PartReplaced) -> PartChange:
    """Record a part replaced during the run; the device's specs change with it."""
    found = run(session, run_id)
    _writable(found)
    device = _device_of(session, found)
    attributes = dict(device.attributes or {})
    specs = dict(attributes.get("specs") or {})
    specs[data.part.value] = data.fitted
    attributes["specs"] = specs
    change = PartChange(
        run_id=run_id,
        device_id=found.device_id,
        part=data.part.value,
        removed=data.removed,
        fitted=data.fitted,
        recorded_at=now_iso(),
        recorded_by=actor.ledger_name,
    )
    session.add(change)
    lifecycle.change(
        session,
        device,
        actor=actor.ledger_name,
        fields={"attributes": attributes},
        event=EventType.DEVICE_PART_REPLACED,
        extra={
            "run_id": run_id,
            "part": data.part.value,
            "removed": data.removed,
            "fitted": data.fitted,
        },
    )
    if data.part.value in media.STORAGE_PARTS:
        _fit_medium(session, actor, device, data)
    return change


def _fit_medium(session: Session, actor: Actor, device: Device, data: PartReplaced) -> None:
    """A disk fitted is a medium of the device, in place of a destroyed one if any is
    still waiting for its replacement; it needs its own erasure record."""
    fitted = data.medium or MediumIn(type=media.MediumType(data.part.value), model=data.fitted)
    waiting = [
        s.medium.id
        for s in media.standing_of_device(session, device.id or 0)
        if s.state == media.MediumState.NEEDS_REPLACEMENT
    ]
    replaces = waiting[0] if waiting else None
    erasure.add_medium(session, actor, device, fitted, source="part", replaces_id=replaces)


def blocking_steps(session: Session, found: RefurbishmentRun) -> list[checklists.Step]:
    """The steps that keep the run from finishing `refurbished`, in checklist order."""
    recorded = steps_of(session, found.id or 0)
    template = template_of_run(session, found)
    return [
        step
        for step in template.steps
        if step.key != checklists.SUPERSEDED_ERASURE_STEP
        and checklists.blocking(step, _state(recorded.get(step.key)))
    ]


def _state(row: RunStep | None) -> State:
    return State(row.state) if row is not None else State.MISSING


def finish_run(session: Session, actor: Actor, *, run_id: int, data: RunFinish) -> RefurbishmentRun:
    """Close the run with its outcome and move the device accordingly.

    Raises RunClosed, RunBlocked (409, listing each step still missing or failed),
    PartsRequired, CollectorRequired.
    """
    found = run(session, run_id)
    _writable(found)
    detail = _outcome_detail(session, found, data)
    device = _device_of(session, found)
    if data.outcome == "parts":
        _harvest(session, found, data)
    found.open, found.outcome, found.outcome_detail = False, data.outcome, detail
    found.finished_at, found.finished_by = now_iso(), actor.ledger_name
    session.add(found)
    lifecycle.move(
        session,
        device,
        to=OUTCOMES[data.outcome],
        actor=actor.ledger_name,
        extra={"run_id": run_id, **detail},
    )
    return found


def _outcome_detail(session: Session, found: RefurbishmentRun, data: RunFinish) -> dict[str, Any]:
    detail: dict[str, Any] = {"comment": data.comment} if data.comment else {}
    if data.outcome == "refurbished":
        blocking = blocking_steps(session, found)
        device = _device_of(session, found)
        unerased = media.outstanding(session, found.device_id, device.category)
        if blocking or unerased:
            recorded = steps_of(session, found.id or 0)
            reasons = [_why_blocking(step, recorded.get(step.key)) for step in blocking]
            error = RunBlocked(steps=[*reasons, *unerased])
            error.extra = {
                "blocking": [
                    {"key": step.key, "state": _state(recorded.get(step.key)).value, "reason": why}
                    for step, why in zip(blocking, reasons, strict=True)
                ],
                "erasure": [{"reason": why} for why in unerased],
            }
            raise error
    elif data.outcome == "parts":
        if not data.parts:
            raise PartsRequired()
        if any(p.kind.value in media.STORAGE_PARTS for p in data.parts):
            device = _device_of(session, found)
            unerased = media.outstanding(session, found.device_id, device.category)
            if unerased:
                error = DisksNotErased(media=unerased)
                error.extra = {"erasure": [{"reason": why} for why in unerased]}
                raise error
        detail["parts"] = [p.model_dump(mode="json") for p in data.parts]
    elif not (data.collector and data.collector.strip()):
        raise CollectorRequired()
    else:
        detail["collector"] = data.collector.strip()
    return detail


def _why_blocking(step: checklists.Step, row: RunStep | None) -> Message:
    if row is None:
        return Message(N_("%(step)s (not done)"), {"step": step.label})
    if step.kind == checklists.Kind.MEASURE:
        return Message(
            N_("%(step)s (%(value)s %(unit)s, outside %(min)s–%(max)s)"),
            {
                "step": step.label,
                "value": row.value,
                "unit": step.unit,
                "min": checklists.bound_text(step.min),
                "max": checklists.bound_text(step.max),
            },
        )
    return Message(N_("%(step)s (failed)"), {"step": step.label})


def _harvest(session: Session, found: RefurbishmentRun, data: RunFinish) -> None:
    now = now_iso()
    for part in data.parts:
        session.add(
            HarvestedPart(
                source_device_id=found.device_id,
                run_id=found.id or 0,
                kind=part.kind.value,
                description=part.description,
                created_at=now,
            )
        )


def runs_of_device(session: Session, code: str) -> Sequence[RefurbishmentRun]:
    device = devices.by_code(session, code)
    return session.exec(
        select(RefurbishmentRun)
        .where(col(RefurbishmentRun.device_id) == device.id)
        .order_by(col(RefurbishmentRun.id))
    ).all()


def part_changes(session: Session, run_id: int) -> Sequence[PartChange]:
    return session.exec(
        select(PartChange).where(col(PartChange.run_id) == run_id).order_by(col(PartChange.id))
    ).all()


def harvested_parts(session: Session, *, in_stock: bool | None = True) -> Sequence[HarvestedPart]:
    query = select(HarvestedPart).order_by(col(HarvestedPart.id))
    if in_stock is not None:
        query = query.where(col(HarvestedPart.in_stock) == in_stock)
    return session.exec(query).all()
