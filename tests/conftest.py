"""Databases for the suite: every database test runs on SQLite and on PostgreSQL.

SQLite: each test gets its own file, copied from a template migrated once.
PostgreSQL: each test run (and xdist worker) creates its own database, migrated
once, emptied between tests, dropped at the end. Without a server the PostgreSQL
half is skipped, unless REMISE_REQUIRE_PG=1 (CI), which makes it fail instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

import db.models  # noqa: F401  (registers the tables)
import grading.models  # noqa: F401
import intake.models  # noqa: F401
import refurbish.models  # noqa: F401
import reporting.models  # noqa: F401
from db.engine import make_engine, normalise_url
from remise import migrate
from remise.app import create_app
from remise.settings import Settings

PG_URL = os.environ.get("REMISE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("REMISE_REQUIRE_PG") == "1"
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin() -> sa.Engine:
    return sa.create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")


def pg_available() -> bool:
    try:
        with _pg_admin().connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True
    except sa.exc.OperationalError:
        return False


def _need_pg() -> None:
    if pg_available():
        return
    if REQUIRE_PG:
        pytest.fail(f"PostgreSQL is required (REMISE_REQUIRE_PG=1) but {PG_URL} does not answer")
    pytest.skip(f"no PostgreSQL server at {PG_URL}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "remise.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name("remise.db-wal").exists()
    return path


def new_pg_database(prefix: str = "remise_test") -> str:
    """Create an empty database for this run; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _pg_admin().connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return sa.engine.make_url(normalise_url(PG_URL)).set(database=name).render_as_string(False)


def drop_pg_database(url: str) -> None:
    name = sa.engine.make_url(url).database
    with _pg_admin().connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    _need_pg()
    url = new_pg_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    drop_pg_database(url)


def _empty_pg(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    engine = sa.create_engine(normalise_url(url))
    with engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "remise.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    _empty_pg(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data", scheduler_enabled=False)


@pytest.fixture
def client(settings: Settings, engine: sa.Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=engine)) as test_client:
        yield test_client
