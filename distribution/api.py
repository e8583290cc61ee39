"""Routes for partner structures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from distribution import service
from distribution.models import StructureCreate, StructureRead
from remise.auth import Actor, Permission
from remise.deps import IdPath, SessionDep, require
from remise.idempotency import IdempotencyDep, fingerprint

router = APIRouter(prefix="/api/v1/structures", tags=["structures"])
Reader = Annotated[Actor, Depends(require(Permission.STRUCTURES_READ))]
Manager = Annotated[Actor, Depends(require(Permission.STRUCTURES_MANAGE))]


@router.get("", response_model=list[StructureRead])
def list_structures(session: SessionDep, actor: Reader) -> list[StructureRead]:
    """Every partner structure (a structure user sees only its own)."""
    return [
        StructureRead.model_validate(s, from_attributes=True)
        for s in service.structures_for(session, actor)
    ]


@router.get("/{structure_id}", response_model=StructureRead)
def get_structure(structure_id: IdPath, session: SessionDep, actor: Reader) -> StructureRead:
    structure = service.structure_for(session, actor, structure_id)
    return StructureRead.model_validate(structure, from_attributes=True)


@router.post("", response_model=StructureRead, status_code=status.HTTP_201_CREATED)
def create_structure(
    body: StructureCreate, session: SessionDep, actor: Manager, idem: IdempotencyDep
) -> Any:
    def create() -> StructureRead:
        structure = service.create_structure(session, actor, data=body)
        return StructureRead.model_validate(structure, from_attributes=True)

    return idem.once(session, fingerprint(body), create)
