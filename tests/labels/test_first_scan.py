"""The first scan of the continuous mode, through the page's route, on both backends: only
a batch label or a known location's label opens a reception or a stock-take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import select

from db import codes, ledger
from db.engine import transaction
from db.enums import Role
from db.models import Batch, Device, Donor, LedgerEvent
from labels import locations
from remise.auth import system_actor
from tests.factories import make_device
from tests.web.test_pages import csrf_of, make_user, sign_in

SCAN = "/bench/continuous/scan"
UNKNOWN = "LOC-7K3Q" + codes.check_symbol("7K3Q")  # well formed; no location has it
MISTYPED = "LOC-7K3R" + codes.check_symbol("7K3Q")


@dataclass
class Bench:
    client: TestClient
    csrf: str
    batch_id: int
    in_batch: list[str]  # display codes
    shelf: str  # LOC-… code of « Étagère A1 »
    on_shelf: str  # display code of the device already there
    elsewhere: str  # display code of a device of no batch, kept nowhere

    def scan(self, text: str, **context: Any) -> Any:
        body = {"text": text, "already": []} | context
        return self.client.post(SCAN, json=body, headers={"X-CSRF-Token": self.csrf})


def _typed_on_azerty(text: str) -> str:
    """What a QWERTY-set scanner types for `text` on an AZERTY computer."""
    return text.translate(str.maketrans("1234567890-aAqQwWzZmM", "&é\"'(-è_çà)qQaAzZwW,?"))


@pytest.fixture
def bench(client: TestClient, engine: Engine) -> Bench:
    make_user(engine, "lucie", Role.BENCH)
    with transaction(engine) as session:
        donor = Donor(name="Banque Solidaire", created_at="2026-12-02T08:00:00Z")
        session.add(donor)
        session.flush()
        batch = Batch(
            donor_id=donor.id or 0,
            pickup_date=date(2026, 11, 2),
            site="Nantes",
            declared={},
            created_at="2026-12-02T08:00:00Z",
        )
        session.add(batch)
        session.flush()
        in_batch = [make_device(session, batch_id=batch.id) for _ in range(2)]
        shelf = locations.create_location(
            session, system_actor("tests"), data=locations.LocationCreate(name="Étagère A1")
        )
        on_shelf = make_device(session, location="Étagère A1")
        elsewhere = make_device(session)
        found = Bench(
            client=client,
            csrf="",
            batch_id=batch.id or 0,
            in_batch=[codes.display(d.code) for d in in_batch],
            shelf=shelf.code,
            on_shelf=codes.display(on_shelf.code),
            elsewhere=codes.display(elsewhere.code),
        )
    sign_in(client, "lucie", next_path="/bench/continuous")
    found.csrf = csrf_of(client, "/bench/continuous")
    return found


def _ledger_size(engine: Engine) -> int:
    with transaction(engine, read_only=True) as session:
        return int(session.exec(select(func.count()).select_from(LedgerEvent)).one())


@pytest.mark.parametrize(
    ("text", "status", "error", "said"),
    [
        ("KKYN-NFHR", 404, "scan_mistyped_code", "le code a été mal saisi"),  # a typo
        ("Étagère A1", 422, "scan_not_a_context_label", "ni une étiquette de lot"),  # a name
        ("carton du fond", 422, "scan_not_a_context_label", "le premier scan doit être"),
        (UNKNOWN, 404, "location_not_found", "Aucun emplacement n'a le code"),
        (MISTYPED, 404, "scan_mistyped_location", "mal saisi"),
        ("LOT-999", 404, "batch_not_found", "Aucun lot n° 999."),
        ("   ", 422, "nothing_scanned", "Rien n'a été scanné"),
    ],
)
def test_a_first_scan_that_names_no_batch_or_known_location_is_refused(
    bench: Bench, engine: Engine, text: str, status: int, error: str, said: str
) -> None:
    before = _ledger_size(engine)
    answer = bench.scan(text)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["kind"] == "error"
    assert said in body["message"]
    first = bench.scan(bench.elsewhere)  # still waiting for a first scan: a device is refused
    assert first.json()["kind"] == "error" and first.status_code == 422
    assert _ledger_size(engine) == before
    with transaction(engine, read_only=True) as session:
        device = session.exec(select(Device).where(Device.code == bench.elsewhere.replace("-", "")))
        assert device.one().location is None


def test_a_batch_label_typed_on_azerty_opens_its_reception(bench: Bench) -> None:
    assert bench.batch_id == 1  # a fresh database: the label `LOT-1` reads `LOT)&` on AZERTY
    for text in ("LOT)&", "lot)&", "LOT-1", _typed_on_azerty(f"LOT-{bench.batch_id}")):
        answer = bench.scan(text)
        assert answer.status_code == 200, answer.text
        opened = answer.json()
        assert (opened["kind"], opened["batch_id"], opened["location"]) == ("context", 1, None)
        assert opened["expected"] == bench.in_batch
        assert opened["title"] == "Réception du lot 1 (Nantes)"


def _history(engine: Engine, display_code: str) -> list[tuple[str, dict[str, Any]]]:
    with transaction(engine, read_only=True) as session:
        device = session.exec(select(Device).where(Device.code == display_code.replace("-", "")))
        rows = ledger.history(session, device.one().id or 0)
        return [(row.type, orjson.loads(row.payload)) for row in rows]


@pytest.mark.parametrize("typed", ["as printed", "on azerty", "lower case, no dash"])
def test_a_known_location_label_opens_its_stock_take(
    bench: Bench, engine: Engine, typed: str
) -> None:
    text = {
        "as printed": bench.shelf,
        "on azerty": _typed_on_azerty(bench.shelf),
        "lower case, no dash": bench.shelf.lower().replace("-", ""),
    }[typed]
    opened = bench.scan(text).json()
    assert (opened["kind"], opened["location"], opened["batch_id"]) == (
        "context",
        bench.shelf,
        None,
    )
    assert opened["title"] == f"Inventaire de « Étagère A1 » ({bench.shelf})"
    assert opened["expected"] == [bench.on_shelf]


def test_a_stock_take_moves_what_was_elsewhere_and_sees_what_was_there(
    bench: Bench, engine: Engine
) -> None:
    moved = bench.scan(bench.elsewhere, location=bench.shelf)
    assert moved.json()["kind"] == "seen", moved.text
    there = bench.scan(bench.on_shelf, location=bench.shelf.lower(), already=[bench.elsewhere])
    assert there.json()["kind"] == "seen", there.text
    assert _history(engine, bench.elsewhere)[-1] == (
        "device.updated",
        {"changes": {"location": [None, "Étagère A1"]}, "location_code": bench.shelf},
    )
    assert _history(engine, bench.on_shelf)[-1] == (
        "device.seen",
        {"changes": {}, "location": "Étagère A1", "location_code": bench.shelf},
    )
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok


@pytest.mark.parametrize("posted", [UNKNOWN, MISTYPED, "Étagère A1"])
def test_a_posted_stock_take_of_an_unknown_location_is_422_and_moves_nothing(
    bench: Bench, engine: Engine, posted: str
) -> None:
    before = _ledger_size(engine)
    answer = bench.scan(bench.elsewhere, location=posted)
    assert answer.status_code == 422
    assert answer.json()["kind"] == "error"
    assert _ledger_size(engine) == before


def test_a_location_label_scanned_as_a_device_is_set_aside_as_no_device(bench: Bench) -> None:
    answer = bench.scan(bench.shelf, batch_id=bench.batch_id).json()
    assert answer["kind"] == "set_aside"
    assert answer["message"].startswith(f"Rien ne correspond à « {bench.shelf} »")
