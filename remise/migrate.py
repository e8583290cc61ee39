"""Schema migrations with Alembic, driven from code (`remise db upgrade`).

The migration scripts live in `remise/migrations/versions`: the assembling package
is the one that may import every stage's tables. `check_current` is what the
app and the CLI call before they touch a database: an unmigrated or outdated
database is refused with the command that fixes it.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from db.errors import N_, Conflict

MIGRATIONS = Path(__file__).parent / "migrations"


class NotMigrated(Conflict):
    code = "database_not_migrated"
    message = N_(
        "The database is at revision %(current)s but Remise needs %(head)s: "
        "run `remise db upgrade` first."
    )


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to `revision` (default: the newest)."""
    command.upgrade(_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(_config(engine), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config_without_engine()).get_current_head()
    assert head is not None
    return head


def _config_without_engine() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_current(engine: Engine) -> None:
    """Raise NotMigrated unless the database is at the newest revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise NotMigrated(current=current or "none (empty database)", head=head)
