"""Checking the ledger from the API: its head and a full verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from db import ledger
from db.errors import N_, Invalid
from remise.api.schemas import VerificationRead
from remise.auth import Actor, Permission
from remise.deps import SessionDep, require

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])
Coordinator = Annotated[Actor, Depends(require(Permission.LEDGER_VERIFY))]


class BadHead(Invalid):
    code = "bad_ledger_head"
    message = N_(
        "“%(head)s” is not a ledger head: it reads SEQ:HASH, as `remise ledger head` prints it."
    )


@router.get("/head")
def ledger_head(session: SessionDep, _actor: Coordinator) -> dict[str, int | str]:
    """The newest event's sequence number and hash, to publish or keep with a backup."""
    head = ledger.head(session)
    return {"seq": head.seq, "hash": head.hash, "head": str(head)}


@router.get("/verify", response_model=VerificationRead)
def verify_ledger(
    session: SessionDep,
    _actor: Coordinator,
    head: Annotated[str | None, Query(description="a published head, SEQ:HASH")] = None,
) -> VerificationRead:
    """Walk the whole hash chain; `ok` is false at the first broken row, which is named."""
    expected = None
    if head:
        try:
            expected = ledger.Head.parse(head)
        except ValueError as exc:
            raise BadHead(head=head[:80]) from exc
    result = ledger.verify(session, expected_head=expected)
    return VerificationRead(
        ok=result.ok,
        checked=result.checked,
        head_seq=result.head.seq,
        head_hash=result.head.hash,
        first_bad_seq=result.first_bad_seq,
        reason=result.reason,
    )
