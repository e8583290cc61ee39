"""What the bench sees of a run: every step with its definition, value and state."""

from __future__ import annotations

from sqlmodel import Session

from db import codes
from db.models import Device
from refurbish import checklists, service
from refurbish.erasure import service as erasure
from refurbish.models import (
    ChecklistRead,
    ChecklistTemplate,
    PartChangeRead,
    RefurbishmentRun,
    RunRead,
    StepView,
)
from remise.i18n import localise


def checklist_view(row: ChecklistTemplate) -> ChecklistRead:
    return ChecklistRead(
        category=row.category,
        version=row.version,
        created_at=row.created_at,
        created_by=row.created_by,
        steps=row.steps,
    )


def _step_view(step: checklists.Step, row: service.RunStep | None, locale: str) -> StepView:
    state = checklists.State(row.state) if row is not None else checklists.State.MISSING
    return StepView(
        key=step.key,
        label=step.label.in_(locale),
        kind=step.kind,
        required=step.required,
        unit=step.unit,
        min=step.min,
        max=step.max,
        options=[
            {"key": o.key, "label": o.label.in_(locale), "passes": o.passes} for o in step.options
        ],
        value=row.value if row is not None else None,
        note=row.note if row is not None else None,
        state=state,
        blocking=step.key != checklists.SUPERSEDED_ERASURE_STEP
        and checklists.blocking(step, state),
        recorded_at=row.recorded_at if row is not None else None,
        recorded_by=row.recorded_by if row is not None else None,
    )


def run_view(session: Session, found: RefurbishmentRun, locale: str) -> RunRead:
    """The run as the bench page and the API show it, step labels in `locale`."""
    template_row = session.get(ChecklistTemplate, found.template_id)
    device = session.get(Device, found.device_id)
    assert template_row is not None and device is not None and found.id is not None
    recorded = service.steps_of(session, found.id)
    steps = [
        _step_view(step, recorded.get(step.key), locale)
        for step in service.template_of(template_row).steps
    ]
    return RunRead(
        id=found.id,
        device_code=codes.display(device.code),
        category=device.category,
        checklist_version=template_row.version,
        open=found.open,
        outcome=found.outcome,
        outcome_detail=found.outcome_detail,
        started_at=found.started_at,
        started_by=found.started_by,
        finished_at=found.finished_at,
        finished_by=found.finished_by,
        steps=steps,
        parts=[
            PartChangeRead.model_validate(p, from_attributes=True)
            for p in service.part_changes(session, found.id)
        ],
        blocking=[s.key for s in steps if s.blocking],
        erasure=erasure.missing_view(session, device, lambda m: localise(locale, m)),
    )
