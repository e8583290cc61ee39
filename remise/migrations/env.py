"""Alembic environment: the engine comes from `remise.migrate`, the metadata from every
package that has tables (the shared ones in `db`, and each stage's own)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import db.media  # (registers the tables, as the imports below)
import db.models  # noqa: F401
import distribution.models  # noqa: F401
import grading.models  # noqa: F401
import intake.models  # noqa: F401
import refurbish.models  # noqa: F401
import reporting.models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Remise migrates online only: run `remise db upgrade`.")
run_migrations_online()
