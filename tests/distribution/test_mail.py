"""E-mail to structures: written to the outbox in the transaction that has something to
say, sent after it commits to a real SMTP server on 127.0.0.1 (aiosmtpd), retried
with a growing delay when the server cannot be reached, given up after the last try."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlmodel import col, select

from db import codes
from db.clock import iso, parse_iso, utcnow
from db.engine import transaction
from db.models import MailOutbox
from distribution import jobs as distribution_jobs
from distribution.api import policy_of
from distribution.models import Claim
from remise.auth import system_actor
from remise.mail import MAX_ATTEMPTS, BadSmtpUrl, Sent, Server
from remise.scheduler import run_distribution, send_mail
from remise.settings import Settings
from tests.distribution.test_jobs import Clock, active_structure, claim, inbox, stock

CONTACT = "accueil@maison-quartier.example.org"


class Sink:
    """An SMTP handler that keeps what it is given."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(BytesParser(policy=default).parsebytes(envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    """A running SMTP server on 127.0.0.1 and its port."""
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A port held, and listened on by nobody: connecting is refused at once."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


def smtp_to(settings: Settings, port: int) -> Settings:
    return settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})


def outbox(engine: Engine) -> list[MailOutbox]:
    with transaction(engine, read_only=True) as session:
        return list(session.exec(select(MailOutbox).order_by(col(MailOutbox.id))).all())


def expired_claim(engine: Engine, settings: Settings, clock: Clock) -> tuple[Claim, str]:
    """A claim of one device, by a structure with a contact address, past its hold."""
    staff = active_structure(engine, email=CONTACT)
    code = stock(engine, 1)[0]
    made = claim(engine, staff, policy_of(settings, clock), device_codes=[code]).claim
    assert made is not None
    clock.turn(days=settings.claim_hold_days)
    return made, code


def wall_clock() -> Clock:
    # The outbox is stamped with the wall clock (see the last test): start from it.
    return Clock(utcnow())


def test_an_expiry_mail_goes_with_the_run_and_is_sent_once_after_commit(
    engine: Engine, settings: Settings, sink: tuple[Sink, int]
) -> None:
    server, port = sink
    live, clock = smtp_to(settings, port), wall_clock()
    made, code = expired_claim(engine, live, clock)
    job = system_actor("scheduler")
    with transaction(engine) as session:
        done = distribution_jobs.tick(session, job, policy=policy_of(live, clock), mail=True)
        assert done.expired == [made.id]
        assert outbox(engine) == []  # another connection sees nothing yet
    assert server.mails == []
    [mail] = outbox(engine)
    assert (mail.to_address, mail.attempts, mail.sent_at) == (CONTACT, 0, None)
    assert send_mail(engine, live, now=clock()) == Sent(sent=[mail.id or 0])
    [got] = server.mails
    assert (got["To"], got["From"], got["Subject"]) == (CONTACT, live.mail_from, mail.subject)
    assert str(made.id) in got["Subject"] and codes.display(code) in got.get_content()
    assert outbox(engine)[0].sent_at == iso(clock())
    assert send_mail(engine, live, now=clock.turn(hours=1)) == Sent()
    assert len(server.mails) == 1


def test_a_run_rolled_back_leaves_no_mail(
    engine: Engine, settings: Settings, sink: tuple[Sink, int]
) -> None:
    server, port = sink
    live, clock = smtp_to(settings, port), wall_clock()
    made, _code = expired_claim(engine, live, clock)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        job = system_actor("scheduler")
        distribution_jobs.tick(session, job, policy=policy_of(live, clock), mail=True)
        raise RuntimeError("the run fails after writing")
    assert outbox(engine) == []
    assert send_mail(engine, live, now=clock()) == Sent() and server.mails == []
    with transaction(engine, read_only=True) as session:
        still = session.get(Claim, made.id)
        assert still is not None and still.state == "reserved"


def test_without_smtp_a_reminder_goes_to_the_inbox_only(engine: Engine, settings: Settings) -> None:
    clock = wall_clock()
    staff = active_structure(engine, email=CONTACT)
    made = claim(engine, staff, policy_of(settings, clock), device_codes=stock(engine, 1)).claim
    assert made is not None and settings.smtp_url is None
    clock.turn(days=settings.claim_hold_days - settings.claim_reminder_days)
    assert run_distribution(engine, settings, clock=clock).reminded == [made.id]
    assert outbox(engine) == [] and inbox(engine, staff) == [("claim.reminder", made.id)]


def test_the_scheduled_run_mails_a_reminder(
    engine: Engine, settings: Settings, sink: tuple[Sink, int]
) -> None:
    server, port = sink
    live, clock = smtp_to(settings, port), wall_clock()
    staff = active_structure(engine, email=CONTACT)
    made = claim(engine, staff, policy_of(live, clock), device_codes=stock(engine, 1)).claim
    assert made is not None
    clock.turn(days=settings.claim_hold_days - settings.claim_reminder_days)
    assert run_distribution(engine, live, clock=clock).reminded == [made.id]
    [mail] = outbox(engine)
    assert send_mail(engine, live, now=clock()) == Sent(sent=[mail.id or 0])
    [got] = server.mails
    assert got["To"] == CONTACT and str(made.id) in got["Subject"]
    assert made.expires_at[:10] in got["Subject"]


def test_an_unreachable_server_is_tried_again_later(
    engine: Engine, settings: Settings, sink: tuple[Sink, int], dead_port: int
) -> None:
    server, port = sink
    live, down, clock = smtp_to(settings, port), smtp_to(settings, dead_port), wall_clock()
    expired_claim(engine, live, clock)
    run_distribution(engine, live, clock=clock)
    [mail] = outbox(engine)
    tried = clock()
    assert send_mail(engine, down, now=tried) == Sent(retry=[mail.id or 0])
    [kept] = outbox(engine)
    assert (kept.attempts, kept.sent_at, kept.failed) == (1, None, False)
    assert kept.last_error and kept.next_attempt_at == iso(tried + timedelta(minutes=1))
    assert send_mail(engine, live, now=clock.turn(seconds=30)) == Sent()  # not due yet
    assert server.mails == []
    assert send_mail(engine, live, now=clock.turn(seconds=30)) == Sent(sent=[mail.id or 0])
    assert [m["To"] for m in server.mails] == [CONTACT]
    assert outbox(engine)[0].attempts == 2


def test_a_mail_is_given_up_after_its_last_attempt(
    engine: Engine, settings: Settings, sink: tuple[Sink, int], dead_port: int
) -> None:
    server, port = sink
    live, down, clock = smtp_to(settings, port), smtp_to(settings, dead_port), wall_clock()
    expired_claim(engine, live, clock)
    run_distribution(engine, live, clock=clock)
    mail_id = outbox(engine)[0].id or 0
    now, delays = clock(), []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        last = attempt == MAX_ATTEMPTS
        assert send_mail(engine, down, now=now) == (
            Sent(failed=[mail_id]) if last else Sent(retry=[mail_id])
        )
        later = parse_iso(outbox(engine)[0].next_attempt_at)
        delays.append(later - now)
        now = later
    assert delays[:-1] == [timedelta(minutes=2**n) for n in range(MAX_ATTEMPTS - 1)]
    [given_up] = outbox(engine)
    assert given_up.failed and given_up.attempts == MAX_ATTEMPTS and given_up.last_error
    assert send_mail(engine, live, now=now + timedelta(days=1)) == Sent()
    assert server.mails == []


def test_the_mail_is_in_french(engine: Engine, settings: Settings, sink: tuple[Sink, int]) -> None:
    server, port = sink
    live, clock = smtp_to(settings, port), wall_clock()
    made, _code = expired_claim(engine, live, clock)
    run_distribution(engine, live, clock=clock)
    send_mail(engine, live, now=clock())
    [got] = server.mails
    assert got["Subject"] != f"Reservation {made.id} has ended"  # the English msgid
    assert "back in stock" not in got.get_content()


def test_a_mail_written_by_a_run_is_due_at_that_run_s_time(
    engine: Engine, settings: Settings, sink: tuple[Sink, int]
) -> None:
    _server, port = sink
    live, clock = smtp_to(settings, port), Clock(datetime(2026, 2, 2, 10, 0, tzinfo=UTC))
    expired_claim(engine, live, clock)
    run_distribution(engine, live, clock=clock)
    assert len(send_mail(engine, live, now=clock()).sent) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1", Server("127.0.0.1", 25, "none")),
        ("smtp://mail.example.org:2525", Server("mail.example.org", 2525, "none")),
        ("smtps://mail.example.org", Server("mail.example.org", 465, "tls")),
        ("smtp+starttls://mail.example.org", Server("mail.example.org", 587, "starttls")),
        ("smtp://remise:s3cret@mx:26", Server("mx", 26, "none", "remise", "s3cret")),
        ("smtps://a%40b.org:p%3Ass@mx", Server("mx", 465, "tls", "a@b.org", "p:ss")),
        ("smtp+starttls://u:@mx:588", Server("mx", 588, "starttls", "u", None)),
    ],
)
def test_an_smtp_url_is_read(url: str, expected: Server) -> None:
    assert Server.parse(url) == expected


@pytest.mark.parametrize(
    "url", ["http://mx.example.org", "smtp://", "smtp:///path", "mailto:a@b.org", "mx:25", ""]
)
def test_a_bad_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(BadSmtpUrl):
        Server.parse(url)


@pytest.mark.parametrize("url", ["smtp://mx:99999", "smtp://mx:port"])
def test_a_bad_port_is_refused_as_a_bad_smtp_url(url: str) -> None:
    with pytest.raises(BadSmtpUrl):
        Server.parse(url)
