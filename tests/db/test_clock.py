"""Stored times: one fixed-width UTC form that sorts like the instants it names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from db.clock import iso, now_iso

PARIS_WINTER = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 11, 23, 9, 30, tzinfo=UTC), "2026-11-23T09:30:00.000000Z"),
        (datetime(2026, 11, 23, 9, 30, tzinfo=PARIS_WINTER), "2026-11-23T08:30:00.000000Z"),
        (datetime(2026, 1, 1, 0, 0, 0, 7), "2026-01-01T00:00:00.000007Z"),  # naive = UTC
        (datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "2026-12-31T23:59:59.999999Z"),
    ],
)
def test_iso_is_utc_with_microseconds(moment: datetime, text: str) -> None:
    assert iso(moment) == text


def test_text_order_is_time_order() -> None:
    start = datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC)
    moments = [start + timedelta(microseconds=n * 777_777) for n in range(50)]
    assert sorted(iso(m) for m in moments) == [iso(m) for m in moments]


def test_now_iso_uses_the_injected_clock() -> None:
    assert now_iso(lambda: datetime(2030, 5, 1, tzinfo=UTC)) == "2030-05-01T00:00:00.000000Z"
