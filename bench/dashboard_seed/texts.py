"""The words and numbers the seeded rows carry: times as Remise stores them, device
codes, names, places, prices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from db import codes
from db.clock import iso

PEOPLE = ("camille", "jeanne", "malik", "sophie", "yanis", "lea", "hugo", "ines", "nadia")
SITES = ("Nantes", "Rezé", "Saint-Herblain", "Lyon", "Villeurbanne", "Lille", "Roubaix")
SITES += ("Marseille", "Toulouse", "Rennes", "Bordeaux", "Strasbourg", "Montreuil")
DEPARTEMENTS = ("44", "69", "59", "13", "31", "35", "33", "67", "93", "75", "92", "34")
MODELS = {
    "laptop": (("Dell", "Latitude 5490"), ("Lenovo", "ThinkPad T480"), ("HP", "EliteBook 840 G5")),
    "desktop": (("Dell", "OptiPlex 7050"), ("HP", "ProDesk 600 G3"), ("Lenovo", "M910q")),
    "smartphone": (("Samsung", "Galaxy A52"), ("Apple", "iPhone 8"), ("Fairphone", "4")),
    "tablet": (("Apple", "iPad 6"), ("Samsung", "Galaxy Tab A"), ("Lenovo", "Tab M10")),
    "basic_phone": (("Nokia", "105"), ("Alcatel", "2019G"), ("Doro", "6820")),
    "other": (("Logitech", "K120"), ("Dell", "P2419H"), ("Brother", "HL-L2350DW")),
}
PRICES = {  # solidarity price in cents per grade A, B, C (the default grid's order of size)
    "laptop": (15000, 10000, 6000),
    "desktop": (8000, 5000, 3000),
    "smartphone": (9000, 6000, 3500),
    "tablet": (8000, 5500, 3000),
    "basic_phone": (2000, 1500, 1000),
    "other": (2000, 1000, 500),
}
_SCRAMBLE = 0x5DEECE66D  # odd: multiplying by it permutes the 35-bit code space


def as_json(value: Any) -> str:
    """Canonical JSON text (sorted keys, no spaces), as Remise writes its JSON columns."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def price(category: str, grade: str | None) -> int | None:
    return None if grade is None else PRICES[category]["ABC".index(grade)]


def code_of(device_id: int) -> str:
    """A valid device code, distinct for every id below 32**7."""
    x = device_id * _SCRAMBLE % codes.BASE**codes.DATA_LENGTH
    data = ""
    for _ in range(codes.DATA_LENGTH):
        x, symbol = divmod(x, codes.BASE)
        data += codes.ALPHABET[symbol]
    return data + codes.check_symbol(data)


def person(key: int) -> str:
    return PEOPLE[key % len(PEOPLE)]


class Stamps:
    """Seconds after `start` as Remise stores instants (`db.clock.iso`), the day's part
    worded once a day: the ledger formats millions of them."""

    def __init__(self, start: datetime) -> None:
        start = start.astimezone(UTC)
        self.origin = int(start.timestamp())
        self._days: dict[int, str] = {}
        self._clock = [
            f"{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60)
        ]

    def at(self, seconds: int, micro: int = 0) -> str:
        day, second = divmod(self.origin + seconds, 86_400)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = iso(datetime.fromtimestamp(day * 86_400, UTC))[:11]
        return f"{prefix}{self._clock[second]}{micro:06d}Z"

    def date(self, seconds: int) -> str:
        return self.at(seconds)[:10]
