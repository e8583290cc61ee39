"""Distribution's rules, pure: the quota period, what a quota leaves, when a claim
expires and is reminded, whether a device is still under warranty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from db.clock import iso

PeriodLength = Literal["month", "quarter", "year"]
_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Period:
    """A calendar period, `start` included and `end` (the next one's first day) not."""

    start: date
    end: date

    def bounds(self, zone: ZoneInfo) -> tuple[str, str]:
        """The period's first and after-last instants, as the tables store times (UTC):
        a quarter starts at midnight in the association's time zone."""
        return _instant(self.start, zone), _instant(self.end, zone)


def _instant(day: date, zone: ZoneInfo) -> str:
    return iso(datetime.combine(day, time(), tzinfo=zone).astimezone(UTC))


def _month_start(year: int, month: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1)


def period_of(day: date, length: PeriodLength) -> Period:
    """The calendar month, quarter (January, April, July, October) or year of `day`."""
    months = _MONTHS[length]
    first = (day.month - 1) // months * months + 1
    return Period(_month_start(day.year, first), _month_start(day.year, first + months))


def remaining(quota: int | None, used: int) -> int:
    """What a quota leaves; a category without a quota leaves nothing."""
    return max(0, (quota or 0) - used)


def expiry(reserved: datetime, *, hold_days: int) -> datetime:
    return reserved + timedelta(days=hold_days)


def reminder_due(expires: datetime, *, now: datetime, reminder_days: int) -> bool:
    """Whether a held claim should be reminded now: within `reminder_days` of its end."""
    return reminder_days > 0 and now < expires <= now + timedelta(days=reminder_days)


def under_warranty(handed_over: date, today: date, *, months: int) -> bool:
    return today <= warranty_end(handed_over, months=months)


def warranty_end(handed_over: date, *, months: int) -> date:
    """The last day a device handed over on `handed_over` may be reported faulty: the
    same day `months` later, or that month's last (31 January + 1 month: 28 February)."""
    start = _month_start(handed_over.year, handed_over.month + months)
    last = (_month_start(start.year, start.month + 1) - timedelta(days=1)).day
    return start.replace(day=min(handed_over.day, last))
