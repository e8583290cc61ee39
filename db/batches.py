"""Finding donated batches, for every stage that works batch by batch."""

from __future__ import annotations

from sqlmodel import Session

from db.errors import N_, NotFound
from db.models import Batch


class BatchNotFound(NotFound):
    code = "batch_not_found"
    message = N_("No batch number %(id)s.")


def by_id(session: Session, batch_id: int) -> Batch:
    """The batch `batch_id`; BatchNotFound if there is none."""
    found = session.get(Batch, batch_id)
    if found is None:
        raise BatchNotFound(id=batch_id)
    return found
