"""The dashboard's queries (`reporting.dashboard`), on SQLite and PostgreSQL, against
the rules they restate: which devices wait for their erasure is `db.media.outstanding`
device by device, a structure's quota use is `distribution.service.quota_use`, the
weeks are ISO weeks, and each list is ordered and counted as it says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from db import media
from db.engine import transaction
from db.enums import Category, Status
from db.models import Device, Structure
from distribution import service as distribution
from distribution.claims import ClaimPolicy, create_claim
from distribution.models import ClaimCreate
from distribution.service import QuotaPolicy
from refurbish.erasure import service as erasure
from refurbish.erasure.models import ErasureIn, MediumIn
from remise.i18n import localise
from reporting import dashboard
from reporting.models import FlowDay
from tests.distribution.test_catalog_api import stock
from tests.factories import ACTOR, make_device

CLEARED = {
    "level": "clear",
    "method": "overwrite",
    "verification": {"method": "full", "passed": True},
}
FAILED = {
    "level": "clear",
    "method": "overwrite",
    "verification": {"method": "full", "passed": False},
}
UNVERIFIED = {"level": "clear", "method": "overwrite", "verification": {"method": "none"}}
SHREDDED = {
    "level": "destroy",
    "method": "shred",
    "verification": {"method": "sampled", "passed": True},
}
NOW = datetime.now(UTC)


def disk(session: Session, device: Device, serial: str, replaces: int | None = None) -> int:
    data = MediumIn(type="ssd", manufacturer="Samsung", serial=serial)
    medium = erasure.add_medium(session, ACTOR, device, data, replaces_id=replaces)
    return medium.id or 0


def erase(session: Session, device: Device, medium_id: int, how: dict[str, Any]) -> None:
    data = ErasureIn.model_validate({"medium_id": medium_id, **how})
    erasure.record_erasure(session, ACTOR, code=device.code, data=data, device=device)


def with_media(session: Session, status: Status, *steps: tuple[str, dict[str, Any] | None]) -> str:
    """A device of `status` with a disk per step: (serial, how it was erased, or None)."""
    device = make_device(session, status=status)
    for serial, how in steps:
        medium = disk(session, device, serial)
        if how is not None:
            erase(session, device, medium, how)
    return device.code


def test_the_devices_held_up_are_those_whose_data_db_media_does_not_call_erased(
    engine: Engine,
) -> None:
    with transaction(engine) as session:
        expected_held = {
            make_device(session, status=Status.GRADED).code,  # no medium: nobody looked
            with_media(session, Status.REFURBISHED, ("A1", None)),  # never erased
            with_media(session, Status.GRADED, ("A2", FAILED)),
            with_media(session, Status.GRADED, ("A3", UNVERIFIED)),
            with_media(session, Status.GRADED, ("A4", SHREDDED)),  # nothing fitted instead
            with_media(session, Status.REFURBISHED, ("A5", CLEARED), ("A6", None)),
        }
        reverified = with_media(session, Status.GRADED, ("A7", CLEARED))
        device = session.exec(select(Device).where(Device.code == reverified)).one()
        erase(session, device, media.media_of(session, device.id or 0)[0].id or 0, FAILED)
        expected_held.add(reverified)  # its newest record decides
        erased_again = with_media(session, Status.GRADED, ("A8", FAILED))
        device = session.exec(select(Device).where(Device.code == erased_again)).one()
        erase(session, device, media.media_of(session, device.id or 0)[0].id or 0, CLEARED)
        replaced = make_device(session, status=Status.GRADED)
        shredded = disk(session, replaced, "B1")
        erase(session, replaced, shredded, SHREDDED)
        erase(session, replaced, disk(session, replaced, "B2", replaces=shredded), CLEARED)
        with_media(session, Status.GRADED, ("A9", CLEARED))
        make_device(session, status=Status.GRADED, category=Category.OTHER)  # holds no data
        make_device(session, status=Status.AVAILABLE)  # not refurbished nor graded
        make_device(session, status=Status.IN_REFURBISHMENT)
    with transaction(engine, read_only=True) as session:
        found = dashboard.unerased(session, now=NOW, limit=100)
        candidates = session.exec(
            select(Device).where(Device.status.in_(["refurbished", "graded"]))  # type: ignore[attr-defined]
        ).all()
        outstanding = {
            d.code: media.outstanding(session, d.id or 0, d.category) for d in candidates
        }
    assert {b.code for b in found.rows} == expected_held
    assert {code for code, why in outstanding.items() if why} == expected_held
    for blocked in found.rows:  # the same reasons as the device page gives
        said = [localise("en", r) for r in blocked.reasons]
        assert said == [localise("en", r) for r in outstanding[blocked.code]]
    assert found.total == len(expected_held)
    since = [b.since for b in found.rows]
    assert since == sorted(since)  # waiting longest first
    with transaction(engine, read_only=True) as session:
        first = dashboard.unerased(session, now=NOW, limit=2)
    assert [b.code for b in first.rows] == [b.code for b in found.rows[:2]]
    assert first.more == len(expected_held) - 2


def test_the_quota_use_of_every_structure_is_what_distribution_counts(engine: Engine) -> None:
    policy = QuotaPolicy()
    with transaction(engine) as session:
        for name, quotas in (("Alpha", {"laptop": 2}), ("Beta", {"laptop": 5, "tablet": 1})):
            structure = distribution.ensure_structure(session, ACTOR, name=name)
            structure.status, structure.quotas = "active", quotas
            session.add(structure)
        session.flush()
        for name, laptops in (("Alpha", 2), ("Beta", 1)):
            found = session.exec(select(Structure).where(Structure.name == name)).one()
            wanted = [stock(session) for _ in range(laptops)]
            data = ClaimCreate(device_codes=wanted, structure_id=found.id)
            assert create_claim(session, ACTOR, data=data, policy=ClaimPolicy()).claim
    with transaction(engine, read_only=True) as session:
        found = dashboard.structures(session, now=NOW, quotas=policy)
        today = NOW.astimezone(policy.zone).date()
        for use in found.active.rows:
            structure = session.get(Structure, use.id)
            assert structure is not None
            expected = distribution.quota_use(session, structure, policy, today)
            assert {ln.category: (ln.quota, ln.used, ln.remaining) for ln in use.lines} == {
                c: (u.quota, u.used, u.remaining) for c, u in expected.items()
            }
    assert [u.name for u in found.active.rows] == ["Alpha", "Beta"]  # the fullest first
    assert [(ln.category, ln.used) for ln in found.active.rows[0].lines] == [("laptop", 2)]
    assert found.period == policy.period(today)


@pytest.mark.parametrize(
    ("today", "first_monday", "last_week"),
    [
        (date(2026, 12, 4), date(2026, 9, 14), (2026, 49)),
        (date(2027, 1, 3), date(2026, 10, 12), (2026, 53)),  # a Sunday of ISO week 53
        (date(2027, 1, 4), date(2026, 10, 19), (2027, 1)),
    ],
)
def test_the_throughput_counts_twelve_iso_weeks_from_flow_day(
    engine: Engine, today: date, first_monday: date, last_week: tuple[int, int]
) -> None:
    with transaction(engine) as session:
        for day, flow, devices in (
            (today, "received", 4),
            (today - timedelta(days=today.weekday()), "refurbished", 3),  # its Monday
            (first_monday, "handed_over", 2),
            (first_monday - timedelta(days=1), "handed_over", 50),  # a week too early
        ):
            session.add(FlowDay(day=day.isoformat(), flow=flow, devices=devices))
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23)
    with transaction(engine, read_only=True) as session:
        found = dashboard.throughput(session, now=now)
    assert len(found.weeks) == 12 and found.weeks[0].monday == first_monday
    assert (found.weeks[-1].year, found.weeks[-1].week) == last_week
    assert found.weeks[-1].devices["received"] == 4
    assert found.weeks[-1].devices["refurbished"] == 3
    assert found.weeks[0].devices["handed_over"] == 2
    assert sum(w.devices["handed_over"] for w in found.weeks) == 2
    assert found.counted_to is None  # the job never ran here


def test_the_backlog_lists_the_devices_waiting_longest_at_each_stage(engine: Engine) -> None:
    with transaction(engine) as session:
        received = [make_device(session).code for _ in range(7)]
        make_device(session, status=Status.LABELLED)
    later = datetime.now(UTC) + timedelta(days=9)
    with transaction(engine, read_only=True) as session:
        stages = {s.status: s for s in dashboard.backlog(session, now=later)}
    assert list(stages) == [s.value for s in dashboard.PIPELINE]
    assert stages["received"].devices == 7
    assert [w.code for w in stages["received"].oldest] == received[:5]  # LIMIT 5, oldest first
    assert stages["received"].oldest_days == 9 and stages["labelled"].devices == 1
    assert stages["reserved"].devices == 0 and stages["reserved"].oldest_days is None
