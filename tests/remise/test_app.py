"""Start-up: migrations are required, production settings refuse unsafe defaults."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from db.engine import make_engine
from remise import migrate, scheduler
from remise.app import create_app
from remise.settings import Settings


def test_app_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(migrate.NotMigrated, match="run `remise db upgrade` first"):
        create_app(Settings(database_url=url, scheduler_enabled=False))


def test_app_refuses_a_database_behind_the_code(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ancient'"))
    with pytest.raises(migrate.NotMigrated, match="ancient"):
        migrate.check_current(engine)


def test_migrations_go_down_and_up_again(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    migrate.check_current(engine)


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="REMISE_SECRET_KEY"):
        Settings(environment="production")
    assert Settings(environment="production", secret_key="x" * 40).environment == "production"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REMISE_DATABASE_URL", "postgresql://postgres@127.0.0.1/remise")
    monkeypatch.setenv("REMISE_DEFAULT_LOCALE", "en")
    settings = Settings()
    assert settings.database_url.endswith("/remise") and settings.default_locale == "en"


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x' / 'remise.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_ledger_check_job_logs_a_break(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    from db import ledger
    from db.engine import transaction

    with transaction(engine) as session:
        for n in range(3):
            ledger.append(session, actor="a", type="device.updated", payload={"n": n})
    assert scheduler.check_ledger(engine).ok
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE ledger_event SET payload = :p WHERE seq = 2"), {"p": '{"n":9}'}
        )
    with caplog.at_level(logging.ERROR, logger="remise.jobs"):
        assert scheduler.check_ledger(engine).first_bad_seq == 2
    assert "LEDGER BROKEN at event 2" in caplog.text


def test_the_migrations_build_what_the_models_describe(engine: Engine) -> None:
    """A model changed without its migration (or the reverse) shows up here."""
    with engine.connect() as connection, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLite cannot reflect expression indexes
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_uvicorn_serves_with_its_c_parser_and_event_loop() -> None:
    """`remise serve` leaves uvicorn to choose ("auto"): it takes httptools and uvloop
    when they are installed, and they are dependencies, measured faster (bench/http.py)."""
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    config = uvicorn.Config(lambda *_: None, http="auto", loop="auto")
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()


def test_the_pool_keeps_a_connection_per_thread(tmp_path: Path) -> None:
    """As many pooled connections as worker threads; SQLite never makes a thread wait."""
    engine = make_engine(f"sqlite:///{tmp_path / 'pool.db'}", pool_size=7)
    assert engine.pool.size() == 7  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == -1  # type: ignore[attr-defined]
    engine.dispose()


def test_the_served_app_freezes_what_start_up_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`remise serve`'s app moves what start-up built out of the collector's sight (its
    full collections were the slowest answers under load); apps made by tests do not."""
    import gc

    from fastapi.testclient import TestClient

    from remise.app import serve_app

    url = f"sqlite:///{tmp_path / 'served.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("REMISE_DATABASE_URL", url)
    monkeypatch.setenv("REMISE_SCHEDULER_ENABLED", "false")
    gc.unfreeze()
    try:
        with TestClient(create_app(Settings(database_url=url, scheduler_enabled=False))):
            assert gc.get_freeze_count() == 0
        with TestClient(serve_app()) as client:
            assert gc.get_freeze_count() > 0
            assert client.get("/api/v1/health").status_code == 200
    finally:
        gc.unfreeze()
