"""Background jobs (APScheduler), run inside the service process.

Each job owns its transaction and is idempotent, so that a job that runs twice,
or in two workers, does no harm. Tests call the job functions directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from db import ledger
from db.clock import utcnow
from db.engine import transaction
from distribution import jobs as distribution_jobs
from distribution.api import policy_of
from grading import jobs as grading_jobs
from intake import jobs as intake_jobs
from refurbish.erasure import sampling
from remise import accounts, idempotency, mail
from remise.auth import system_actor
from remise.settings import Settings
from reporting import flows

log = logging.getLogger("remise.jobs")


def check_ledger(engine: Engine) -> ledger.Verification:
    """Verify the whole chain; a break is logged as an error naming the first bad row."""
    with transaction(engine, read_only=True) as session:
        result = ledger.verify(session)
    if result.ok:
        log.info("ledger verified: %d events, head %s", result.checked, result.head)
    else:
        log.error("LEDGER BROKEN at event %s: %s", result.first_bad_seq, result.reason)
    return result


def forget_idempotency_keys(engine: Engine, *, days: int, now: datetime | None = None) -> int:
    """Drop the answers kept for retries once they are older than `days`."""
    with transaction(engine) as session:
        gone = idempotency.forget_older_than(session, days=days, now=now or utcnow())
    log.info("forgot %d idempotency keys older than %d days", gone, days)
    return gone


def forget_web_sessions(engine: Engine, *, now: datetime | None = None) -> int:
    """Drop the sign-ins that have expired (they already let nobody in)."""
    with transaction(engine) as session:
        gone = accounts.forget_expired_web_sessions(session, now=now or utcnow())
    log.info("forgot %d expired web sessions", gone)
    return gone


def remove_unneeded_files(
    engine: Engine, settings: Settings, *, now: datetime | None = None
) -> dict[str, int]:
    """Abandoned uploads and refused rows no longer needed (see `intake.jobs`)."""
    return intake_jobs.remove_unneeded_files(
        engine,
        settings.data_dir,
        upload_keep_hours=settings.upload_keep_hours,
        refused_rows_days=settings.refused_rows_days,
        now=now or utcnow(),
    )


def draw_erasure_sample(
    engine: Engine, settings: Settings, *, today: date | None = None
) -> sampling.Draw:
    """Queue last week's sample of erasures for re-verification (R2v3); a week already
    drawn is left as it is, so that a second worker or a rerun changes nothing."""
    with transaction(engine) as session:
        found = sampling.draw(
            session,
            system_actor("scheduler"),
            percent=settings.erasure_sample_percent,
            today=today or utcnow().date(),
        )
    log.info(
        "erasure sample of %s: %d of %d erasures%s",
        found.week,
        len(found.drawn),
        len(found.population),
        " (drawn before)" if found.already else "",
    )
    return found


def make_graded_available(engine: Engine, *, today: date | None = None) -> list[int]:
    """Graded devices whose data is now erased become available (see `grading.jobs`)."""
    with transaction(engine) as session:
        made = grading_jobs.make_available(
            session, system_actor("scheduler"), today=today or utcnow().date()
        )
    if made:
        log.info("made available once erased: %d devices", len(made))
    return made


def run_distribution(
    engine: Engine, settings: Settings, *, clock: Callable[[], datetime] = utcnow
) -> distribution_jobs.Tick:
    """Expired reservations back to stock, reminders, the waitlist served (see
    `distribution.jobs`); once across workers."""
    with transaction(engine) as session:
        done = distribution_jobs.tick(
            session,
            system_actor("scheduler"),
            policy=policy_of(settings, clock),
            mail=settings.smtp_url is not None,
        )
    if done.expired or done.reminded or done.served:
        log.info(
            "distribution: %d expired, %d reminded, %d waitlist entries served",
            len(done.expired),
            len(done.reminded),
            len(done.served),
        )
    return done


def count_flows(engine: Engine) -> flows.Counted:
    """Add the ledger's new events to the dashboard's flows per day (see `reporting.flows`)."""
    with transaction(engine) as session:
        return flows.count(session)


def send_mail(engine: Engine, settings: Settings, *, now: datetime | None = None) -> mail.Sent:
    """E-mail what the outbox holds, after the transactions that wrote it committed."""
    if settings.smtp_url is None:
        return mail.Sent()
    return mail.send_pending(engine, smtp_url=settings.smtp_url, sender=settings.mail_from, now=now)


def start(engine: Engine, settings: Settings) -> BackgroundScheduler:
    jobs = BackgroundScheduler(timezone="UTC")
    jobs.add_job(
        check_ledger,
        "interval",
        args=[engine],
        minutes=settings.ledger_check_interval_minutes,
        id="ledger-check",
        coalesce=True,
        max_instances=1,
    )
    jobs.add_job(
        forget_idempotency_keys,
        "interval",
        args=[engine],
        kwargs={"days": settings.idempotency_days},
        hours=24,
        id="idempotency-keys",
        coalesce=True,
        max_instances=1,
    )
    jobs.add_job(
        forget_web_sessions,
        "interval",
        args=[engine],
        hours=1,
        id="web-sessions",
        coalesce=True,
        max_instances=1,
    )
    jobs.add_job(
        remove_unneeded_files,
        "interval",
        args=[engine, settings],
        hours=1,
        id="intake-files",
        coalesce=True,
        max_instances=1,
    )
    jobs.add_job(
        make_graded_available,
        "interval",
        args=[engine],
        minutes=1,
        id="graded-available",
        coalesce=True,
        max_instances=1,
    )
    jobs.add_job(
        draw_erasure_sample,
        "cron",
        args=[engine, settings],
        day_of_week=settings.erasure_sample_weekday,
        hour=6,
        id="erasure-sample",
        coalesce=True,
        max_instances=1,
    )
    jobs.add_job(
        count_flows,
        "interval",
        args=[engine],
        minutes=1,
        id="flows",
        coalesce=True,
        max_instances=1,
    )
    jobs.add_job(
        run_distribution,
        "interval",
        args=[engine, settings],
        minutes=settings.distribution_interval_minutes,
        id="distribution",
        coalesce=True,
        max_instances=1,
    )
    if settings.smtp_url is not None:
        jobs.add_job(
            send_mail,
            "interval",
            args=[engine, settings],
            seconds=30,
            id="mail",
            coalesce=True,
            max_instances=1,
        )
    jobs.start()
    return jobs
