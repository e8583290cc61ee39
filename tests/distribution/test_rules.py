"""Distribution's pure rules as tables: quota periods and their boundaries, what a quota
leaves, when a claim expires and is reminded, and how long a device stays under warranty
(the end of a short month, leap years)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from distribution import rules

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2025, 6, 10, 9, 30, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("day", "length", "start", "end"),
    [
        (date(2025, 1, 1), "month", date(2025, 1, 1), date(2025, 2, 1)),
        (date(2025, 1, 31), "month", date(2025, 1, 1), date(2025, 2, 1)),
        (date(2024, 2, 29), "month", date(2024, 2, 1), date(2024, 3, 1)),
        (date(2025, 12, 31), "month", date(2025, 12, 1), date(2026, 1, 1)),
        (date(2025, 1, 1), "quarter", date(2025, 1, 1), date(2025, 4, 1)),
        (date(2025, 3, 31), "quarter", date(2025, 1, 1), date(2025, 4, 1)),
        (date(2025, 4, 1), "quarter", date(2025, 4, 1), date(2025, 7, 1)),
        (date(2025, 6, 30), "quarter", date(2025, 4, 1), date(2025, 7, 1)),
        (date(2025, 7, 1), "quarter", date(2025, 7, 1), date(2025, 10, 1)),
        (date(2025, 9, 30), "quarter", date(2025, 7, 1), date(2025, 10, 1)),
        (date(2025, 10, 1), "quarter", date(2025, 10, 1), date(2026, 1, 1)),
        (date(2025, 12, 31), "quarter", date(2025, 10, 1), date(2026, 1, 1)),
        (date(2025, 1, 1), "year", date(2025, 1, 1), date(2026, 1, 1)),
        (date(2024, 2, 29), "year", date(2024, 1, 1), date(2025, 1, 1)),
        (date(2025, 12, 31), "year", date(2025, 1, 1), date(2026, 1, 1)),
    ],
)
def test_period_of_a_day(day: date, length: rules.PeriodLength, start: date, end: date) -> None:
    assert rules.period_of(day, length) == rules.Period(start, end)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        # Winter: Paris is UTC+1, so the quarter starts at 23:00 UTC the day before.
        (
            rules.Period(date(2025, 1, 1), date(2025, 4, 1)),
            "2024-12-31T23:00:00.000000Z",
            "2025-03-31T22:00:00.000000Z",
        ),
        # Summer time (UTC+2) from the last Sunday of March to the last of October.
        (
            rules.Period(date(2025, 7, 1), date(2025, 10, 1)),
            "2025-06-30T22:00:00.000000Z",
            "2025-09-30T22:00:00.000000Z",
        ),
    ],
)
def test_a_period_starts_at_midnight_in_the_associations_time_zone(
    period: rules.Period, start: str, end: str
) -> None:
    assert period.bounds(PARIS) == (start, end)


def test_a_period_in_utc_starts_at_midnight_utc() -> None:
    period = rules.Period(date(2025, 4, 1), date(2025, 7, 1))
    assert period.bounds(ZoneInfo("UTC")) == (
        "2025-04-01T00:00:00.000000Z",
        "2025-07-01T00:00:00.000000Z",
    )


@pytest.mark.parametrize(
    ("quota", "used", "left"),
    [
        (None, 0, 0),  # a category without a quota leaves nothing
        (0, 0, 0),
        (10, 0, 10),
        (10, 3, 7),
        (10, 9, 1),
        (10, 10, 0),
        (10, 12, 0),  # a quota lowered below its use leaves nothing, never less
        (None, 4, 0),
    ],
)
def test_remaining(quota: int | None, used: int, left: int) -> None:
    assert rules.remaining(quota, used) == left


@pytest.mark.parametrize(
    ("reserved", "days", "expires"),
    [
        (NOW, 14, NOW + timedelta(days=14)),
        (NOW, 1, NOW + timedelta(days=1)),
        (NOW, 0, NOW),
        (datetime(2024, 2, 20, tzinfo=UTC), 14, datetime(2024, 3, 5, tzinfo=UTC)),
    ],
)
def test_expiry(reserved: datetime, days: int, expires: datetime) -> None:
    assert rules.expiry(reserved, hold_days=days) == expires


@pytest.mark.parametrize(
    ("expires", "days", "due"),
    [
        (NOW + timedelta(days=3), 3, True),  # exactly three days before: reminded
        (NOW + timedelta(days=3) + TICK, 3, False),  # a moment more: not yet
        (NOW + timedelta(days=1), 3, True),
        (NOW + TICK, 3, True),
        (NOW, 3, False),  # already over: expired, not reminded
        (NOW - timedelta(days=1), 3, False),
        (NOW + timedelta(days=1), 0, False),  # reminders turned off
        (NOW + timedelta(days=7), 7, True),
    ],
)
def test_reminder_due(expires: datetime, days: int, due: bool) -> None:
    assert rules.reminder_due(expires, now=NOW, reminder_days=days) is due


@pytest.mark.parametrize(
    ("handed_over", "months", "end"),
    [
        (date(2025, 3, 15), 12, date(2026, 3, 15)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),  # the month's last day
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # a leap year's February
        (date(2025, 1, 30), 1, date(2025, 2, 28)),
        (date(2025, 1, 28), 1, date(2025, 2, 28)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2023, 2, 28), 12, date(2024, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 31), 12, date(2026, 12, 31)),
        (date(2025, 12, 1), 1, date(2026, 1, 1)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 5, 10), 0, date(2025, 5, 10)),
        (date(2025, 5, 10), 24, date(2027, 5, 10)),
    ],
)
def test_warranty_end(handed_over: date, months: int, end: date) -> None:
    assert rules.warranty_end(handed_over, months=months) == end


@pytest.mark.parametrize(
    ("handed_over", "today", "months", "covered"),
    [
        (date(2025, 3, 15), date(2025, 3, 15), 12, True),  # the day it was given
        (date(2025, 3, 15), date(2026, 3, 15), 12, True),  # the last day
        (date(2025, 3, 15), date(2026, 3, 16), 12, False),  # the day after
        (date(2025, 1, 31), date(2025, 2, 28), 1, True),
        (date(2025, 1, 31), date(2025, 3, 1), 1, False),
        (date(2024, 1, 31), date(2024, 2, 29), 1, True),
        (date(2024, 1, 31), date(2024, 3, 1), 1, False),
        (date(2024, 2, 29), date(2025, 2, 28), 12, True),
        (date(2024, 2, 29), date(2025, 3, 1), 12, False),
    ],
)
def test_under_warranty(handed_over: date, today: date, months: int, covered: bool) -> None:
    assert rules.under_warranty(handed_over, today, months=months) is covered
