"""Telling a structure: a message in its inbox, and an e-mail when SMTP is set up.

The message is kept as a kind and its parameters, and said in the reader's language
when read. The e-mail, in French (the structures' language), goes to the structure's
contact address through `db.models.MailOutbox`: written in the same transaction, sent
after it commits by `remise.mail`, retried there; nothing here waits for a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from db.clock import now_iso
from db.errors import N_
from db.models import MailOutbox, Structure
from distribution.errors import MessageNotFound
from distribution.models import InboxMessage, InboxRead
from remise.auth import Actor
from remise.i18n import translate

# kind → (subject, body), gettext msgids with the message's parameters.
TEXTS: dict[str, tuple[str, str]] = {
    "claim.expired": (
        N_("Reservation %(claim)s has ended"),
        N_(
            "The devices of reservation %(claim)s (%(devices)s) were not collected by "
            "%(expires)s: they are back in stock. Claim them again if you still need them."
        ),
    ),
    "claim.reminder": (
        N_("Reservation %(claim)s ends on %(expires)s"),
        N_(
            "Reservation %(claim)s holds %(devices)s for you until %(expires)s. Come and "
            "collect them before then, or cancel it so that others may have them."
        ),
    ),
    "claim.served": (
        N_("Devices reserved for you from the waitlist"),
        N_(
            "Devices you waited for are reserved for you in reservation %(claim)s: "
            "%(devices)s, until %(expires)s. %(left)s more still wait(s) in line."
        ),
    ),
    "fault.decided": (
        N_("Your fault report %(fault)s"),
        N_("Fault report %(fault)s about device %(device)s: %(decision)s. %(note)s"),
    ),
}


def notify(
    session: Session,
    structure: Structure,
    *,
    kind: str,
    params: dict[str, Any],
    now: str,
    claim_id: int | None = None,
    mail: bool = True,
) -> InboxMessage:
    """Put a message in the structure's inbox, and an e-mail to its contact in the
    outbox when `mail` (SMTP is set up) and it has an address; `now` is the caller's
    clock (a job's), as stored times are written."""
    message = InboxMessage(
        structure_id=structure.id or 0,
        kind=kind,
        params=params,
        claim_id=claim_id,
        created_at=now,
    )
    session.add(message)
    if mail and structure.contact_email:
        subject, body = said(message, "fr")
        session.add(
            MailOutbox(
                to_address=structure.contact_email,
                subject=subject,
                body=body + "\n\n— Remise\n",
                created_at=message.created_at,
                next_attempt_at=message.created_at,
            )
        )
    session.flush()
    return message


def said(message: InboxMessage, locale: str) -> tuple[str, str]:
    subject, body = TEXTS[message.kind]
    params = {key: _param(locale, value) for key, value in message.params.items()}
    return translate(locale, subject, **params), translate(locale, body, **params)


def _param(locale: str, value: Any) -> Any:
    if isinstance(value, dict) and "msgid" in value:  # a word said in the reader's language
        return translate(locale, value["msgid"])
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def read_of(message: InboxMessage, locale: str) -> InboxRead:
    subject, body = said(message, locale)
    return InboxRead(
        id=message.id or 0,
        kind=message.kind,
        text=f"{subject}. {body}",
        claim_id=message.claim_id,
        created_at=message.created_at,
        read_at=message.read_at,
    )


def messages_of(
    session: Session, structure_id: int, *, unread_only: bool = False
) -> Sequence[InboxMessage]:
    query = select(InboxMessage).where(col(InboxMessage.structure_id) == structure_id)
    if unread_only:
        query = query.where(col(InboxMessage.read_at).is_(None))
    return session.exec(query.order_by(col(InboxMessage.id).desc())).all()


def mark_read(session: Session, actor: Actor, message_id: int) -> InboxMessage:
    """Mark a message of the caller's structure read (again: nothing changes)."""
    message = session.get(InboxMessage, message_id)
    if message is None or message.structure_id != actor.structure_id:
        raise MessageNotFound(id=message_id)
    if message.read_at is None:
        message.read_at = now_iso()
        message.read_by = actor.ledger_name
        session.add(message)
        session.flush()
    return message
