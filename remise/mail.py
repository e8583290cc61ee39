"""E-mail out of `mail_outbox`, after the transactions that wrote it have committed.

A run leases the mails that are due (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so that
two workers never take the same one), commits the lease, sends them outside any
transaction (a slow server holds no lock), then records each one sent, or its error
and when to try again: 1, 2, 4… minutes later, up to `MAX_ATTEMPTS`, after which it
is marked failed and logged. A worker that dies after sending but before recording
leaves the lease to run out, and the mail goes again: at least once, never lost.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine
from sqlmodel import col, select

from db.clock import iso, utcnow
from db.engine import transaction
from db.models import MailOutbox

log = logging.getLogger("remise.mail")
MAX_ATTEMPTS = 8
BATCH = 50
LEASE = timedelta(minutes=5)
TIMEOUT_S = 20


class BadSmtpUrl(ValueError):
    pass


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str  # "none", "tls" (smtps) or "starttls"
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> Server:
        """`smtp://[user:password@]host[:port]`, `smtps://` (TLS), `smtp+starttls://`."""
        parts = urlsplit(url)
        security = {"smtp": "none", "smtps": "tls", "smtp+starttls": "starttls"}.get(parts.scheme)
        if security is None or not parts.hostname:
            raise BadSmtpUrl(
                f"{url!r}: an SMTP URL reads smtp://host:port, smtps://… or smtp+starttls://…"
            )
        default = {"none": 25, "tls": 465, "starttls": 587}[security]
        try:
            port = parts.port
        except ValueError as exc:  # smtp://host:99999, smtp://host:port
            raise BadSmtpUrl(f"{url!r}: the port is a number from 1 to 65535") from exc
        return cls(
            host=parts.hostname,
            port=port or default,
            security=security,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=TIMEOUT_S, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S)
            if self.security == "starttls":
                client.starttls(context=ssl.create_default_context())
        if self.user:
            client.login(self.user, self.password or "")
        return client


@dataclass
class Sent:
    sent: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(0, attempts - 1), 360))


def _lease(engine: Engine, now: datetime) -> list[MailOutbox]:
    with transaction(engine) as session:
        due = list(
            session.exec(
                select(MailOutbox)
                .where(
                    col(MailOutbox.sent_at).is_(None),
                    col(MailOutbox.failed).is_(False),
                    col(MailOutbox.next_attempt_at) <= iso(now),
                )
                .order_by(col(MailOutbox.id))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
        )
        for mail in due:
            mail.attempts += 1
            mail.next_attempt_at = iso(now + LEASE)
            session.add(mail)
    return due


def send_pending(
    engine: Engine,
    *,
    smtp_url: str,
    sender: str,
    now: datetime | None = None,
    connect: Callable[[], smtplib.SMTP] | None = None,
) -> Sent:
    """Send what is due in the outbox; returns which mails went, wait, or gave up."""
    now = now or utcnow()
    due = _lease(engine, now)
    done = Sent()
    if not due:
        return done
    outcome: dict[int, str | None] = {}
    try:
        client = (connect or Server.parse(smtp_url).connect)()
    except (OSError, smtplib.SMTPException) as exc:
        outcome = {mail.id or 0: f"cannot reach the server: {exc}" for mail in due}
    else:
        with client:
            for mail in due:
                outcome[mail.id or 0] = _send(client, mail, sender)
    _record(engine, due, outcome, now, done)
    return done


def _send(client: smtplib.SMTP, mail: MailOutbox, sender: str) -> str | None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, mail.to_address, mail.subject
    message.set_content(mail.body)
    try:
        client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return str(exc)[:500]
    return None


def _record(
    engine: Engine, due: list[MailOutbox], outcome: dict[int, str | None], now: datetime, done: Sent
) -> None:
    with transaction(engine) as session:
        for leased in due:
            mail = session.get(MailOutbox, leased.id)
            assert mail is not None
            error = outcome.get(mail.id or 0)
            if error is None:
                mail.sent_at = iso(now)
                done.sent.append(mail.id or 0)
            elif mail.attempts >= MAX_ATTEMPTS:
                mail.failed, mail.last_error = True, error
                done.failed.append(mail.id or 0)
                log.error("gave up e-mail %s to %s: %s", mail.id, mail.to_address, error)
            else:
                mail.last_error = error
                mail.next_attempt_at = iso(now + backoff(mail.attempts))
                done.retry.append(mail.id or 0)
                log.warning("e-mail %s to %s will be retried: %s", mail.id, mail.to_address, error)
            session.add(mail)
