"""The period a donor's report covers: whole days, first and last included, in the
installation's time zone (by default the current calendar year)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Query

from db.clock import iso
from db.errors import N_, Invalid

BAD_DATE = N_("A date is expected, such as 2026-11-23.")
# Days a report may start or end on: a stored time names an instant between these (the
# ledger's times start in 1970), and a day past 9998 has no midnight after it to compute.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)
OUT_OF_RANGE = N_("A date from 1970 to 2999 is expected.")
END_BEFORE_START = N_("The end of the period is before its start.")
NO_SUCH_DONOR = N_("Choose a donor in the list.")


class PeriodReversed(Invalid):
    code = "period_reversed"
    message = N_("The period ends (%(end)s) before it starts (%(start)s).")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    def bounds(self, zone: ZoneInfo) -> tuple[str, str]:
        """The instants the period runs between, as stored times: from its first day's
        midnight, up to (not including) the midnight after its last day."""
        after = self.end + timedelta(days=1)
        return _midnight(self.start, zone), _midnight(after, zone)

    def query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


def _midnight(day: date, zone: ZoneInfo) -> str:
    return iso(datetime.combine(day, time.min, tzinfo=zone))


def year_of(today: date) -> Period:
    return Period(date(today.year, 1, 1), date(today.year, 12, 31))


def checked(start: date | None, end: date | None, today: date) -> Period:
    """The period from `start` to `end`, each defaulting to the current year's first or
    last day. Raises PeriodReversed."""
    year = year_of(today)
    period = Period(start or year.start, end or year.end)
    if period.end < period.start:
        raise PeriodReversed(start=period.start.isoformat(), end=period.end.isoformat())
    return period


def typed(start: str, end: str, today: date) -> tuple[Period | None, dict[str, str]]:
    """The period typed in a page's `from` and `to` fields, or each field's problem as a
    msgid (an empty field takes the current year's bound)."""
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name, text in (("from", start), ("to", end)):
        day, problem = _day(text.strip())
        days[name] = day
        if problem is not None:
            errors[name] = problem
    if errors:
        return None, errors
    try:
        return checked(days["from"], days["to"], today), {}
    except PeriodReversed:
        return None, {"to": END_BEFORE_START}


def _day(text: str) -> tuple[date | None, str | None]:
    """The day `text` names (None if empty), or why it names none."""
    if not text:
        return None, None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, BAD_DATE
    return (day, None) if FIRST_DAY <= day <= LAST_DAY else (None, OUT_OF_RANGE)


# The query parameters of a period, for the API and the PDF.
From = Annotated[
    date | None,
    Query(
        alias="from",
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="first day (default: 1 January this year)",
    ),
]
To = Annotated[
    date | None,
    Query(
        alias="to",
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="last day (default: 31 December this year)",
    ),
]
