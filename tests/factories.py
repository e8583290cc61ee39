"""Factories that drive the real services, so test data has real histories."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from db import lifecycle
from db.engine import transaction
from db.enums import Category, Role, Status
from db.models import Device
from distribution.models import StructureCreate
from distribution.service import create_structure, ensure_structure
from remise.accounts import create_user
from remise.auth import system_actor

ACTOR = system_actor("tests")
_numbers = itertools.count(1)


def make_structure(session: Session, *, name: str | None = None) -> int:
    name = name or f"Structure {next(_numbers)}"
    structure = create_structure(session, ACTOR, data=StructureCreate(name=name))
    assert structure.id is not None
    return structure.id


def make_token(
    engine: Engine, *, role: Role = Role.COORDINATOR, structure: str | None = None
) -> str:
    """A new user of `role` (of structure `structure`, created if new); returns its token."""
    with transaction(engine) as session:
        structure_id = ensure_structure(session, ACTOR, name=structure).id if structure else None
        _user, token = create_user(
            session,
            ACTOR,
            username=f"{role.value}-{next(_numbers)}",
            role=role,
            structure_id=structure_id,
        )
    return token


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def make_device(
    session: Session,
    *,
    status: Status = Status.RECEIVED,
    category: Category = Category.LAPTOP,
    structure_id: int | None = None,
    **fields: Any,
) -> Device:
    """A device walked through the life cycle up to `status`."""
    number = next(_numbers)
    device = Device(
        category=category,
        brand=fields.pop("brand", "Lenovo"),
        model=fields.pop("model", "ThinkPad T480"),
        serial=fields.pop("serial", f"SN{number:08d}"),
        **fields,
    )
    lifecycle.register(session, actor=ACTOR.ledger_name, devices=[device])
    for step in lifecycle.path_to(status):
        extra: dict[str, Any] = {}
        if step == Status.GRADED:
            extra = {"grade": "B", "price_cents": 5000}
        if step == Status.RESERVED:
            assert structure_id is not None, "a reserved device needs a structure"
            extra = {"structure_id": structure_id}
        lifecycle.move(session, device, to=step, actor=ACTOR.ledger_name, fields=extra)
    return device
