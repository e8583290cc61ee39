"""Look-ups read outside any transaction on PostgreSQL, and leave nothing of that
behind: the pooled connection they used writes in a transaction again afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from db import devices
from db.engine import is_read_only, lookup_engine, make_engine, transaction
from db.models import Device
from tests.factories import make_device


@pytest.fixture
def one_connection(engine: Engine) -> Iterator[Engine]:
    """An engine on the same database whose pool holds one connection: what a look-up
    used is what the next writer gets."""
    single = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    yield single
    single.dispose()


def test_a_look_up_sees_the_latest_commit(one_connection: Engine) -> None:
    with transaction(one_connection) as session:
        device = make_device(session)
    with lookup_engine(one_connection).connect() as connection:
        found = devices.row_by_code(connection, device.code)
    assert found.id == device.id
    with transaction(one_connection) as session:
        session.get(Device, device.id).brand = "Lenovo"  # type: ignore[union-attr]
    with lookup_engine(one_connection).connect() as connection:
        assert devices.row_by_code(connection, device.code).brand == "Lenovo"


def test_a_look_up_is_outside_a_transaction_on_postgresql_only(one_connection: Engine) -> None:
    lookups = lookup_engine(one_connection)
    assert is_read_only(lookups)  # SQLite's read-only BEGIN, never the write lock
    assert lookup_engine(one_connection) is lookups  # made once, not per request
    with lookups.connect() as connection:
        connection.execute(text("SELECT 1"))
        driver = connection.connection.driver_connection
        if one_connection.dialect.name == "postgresql":
            assert driver.autocommit is True  # type: ignore[union-attr]
            status = driver.info.transaction_status.name  # type: ignore[union-attr]
            assert status == "IDLE"  # no BEGIN was sent
        else:
            assert driver.in_transaction  # type: ignore[union-attr]


def test_the_connection_a_look_up_used_writes_all_or_nothing_again(
    one_connection: Engine,
) -> None:
    with lookup_engine(one_connection).connect() as connection:
        connection.execute(text("SELECT 1"))
    with pytest.raises(RuntimeError), transaction(one_connection) as session:
        make_device(session, serial="LOOKUP-THEN-WRITE")
        session.flush()
        raise RuntimeError("the writer changes its mind")
    with transaction(one_connection, read_only=True) as session:
        left = session.exec(select(Device).where(Device.serial == "LOOKUP-THEN-WRITE")).all()
    assert left == []  # rolled back: the look-up's autocommit did not stay on the connection
