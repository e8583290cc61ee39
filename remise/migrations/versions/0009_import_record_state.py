"""import records: a state (writing, done, interrupted) and the file of refused rows

An import now writes in chunks, each committed, so its record is created first and
says whether it finished. The refused rows go to a file under data_dir instead of
the `refused_csv` column; records that hold a document there stay readable from it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_record") as table:
        # Every import recorded before this one finished in its single transaction.
        table.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="done")
        )
        table.add_column(sa.Column("refused_file", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_record") as table:
        table.drop_column("refused_file")
        table.drop_column("state")
