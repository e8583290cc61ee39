"""The catalogue table follows the devices' moves in and out of `available`, and the
bulk walk seeds devices whose histories replay."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from db import catalog, ledger, lifecycle, replay
from db.engine import transaction
from db.enums import Status
from db.models import CatalogItem, Device
from tests.factories import ACTOR, make_device, make_structure

GRADED = {
    "grading": {
        "grade": "A",
        "specs": {"ram_gb": "7.45", "storage_gb": 256, "storage_type": "ssd", "os": "linux"},
        "fr": {"sentence": "Aucune usure visible à bout de bras."},
        "en": {"sentence": "No visible wear at arm's length."},
    }
}


def rows(session: Session) -> dict[int, CatalogItem]:
    return {r.device_id: r for r in session.exec(select(CatalogItem))}


def test_a_device_made_available_gets_its_row_with_the_specs_graded(engine: sa.Engine) -> None:
    with transaction(engine) as session:
        device = make_device(session, status=Status.AVAILABLE, attributes=GRADED)
        row = rows(session)[device.id or 0]
    assert (row.code, row.category, row.grade, row.grade_rank) == (device.code, "laptop", "B", 2)
    assert (row.ram_gb, row.storage_gb, row.storage_type, row.os) == (7, 256, "ssd", "linux")
    assert row.price_cents == 5000
    assert row.definition_fr == "Aucune usure visible à bout de bras."


def test_a_device_leaving_available_loses_its_row_and_gets_it_back(engine: sa.Engine) -> None:
    with transaction(engine) as session:
        structure = make_structure(session)
        device = make_device(session, status=Status.AVAILABLE)
        lifecycle.move(
            session,
            device,
            to=Status.RESERVED,
            actor=ACTOR.ledger_name,
            fields={"structure_id": structure},
        )
        assert device.id not in rows(session)
        lifecycle.move(
            session,
            device,
            to=Status.AVAILABLE,
            actor=ACTOR.ledger_name,
            fields={"structure_id": None},
        )
        assert device.id in rows(session)


def test_a_change_to_an_available_device_redraws_its_row(engine: sa.Engine) -> None:
    with transaction(engine) as session:
        device = make_device(session, status=Status.AVAILABLE)
        lifecycle.change(session, device, actor=ACTOR.ledger_name, fields={"model": "T490"})
        assert rows(session)[device.id or 0].model == "T490"


def test_devices_before_available_are_not_in_the_catalogue(engine: sa.Engine) -> None:
    with transaction(engine) as session:
        for status in (Status.RECEIVED, Status.GRADED):
            make_device(session, status=status)
        assert rows(session) == {}


def test_rebuild_draws_the_same_catalogue(engine: sa.Engine) -> None:
    with transaction(engine) as session:
        for _ in range(3):
            make_device(session, status=Status.AVAILABLE, attributes=GRADED)
        make_device(session, status=Status.GRADED)
        before = {k: (r.code, r.ram_gb, r.price_cents) for k, r in rows(session).items()}
        assert catalog.rebuild(session) == 3
        after = {k: (r.code, r.ram_gb, r.price_cents) for k, r in rows(session).items()}
    assert before == after


def _walk(grade: str) -> list[tuple[Status, dict[str, Any]]]:
    return [
        (Status.LABELLED, {}),
        (Status.IN_REFURBISHMENT, {}),
        (Status.REFURBISHED, {}),
        (Status.GRADED, {"grade": grade, "attributes": GRADED}),
        (Status.AVAILABLE, {"price_cents": 4200}),
    ]


def test_walked_devices_replay_and_the_available_ones_are_catalogued(engine: sa.Engine) -> None:
    base = {"category": "laptop", "brand": "Dell", "model": "Latitude 5490"}
    walks = [_walk("A"), _walk("B")[:3], [], _walk("C")]
    with transaction(engine) as session:
        made = lifecycle.register_walked(
            session,
            actor=ACTOR.ledger_name,
            rows=[base | {"serial": f"W{i}"} for i in range(4)],
            walks=walks,
        )
    with transaction(engine, read_only=True) as session:
        statuses = {d.id: d.status for d in session.exec(select(Device))}
        assert [statuses[i] for i, _c in made] == [
            "available",
            "refurbished",
            "received",
            "available",
        ]
        assert set(rows(session)) == {made[0][0], made[3][0]}
        assert replay.differences(session) == []
        assert ledger.verify(session).ok
        assert ledger.head(session).seq == 4 + 5 + 3 + 5


def test_a_walk_the_life_cycle_forbids_writes_nothing(engine: sa.Engine) -> None:
    with pytest.raises(lifecycle.IllegalTransition), transaction(engine) as session:
        lifecycle.register_walked(
            session,
            actor=ACTOR.ledger_name,
            rows=[{"category": "laptop"}],
            walks=[[(Status.AVAILABLE, {})]],
        )
    with transaction(engine, read_only=True) as session:
        assert session.exec(select(Device)).first() is None


def test_moving_devices_together_records_what_each_move_would(engine: sa.Engine) -> None:
    with transaction(engine) as session:
        structure = make_structure(session)
        devices = [make_device(session, status=Status.AVAILABLE) for _ in range(3)]
        head = ledger.head(session).seq
        lifecycle.move_many(
            session,
            devices,
            to=Status.RESERVED,
            actor=ACTOR.ledger_name,
            fields={"structure_id": structure},
            extra_each=[{"claim_id": n} for n in range(3)],
        )
        assert rows(session) == {}
        assert [d.status for d in devices] == ["reserved"] * 3
        assert replay.differences(session) == []
        assert ledger.head(session).seq == head + 3


def test_moving_devices_together_refuses_one_taken_meanwhile(engine: sa.Engine) -> None:
    with transaction(engine) as session:
        structure = make_structure(session)
        devices = [make_device(session, status=Status.AVAILABLE) for _ in range(2)]
        session.execute(
            sa.update(Device).where(Device.id == devices[1].id).values(status="reserved")  # type: ignore[arg-type]
        )
        with pytest.raises(lifecycle.StaleDevice):
            lifecycle.move_many(
                session,
                devices,
                to=Status.RESERVED,
                actor=ACTOR.ledger_name,
                fields={"structure_id": structure},
            )
