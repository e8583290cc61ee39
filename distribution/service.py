"""Use cases for partner structures."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from db import ledger
from db.clock import now_iso
from db.errors import N_, Conflict, NotFound
from db.events import EventType
from db.models import Structure
from distribution.models import StructureCreate
from remise.auth import Actor


class StructureNotFound(NotFound):
    code = "structure_not_found"
    message = N_("No structure number %(id)s.")


class StructureExists(Conflict):
    code = "structure_exists"
    message = N_("A structure named “%(name)s” already exists.")


def _by_name(session: Session, name: str) -> Structure | None:
    key = name.strip().lower()
    return session.exec(select(Structure).where(func.lower(Structure.name) == key)).first()


def create_structure(session: Session, actor: Actor, *, data: StructureCreate) -> Structure:
    """Record a partner structure; raises StructureExists for a name already used."""
    name = data.name.strip()
    if _by_name(session, name):
        raise StructureExists(name=name)
    structure = Structure(
        name=name, city=data.city, contact_email=data.contact_email, created_at=now_iso()
    )
    session.add(structure)
    session.flush()
    ledger.append(
        session,
        actor=actor.ledger_name,
        type=EventType.STRUCTURE_CREATED,
        payload={"structure_id": structure.id, "name": name},
    )
    return structure


def ensure_structure(session: Session, actor: Actor, *, name: str) -> Structure:
    """The structure with this name (any case), created if there is none."""
    return _by_name(session, name) or create_structure(
        session, actor, data=StructureCreate(name=name)
    )


def structures_for(session: Session, actor: Actor) -> Sequence[Structure]:
    """All structures for staff; only its own for a structure user."""
    query = select(Structure).order_by(col(Structure.name))
    if actor.is_structure:
        query = query.where(Structure.id == actor.structure_id)
    return session.exec(query).all()


def structure_for(session: Session, actor: Actor, structure_id: int) -> Structure:
    """One structure; another structure's is StructureNotFound, as if it did not exist."""
    structure = session.get(Structure, structure_id)
    if structure is None or (actor.is_structure and actor.structure_id != structure_id):
        raise StructureNotFound(id=structure_id)
    return structure
