"""Partner structures: sign-up, approval and suspension, details, quotas and their use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from db import ledger
from db.clock import now_iso
from db.enums import StructureStatus
from db.errors import N_, Conflict, Forbidden, NotFound
from db.events import EventType
from db.models import Structure
from distribution import rules
from distribution.models import ClaimItem, ItemState, QuotaUse, StructureCreate, StructureUpdate
from remise.auth import Actor

_DETAILS = tuple(StructureCreate.model_fields)
_STAFF_ONLY = ("status", "quotas", "name")


class StructureNotFound(NotFound):
    code = "structure_not_found"
    message = N_("No structure number %(id)s.")


class StructureExists(Conflict):
    code = "structure_exists"
    message = N_("A structure named “%(name)s” already exists.")


class NotYours(Forbidden):
    code = "structure_field_staff_only"
    message = N_("Only the coordinators may change “%(field)s” of a structure.")


@dataclass(frozen=True)
class QuotaPolicy:
    """How quotas are counted: the period's length and the association's time zone."""

    length: rules.PeriodLength = "quarter"
    zone: ZoneInfo = dataclass_field(default_factory=lambda: ZoneInfo("Europe/Paris"))

    def period(self, today: date) -> rules.Period:
        return rules.period_of(today, self.length)


def _by_name(session: Session, name: str) -> Structure | None:
    key = name.strip().lower()
    return session.exec(select(Structure).where(func.lower(Structure.name) == key)).first()


def create_structure(session: Session, actor: Actor, *, data: StructureCreate) -> Structure:
    """Record a partner structure, `pending` until a coordinator approves it; raises
    StructureExists for a name already used (whatever its case)."""
    name = data.name.strip()
    if _by_name(session, name):
        raise StructureExists(name=name)
    fields = data.model_dump(exclude={"name"}, mode="json")
    structure = Structure(
        name=name, status=StructureStatus.PENDING.value, created_at=now_iso(), **fields
    )
    session.add(structure)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.STRUCTURE_CREATED,
        payload={"structure_id": structure.id, "name": name, "status": structure.status},
    )
    return structure


def ensure_structure(session: Session, actor: Actor, *, name: str) -> Structure:
    """The structure with this name (any case), created `pending` if there is none."""
    return _by_name(session, name) or create_structure(
        session, actor, data=StructureCreate(name=name)
    )


def structures_for(
    session: Session, actor: Actor, *, status: StructureStatus | None = None
) -> Sequence[Structure]:
    """All structures for staff (of one status, if given); only its own for a structure."""
    query = select(Structure).order_by(col(Structure.name))
    if actor.is_structure:
        query = query.where(Structure.id == actor.structure_id)
    if status is not None:
        query = query.where(Structure.status == status.value)
    return session.exec(query).all()


def structure_for(session: Session, actor: Actor, structure_id: int) -> Structure:
    """One structure; another structure's is StructureNotFound, as if it did not exist."""
    structure = session.get(Structure, structure_id)
    if structure is None or (actor.is_structure and actor.structure_id != structure_id):
        raise StructureNotFound(id=structure_id)
    return structure


def update_structure(
    session: Session, actor: Actor, structure_id: int, *, data: StructureUpdate
) -> Structure:
    """Change what `data` sends; a structure may change its own details, not its name,
    status or quotas (NotYours). Records `structure.updated` with before and after."""
    structure = structure_for(session, actor, structure_id)
    sent = data.model_dump(exclude_unset=True, mode="json")
    if actor.is_structure:
        for field in _STAFF_ONLY:
            if field in sent:
                raise NotYours(field=field)
    if "name" in sent and sent["name"] is not None:
        other = _by_name(session, sent["name"])
        if other is not None and other.id != structure.id:
            raise StructureExists(name=sent["name"])
    if "quotas" in sent:
        sent["quotas"] = {**structure.quotas, **(sent["quotas"] or {})}
    for field in _STAFF_ONLY:  # a name, status or quotas sent as null changes nothing
        if field in sent and sent[field] is None:
            del sent[field]
    return _apply(session, actor, structure, sent)


def _apply(session: Session, actor: Actor, structure: Structure, sent: dict[str, Any]) -> Structure:
    changed = {
        field: [getattr(structure, field), value]
        for field, value in sent.items()
        if getattr(structure, field) != value
    }
    if not changed:
        return structure
    ledger.lock(session)
    for field, (_before, after) in changed.items():
        setattr(structure, field, after)
    structure.updated_at = now_iso()
    session.add(structure)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.STRUCTURE_UPDATED,
        payload={"structure_id": structure.id, "changes": changed},
    )
    return structure


def set_status(
    session: Session, actor: Actor, structure_id: int, status: StructureStatus
) -> Structure:
    return update_structure(session, actor, structure_id, data=StructureUpdate(status=status))


def used(
    session: Session,
    structure_id: int,
    period: rules.Period,
    zone: ZoneInfo,
    *,
    excluding: int | None = None,
) -> dict[str, int]:
    """Devices of each category the structure holds or took in `period` (reserved then,
    and not released since), replacements under warranty aside."""
    start, end = period.bounds(zone)
    rows = session.exec(
        select(ClaimItem.category, func.count())
        .where(
            col(ClaimItem.structure_id) == structure_id,
            col(ClaimItem.reserved_at) >= start,
            col(ClaimItem.reserved_at) < end,
            col(ClaimItem.state).in_([ItemState.RESERVED.value, ItemState.HANDED_OVER.value]),
            col(ClaimItem.counts_in_quota).is_(True),
            col(ClaimItem.claim_id) != (excluding or 0),
        )
        .group_by(col(ClaimItem.category))
    ).all()
    return {category: count for category, count in rows}


def quota_use(
    session: Session, structure: Structure, policy: QuotaPolicy, today: date
) -> dict[str, QuotaUse]:
    """Each category with a quota or a use: the quota, what is used and what remains."""
    taken = used(session, structure.id or 0, policy.period(today), policy.zone)
    return {
        category: QuotaUse(
            quota=structure.quotas.get(category, 0),
            used=taken.get(category, 0),
            remaining=rules.remaining(structure.quotas.get(category), taken.get(category, 0)),
        )
        for category in sorted(set(structure.quotas) | set(taken))
    }
