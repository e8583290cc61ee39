"""Entry points' set-up: settings read once, an engine on a migrated database."""

from __future__ import annotations

from sqlalchemy import Engine

from db.engine import make_engine
from remise import migrate
from remise.settings import Settings


def engine_for(settings: Settings, *, migrated: bool = True) -> Engine:
    """The configured engine; raises NotMigrated (and disposes it) if the schema is behind."""
    engine = make_engine(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.threads,
    )
    if migrated:
        try:
            migrate.check_current(engine)
        except migrate.NotMigrated:
            engine.dispose()
            raise
    return engine
