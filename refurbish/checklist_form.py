"""The bench page's forms as they are sent. A whole checklist: every value checked
first, then the changed steps recorded, so that a form with one bad value saves
nothing. The finish form: every field checked, each problem named by its field,
text longer than its limit refused (never cut)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from db.errors import N_, Invalid, Message
from refurbish import checklists, service
from refurbish.models import (
    COLLECTOR_MAX,
    COMMENT_MAX,
    PART_MAX,
    PARTS_MAX,
    HarvestedPartIn,
    Outcome,
    PartKind,
    RunFinish,
)
from remise.auth import Actor
from remise.i18n import translations


@dataclass(frozen=True)
class Entry:
    """What the form holds for one step: the value as typed or chosen, and a note."""

    text: str = ""
    note: str = ""


class ChecklistInvalid(Invalid):
    """Some steps of the form need another value (`count`, and `errors` by step key)."""

    code = "checklist_invalid"
    message = N_("Nothing was saved: some steps need another value.")

    def said(self, locale: str) -> str:
        """The message with its count, singular or plural in `locale`'s own way."""
        count = int(self.params["count"])
        text = translations(locale).ngettext(
            "Nothing was saved: %(num)s step needs another value.",
            "Nothing was saved: %(num)s steps need another value.",
            count,
        )
        return text % {"num": count}


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
            note = checklists.text_within(entry.note)
        except checklists.BadValue as exc:
            problems[step.key] = Message(exc.reason, exc.params)
            continue
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


FINISH_FIELDS = ("outcome", "parts", "collector", "comment")


class FinishInvalid(Invalid):
    """Fields of the finish form that need another value (`fields`, by field name)."""

    code = "finish_invalid"
    message = N_("Nothing was finished: correct what is said beside each field.")


def finish_data(typed: dict[str, str]) -> RunFinish:
    """The outcome the finish form gives, with its parts (one per line), collector and
    comment. Raises FinishInvalid with one message per field that does not suit."""
    problems: dict[str, Message] = {}
    outcome = typed.get("outcome", "")
    if outcome not in {o.value for o in Outcome}:
        problems["outcome"] = Message(N_("Choose how the refurbishment ended."))
    kept: dict[str, str | None] = {}
    for name, limit in (("collector", COLLECTOR_MAX), ("comment", COMMENT_MAX)):
        try:
            kept[name] = checklists.text_within(typed.get(name, ""), limit) or None
        except checklists.BadValue as exc:
            problems[name] = Message(exc.reason, exc.params)
    parts: list[HarvestedPartIn] = []
    try:
        parts = _parts(typed.get("parts", ""))
    except checklists.BadValue as exc:
        problems["parts"] = Message(exc.reason, exc.params)
    if problems:
        error = FinishInvalid()
        error.extra = {"fields": problems}
        raise error
    return RunFinish(outcome=Outcome(outcome), parts=parts, **kept)


def _parts(text: str) -> list[HarvestedPartIn]:
    """`kind: description` per line (`ram: 8 GB DDR4`); a line without a kind is `other`.
    BadValue naming the line whose description is empty or too long, or if too many."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > PARTS_MAX:
        raise checklists.BadValue(
            N_("%(max)s parts at most: this list has %(count)s"),
            max=PARTS_MAX,
            count=len(lines),
        )
    parts = []
    for number, line in enumerate(lines, start=1):
        kind, sep, description = line.partition(":")
        known = kind.strip().lower() in {k.value for k in PartKind}
        try:
            described = checklists.text_within(description if sep and known else line, PART_MAX)
        except checklists.BadValue as exc:
            reason = Message(exc.reason, exc.params)
            raise checklists.BadValue(LINE, line=number, why=reason) from exc
        if not described:
            reason = Message(N_("say what the part is after “%(kind)s:”"), {"kind": kind.strip()})
            raise checklists.BadValue(LINE, line=number, why=reason)
        parts.append(
            HarvestedPartIn(
                kind=PartKind(kind.strip().lower()) if sep and known else PartKind.OTHER,
                description=described,
            )
        )
    return parts


LINE = N_("line %(line)s: %(why)s")
