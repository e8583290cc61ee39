"""Migration 0016 adds the impact factors' versions and takes them away again, on SQLite
and PostgreSQL; the shipped set is version 1 on a database upgraded from before."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from db.engine import transaction
from remise import migrate
from reporting import impact_factors
from reporting.impact_schemas import ImpactFactorsCreate
from tests.factories import ACTOR


def test_upgrade_and_downgrade_of_the_impact_factors(engine: Engine) -> None:
    with transaction(engine) as session:
        data = ImpactFactorsCreate.model_validate(
            impact_factors.shipped_document().model_dump() | {"note": "before downgrade"}
        )
        assert impact_factors.create_version(session, ACTOR, data=data).version == 2
    migrate.downgrade(engine, "0015")
    assert "impact_factor_set" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    migrate.check_current(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("impact_factor_set")}
    assert columns == {"id", "version", "factors", "note", "created_at", "created_by"}
    with transaction(engine) as session:
        assert impact_factors.current(session).version == 1  # the shipped set again
        assert impact_factors.create_version(session, ACTOR, data=data).version == 2
    with transaction(engine, read_only=True) as session:
        assert [v.version for v in impact_factors.versions(session)] == [2, 1]
