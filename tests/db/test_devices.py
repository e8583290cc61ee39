"""Finding a device by what is written on it: code, serial or IMEI."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from db import codes, devices, ledger, lifecycle
from db.engine import transaction
from db.enums import Category
from tests.factories import make_device


def test_lookups_by_code_serial_and_imei(engine: Engine) -> None:
    with transaction(engine) as session:
        phone = make_device(
            session, category=Category.SMARTPHONE, serial="R58N12ABC", imei="356938035643809"
        )
        make_device(session, serial="PF-1XZ9")
        assert devices.by_code(session, codes.display(phone.code).lower()).id == phone.id
        assert [d.id for d in devices.by_serial(session, " r58n12abc\n")] == [phone.id]
        assert [d.id for d in devices.by_imei(session, "35-693803-564380-9")] == [phone.id]
        assert devices.by_serial(session, "nothing") == []


def test_mistyped_and_unknown_codes_are_told_apart(engine: Engine) -> None:
    with transaction(engine) as session:
        code = make_device(session).code
        typo = code[:-1] + ("0" if code[-1] != "0" else "1")
        with pytest.raises(devices.InvalidCode):
            devices.by_code(session, typo)
        with pytest.raises(devices.DeviceNotFound):
            devices.by_code(session, codes.new_code())


def test_bulk_registration_gives_fresh_distinct_codes_and_ids(engine: Engine) -> None:
    with transaction(engine) as session:
        taken = {make_device(session).code for _ in range(5)}
        rows = [{"category": "laptop", "serial": f"B{n}"} for n in range(2000)]
        registered = lifecycle.register_rows(session, actor="tests", rows=rows)
    fresh = [code for _id, code in registered]
    assert len(set(fresh)) == 2000 and not taken & set(fresh)
    assert all(codes.is_valid(c) for c in fresh)
    with transaction(engine, read_only=True) as session:
        for device_id, code in registered[:50]:
            assert devices.by_code(session, code).id == device_id


def test_a_code_collision_is_retried_with_new_codes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(engine) as session:
        existing = make_device(session).code
    drawn = iter([existing] * 9 + [codes.new_code() for _ in range(20)])
    monkeypatch.setattr(codes, "new_code", lambda: next(drawn))
    with transaction(engine) as session:
        [(device_id, code)] = lifecycle.register_rows(
            session, actor="tests", rows=[{"category": "laptop", "serial": "C1"}]
        )
    assert code != existing
    with transaction(engine, read_only=True) as session:
        assert ledger.verify(session).ok
        assert devices.by_code(session, code).id == device_id
