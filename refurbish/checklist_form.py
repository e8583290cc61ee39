"""A whole checklist as the bench page sends it: every value checked first, then the
changed steps recorded, so that a form with one bad value saves nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from db.errors import N_, Invalid, Message
from refurbish import checklists, service
from remise.auth import Actor


@dataclass(frozen=True)
class Entry:
    """What the form holds for one step: the value as typed or chosen, and a note."""

    text: str = ""
    note: str = ""


class ChecklistInvalid(Invalid):
    code = "checklist_invalid"
    message = N_("Nothing was saved: %(count)s steps need another value.")


def _parsed(step: checklists.Step, entry: Entry) -> object:
    return checklists.normalise(step, checklists.from_text(step, entry.text))


def record_form(
    session: Session,
    actor: Actor,
    *,
    run_id: int,
    entries: dict[str, Entry],
    data_dir: Path | None = None,
) -> int:
    """Record each step whose value or note changed; returns how many.

    An empty value leaves its step as it was. Raises ChecklistInvalid (nothing
    recorded) with `errors`, one message per step key, if any value does not suit.
    Photo steps name photos kept under `data_dir` (see `service.record_step`).
    """
    found = service.run(session, run_id)
    template = service.template_of_run(session, found)
    recorded = service.steps_of(session, run_id)
    problems: dict[str, Message] = {}
    changed: list[tuple[str, object, str]] = []
    for step in template.steps:
        entry = entries.get(step.key, Entry())
        row = recorded.get(step.key)
        if not entry.text.strip():
            continue
        try:
            value = _parsed(step, entry)
        except checklists.BadValue as exc:
            problems[step.key] = Message(exc.reason, exc.params)
            continue
        note = entry.note.strip()
        if row is None or row.value != value or (row.note or "") != note:
            changed.append((step.key, value, note))
    if problems:
        error = ChecklistInvalid(count=len(problems))
        error.extra = {"errors": problems}
        raise error
    for key, value, note in changed:
        service.record_step(
            session, actor, run_id=run_id, key=key, value=value, note=note, data_dir=data_dir
        )
    return len(changed)
